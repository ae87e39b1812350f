/* main.c — the command line, spelled as QEMU spells it where QEMU has it. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "machine.h"
#include "options.h"
#include "../cpu/model.h"
#include "../dbt/dbt.h"
#include "../debug/gdbstub.h"
#include "../hw/uart.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ringzero [options]\n"
        "  -kernel FILE        boot a Multiboot v1 kernel, or an ELF32/ELF64 image\n"
        "                      (flat 32-bit protected / flat 64-bit mode)\n"
        "  -bin FILE@ADDR      load a flat binary at ADDR and start there\n"
        "  -bios FILE          firmware ROM (top of the first MiB and below 4 GiB)\n"
        "  -append CMDLINE     kernel command line (Multiboot)\n"
        "  -initrd FILE[,FILE] Multiboot modules\n"
        "  -mode 16|32|64      CPU mode for -bin (default 16: real mode)\n"
        "  -m SIZE             guest RAM, e.g. 128M or 1G (default 128M)\n"
        "  -accel dbt[,threshold=N][,lockstep[=N]][,tb-size=MIB]|interp\n"
        "                      execution tier: the translator (default; blocks run N\n"
        "                      times are translated, lockstep[=N] checks translated\n"
        "                      blocks against the interpreter) or the interpreter alone\n"
        "  -cpu MODEL[,+F,-F]  CPU model (intel, the default, or amd) and features;\n"
        "                      -cpu help lists them\n"
        "  -serial DEV         COM1 backend: stdio (default), file:PATH, none\n"
        "  -no-reboot          exit instead of resetting when the guest resets\n"
        "  -icount SHIFT       deterministic time: one instruction = 2^SHIFT ns\n"
        "  -d LIST             log items, comma separated: guest_errors,int,cpu_reset,in_asm,\n"
        "                      exec,cpu,tbstats,post (-d help describes them)\n"
        "  -D FILE             write logs to FILE instead of stderr\n"
        "  -perfmap            name tier 1's host code in /tmp/perf-PID.map (perf report)\n"
        "  -gdb tcp:[HOST]:PORT  wait for gdb on HOST (default 127.0.0.1); port 0: any\n"
        "  -s                  -gdb tcp::1234\n"
        "  -S                  start stopped (gdb resumes the guest)\n"
        "  -nographic          no display (the only mode there is)\n"
        "  -h, --help          this help\n"
        "Exit status: the guest's via port 0xF4 ((value << 1) | 1); 0 when it powers off\n"
        "(ACPI S5), halts with interrupts off or resets under -no-reboot; 1 for a bad image;\n"
        "2 for bad options; 3 for a triple fault under -no-reboot (or one that cannot\n"
        "reset); 4 when output is lost (a write to stdout, the -D log or a -serial file failed).\n"
        "Serial console on a terminal: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n");
}

static _Noreturn void bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "ringzero: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    usage(stderr);
    exit(2);
}

/* -cpu help: the models, then the features a model may switch. */
static void cpu_help(void)
{
    printf("Available CPU models:\n");
    for (const CpuModel *const *m = cpu_models; *m; m++)
        printf("  %-8s %s%s\n", (*m)->name, (*m)->desc, m == cpu_models ? " (default)" : "");
    printf("Features (+F / -F after the model; * = on in both models):\n ");
    for (int f = 0; f < FEAT_COUNT; f++) {
        const FeatureInfo *fi = &cpu_feature_info[f];
        bool on = (cpu_model_intel.features & cpu_model_amd.features & FEAT_BIT(f)) != 0;
        printf(" %s%s%s", fi->name, on ? "*" : "", fi->implemented ? "" : "(not implemented)");
    }
    printf("\napic, tsc-deadline and arat come with the PC board's local APIC (on unless -feat).\n");
}

static _Noreturn void cpu_error(const char *msg)
{
    fprintf(stderr, "ringzero: %s\n", msg);
    exit(2);
}

static uint64_t parse_size(const char *s)
{
    char err[160];
    uint64_t v;
    if (parse_ram_size(s, host_memory_bytes(), &v, err, sizeof err))
        bad_usage("%s", err);
    return v;
}

static unsigned parse_log(const char *list)
{
    unsigned mask = 0;
    char *dup = strdup(list), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "help")) {
            log_help(stdout);
            exit(0);
        }
        unsigned bit = log_item(t);
        if (!bit)
            bad_usage("-d: unknown log item '%s' (-d help lists them)", t);
        mask |= bit;
    }
    free(dup);
    return mask;
}

int main(int argc, char **argv)
{
    const char *kernel = NULL, *logfile = NULL, *bios = NULL;
    char *bin = NULL;
    const char *append = "", *initrd = NULL;
    uint64_t ram = 128ull << 20, bin_addr = 0;
    int mode = CODE16;
    unsigned log_mask = 0;
    const char *cpu_opt = "intel";
    bool use_dbt = true;
    DbtOptions dbt_opt = { .threshold = DBT_DEFAULT_THRESHOLD };
    const char *gdb_spec = NULL;
    bool start_stopped = false;
    bool perfmap = false;
    MachineConfig cfg = { .serial = CHR_STDIO, .icount_shift = -1 };

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-' && a[2])
            a++;  /* --opt is -opt, as in QEMU */
        if (!strcmp(a, "-h") || !strcmp(a, "-help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "-nographic"))
            continue;
        if (!strcmp(a, "-s")) {
            gdb_spec = "tcp::1234";
            continue;
        }
        if (!strcmp(a, "-S")) {
            start_stopped = true;
            continue;
        }
        if (!strcmp(a, "-no-reboot")) {
            cfg.no_reboot = true;
            continue;
        }
        if (!strcmp(a, "-perfmap")) {
            perfmap = true;
            continue;
        }
        static const char *const with_arg[] = {
            "-kernel", "-bios", "-append", "-initrd", "-bin", "-mode", "-m", "-accel", "-cpu",
            "-serial", "-icount", "-d", "-D", "-gdb",
        };
        bool known = false;
        for (unsigned k = 0; k < sizeof with_arg / sizeof with_arg[0]; k++)
            known |= !strcmp(a, with_arg[k]);
        if (!known)
            bad_usage("unknown option '%s'", a);
        if (i + 1 >= argc)
            bad_usage("option '%s' needs an argument", a);
        const char *v = argv[++i];
        if (!strcmp(a, "-kernel")) kernel = v;
        else if (!strcmp(a, "-bios")) bios = v;
        else if (!strcmp(a, "-append")) append = v;
        else if (!strcmp(a, "-initrd")) initrd = v;
        else if (!strcmp(a, "-bin")) {
            char why[160];
            free(bin);
            bin = NULL;
            if (parse_bin_spec(v, &bin, &bin_addr, why, sizeof why))
                bad_usage("%s", why);
        } else if (!strcmp(a, "-mode")) {
            if (!strcmp(v, "16")) mode = CODE16;
            else if (!strcmp(v, "32")) mode = CODE32;
            else if (!strcmp(v, "64")) mode = CODE64;
            else bad_usage("-mode: '%s' is not 16, 32 or 64", v);
        } else if (!strcmp(a, "-m")) ram = parse_size(v);
        else if (!strcmp(a, "-cpu")) {
            if (!strcmp(v, "help") || !strcmp(v, "?")) {
                cpu_help();
                return 0;
            }
            cpu_opt = v;
        }
        else if (!strcmp(a, "-accel")) {
            char aerr[200];
            if (dbt_parse_accel(v, &use_dbt, &dbt_opt, aerr, sizeof aerr))
                bad_usage("%s", aerr);
        } else if (!strcmp(a, "-serial")) {
            if (!strcmp(v, "stdio")) cfg.serial = CHR_STDIO;
            else if (!strcmp(v, "none") || !strcmp(v, "null")) cfg.serial = CHR_NONE;
            else if (!strncmp(v, "file:", 5) && v[5]) { cfg.serial = CHR_FILE; cfg.serial_path = v + 5; }
            else bad_usage("-serial: '%s' is not stdio, none or file:PATH", v);
        } else if (!strcmp(a, "-icount")) {
            char *end;
            long sh = strtol(v, &end, 10);
            if (*end || sh < 0 || sh > 10)
                bad_usage("-icount: '%s' is not a shift from 0 to 10", v);
            cfg.icount_shift = (int)sh;
        } else if (!strcmp(a, "-d")) log_mask |= parse_log(v);
        else if (!strcmp(a, "-D")) logfile = v;
        else if (!strcmp(a, "-gdb")) gdb_spec = v;
        else {
            --i;
            bad_usage("unknown option '%s'", a);
        }
    }
    if ((kernel != NULL) + (bin != NULL) + (bios != NULL) != 1)
        bad_usage("%s", "give exactly one guest: -kernel FILE, -bin FILE@ADDR or -bios FILE");
    if (start_stopped && !gdb_spec)
        bad_usage("%s", "-S needs -s or -gdb: only gdb can start the guest");
    if ((initrd || *append) && !kernel)
        bad_usage("%s", "-initrd and -append go with -kernel");

    char err[256];
    char model_name[32];
    size_t mlen = strcspn(cpu_opt, ",");
    snprintf(model_name, sizeof model_name, "%.*s", (int)mlen, cpu_opt);
    const CpuModel *model = cpu_model_find(model_name);
    if (!model) {
        snprintf(err, sizeof err, "-cpu: unknown model '%s' (-cpu help lists them)", model_name);
        cpu_error(err);
    }
    /* The feature list is checked before any machine exists, applied after
     * the board has set its own (e.g. FEAT_APIC). */
    const char *feats = cpu_opt[mlen] ? cpu_opt + mlen + 1 : "";
    CPU probe = { .model = model, .features = model->features };
    if (cpu_parse_features(&probe, feats, err, sizeof err))
        cpu_error(err);

    Machine *m = calloc(1, sizeof *m);
    if (m)
        m->cache_bytes = dbt_opt.code_bytes;
    cfg.ram_size = ram;
    cfg.bios = bios != NULL;
    int status;
    cfg.cpu_model = model;
    if (!m || machine_init_pc(m, &cfg, err, sizeof err)) {
        fprintf(stderr, "ringzero: %s\n", m ? err : "out of memory");
        status = 1;
        goto out;
    }
    cpu_parse_features(&m->cpu, feats, err, sizeof err);
    m->log_mask = log_mask;
    if (logfile) {
        if (!(m->log = fopen(logfile, "w"))) {
            fprintf(stderr, "ringzero: -D %s: %s\n", logfile, strerror(errno));
            m->log = stderr;
            status = 2;
            goto out;
        }
        m->log_name = logfile;
    }
    int lr = bios ? machine_load_bios(m, bios, err, sizeof err)
           : kernel ? machine_load_kernel(m, kernel, append, initrd, err, sizeof err)
           : machine_load(m, bin, true, bin_addr, mode, err, sizeof err);
    if (lr) {
        fprintf(stderr, "ringzero: %s\n", err);
        status = 1;
        goto out;
    }
    if (log_mask & LOG_OUT_ASM)
        dbt_opt.out_asm = m->log;
    dbt_opt.perfmap = perfmap;
    if (use_dbt && machine_use_dbt(m, &dbt_opt, err, sizeof err)) {
        fprintf(stderr, "ringzero: %s\n", err);
        status = 1;
        goto out;
    }
    if (gdb_spec) {
        if (machine_gdb_listen(m, gdb_spec, err, sizeof err)) {
            fprintf(stderr, "ringzero: %s\n", err);
            status = 2;
            goto out;
        }
        m->gdb_start_stopped = start_stopped;
        fprintf(stderr, "ringzero: gdb stub listening on port %d%s\n", gdb_port(m->gdb),
                start_stopped ? " (the guest starts when gdb continues)" : "");
    }
    chr_catch_signals();
    status = machine_run(m);
    if (log_mask & LOG_TBSTATS) {
        const CodeCacheStats *s = codecache_stats(m->cc);
        fprintf(m->log, "tbstats: %llu instructions, %llu blocks built, %llu lookups, %.2f%% hits, "
                "%llu invalidations, %llu flushes\n",
                (unsigned long long)m->cpu.icount, (unsigned long long)s->blocks_built,
                (unsigned long long)s->lookups,
                s->lookups ? 100.0 * (double)s->hits / (double)s->lookups : 0.0,
                (unsigned long long)s->invalidations, (unsigned long long)s->flushes);
        if (m->dbt)
            dbt_print_stats(m->dbt, m->log);
    }
    if (machine_flush(m, err, sizeof err) && status != 4) {
        fprintf(stderr, "ringzero: output lost: %s\n", err);
        status = 4;
    }
out:
    if (m && m->log && m->log != stderr && fclose(m->log) && status != 4) {
        fprintf(stderr, "ringzero: output lost: -D %s: %s\n", logfile, strerror(errno));
        status = 4;
    }
    int sig = m ? m->stop_signal : 0;
    if (m)
        machine_free(m);
    free(m);
    free(bin);
    if (sig)
        chr_reraise(sig);
    return status;
}

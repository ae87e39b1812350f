/* machine.c — machine lifecycle and the run loop's stop reporting. */
#include "machine.h"
#include "../cpu/model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>

#include "../dbt/dbt.h"
#include "../debug/gdbstub.h"
#include "console_monitor.h"
#include "../disasm/disasm.h"
#include "../hw/hw.h"
#include "../hw/pc.h"
#include "log.h"

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t machine_now_ns(Machine *m)
{
    if (m->icount_shift >= 0)
        return (m->cpu.icount << m->icount_shift) + m->idle_ns;
    return host_ns() - m->start_ns;
}

static uint64_t cpu_clock(CPU *cpu)
{
    return machine_now_ns(cpu->opaque);
}

void machine_request_reset(Machine *m, const char *why)
{
    m->reset_requested = true;
    m->reset_reason = why;
    m->cpu.stop_request = 1;
}

void machine_request_poweroff(Machine *m, int status, const char *why)
{
    m->poweroff_reason = why;
    m->exit_status = status;
    m->exit_requested = true;
    m->cpu.stop_request = 1;
}

/* The Board callbacks: the functions above, with the Machine as opaque. */
static uint64_t board_now_ns(void *o) { return machine_now_ns(o); }
static void board_reset(void *o, const char *why) { machine_request_reset(o, why); }
static void board_poweroff(void *o, int status, const char *why) { machine_request_poweroff(o, status, why); }

__attribute__((format(printf, 3, 4)))
static void board_log(void *o, const char *item, const char *fmt, ...)
{
    Machine *m = o;
    if (!(m->log_mask & log_item(item)))
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(m->log, "%s: ", item);
    vfprintf(m->log, fmt, ap);
    fputc('\n', m->log);
    va_end(ap);
}

/* The softmmu's reports (unmapped and wrong-size accesses). */
static void log_guest_error(void *opaque, const char *msg) { board_log(opaque, "guest_errors", "%s", msg); }

static void machine_reset(Machine *m);
static void monitor_reset(void *o)
{
    Machine *m = o;
    m->reset_reason = "system_reset from the monitor";
    machine_reset(m);
}
static void monitor_info_pic(void *o, FILE *f) { Machine *m = o; pic_print_info(&m->pc->pic, f); }
static void monitor_info_irq(void *o, FILE *f) { Machine *m = o; pc_print_irq_info(m->pc, f); }

/* pc_layout: RAM beyond PC_RAM_BELOW_4G_MAX goes above 4 GiB; otherwise
 * (the minimal machine) all of it from physical 0. */
static int machine_init_base(Machine *m, uint64_t ram_size, bool pc_layout, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->log = stderr;
    m->log_name = "stderr";
    if (chr_open(&m->console, CHR_STDIO, NULL, err, errlen))
        return -1;
    chr_open(&m->serial_file, CHR_NONE, NULL, err, errlen);
    uint64_t below = pc_layout && ram_size > PC_RAM_BELOW_4G_MAX ? PC_RAM_BELOW_4G_MAX : ram_size;
    if (mem_init_split(&m->mem, below, ram_size - below, err, errlen))
        return -1;
    m->mem.log_guest_error = log_guest_error;
    m->mem.log_opaque = m;
    m->cc = cpu_codecache_new(&m->mem, m->cache_bytes, err, errlen);
    if (!m->cc)
        return -1;
    cpu_init(&m->cpu, &m->mem);
    m->cpu.cc = m->cc;
    m->cpu.opaque = m;
    m->icount_shift = -1;
    m->start_ns = host_ns();
    m->cpu.clock_ns = cpu_clock;
    m->mon = (MonHost){ .cpu = &m->cpu, .info_registers = log_cpu_state,
                        .system_reset = monitor_reset, .opaque = m };
    m->board = (Board){ .mem = &m->mem, .cpu = &m->cpu, .console = &m->console, .opaque = m,
                        .now_ns = board_now_ns, .request_reset = board_reset,
                        .request_poweroff = board_poweroff, .log = board_log };
    return debugport_init(&m->board, err, errlen);
}

int machine_init(Machine *m, uint64_t ram_size, char *err, size_t errlen)
{
    if (machine_init_base(m, ram_size, false, err, errlen))
        return -1;
    return uart_tx_init(&m->board, err, errlen);
}

int machine_init_pc(Machine *m, const MachineConfig *cfg, char *err, size_t errlen)
{
    if (machine_init_base(m, cfg->ram_size, true, err, errlen))
        return -1;
    /* Before the board, which may switch features on (e.g. FEAT_APIC). */
    if (cfg->cpu_model)
        cpu_set_model(&m->cpu, cfg->cpu_model);
    m->icount_shift = cfg->icount_shift;
    m->no_reboot = cfg->no_reboot;
    m->pc = calloc(1, sizeof *m->pc);
    if (!m->pc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* The PC's legacy area: 0xA0000-0xBFFFF is the VGA window, 0xC0000-
     * 0xFFFFF expansion and system ROM (vm/loader.c maps -bios there). */
    if (mem_ram_hole(&m->mem, 0xa0000, 0x100000, err, errlen))
        return -1;
    Chardev *serial = NULL;
    if (cfg->serial == CHR_STDIO) {
        serial = &m->console;
        chr_enable_input(serial);
    } else if (cfg->serial == CHR_FILE) {
        if (chr_open(&m->serial_file, CHR_FILE, cfg->serial_path, err, errlen))
            return -1;
        serial = &m->serial_file;
    }
    if (pc_init(m->pc, &m->board, serial, err, errlen))
        return -1;
    m->mon.info_pic = monitor_info_pic;
    m->mon.info_irq = monitor_info_irq;
    /* Under -icount the wall clock starts at a fixed date, so runs repeat. */
    if (m->icount_shift >= 0)
        rtc_set_base(&m->pc->rtc, RTC_ICOUNT_BASE);
    if (cfg->bios)
        return 0;  /* firmware owns 0xE0000-0xFFFFF */
    if (pc_install_acpi(m->pc, err, errlen))
        return -1;
    m->acpi_rsdp = ACPI_TABLES_BASE;  /* the RSDP heads the tables (boot_params.acpi_rsdp_addr) */
    return 0;
}


int machine_gdb_listen(Machine *m, const char *spec, char *err, size_t errlen)
{
    gdb_close(m->gdb);
    m->gdb = gdb_open(spec, &m->cpu, log_guest_error, m, err, errlen);
    if (!m->gdb)
        return -1;
    gdb_set_monitor(m->gdb, &m->mon);
    return 0;
}

int machine_use_dbt(Machine *m, const DbtOptions *o, char *err, size_t errlen)
{
    m->dbt = dbt_new(&m->cpu, m->cc, o, err, errlen);
    return m->dbt ? 0 : -1;
}

void machine_free(Machine *m)
{
    dbt_free(m->dbt);
    m->dbt = NULL;
    gdb_close(m->gdb);
    m->gdb = NULL;
    if (m->pc)
        pc_free(m->pc);
    chr_close(&m->console);
    chr_close(&m->serial_file);
    free(m->pc);
    m->pc = NULL;
    free(m->bios_rom);
    m->bios_rom = NULL;
    codecache_free(m->cc);
    mem_free(&m->mem);
}

/* "at 0008:00001234 (bytes 0f 0b: ud2)" for the instruction at CS:RIP */
static void describe_pc(Machine *m, char *out, size_t outlen)
{
    CPU *cpu = &m->cpu;
    uint8_t code[15];
    int n = mem_fetch(&cpu->mmu, cpu_code_lin(cpu, cpu->rip), code, 15);
    char dis[96];
    int len = disasm_one(code, (size_t)n, cpu_code_bits(cpu), cpu->rip, dis, sizeof dis);
    char bytes[64] = "";
    int show = len > 0 ? len : (n < 8 ? n : 8);
    for (int i = 0; i < show; i++)
        snprintf(bytes + strlen(bytes), sizeof bytes - strlen(bytes), "%s%02x", i ? " " : "", code[i]);
    snprintf(out, outlen, "%04x:%0*llx (%s: %s)", cpu->seg[S_CS].sel,
             cpu->code_mode == CODE64 ? 16 : 8, (unsigned long long)cpu->rip, bytes, dis);
}

/* A halted CPU with interrupts enabled: the host thread sleeps until the
 * next device deadline or terminal input (poll with a timeout); under
 * -icount virtual time jumps to the deadline at once.  Returns false when
 * nothing can ever wake the CPU (no timer armed and no input). */
static bool idle_until_interrupt(Machine *m)
{
    char err[8];
    machine_flush(m, err, sizeof err);  /* what the guest wrote before waiting */
    bool input_waiting = false;  /* input the UART did not take (FIFO full) */
    for (;;) {
        uint64_t next = pc_update(m->pc);
        if (m->cpu.intr_pending(&m->cpu) || m->cpu.nmi_pending || m->exit_requested ||
            m->cpu.stop_request || chr_signal_pending() || m->console.quit || m->console.monitor_key)
            return true;
        uint64_t now = machine_now_ns(m);
        if (next <= now)
            continue;
        if (next - now > (1ull << 62))
            next = UINT64_MAX;  /* centuries away (TSC deadline 2^64-1): none */
        int fd = pc_input_fd(m->pc);
        int gfd = m->gdb ? gdb_fd(m->gdb) : -1;
        if (m->icount_shift >= 0 && next != UINT64_MAX) {
            m->idle_ns += next - now;
            continue;
        }
        if (next == UINT64_MAX && fd < 0 && gfd < 0)
            return false;
        /* Host time, or -icount waiting for input only (virtual time then
         * stands still: input arrives at the same instruction count). */
        struct timespec ts, *timeout = NULL;
        uint64_t d = next != UINT64_MAX && m->icount_shift < 0 ? next - now : UINT64_MAX;
        if (input_waiting && d > 10000000ull)
            d = 10000000ull;  /* look again at 100 Hz instead of spinning */
        if (d != UINT64_MAX) {
            ts.tv_sec = (time_t)(d / 1000000000ull);
            ts.tv_nsec = (long)(d % 1000000000ull);
            timeout = &ts;
        }
        /* gdb's Ctrl-C or a new connection: back to the run loop, which
         * asks the stub (gdb_poll) and stops the guest. */
        struct pollfd p[2] = { { .fd = gfd, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
        bool watch = fd >= 0 && !input_waiting;
        int n = ppoll(p, 1 + watch, timeout, NULL);
        if (n > 0 && gfd >= 0 && p[0].revents)
            return true;
        input_waiting = n > 0 && watch && p[1].revents;
    }
}

/* The reset line: CPU and devices to their reset state; RAM is kept. */
static void machine_reset(Machine *m)
{
    char what[160];
    snprintf(what, sizeof what, "%s; state before the reset", m->reset_reason);
    log_reset_state(m, what);
    codecache_flush(m->cc);
    if (m->pc)
        pc_reset(m->pc);
    cpu_reset(&m->cpu);
    /* cpu_reset keeps only the interrupt hooks */
    m->cpu.clock_ns = cpu_clock;
    log_install(m);
    log_reset_state(m, "state after the reset");
}

/* One line: the exception chain, where, the mode, the insn. */
static void report_triple_fault(Machine *m, FILE *f)
{
    CPU *cpu = &m->cpu;
    char where[192];
    describe_pc(m, where, sizeof where);
    fprintf(f, "triple fault:");
    for (unsigned i = 0; i < cpu->exc_chain_len; i++) {
        int v = cpu->exc_chain[i].vector;
        fprintf(f, "%s %s", i ? " ->" : "", exc_name(v) ? exc_name(v) : "?");
        if (cpu->exc_chain[i].has_error)
            fprintf(f, "(%#x)", cpu->exc_chain[i].error);
    }
    fprintf(f, " at %s, %s mode, CPL %u\n", where, log_mode_name(cpu), cpu->cpl);
}

/* A reset CPU that would run from unmapped all-ones bytes never gets
 * anywhere, so we stop with an explanation instead of spinning.  Asked after
 * the board's reset, with the A20 state the CPU will fetch with. */
static bool reset_vector_mapped(Machine *m)
{
    return mem_phys_ptr(&m->mem, 0xfffffff0ull, 16, false) != NULL;
}

/* A triple fault this soon after a reset, TRIPLE_FAULT_LOOPS times in a
 * row, is a reset loop that makes no progress. */
#define TRIPLE_FAULT_QUICK 100000u
#define TRIPLE_FAULT_LOOPS 3

int machine_flush(Machine *m, char *err, size_t errlen)
{
    int rc = 0;
    Chardev *devs[] = { &m->console, &m->serial_file };
    for (unsigned i = 0; i < 2; i++)
        if (chr_flush(devs[i]) && !rc) {
            chr_error(devs[i], err, errlen);
            rc = -1;
        }
    if (log_flush(m) && !rc) {
        snprintf(err, errlen, "%s%s: %s", m->log == stderr ? "" : "-D ", m->log_name,
                 strerror(errno ? errno : EIO));
        rc = -1;
    }
    return rc;
}

static int run_loop(Machine *m);

int machine_run(Machine *m)
{
    int status = run_loop(m);
    if (m->gdb)
        gdb_exited(m->gdb, status);
    char err[200];
    if (status != 4 && machine_flush(m, err, sizeof err)) {
        fprintf(stderr, "ringzero: output lost: %s\n", err);
        return 4;
    }
    return status;
}

static int run_loop(Machine *m)
{
    CPU *cpu = &m->cpu;
    uint64_t reset_icount = cpu->icount;
    unsigned quick_triples = 0;
    bool triple = false;
    log_install(m);
    log_reset_state(m, "initial state");
    /* With gdb: the GDB_STOP_* reason the guest is stopped for, or -1. */
    int gdb_stop = m->gdb && m->gdb_start_stopped ? GDB_STOP_ATTACH : -1;
    for (;;) {
        bool step = false;
        if (gdb_stop >= 0) {
            int a = gdb_serve(m->gdb, gdb_stop);
            if (a == GDB_KILL) {
                fprintf(stderr, "ringzero: killed by gdb\n");
                return 0;
            }
            step = a == GDB_STEP;
            gdb_stop = -1;
        }
        int r = cpu_run(cpu, step ? 1 : 1u << 20);
        if (m->dbt && dbt_diverged(m->dbt))
            return 3;  /* lockstep printed the difference */
        if (m->gdb) {
            int why;
            if (r == RUN_BREAK)
                gdb_stop = GDB_STOP_BREAK;
            else if (step)
                gdb_stop = GDB_STOP_STEP;
            else if (gdb_poll(m->gdb, &why))
                gdb_stop = why;
        }
        /* Devices also advance while the guest runs with interrupts off
         * (the CPU only polls them when IF is set): serial input, the
         * Ctrl-A x escape, timers' state. */
        if (m->pc)
            pc_update(m->pc);
        /* Every chunk: what the guest wrote reaches its file, so a run
         * killed now loses nothing before this point. */
        char err[200];
        if (machine_flush(m, err, sizeof err)) {
            fprintf(stderr, "ringzero: output lost: %s; stopping\n", err);
            return 4;
        }
        if (m->exit_requested)
            return m->exit_status;
        /* Ctrl-A c: the guest stops while the console shows the monitor. */
        bool monitored = m->console.monitor_key;
        if (monitored && console_monitor(&m->mon, &m->console) == MON_QUIT) {
            fprintf(stderr, "ringzero: quit from the monitor\n");
            return 0;
        }
        if (m->console.quit) {
            fprintf(stderr, "\r\nringzero: quit from the serial console (Ctrl-A x)\r\n");
            return 0;
        }
        if ((m->stop_signal = chr_signal_pending()) != 0) {
            fprintf(stderr, "%sringzero: stopped by signal %d (%s)\n", m->console.raw ? "\r\n" : "",
                    m->stop_signal, strsignal(m->stop_signal));
            return 128 + m->stop_signal;
        }
        if (r == RUN_BREAK || (r == RUN_HALT && gdb_stop >= 0))
            continue;  /* gdb_stop is set: gdb_serve first */
        /* After the monitor the chunk's end is stale (system_reset, a
         * guest woken meanwhile): run again, which reports a halt anew. */
        if (monitored && r != RUN_EXCEPTION && r != RUN_TRIPLE_FAULT)
            continue;
        char where[192];
        if (r == RUN_EXCEPTION) {
            describe_pc(m, where, sizeof where);
            int v = cpu->exc_vector;
            fprintf(stderr, "ringzero: guest stopped: unhandled exception %s (vector %d",
                    exc_name(v) ? exc_name(v) : "?", v);
            if (cpu->exc_has_error)
                fprintf(stderr, ", error code %#x", cpu->exc_error);
            fprintf(stderr, ") at %s\n", where);
            return 3;
        }
        if (r == RUN_TRIPLE_FAULT) {
            report_triple_fault(m, stderr);
            if ((m->log_mask & LOG_INT) && m->log != stderr)
                report_triple_fault(m, m->log);
            if (m->log_mask & LOG_INT) {
                fprintf(m->log, "int: register state at the triple fault:\n");
                log_cpu_state(cpu, m->log);
            }
            if (m->no_reboot) {
                fprintf(stderr, "ringzero: triple fault; exiting because of -no-reboot\n");
                return 3;
            }
            quick_triples = cpu->icount - reset_icount < TRIPLE_FAULT_QUICK ? quick_triples + 1 : 0;
            if (quick_triples >= TRIPLE_FAULT_LOOPS) {
                fprintf(stderr, "ringzero: stopping: %d triple faults in a row, each within %u "
                        "instructions of a reset\n", TRIPLE_FAULT_LOOPS, TRIPLE_FAULT_QUICK);
                return 3;
            }
            triple = true;
            machine_request_reset(m, "triple fault");
        }
        if (m->reset_requested) {
            m->reset_requested = false;
            cpu->stop_request = 0;
            if (m->no_reboot) {
                fprintf(stderr, "ringzero: guest reset (%s); exiting because of -no-reboot\n", m->reset_reason);
                return 0;
            }
            machine_reset(m);
            if (!reset_vector_mapped(m)) {
                fprintf(stderr, "ringzero: guest reset (%s), but nothing is mapped at the reset "
                        "vector (F000:FFF0, physical 0xFFFFFFF0; no -bios firmware): stopping\n",
                        m->reset_reason);
                return triple ? 3 : 0;
            }
            reset_icount = cpu->icount;
            triple = false;
            continue;
        }
        if (r == RUN_HALT) {
            if (!m->pc || !(cpu->eflags & F_IF)) {
                describe_pc(m, where, sizeof where);
                fprintf(stderr, "ringzero: guest halted with %s, after %s\n",
                        m->pc ? "interrupts disabled" : "no interrupt source", where);
                return 0;
            }
            if (!idle_until_interrupt(m)) {
                describe_pc(m, where, sizeof where);
                fprintf(stderr, "ringzero: guest halted with interrupts enabled but nothing left to "
                        "wake it (no timer armed, no input), after %s\n", where);
                return 0;
            }
            continue;
        }
        if (r == RUN_STOP)
            return 0;
    }
}

/* machine.c — machine lifecycle and the run loop's stop reporting. */
#include "machine.h"

#include <string.h>

#include "../disasm/disasm.h"
#include "../hw/hw.h"

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)", "#TS", "#NP",
    "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static void log_guest_error(void *opaque, const char *msg)
{
    Machine *m = opaque;
    if (m->log_mask & LOG_GUEST_ERRORS)
        fprintf(m->log, "guest_errors: %s\n", msg);
}

int machine_init(Machine *m, uint64_t ram_size, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->console = stdout;
    m->log = stderr;
    if (mem_init(&m->mem, ram_size, err, errlen))
        return -1;
    m->mem.log_guest_error = log_guest_error;
    m->mem.log_opaque = m;
    m->cc = codecache_new(&m->mem);
    if (!m->cc) {
        snprintf(err, errlen, "cannot allocate the code cache");
        return -1;
    }
    cpu_init(&m->cpu, &m->mem);
    m->cpu.cc = m->cc;
    m->cpu.opaque = m;
    if (debugport_init(m, err, errlen) || uart_tx_init(m, err, errlen))
        return -1;
    return 0;
}

void machine_free(Machine *m)
{
    codecache_free(m->cc);
    mem_free(&m->mem);
}

/* "at 0008:00001234 (bytes 0f 0b: ud2)" for the instruction at CS:RIP */
static void describe_pc(Machine *m, char *out, size_t outlen)
{
    CPU *cpu = &m->cpu;
    uint8_t code[15];
    uint64_t lin = cpu->code_mode == CODE64 ? cpu->rip : cpu->seg[S_CS].base + cpu->rip;
    int n = mem_fetch(cpu, lin, code, 15);
    char dis[96];
    int len = disasm_one(code, (size_t)n, cpu->code_mode, cpu->rip, dis, sizeof dis);
    char bytes[64] = "";
    int show = len > 0 ? len : (n < 8 ? n : 8);
    for (int i = 0; i < show; i++)
        snprintf(bytes + strlen(bytes), sizeof bytes - strlen(bytes), "%s%02x", i ? " " : "", code[i]);
    snprintf(out, outlen, "%04x:%0*llx (%s: %s)", cpu->seg[S_CS].sel,
             cpu->code_mode == CODE64 ? 16 : 8, (unsigned long long)cpu->rip, bytes, dis);
}

int machine_run(Machine *m)
{
    CPU *cpu = &m->cpu;
    for (;;) {
        int r = cpu_run(cpu, 1u << 20);
        if (m->exit_requested)
            return m->exit_status;
        char where[192];
        if (r == RUN_EXCEPTION) {
            describe_pc(m, where, sizeof where);
            int v = cpu->exc_vector;
            fprintf(stderr, "ringzero: guest stopped: unhandled exception %s (vector %d",
                    v >= 0 && v < 32 && exc_names[v] ? exc_names[v] : "?", v);
            if (cpu->exc_has_error)
                fprintf(stderr, ", error code %#x", cpu->exc_error);
            fprintf(stderr, ") at %s\n", where);
            return 3;
        }
        if (r == RUN_HALT && !cpu->intr_pending) {
            describe_pc(m, where, sizeof where);
            fprintf(stderr, "ringzero: guest halted with no interrupt source, after %s\n", where);
            return 0;
        }
        if (r == RUN_STOP && !m->exit_requested)
            return 0;
    }
}

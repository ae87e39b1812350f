/* machine.c — machine lifecycle and the run loop's stop reporting. */
#include "machine.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../disasm/disasm.h"
#include "../hw/hw.h"
#include "../hw/pc.h"
#include "log.h"

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

/* pc_layout: RAM beyond PC_RAM_BELOW_4G_MAX goes above 4 GiB; otherwise
 * (the minimal machine) all of it from physical 0. */
static int machine_init_base(Machine *m, uint64_t ram_size, bool pc_layout, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->console = stdout;
    m->log = stderr;
    uint64_t below = pc_layout && ram_size > PC_RAM_BELOW_4G_MAX ? PC_RAM_BELOW_4G_MAX : ram_size;
    if (mem_init_split(&m->mem, below, ram_size - below, err, errlen))
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
    m->icount_shift = -1;
    m->start_ns = host_ns();
    m->cpu.clock_ns = cpu_clock;
    return debugport_init(m, err, errlen);
}

int machine_init(Machine *m, uint64_t ram_size, char *err, size_t errlen)
{
    if (machine_init_base(m, ram_size, false, err, errlen))
        return -1;
    return uart_tx_init(m, err, errlen);
}

int machine_init_pc(Machine *m, const MachineConfig *cfg, char *err, size_t errlen)
{
    if (machine_init_base(m, cfg->ram_size, true, err, errlen))
        return -1;
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
    return pc_init(m->pc, m, cfg->serial, cfg->serial_path, err, errlen);
}

/* Conventional memory up to an EBDA-sized reserve below 640 KiB, the
 * legacy area reserved (VGA window, option and system ROM, where the ACPI
 * tables live), RAM from 1 MiB to the 32-bit hole and above 4 GiB.  A
 * machine without the legacy hole (the minimal one) is one RAM block. */
int machine_e820(const Machine *m, E820Entry *e)
{
    const Mem *mem = &m->mem;
    int n = 0;
    if (!mem->ram_hole_end) {
        e[n++] = (E820Entry){ 0, mem->ram_below_4g, E820_RAM };
    } else {
        uint64_t conv = mem->ram_hole_start < 0x9fc00 ? mem->ram_hole_start : 0x9fc00;
        e[n++] = (E820Entry){ 0, conv, E820_RAM };
        if (conv < 0xa0000)
            e[n++] = (E820Entry){ conv, 0xa0000 - conv, E820_RESERVED };
        e[n++] = (E820Entry){ 0xa0000, 0x100000 - 0xa0000, E820_RESERVED };
        if (mem->ram_below_4g > 0x100000)
            e[n++] = (E820Entry){ 0x100000, mem->ram_below_4g - 0x100000, E820_RAM };
    }
    if (mem->ram_above_4g)
        e[n++] = (E820Entry){ MEM_4G, mem->ram_above_4g, E820_RAM };
    return n;
}

void machine_e820_encode(const E820Entry *e, int n, uint8_t *out)
{
    for (int i = 0; i < n; i++, out += 20)
        for (unsigned b = 0; b < 8; b++) {
            out[b] = (uint8_t)(e[i].addr >> (8 * b));
            out[8 + b] = (uint8_t)(e[i].size >> (8 * b));
            if (b < 4)
                out[16 + b] = (uint8_t)(e[i].type >> (8 * b));
        }
}

void machine_free(Machine *m)
{
    if (m->pc)
        pc_free(m->pc);
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

/* A halted CPU with interrupts enabled: sleep until the next device
 * deadline (or skip the time under -icount). */
static void idle_until_interrupt(Machine *m)
{
    for (;;) {
        uint64_t next = pc_update(m->pc);
        if (m->cpu.intr_pending(&m->cpu))
            return;
        uint64_t now = machine_now_ns(m);
        if (next == UINT64_MAX)
            next = now + 10000000ull;
        if (next <= now)
            continue;
        if (m->icount_shift >= 0) {
            m->idle_ns += next - now;
        } else {
            uint64_t d = next - now;
            if (d > 10000000ull)
                d = 10000000ull;
            struct timespec ts = { (time_t)(d / 1000000000ull), (long)(d % 1000000000ull) };
            nanosleep(&ts, NULL);
        }
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
        fprintf(f, "%s %s", i ? " ->" : "", v >= 0 && v < 32 && exc_names[v] ? exc_names[v] : "?");
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

int machine_run(Machine *m)
{
    CPU *cpu = &m->cpu;
    uint64_t reset_icount = cpu->icount;
    unsigned quick_triples = 0;
    bool triple = false;
    log_install(m);
    log_reset_state(m, "initial state");
    for (;;) {
        int r = cpu_run(cpu, 1u << 20);
        /* Devices also advance while the guest runs with interrupts off
         * (the CPU only polls them when IF is set): serial input, the
         * Ctrl-A x escape, timers' state. */
        if (m->pc)
            pc_update(m->pc);
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
            idle_until_interrupt(m);
            continue;
        }
        if (r == RUN_STOP)
            return 0;
    }
}

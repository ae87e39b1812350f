/* test_log.c — the CPU's trace_event hook (what -d int logs): which events
 * reach it, in which order, with which kind, vector, error code and RIP;
 * and that vm/log.c installs no hook for the items that are off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecache/codecache.h"
#include "cpu/cpu.h"
#include "softmmu/mem.h"
#include "softmmu/tlb.h"
#include "flat32.h"
#include "vm/log.h"
#include "vm/machine.h"

static int passed, failed;

#define CHECK_EQ(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
    if (a_ == b_) passed++; else { failed++; \
    printf("FAIL %s:%d: %s == %s: got %#llx, expected %#llx\n", __FILE__, __LINE__, #a, #b, \
           (unsigned long long)a_, (unsigned long long)b_); } } while (0)

static Mem mem;
static CodeCache *cc;

typedef struct Event { int kind, vector; int64_t error; uint64_t rip; } Event;
static Event events[16];
static int nevents;

static void record(CPU *cpu, int vector, int64_t error, int kind)
{
    if (nevents < 16)
        events[nevents] = (Event){ kind, vector, error, cpu->rip };
    nevents++;
}

static void setup(CPU *cpu)
{
    char err[128];
    if (!mem.ram) {
        if (mem_init(&mem, 16 << 20, err, sizeof err)) {
            printf("mem_init: %s\n", err);
            exit(1);
        }
        cc = cpu_codecache_new(&mem, 0, NULL, 0);
    }
    memset(mem.ram, 0, 1 << 20);
    codecache_flush(cc);
    /* The Mem keeps every CPU's TLB and the code cache writes to its owner:
     * a CPU set up again drops its old one first. */
    if (cpu->tlb)
        tlb_detach(&cpu->mmu);
    cpu_init(cpu, &mem);
    cpu->cc = cc;
    cpu->trace_event = record;
    nevents = 0;
}

static void put(uint64_t pa, const void *b, size_t n) { memcpy(mem.ram + pa, b, n); }

static void flat32(CPU *cpu, uint64_t entry) { flat32_setup(cpu, mem.ram, entry); }
static void gate(unsigned vec, uint32_t handler) { flat32_gate(mem.ram, vec, handler); }

static void check_event(int i, int kind, int vector, int64_t error, uint64_t rip)
{
    CHECK_EQ(events[i].kind, kind);
    CHECK_EQ(events[i].vector, vector);
    CHECK_EQ(events[i].error, error);
    CHECK_EQ(events[i].rip, rip);
}

/* IDT limit 0: #UD -> #GP(0x33) -> #GP(0x6b) -> #DF(0) -> #GP(0x43), one
 * event each, in the order of cpu->exc_chain. */
static void test_triple_fault_chain(void)
{
    static CPU cpu;  /* static: its TLB stays on the shared Mem's list */
    setup(&cpu);
    flat32(&cpu, 0x1000);
    cpu.idtr.limit = 0;
    put(0x1000, "\x90\x0f\x0b", 3);                  /* nop; ud2 */
    CHECK_EQ(cpu_run(&cpu, 100), RUN_TRIPLE_FAULT);
    CHECK_EQ(nevents, 5);
    check_event(0, TRACE_EXC, EXC_UD, -1, 0x1001);
    check_event(1, TRACE_NESTED, EXC_GP, 0x33, 0x1001);
    check_event(2, TRACE_NESTED, EXC_GP, 0x6b, 0x1001);
    check_event(3, TRACE_DOUBLE, EXC_DF, 0, 0x1001);
    check_event(4, TRACE_TRIPLE, EXC_GP, 0x43, 0x1001);
    CHECK_EQ(cpu.exc_chain_len, 5);
    for (int i = 0; i < 5 && i < cpu.exc_chain_len; i++) {
        CHECK_EQ(cpu.exc_chain[i].vector, events[i].vector);
        CHECK_EQ(cpu.exc_chain[i].has_error ? (int64_t)cpu.exc_chain[i].error : -1, events[i].error);
    }
}

/* A delivered exception is one event; a benign one followed by a fault in
 * its delivery is delivered as the second (no #DF). */
static void test_exception_and_nested(void)
{
    static CPU cpu;  /* static: its TLB stays on the shared Mem's list */
    setup(&cpu);
    flat32(&cpu, 0x1000);
    gate(EXC_UD, 0x3000);
    put(0x3000, "\xf4", 1);                          /* hlt */
    put(0x1000, "\x0f\x0b", 2);
    CHECK_EQ(cpu_run(&cpu, 100), RUN_HALT);
    CHECK_EQ(nevents, 1);
    check_event(0, TRACE_EXC, EXC_UD, -1, 0x1000);

    setup(&cpu);
    flat32(&cpu, 0x1000);
    uint64_t np = 0x00008e0000080000ull & ~(1ull << 47);    /* #UD gate not present */
    put(0x2000 + EXC_UD * 8, &np, 8);
    gate(EXC_NP, 0x3000);
    put(0x3000, "\xf4", 1);
    put(0x1000, "\x0f\x0b", 2);
    CHECK_EQ(cpu_run(&cpu, 100), RUN_HALT);
    CHECK_EQ(nevents, 2);
    check_event(0, TRACE_EXC, EXC_UD, -1, 0x1000);
    check_event(1, TRACE_NESTED, EXC_NP, EXC_UD * 8 + 2 + 1, 0x1000);
}

/* INT n, INT3: software events at the INT instruction. */
static void test_software(void)
{
    static CPU cpu;  /* static: its TLB stays on the shared Mem's list */
    setup(&cpu);
    flat32(&cpu, 0x1000);
    gate(0x80, 0x3000);
    gate(EXC_BP, 0x3000);
    put(0x3000, "\xcf", 1);                          /* iret */
    put(0x1000, "\xcd\x80\xcc\xf4", 4);              /* int 0x80; int3; hlt */
    CHECK_EQ(cpu_run(&cpu, 100), RUN_HALT);
    CHECK_EQ(nevents, 2);
    check_event(0, TRACE_SOFT, 0x80, -1, 0x1000);
    check_event(1, TRACE_SOFT, EXC_BP, -1, 0x1002);
}

static int ext_pending;
static bool ext_is_pending(CPU *cpu) { (void)cpu; return ext_pending != 0; }
static int ext_ack(CPU *cpu) { (void)cpu; ext_pending = 0; return 0x20; }

/* External interrupts and NMI, at the instruction they interrupt. */
static void test_external_and_nmi(void)
{
    static CPU cpu;  /* static: its TLB stays on the shared Mem's list */
    setup(&cpu);
    flat32(&cpu, 0x1000);
    gate(0x20, 0x3000);
    gate(EXC_NMI, 0x3000);
    put(0x3000, "\xcf", 1);                          /* iret */
    put(0x1000, "\x90\xf4", 2);                      /* nop; hlt */
    cpu.intr_pending = ext_is_pending;
    cpu.intr_ack = ext_ack;
    cpu.eflags |= F_IF;
    ext_pending = 1;
    cpu_nmi(&cpu);
    CHECK_EQ(cpu_run(&cpu, 100), RUN_HALT);
    /* NMI first (it outranks INTR), then the IRQ after the NMI handler's
     * IRET, both before the first instruction. */
    CHECK_EQ(nevents, 2);
    check_event(0, TRACE_NMI, EXC_NMI, -1, 0x1000);
    check_event(1, TRACE_EXT, 0x20, -1, 0x1000);
}

/* Only the items that are on get a hook; off means NULL (no cost). */
static void test_install(void)
{
    static Machine m;
    char err[128];
    if (machine_init(&m, 4 << 20, err, sizeof err)) {
        printf("machine_init: %s\n", err);
        failed++;
        return;
    }
    static const struct { unsigned mask; bool built, exec, event; } cases[] = {
        { 0, false, false, false },
        { LOG_TBSTATS | LOG_CPU_RESET, false, false, false },
        { LOG_IN_ASM, true, false, false },
        { LOG_EXEC, false, true, false },
        { LOG_CPU, false, true, false },
        { LOG_INT, false, false, true },
        { LOG_GUEST_ERRORS, false, false, true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        m.log_mask = cases[i].mask;
        log_install(&m);
        CHECK_EQ(m.cpu.trace_block_built != NULL, cases[i].built);
        CHECK_EQ(m.cpu.trace_block_exec != NULL, cases[i].exec);
        CHECK_EQ(m.cpu.trace_event != NULL, cases[i].event);
    }
    CHECK_EQ(log_item("int"), LOG_INT);
    CHECK_EQ(log_item("in_asm"), LOG_IN_ASM);
    CHECK_EQ(log_item("nosuch"), 0);
    machine_free(&m);
}

int main(void)
{
    test_triple_fault_chain();
    test_exception_and_nested();
    test_software();
    test_external_and_nmi();
    test_install();
    printf("test_log: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}

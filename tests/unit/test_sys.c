/* test_sys.c — system-architecture behaviour that a guest cannot observe
 * from inside: the RESET state, the triple-fault exit and its exception
 * chain, NMI delivery and blocking, the interrupt shadow after STI, HLT
 * woken by an interrupt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecache/codecache.h"
#include "cpu/cpu.h"
#include "softmmu/mem.h"
#include "softmmu/tlb.h"
#include "flat32.h"

static int passed, failed;

#define CHECK_EQ(a, b) do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
    if (a_ == b_) passed++; else { failed++; \
    printf("FAIL %s:%d: %s == %s: got %#llx, expected %#llx\n", __FILE__, __LINE__, #a, #b, a_, b_); } } while (0)

static Mem mem;
static CodeCache *cc;

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
}

static void put(uint64_t pa, const void *b, size_t n) { memcpy(mem.ram + pa, b, n); }
static uint32_t get32(uint64_t pa) { uint32_t v; memcpy(&v, mem.ram + pa, 4); return v; }

static void flat32(CPU *cpu, uint64_t entry) { flat32_setup(cpu, mem.ram, entry); }
static void gate(unsigned vec, uint32_t handler) { flat32_gate(mem.ram, vec, handler); }

static void test_reset(void)
{
    static CPU cpu;  /* static: its TLB stays on the shared Mem's list */
    setup(&cpu);
    cpu.regs[R_AX] = 0x1234;
    cpu_reset(&cpu);
    CHECK_EQ(cpu.rip, 0xfff0);
    CHECK_EQ(cpu.seg[S_CS].sel, 0xf000);
    CHECK_EQ(cpu.seg[S_CS].base, 0xffff0000u);
    CHECK_EQ(cpu.seg[S_CS].limit, 0xffff);
    CHECK_EQ(cpu.seg[S_DS].base, 0);
    CHECK_EQ(cpu.regs[R_AX], 0);
    CHECK_EQ(cpu.regs[R_DX], 0x6f1);   /* family 6 model 15 stepping 1, as CPUID leaf 1 */
    CHECK_EQ(cpu.cr0, 0x60000010);
    CHECK_EQ(cpu.eflags, 2);
    CHECK_EQ(cpu.dr[7], 0x400);
    CHECK_EQ(cpu.dr[6], 0xffff0ff0u);
    CHECK_EQ(cpu.idtr.limit, 0xffff);
    CHECK_EQ(cpu.code_mode, CODE16);
    CHECK_EQ(cpu.cpl, 0);
    CHECK_EQ(cpu.cc, cc);              /* the board's wiring survives */
    CHECK_EQ(cpu.pat, 0x0007040600070406ull);
}

static void test_triple_fault(void)
{
    static CPU cpu;  /* static: its TLB stays on the shared Mem's list */
    setup(&cpu);
    flat32(&cpu, 0x1000);
    cpu.idtr.limit = 0;                /* no usable IDT */
    static const uint8_t ud2[] = { 0x0f, 0x0b };
    put(0x1000, ud2, sizeof ud2);
    int r = cpu_run(&cpu, 100);
    CHECK_EQ(r, RUN_TRIPLE_FAULT);
    CHECK_EQ(cpu.triple_fault, 1);
    CHECK_EQ(cpu.rip, 0x1000);         /* the instruction that started it */
    CHECK_EQ(cpu.exc_chain_len, 5);
    CHECK_EQ(cpu.exc_chain[0].vector, EXC_UD);
    CHECK_EQ(cpu.exc_chain[1].vector, EXC_GP);
    CHECK_EQ(cpu.exc_chain[1].error, 6 * 8 + 2 + 1);     /* IDT, EXT */
    CHECK_EQ(cpu.exc_chain[2].vector, EXC_GP);
    CHECK_EQ(cpu.exc_chain[2].error, 13 * 8 + 2 + 1);
    CHECK_EQ(cpu.exc_chain[3].vector, EXC_DF);
    CHECK_EQ(cpu.exc_chain[4].vector, EXC_GP);
    CHECK_EQ(cpu.exc_chain[4].error, 8 * 8 + 2 + 1);
}

static void test_nmi(void)
{
    static CPU cpu;  /* static: its TLB stays on the shared Mem's list */
    setup(&cpu);
    flat32(&cpu, 0x1000);
    static const uint8_t loop[] = { 0xeb, 0xfe };                  /* jmp $ */
    static const uint8_t h[] = { 0xff, 0x05, 0x00, 0x40, 0, 0,      /* inc dword [0x4000] */
                                 0xeb, 0xfe };                      /* jmp $ (no IRET) */
    put(0x1000, loop, sizeof loop);
    put(0x3000, h, sizeof h);
    gate(2, 0x3000);
    cpu_run(&cpu, 10);
    CHECK_EQ(get32(0x4000), 0);
    cpu_nmi(&cpu);
    cpu_run(&cpu, 10);
    CHECK_EQ(get32(0x4000), 1);
    CHECK_EQ(get32(0x8000 - 12), 0x1000);   /* interrupted EIP on the frame */
    cpu_nmi(&cpu);                          /* blocked: no IRET yet */
    cpu_run(&cpu, 10);
    CHECK_EQ(get32(0x4000), 1);
    /* NMI ignores IF and wakes HLT */
    static const uint8_t hl[] = { 0xf4, 0xeb, 0xfe };
    setup(&cpu);
    flat32(&cpu, 0x1000);
    put(0x1000, hl, sizeof hl);
    put(0x3000, h, sizeof h);
    gate(2, 0x3000);
    CHECK_EQ(cpu_run(&cpu, 10), RUN_HALT);
    cpu_nmi(&cpu);
    cpu_run(&cpu, 10);
    CHECK_EQ(get32(0x4000), 1);
    CHECK_EQ(get32(0x8000 - 12), 0x1001);   /* after the HLT */
}

static int pending;
static bool intr_pending(CPU *cpu) { (void)cpu; return pending; }
static int intr_ack(CPU *cpu) { (void)cpu; pending = 0; return 0x20; }

static void test_sti_shadow_and_hlt(void)
{
    static CPU cpu;  /* static: its TLB stays on the shared Mem's list */
    setup(&cpu);
    flat32(&cpu, 0x1000);
    cpu.intr_pending = intr_pending;
    cpu.intr_ack = intr_ack;
    static const uint8_t code[] = { 0xfb,                       /* sti */
                                    0xb8, 1, 0, 0, 0,           /* mov eax, 1 */
                                    0xbb, 2, 0, 0, 0,           /* mov ebx, 2 */
                                    0xeb, 0xfe };
    static const uint8_t h[] = { 0xeb, 0xfe };
    put(0x1000, code, sizeof code);
    put(0x3000, h, sizeof h);
    gate(0x20, 0x3000);
    pending = 1;
    cpu.regs[R_BX] = 0;
    cpu_run(&cpu, 20);
    CHECK_EQ(pending, 0);
    CHECK_EQ(cpu.regs[R_AX], 1);              /* the shadowed instruction ran */
    CHECK_EQ(cpu.regs[R_BX], 0);              /* the next one did not */
    CHECK_EQ(get32(0x8000 - 12), 0x1006);
    CHECK_EQ(get32(0x8000 - 4) & 0x200, 0x200);   /* IF set in the saved EFLAGS */
    CHECK_EQ(cpu.eflags & 0x200, 0);              /* interrupt gate clears IF */

    /* STI; HLT: halts, then an interrupt resumes after the HLT */
    static const uint8_t sh[] = { 0xfb, 0xf4, 0x90, 0xeb, 0xfe };
    setup(&cpu);
    flat32(&cpu, 0x1000);
    cpu.intr_pending = intr_pending;
    cpu.intr_ack = intr_ack;
    put(0x1000, sh, sizeof sh);
    put(0x3000, h, sizeof h);
    gate(0x20, 0x3000);
    pending = 0;
    CHECK_EQ(cpu_run(&cpu, 20), RUN_HALT);
    CHECK_EQ(cpu.rip, 0x1002);
    pending = 1;
    cpu_run(&cpu, 5);
    CHECK_EQ(cpu.halted, 0);
    CHECK_EQ(get32(0x8000 - 12), 0x1002);
}

int main(void)
{
    test_reset();
    test_triple_fault();
    test_nmi();
    test_sti_shadow_and_hlt();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

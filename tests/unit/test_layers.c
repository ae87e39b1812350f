/* test_layers.c — the interfaces between the layers, and the definitions
 * that live in one place:
 *   - the softmmu translates for a bare MmuCtx, with no CPU anywhere, and
 *     returns page faults (PageFault) instead of raising them;
 *   - the CPU's embedded MmuCtx is the CPU's own fields (no copy);
 *   - cpu_code_lin: CS base + RIP wraps at 4 GiB outside 64-bit mode;
 *   - exc_name: the SDM's mnemonics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "softmmu/ctlregs.h"
#include "softmmu/mem.h"
#include "softmmu/mmu.h"
#include "softmmu/paging.h"
#include "softmmu/tlb.h"

static int passed, failed;

#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
    if (a_ == b_) passed++; else { failed++; \
    printf("FAIL %s:%d: %s == %s: got %#llx, expected %#llx\n", __FILE__, __LINE__, #a, #b, a_, b_); } } while (0)

static void put32(Mem *m, uint64_t pa, uint32_t v) { memcpy(m->ram + pa, &v, 4); }

/* 32-bit paging through an MmuCtx alone: the page directory at 0x10000 maps
 * linear 0x400000 (user, read-only) to 0x200000; everything else is not
 * present. */
static void test_bare_ctx(void)
{
    Mem mem;
    char err[128];
    if (mem_init(&mem, 4 << 20, err, sizeof err)) {
        printf("mem_init: %s\n", err);
        exit(1);
    }
    memset(mem.ram, 0, 4 << 20);
    put32(&mem, 0x10000 + 4 * 1, 0x11000 | 7);        /* PDE 1 -> PT at 0x11000 */
    put32(&mem, 0x11000, 0x200000 | 5);                /* PTE 0: P, U, read-only */
    put32(&mem, 0x200123, 0xdeadbeef);

    MmuCtx c = { .mem = &mem, .code_mode = CODE32, .cpl = 0 };
    uint64_t pa = 0, v = 0;
    PageFault pf = { 0, 0 };
    /* Paging off: identity. */
    CHECK(mmu_translate(&c, 0x200123, ACC_READ, &pa, &pf));
    CHECK_EQ(pa, 0x200123);

    c.cr0 = CR0_PE | CR0_PG | CR0_WP;
    c.cr3 = 0x10000;
    paging_flush(&c, true);
    CHECK(mmu_read(&c, 0x400123, 4, ACC_READ, &v, &pf));
    CHECK_EQ(v, 0xdeadbeef);
    CHECK(c.tlb != NULL && c.tlb->owner == &c);
    /* A write to the read-only page with CR0.WP: the fault comes back as a
     * value (P | W/R), nothing written, nothing raised. */
    pf = (PageFault){ 0, 0 };
    CHECK(!mmu_write(&c, 0x400123, 1, 4, ACC_WRITE, &pf));
    CHECK_EQ(pf.lin, 0x400123);
    CHECK_EQ(pf.error, PF_P | PF_W);
    CHECK_EQ(mem_phys_read(&mem, 0x200123, 4), 0xdeadbeef);
    /* User read of a not-present page: U/S set, P clear. */
    c.cpl = 3;
    CHECK(!mmu_read(&c, 0x801000, 1, ACC_READ, &v, &pf));
    CHECK_EQ(pf.lin, 0x801000);
    CHECK_EQ(pf.error, PF_U);
    /* A page-crossing read whose second page faults reports the second
     * page's address. */
    CHECK(!mmu_read(&c, 0x400ffe, 4, ACC_READ, &v, &pf));
    CHECK_EQ(pf.lin, 0x401000);
    /* Fetch never faults: it reports how much it could read. */
    uint8_t buf[8];
    CHECK_EQ(mem_fetch(&c, 0x400ffc, buf, 8), 4);
    mem_free(&mem);
    CHECK(c.tlb == NULL);
}

/* CPU.mmu and the CPU's own fields are one storage: a write through either
 * is seen by the other. */
static void test_embedded_ctx(void)
{
    static CPU cpu;
    cpu.cr0 = CR0_PE | CR0_PG;
    cpu.mmu.cr4 = CR4_PAE;
    cpu.efer = EFER_LME | EFER_LMA;
    cpu.mmu.cpl = 3;
    cpu.code_mode = CODE64;
    CHECK_EQ(cpu.mmu.cr0, CR0_PE | CR0_PG);
    CHECK_EQ(cpu.cr4, CR4_PAE);
    CHECK_EQ(cpu.mmu.efer, EFER_LME | EFER_LMA);
    CHECK_EQ(cpu.cpl, 3);
    CHECK_EQ(cpu.mmu.code_mode, CODE64);
    CHECK((void *)&cpu.mmu.tlb == (void *)&cpu.tlb);
    CHECK((void *)&cpu.mmu.stop_request == (void *)&cpu.stop_request);
    CHECK((void *)&cpu.mmu.debug_active == (void *)&cpu.debug_active);
}

static void set_cs(CPU *cpu, int mode, uint64_t base, uint64_t rip)
{
    cpu->code_mode = (uint8_t)mode;
    cpu->seg[S_CS].base = base;
    cpu->rip = rip;
}

static void test_code_lin(void)
{
    static CPU cpu;
    /* Real mode: CS base + IP may pass 1 MiB (no wrap below 4 GiB). */
    set_cs(&cpu, CODE16, 0xffff0, 0xffff);
    CHECK_EQ(cpu_code_lin(&cpu, cpu.rip), 0x10ffef);
    /* The RESET state: base 0xffff0000 + 0xfff0. */
    set_cs(&cpu, CODE16, 0xffff0000u, 0xfff0);
    CHECK_EQ(cpu_code_lin(&cpu, cpu.rip), 0xfffffff0u);
    /* 32-bit code: the sum wraps at 4 GiB. */
    set_cs(&cpu, CODE32, 0xfffff000u, 0x2000);
    CHECK_EQ(cpu_code_lin(&cpu, cpu.rip), 0x1000);
    set_cs(&cpu, CODE32, 0x80000000u, 0xffffffffu);
    CHECK_EQ(cpu_code_lin(&cpu, cpu.rip), 0x7fffffff);
    /* 16-bit protected mode with a high base. */
    set_cs(&cpu, CODE16, 0xffffff00u, 0x0200);
    CHECK_EQ(cpu_code_lin(&cpu, cpu.rip), 0x100);
    /* 64-bit code: RIP is the linear address, CS base ignored. */
    set_cs(&cpu, CODE64, 0x12345000u, 0xffff800000001000ull);
    CHECK_EQ(cpu_code_lin(&cpu, cpu.rip), 0xffff800000001000ull);
    /* Another RIP than cpu->rip (traces of a block's instructions). */
    set_cs(&cpu, CODE32, 0xfffffff0u, 0);
    CHECK_EQ(cpu_code_lin(&cpu, 0x20), 0x10);
    CHECK_EQ(cpu_code_bits(&cpu), 32);
}

static void test_exc_name(void)
{
    static const struct { int v; const char *name; } t[] = {
        { 0, "#DE" }, { 1, "#DB" }, { 2, "NMI" }, { 3, "#BP" }, { 4, "#OF" }, { 5, "#BR" },
        { 6, "#UD" }, { 7, "#NM" }, { 8, "#DF" }, { 10, "#TS" }, { 11, "#NP" }, { 12, "#SS" },
        { 13, "#GP" }, { 14, "#PF" }, { 16, "#MF" }, { 17, "#AC" }, { 18, "#MC" }, { 19, "#XM" },
        { 20, "#VE" }, { 21, "#CP" }, { 9, "#9" }, { 15, "#15" }, { 31, "#31" },
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *n = exc_name(t[i].v);
        if (n && !strcmp(n, t[i].name))
            passed++;
        else {
            failed++;
            printf("FAIL exc_name(%d) = %s, expected %s\n", t[i].v, n ? n : "NULL", t[i].name);
        }
    }
    CHECK(exc_name(32) == NULL);
    CHECK(exc_name(-1) == NULL);
    CHECK(exc_name(EXC_GP) && !strcmp(exc_name(EXC_GP), "#GP"));
}

int main(void)
{
    test_bare_ctx();
    test_embedded_ctx();
    test_code_lin();
    test_exc_name();
    printf("test_layers: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* pae.c — PAE paging from inside a guest: PDPTEs, 4 KiB and 2 MiB pages,
 * XD with and without EFER.NXE, reserved bits, A/D. */
#include "common.h"

static uint64_t *pdpt;

static void map(uint32_t va, uint64_t pa, uint64_t flags, bool big)
{
    rt_map_pae(pdpt, va, pa, flags, big);
    invlpg(va);
}

int main(void)
{
    pdpt = rt_alloc_page();                 /* 4 KiB aligned is 32-byte aligned */
    rt_identity_pae(pdpt, 32u << 20, PTE_W | PTE_U);
    /* PDPTEs for the test area exist before CR3 is loaded: the CPU reads
     * the four PDPTEs only at MOV CR3 (and CR0/CR4 paging changes). */
    rt_map_pae(pdpt, 0x40000000, frame(0), PTE_W, false);
    write_cr4(read_cr4() | CR4_PAE);
    write_cr3((uintptr_t)pdpt);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
    rt_puts("PAE paging on: 4 KiB page, A/D\n");
    uint64_t v;
    const uint32_t va = 0x40000000;
    *(volatile uint32_t *)frame(0) = 0x11111111;
    uint64_t *pte = rt_pte_pae(pdpt, va);
    CHECK_EQ(rd(va, 4, &v), -1);
    CHECK_EQ(v, 0x11111111);
    CHECK_EQ(*pte & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(wr(va, 4, 0x22222222), -1);
    CHECK_EQ(*pte & (PTE_A | PTE_D), PTE_A | PTE_D);

    rt_puts("XD with EFER.NXE: fetch faults with I/D\n");
    const uint32_t nx = va + 0x1000;
    *(volatile uint8_t *)frame(1) = 0xc3;   /* RET */
    map(nx, frame(1), PTE_W | PTE_NX, false);
    CHECK_EQ(rd(nx, 1, &v), -1);
    CHECK_EQ(v, 0xc3);
    EXPECT_PF(ex(nx), E_P | E_I, nx);
    map(nx, frame(1), PTE_W, false);
    CHECK_EQ(ex(nx), -1);
    EXPECT_PF(ex(va + 0x5000), E_I, va + 0x5000);      /* not present */

    rt_puts("XD without NXE is a reserved bit\n");
    map(nx, frame(1), PTE_W | PTE_NX, false);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
    EXPECT_PF(rd(nx, 1, &v), E_P | E_RSVD, nx);
    EXPECT_PF(ex(nx), E_P | E_RSVD, nx);                 /* no I/D without NXE */
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    map(nx, frame(1), PTE_W | (1ull << 50), false);      /* bits 62:MAXPHYADDR */
    EXPECT_PF(wr(nx, 1, 0), E_P | E_RSVD | E_W, nx);

    rt_puts("2 MiB pages\n");
    const uint32_t big = 0x40200000;
    map(big, frame(0) & ~0x1fffffu, PTE_W, true);
    CHECK_EQ(rd(big + (frame(0) & 0x1fffff), 4, &v), -1);
    CHECK_EQ(v, 0x22222222);
    uint64_t *pde = &((uint64_t *)(uintptr_t)(pdpt[1] & ~0xfffull))[1];
    CHECK_EQ(*pde & (PTE_A | PTE_D | PTE_PS), PTE_A | PTE_PS);
    CHECK_EQ(wr(big + 0x1ffffc, 4, 9), -1);
    CHECK_EQ(*pde & PTE_D, PTE_D);
    *pde |= 1u << 13;                                     /* reserved in a 2 MiB PDE */
    invlpg(big);
    EXPECT_PF(rd(big, 4, &v), E_P | E_RSVD, big);
    *pde &= ~(uint64_t)(1u << 13);
    invlpg(big);
    CHECK_EQ(rd(big, 4, &v), -1);

    rt_puts("page-crossing write into a read-only page\n");
    const uint32_t x = va + 0x10000;
    map(x, frame(8), PTE_W, false);
    map(x + 0x1000, frame(9), 0, false);
    *(volatile uint32_t *)(frame(8) + 0xffc) = 0x44332211;
    EXPECT_PF(wr(x + 0xffe, 4, 0), E_P | E_W, x + 0x1000);
    CHECK_EQ(*(volatile uint32_t *)(frame(8) + 0xffc), 0x44332211);

    write_cr0(read_cr0() & ~CR0_PG);
    return 0;
}

/* paging32.c — 32-bit paging from inside a guest: mappings, A/D bits,
 * #PF for every cause with its error code and CR2, CR0.WP, user pages,
 * INVLPG and CR3 reloads, 4 MiB pages, and page-crossing writes. */
#include "common.h"

static uint32_t *pd;

static void map(uint32_t va, uint32_t pa, uint32_t flags)
{
    rt_map32(pd, va, pa, flags);
    invlpg(va);
}

int main(void)
{
    pd = rt_alloc_page();
    /* 32 MiB identity, user-accessible so ring-3 probes can run our code */
    rt_identity32(pd, 32u << 20, PTE_W | PTE_U, false);
    write_cr3((uintptr_t)pd);
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
    CHECK(read_cr0() & CR0_PG);
    rt_puts("32-bit paging on: alias mapping, A/D\n");
    uint64_t v;
    const uint32_t va = 0x40000000;
    *(volatile uint32_t *)frame(0) = 0x600df00d;
    map(va, frame(0), PTE_W);
    uint32_t *pte = rt_pte32(pd, va);
    CHECK_EQ(*pte & (PTE_A | PTE_D), 0);
    CHECK_EQ(rd(va, 4, &v), -1);
    CHECK_EQ(v, 0x600df00d);
    CHECK_EQ(*pte & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(pd[va >> 22] & PTE_A, PTE_A);
    CHECK_EQ(wr(va + 4, 4, 0xabcd), -1);
    CHECK_EQ(*pte & PTE_D, PTE_D);
    CHECK_EQ(*(volatile uint32_t *)(frame(0) + 4), 0xabcd);

    rt_puts("not present: PDE, PTE\n");
    EXPECT_PF(rd(0x80000010, 4, &v), 0, 0x80000010);
    EXPECT_PF(wr(0x80000020, 2, 0), E_W, 0x80000020);
    map(va + 0x1000, frame(1), PTE_W);
    *rt_pte32(pd, va + 0x1000) = 0;
    invlpg(va + 0x1000);
    EXPECT_PF(rd(va + 0x1ffc, 4, &v), 0, va + 0x1ffc);
    EXPECT_PF(user_rd(va + 0x1000), E_U, va + 0x1000);
    EXPECT_PF(user_wr(va + 0x1000), E_U | E_W, va + 0x1000);

    rt_puts("protection: R/W with CR0.WP, U/S\n");
    const uint32_t ro = va + 0x2000;
    map(ro, frame(2), PTE_U);
    EXPECT_PF(wr(ro, 4, 1), E_P | E_W, ro);
    EXPECT_PF(user_wr(ro), E_P | E_W | E_U, ro);
    CHECK_EQ(user_rd(ro), -1);
    write_cr0(read_cr0() & ~CR0_WP);
    CHECK_EQ(wr(ro, 4, 0x1234), -1);
    CHECK_EQ(*(volatile uint32_t *)frame(2), 0x1234);
    EXPECT_PF(user_wr(ro), E_P | E_W | E_U, ro);
    write_cr0(read_cr0() | CR0_WP);
    EXPECT_PF(wr(ro, 4, 1), E_P | E_W, ro);
    const uint32_t sup = va + 0x3000;
    map(sup, frame(3), PTE_W);
    CHECK_EQ(rd(sup, 4, &v), -1);
    EXPECT_PF(user_rd(sup), E_P | E_U, sup);
    EXPECT_PF(user_wr(sup), E_P | E_W | E_U, sup);

    rt_puts("INVLPG, CR3 reload, CR4.PGE\n");
    const uint32_t sw = va + 0x4000;
    *(volatile uint32_t *)frame(4) = 4;
    *(volatile uint32_t *)frame(5) = 5;
    map(sw, frame(4), PTE_W);
    CHECK_EQ(rd(sw, 4, &v), -1);
    CHECK_EQ(v, 4);
    map(sw, frame(5), PTE_W);
    CHECK_EQ(rd(sw, 4, &v), -1);
    CHECK_EQ(v, 5);
    rt_map32(pd, sw, frame(4), PTE_W);
    write_cr3(read_cr3());
    CHECK_EQ(rd(sw, 4, &v), -1);
    CHECK_EQ(v, 4);
    write_cr4(read_cr4() | CR4_PGE);
    map(sw, frame(5), PTE_W | PTE_G);
    CHECK_EQ(rd(sw, 4, &v), -1);
    CHECK_EQ(v, 5);
    rt_map32(pd, sw, frame(4), PTE_W | PTE_G);
    write_cr4(read_cr4() & ~CR4_PGE);     /* toggling PGE flushes globals too */
    CHECK_EQ(rd(sw, 4, &v), -1);
    CHECK_EQ(v, 4);

    rt_puts("4 MiB pages (CR4.PSE), reserved bit 21\n");
    write_cr4(read_cr4() | CR4_PSE);
    const uint32_t big = 0x80000000;
    rt_map32_4m(pd, big, frame(0), PTE_W);
    invlpg(big);
    CHECK_EQ(rd(big, 4, &v), -1);
    CHECK_EQ(v, 0x600df00d);
    CHECK_EQ(rd(big + 0x2000, 4, &v), -1);
    CHECK_EQ(v, 0x1234);
    CHECK_EQ(pd[big >> 22] & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(wr(big + 0x3ffffc, 4, 7), -1);
    CHECK_EQ(pd[big >> 22] & PTE_D, PTE_D);
    pd[big >> 22] |= 1u << 21;
    invlpg(big);
    EXPECT_PF(rd(big + 0x10, 4, &v), E_P | E_RSVD, big + 0x10);
    EXPECT_PF(wr(big + 0x10, 4, 0), E_P | E_RSVD | E_W, big + 0x10);

    rt_puts("page-crossing writes\n");
    const uint32_t x = va + 0x10000;
    map(x, frame(8), PTE_W);
    volatile uint32_t *last = (volatile uint32_t *)(frame(8) + 0xffc);
    *last = 0x44332211;
    EXPECT_PF(wr(x + 0xffe, 4, 0xdeadbeef), E_W, x + 0x1000);
    CHECK_EQ(*last, 0x44332211);
    map(x + 0x1000, frame(9), 0);
    *(volatile uint32_t *)frame(9) = 0x88776655;
    EXPECT_PF(wr(x + 0xffd, 8, ~0ull), E_P | E_W, x + 0x1000);
    CHECK_EQ(*last, 0x44332211);
    CHECK_EQ(*(volatile uint32_t *)frame(9), 0x88776655);
    CHECK_EQ(rd(x + 0xffe, 4, &v), -1);
    CHECK_EQ(v, 0x66554433);
    map(x + 0x1000, frame(9), PTE_W);
    CHECK_EQ(wr(x + 0xffe, 4, 0xa1b2c3d4), -1);
    CHECK_EQ(*last, 0xc3d42211);
    CHECK_EQ(*(volatile uint32_t *)frame(9), 0x8877a1b2);

    write_cr0(read_cr0() & ~CR0_PG);
    return 0;
}

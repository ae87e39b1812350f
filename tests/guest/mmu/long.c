/* long.c — 4-level paging from inside a 64-bit guest: mappings above the
 * runtime's 1 GiB identity map, high canonical addresses, not-present at
 * each level, reserved bits, XD, U/S from ring 3, A/D on every level. */
#include "common.h"

static void map(uint64_t va, uint64_t pa, uint64_t flags)
{
    rt_map64(rt_pml4, va, pa, flags, false);
    invlpg(va);
}

/* The runtime's identity map is supervisor-only; ring-3 probes run our
 * code, so open the path to the first 1 GiB to user mode. */
static void identity_to_user(void)
{
    uint64_t *pdpt = (uint64_t *)(uintptr_t)(rt_pml4[0] & 0xffffffffff000ull);
    uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[0] & 0xffffffffff000ull);
    rt_pml4[0] |= PTE_U;
    pdpt[0] |= PTE_U;
    for (int i = 0; i < 512; i++)
        pd[i] |= PTE_U;
    write_cr3(read_cr3());
}

int main(void)
{
    identity_to_user();
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    uint64_t v;
    rt_puts("4-level: mappings, A/D on every level\n");
    const uint64_t va = 0x0000008000000000ull;           /* PML4 slot 1 */
    *(volatile uint64_t *)frame(0) = 0x1122334455667788ull;
    map(va, frame(0), PTE_W);
    uint64_t *l4 = &rt_pml4[(va >> 39) & 511];
    uint64_t *l3 = (uint64_t *)(uintptr_t)(*l4 & 0xffffffffff000ull) + ((va >> 30) & 511);
    uint64_t *l2 = (uint64_t *)(uintptr_t)(*l3 & 0xffffffffff000ull) + ((va >> 21) & 511);
    uint64_t *l1 = rt_pte64(rt_pml4, va);
    CHECK_EQ(rd(va, 8, &v), -1);
    CHECK_EQ(v, 0x1122334455667788ull);
    CHECK_EQ(*l4 & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(*l3 & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(*l2 & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(*l1 & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(wr(va + 8, 8, 5), -1);
    CHECK_EQ(*l1 & PTE_D, PTE_D);
    CHECK_EQ(*l2 & PTE_D, 0);
    const uint64_t hi = 0xffff800000001000ull;
    map(hi, frame(0), PTE_W);
    CHECK_EQ(rd(hi, 8, &v), -1);
    CHECK_EQ(v, 0x1122334455667788ull);

    rt_puts("not present at each level\n");
    uint64_t *lv[4] = { l4, l3, l2, l1 };
    for (int i = 0; i < 4; i++) {
        uint64_t saved = *lv[i];
        *lv[i] &= ~(uint64_t)PTE_P;
        invlpg(va);
        EXPECT_PF(wr(va + 0x10, 4, 0), E_W, va + 0x10);
        EXPECT_PF(ex(va), E_I, va);
        *lv[i] = saved;
        invlpg(va);
    }
    CHECK_EQ(rd(va, 8, &v), -1);

    rt_puts("reserved bits, PS in a PML4E/PDPTE\n");
    for (int i = 0; i < 4; i++) {
        uint64_t saved = *lv[i];
        *lv[i] |= 1ull << (i & 1 ? 51 : 40);
        invlpg(va);
        EXPECT_PF(rd(va, 8, &v), E_P | E_RSVD, va);
        *lv[i] = saved;
    }
    for (int i = 0; i < 2; i++) {
        uint64_t saved = *lv[i];
        *lv[i] |= PTE_PS;
        invlpg(va);
        EXPECT_PF(rd(va, 8, &v), E_P | E_RSVD, va);
        *lv[i] = saved;
    }
    invlpg(va);

    rt_puts("XD at each level\n");
    *(volatile uint8_t *)frame(0) = 0xc3;
    CHECK_EQ(ex(va), -1);
    for (int i = 0; i < 4; i++) {
        uint64_t saved = *lv[i];
        *lv[i] |= PTE_NX;
        invlpg(va);
        EXPECT_PF(ex(va), E_P | E_I, va);
        CHECK_EQ(rd(va, 1, &v), -1);
        *lv[i] = saved;
    }
    invlpg(va);

    rt_puts("U/S and R/W from ring 3\n");
    const uint64_t u = va + 0x2000;
    map(u, frame(2), PTE_W | PTE_U);
    CHECK_EQ(user_wr(u), -1);
    CHECK_EQ(*(volatile uint32_t *)frame(2), 1);
    map(u, frame(2), PTE_U);
    CHECK_EQ(user_rd(u), -1);
    EXPECT_PF(user_wr(u), E_P | E_W | E_U, u);
    map(u, frame(2), PTE_W);
    EXPECT_PF(user_rd(u), E_P | E_U, u);
    map(u, frame(2), PTE_W | PTE_U);
    *l3 &= ~(uint64_t)PTE_U;                          /* a supervisor PDPTE */
    invlpg(u);
    EXPECT_PF(user_rd(u), E_P | E_U, u);
    *l3 |= PTE_U;
    invlpg(u);
    CHECK_EQ(user_rd(u), -1);

    rt_puts("8-byte write crossing into a not-present page\n");
    const uint64_t x = va + 0x10000;
    map(x, frame(8), PTE_W);
    *(volatile uint64_t *)(frame(8) + 0xff8) = 0x0807060504030201ull;
    EXPECT_PF(wr(x + 0xffc, 8, ~0ull), E_W, x + 0x1000);
    CHECK_EQ(*(volatile uint64_t *)(frame(8) + 0xff8), 0x0807060504030201ull);
    map(x + 0x1000, frame(9), PTE_W);
    CHECK_EQ(wr(x + 0xffc, 8, 0x1111111122222222ull), -1);
    CHECK_EQ(*(volatile uint64_t *)(frame(8) + 0xff8), 0x2222222204030201ull);
    CHECK_EQ(*(volatile uint32_t *)frame(9), 0x11111111);
    return 0;
}

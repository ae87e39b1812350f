/* pf64.c — the page-fault matrix (pf_matrix.c) under 4-level paging:
 * rights and XD at the PTE and at each of the PDE, PDPTE and PML4E. */
#include "pf_matrix.h"

#define VA 0x0000008000000000ull   /* PML4 slot 1: private tables */
#define FRAME 0x01800000ull

static uint64_t *slot(unsigned lvl)
{
    uint64_t *t = rt_pml4;
    for (unsigned l = 3; l > lvl; l--)
        t = (uint64_t *)(uintptr_t)(t[(VA >> (12 + 9 * l)) & 511] & 0xffffffffff000ull);
    return &t[(VA >> (12 + 9 * lvl)) & 511];
}
static uint64_t get(unsigned lvl) { return *slot(lvl); }
static void set(unsigned lvl, uint64_t e) { *slot(lvl) = e; }
static uint64_t attr_bits(unsigned lvl) { (void)lvl; return PTE_U | PTE_W | PTE_NX; }

/* The runtime's identity map (first 1 GiB) is supervisor-only; ring-3
 * probes run the runtime's code and stack, so open it to user mode. */
static void identity_to_user(void)
{
    uint64_t *pdpt = (uint64_t *)(uintptr_t)(rt_pml4[0] & 0xffffffffff000ull);
    uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[0] & 0xffffffffff000ull);
    rt_pml4[0] |= PTE_U;
    pdpt[0] |= PTE_U;
    for (int i = 0; i < 512; i++)
        pd[i] |= PTE_U;
}

int main(void)
{
    identity_to_user();
    rt_map64(rt_pml4, VA, FRAME, PTE_W | PTE_U, false);
    write_cr3(read_cr3());
    static const struct pf_mode m = {
        "4-level paging", 4, true, VA, FRAME, SEL_CODE64, SEL_UCODE64, get, set, attr_bits,
    };
    return pf_matrix(&m) ? 1 : 0;
}

/* pfpae.c — the page-fault matrix (pf_matrix.c) under PAE paging: PTE and
 * PDE rights and XD; the PDPTE (no rights bits in PAE) only not present. */
#include "pf_matrix.h"

#define VA 0x40000000u      /* PDPTE 1: its own PD and PT */
#define FRAME 0x01800000u

static uint64_t *pdpt;

static uint64_t *slot(unsigned lvl)
{
    if (lvl == 2)
        return &pdpt[VA >> 30];
    uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[VA >> 30] & 0xffffff000ull);
    return lvl == 1 ? &pd[(VA >> 21) & 511] : rt_pte_pae(pdpt, VA);
}
static uint64_t get(unsigned lvl) { return *slot(lvl); }
static void set(unsigned lvl, uint64_t e) { *slot(lvl) = e; }
static uint64_t attr_bits(unsigned lvl) { return lvl == 2 ? 0 : PTE_U | PTE_W | PTE_NX; }

int main(void)
{
    pdpt = rt_alloc_page();
    rt_identity_pae(pdpt, 32u << 20, PTE_W | PTE_U);
    rt_map_pae(pdpt, VA, FRAME, PTE_W | PTE_U, false);
    write_cr4(read_cr4() | CR4_PAE);
    write_cr3((uintptr_t)pdpt);
    write_cr0(read_cr0() | CR0_PG);
    static const struct pf_mode m = {
        "PAE paging", 3, true, VA, FRAME, SEL_CODE32, SEL_UCODE32, get, set, attr_bits,
    };
    int fails = pf_matrix(&m);
    write_cr0(read_cr0() & ~CR0_PG);
    return fails ? 1 : 0;
}

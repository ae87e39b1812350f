/* pf32.c — the page-fault matrix (pf_matrix.c) under 32-bit paging:
 * PTE and PDE rights, no XD. */
#include "pf_matrix.h"

#define VA 0x40000000u
#define FRAME 0x01800000u   /* 24 MiB: inside the identity map below */

static uint32_t *pd;

static uint32_t *slot(unsigned lvl) { return lvl ? &pd[VA >> 22] : rt_pte32(pd, VA); }
static uint64_t get(unsigned lvl) { return *slot(lvl); }
static void set(unsigned lvl, uint64_t e) { *slot(lvl) = (uint32_t)e; }
static uint64_t attr_bits(unsigned lvl) { (void)lvl; return PTE_U | PTE_W; }

int main(void)
{
    pd = rt_alloc_page();
    /* 32 MiB identity in 4 KiB pages, user-accessible: ring-3 probes run
     * the runtime's code and stack from there. */
    rt_identity32(pd, 32u << 20, PTE_W | PTE_U, false);
    rt_map32(pd, VA, FRAME, PTE_W | PTE_U);
    write_cr3((uintptr_t)pd);
    write_cr0(read_cr0() | CR0_PG);
    static const struct pf_mode m = {
        "32-bit paging", 2, false, VA, FRAME, SEL_CODE32, SEL_UCODE32, get, set, attr_bits,
    };
    int fails = pf_matrix(&m);
    write_cr0(read_cr0() & ~CR0_PG);
    return fails ? 1 : 0;
}

/* rt_paging.c — page-table builders for guest tests (see rt.h). */
#include "rt.h"

#define POOL_PAGES 96
static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned pool_used;

void *rt_alloc_page(void)
{
    if (pool_used == POOL_PAGES)
        rt_fail("rt_alloc_page: the pool of %d page-table pages is used up", POOL_PAGES);
    void *p = pool[pool_used++];
    memset(p, 0, 4096);
    return p;
}

/* Tables are reached through their physical address, which is their
 * address here: the tests keep the runtime identity-mapped. */
static void *table_at(uint64_t entry) { return (void *)(uintptr_t)(entry & 0x000ffffffffff000ull); }

/* Intermediate entries get every permission; the leaf decides. */
#define DIR_FLAGS (PTE_P | PTE_W | PTE_U)

uint32_t *rt_pte32(uint32_t *pd, uint32_t va)
{
    uint32_t pde = pd[va >> 22];
    if (!(pde & PTE_P) || (pde & PTE_PS))
        return NULL;
    return (uint32_t *)table_at(pde) + ((va >> 12) & 1023);
}

void rt_map32(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags)
{
    uint32_t *pde = &pd[va >> 22];
    if (!(*pde & PTE_P) || (*pde & PTE_PS))
        *pde = (uint32_t)(uintptr_t)rt_alloc_page() | DIR_FLAGS;
    ((uint32_t *)table_at(*pde))[(va >> 12) & 1023] = (pa & ~0xfffu) | flags | PTE_P;
}

void rt_map32_4m(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags)
{
    pd[va >> 22] = (pa & 0xffc00000u) | flags | PTE_P | PTE_PS;
}

void rt_identity32(uint32_t *pd, uint32_t bytes, uint32_t flags, bool big)
{
    for (uint32_t a = 0; a < bytes; a += big ? 0x400000u : 0x1000u) {
        if (big)
            rt_map32_4m(pd, a, a, flags);
        else
            rt_map32(pd, a, a, flags);
    }
}

static uint64_t *next_level(uint64_t *e, uint64_t dir_flags)
{
    if (!(*e & PTE_P) || (*e & PTE_PS))
        *e = (uint64_t)(uintptr_t)rt_alloc_page() | dir_flags;
    return table_at(*e);
}

uint64_t *rt_pte_pae(uint64_t *pdpt, uint32_t va)
{
    uint64_t e = pdpt[va >> 30];
    if (!(e & PTE_P))
        return NULL;
    uint64_t *pd = table_at(e);
    e = pd[(va >> 21) & 511];
    if (!(e & PTE_P) || (e & PTE_PS))
        return NULL;
    return (uint64_t *)table_at(e) + ((va >> 12) & 511);
}

void rt_map_pae(uint64_t *pdpt, uint32_t va, uint64_t pa, uint64_t flags, bool big)
{
    /* PAE PDPTEs have no R/W or U/S bits (they are reserved there). */
    uint64_t *pd = next_level(&pdpt[va >> 30], PTE_P);
    uint64_t *pde = &pd[(va >> 21) & 511];
    if (big) {
        *pde = (pa & ~0x1fffffull) | flags | PTE_P | PTE_PS;
        return;
    }
    uint64_t *pt = next_level(pde, DIR_FLAGS);
    pt[(va >> 12) & 511] = (pa & ~0xfffull) | flags | PTE_P;
}

void rt_identity_pae(uint64_t *pdpt, uint32_t bytes, uint64_t flags)
{
    for (uint32_t a = 0; a < bytes; a += 0x200000u)
        rt_map_pae(pdpt, a, a, flags, true);
}

uint64_t *rt_pte64(uint64_t *pml4, uint64_t va)
{
    uint64_t *t = pml4;
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t e = t[(va >> shift) & 511];
        if (!(e & PTE_P) || (e & PTE_PS))
            return NULL;
        t = table_at(e);
    }
    return &t[(va >> 12) & 511];
}

void rt_map64(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags, bool big)
{
    uint64_t *pdpt = next_level(&pml4[(va >> 39) & 511], DIR_FLAGS);
    uint64_t *pd = next_level(&pdpt[(va >> 30) & 511], DIR_FLAGS);
    uint64_t *pde = &pd[(va >> 21) & 511];
    if (big) {
        *pde = (pa & ~0x1fffffull) | flags | PTE_P | PTE_PS;
        return;
    }
    uint64_t *pt = next_level(pde, DIR_FLAGS);
    pt[(va >> 12) & 511] = (pa & ~0xfffull) | flags | PTE_P;
}

#ifdef __x86_64__
void rt_identity_user64(void)
{
    uint64_t *pdpt = (uint64_t *)(uintptr_t)(rt_pml4[0] & 0xffffffffff000ull);
    uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[0] & 0xffffffffff000ull);
    rt_pml4[0] |= PTE_U;
    pdpt[0] |= PTE_U;
    for (int i = 0; i < 512; i++)
        pd[i] |= PTE_U;
}
#endif

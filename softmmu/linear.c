/* linear.c — linear-address access: the TLB's slow paths, page-crossing
 * accesses, and instruction fetch. */
#include <string.h>

#include "ctlregs.h"
#include "mem.h"
#include "paging.h"
#include "tlb.h"

static inline bool is_user(const MmuCtx *c, int access)
{
    return c->cpl == 3 && !(access & ACC_SUPER);
}

/* The slot for lin holding a translation valid for access (filled if it
 * has none); *pa gets the physical address of lin.  NULL with *pf on a
 * page fault. */
static inline __attribute__((always_inline)) TlbEntry *lookup(MmuCtx *c, uint64_t lin, int access,
                                                             uint64_t *pa, PageFault *pf)
{
    Tlb *t = c->tlb ? c->tlb : tlb_attach(c);
    bool user = is_user(c, access);
    unsigned idx = (lin >> 12) & (TLB_ENTRIES - 1);
    TlbEntry *e = &t->e[user][idx];
    if ((e->tag[access & ACC_TYPE_MASK] & ~(uint64_t)TLB_SLOW) != (lin & TLB_PAGE_MASK)) {
        e = tlb_fill(c, lin, access, pf);
        if (!e)
            return NULL;
    }
    *pa = t->info[user][idx].pa | (lin & 0xfff);
    return e;
}

bool mmu_translate(MmuCtx *c, uint64_t lin, int access, uint64_t *pa, PageFault *pf)
{
    if (access & ACC_PROBE) {
        uint64_t p = c->code_mode == CODE64 ? lin : (lin & 0xffffffffull);
        if (c->cr0 & CR0_PG) {
            PageWalk w;
            if (!paging_translate(c, lin, access, &w)) {
                *pf = (PageFault){ .lin = lin, .error = w.error };
                return false;
            }
            p = w.pa;
        }
        *pa = p & c->mem->a20_mask;
        return true;
    }
    return lookup(c, lin, access, pa, pf) != NULL;
}

/* The second page of an access crossing a page boundary; 32-bit linear
 * addresses wrap at 4 GiB. */
static uint64_t next_page(const MmuCtx *c, uint64_t lin)
{
    uint64_t n = (lin | 0xfff) + 1;
    if (c->code_mode != CODE64 && lin <= 0xffffffffull)
        n &= 0xffffffffull;
    return n;
}

bool mmu_read(MmuCtx *c, uint64_t lin, unsigned size, int access, uint64_t *val, PageFault *pf)
{
    Mem *m = c->mem;
    uint64_t pa;
    unsigned first = 4096 - (unsigned)(lin & 0xfff);
    if (size <= first) {
        TlbEntry *e = lookup(c, lin, access, &pa, pf);
        if (!e)
            return false;
        if (!(e->tag[ACC_READ] & TLB_MMIO)) {  /* TLB_WATCH: RAM all the same */
            *val = tlb_host_load((const uint8_t *)(uintptr_t)(lin + e->addend), size);
            return true;
        }
        c->tlb->stats.slow_mmio++;
        *val = mem_phys_read(m, pa, size);
        return true;
    }
    uint64_t pa2;
    if (!lookup(c, lin, access, &pa, pf) || !lookup(c, next_page(c, lin), access, &pa2, pf))
        return false;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= mem_phys_read(m, i < first ? pa + i : pa2 + (i - first), 1) << (8 * i);
    *val = v;
    return true;
}

bool mmu_write(MmuCtx *c, uint64_t lin, uint64_t val, unsigned size, int access, PageFault *pf)
{
    Mem *m = c->mem;
    uint64_t pa;
    unsigned first = 4096 - (unsigned)(lin & 0xfff);
    if (size <= first) {
        TlbEntry *e = lookup(c, lin, access, &pa, pf);
        if (!e)
            return false;
        uint64_t tag = e->tag[ACC_WRITE];
        if (!(tag & (TLB_MMIO | TLB_CODE))) {
            tlb_host_store((uint8_t *)(uintptr_t)(lin + e->addend), val, size);
            return true;
        }
        mem_phys_write(m, pa, val, size);
        if (tag & TLB_CODE) {
            c->tlb->stats.slow_code++;
            /* The code cache dropped the page's blocks: later writes may
             * take the fast path until code is built from it again. */
            if (!m->code_pages[pa >> 12])
                e->tag[ACC_WRITE] &= ~(uint64_t)TLB_CODE;
        } else {
            c->tlb->stats.slow_mmio++;
        }
        return true;
    }
    /* Both pages are translated (and may fault) before either is written. */
    uint64_t pa2;
    if (!lookup(c, lin, access, &pa, pf) || !lookup(c, next_page(c, lin), access, &pa2, pf))
        return false;
    for (unsigned i = 0; i < size; i++)
        mem_phys_write(m, i < first ? pa + i : pa2 + (i - first), val >> (8 * i), 1);
    return true;
}

int mem_fetch(MmuCtx *c, uint64_t lin, uint8_t *buf, int max)
{
    Mem *m = c->mem;
    Tlb *t = c->tlb ? c->tlb : tlb_attach(c);
    bool user = c->cpl == 3;
    int n = 0;
    while (n < max) {
        uint64_t a = lin + (uint64_t)n;
        if (c->code_mode != CODE64)
            a &= 0xffffffffull;
        int chunk = 4096 - (int)(a & 0xfff);
        if (chunk > max - n)
            chunk = max - n;
        unsigned idx = (a >> 12) & (TLB_ENTRIES - 1);
        TlbEntry *e = &t->e[user][idx];
        if ((e->tag[ACC_EXEC] & ~(uint64_t)TLB_SLOW) != (a & TLB_PAGE_MASK)) {
            e = tlb_fill(c, a, ACC_EXEC, NULL);
            if (!e)
                break;
        }
        uint64_t pa = t->info[user][idx].pa | (a & 0xfff);
        if (!(e->tag[ACC_EXEC] & TLB_MMIO)) {
            memcpy(buf + n, (const uint8_t *)(uintptr_t)(a + e->addend), (size_t)chunk);
            /* Code is about to be decoded from this page: writes to it
             * must take the slow path from now on (self-modifying code). */
            if (pa < m->ram_end && !m->code_pages[pa >> 12])
                mem_mark_code(m, pa);
        } else {
            for (int i = 0; i < chunk; i++)
                buf[n + i] = (uint8_t)mem_phys_read(m, pa + (uint64_t)i, 1);
        }
        n += chunk;
    }
    return n;
}

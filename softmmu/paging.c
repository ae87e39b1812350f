/* paging.c — page-table walker (32-bit, PAE, 4-level) and #PF (see paging.h). */
#include "paging.h"

#include "ctlregs.h"
#include "mem.h"
#include "tlb.h"

/* Bits [PAGING_PHYS_BITS, top] of an 8-byte entry's address field. */
#define PHYS_MASK ((1ull << PAGING_PHYS_BITS) - 1)
#define RSVD_LONG (((1ull << 52) - 1) & ~PHYS_MASK)        /* bits 51:M */
#define RSVD_PAE (((1ull << 63) - 1) & ~PHYS_MASK)         /* bits 62:M */
#define ADDR_4K (PHYS_MASK & ~0xfffull)

typedef struct Walk {
    MmuCtx *c;
    Mem *m;
    bool user, write, fetch, probe;
    bool rw, us, xd;      /* rights ANDed/ORed along the path */
} Walk;

/* Sets bits in the entry at pa (its low 4 bytes hold A and D). */
static void set_entry_bits(Walk *wk, uint64_t pa, uint32_t old_lo, uint32_t bits)
{
    if (wk->probe || (old_lo & bits) == bits)
        return;
    uint8_t *p = mem_phys_ptr(wk->m, pa, 4, true);
    if (p)
        __atomic_fetch_or((uint32_t *)p, bits, __ATOMIC_RELAXED);
    else
        mem_phys_write(wk->m, pa, old_lo | bits, 4);
}

static bool fail(Walk *wk, PageWalk *w, uint32_t kind)
{
    w->error = kind | (wk->write ? PF_W : 0) | (wk->user ? PF_U : 0);
    MmuCtx *c = wk->c;
    if (wk->fetch && (c->cr4 & CR4_PAE) && (c->efer & EFER_NXE))
        w->error |= PF_I;
    return false;
}

/* The access-rights check once a leaf is reached (SDM 4.6). */
static bool allowed(Walk *wk, PageWalk *w)
{
    if (wk->user && !wk->us)
        return false;
    w->writable = wk->rw || (!wk->user && !(wk->c->cr0 & CR0_WP));
    w->executable = !wk->xd;
    if (wk->write && !w->writable)
        return false;
    if (wk->fetch && !w->executable)
        return false;
    return true;
}

static void leaf_done(Walk *wk, PageWalk *w, uint64_t entry_pa, uint64_t entry, unsigned shift,
                      uint64_t frame, uint64_t lin)
{
    set_entry_bits(wk, entry_pa, (uint32_t)entry, PTE_A | (wk->write ? PTE_D : 0));
    w->dirty = (entry & PTE_D) || wk->write;
    w->global = (entry & PTE_G) && (wk->c->cr4 & CR4_PGE);
    w->page_shift = (uint8_t)shift;
    w->pa = frame | (lin & ((1ull << shift) - 1));
}

static bool walk32(Walk *wk, uint64_t lin, PageWalk *w)
{
    uint64_t pde_pa = (wk->c->cr3 & 0xfffff000u) | ((lin >> 20) & 0xffc);
    uint32_t pde = (uint32_t)mem_phys_read(wk->m, pde_pa, 4);
    if (!(pde & PTE_P))
        return fail(wk, w, 0);
    wk->rw = pde & PTE_RW;
    wk->us = pde & PTE_US;
    if ((pde & PTE_PS) && (wk->c->cr4 & CR4_PSE)) {
        if (pde & (1u << 21))
            return fail(wk, w, PF_P | PF_RSVD);
        if (!allowed(wk, w))
            return fail(wk, w, PF_P);
        uint64_t frame = (pde & 0xffc00000u) | ((uint64_t)(pde >> 13) & 0xff) << 32;
        leaf_done(wk, w, pde_pa, pde, 22, frame, lin);
        return true;
    }
    set_entry_bits(wk, pde_pa, pde, PTE_A);
    uint64_t pte_pa = (pde & 0xfffff000u) | ((lin >> 10) & 0xffc);
    uint32_t pte = (uint32_t)mem_phys_read(wk->m, pte_pa, 4);
    if (!(pte & PTE_P))
        return fail(wk, w, 0);
    wk->rw = wk->rw && (pte & PTE_RW);
    wk->us = wk->us && (pte & PTE_US);
    if (!allowed(wk, w))
        return fail(wk, w, PF_P);
    leaf_done(wk, w, pte_pa, pte, 12, pte & 0xfffff000u, lin);
    return true;
}

bool paging_load_pdptes(MmuCtx *c)
{
    Tlb *t = c->tlb ? c->tlb : tlb_attach(c);
    uint64_t base = c->cr3 & 0xffffffe0u;
    bool ok = true;
    for (int i = 0; i < 4; i++) {
        uint64_t e = mem_phys_read(c->mem, base + 8 * i, 8);
        /* Reserved: bits 2:1, 8:5 and 63:M. */
        if ((e & PTE_P) && (e & (0x1e6ull | ~PHYS_MASK)))
            ok = false;
        t->pdpte[i] = e;
    }
    t->pdptes_valid = true;
    return ok;
}

/* Long-mode and PAE walks: entries of 8 bytes.  levels/shift describe the
 * mode: PAE starts at the PDPTE registers (shift 30), 4-level at PML4. */
static bool walk64(Walk *wk, uint64_t lin, PageWalk *w)
{
    MmuCtx *c = wk->c;
    bool lma = c->efer & EFER_LMA;
    bool nxe = c->efer & EFER_NXE;
    uint64_t rsvd = (lma ? RSVD_LONG : RSVD_PAE) | (nxe ? 0 : PTE_XD);
    uint64_t table, entry, entry_pa;
    int shift;
    wk->rw = wk->us = true;
    wk->xd = false;
    if (lma) {
        table = c->cr3 & ADDR_4K;
        shift = 39;
    } else {
        Tlb *t = c->tlb ? c->tlb : tlb_attach(c);
        if (!t->pdptes_valid)
            paging_load_pdptes(c);
        entry = t->pdpte[(lin >> 30) & 3];
        if (!(entry & PTE_P))
            return fail(wk, w, 0);
        if (entry & (0x1e6ull | ~PHYS_MASK))
            return fail(wk, w, PF_P | PF_RSVD);
        table = entry & ADDR_4K;
        shift = 21;
    }
    for (;; shift -= 9) {
        entry_pa = table | (((lin >> shift) & 511) << 3);
        entry = mem_phys_read(wk->m, entry_pa, 8);
        if (!(entry & PTE_P))
            return fail(wk, w, 0);
        uint64_t bad = rsvd;
        bool leaf = shift == 12;
        if (entry & PTE_PS) {
            if (shift == 21)
                leaf = true, bad |= 0x1fe000ull;   /* 2 MiB: bits 20:13 */
            else if (shift > 21)
                bad |= PTE_PS;   /* PML4E; PDPTE without 1 GiB pages */
        }
        if (entry & bad)
            return fail(wk, w, PF_P | PF_RSVD);
        wk->rw = wk->rw && (entry & PTE_RW);
        wk->us = wk->us && (entry & PTE_US);
        wk->xd = wk->xd || (nxe && (entry & PTE_XD));
        if (leaf)
            break;
        set_entry_bits(wk, entry_pa, (uint32_t)entry, PTE_A);
        table = entry & ADDR_4K;
    }
    if (!allowed(wk, w))
        return fail(wk, w, PF_P);
    uint64_t frame = entry & PHYS_MASK & ~((1ull << shift) - 1);
    leaf_done(wk, w, entry_pa, entry, (unsigned)shift, frame, lin);
    return true;
}

bool paging_translate(MmuCtx *c, uint64_t lin, int access, PageWalk *w)
{
    int type = access & ACC_TYPE_MASK;
    Walk wk = {
        .c = c, .m = c->mem,
        .user = c->cpl == 3 && !(access & ACC_SUPER),
        .write = type == ACC_WRITE, .fetch = type == ACC_EXEC,
        .probe = (access & ACC_PROBE) != 0,
    };
    w->error = 0;
    w->global = w->dirty = false;
    if (c->cr4 & CR4_PAE)
        return walk64(&wk, lin, w);
    return walk32(&wk, (uint32_t)lin, w);
}

bool paging_probe(MmuCtx *c, uint64_t lin, int access, uint64_t *pa)
{
    PageWalk w;
    if (!paging_translate(c, lin, access, &w))
        return false;
    *pa = w.pa;
    return true;
}

void paging_flush(MmuCtx *c, bool include_global)
{
    if (!c->tlb)
        return;
    c->tlb->pdptes_valid = false;
    tlb_flush(c->tlb, include_global);
}

void paging_invlpg(MmuCtx *c, uint64_t lin)
{
    if (c->tlb)
        tlb_invlpg(c->tlb, lin);
}

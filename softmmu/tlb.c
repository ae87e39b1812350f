/* tlb.c — TLB allocation, fills and invalidation (see tlb.h). */
#include "tlb.h"

#include <stdio.h>
#include <stdlib.h>

#include "ctlregs.h"
#include "paging.h"

static void clear_slot(TlbEntry *e)
{
    e->tag[0] = e->tag[1] = e->tag[2] = TLB_INVALID;
    e->addend = 0;
}

static TlbEntry *slot_entry(Tlb *t, unsigned id)
{
    return &t->e[id / TLB_ENTRIES][id % TLB_ENTRIES];
}

static TlbInfo *slot_info(Tlb *t, unsigned id)
{
    return &t->info[id / TLB_ENTRIES][id % TLB_ENTRIES];
}

static unsigned pa_bucket(uint64_t pa) { return (unsigned)(pa >> 12) & (TLB_PA_BUCKETS - 1); }

/* Chains are short (a bucket per physical page, at most TLB_SLOTS live
 * slots), so singly linked. */
static void pa_unlink(Tlb *t, unsigned id)
{
    uint16_t *p = &t->pa_head[pa_bucket(slot_info(t, id)->pa)];
    while (*p != id)
        p = &slot_info(t, *p)->pa_next;
    *p = slot_info(t, id)->pa_next;
}

/* Clears live slot id and takes it off the live list (the last entry
 * moves into its place) and its chain. */
static void release(Tlb *t, unsigned id)
{
    TlbInfo *in = slot_info(t, id);
    pa_unlink(t, id);
    clear_slot(slot_entry(t, id));
    in->global = false;
    in->shift = 12;
    unsigned last = t->live[--t->nlive];
    t->live[in->live_pos] = (uint16_t)last;
    slot_info(t, last)->live_pos = in->live_pos;
    in->live_pos = TLB_NIL;
}

Tlb *tlb_attach(MmuCtx *c)
{
    if (c->tlb)
        return c->tlb;
    Tlb *t = calloc(1, sizeof *t);
    if (!t) {
        fprintf(stderr, "ringzero: out of memory allocating a TLB\n");
        abort();
    }
    for (unsigned id = 0; id < TLB_SLOTS; id++) {
        clear_slot(slot_entry(t, id));
        slot_info(t, id)->shift = 12;
        slot_info(t, id)->live_pos = TLB_NIL;
    }
    for (unsigned b = 0; b < TLB_PA_BUCKETS; b++)
        t->pa_head[b] = TLB_NIL;
    t->owner = c;
    t->mem = c->mem;
    t->next = c->mem->tlbs;
    c->mem->tlbs = t;
    c->tlb = t;
    return t;
}

void tlb_detach(MmuCtx *c)
{
    Tlb *t = c->tlb;
    if (!t)
        return;
    for (Tlb **p = &t->mem->tlbs; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    c->tlb = NULL;
    free(t);
}

void tlb_flush(Tlb *t, bool include_global)
{
    t->stats.flushes++;
    t->gen++;
    if (include_global)
        t->stats.flushes_global++;
    bool large = false;
    /* Downwards: release moves the last entry, already seen, into the hole. */
    for (unsigned i = t->nlive; i-- > 0; ) {
        unsigned id = t->live[i];
        const TlbInfo *in = slot_info(t, id);
        if (in->global && !include_global)
            large |= in->shift > 12;
        else
            release(t, id);
    }
    t->has_large = large;
}

void tlb_invlpg(Tlb *t, uint64_t lin)
{
    t->stats.invlpgs++;
    t->gen++;
    lin &= TLB_PAGE_MASK;
    unsigned idx = (lin >> 12) & (TLB_ENTRIES - 1);
    for (unsigned s = 0; s < 2; s++) {
        unsigned id = s * TLB_ENTRIES + idx;
        if (slot_info(t, id)->live_pos != TLB_NIL && slot_info(t, id)->lin == lin)
            release(t, id);
    }
    if (!t->has_large)
        return;
    /* lin may lie in a large page cached as 4 KiB pieces elsewhere. */
    for (unsigned i = t->nlive; i-- > 0; ) {
        unsigned id = t->live[i];
        const TlbInfo *in = slot_info(t, id);
        if (in->shift > 12 && !((in->lin ^ lin) >> in->shift))
            release(t, id);
    }
}

void tlb_note_code_page(Tlb *t, uint64_t pa)
{
    pa &= TLB_PAGE_MASK;
    for (unsigned id = t->pa_head[pa_bucket(pa)]; id != TLB_NIL; id = slot_info(t, id)->pa_next) {
        TlbEntry *e = slot_entry(t, id);
        if (!(e->tag[ACC_WRITE] & TLB_INVALID) && slot_info(t, id)->pa == pa)
            e->tag[ACC_WRITE] |= TLB_CODE;
    }
}

/* Control bits that change translations.  Filling compares them with the
 * last fill's and flushes on a difference: a safety net for a caller that
 * changed one without paging_flush (hits on old entries remain possible
 * until then, as on hardware without the required invalidation). */
static uint64_t paging_ctx(const MmuCtx *c)
{
    if (!(c->cr0 & CR0_PG))  /* identity; 32-bit truncation outside 64-bit code */
        return (uint64_t)(c->code_mode == CODE64) << 63;
    return (c->cr0 & (CR0_PG | CR0_WP)) | (c->cr4 & (CR4_PSE | CR4_PAE | CR4_PGE)) |
           (c->efer & (EFER_LMA | EFER_NXE)) << 32;
}

TlbEntry *tlb_fill(MmuCtx *c, uint64_t lin, int access, PageFault *pf)
{
    Tlb *t = c->tlb ? c->tlb : tlb_attach(c);
    Mem *m = c->mem;
    int type = access & ACC_TYPE_MASK;
    bool user = c->cpl == 3 && !(access & ACC_SUPER);
    uint64_t ctx = paging_ctx(c);
    if (ctx != t->ctx) {
        tlb_flush(t, true);
        t->pdptes_valid = false;
        t->ctx = ctx;
    }
    PageWalk w = { .page_shift = 12, .writable = true, .executable = true, .dirty = true };
    t->stats.fills++;
    if (c->cr0 & CR0_PG) {
        t->stats.walks++;
        if (!paging_translate(c, lin, type | (access & ACC_SUPER), &w)) {
            if (pf)
                *pf = (PageFault){ .lin = lin, .error = w.error };
            return NULL;
        }
    } else {
        w.pa = c->code_mode == CODE64 ? lin : (lin & 0xffffffffull);
    }
    lin &= TLB_PAGE_MASK;
    uint64_t pa = w.pa & m->a20_mask & TLB_PAGE_MASK;
    unsigned idx = (lin >> 12) & (TLB_ENTRIES - 1);
    unsigned id = user * TLB_ENTRIES + idx;
    TlbEntry *e = slot_entry(t, id);
    TlbInfo *in = slot_info(t, id);
    if (in->live_pos == TLB_NIL) {
        in->live_pos = (uint16_t)t->nlive;
        t->live[t->nlive++] = (uint16_t)id;
    } else {
        pa_unlink(t, id);
    }
    clear_slot(e);
    in->lin = lin;
    in->pa = pa;
    in->pa_next = t->pa_head[pa_bucket(pa)];
    t->pa_head[pa_bucket(pa)] = (uint16_t)id;
    in->global = w.global;
    in->shift = w.page_shift;
    t->has_large |= w.page_shift > 12;

    uint8_t *rd = mem_phys_ptr(m, pa, 4096, false);
    uint8_t *wr = mem_phys_ptr(m, pa, 4096, true);
    e->addend = (uintptr_t)rd - (uintptr_t)lin;
    uint64_t rflags = rd ? 0 : TLB_MMIO;
    /* The CPU's #AC checks and data breakpoints see every data access. */
    uint64_t watch = (c->debug_active & MMU_WATCH_DATA) ? TLB_WATCH : 0;
    uint64_t rwatch = (c->debug_active & MMU_WATCH_WRITES_ONLY) ? 0 : watch;
    e->tag[ACC_READ] = lin | rflags | rwatch;
    if (w.executable)
        e->tag[ACC_EXEC] = lin | rflags;
    /* A clean page keeps its write tag empty so the first write walks and
     * sets D. */
    if (w.writable && w.dirty) {
        uint64_t wflags = wr ? 0 : TLB_MMIO;
        if (wr && pa < m->ram_end && m->code_pages[pa >> 12])
            wflags |= TLB_CODE;
        e->tag[ACC_WRITE] = lin | wflags | watch;
    }
    return e;
}

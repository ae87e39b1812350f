/* tlb.c — TLB allocation, fills and invalidation (see tlb.h). */
#include "tlb.h"

#include <stdio.h>
#include <stdlib.h>

#include "paging.h"
#include "../cpu/debug.h"

enum { CR0_WP = 1u << 16, CR0_PG = 1u << 31 };
enum { CR4_PSE = 1u << 4, CR4_PAE = 1u << 5, CR4_PGE = 1u << 7 };
enum { EFER_LMA = 1u << 10, EFER_NXE = 1u << 11 };

static void clear_slot(TlbEntry *e)
{
    e->tag[0] = e->tag[1] = e->tag[2] = TLB_INVALID;
    e->addend = 0;
}

static void clear_all(Tlb *t)
{
    for (int s = 0; s < 2; s++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++) {
            clear_slot(&t->e[s][i]);
            t->info[s][i].global = false;
            t->info[s][i].shift = 12;
        }
    t->has_large = false;
}

Tlb *tlb_attach(CPU *cpu)
{
    if (cpu->tlb)
        return cpu->tlb;
    Tlb *t = calloc(1, sizeof *t);
    if (!t) {
        fprintf(stderr, "ringzero: out of memory allocating a TLB\n");
        abort();
    }
    clear_all(t);
    t->cpu = cpu;
    t->mem = cpu->mem;
    t->next = cpu->mem->tlbs;
    cpu->mem->tlbs = t;
    cpu->tlb = t;
    return t;
}

void tlb_detach(CPU *cpu)
{
    Tlb *t = cpu->tlb;
    if (!t)
        return;
    for (Tlb **p = &t->mem->tlbs; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    cpu->tlb = NULL;
    free(t);
}

void tlb_flush(Tlb *t, bool include_global)
{
    t->stats.flushes++;
    t->gen++;
    if (include_global) {
        t->stats.flushes_global++;
        clear_all(t);
        return;
    }
    bool large = false;
    for (int s = 0; s < 2; s++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++) {
            TlbInfo *in = &t->info[s][i];
            if (in->global) {
                large |= in->shift > 12;
                continue;
            }
            clear_slot(&t->e[s][i]);
            in->shift = 12;
        }
    t->has_large = large;
}

void tlb_invlpg(Tlb *t, uint64_t lin)
{
    t->stats.invlpgs++;
    t->gen++;
    lin &= TLB_PAGE_MASK;
    unsigned idx = (lin >> 12) & (TLB_ENTRIES - 1);
    for (int s = 0; s < 2; s++) {
        if (t->info[s][idx].lin == lin) {
            clear_slot(&t->e[s][idx]);
            t->info[s][idx].global = false;
        }
    }
    if (!t->has_large)
        return;
    /* lin may lie in a large page cached as 4 KiB pieces elsewhere. */
    for (int s = 0; s < 2; s++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++) {
            TlbInfo *in = &t->info[s][i];
            if (in->shift > 12 && !((in->lin ^ lin) >> in->shift)) {
                clear_slot(&t->e[s][i]);
                in->global = false;
                in->shift = 12;
            }
        }
}

void tlb_note_code_page(Tlb *t, uint64_t pa)
{
    pa &= TLB_PAGE_MASK;
    for (int s = 0; s < 2; s++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++) {
            TlbEntry *e = &t->e[s][i];
            if (!(e->tag[ACC_WRITE] & TLB_INVALID) && t->info[s][i].pa == pa)
                e->tag[ACC_WRITE] |= TLB_CODE;
        }
}

/* Control bits that change translations.  Filling compares them with the
 * last fill's and flushes on a difference: a safety net for a caller that
 * changed one without paging_flush (hits on old entries remain possible
 * until then, as on hardware without the required invalidation). */
static uint64_t paging_ctx(const CPU *cpu)
{
    if (!(cpu->cr0 & CR0_PG))  /* identity; 32-bit truncation outside 64-bit code */
        return (uint64_t)(cpu->code_mode == CODE64) << 63;
    return (cpu->cr0 & (CR0_PG | CR0_WP)) | (cpu->cr4 & (CR4_PSE | CR4_PAE | CR4_PGE)) |
           (cpu->efer & (EFER_LMA | EFER_NXE)) << 32;
}

TlbEntry *tlb_fill(CPU *cpu, uint64_t lin, int access, bool raise)
{
    Tlb *t = cpu->tlb ? cpu->tlb : tlb_attach(cpu);
    Mem *m = cpu->mem;
    int type = access & ACC_TYPE_MASK;
    bool user = cpu->cpl == 3 && !(access & ACC_SUPER);
    uint64_t ctx = paging_ctx(cpu);
    if (ctx != t->ctx) {
        tlb_flush(t, true);
        t->pdptes_valid = false;
        t->ctx = ctx;
    }
    PageWalk w = { .page_shift = 12, .writable = true, .executable = true, .dirty = true };
    t->stats.fills++;
    if (cpu->cr0 & CR0_PG) {
        t->stats.walks++;
        if (!paging_translate(cpu, lin, type | (access & ACC_SUPER), &w)) {
            if (!raise)
                return NULL;
            cpu->cr2 = lin;
            cpu_raise(cpu, EXC_PF, w.error, true);
        }
    } else {
        w.pa = cpu->code_mode == CODE64 ? lin : (lin & 0xffffffffull);
    }
    lin &= TLB_PAGE_MASK;
    uint64_t pa = w.pa & m->a20_mask & TLB_PAGE_MASK;
    unsigned idx = (lin >> 12) & (TLB_ENTRIES - 1);
    TlbEntry *e = &t->e[user][idx];
    TlbInfo *in = &t->info[user][idx];
    clear_slot(e);
    in->lin = lin;
    in->pa = pa;
    in->global = w.global;
    in->shift = w.page_shift;
    t->has_large |= w.page_shift > 12;

    uint8_t *rd = mem_phys_ptr(m, pa, 4096, false);
    uint8_t *wr = mem_phys_ptr(m, pa, 4096, true);
    e->addend = (uintptr_t)rd - (uintptr_t)lin;
    uint64_t rflags = rd ? 0 : TLB_MMIO;
    /* #AC checks and data breakpoints see every data access (debug.h). */
    uint64_t watch = (cpu->debug_active & DBG_DATA) ? TLB_WATCH : 0;
    e->tag[ACC_READ] = lin | rflags | watch;
    if (w.executable)
        e->tag[ACC_EXEC] = lin | rflags;
    /* A clean page keeps its write tag empty so the first write walks and
     * sets D. */
    if (w.writable && w.dirty) {
        uint64_t wflags = wr ? 0 : TLB_MMIO;
        if (wr && pa < m->ram_size && m->code_pages[pa >> 12])
            wflags |= TLB_CODE;
        e->tag[ACC_WRITE] = lin | wflags | watch;
    }
    return e;
}

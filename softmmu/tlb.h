/* tlb.h — the software TLB and its inline hit path.
 *
 * Direct-mapped, TLB_ENTRIES slots per privilege set (set 0: supervisor
 * accesses, set 1: user accesses, so a CPL change needs no flush), indexed
 * by linear page number.  A slot caches one 4 KiB linear page:
 *   tag[ACC_READ], tag[ACC_WRITE], tag[ACC_EXEC]: the linear page address
 *       when that access is allowed without a walk, ORed with low "take the
 *       slow path" bits (TLB_*), or TLB_INVALID;
 *   addend: host address = linear address + addend (RAM and ROM pages).
 * A hit is one compare and one add: the tag must equal the page of the
 * access's LAST byte, which also sends page-crossing accesses to the slow
 * path (the slot of page N can never hold page N+1).
 *
 * Slow-path bits: TLB_MMIO (not host memory: MMIO, unmapped, or a ROM page
 * for writes), TLB_CODE (write tag of a page holding decoded code, so the
 * store goes through mem_phys_write and the code cache sees it),
 * TLB_WATCH (read/write tags while MmuCtx.debug_active has MMU_WATCH_DATA,
 * write tags only with MMU_WATCH_WRITES_ONLY:
 * the CPU checks #AC and data breakpoints on its slow path, cpu/debug.h).
 *
 * Write tags are only filled once the leaf's D bit is set, so the first
 * write to a clean page always walks and sets D.  Large pages are cached as
 * 4 KiB pieces; INVLPG drops every piece of a large page.
 *
 * Lifetime: a CPU's TLB is allocated on its first memory access (MmuCtx.tlb
 * NULL until then), registered in its Mem (A20 changes, memory-map changes
 * and new code pages reach every TLB), and freed by mem_free().
 */
#ifndef RZ_TLB_H
#define RZ_TLB_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mem.h"
#include "mmu.h"

#define TLB_BITS 9
#define TLB_ENTRIES (1u << TLB_BITS)
#define TLB_PAGE_MASK (~(uint64_t)0xfff)

enum {
    TLB_INVALID = 1u << 0,
    TLB_MMIO = 1u << 1,
    TLB_CODE = 1u << 2,
    TLB_WATCH = 1u << 3,
    TLB_SLOW = TLB_MMIO | TLB_CODE | TLB_WATCH,  /* valid, but not for the inline path */
};

typedef struct TlbEntry {
    uint64_t tag[3];      /* by ACC_READ / ACC_WRITE / ACC_EXEC */
    uintptr_t addend;
} TlbEntry;

/* Cold per-slot data, for the slow path and invalidation. */
typedef struct TlbInfo {
    uint64_t lin;         /* linear page */
    uint64_t pa;          /* physical page (after A20) */
    uint8_t shift;        /* page size it came from: 12, 21, 22 */
    bool global;
    uint16_t live_pos;    /* index in Tlb.live, TLB_NIL when not live */
    uint16_t pa_next;     /* next live slot in the same pa bucket, or TLB_NIL */
} TlbInfo;

/* Invalidation touches only what was filled.  A slot is "live" from its
 * fill until it is cleared; live slots are listed in Tlb.live (a flush walks
 * that, not every slot) and chained by physical page from Tlb.pa_head (a
 * page becoming code finds its mappings there).  A slot that is not live is
 * all invalid.  Slots are numbered user * TLB_ENTRIES + index. */
#define TLB_SLOTS (2 * TLB_ENTRIES)
#define TLB_PA_BUCKETS 1024
#define TLB_NIL 0xffff

typedef struct TlbStats {
    uint64_t fills, walks, flushes, flushes_global, invlpgs, slow_mmio, slow_code;
} TlbStats;

typedef struct Tlb {
    TlbEntry e[2][TLB_ENTRIES];
    TlbInfo info[2][TLB_ENTRIES];
    MmuCtx *owner;        /* whose TLB it is */
    Mem *mem;
    struct Tlb *next;     /* Mem's list */
    uint16_t live[TLB_SLOTS];
    unsigned nlive;
    uint16_t pa_head[TLB_PA_BUCKETS];
    bool has_large;       /* a slot holds a piece of a large page */
    bool pdptes_valid;    /* PAE PDPTE registers loaded since the last flush */
    uint64_t pdpte[4];
    uint64_t ctx;         /* paging-relevant control bits when last filled */
    /* Bumped by every flush and INVLPG.  While it is unchanged, no
     * translation was invalidated, so one obtained earlier may be used as if
     * it were still cached (hardware may keep any entry until then): the
     * tier-0 loop's successor hints rely on this. */
    uint64_t gen;
    TlbStats stats;
} Tlb;

/* Allocates and registers the TLB of c (if it has none); returns it. */
Tlb *tlb_attach(MmuCtx *c);
/* Unregisters and frees; c->tlb becomes NULL. */
void tlb_detach(MmuCtx *c);
void tlb_flush(Tlb *t, bool include_global);
void tlb_invlpg(Tlb *t, uint64_t lin);
/* Marks write tags of every slot mapping physical page pa as TLB_CODE. */
void tlb_note_code_page(Tlb *t, uint64_t pa);

/* Fills the slot for lin for access (ACC_* | ACC_SUPER); returns NULL on a
 * page fault, described in *pf unless pf is NULL. */
TlbEntry *tlb_fill(MmuCtx *c, uint64_t lin, int access, PageFault *pf);

/* Always inlined: the handlers' specialised instances fold the size. */
#define TLB_INLINE static inline __attribute__((always_inline))

TLB_INLINE uint64_t tlb_host_load(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    case 8: { uint64_t v; memcpy(&v, p, 8); return v; }
    default: { uint64_t v = 0; memcpy(&v, p, size); return v; }
    }
}

TLB_INLINE void tlb_host_store(uint8_t *p, uint64_t v, unsigned size)
{
    switch (size) {
    case 1: *p = (uint8_t)v; break;
    case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    case 8: memcpy(p, &v, 8); break;
    default: memcpy(p, &v, size); break;
    }
}

TLB_INLINE TlbEntry *tlb_slot(Tlb *t, uint64_t lin, bool user)
{
    return &t->e[user][(lin >> 12) & (TLB_ENTRIES - 1)];
}

/* The hit path is the caller's (the CPU core inlines it: cpu/access.c,
 * cpu/operand.h): tlb_slot(t, lin, cpl == 3)->tag[type] equal to the page
 * of the access's last byte, then tlb_host_load/tlb_host_store at
 * lin + addend.  Anything else goes to mmu_read/mmu_write (mem.h). */

#endif

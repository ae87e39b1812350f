/* paging.h — page-table walks for 32-bit, PAE and 4-level paging.
 *
 * Modes (Intel SDM vol. 3 ch. 4), chosen from CR0.PG, CR4.PAE, EFER.LMA:
 *   32-bit: 2 levels of 4-byte entries; 4 MiB pages with CR4.PSE (PSE-36:
 *           PDE bits 20:13 are physical bits 39:32, bit 21 reserved).
 *   PAE:    4 PDPTEs (loaded from CR3 & ~31, see paging_load_pdptes), then
 *           2 levels of 8-byte entries; 2 MiB pages; XD with EFER.NXE.
 *   4-level (EFER.LMA): PML4, PDPT, PD, PT; 2 MiB pages.  1 GiB pages are
 *           not supported (CPUID does not advertise pdpe1gb), so PS in a
 *           PDPTE is a reserved bit.
 * MAXPHYADDR is PAGING_PHYS_BITS (it must match CPUID 0x80000008 in
 * cpu/cpuid.c); entry bits from there up to 51 (62 in PAE) are reserved.
 *
 * Accessed/dirty: A is set in each non-leaf entry as the walk passes it
 * (present, no reserved bit), in the leaf only when the access is allowed;
 * D is set in the leaf for an allowed write.  A faulting access leaves the
 * leaf untouched.  Entries are read and written through mem_phys_read /
 * mem_phys_write, so tables in MMIO or unmapped space (all-ones) never reach
 * host memory outside guest RAM.
 *
 * Access types are ACC_READ / ACC_WRITE / ACC_EXEC, optionally ORed with
 * (mmu.h):
 *   ACC_SUPER  an implicit supervisor access (descriptor tables, TSS, IDT,
 *              the stack switch of an interrupt): checked as CPL 0 even when
 *              CPL is 3, and reported with U/S = 0 in a #PF error code.
 *   ACC_PROBE  no A/D updates at all (debugger, monitor, trace).
 * User accesses are those at CPL 3 without ACC_SUPER.
 *
 * #PF (reported as a PageFault, raised by the CPU core): CR2 = the linear
 * address; error code P (bit 0, set for a protection
 * or reserved-bit fault), W/R (1), U/S (2), RSVD (3), I/D (4: an instruction
 * fetch, reported only with CR4.PAE and EFER.NXE set, as Intel does).
 * SMEP, SMAP and protection keys are not implemented (CR4 rejects them).
 */
#ifndef RZ_PAGING_H
#define RZ_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu.h"

#define PAGING_PHYS_BITS 40

/* Page-table entry bits */
enum {
    PTE_P = 1u << 0, PTE_RW = 1u << 1, PTE_US = 1u << 2, PTE_PWT = 1u << 3,
    PTE_PCD = 1u << 4, PTE_A = 1u << 5, PTE_D = 1u << 6, PTE_PS = 1u << 7,
    PTE_G = 1u << 8,
};
#define PTE_XD (1ull << 63)

/* #PF error code bits */
enum { PF_P = 1u << 0, PF_W = 1u << 1, PF_U = 1u << 2, PF_RSVD = 1u << 3, PF_I = 1u << 4 };

/* The result of one walk. */
typedef struct PageWalk {
    uint64_t pa;          /* physical address of the linear address */
    uint32_t error;       /* #PF error code when the walk failed */
    uint8_t page_shift;   /* 12, 21 or 22 */
    bool writable;        /* this access's privilege may write the page */
    bool executable;      /* ... and fetch from it */
    bool dirty;           /* the leaf's D bit is set (after this access) */
    bool global;          /* G in the leaf with CR4.PGE */
} PageWalk;

/* Walks the tables for lin and checks access (ACC_* | ACC_SUPER |
 * ACC_PROBE) at c's CPL.  Returns true with w filled (A/D updated), or
 * false with w->error.  Does not use or fill the TLB.  Only meaningful with
 * CR0.PG set. */
bool paging_translate(MmuCtx *c, uint64_t lin, int access, PageWalk *w);
/* The same with only the physical address: false on a fault. */
bool paging_probe(MmuCtx *c, uint64_t lin, int access, uint64_t *pa);

/* Loads the four PAE PDPTEs from CR3 (as MOV CR3 / MOV CR0 / MOV CR4 do in
 * PAE mode).  Returns false if one that is present has a reserved bit set:
 * the caller raises #GP(0).  The walker also loads them lazily after a
 * paging_flush, so calling this is only needed for the #GP check. */
bool paging_load_pdptes(MmuCtx *c);

/* TLB maintenance, called by the CPU's system instructions:
 *   MOV CR3: paging_flush(c, false) (global entries survive);
 *   MOV CR0 changing PG/WP/PE, MOV CR4 changing PSE/PAE/PGE, EFER.NXE,
 *   task switches that load CR3 ... : paging_flush(c, true);
 *   INVLPG: paging_invlpg(c, lin) (also global entries; the whole large
 *   page when lin was mapped by one).
 * paging_flush also marks the PAE PDPTEs for reloading.  CPL changes need nothing:
 * the TLB keeps supervisor and user translations apart. */
void paging_flush(MmuCtx *c, bool include_global);
void paging_invlpg(MmuCtx *c, uint64_t lin);

#endif

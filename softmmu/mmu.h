/* mmu.h — the CPU as the softmmu sees it.
 *
 * The softmmu translates linear addresses for a CPU without knowing the CPU:
 * it reads an MmuCtx (the translation controls, privilege and address width,
 * the CPU's TLB and memory) and reports a page fault as a PageFault for the
 * CPU core to raise (cpu/access.c turns it into #PF).  The CPU embeds its
 * MmuCtx (CPU.mmu in cpu/cpu.h, through an anonymous union, so cpu->cr0 and
 * cpu->mmu.cr0 are the same field): nothing is copied when a control
 * register changes, and the TLB's hit path reads cpu->tlb and cpu->cpl as
 * before.
 */
#ifndef RZ_MMU_H
#define RZ_MMU_H

#include <stdint.h>

typedef struct Mem Mem;
struct Tlb;

/* Operating mode as seen by the decoder.  The softmmu needs only "64-bit
 * code or not": outside 64-bit code, linear addresses wrap at 4 GiB. */
enum { CODE16 = 0, CODE32 = 1, CODE64 = 2 };

/* Access types (the TLB keeps one tag per type), optionally ORed with
 * ACC_SUPER (an implicit supervisor access: descriptor tables, TSS, IDT;
 * checked as CPL 0 even at CPL 3) or ACC_PROBE (no accessed/dirty updates:
 * debugger, monitor).  See paging.h. */
enum { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };
enum { ACC_TYPE_MASK = 3, ACC_SUPER = 4, ACC_PROBE = 8 };

/* Bit of MmuCtx.debug_active that makes every data access take the slow
 * path (TLB_WATCH), where the CPU checks #AC and data breakpoints
 * (cpu/debug.h calls it DBG_DATA; the other bits are the CPU's own).
 * MMU_WATCH_WRITES_ONLY, with it: only write tags carry TLB_WATCH, so
 * reads that hit stay on the inline path (a watcher that needs to see
 * writes only; reads of devices and misses reach the slow path anyway). */
enum { MMU_WATCH_DATA = 2, MMU_WATCH_WRITES_ONLY = 4 };

/* Mask of the low size bytes (an access of size bytes; what an unmapped
 * one reads).  Here because the softmmu is the lowest layer using it. */
static inline uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* The fields, once, for MmuCtx and for the CPU's anonymous copy of it.
 * The ones every inline TLB hit reads come first, so in the CPU they share
 * a cache line with the segment registers just before them. */
#define MMU_CTX_FIELDS                                                        \
    struct Tlb *tlb;      /* NULL until the first access (tlb.h) */           \
    uint8_t code_mode;    /* CODE16/32/64 */                                  \
    uint8_t cpl;          /* 3: user accesses (unless ACC_SUPER) */           \
    uint8_t debug_active; /* MMU_WATCH_DATA, and the CPU's other bits */      \
    /* Set by devices (reset, exit) to leave cpu_run; the code cache ORs in  \
     * CC_STOP_CODE when it drops decoded code.  The softmmu only carries   \
     * it: every CPU of a Mem is on its TLB list. */                         \
    volatile int stop_request;                                                \
    Mem *mem;             /* guest physical and port space */                 \
    uint64_t cr0, cr3, cr4, efer;  /* translation controls (ctlregs.h) */

typedef struct MmuCtx {
    MMU_CTX_FIELDS
} MmuCtx;

/* A page fault found by a translation: the CPU sets CR2 = lin and raises
 * #PF with error (paging.h lists its bits). */
typedef struct PageFault {
    uint64_t lin;
    uint32_t error;
} PageFault;

#endif

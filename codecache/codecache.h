/* codecache.h — pre-decoded guest blocks keyed by physical address + mode.
 *
 * A block is a run of decoded instructions that ends at a block-ending form,
 * a page limit (a block may span two pages) or a length limit.  Every RAM
 * page a block was built from is marked in Mem.code_pages; a guest write to
 * such a page invalidates all blocks touching it and bumps the generation so
 * a block that wrote its own code stops before its next instruction.
 */
#ifndef RZ_CODECACHE_H
#define RZ_CODECACHE_H

#include <stdint.h>

#include "../cpu/insn.h"

#define BLOCK_MAX_INSNS 64

/* Bit of CPU.stop_request the cache sets in every CPU sharing its memory
 * when it invalidates code: the tier-0 loop tests stop_request alone after
 * each instruction, so a block that wrote code (possibly its own next
 * instruction) stops there; the loop clears this bit and goes on. */
#define CC_STOP_CODE 2

typedef struct Block {
    uint64_t pa;          /* physical address of the first byte */
    uint64_t pa_end;      /* physical page of the last byte (for spanning) */
    uint64_t key;         /* mode key */
    uint64_t rip;         /* linear address it was built at */
    /* CS offset of the block's last byte (0 in 64-bit code, which has no
     * limit): the block may run only while it is within CS.limit.  The
     * limit is not in the key, so one block serves every CS it fits. */
    uint64_t cs_last;
    struct Block *hash_next;
    struct Block *page_next[2]; /* per-RAM-page lists for invalidation */
    /* The blocks that ran after this one most recently: a hint that saves
     * the hash lookup.  Never trusted: the loop checks (pa, key, rip, valid)
     * of a hint exactly as a lookup would, so a stale or recycled pointer is
     * only a miss. */
    struct Block *succ[2];
    /* The TLB generation (Tlb.gen) in which each hint was last checked. */
    uint64_t succ_gen[2];
    uint32_t exec_count;
    uint16_t ninsns;
    uint8_t valid;
    /* Every instruction is a hot handler (spec.h), none of which changes
     * anything in the mode key: after the block ran, the key is still its
     * own. */
    uint8_t plain;
    Insn insns[BLOCK_MAX_INSNS];
    /* What runs each instruction: the handler's specialised instance when
     * it has them (insn_handler, cpu/spec.c), else the table's handler. */
    Handler fn[BLOCK_MAX_INSNS];
} Block;

typedef struct CodeCacheStats {
    uint64_t blocks_built, lookups, hits, invalidations, flushes;
    uint64_t chained;     /* of the hits, found through a successor hint */
} CodeCacheStats;

#define CC_HASH_BITS 14

/* Public only so the tier-0 loop reads the generation and counts hint hits
 * without a call; everything else goes through the functions below. */
struct CodeCache {
    uint64_t generation;
    CodeCacheStats stats;
    Mem *mem;
    Block *hash[1u << CC_HASH_BITS];
    Block **page_head;    /* per RAM page: blocks built from it */
    uint64_t npages;
    Block *pool;
    uint32_t used;
    CodeCacheStats stats_view;  /* what codecache_stats returns */
};
typedef struct CodeCache CodeCache;

CodeCache *codecache_new(Mem *mem);
void codecache_free(CodeCache *cc);
Block *codecache_lookup(CodeCache *cc, uint64_t pa, uint64_t key);
/* Allocates an empty block for (pa, key); the caller fills insns. */
Block *codecache_alloc(CodeCache *cc, uint64_t pa, uint64_t key);
/* Records the pages [pa, pa_last] as holding code for b and links it in. */
void codecache_commit(CodeCache *cc, Block *b, uint64_t pa_last);
void codecache_flush(CodeCache *cc);
/* Invalidates blocks built from the page holding paddr. */
void codecache_invalidate_page(CodeCache *cc, uint64_t paddr);
/* Bumped on every invalidation: a running block compares it after each
 * instruction. */
static inline uint64_t codecache_generation(const CodeCache *cc) { return cc->generation; }
/* Counts so far; lookups and hits include the hint hits (chained), which
 * the loop counts alone to save two increments per block. */
const CodeCacheStats *codecache_stats(CodeCache *cc);

#endif

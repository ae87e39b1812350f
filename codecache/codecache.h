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

#include <stddef.h>
#include <stdint.h>

typedef struct Mem Mem;

/* Bit of MmuCtx.stop_request (softmmu/mmu.h) the cache sets in every CPU
 * sharing its memory when it invalidates code: the tier-0 loop tests
 * stop_request alone after each instruction, so a block that wrote code
 * (possibly its own next instruction) stops there; the loop clears this bit
 * and goes on. */
#define CC_STOP_CODE 2

/* What the cache knows of a block: where and for which mode it was built,
 * its links, and its counters.  The payload (the decoded instructions) is
 * the client's: the CPU core's Block (cpu/block.h) starts with these
 * fields, as an anonymous copy beside a BlockHead in a union, so it reads
 * them by their names; the cache is told the whole block's size at
 * codecache_new and never looks past the head. */
#define BLOCK_HEAD_FIELDS                                                     \
    uint64_t pa;          /* physical address of the first byte */            \
    uint64_t pa_end;      /* physical page of the last byte (for spanning) */ \
    uint64_t key;         /* mode key */                                      \
    uint64_t rip;         /* linear address it was built at */                \
    struct BlockHead *hash_next;                                              \
    struct BlockHead *page_next[2]; /* per-RAM-page lists for invalidation */ \
    /* The blocks that ran after this one most recently: a hint that saves   \
     * the hash lookup.  Never trusted: the loop checks (pa, key, rip, valid)\
     * of a hint exactly as a lookup would, so a stale or recycled pointer  \
     * is only a miss.  The client's blocks (void *: the cache never follows \
     * them). */                                                              \
    void *succ[2];                                                            \
    /* The TLB generation (Tlb.gen) in which each hint was last checked. */   \
    uint64_t succ_gen[2];                                                     \
    /* Tier 1 (dbt/): the execute address of the block's host code, NULL    \
     * while tier 0 runs it; the translator's record of the block (NULL:    \
     * not offered to it yet).  Both cleared when the block is (re)used.     \
     * The cache calls on_invalidate before a block with host_info set is    \
     * invalidated or flushed, so jumps into its code are undone first. */  \
    void *host;                                                               \
    void *host_info;                                                          \
    uint32_t exec_count;                                                      \
    uint16_t ninsns;                                                          \
    uint8_t valid;                                                            \
    /* Every instruction is a hot handler (cpu/spec.h), none of which        \
     * changes anything in the mode key: after the block ran, the key is    \
     * still its own. */                                                      \
    uint8_t plain;

typedef struct BlockHead {
    BLOCK_HEAD_FIELDS
} BlockHead;

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
    BlockHead *hash[1u << CC_HASH_BITS];
    BlockHead **page_head;    /* per RAM page: blocks built from it */
    uint64_t npages;
    unsigned char *pool;      /* POOL_BLOCKS blocks of block_size bytes */
    size_t block_size;
    uint32_t used;
    CodeCacheStats stats_view;  /* what codecache_stats returns */
    /* The translator's hooks (codecache_set_hooks); NULL: none. */
    void (*on_invalidate)(void *opaque, BlockHead *b);
    void (*on_flush)(void *opaque);
    void *hook_opaque;
};
typedef struct CodeCache CodeCache;

/* block_size: the client's whole block (head first), a multiple of its
 * alignment (sizeof of the client's type). */
CodeCache *codecache_new(Mem *mem, size_t block_size);
void codecache_free(CodeCache *cc);
BlockHead *codecache_lookup(CodeCache *cc, uint64_t pa, uint64_t key);
/* Allocates an empty block for (pa, key); the caller fills the payload. */
BlockHead *codecache_alloc(CodeCache *cc, uint64_t pa, uint64_t key);
/* Records the pages [pa, pa_last] as holding code for b and links it in. */
void codecache_commit(CodeCache *cc, BlockHead *b, uint64_t pa_last);
void codecache_flush(CodeCache *cc);
/* on_invalidate runs for a block with host_info set as it is invalidated,
 * on_flush before every flush (the blocks' memory is about to be reused). */
void codecache_set_hooks(CodeCache *cc, void (*on_invalidate)(void *, BlockHead *),
                         void (*on_flush)(void *), void *opaque);
/* Invalidates blocks built from the page holding paddr. */
void codecache_invalidate_page(CodeCache *cc, uint64_t paddr);
/* Bumped on every invalidation: a running block compares it after each
 * instruction. */
static inline uint64_t codecache_generation(const CodeCache *cc) { return cc->generation; }
/* Counts so far; lookups and hits include the hint hits (chained), which
 * the loop counts alone to save two increments per block. */
const CodeCacheStats *codecache_stats(CodeCache *cc);

#endif

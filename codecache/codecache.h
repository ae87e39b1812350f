/* codecache.h — guest blocks keyed by physical address + mode, and the
 * host code translated from them.
 *
 * A block is a run of decoded instructions that ends at a block-ending form,
 * a page limit (a block may span two pages) or a length limit.  Every RAM
 * page a block was built from is marked in Mem.code_pages; a guest write to
 * such a page invalidates all blocks touching it and bumps the generation so
 * a block that wrote its own code stops before its next instruction.
 *
 * Memory: one size (codecache_new's size_bytes, `-accel ...,tb-size=N`
 * MiB) for everything.  Half is executable memory for host code (a W^X
 * ExecMem, execmem.h); the other half holds fixed-size block heads (one per
 * CC_BYTES_PER_HEAD of it) and, after them, the blocks' payloads (their
 * decoded instructions), each exactly as long as its block needs, from a
 * bump pointer.  Nothing is freed one block at a time: when heads, payload
 * or host code run out the whole cache is flushed, and nothing ever fails.
 * Only pages written to become resident.
 */
#ifndef RZ_CODECACHE_H
#define RZ_CODECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "execmem.h"

typedef struct Mem Mem;

/* Bit of MmuCtx.stop_request (softmmu/mmu.h) the cache sets in every CPU
 * sharing its memory when it invalidates code: the tier-0 loop tests
 * stop_request alone after each instruction, so a block that wrote code
 * (possibly its own next instruction) stops there; the loop clears this bit
 * and goes on. */
#define CC_STOP_CODE 2

/* What the cache knows of a block: where and for which mode it was built,
 * its links, its counters and its host code.  The payload (the decoded
 * instructions) is the client's: the CPU core's Block (cpu/block.h) starts
 * with these fields, as an anonymous copy beside a BlockHead in a union, so
 * it reads them by their names; the cache is told the head's size at
 * codecache_new and never looks past the fields below.
 *
 * Heads sit in an array of fixed-size slots that lives as long as the
 * cache, so a stale pointer to a block (a successor hint, the loop's
 * previous block across a flush) always points at some block's head: the
 * fields the hot loop checks (pa, key, rip, valid) are never garbage. */
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
    /* The translator's (dbt/): host is the execute address of the block's  \
     * host code (in the cache's ExecMem), NULL while tier 0 runs it;       \
     * host_info its own record of the block (exits, chained jumps, the map \
     * from host offsets to guest instructions), opaque to the cache.  Both  \
     * NULL in a new block; the cache never reads them. */                    \
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
    /* Memory now (not counts since start): blocks allocated since the last
     * flush (valid or invalidated), their heads and payloads against the
     * decoded half's capacity, host code against the executable half's. */
    uint64_t blocks;
    uint64_t decoded_bytes, decoded_capacity;
    uint64_t host_bytes, host_capacity;
} CodeCacheStats;

/* The default and smallest sizes (codecache_new). */
#define CC_DEFAULT_SIZE (64u << 20)
#define CC_MIN_SIZE (1u << 20)
/* One head slot for each this many bytes of the decoded half: room for
 * about 15 instructions a block besides the head. */
#define CC_BYTES_PER_HEAD 1024
/* The largest payload one block may ask for (far below what CC_MIN_SIZE
 * leaves for payloads, so a flush always makes room). */
#define CC_MAX_PAYLOAD (64u << 10)

/* Public only so the tier-0 loop reads the generation and counts hint hits
 * without a call; everything else goes through the functions below. */
struct CodeCache {
    uint64_t generation;
    CodeCacheStats stats;
    Mem *mem;
    BlockHead **hash;         /* 2^(64 - hash_shift) buckets, >= nheads */
    unsigned hash_shift;
    BlockHead **page_head;    /* per RAM page: blocks built from it */
    uint64_t npages;
    unsigned char *decoded;   /* heads, then payloads (one mapping) */
    size_t decoded_size;
    size_t head_size;         /* one slot */
    uint32_t nheads, used;    /* slots; slots taken since the last flush */
    unsigned char *payload;   /* decoded + nheads * head_size */
    size_t payload_cap, payload_used;
    ExecMem exec;
    bool flush_pending;       /* host code ran out: flush at the next alloc */
    bool flushing;            /* the invalidate hook runs for a flush, not a write */
    void (*flush_hook)(void *opaque);
    void *flush_opaque;
    void (*on_invalidate)(void *opaque, BlockHead *b);
    void *invalidate_opaque;
    CodeCacheStats stats_view;  /* what codecache_stats returns */
};
typedef struct CodeCache CodeCache;

/* head_size: the client's block head type (BlockHead first); size_bytes:
 * the whole cache, 0 for CC_DEFAULT_SIZE, raised to CC_MIN_SIZE.  NULL with
 * one line in err when memory (or the executable mapping) is refused. */
CodeCache *codecache_new(Mem *mem, size_t head_size, size_t size_bytes, char *err, size_t errlen);
void codecache_free(CodeCache *cc);
BlockHead *codecache_lookup(CodeCache *cc, uint64_t pa, uint64_t key);
/* The same, not counted in the statistics: the translator looking ahead. */
BlockHead *codecache_find(CodeCache *cc, uint64_t pa, uint64_t key);
/* Allocates an empty block for (pa, key) with payload_size bytes (at most
 * CC_MAX_PAYLOAD) of payload (16-byte aligned) at *payload; the caller fills them and commits.  May
 * flush the whole cache first (when full), so the caller must not hold
 * another block's payload across it. */
BlockHead *codecache_alloc(CodeCache *cc, uint64_t pa, uint64_t key, size_t payload_size,
                           void **payload);
/* Records the pages [pa, pa_last] as holding code for b and links it in. */
void codecache_commit(CodeCache *cc, BlockHead *b, uint64_t pa_last);
/* Drops every block and all host code: on_invalidate for each valid block,
 * then the flush hook, then the memory is reused from the start. */
void codecache_flush(CodeCache *cc);
/* Invalidates blocks built from the page holding paddr. */
void codecache_invalidate_page(CodeCache *cc, uint64_t paddr);
/* Bumped on every invalidation: a running block compares it after each
 * instruction. */
static inline uint64_t codecache_generation(const CodeCache *cc) { return cc->generation; }
/* Counts so far; lookups and hits include the hint hits (chained), which
 * the loop counts alone to save two increments per block. */
const CodeCacheStats *codecache_stats(CodeCache *cc);

/* For the translator.  Host code: size bytes of the write view
 * (execmem_exec_addr(codecache_execmem(cc), w) is where they run), or NULL
 * when the executable half is full; then the cache flushes at its next
 * codecache_alloc, so the block being translated stays in tier 0 until its
 * next build. */
void *codecache_alloc_host(CodeCache *cc, size_t size);
static inline ExecMem *codecache_execmem(CodeCache *cc) { return &cc->exec; }
/* fn(opaque) runs on every flush, after the blocks' on_invalidate and
 * before any memory is reused: the translator drops its state (chains,
 * lookup caches, anything pointing into host code).  NULL unsets. */
void codecache_set_flush_hook(CodeCache *cc, void (*fn)(void *opaque), void *opaque);
/* fn(opaque, b) runs when b stops being valid (a write to its code, a
 * flush), before its head or memory can be reused and while b's fields are
 * intact: the translator unchains the jumps into b's host code.  NULL
 * unsets. */
void codecache_set_invalidate_hook(CodeCache *cc, void (*fn)(void *opaque, BlockHead *b),
                                   void *opaque);

#endif

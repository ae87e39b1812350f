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

typedef struct Block {
    uint64_t pa;          /* physical address of the first byte */
    uint64_t pa_end;      /* physical page of the last byte (for spanning) */
    uint64_t key;         /* mode key */
    uint64_t rip;         /* linear address it was built at */
    struct Block *hash_next;
    struct Block *page_next[2]; /* per-RAM-page lists for invalidation */
    uint32_t exec_count;
    uint16_t ninsns;
    uint8_t valid;
    Insn insns[BLOCK_MAX_INSNS];
} Block;

typedef struct CodeCacheStats {
    uint64_t blocks_built, lookups, hits, invalidations, flushes;
} CodeCacheStats;

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
uint64_t codecache_generation(const CodeCache *cc);
const CodeCacheStats *codecache_stats(const CodeCache *cc);

#endif

/* codecache.c — block storage, lookup and page-precise invalidation. */
#include "codecache.h"

#include <stdlib.h>
#include <string.h>

#include "../softmmu/mem.h"
#include "../softmmu/tlb.h"

#define HASH_BITS CC_HASH_BITS
#define POOL_BLOCKS 16384

static void on_code_write(void *opaque, uint64_t paddr, unsigned size)
{
    CodeCache *cc = opaque;
    codecache_invalidate_page(cc, paddr);
    if (((paddr + size - 1) >> 12) != (paddr >> 12))
        codecache_invalidate_page(cc, paddr + size - 1);
}

CodeCache *codecache_new(Mem *mem, size_t block_size)
{
    CodeCache *cc = calloc(1, sizeof *cc);
    if (!cc)
        return NULL;
    cc->mem = mem;
    cc->npages = (mem->ram_end + 4095) >> 12;
    cc->page_head = calloc(cc->npages, sizeof *cc->page_head);
    cc->block_size = block_size;
    cc->pool = malloc(block_size * POOL_BLOCKS);
    if (!cc->page_head || !cc->pool) {
        codecache_free(cc);
        return NULL;
    }
    mem->code_write = on_code_write;
    mem->code_opaque = cc;
    return cc;
}

void codecache_free(CodeCache *cc)
{
    if (!cc)
        return;
    if (cc->mem && cc->mem->code_opaque == cc)
        cc->mem->code_write = NULL;
    free(cc->page_head);
    free(cc->pool);
    free(cc);
}

static unsigned hash(uint64_t pa, uint64_t key)
{
    uint64_t h = (pa ^ (key * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return (unsigned)(h >> (64 - HASH_BITS));
}

BlockHead *codecache_lookup(CodeCache *cc, uint64_t pa, uint64_t key)
{
    cc->stats.lookups++;
    for (BlockHead *b = cc->hash[hash(pa, key)]; b; b = b->hash_next)
        if (b->pa == pa && b->key == key && b->valid) {
            cc->stats.hits++;
            return b;
        }
    return NULL;
}

void codecache_set_hooks(CodeCache *cc, void (*on_invalidate)(void *, BlockHead *),
                         void (*on_flush)(void *), void *opaque)
{
    cc->on_invalidate = on_invalidate;
    cc->on_flush = on_flush;
    cc->hook_opaque = opaque;
}

void codecache_flush(CodeCache *cc)
{
    if (cc->on_flush)
        cc->on_flush(cc->hook_opaque);
    memset(cc->hash, 0, sizeof cc->hash);
    memset(cc->page_head, 0, cc->npages * sizeof *cc->page_head);
    memset(cc->mem->code_pages, 0, cc->npages);
    cc->used = 0;
    cc->generation++;
    cc->stats.flushes++;
}

BlockHead *codecache_alloc(CodeCache *cc, uint64_t pa, uint64_t key)
{
    if (cc->used == POOL_BLOCKS)
        codecache_flush(cc);
    BlockHead *b = (BlockHead *)(cc->pool + cc->block_size * cc->used++);
    b->pa = pa;
    b->key = key;
    b->ninsns = 0;
    b->exec_count = 0;
    b->host = b->host_info = NULL;
    b->valid = 0;
    b->plain = 0;
    b->hash_next = NULL;
    b->page_next[0] = b->page_next[1] = NULL;
    b->succ[0] = b->succ[1] = NULL;
    return b;
}

void codecache_commit(CodeCache *cc, BlockHead *b, uint64_t pa_last)
{
    b->pa_end = pa_last;
    b->valid = 1;
    unsigned h = hash(b->pa, b->key);
    b->hash_next = cc->hash[h];
    cc->hash[h] = b;
    uint64_t pages[2] = { b->pa >> 12, pa_last >> 12 };
    for (int i = 0; i < 2; i++) {
        if (i == 1 && pages[1] == pages[0])
            break;
        if (pages[i] >= cc->npages)
            continue;  /* ROM: never written */
        b->page_next[i] = cc->page_head[pages[i]];
        cc->page_head[pages[i]] = b;
        cc->mem->code_pages[pages[i]] = 1;
    }
    cc->stats.blocks_built++;
}

/* Dead blocks leave their hash chain at once: code that rewrites itself in
 * a loop would otherwise grow one chain by a block per rewrite until the
 * pool is flushed, and every lookup would walk it. */
static void unlink_hash(CodeCache *cc, BlockHead *b)
{
    for (BlockHead **p = &cc->hash[hash(b->pa, b->key)]; *p; p = &(*p)->hash_next)
        if (*p == b) {
            *p = b->hash_next;
            b->hash_next = NULL;
            return;
        }
}

void codecache_invalidate_page(CodeCache *cc, uint64_t paddr)
{
    uint64_t page = paddr >> 12;
    if (page >= cc->npages)
        return;
    /* A block is on one or two page lists; invalid blocks stay linked on the
     * other page's list until that page is rebuilt or the pool is flushed. */
    for (BlockHead *b = cc->page_head[page]; b; ) {
        int slot = (b->pa >> 12) == page ? 0 : 1;
        BlockHead *next = b->page_next[slot];
        if (b->valid) {
            if (b->host_info && cc->on_invalidate)
                cc->on_invalidate(cc->hook_opaque, b);
            b->valid = 0;
            cc->stats.invalidations++;
            unlink_hash(cc, b);
        }
        b = next;
    }
    cc->page_head[page] = NULL;
    cc->mem->code_pages[page] = 0;
    cc->generation++;
    /* Every CPU that can run code from this memory has a TLB on its list. */
    for (Tlb *t = cc->mem->tlbs; t; t = t->next)
        __atomic_fetch_or(&t->owner->stop_request, CC_STOP_CODE, __ATOMIC_RELAXED);
}

const CodeCacheStats *codecache_stats(CodeCache *cc)
{
    cc->stats_view = cc->stats;
    cc->stats_view.lookups += cc->stats.chained;
    cc->stats_view.hits += cc->stats.chained;
    return &cc->stats_view;
}

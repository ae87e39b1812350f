/* codecache.c — block storage, lookup, page-precise invalidation, flush. */
#include "codecache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../softmmu/mem.h"
#include "../softmmu/tlb.h"

#define PAYLOAD_ALIGN 16

static void on_code_write(void *opaque, uint64_t paddr, unsigned size)
{
    CodeCache *cc = opaque;
    codecache_invalidate_page(cc, paddr);
    if (((paddr + size - 1) >> 12) != (paddr >> 12))
        codecache_invalidate_page(cc, paddr + size - 1);
}

static size_t align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

static BlockHead *head_at(const CodeCache *cc, uint32_t i)
{
    return (BlockHead *)(cc->decoded + (size_t)i * cc->head_size);
}

CodeCache *codecache_new(Mem *mem, size_t head_size, size_t size_bytes, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || !errlen)
        err = dummy, errlen = sizeof dummy;
    if (size_bytes == 0)
        size_bytes = CC_DEFAULT_SIZE;
    if (size_bytes < CC_MIN_SIZE)
        size_bytes = CC_MIN_SIZE;
    CodeCache *cc = calloc(1, sizeof *cc);
    if (!cc) {
        snprintf(err, errlen, "code cache: out of memory");
        return NULL;
    }
    cc->exec.fd = -1;
    cc->mem = mem;
    cc->head_size = align_up(head_size, PAYLOAD_ALIGN);
    size_t exec_size = size_bytes / 2;
    cc->decoded_size = align_up(size_bytes - exec_size, 4096);
    cc->nheads = (uint32_t)(cc->decoded_size / CC_BYTES_PER_HEAD);
    size_t heads = (size_t)cc->nheads * cc->head_size;
    if (cc->head_size * 2 > CC_BYTES_PER_HEAD || heads >= cc->decoded_size) {
        snprintf(err, errlen, "code cache: a %zu-byte block head is too large", head_size);
        free(cc);
        return NULL;
    }
    cc->payload_cap = cc->decoded_size - heads;
    unsigned bits = 10;
    while ((1u << bits) < cc->nheads)
        bits++;
    size_t buckets = (size_t)1 << bits;
    cc->hash_shift = 64 - bits;
    cc->npages = (mem->ram_end + 4095) >> 12;
    cc->hash = calloc(buckets, sizeof *cc->hash);
    cc->page_head = calloc(cc->npages ? cc->npages : 1, sizeof *cc->page_head);
    void *d = mmap(NULL, cc->decoded_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    cc->decoded = d == MAP_FAILED ? NULL : d;
    if (!cc->hash || !cc->page_head || !cc->decoded) {
        snprintf(err, errlen, "code cache: cannot allocate %zu MiB of decoded blocks",
                 cc->decoded_size >> 20);
        codecache_free(cc);
        return NULL;
    }
    cc->payload = cc->decoded + heads;
    if (execmem_init(&cc->exec, exec_size, err, errlen)) {
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
    execmem_destroy(&cc->exec);
    if (cc->decoded)
        munmap(cc->decoded, cc->decoded_size);
    free(cc->page_head);
    free(cc->hash);
    free(cc);
}

static unsigned hash(const CodeCache *cc, uint64_t pa, uint64_t key)
{
    uint64_t h = (pa ^ (key * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return (unsigned)(h >> cc->hash_shift);
}

BlockHead *codecache_find(CodeCache *cc, uint64_t pa, uint64_t key)
{
    for (BlockHead *b = cc->hash[hash(cc, pa, key)]; b; b = b->hash_next)
        if (b->pa == pa && b->key == key && b->valid)
            return b;
    return NULL;
}

BlockHead *codecache_lookup(CodeCache *cc, uint64_t pa, uint64_t key)
{
    cc->stats.lookups++;
    BlockHead *b = codecache_find(cc, pa, key);
    cc->stats.hits += b != NULL;
    return b;
}

/* The block stops being valid; the translator hears of it first. */
static void kill_block(CodeCache *cc, BlockHead *b)
{
    b->valid = 0;
    if (cc->on_invalidate)
        cc->on_invalidate(cc->invalidate_opaque, b);
}

void codecache_flush(CodeCache *cc)
{
    /* Every head taken since the last flush is marked dead, not only the
     * hashed ones: a stale hint may still name it, and its payload is about
     * to be overwritten by new blocks. */
    cc->flushing = true;
    for (uint32_t i = 0; i < cc->used; i++) {
        BlockHead *b = head_at(cc, i);
        if (b->valid)
            kill_block(cc, b);
    }
    cc->flushing = false;
    if (cc->flush_hook)
        cc->flush_hook(cc->flush_opaque);
    memset(cc->hash, 0, ((size_t)1 << (64 - cc->hash_shift)) * sizeof *cc->hash);
    memset(cc->page_head, 0, cc->npages * sizeof *cc->page_head);
    memset(cc->mem->code_pages, 0, cc->npages);
    cc->used = 0;
    cc->payload_used = 0;
    execmem_reset(&cc->exec);
    cc->flush_pending = false;
    cc->generation++;
    cc->stats.flushes++;
}

BlockHead *codecache_alloc(CodeCache *cc, uint64_t pa, uint64_t key, size_t payload_size,
                           void **payload)
{
    if (payload_size > CC_MAX_PAYLOAD)
        abort();  /* a client's bug: its blocks are bounded (cpu/block.h) */
    payload_size = align_up(payload_size, PAYLOAD_ALIGN);
    if (cc->flush_pending || cc->used == cc->nheads ||
        payload_size > cc->payload_cap - cc->payload_used)
        codecache_flush(cc);
    BlockHead *b = head_at(cc, cc->used++);
    *payload = cc->payload + cc->payload_used;
    cc->payload_used += payload_size;
    b->pa = pa;
    b->key = key;
    b->ninsns = 0;
    b->exec_count = 0;
    b->valid = 0;
    b->plain = 0;
    b->hash_next = NULL;
    b->page_next[0] = b->page_next[1] = NULL;
    b->succ[0] = b->succ[1] = NULL;
    b->host = b->host_info = NULL;
    return b;
}

void codecache_commit(CodeCache *cc, BlockHead *b, uint64_t pa_last)
{
    b->pa_end = pa_last;
    b->valid = 1;
    unsigned h = hash(cc, b->pa, b->key);
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
    for (BlockHead **p = &cc->hash[hash(cc, b->pa, b->key)]; *p; p = &(*p)->hash_next)
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
            unlink_hash(cc, b);
            kill_block(cc, b);
            cc->stats.invalidations++;
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

void *codecache_alloc_host(CodeCache *cc, size_t size)
{
    void *w = execmem_alloc(&cc->exec, size);
    if (!w)
        cc->flush_pending = true;
    return w;
}

void codecache_set_flush_hook(CodeCache *cc, void (*fn)(void *opaque), void *opaque)
{
    cc->flush_hook = fn;
    cc->flush_opaque = opaque;
}

void codecache_set_invalidate_hook(CodeCache *cc, void (*fn)(void *opaque, BlockHead *b),
                                   void *opaque)
{
    cc->on_invalidate = fn;
    cc->invalidate_opaque = opaque;
}

const CodeCacheStats *codecache_stats(CodeCache *cc)
{
    cc->stats_view = cc->stats;
    cc->stats_view.lookups += cc->stats.chained;
    cc->stats_view.hits += cc->stats.chained;
    cc->stats_view.blocks = cc->used;
    cc->stats_view.decoded_bytes = (uint64_t)cc->used * cc->head_size + cc->payload_used;
    cc->stats_view.decoded_capacity = cc->decoded_size;
    cc->stats_view.host_bytes = execmem_used(&cc->exec);
    cc->stats_view.host_capacity = execmem_capacity(&cc->exec);
    return &cc->stats_view;
}

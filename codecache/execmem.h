/* execmem.h — executable memory for translated host code, W^X.
 *
 * One memfd mapped twice: a write view (PROT_READ|PROT_WRITE) the
 * translator emits into, and an execute view (PROT_READ|PROT_EXEC) the host
 * jumps to.  No page is ever writable and executable at one address, so a
 * stray host write cannot plant code, and patching a chained jump needs no
 * mprotect.  The views are at a constant distance (delta): an address in one
 * is the same byte in the other plus or minus delta.
 *
 * Allocation is a bump pointer (16-byte aligned, a good host branch target)
 * reset all at once: the code cache flushes host code with its blocks.
 */
#ifndef RZ_EXECMEM_H
#define RZ_EXECMEM_H

#include <stddef.h>
#include <stdint.h>

#define EXECMEM_ALIGN 16

typedef struct ExecMem {
    uint8_t *w;        /* write view */
    uint8_t *x;        /* execute view: w + delta */
    ptrdiff_t delta;
    size_t cap, used;  /* bytes */
    int fd;
} ExecMem;

/* Maps cap bytes (rounded up to whole pages).  On failure: -1, em empty
 * (execmem_destroy is harmless) and one line in err saying which call failed
 * and why. */
int execmem_init(ExecMem *em, size_t cap, char *err, size_t errlen);
void execmem_destroy(ExecMem *em);
/* size bytes at the next EXECMEM_ALIGN boundary of the write view, or NULL
 * when they do not fit (nothing is taken then). */
void *execmem_alloc(ExecMem *em, size_t size);
/* Where the byte written at wptr executes. */
static inline void *execmem_exec_addr(const ExecMem *em, const void *wptr)
{
    return (uint8_t *)wptr + em->delta;
}
/* Makes size bytes written at wptr visible to instruction fetch: nothing
 * on x86 (coherent across aliases), a cache clean on other hosts. */
void execmem_sync(const ExecMem *em, const void *wptr, size_t size);
/* The last allocation, at wptr, keeps only its first size bytes (a
 * translator allocates for the worst case, then gives back the rest). */
static inline void execmem_shrink(ExecMem *em, const void *wptr, size_t size)
{
    size_t at = (size_t)((const uint8_t *)wptr - em->w);
    if (at + size <= em->used)
        em->used = at + size;
}
/* Forgets every allocation: the next one starts at the beginning. */
static inline void execmem_reset(ExecMem *em) { em->used = 0; }
static inline size_t execmem_used(const ExecMem *em) { return em->used; }
static inline size_t execmem_capacity(const ExecMem *em) { return em->cap; }

#endif

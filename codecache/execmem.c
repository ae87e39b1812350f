/* execmem.c — two views of one memfd (execmem.h). */
#include "execmem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(ExecMem *em, char *err, size_t errlen, const char *what)
{
    int e = errno;
    if (err && errlen)
        snprintf(err, errlen, "executable memory (%zu KiB): %s: %s", em->cap >> 10, what, strerror(e));
    execmem_destroy(em);
    return -1;
}

int execmem_init(ExecMem *em, size_t cap, char *err, size_t errlen)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t pg = page > 0 ? (size_t)page : 4096;
    *em = (ExecMem){ .fd = -1, .cap = cap };
    if (cap == 0 || cap > SIZE_MAX - pg) {
        errno = EINVAL;
        return fail(em, err, errlen, "size");
    }
    em->cap = (cap + pg - 1) & ~(pg - 1);
    em->fd = memfd_create("ringzero-code", MFD_CLOEXEC);
    if (em->fd < 0)
        return fail(em, err, errlen, "memfd_create");
    if (ftruncate(em->fd, (off_t)em->cap))
        return fail(em, err, errlen, "ftruncate");
    /* Pages are taken from the memfd only as code is written to them. */
    void *w = mmap(NULL, em->cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, em->fd, 0);
    if (w == MAP_FAILED)
        return fail(em, err, errlen, "mmap (write view)");
    em->w = w;
    void *x = mmap(NULL, em->cap, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_NORESERVE, em->fd, 0);
    if (x == MAP_FAILED)
        return fail(em, err, errlen, "mmap (execute view)");
    em->x = x;
    em->delta = (uint8_t *)x - (uint8_t *)w;
    return 0;
}

void execmem_destroy(ExecMem *em)
{
    if (em->x)
        munmap(em->x, em->cap);
    if (em->w)
        munmap(em->w, em->cap);
    if (em->fd >= 0)
        close(em->fd);
    *em = (ExecMem){ .fd = -1 };
}

void *execmem_alloc(ExecMem *em, size_t size)
{
    size_t at = (em->used + EXECMEM_ALIGN - 1) & ~(size_t)(EXECMEM_ALIGN - 1);
    if (at > em->cap || size > em->cap - at)
        return NULL;
    em->used = at + size;
    return em->w + at;
}

void execmem_sync(const ExecMem *em, const void *wptr, size_t size)
{
#if defined(__x86_64__) || defined(__i386__)
    (void)em, (void)wptr, (void)size;
#else
    char *x = execmem_exec_addr(em, wptr);
    __builtin___clear_cache(x, x + size);
#endif
}

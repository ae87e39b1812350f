/* shim_host.c — cpu.h's shim on libc, for the native run of the same
 * workloads: lines flushed to stdout as they are printed (the host stamps
 * them), memory from aligned_alloc, failures to stderr with status 1. */
#include <stdio.h>
#include <stdlib.h>

#include "cpu.h"

void shim_line(const char *s)
{
    puts(s);
    fflush(stdout);
}

void *shim_alloc(size_t size)
{
    void *p = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
    if (!p)
        shim_fail("out of memory");
    return p;
}

_Noreturn void shim_fail(const char *why)
{
    printf("FAIL: %s\n", why);
    exit(1);
}

int main(void)
{
    int r = cpu_bench();
    if (r == 0)
        puts("PASS");
    return r;
}

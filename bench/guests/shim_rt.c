/* shim_rt.c — cpu.h's shim on the guest runtime (tests/guest/rt): lines go
 * to the debug console, memory is bumped from the end of the image (the
 * run gives the guest enough RAM: bench/cpu.sh passes -m), a failure ends
 * the run through the exit port with the runtime's FAIL status. */
#include "cpu.h"
#include "rt.h"

void shim_line(const char *s)
{
    rt_puts(s);
    rt_putc('\n');
}

void *shim_alloc(size_t size)
{
    static uintptr_t next;
    if (!next)
        next = (uintptr_t)__image_end;
    void *p = (void *)next;
    next = (next + size + 4095) & ~(uintptr_t)4095;
    return p;
}

_Noreturn void shim_fail(const char *why) { rt_fail("%s", why); }

/* The runtime prints PASS and exits with 0 when main returns 0. */
int main(void) { return cpu_bench(); }

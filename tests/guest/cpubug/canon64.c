/* cpubug/canon64.c — 64-bit code has no CS limit but a canonical one:
 * straight-line code that runs off the top of the low half (2^47) and an
 * instruction that straddles it raise #GP(0) (not a #PF for the
 * non-canonical page, nor the high half's mapping it would alias); the
 * last canonical byte still runs. */
#include "rt.h"

#define TOP 0x00007ffffffff000ull   /* the last page below 2^47 */
#define FRAME 0x2000000u

static void put(uint64_t va, const char *code, unsigned n)
{
    memset((void *)(uintptr_t)FRAME, 0xcc, 4096);
    memcpy((void *)(uintptr_t)(FRAME + (va - TOP)), code, n);
}

int main(void)
{
    struct rt_fault f;
    rt_map64(rt_pml4, TOP, FRAME, PTE_W, false);
    rt_puts("the last canonical byte runs\n");
    put(0x00007fffffffffffull, "\xc3", 1);
    CHECK_EQ(rt_probe_exec(0x00007fffffffffffull, &f), -1);
    rt_puts("straight-line code off the canonical top: #GP(0)\n");
    put(0x00007ffffffffffeull, "\x90\x90", 2);
    CHECK_EQ(rt_probe_exec(0x00007ffffffffffeull, &f), 13);
    CHECK_EQ(f.error, 0);
    rt_puts("an instruction straddling it: #GP(0) at the instruction\n");
    put(0x00007ffffffffffdull, "\xb8\x01\x02\x03\x04", 5);
    CHECK_EQ(rt_probe_exec(0x00007ffffffffffdull, &f), 13);
    CHECK_EQ(f.error, 0);
    CHECK_EQ(f.ip, 0x00007ffffffffffdull);
    return 0;
}

/* Smoke test of the C runtime: console, checks, and a caught #UD and #PF-free
 * round trip through rt_try. */
#include "rt.h"

static void raise_ud(void *arg)
{
    (void)arg;
    __asm__ volatile("ud2");
}

int main(void)
{
    rt_printf("hello from a %d-bit C guest, cs=%#x, cr0=%#lx\n", (int)sizeof(void *) * 8,
              read_cs(), (unsigned long)read_cr0());
    CHECK_EQ(read_cs(), sizeof(void *) == 8 ? SEL_CODE64 : SEL_CODE32);
    struct rt_fault f;
    CHECK_EQ(rt_try(raise_ud, 0, &f), 6);
    CHECK_EQ(f.error, 0);
    uint64_t v;
    static volatile uint32_t word = 0x12345678;
    CHECK_EQ(rt_probe_read((uintptr_t)&word, 4, &v, &f), -1);
    CHECK_EQ(v, 0x12345678);
    return 0;
}

/* idle250.c — an idle guest: the LAPIC timer at 250 Hz and HLT in a loop
 * for 10 s of guest time (2500 ticks), like a tickful kernel at its idle
 * prompt.  Run without -icount under /usr/bin/time to see the host CPU an
 * idle guest costs (docs/machine.md). */
#include "apic.h"

static volatile unsigned ticks;
static void tick(struct rt_regs *r) { (void)r; ticks++; lapic_eoi(); }

int main(void)
{
    rt_set_handler(0x40, tick);
    pic_setup(0xff, 0xff);
    lapic_wr(LAPIC_TIMER_DCR, 0xb);
    lapic_wr(LAPIC_LVT_TIMER, LVT_PERIODIC | 0x40);
    uint64_t t0 = rdtsc();
    lapic_wr(LAPIC_TIMER_INIT, 4000000);           /* 4 ms */
    sti();
    while (ticks < 2500)
        hlt();
    cli();
    uint64_t dt = rdtsc() - t0;
    rt_printf("2500 ticks in %u ms of guest time\n", (unsigned)(dt / 1000000));
    CHECK(dt >= 10000000000ull && dt < 10100000000ull);
    return 0;
}

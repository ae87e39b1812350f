/* pit.c — the 8254 fires IRQ0 at its programmed rate (measured against the
 * TSC, which ringzero runs at 1 GHz), counters read back through latch and
 * read-back, and channel 2's output is visible at port 0x61. */
#include "common.h"

static volatile unsigned ticks;
static volatile uint64_t first_tsc, last_tsc;

static void irq0(struct rt_regs *r)
{
    (void)r;
    uint64_t t = rdtsc();
    if (ticks == 0)
        first_tsc = t;
    last_tsc = t;
    ticks++;
    pic_eoi(0);
}

static unsigned read_latched(int ch)
{
    outb(0x43, (uint8_t)(ch << 6));           /* counter latch */
    unsigned lo = inb((uint16_t)(0x40 + ch));
    return lo | (unsigned)inb((uint16_t)(0x40 + ch)) << 8;
}

int main(void)
{
    /* Channel 0, mode 2, 1 kHz: reload 1193. */
    rt_set_handler(0x20, irq0);
    pic_setup(0xfe, 0xff);
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    sti();
    while (ticks < 101)
        hlt();
    cli();
    uint64_t per_tick = (last_tsc - first_tsc) / 100;  /* TSC ns per IRQ0 */
    rt_printf("IRQ0: 100 periods, %u ns each (expect 1000000)\n", (unsigned)per_tick);
    CHECK(per_tick > 800000 && per_tick < 1250000);

    /* Latched counts go down and stay within the reload value. */
    unsigned a = read_latched(0), b = read_latched(0);
    rt_printf("channel 0 counts %u then %u\n", a, b);
    CHECK(a <= 1193 && b <= 1193 && a >= 1);

    /* Read-back status of channel 0: mode 2, lobyte/hibyte, binary. */
    outb(0x43, 0xe2);
    uint8_t st = inb(0x40);
    rt_printf("read-back status %#x\n", st);
    CHECK_EQ(st & 0x3f, 0x34);

    /* Channel 2 gated by port 0x61: mode 0 output rises at terminal count. */
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
    outb(0x43, 0xb0);
    outb(0x42, 0x00);
    outb(0x42, 0x10);                          /* 4096 ticks: 3.4 ms */
    CHECK((inb(0x61) & 0x20) == 0);
    uint64_t t0 = rdtsc();
    while (!(inb(0x61) & 0x20) && rdtsc() - t0 < 100000000ull)
        ;
    uint64_t dt = rdtsc() - t0;
    rt_printf("channel 2 terminal count after %u ns (expect ~3433000)\n", (unsigned)dt);
    CHECK(dt > 2500000 && dt < 5000000);
    return 0;
}

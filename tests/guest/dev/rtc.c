/* rtc.c — the MC146818: host time in BCD and binary, the update-in-progress
 * bit, NVRAM, the memory-size bytes, and the 1024 Hz periodic IRQ8. */
#include "common.h"

static uint8_t cmos(uint8_t i) { outb(0x70, i); return inb(0x71); }
static void cmos_w(uint8_t i, uint8_t v) { outb(0x70, i); outb(0x71, v); }
static unsigned bcd(uint8_t v) { return (v >> 4) * 10 + (v & 15); }

static volatile unsigned irq8s;
static volatile uint64_t t_first, t_last;

static void irq8(struct rt_regs *r)
{
    (void)r;
    uint64_t t = rdtsc();
    if (!irq8s)
        t_first = t;
    t_last = t;
    irq8s++;
    cmos(0x0c);  /* acknowledge: reading register C drops IRQ8 */
    pic_eoi(8);
}

int main(void)
{
    /* BCD by default: every digit is decimal. */
    while (cmos(0x0a) & 0x80)
        ;
    uint8_t s = cmos(0x00), m = cmos(0x02), h = cmos(0x04), d = cmos(0x07), mo = cmos(0x08), y = cmos(0x09);
    rt_printf("RTC 20%02x-%02x-%02x %02x:%02x:%02x (BCD)\n", y, mo, d, h, m, s);
    CHECK((s & 15) < 10 && bcd(s) < 60 && bcd(m) < 60 && bcd(h) < 24);
    CHECK(bcd(d) >= 1 && bcd(d) <= 31 && bcd(mo) >= 1 && bcd(mo) <= 12 && bcd(y) >= 24);

    /* Binary mode gives the same minute (unless it just ticked over). */
    cmos_w(0x0b, (uint8_t)(cmos(0x0b) | 0x04));
    uint8_t mb = cmos(0x02);
    rt_printf("minute binary %u, BCD %u\n", mb, bcd(m));
    CHECK(mb == bcd(m) || mb == (bcd(m) + 1) % 60);
    cmos_w(0x0b, (uint8_t)(cmos(0x0b) & ~0x04));

    /* UIP: seen set at least once within a second and a bit of polling. */
    uint64_t t0 = rdtsc();
    int uip = 0;
    while (!uip && rdtsc() - t0 < 1200000000ull)
        uip = cmos(0x0a) & 0x80;
    CHECK(uip);

    /* NVRAM keeps what is written. */
    cmos_w(0x50, 0x5a);
    cmos_w(0x51, 0xa5);
    CHECK_EQ(cmos(0x50), 0x5a);
    CHECK_EQ(cmos(0x51), 0xa5);

    /* Extended memory in KiB (run with -m 32M): 31 MiB above 1 MiB. */
    unsigned ext = cmos(0x17) | (unsigned)cmos(0x18) << 8;
    rt_printf("extended memory %u KiB\n", ext);
    CHECK_EQ(ext, 31u * 1024);

    /* Periodic interrupt: rate 6 = 1024 Hz. */
    rt_set_handler(0x28, irq8);
    pic_setup(0xfb, 0xfe);
    cmos_w(0x0a, 0x26);
    cmos(0x0c);
    cmos_w(0x0b, (uint8_t)(cmos(0x0b) | 0x40));
    sti();
    while (irq8s < 65)
        hlt();
    cli();
    cmos_w(0x0b, (uint8_t)(cmos(0x0b) & ~0x40));
    unsigned per = (unsigned)((t_last - t_first) / 64);
    rt_printf("IRQ8 period %u ns (expect 976562)\n", per);
    CHECK(per > 780000 && per < 1220000);
    return 0;
}

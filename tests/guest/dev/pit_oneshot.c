/* pit_oneshot.c — one-shot PIT interrupts (modes 0 and 4) with counts 1-3
 * arrive in "sti; hlt" even when they expired while IF=0 or before the
 * board looked at the PIT again; through the 8259 (virtual wire) and
 * through IO-APIC GSI 2.  A LAPIC timer 50 ms later is the watchdog: if it
 * fires first, the PIT interrupt was lost (it hung before the fix). */
#include "apic.h"

static volatile unsigned irq0s, watchdog;

static void pic_irq0(struct rt_regs *r) { (void)r; irq0s++; pic_eoi(0); }
static void gsi2(struct rt_regs *r) { (void)r; irq0s++; lapic_eoi(); }
static void dog(struct rt_regs *r) { (void)r; watchdog++; lapic_eoi(); }

static void one(unsigned mode, unsigned count, bool delay, bool ioapic)
{
    irq0s = watchdog = 0;
    lapic_wr(LAPIC_TIMER_INIT, 50000000);          /* 50 ms */
    outb(0x43, (uint8_t)(0x10 | mode << 1));       /* channel 0, lobyte */
    outb(0x40, (uint8_t)count);
    if (delay) {                                   /* the edge passes with IF=0 */
        uint64_t t0 = rdtsc();
        while (rdtsc() - t0 < 100000)
            ;
    }
    __asm__ volatile("sti; hlt; cli");
    while (!irq0s && !watchdog)
        __asm__ volatile("sti; hlt; cli");
    /* A host that stalled past both deadlines raises both at once, and the
     * watchdog's vector may come first: let the other one in. */
    __asm__ volatile("sti; nop; nop; nop; cli");
    if (!irq0s || irq0s > 1)
        rt_printf("FAIL: mode %u count %u%s via %s: %u IRQ0s before the watchdog\n", mode, count,
                  delay ? " (IF=0 for 100 us)" : "", ioapic ? "GSI 2" : "the 8259", irq0s);
    CHECK_EQ(irq0s, 1);
    lapic_wr(LAPIC_TIMER_INIT, 0);
}

int main(void)
{
    rt_set_handler(0x20, pic_irq0);
    rt_set_handler(0x30, gsi2);
    rt_set_handler(0x41, dog);
    lapic_wr(LAPIC_TIMER_DCR, 0xb);
    lapic_wr(LAPIC_LVT_TIMER, 0x41);
    for (int io = 0; io < 2; io++) {
        if (io) {
            pic_setup(0xff, 0xff);
            lapic_wr(LAPIC_LVT_LINT0, LVT_MASKED | 0x700);
            ioapic_route(2, 0x30, 0);
        } else {
            pic_setup(0xfe, 0xff);
        }
        for (unsigned mode = 0; mode <= 4; mode += 4)
            for (unsigned count = 1; count <= 3; count++)
                for (int delay = 0; delay < 2; delay++)
                    one(mode, count, delay, io);
    }
    rt_printf("24 one-shot PIT interrupts taken\n");
    return 0;
}

/* apic32.c — the local APIC and IO-APIC from a 32-bit guest, the way an OS
 * brings them up: the state firmware leaves (virtual wire), the PIT routed
 * through IO-APIC GSI 2 (ISA IRQ0's interrupt source override), PPR/ISR
 * inside the handler, the RTC on GSI 8 as a level entry with remote IRR, the LAPIC timer in periodic and TSC-deadline mode
 * timed by the TSC, TPR masking of a self-IPI, relocation of the register
 * page, and the global disable that hands INTR back to the 8259. */
#include "apic.h"

static volatile unsigned pit_ticks, timer_ticks, dl_ticks, ipi_ticks, pic_ticks;
static volatile uint32_t pit_ppr, pit_isr_ok;
static volatile uint64_t first_tsc, last_tsc, dl_tsc;

static void pit_irq(struct rt_regs *r)
{
    (void)r;
    pit_ppr = lapic_rd(LAPIC_PPR);
    pit_isr_ok = lapic_bit(LAPIC_ISR, 0x30) && !lapic_bit(LAPIC_IRR, 0x30);
    pit_ticks++;
    lapic_eoi();
}

static void timer_irq(struct rt_regs *r)
{
    (void)r;
    uint64_t t = rdtsc();
    if (timer_ticks == 0)
        first_tsc = t;
    last_tsc = t;
    timer_ticks++;
    lapic_eoi();
}

static void deadline_irq(struct rt_regs *r)
{
    (void)r;
    dl_tsc = rdtsc();
    dl_ticks++;
    lapic_eoi();
}

/* RTC on GSI 8 as a level-triggered entry: remote IRR is set while the
 * handler runs and clears with its EOI (reading register C drops IRQ8). */
static volatile unsigned rtc_ticks, rtc_remote_irr_in, rtc_remote_irr_after;
static void rtc_irq(struct rt_regs *r)
{
    (void)r;
    rtc_remote_irr_in += (ioapic_rd(0x10 + 2 * 8) >> 14) & 1;
    outb(0x70, 0x0c);
    (void)inb(0x71);
    rtc_ticks++;
    lapic_eoi();
    rtc_remote_irr_after += (ioapic_rd(0x10 + 2 * 8) >> 14) & 1;
}

static void ipi_irq(struct rt_regs *r) { (void)r; ipi_ticks++; lapic_eoi(); }
static void pic_irq0(struct rt_regs *r) { (void)r; pic_ticks++; pic_eoi(0); }

static void pit_rate(uint8_t mode_cmd, uint16_t count)
{
    outb(0x43, mode_cmd);
    outb(0x40, (uint8_t)count);
    outb(0x40, (uint8_t)(count >> 8));
}

int main(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    rt_printf("IA32_APIC_BASE %#llx, version %#x\n", (unsigned long long)base, lapic_rd(LAPIC_VER));
    CHECK_EQ(base, 0xfee00900ull);                 /* default base, BSP, enabled */
    CHECK_EQ(lapic_rd(LAPIC_VER) & 0xff00ff, 0x050014);
    /* What the board's "firmware" leaves: virtual wire through LINT0. */
    CHECK_EQ(lapic_rd(LAPIC_SVR) & 0x100, 0x100);
    CHECK_EQ(lapic_rd(LAPIC_LVT_LINT0), 0x700);
    CHECK_EQ(lapic_rd(LAPIC_LVT_LINT1), 0x400);
    CHECK_EQ(ioapic_rd(1), 0x00170011);

    /* An OS's switch to the IO-APIC: 8259 masked, LINT0 masked. */
    pic_setup(0xff, 0xff);
    lapic_wr(LAPIC_LVT_LINT0, LVT_MASKED | 0x700);
    lapic_wr(LAPIC_SVR, 0x1ff);
    lapic_wr(LAPIC_TPR, 0);
    rt_set_handler(0x30, pit_irq);
    ioapic_route(2, 0x30, 0);                      /* edge, active high */
    pit_rate(0x34, 1193);                          /* mode 2, 1 kHz */
    sti();
    while (pit_ticks < 20)
        hlt();
    cli();
    ioapic_route(2, 0x30, LVT_MASKED);
    rt_printf("PIT via GSI 2: %u ticks, PPR in the handler %#x\n", pit_ticks, pit_ppr);
    CHECK_EQ(pit_ppr, 0x30);
    CHECK(pit_isr_ok);
    CHECK_EQ(lapic_rd(LAPIC_PPR), 0);              /* every EOI done */
    CHECK(!lapic_bit(LAPIC_ISR, 0x30));

    /* RTC periodic interrupt (1024 Hz) through GSI 8, level, active high. */
    rt_set_handler(0x38, rtc_irq);
    ioapic_route(8, 0x38, 1u << 15);
    outb(0x70, 0x0a); outb(0x71, 0x26);
    outb(0x70, 0x0b); outb(0x71, (uint8_t)(0x40 | 0x02));  /* PIE, 24 h */
    outb(0x70, 0x0c); (void)inb(0x71);
    sti();
    while (rtc_ticks < 5)
        hlt();
    cli();
    outb(0x70, 0x0b); outb(0x71, 0x02);
    outb(0x70, 0x0c); (void)inb(0x71);
    ioapic_route(8, 0x38, LVT_MASKED);
    rt_printf("RTC via GSI 8 (level): %u interrupts, remote IRR set in %u, after EOI in %u\n",
              rtc_ticks, rtc_remote_irr_in, rtc_remote_irr_after);
    CHECK_EQ(rtc_remote_irr_in, rtc_ticks);
    CHECK_EQ(rtc_remote_irr_after, 0);

    /* Periodic LAPIC timer: 1 ms at divide-by-1 of the 1 GHz clock. */
    rt_set_handler(0x40, timer_irq);
    lapic_wr(LAPIC_TIMER_DCR, 0xb);
    lapic_wr(LAPIC_LVT_TIMER, LVT_PERIODIC | 0x40);
    lapic_wr(LAPIC_TIMER_INIT, 1000000);
    uint32_t c1 = lapic_rd(LAPIC_TIMER_CUR), c2 = lapic_rd(LAPIC_TIMER_CUR);
    CHECK(c1 <= 1000000 && c2 < c1);
    sti();
    while (timer_ticks < 21)
        hlt();
    cli();
    lapic_wr(LAPIC_TIMER_INIT, 0);
    uint64_t per = (last_tsc - first_tsc) / 20;
    rt_printf("LAPIC periodic: %u ns per tick (expect 1000000)\n", (unsigned)per);
    CHECK(per > 950000 && per < 1050000);
    /* Divide by 16: ten times 62500 counts is 10 ms. */
    lapic_wr(LAPIC_TIMER_DCR, 0x3);
    lapic_wr(LAPIC_LVT_TIMER, 0x40);
    timer_ticks = 0;
    uint64_t t0 = rdtsc();
    lapic_wr(LAPIC_TIMER_INIT, 625000);
    sti();
    while (timer_ticks < 1)
        hlt();
    cli();
    uint64_t one = last_tsc - t0;
    rt_printf("LAPIC one-shot, divide by 16: %u ns (expect 10000000)\n", (unsigned)one);
    CHECK(one >= 10000000 && one < 10500000);
    CHECK_EQ(lapic_rd(LAPIC_TIMER_CUR), 0);

    /* TSC-deadline: the interrupt comes at or after the deadline. */
    rt_set_handler(0x41, deadline_irq);
    lapic_wr(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | 0x41);
    uint64_t dl = 0;
    for (int i = 0; i < 5; i++) {
        dl = rdtsc() + 2000000;
        wrmsr(MSR_TSC_DEADLINE, dl);
        CHECK_EQ(rdmsr(MSR_TSC_DEADLINE), dl);
        unsigned before = dl_ticks;
        sti();
        while (dl_ticks == before)
            hlt();
        cli();
        CHECK(dl_tsc >= dl && dl_tsc - dl < 200000);
        CHECK_EQ(rdmsr(MSR_TSC_DEADLINE), 0);      /* disarmed by firing */
    }
    rt_printf("TSC-deadline: %u interrupts, the last %u ns after its deadline\n", dl_ticks,
              (unsigned)(dl_tsc - dl));
    lapic_wr(LAPIC_LVT_TIMER, LVT_MASKED);

    /* TPR masking of a self-IPI. */
    rt_set_handler(0x55, ipi_irq);
    lapic_wr(LAPIC_TPR, 0x50);
    lapic_self_ipi(0x55);
    sti();
    __asm__ volatile("nop; nop; nop");
    cli();
    CHECK_EQ(ipi_ticks, 0);
    CHECK(lapic_bit(LAPIC_IRR, 0x55));
    CHECK_EQ(lapic_rd(LAPIC_PPR), 0x50);
    lapic_wr(LAPIC_TPR, 0x40);
    sti();
    __asm__ volatile("nop; nop; nop");
    cli();
    CHECK_EQ(ipi_ticks, 1);
    lapic_wr(LAPIC_TPR, 0);

    /* Relocation: the registers follow IA32_APIC_BASE. */
    wrmsr(MSR_APIC_BASE, 0xfef00900ull);
    CHECK_EQ(*apic_reg(0xfef00000u, LAPIC_VER) & 0xff, 0x14);
    CHECK_EQ(lapic_rd(LAPIC_VER), 0xffffffffu);    /* nothing at the old page */
    wrmsr(MSR_APIC_BASE, 0xfee00900ull);
    CHECK_EQ(lapic_rd(LAPIC_VER) & 0xff, 0x14);

    /* Global disable: no APIC registers, the 8259 straight to INTR. */
    wrmsr(MSR_APIC_BASE, 0xfee00000ull);
    CHECK_EQ(lapic_rd(LAPIC_VER), 0xffffffffu);
    rt_set_handler(0x20, pic_irq0);
    pic_setup(0xfe, 0xff);
    pit_rate(0x34, 1193);
    sti();
    while (pic_ticks < 3)
        hlt();
    cli();
    CHECK_EQ(pic_ticks, 3);
    wrmsr(MSR_APIC_BASE, 0xfee00900ull);
    CHECK_EQ(lapic_rd(LAPIC_SVR), 0xff);           /* back in its reset state */
    CHECK_EQ(lapic_rd(LAPIC_LVT_LINT0), LVT_MASKED);
    return 0;
}

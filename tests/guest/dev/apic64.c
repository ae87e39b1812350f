/* apic64.c — the local APIC in long mode: CR8 is TPR[7:4] (SDM 10.8.6.1),
 * masking self-IPIs by priority class; a higher class nests inside a lower
 * one's handler and a lower one waits for its EOI; a one-shot timer. */
#include "apic.h"

static inline uint64_t read_cr8(void) { uint64_t v; __asm__ volatile("mov %%cr8, %0" : "=r"(v)); return v; }
static inline void write_cr8(uint64_t v) { __asm__ volatile("mov %0, %%cr8" :: "r"(v) : "memory"); }

static volatile unsigned order[8], n_order, timer_ticks;
static volatile uint32_t ppr_in_62;

static void note(unsigned v) { if (n_order < 8) order[n_order++] = v; }

static void irq52(struct rt_regs *r)
{
    (void)r;
    note(0x52);
    lapic_self_ipi(0x62);      /* higher class: nests at once (IF set) */
    lapic_self_ipi(0x51);      /* lower class: waits for our EOI */
    sti();
    __asm__ volatile("nop; nop; nop");
    cli();
    note(0x152);               /* end of the 0x52 handler */
    lapic_eoi();
}
static void irq62(struct rt_regs *r) { (void)r; ppr_in_62 = lapic_rd(LAPIC_PPR); note(0x62); lapic_eoi(); }
static void irq51(struct rt_regs *r) { (void)r; note(0x51); lapic_eoi(); }
static void irq40(struct rt_regs *r) { (void)r; timer_ticks++; lapic_eoi(); }

int main(void)
{
    apic_map64();
    pic_setup(0xff, 0xff);
    lapic_wr(LAPIC_LVT_LINT0, LVT_MASKED | 0x700);
    lapic_wr(LAPIC_SVR, 0x1ff);

    /* CR8 and TPR are one register. */
    write_cr8(5);
    CHECK_EQ(lapic_rd(LAPIC_TPR), 0x50);
    lapic_wr(LAPIC_TPR, 0x7f);
    CHECK_EQ(read_cr8(), 7);
    write_cr8(0);
    CHECK_EQ(lapic_rd(LAPIC_TPR), 0);

    /* CR8 holds back classes at or below it. */
    rt_set_handler(0x52, irq52);
    rt_set_handler(0x62, irq62);
    rt_set_handler(0x51, irq51);
    write_cr8(5);
    lapic_self_ipi(0x52);
    sti();
    __asm__ volatile("nop; nop; nop");
    cli();
    CHECK_EQ(n_order, 0);
    CHECK(lapic_bit(LAPIC_IRR, 0x52));
    CHECK_EQ(lapic_rd(LAPIC_PPR), 0x50);
    write_cr8(4);               /* releases 0x52 */
    sti();
    __asm__ volatile("nop; nop; nop");
    cli();
    rt_printf("order: %x %x %x %x (expect 52 62 152 51), PPR in 0x62: %#x\n", order[0], order[1],
              order[2], order[3], ppr_in_62);
    CHECK_EQ(n_order, 4);
    CHECK_EQ(order[0], 0x52);
    CHECK_EQ(order[1], 0x62);
    CHECK_EQ(order[2], 0x152);
    CHECK_EQ(order[3], 0x51);
    CHECK_EQ(ppr_in_62, 0x60);
    CHECK_EQ(lapic_rd(LAPIC_PPR), 0x40);   /* only the TPR left */
    write_cr8(0);

    /* One-shot timer, divide by 2: 50000 counts = 100 us. */
    rt_set_handler(0x40, irq40);
    lapic_wr(LAPIC_TIMER_DCR, 0x0);
    lapic_wr(LAPIC_LVT_TIMER, 0x40);
    uint64_t t0 = rdtsc();
    lapic_wr(LAPIC_TIMER_INIT, 50000);
    sti();
    while (!timer_ticks)
        hlt();
    cli();
    uint64_t dt = rdtsc() - t0;
    rt_printf("one-shot after %u ns (expect 100000)\n", (unsigned)dt);
    CHECK(dt >= 100000 && dt < 150000);
    CHECK_EQ(timer_ticks, 1);
    return 0;
}

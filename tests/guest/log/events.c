/* events.c — one of each event kind the int log reports, and the #UD that
 * guest_errors reports: a software INT 0x80, a #UD from UD2 (caught with
 * rt_try), and IRQ0 from the PIT through the PIC (vector 0x20).  The guest
 * checks its handlers ran; log_events.expect checks the log lines. */
#include "../dev/common.h"

static volatile unsigned soft_count, irq_count;

static void on_int80(struct rt_regs *r) { (void)r; soft_count++; }
static void on_irq0(struct rt_regs *r) { (void)r; irq_count++; pic_eoi(0); }
static void do_ud2(void *arg) { (void)arg; __asm__ volatile("ud2"); }

int main(void)
{
    rt_set_handler(0x80, on_int80);
    __asm__ volatile("int $0x80");
    rt_printf("INT 0x80 handler ran %u time(s)\n", soft_count);
    CHECK_EQ(soft_count, 1);

    struct rt_fault f;
    int v = rt_try(do_ud2, 0, &f);
    rt_printf("UD2 raised vector %d\n", v);
    CHECK_EQ(v, 6);

    rt_set_handler(0x20, on_irq0);
    pic_setup(0xfe, 0xff);
    outb(0x43, 0x34);           /* channel 0, lobyte/hibyte, mode 2 */
    outb(0x40, 0x00);
    outb(0x40, 0x10);           /* 4096 ticks: about 3.4 ms */
    sti();
    while (!irq_count)
        hlt();
    cli();
    outb(0x21, 0xff);
    rt_printf("IRQ0 taken %u time(s)\n", irq_count);
    CHECK(irq_count >= 1);
    return rt_failures ? 1 : 0;
}

/* uart.c — COM1 as a 16550A: scratch, divisor latch, FIFO identification,
 * loopback data and modem lines, and the received-data interrupt on IRQ4. */
#include "common.h"

#define COM1 0x3f8

static volatile unsigned irq4s;
static volatile uint8_t iir_seen;

static void irq4(struct rt_regs *r)
{
    (void)r;
    iir_seen = inb(COM1 + 2);
    (void)inb(COM1);       /* read the byte: clears the condition */
    irq4s++;
    pic_eoi(4);
}

int main(void)
{
    outb(COM1 + 7, 0xa5);
    CHECK_EQ(inb(COM1 + 7), 0xa5);
    outb(COM1 + 3, 0x80);
    outb(COM1 + 0, 0x03);  /* 38400 baud */
    outb(COM1 + 1, 0x00);
    CHECK_EQ(inb(COM1 + 0), 0x03);
    outb(COM1 + 3, 0x03);  /* 8N1 */
    outb(COM1 + 2, 0x07);  /* FIFOs on and cleared */
    CHECK_EQ(inb(COM1 + 2) & 0xc0, 0xc0);

    outb(COM1 + 4, 0x10 | 0x03);  /* loopback, DTR, RTS */
    CHECK_EQ(inb(COM1 + 6) & 0x30, 0x30);
    const char *msg = "loop";
    for (const char *p = msg; *p; p++)
        outb(COM1, (uint8_t)*p);
    char got[5] = { 0 };
    for (int i = 0; i < 4 && (inb(COM1 + 5) & 1); i++)
        got[i] = (char)inb(COM1);
    rt_printf("looped back \"%s\"\n", got);
    CHECK(got[0] == 'l' && got[1] == 'o' && got[2] == 'o' && got[3] == 'p');
    CHECK((inb(COM1 + 5) & 1) == 0);

    /* Received-data interrupt through the PIC (OUT2 gates it). */
    rt_set_handler(0x24, irq4);
    pic_setup(0xef, 0xff);
    outb(COM1 + 4, 0x10 | 0x08);
    outb(COM1 + 1, 0x01);
    sti();
    outb(COM1, 'x');
    for (int i = 0; i < 1000 && !irq4s; i++)
        __asm__ volatile("nop");
    cli();
    rt_printf("IRQ4 count %u, IIR %#x\n", irq4s, iir_seen);
    CHECK_EQ(irq4s, 1);
    CHECK_EQ(iir_seen & 0x0f, 0x04);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 4, 0x03);
    return 0;
}

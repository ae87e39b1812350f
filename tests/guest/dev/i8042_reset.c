/* i8042_reset.c — the keyboard controller passes its self-test, reports
 * and changes A20 through its output port, then pulses the reset line
 * (command 0xFE): run with -no-reboot, ringzero must exit on that reset. */
#include "common.h"

static void kbc_wait_write(void) { while (inb(0x64) & 2) ; }
static uint8_t kbc_read(void) { while (!(inb(0x64) & 1)) ; return inb(0x60); }

/* With A20 masked, every address with bit 20 set aliases 1 MiB lower --
 * including this program's code at 1 MiB.  So the A20-off window runs from
 * a copy below 1 MiB that uses no stack: it turns A20 off (KBC 0xDD or port
 * 0x92), stores to 0x200000 and 0x300000, reads 0x200000 back, turns A20 on
 * again and returns what it read. */
static const uint8_t a20_probe_kbc[] = {
    0xb0, 0xdd, 0xe6, 0x64,                                     /* mov al,0xdd; out 0x64,al */
    0xc7, 0x05, 0x00, 0x00, 0x20, 0x00, 0x11, 0x11, 0x11, 0x11, /* mov [0x200000],0x11111111 */
    0xc7, 0x05, 0x00, 0x00, 0x30, 0x00, 0x22, 0x22, 0x22, 0x22, /* mov [0x300000],0x22222222 */
    0x8b, 0x15, 0x00, 0x00, 0x20, 0x00,                         /* mov edx,[0x200000] */
    0xb0, 0xdf, 0xe6, 0x64,                                     /* mov al,0xdf; out 0x64,al */
    0x89, 0xd0, 0xc3,                                           /* mov eax,edx; ret */
};
static const uint8_t a20_probe_92[] = {
    0xe4, 0x92, 0x24, 0xfd, 0xe6, 0x92,                         /* in al,0x92; and al,~2; out 0x92,al */
    0xc7, 0x05, 0x00, 0x00, 0x20, 0x00, 0x11, 0x11, 0x11, 0x11,
    0xc7, 0x05, 0x00, 0x00, 0x30, 0x00, 0x22, 0x22, 0x22, 0x22,
    0x8b, 0x15, 0x00, 0x00, 0x20, 0x00,
    0xe4, 0x92, 0x0c, 0x02, 0xe6, 0x92,                         /* in al,0x92; or al,2; out 0x92,al */
    0x89, 0xd0, 0xc3,
};

static uint32_t run_low(const uint8_t *code, unsigned len)
{
    uint8_t *low = (uint8_t *)0x8000;
    for (unsigned i = 0; i < len; i++)
        low[i] = code[i];
    return ((uint32_t (*)(void))low)();
}

int main(void)
{
    kbc_wait_write();
    outb(0x64, 0xaa);
    uint8_t r = kbc_read();
    rt_printf("self-test %#x\n", r);
    CHECK_EQ(r, 0x55);

    volatile uint32_t *hi = (uint32_t *)0x00300000;
    uint32_t v = run_low(a20_probe_kbc, sizeof a20_probe_kbc);
    rt_printf("A20 off via KBC: 0x200000 reads %#x (expect the alias's 0x22222222)\n", v);
    CHECK_EQ(v, 0x22222222);
    kbc_wait_write();
    outb(0x64, 0xd0);
    CHECK_EQ(kbc_read() & 2, 2);    /* back on */
    *hi = 0x33333333;               /* with A20 on, no longer an alias */
    CHECK_EQ(*(volatile uint32_t *)0x00200000, 0x22222222);
    CHECK_EQ(*hi, 0x33333333);
    v = run_low(a20_probe_92, sizeof a20_probe_92);
    rt_printf("A20 off via port 0x92: 0x200000 reads %#x\n", v);
    CHECK_EQ(v, 0x22222222);

    if (rt_failures)
        return 1;
    rt_printf("pulsing the reset line\n");
    kbc_wait_write();
    outb(0x64, 0xfe);
    rt_fail("still running after the reset pulse");
}

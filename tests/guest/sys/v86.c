/* sys/v86.c — virtual-8086 mode: entered by IRET, left through interrupt
 * gates (the frame carries the v8086 segments); IOPL-sensitive CLI/STI/
 * PUSHF/POPF/INT n, the I/O bitmap that v8086 mode always consults, and
 * real-mode style segment loads. */
#include "rt.h"

void enter_v86(void *frame);
extern char v86_catch_13[], v86_catch_0x30[];

#define CODE 0x8000u   /* linear address of the v8086 code: segment 0x0800 */

static uint32_t frame[9];
static void go(void *a) { (void)a; enter_v86(frame); }

/* Runs v8086 code at 0800:0000 with the given IOPL, DS = ES = 0x0800. */
static int run_v86(const uint8_t *code, unsigned n, unsigned iopl, struct rt_fault *f)
{
    memcpy((void *)CODE, code, n);
    uint32_t fl = 0x20002u | (iopl << 12);
    uint32_t init[9] = { 0, 0x0800, fl, 0xfff0, 0x0800, 0x0800, 0x0800, 0, 0 };
    memcpy(frame, init, sizeof frame);
    return rt_try(go, 0, f);
}

int main(void)
{
    struct rt_fault f;
    rt_set_gate(13, (uintptr_t)v86_catch_13, SEL_CODE32, 0xe, 0);
    rt_set_gate(0x30, (uintptr_t)v86_catch_0x30, SEL_CODE32, 0xe, 3);

    rt_puts("v8086 at IOPL 3: CLI STI PUSHF POPF, segment loads, INT 0x30 out\n");
    static const uint8_t prog1[] = {
        0xfa,                         /* cli */
        0xfb,                         /* sti */
        0x9c, 0x58,                   /* pushf; pop ax */
        0xa3, 0x00, 0x01,             /* mov [0x100], ax */
        0x8c, 0xc8,                   /* mov ax, cs */
        0xa3, 0x02, 0x01,             /* mov [0x102], ax */
        0xb8, 0x34, 0x12,             /* mov ax, 0x1234 */
        0x8e, 0xc0,                   /* mov es, ax */
        0x26, 0xc6, 0x06, 0x00, 0x00, 0x77, /* mov byte [es:0], 0x77 */
        0x6a, 0x00, 0x9d,             /* push 0; popf (IF=0) */
        0xcd, 0x30,                   /* int 0x30 */
    };
    *(volatile uint8_t *)0x12340 = 0;
    CHECK_EQ(run_v86(prog1, sizeof prog1, 3, &f), -1);
    uint16_t flags = *(volatile uint16_t *)(CODE + 0x100);
    CHECK(flags & 0x200);             /* IF after STI */
    CHECK_EQ(flags & 0x3000, 0x3000);
    CHECK_EQ(*(volatile uint16_t *)(CODE + 0x102), 0x0800);
    CHECK_EQ(*(volatile uint8_t *)0x12340, 0x77);

    rt_puts("v8086 at IOPL 0: CLI, PUSHF, INT n -> #GP(0)\n");
    static const uint8_t cli_prog[] = { 0x90, 0xfa };
    CHECK_EQ(run_v86(cli_prog, sizeof cli_prog, 0, &f), 13);
    CHECK_EQ(f.error, 0);
    CHECK_EQ(f.cs, 0x0800);
    CHECK_EQ(f.ip, 1);
    static const uint8_t pushf_prog[] = { 0x9c };
    CHECK_EQ(run_v86(pushf_prog, sizeof pushf_prog, 0, &f), 13);
    static const uint8_t int_prog[] = { 0xcd, 0x30 };
    CHECK_EQ(run_v86(int_prog, sizeof int_prog, 0, &f), 13);
    CHECK_EQ(f.error, 0);
    static const uint8_t iret_prog[] = { 0xcf };
    CHECK_EQ(run_v86(iret_prog, sizeof iret_prog, 0, &f), 13);

    rt_puts("v8086 I/O goes through the TSS bitmap even at IOPL 3\n");
    static const uint8_t out_prog[] = { 0xe6, 0xe9 };
    CHECK_EQ(run_v86(out_prog, sizeof out_prog, 3, &f), 13);
    CHECK_EQ(f.error, 0);

    rt_puts("INT n from v8086 to a DPL 0 gate: #GP(idt)\n");
    static const uint8_t int31_prog[] = { 0xcd, 0x31 };
    CHECK_EQ(run_v86(int31_prog, sizeof int31_prog, 3, &f), 13);
    CHECK_EQ(f.error, 0x31 * 8 + 2);
    return 0;
}

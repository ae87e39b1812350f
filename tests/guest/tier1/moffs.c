/* tier1/moffs.c — MOV AL/AX/EAX/RAX to and from a moffs (A0-A3), which
 * tier 1 runs natively through the inline TLB: every operand size, a
 * narrow load that must keep the rest of RAX, and accesses that cross a
 * page (the slow path).  Each round's values come from the round number;
 * the results are checked against byte reads in C.  In 64-bit code the
 * moffs is 8 bytes (MOVABS). */
#include "rt.h"

#define PAGE 4096
unsigned char moffs_buf[2 * PAGE] __attribute__((aligned(PAGE)));

#ifdef __x86_64__
#define MOFFS "movabs"
#else
#define MOFFS "mov"
#endif

static unsigned long long rd(unsigned off, unsigned n)
{
    unsigned long long v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (unsigned long long)((volatile unsigned char *)moffs_buf)[off + k] << (8 * k);
    return v;
}

int main(void)
{
    unsigned bad = 0;
    for (unsigned round = 0; round < 200; round++) {
        unsigned long v1 = 0x9abcdef0u ^ (round * 0x01030507u), v2 = v1 * 5 + 1, v3 = v1 ^ 0x5a5a5a5au;
        unsigned long x, b, w, d, c2, c4, keep;
        __asm__ volatile("mov %k[v1], %%eax\n\t"
                         MOFFS " %%al, moffs_buf+0x10\n\t"
                         "mov %k[v2], %%eax\n\t"
                         MOFFS " %%ax, moffs_buf+0x20\n\t"
                         "mov %k[v3], %%eax\n\t"
                         MOFFS " %%eax, moffs_buf+0x30\n\t"
                         MOFFS " %%eax, moffs_buf+4094\n\t"   /* crosses */
                         "not %%eax\n\t"
                         MOFFS " %%ax, moffs_buf+4095\n\t"    /* crosses */
                         : "=&a"(x) : [v1] "r"(v1), [v2] "r"(v2), [v3] "r"(v3) : "memory");
        __asm__ volatile(MOFFS " moffs_buf+0x30, %%eax\n\t"
                         "mov %%eax, %k[d]\n\t"
                         MOFFS " moffs_buf+0x20, %%ax\n\t"
                         "movzwl %%ax, %k[w]\n\t"
                         MOFFS " moffs_buf+0x10, %%al\n\t"
                         "movzbl %%al, %k[b]\n\t"
                         "mov %%eax, %k[keep]"                  /* AL, AH from AX, the rest from EAX */
                         : "=&a"(x), [d] "=&r"(d), [w] "=&r"(w), [b] "=&r"(b), [keep] "=&r"(keep)
                         : : "memory");
        __asm__ volatile(MOFFS " moffs_buf+4094, %%eax\n\t"
                         "mov %%eax, %k[c4]\n\t"
                         MOFFS " moffs_buf+4095, %%ax\n\t"
                         "movzwl %%ax, %k[c2]"
                         : "=&a"(x), [c4] "=&r"(c4), [c2] "=&r"(c2)
                         : : "memory");
        unsigned long want_keep = (v3 & 0xffff0000u) | (v2 & 0xff00) | (v1 & 0xff);
        if ((b & 0xff) != rd(0x10, 1) || rd(0x10, 1) != (v1 & 0xff) || (w & 0xffff) != rd(0x20, 2) ||
            rd(0x20, 2) != (v2 & 0xffff) || (d & 0xffffffffu) != rd(0x30, 4) ||
            rd(0x30, 4) != (v3 & 0xffffffffu) || (keep & 0xffffffffu) != want_keep ||
            (c4 & 0xffffffffu) != rd(4094, 4) || rd(4094, 1) != (v3 & 0xff) || rd(4097, 1) != (v3 >> 24 & 0xff) ||
            (c2 & 0xffff) != rd(4095, 2) || rd(4095, 2) != (~v3 & 0xffff)) {
            if (bad++ < 8)
                rt_printf("round %u: b %lx w %lx d %lx keep %lx c4 %lx c2 %lx\n", round, b, w, d, keep, c4, c2);
        }
#ifdef __x86_64__
        unsigned long long q = 0x0123456789abcdefull * (round | 1), qq;
        __asm__ volatile("movabs %%rax, moffs_buf+0x40\n\t"
                         "movabs %%rax, moffs_buf+4092\n\t"   /* crosses */
                         "xor %%eax, %%eax\n\t"
                         "movabs moffs_buf+4092, %%rax"
                         : "=a"(qq) : "a"(q) : "memory");
        if (rd(0x40, 8) != q || rd(4092, 8) != q || qq != q) {
            if (bad++ < 8)
                rt_printf("round %u: 64-bit %llx %llx %llx, not %llx\n", round, rd(0x40, 8), rd(4092, 8), qq, q);
        }
#endif
    }
    if (bad) {
        rt_printf("moffs: %u wrong\n", bad);
        return 1;
    }
    rt_printf("moffs: 200 rounds agree with C\n");
    return 0;
}

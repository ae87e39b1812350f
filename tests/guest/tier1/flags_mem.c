/* tier1/flags_mem.c — guest flags live across memory operands.  Tier 1
 * keeps flags that an ADD wrote across the inline TLB lookups of the
 * loads and stores after it (captured once, restored only for a reader),
 * so here an ADD's flags are read after one, two and three memory
 * operands: by ADC and SETO with memory operands, by PUSHF (a handler:
 * the flags handed over in the CPU's form) and by a Jcc.  The buffer
 * walks across a page boundary, so some of the accesses take the slow
 * path in the middle.  Every result is checked against C. */
#include "rt.h"

#define PAGE 4096
static unsigned char buf[2 * PAGE] __attribute__((aligned(PAGE)));

#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_OF 0x800u
#define OSZAPC (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

static uint32_t rd32(const unsigned char *p)
{
    const volatile unsigned char *v = p;
    return v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
}

/* The flags of a 32-bit ADD (carry in 0) or ADC, from their definition. */
static uint32_t adc_flags(uint32_t a, uint32_t b, uint32_t cin)
{
    uint32_t r = a + b + cin, f = 0;
    if (((uint64_t)a + b + cin) >> 32)
        f |= F_CF;
    if (!(__builtin_popcount(r & 0xff) & 1))
        f |= F_PF;
    if ((a ^ b ^ r) & 0x10)
        f |= F_AF;
    if (!r)
        f |= F_ZF;
    if (r & 0x80000000u)
        f |= F_SF;
    if (~(a ^ b) & (a ^ r) & 0x80000000u)
        f |= F_OF;
    return f;
}

int main(void)
{
    unsigned bad = 0;
    uint32_t seed = 0x2468ace1u;
    for (unsigned round = 0; round < 3; round++)
        for (unsigned off = PAGE - 24; off < PAGE + 8; off++) {
            unsigned char *p = buf + off;
            seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
            uint32_t a = seed, b = seed * 0x9e3779b9u + round, m0 = seed ^ 0x5555aaaau, m8 = ~seed;
            if (off & 1)
                b = 0x80000000u - (a & 0x7fffffffu);   /* overflow, zero and carry cases */
            for (unsigned k = 0; k < 4; k++) {
                ((volatile unsigned char *)p)[k] = (unsigned char)(m0 >> (8 * k));
                ((volatile unsigned char *)p)[8 + k] = (unsigned char)(m8 >> (8 * k));
            }
            unsigned long x, y = 0x1234567u, fl;
            __asm__ volatile("add %k[b], %k[a]\n\t"
                             "mov (%[p]), %k[x]\n\t"        /* a load after the ADD */
                             "mov %k[x], 4(%[p])\n\t"       /* a store */
                             "adc 8(%[p]), %k[y]\n\t"       /* CF read after two */
                             "seto 12(%[p])\n\t"            /* OF of the ADC, to memory */
                             "pushf\n\t"                   /* all flags, by a handler */
                             "pop %[fl]\n\t"
                             "movb $1, 13(%[p])\n\t"
                             "jc 1f\n\t"
                             "movb $0, 13(%[p])\n"
                             "1:"
                             : [a] "+r"(a), [x] "=&r"(x), [y] "+r"(y), [fl] "=&r"(fl)
                             : [b] "r"(b), [p] "r"(p)
                             : "memory", "cc");
            uint32_t a0 = a - b;
            uint32_t cf = adc_flags(a0, b, 0) & F_CF;
            uint32_t want_y = 0x1234567u + m8 + cf;
            uint32_t wf = adc_flags(0x1234567u, m8, cf);   /* ADC's flags */
            if ((x & 0xffffffffu) != m0 || rd32(p + 4) != m0 || (y & 0xffffffffu) != want_y ||
                (fl & OSZAPC) != wf || p[12] != ((wf & F_OF) != 0) || p[13] != ((wf & F_CF) != 0)) {
                if (bad++ < 8)
                    rt_printf("off %u round %u: x %lx y %lx/%x flags %lx/%x seto %u jc %u\n", off, round,
                              x & 0xffffffffu, y & 0xffffffffu, want_y, fl & OSZAPC, wf, p[12], p[13]);
            }
            /* The ADD's own flags read after three memory operands. */
            unsigned long fl2;
            __asm__ volatile("add %k[b], %k[a]\n\t"
                             "mov (%[p]), %k[x]\n\t"
                             "mov %k[x], 4(%[p])\n\t"
                             "mov 8(%[p]), %k[x]\n\t"
                             "seto 14(%[p])\n\t"          /* OF back from ax, after a lookup */
                             "pushf\n\t"
                             "pop %[fl]"
                             : [a] "+r"(a), [x] "=&r"(x), [fl] "=&r"(fl2)
                             : [b] "r"(b), [p] "r"(p)
                             : "memory", "cc");
            uint32_t want2 = adc_flags(a - b, b, 0);
            if (((fl2 & OSZAPC) != want2 || p[14] != ((want2 & F_OF) != 0)) && bad++ < 8)
                rt_printf("off %u round %u: flags after three accesses %lx, not %x; seto %u\n", off, round,
                          fl2 & OSZAPC, want2, p[14]);
        }
    if (bad) {
        rt_printf("flags_mem: %u wrong\n", bad);
        return 1;
    }
    rt_printf("flags_mem: all agree with C\n");
    return 0;
}

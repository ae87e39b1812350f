/* tier1/mem_cross.c — memory operands that cross a page take tier 1's
 * slow path (the handler): the inline TLB lookup must not hit on the
 * second page's slot.  The source is a window of two pages mapped in the
 * reverse order of their physical pages, so an access served with the
 * second page's addend reads the wrong bytes.  The copy is the i686
 * kernel's unrolled user copy (loads into EAX/EDX, stores from them), run
 * from every source and destination offset around the window's page
 * boundary; then ALU forms with memory operands (ADD r,m / ADD m,r / CMP /
 * OR) over the same spans.  Each result is checked against byte reads in
 * C, which cannot cross. */
#include "rt.h"

#define PAGE 4096
static unsigned char phys[2 * PAGE] __attribute__((aligned(PAGE)));
#define WINDOW 0x40000000u   /* beyond the runtime's identity map */
/* Byte reads and writes only in C (volatile): the compiler's wider ones
 * could cross too. */
static volatile unsigned char *const src = (volatile unsigned char *)(uintptr_t)WINDOW;
static volatile unsigned char *const dst = (volatile unsigned char *)(uintptr_t)(WINDOW + 4 * PAGE);
static unsigned char dphys[2 * PAGE] __attribute__((aligned(PAGE)));

static unsigned char pat(unsigned i) { return (unsigned char)(i * 7 + 3 + (i >> 8)); }

/* 16 bytes from s to d the way the kernel's memcpy does it: two loads,
 * two stores, four times, one block. */
static void copy16(unsigned char *d, const unsigned char *s)
{
    unsigned long a, b;
    __asm__ volatile("mov (%[s]), %k[a]\n\tmov 4(%[s]), %k[b]\n\t"
                     "mov %k[a], (%[d])\n\tmov %k[b], 4(%[d])\n\t"
                     "mov 8(%[s]), %k[a]\n\tmov 12(%[s]), %k[b]\n\t"
                     "mov %k[a], 8(%[d])\n\tmov %k[b], 12(%[d])"
                     : [a] "=&a"(a), [b] "=&d"(b)
                     : [s] "S"(s), [d] "D"(d)
                     : "memory");
}

static unsigned long le32(const volatile unsigned char *p)
{
    return p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

int main(void)
{
    unsigned bad = 0;
    for (unsigned i = 0; i < sizeof phys; i++)
        phys[i] = pat(i);
#ifdef __x86_64__
    rt_map64(rt_pml4, WINDOW, (uintptr_t)phys + PAGE, PTE_W, false);
    rt_map64(rt_pml4, WINDOW + PAGE, (uintptr_t)phys, PTE_W, false);
    rt_map64(rt_pml4, WINDOW + 4 * PAGE, (uintptr_t)dphys + PAGE, PTE_W, false);
    rt_map64(rt_pml4, WINDOW + 5 * PAGE, (uintptr_t)dphys, PTE_W, false);
#else
    uint32_t *pd = rt_alloc_page();
    rt_identity32(pd, 64u << 20, PTE_W, true);
    rt_map32(pd, WINDOW, (uintptr_t)phys + PAGE, PTE_W);
    rt_map32(pd, WINDOW + PAGE, (uintptr_t)phys, PTE_W);
    rt_map32(pd, WINDOW + 4 * PAGE, (uintptr_t)dphys + PAGE, PTE_W);
    rt_map32(pd, WINDOW + 5 * PAGE, (uintptr_t)dphys, PTE_W);
    write_cr4(read_cr4() | (1u << 4));   /* PSE */
    write_cr3((uintptr_t)pd);
    write_cr0(read_cr0() | 0x80000000u);
#endif
    for (int rep = 0; rep < 3; rep++)   /* hot enough for any threshold */
        for (unsigned so = PAGE - 20; so < PAGE + 4; so++)
            for (unsigned dof = PAGE - 20; dof < PAGE + 4; dof += 3) {
                for (unsigned k = 0; k < 24; k++)
                    dst[dof - 4 + k] = 0xee;
                copy16((unsigned char *)(dst + dof), (const unsigned char *)(src + so));
                for (unsigned k = 0; k < 16; k++)
                    if (dst[dof + k] != src[so + k] && bad++ < 8)
                        rt_printf("copy16 src+%u dst+%u byte %u: %x, not %x\n", so, dof, k,
                                  dst[dof + k], src[so + k]);
                if ((dst[dof - 1] != 0xee || dst[dof + 16] != 0xee) && bad++ < 8)
                    rt_printf("copy16 src+%u dst+%u wrote outside\n", so, dof);
                /* ALU forms: a register result of a load that crosses, a
                 * read-modify-write that crosses, and a compare after it. */
                unsigned long x = 0x01010101ul * (so & 0xff), y, cf;
                unsigned char *m = (unsigned char *)(dst + dof);
                __asm__ volatile("add (%[s]), %k[x]\n\t"
                                 "mov %k[x], %k[y]\n\t"
                                 "add %k[y], (%[m])\n\t"
                                 "or 4(%[s]), %k[y]\n\t"
                                 "cmp (%[m]), %k[x]\n\t"
                                 "sbb %k[c], %k[c]"
                                 : [x] "+r"(x), [y] "=&r"(y), [c] "=&r"(cf)
                                 : [s] "r"((const unsigned char *)(src + so)), [m] "r"(m)
                                 : "memory", "cc");
                unsigned long want_x = (0x01010101ul * (so & 0xff) + le32(src + so)) & 0xffffffff;
                unsigned long want_m = (le32(src + so) + want_x) & 0xffffffff;
                unsigned long want_y = want_x | le32(src + so + 4);
                unsigned long want_c = want_x < want_m ? 0xffffffff : 0;
                if (((x & 0xffffffff) != want_x || le32(m) != want_m || (y & 0xffffffff) != want_y ||
                     (cf & 0xffffffff) != want_c) && bad++ < 8)
                    rt_printf("alu src+%u dst+%u: x %lx/%lx m %lx/%lx y %lx/%lx c %lx/%lx\n", so, dof,
                              x & 0xffffffff, want_x, le32(m), want_m, y & 0xffffffff, want_y,
                              cf & 0xffffffff, want_c);
            }
    if (bad) {
        rt_printf("%u wrong\n", bad);
        return 1;
    }
    return 0;
}

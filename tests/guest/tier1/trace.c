/* tier1/trace.c — tier 1's traces (docs/tier1.md, "Traces"): a loop of
 * six blocks whose branches go both ways with the data, so every inner
 * branch of a trace leaves by its side exit on some iterations, with
 * guest registers written in the trace and flags a side exit's target
 * reads (ADC and SBB after the JS read the ADD's carry).  Each iteration
 * stores its running sum, so the memory is checked too; the last pass
 * runs into an unmapped page at a store in the trace's last block, which
 * must fault with the stores before it done and none after.  The
 * results are compared with the same arithmetic in C; under
 * -accel dbt,lockstep (the guest_trace_ variant: the default threshold,
 * so traces form) each translated run is also checked against tier 0,
 * the fault's state included.  guest_tier1_trace_stats checks that
 * traces did form. */
#include "rt.h"

#define PAGE 4096
#define N 4096
#define WINDOW 0x40000000u   /* beyond the runtime's identity map */

static uint32_t table[N];
static unsigned long out[N];
static unsigned char window_page[PAGE] __attribute__((aligned(PAGE)));

#ifdef __x86_64__
#define W "q"   /* the operand size of unsigned long */
#else
#define W "l"
#endif

struct pass {
    const uint32_t *t;
    unsigned long *o;
    unsigned long n, acc, b;
};

/* A: load, ADD (CF, SF vary), JS to E.  B: ADC reads the carry, JNZ on
 * the low bit to D, else C: ROL, JMP.  D: XOR, JMP.  E: SBB reads the
 * carry, SHR.  F (the join): ADD, the store, loop. */
static void run(void *arg)
{
    struct pass *p = arg;
    unsigned long acc = p->acc, b = p->b, i = 0, v, s = 0;
    __asm__ volatile("1:\n\t"
                     "mov (%[t],%[i],4), %k[v]\n\t"
                     "add %k[v], %k[s]\n\t"
                     "js 4f\n\t"
                     "adc" W " $7, %[b]\n\t"
                     "test $1, %k[v]\n\t"
                     "jnz 3f\n\t"
                     "rol $3, %[acc]\n\t"
                     "jmp 5f\n"
                     "3:\n\t"
                     "xor %[v], %[acc]\n\t"
                     "jmp 5f\n"
                     "4:\n\t"
                     "sbb %[v], %[acc]\n\t"
                     "shr $1, %k[s]\n"
                     "5:\n\t"
                     "add %[s], %[acc]\n\t"
                     "mov %[acc], (%[o],%[i],%c[w])\n\t"
                     "inc %[i]\n\t"
                     "cmp %[n], %[i]\n\t"
                     "jne 1b"
                     : [acc] "+r"(acc), [b] "+m"(b), [i] "+r"(i), [v] "=&r"(v), [s] "+r"(s)
                     : [t] "r"(p->t), [o] "r"(p->o), [n] "rm"(p->n), [w] "i"(sizeof(unsigned long))
                     : "cc", "memory");
    p->acc = acc;
    p->b = b;
}

static unsigned long rotl3(unsigned long x) { return x << 3 | x >> (8 * sizeof x - 3); }

/* The same in C, one iteration at a time. */
static void reference(const uint32_t *t, unsigned long n, unsigned long *acc, unsigned long *b,
                      unsigned long *o)
{
    uint32_t s = 0;
    for (unsigned long i = 0; i < n; i++) {
        uint32_t v = t[i];
        unsigned cf = (uint32_t)(s + v) < s;
        s += v;
        if (s >> 31) {
            *acc = *acc - v - cf;
            s >>= 1;
        } else {
            *b += 7 + cf;
            *acc = v & 1 ? *acc ^ v : rotl3(*acc);
        }
        *acc += s;
        o[i] = *acc;
    }
}

static unsigned long ref_out[N];

int main(void)
{
    unsigned bad = 0;
    uint32_t x = 0x12345678;
    for (unsigned i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;   /* both ways at every branch, in no fixed pattern */
        table[i] = x ^ (x >> 13);
    }
    for (int rep = 0; rep < 4; rep++) {   /* hot enough for any threshold */
        struct pass p = { table, out, N, 0x9e3779b9u + (unsigned)rep, (unsigned)rep };
        unsigned long acc = p.acc, b = p.b;
        run(&p);
        reference(table, N, &acc, &b, ref_out);
        if ((p.acc != acc || p.b != b) && bad++ < 8)
            rt_printf("pass %d: acc %lx b %lx, not %lx %lx\n", rep, p.acc, p.b, acc, b);
        for (unsigned i = 0; i < N; i++)
            if (out[i] != ref_out[i] && bad++ < 8)
                rt_printf("pass %d: out[%u] %lx, not %lx\n", rep, i, out[i], ref_out[i]);
    }

    /* The outputs run into an unmapped page: a #PF at the store of the
     * iteration that reaches it, the earlier ones stored. */
#ifdef __x86_64__
    rt_map64(rt_pml4, WINDOW, (uintptr_t)window_page, PTE_W, false);
#else
    uint32_t *pd = rt_alloc_page();
    rt_identity32(pd, 64u << 20, PTE_W, true);
    rt_map32(pd, WINDOW, (uintptr_t)window_page, PTE_W);
    write_cr4(read_cr4() | (1u << 4));   /* PSE */
    write_cr3((uintptr_t)pd);
    write_cr0(read_cr0() | 0x80000000u);
#endif
    const unsigned fit = PAGE / sizeof(unsigned long) - 8;   /* outputs before the end */
    unsigned long *o = (unsigned long *)(uintptr_t)(WINDOW + 8 * sizeof(unsigned long));
    for (int rep = 0; rep < 4; rep++) {
        for (unsigned i = 0; i < PAGE / sizeof(unsigned long); i++)
            ((volatile unsigned long *)(uintptr_t)WINDOW)[i] = 0;
        struct pass p = { table, o, N, 1, 2 };
        unsigned long acc = 1, b = 2;
        struct rt_fault f;
        int vec = rt_try(run, &p, &f);
        reference(table, fit, &acc, &b, ref_out);
        if ((vec != 14 || f.cr2 != WINDOW + PAGE) && bad++ < 8)
            rt_printf("fault pass %d: vector %d cr2 %llx, not 14 %x\n", rep, vec,
                      (unsigned long long)f.cr2, WINDOW + PAGE);
        for (unsigned i = 0; i < fit; i++)
            if (((volatile unsigned long *)o)[i] != ref_out[i] && bad++ < 8)
                rt_printf("fault pass %d: out[%u] %lx, not %lx\n", rep, i, o[i], ref_out[i]);
    }
    if (bad) {
        rt_printf("trace: %u differences\n", bad);
        return 1;
    }
    rt_printf("trace: %u iterations in 4 passes and 4 faulting ones agree with C\n", N);
    return 0;
}

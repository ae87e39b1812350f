/* tier1/loop.c — loops that tier 1 closes inside one translation (a back
 * edge to the trace's head keeps the loop's registers in host registers).
 * Twelve values and a count are live in the loop: more than the register
 * cache holds in 64-bit code (so some move between iterations, and the
 * back edge must load them where the loop's start wants them) and more
 * than a 32-bit guest has registers (so stack slots too).  A rare arm runs
 * PUSHF/POPF (handlers) outside the trace.  The count runs far past tier 1's budget per entry (8192
 * instructions), so the back edge's budget check leaves and the loop is
 * entered again.  The reference is the same arithmetic on an array through
 * a volatile pointer: other code, every value in memory. */
#include "rt.h"

#define N 60000u
#define NV 12

static void ref_mix(volatile uint32_t *v, uint32_t n)
{
    for (uint32_t i = n; i; i--) {
        for (int k = 0; k < NV - 1; k++)
            v[k] += (v[k + 1] ^ i) + (uint32_t)k;
        v[NV - 1] = (v[NV - 1] << 3 | v[NV - 1] >> 29) + v[0];
        if ((i & 63) == 7)
            v[5] ^= v[9];
        else
            v[6] -= v[2];
    }
}

#define STEP(x, y, k) x += ((y) ^ i) + (k)

static __attribute__((noinline)) void reg_mix(uint32_t *out, uint32_t n)
{
    uint32_t a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8, p = 9, q = 10, r = 11, s = 12;
    for (uint32_t i = n; i; i--) {
        STEP(a, b, 0); STEP(b, c, 1); STEP(c, d, 2); STEP(d, e, 3); STEP(e, f, 4); STEP(f, g, 5);
        STEP(g, h, 6); STEP(h, p, 7); STEP(p, q, 8); STEP(q, r, 9); STEP(r, s, 10);
        s = (s << 3 | s >> 29) + a;
        if ((i & 63) == 7) {   /* rare: the trace goes the other way */
            __asm__ volatile("pushf\n\tpopf" ::: "memory", "cc");
            f ^= q;
        } else {
            g -= c;
        }
    }
    uint32_t v[NV] = { a, b, c, d, e, f, g, h, p, q, r, s };
    for (int k = 0; k < NV; k++)
        out[k] = v[k];
}

int main(void)
{
    unsigned bad = 0;
    uint32_t want[NV], got[NV];
    for (int k = 0; k < NV; k++)
        want[k] = (uint32_t)k + 1;
    ref_mix(want, N);
    reg_mix(got, N);
    for (int k = 0; k < NV; k++)
        if (got[k] != want[k] && bad++ < 8)
            rt_printf("loop: value %d is %x, not %x\n", k, got[k], want[k]);
    if (bad) {
        rt_printf("loop: %u wrong\n", bad);
        return 1;
    }
    rt_printf("loop: %u iterations agree with the reference\n", N);
    return 0;
}

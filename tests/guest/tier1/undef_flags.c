/* tier1/undef_flags.c — what the SDM leaves undefined after IMUL, shifts
 * and rotates is whatever the CPU model says, in both tiers.  Each case
 * sets the input flags (the undefined ones may be kept), runs the form and
 * reads EFLAGS with PUSHF.  Under -accel dbt,lockstep every block is
 * checked against the interpreter, so tier 1 must give tier 0's values
 * bit for bit (a host that disagrees with the model must not run the form
 * natively where the flags are read, nor with the input flags unset).
 * The sum of all results is printed, so runs of the three variants can be
 * compared by eye. */
#include "rt.h"

#define CASE(insn, in_flags, a, b)                                              \
    ({                                                                         \
        unsigned long f_, r_ = (a);                                            \
        __asm__ volatile("push %[fi]\n\tpopf\n\t" insn "\n\tpushf\n\tpop %[f]"  \
                         : [f] "=&r"(f_), "+a"(r_)                              \
                         : [fi] "r"((unsigned long)(in_flags)), "c"((unsigned long)(b)) \
                         : "cc", "memory");                                     \
        (f_ & 0x8d5) * 31 + r_;                                                 \
    })

int main(void)
{
    static const unsigned long vals[] = { 0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x8000, 0x7fffffff,
                                          0x80000000ul, 0xffffffff, 0x12345678 };
    static const unsigned long fl[] = { 0x2, 0x8d7, 0x46, 0x801, 0x95 };
    unsigned long sum = 0;
    for (int rep = 0; rep < 3; rep++)   /* hot enough for any threshold */
        for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++)
            for (unsigned j = 0; j < sizeof fl / sizeof fl[0]; j++) {
                unsigned long a = vals[i], f = fl[j];
                sum += CASE("imul $0x2c, %%eax, %%eax", f, a, 0);
                sum += CASE("imul %%ecx, %%eax", f, a, vals[(i + 3) % 12]);
                sum += CASE("shl $2, %%eax", f, a, 0);
                sum += CASE("shr $3, %%eax", f, a, 0);
                sum += CASE("sar $5, %%eax", f, a, 0);
                sum += CASE("rol $7, %%eax", f, a, 0);
                sum += CASE("ror $9, %%eax", f, a, 0);
                sum += CASE("shl %%cl, %%eax", f, a, j * 7 + i);
                sum += CASE("rcl %%cl, %%eax", f, a, j * 5 + i);
                sum += CASE("shrb %%cl, %%al", f, a, j * 3 + i);
                sum += CASE("rolw %%cl, %%ax", f, a, j * 9 + i);
            }
    rt_printf("undefined-flag checksum %lx\n", sum);
    return 0;
}

/* tier1/undef_flags.c — what the SDM leaves undefined after IMUL, shifts
 * and rotates is whatever the CPU model says, in both tiers.  Each case
 * sets the input flags (the undefined ones may be kept), runs the form and
 * reads the flags back.  Under -accel dbt,lockstep every block is
 * checked against the interpreter, so tier 1 must give tier 0's values
 * bit for bit (a host that disagrees with the model must not run the form
 * natively where the flags are read, nor with the input flags unset).
 * The sum of all results is printed, so runs of the three variants can be
 * compared by eye. */
#include "rt.h"

/* The input flags come from SAHF and the result's from LAHF/SETO: no
 * sensitive instruction in the block (lockstep does not replay those). */
#define CASE(insn, in_flags, a, b)                                              \
    ({                                                                         \
        unsigned long fo_ = 0, r_ = (a);                                       \
        __asm__ volatile("movb %b[fi], %%ah\n\tsahf\n\t" insn "\n\t"          \
                         "lahf\n\tseto %%al\n\tmovzwl %%ax, %k[fo]"            \
                         : [fo] "+&r"(fo_), "+d"(r_)                            \
                         : [fi] "b"((unsigned long)(in_flags)), "c"((unsigned long)(b)) \
                         : "eax", "cc", "memory");                             \
        fo_ * 31 + r_;                                                         \
    })

int main(void)
{
    static const unsigned long vals[] = { 0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x8000, 0x7fffffff,
                                          0x80000000ul, 0xffffffff, 0x12345678 };
    static const unsigned long fl[] = { 0x02, 0xd7, 0x46, 0x01, 0x95 };   /* SAHF's byte */
    unsigned long sum = 0;
    for (int rep = 0; rep < 3; rep++)   /* hot enough for any threshold */
        for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++)
            for (unsigned j = 0; j < sizeof fl / sizeof fl[0]; j++) {
                unsigned long a = vals[i], f = fl[j];
                sum += CASE("imul $0x2c, %%edx, %%edx", f, a, 0);
                sum += CASE("imul %%ecx, %%edx", f, a, vals[(i + 3) % 12]);
                sum += CASE("shl $2, %%edx", f, a, 0);
                sum += CASE("shr $3, %%edx", f, a, 0);
                sum += CASE("sar $5, %%edx", f, a, 0);
                sum += CASE("rol $7, %%edx", f, a, 0);
                sum += CASE("ror $9, %%edx", f, a, 0);
                sum += CASE("shl %%cl, %%edx", f, a, j * 7 + i);
                sum += CASE("rcl %%cl, %%edx", f, a, j * 5 + i);
                sum += CASE("shrb %%cl, %%dl", f, a, j * 3 + i);
                sum += CASE("rolw %%cl, %%dx", f, a, j * 9 + i);
            }
    rt_printf("undefined-flag checksum %lx\n", sum);
    return 0;
}

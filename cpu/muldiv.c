/* muldiv.c — group 3 (NOT NEG MUL IMUL DIV IDIV) and the two- and
 * three-operand IMUL forms.  TEST Eb,Ib / Ev,Iz share alu.c's TEST_EI.
 *
 * MUL/IMUL define only CF and OF; DIV/IDIV define no flags.  For the
 * undefined ones this follows AMD Zen: MUL/IMUL keep SF ZF AF PF, DIV/IDIV
 * clear SF ZF PF, set AF and keep CF OF, in both models (not modelled per
 * vendor: cpu/model.c).
 */
#include "operand.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

void NOT_E(CPU *cpu, const Insn *in)
{
    wr_E(cpu, in, in->osz, ~rd_E(cpu, in, in->osz));
}

void NEG_E(CPU *cpu, const Insn *in)
{
    uint64_t a = rd_E(cpu, in, in->osz);
    uint64_t r = (0 - a) & size_mask(in->osz);
    wr_E(cpu, in, in->osz, r);
    lf_set(cpu, LF_SUB, in->osz, 0, a, r);
}

/* Writes a double-width product or quotient/remainder pair: AX for bytes
 * (lo in AL, hi in AH), else rDX:rAX. */
static void put_pair(CPU *cpu, unsigned size, uint64_t lo, uint64_t hi)
{
    if (size == 1) {
        set_reg(cpu, R_AX, 2, (lo & 0xff) | (hi & 0xff) << 8);
        return;
    }
    set_reg(cpu, R_AX, size, lo);
    set_reg(cpu, R_DX, size, hi);
}

static void mul_flags(CPU *cpu, bool overflow)
{
    flags_put(cpu, F_CF | F_OF, overflow ? F_CF | F_OF : 0);
}

void MUL_E(CPU *cpu, const Insn *in)
{
    unsigned size = in->osz, bits = size * 8;
    uint64_t b = rd_E(cpu, in, size);
    u128 p = (u128)get_reg(cpu, R_AX, size) * b;
    uint64_t lo = (uint64_t)p & size_mask(size);
    uint64_t hi = (uint64_t)(p >> bits) & size_mask(size);
    put_pair(cpu, size, lo, hi);
    mul_flags(cpu, hi != 0);
}

void IMUL_E(CPU *cpu, const Insn *in)
{
    unsigned size = in->osz, bits = size * 8;
    int64_t b = sext(rd_E(cpu, in, size), size);
    s128 p = (s128)sext(get_reg(cpu, R_AX, size), size) * b;
    uint64_t lo = (uint64_t)p & size_mask(size);
    uint64_t hi = (uint64_t)(p >> bits) & size_mask(size);
    put_pair(cpu, size, lo, hi);
    mul_flags(cpu, p != (s128)sext(lo, size));
}

/* 0F AF (Gv, Ev), 69 (Gv, Ev, Iz), 6B (Gv, Ev, Ib) */
void IMUL_GvEvI(CPU *cpu, const Insn *in)
{
    unsigned size = in->osz;
    int64_t b = sext(rd_E(cpu, in, size), size);
    int64_t c = in->opc == 0xaf ? sext(rd_G(cpu, in, size), size) : sext(in->imm, size);
    s128 p = (s128)b * c;
    uint64_t lo = (uint64_t)p & size_mask(size);
    wr_G(cpu, in, size, lo);
    mul_flags(cpu, p != (s128)sext(lo, size));
}

static _Noreturn void divide_error(CPU *cpu)
{
    cpu_raise(cpu, EXC_DE, 0, false);
}

static void div_flags(CPU *cpu)
{
    flags_put(cpu, F_SF | F_ZF | F_AF | F_PF, F_AF);
}

/* The dividend is AX for bytes, else rDX:rAX. */
static u128 dividend(CPU *cpu, unsigned size)
{
    if (size == 1)
        return get_reg(cpu, R_AX, 2);
    return ((u128)get_reg(cpu, R_DX, size) << (size * 8)) | get_reg(cpu, R_AX, size);
}

void DIV_E(CPU *cpu, const Insn *in)
{
    unsigned size = in->osz;
    uint64_t d = rd_E(cpu, in, size);
    if (d == 0)
        divide_error(cpu);
    u128 n = dividend(cpu, size);
    u128 q = n / d;
    if (q > size_mask(size))
        divide_error(cpu);
    put_pair(cpu, size, (uint64_t)q, (uint64_t)(n % d));
    div_flags(cpu);
}

void IDIV_E(CPU *cpu, const Insn *in)
{
    unsigned size = in->osz, bits = size * 8;
    int64_t d = sext(rd_E(cpu, in, size), size);
    if (d == 0)
        divide_error(cpu);
    /* Sign-extend the 2*bits-wide dividend to 128 bits. */
    u128 raw = dividend(cpu, size);
    s128 n = (s128)(raw << (128 - 2 * bits)) >> (128 - 2 * bits);
    /* |n| <= 2^127 only when bits == 64; the one unrepresentable case
     * (-2^127 / -1) overflows the quotient anyway. */
    if (bits == 64 && d == -1 && raw == (u128)1 << 127)
        divide_error(cpu);
    s128 q = n / d, r = n % d;
    s128 lim = (s128)1 << (bits - 1);
    if (q >= lim || q < -lim)
        divide_error(cpu);
    put_pair(cpu, size, (uint64_t)q, (uint64_t)r);
    div_flags(cpu);
}

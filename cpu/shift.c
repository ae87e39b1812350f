/* shift.c — group 2 (ROL ROR RCL RCR SHL SHR SAL SAR) and SHLD/SHRD.
 *
 * Where the SDM leaves a flag or result undefined (OF for counts above 1,
 * AF after shifts, SHLD/SHRD of a 16-bit operand by more than 16), the code
 * reproduces what AMD Zen parts do; tests/unit/test_arith_shift.c compares
 * against the host CPU and counts any remaining undefined-flag differences.
 * Both models do this (not modelled per vendor: cpu/model.c).
 */
#include "operand.h"

static inline uint64_t msb(uint64_t v, unsigned bits) { return (v >> (bits - 1)) & 1; }

/* The count source is the opcode: C0/C1 imm8, D0/D1 one, D2/D3 CL. */
static unsigned shift_count(CPU *cpu, const Insn *in)
{
    if (in->opc <= 0xc1)
        return (unsigned)in->imm;
    if (in->opc <= 0xd1)
        return 1;
    return (unsigned)cpu->regs[R_CX] & 0xff;
}

void SHIFT_E(CPU *cpu, const Insn *in)
{
    unsigned size = in->osz, bits = size * 8;
    unsigned op = (in->modrm >> 3) & 7;
    unsigned count = shift_count(cpu, in) & (size == 8 ? 0x3f : 0x1f);
    uint64_t m = size_mask(size);
    uint64_t a = rd_E(cpu, in, size);
    uint64_t res, cf, of;
    uint32_t flags = 0, mask = F_CF | F_OF;

    if (count == 0) {
        /* Flags untouched; the operand is still written back, which
         * zero-extends a 32-bit register in 64-bit mode. */
        wr_E(cpu, in, size, a);
        return;
    }
    switch (op) {
    case 0: {  /* ROL */
        unsigned r = count & (bits - 1);
        res = r ? ((a << r) | (a >> (bits - r))) & m : a;
        cf = res & 1;
        of = msb(res, bits) ^ cf;
        break;
    }
    case 1: {  /* ROR */
        unsigned r = count & (bits - 1);
        res = r ? ((a >> r) | (a << (bits - r))) & m : a;
        cf = msb(res, bits);
        of = cf ^ msb(res, bits - 1);
        break;
    }
    case 2:    /* RCL: a rotate through bits+1 bits, CF on top */
    case 3: {  /* RCR */
        unsigned width = bits + 1;
        unsigned r = bits < 32 ? count % width : count;
        unsigned __int128 v = ((unsigned __int128)cpu_get_cf(cpu) << bits) | a;
        unsigned __int128 wm = ((unsigned __int128)1 << width) - 1;
        if (r) {
            if (op == 2)
                v = ((v << r) | (v >> (width - r))) & wm;
            else
                v = ((v >> r) | (v << (width - r))) & wm;
        }
        res = (uint64_t)v & m;
        cf = (uint64_t)(v >> bits) & 1;
        of = op == 2 ? msb(res, bits) ^ cf : msb(res, bits) ^ msb(res, bits - 1);
        break;
    }
    case 4:
    case 6:    /* SHL/SAL */
        res = (a << count) & m;
        cf = count <= bits ? (a >> (bits - count)) & 1 : 0;
        of = msb(res, bits) ^ cf;
        mask = F_OSZAPC;
        flags = szp_flags(res, size) | F_AF;
        break;
    case 5:    /* SHR */
        res = a >> count;
        cf = (a >> (count - 1)) & 1;
        of = msb(res, bits) ^ msb(res, bits - 1);
        mask = F_OSZAPC;
        flags = szp_flags(res, size) | F_AF;
        break;
    default: { /* SAR */
        int64_t s = sext(a, size);
        res = (uint64_t)(s >> (count > 63 ? 63 : count)) & m;
        cf = (uint64_t)(s >> (count - 1)) & 1;
        of = 0;
        mask = F_OSZAPC;
        flags = szp_flags(res, size) | F_AF;
        break;
    }
    }
    wr_E(cpu, in, size, res);
    flags |= (cf ? F_CF : 0) | (of ? F_OF : 0);
    flags_put(cpu, mask, flags);
}

/* SHLD/SHRD.  A 16-bit operand shifted by 17..31 is undefined in the SDM;
 * AMD then shifts in the source a second time (as if DEST:SRC:SRC were one
 * 48-bit value), which the code below reproduces. */
static void shxd(CPU *cpu, const Insn *in, bool left)
{
    unsigned size = in->osz, bits = size * 8;
    unsigned count = (unsigned)(in->opc & 1 ? cpu->regs[R_CX] : in->imm) & (size == 8 ? 0x3f : 0x1f);
    uint64_t m = size_mask(size);
    uint64_t a = rd_E(cpu, in, size), b = rd_G(cpu, in, size);
    if (count == 0) {
        wr_E(cpu, in, size, a);
        return;
    }
    uint64_t res, cf, of;
    if (left) {
        if (count <= bits)
            res = ((a << count) | (count == bits ? b : b >> (bits - count))) & m;
        else
            res = ((b << (count - bits)) | (b >> (2 * bits - count))) & m;
        cf = count <= bits ? (a >> (bits - count)) & 1 : 0;
        /* The sign of DEST alone after the shift: the same as the result's
         * below the operand size, and what AMD reports beyond it. */
        of = msb((a << count) & m, bits) ^ cf;
    } else {
        if (count <= bits)
            res = ((a >> count) | (count == bits ? b : b << (bits - count))) & m;
        else
            res = ((b >> (count - bits)) | (b << (2 * bits - count))) & m;
        cf = count <= bits ? (a >> (count - 1)) & 1 : 0;
        of = msb(res, bits) ^ msb(res, bits - 1);
    }
    wr_E(cpu, in, size, res);
    flags_put(cpu, F_OSZAPC, szp_flags(res, size) | F_AF | (cf ? F_CF : 0) | (of ? F_OF : 0));
}

void SHLD_EvGv(CPU *cpu, const Insn *in) { shxd(cpu, in, true); }
void SHRD_EvGv(CPU *cpu, const Insn *in) { shxd(cpu, in, false); }

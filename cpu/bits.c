/* bits.c — BT/BTS/BTR/BTC, BSF/BSR, POPCNT, TZCNT, LZCNT.
 *
 * Flags the SDM leaves undefined follow AMD Zen: BTx and BSF/BSR keep every
 * flag they do not define; TZCNT/LZCNT clear SF AF PF and keep OF.  Both
 * models do this (not modelled per vendor: cpu/model.c).
 */
#include "operand.h"

/* op: 0 BT, 1 BTS, 2 BTR, 3 BTC (the opcode/ModRM.reg order) */
static void btx(CPU *cpu, const Insn *in, unsigned op, int64_t offset, bool from_reg)
{
    unsigned size = in->osz, bits = size * 8;
    uint64_t ea = 0, v;
    unsigned bit;
    if (!(in->flags & IF_MEM)) {
        bit = (unsigned)offset & (bits - 1);
        v = get_reg(cpu, in->rm, size);
    } else {
        /* A register bit offset is signed and may select an operand-sized
         * unit far from the effective address. */
        int64_t unit = from_reg ? offset >> (size == 2 ? 4 : size == 4 ? 5 : 6) : 0;
        bit = (unsigned)offset & (bits - 1);
        ea = (insn_ea(cpu, in) + (uint64_t)unit * size) & size_mask(in->asz);
        v = cpu_read(cpu, in->seg, ea, size);
    }
    uint64_t mask = 1ull << bit;
    uint64_t nv = op == 1 ? v | mask : op == 2 ? v & ~mask : v ^ mask;
    if (op != 0) {
        if (in->flags & IF_MEM)
            cpu_write(cpu, in->seg, ea, size, nv);
        else
            set_reg(cpu, in->rm, size, nv);
    }
    flags_put(cpu, F_CF, (v & mask) ? F_CF : 0);
}

void BTx_EvGv(CPU *cpu, const Insn *in)
{
    unsigned op = (in->opc >> 3) & 3;   /* A3 BT, AB BTS, B3 BTR, BB BTC */
    btx(cpu, in, op, sext(rd_G(cpu, in, in->osz), in->osz), true);
}

void BTx_EvIb(CPU *cpu, const Insn *in)
{
    btx(cpu, in, ((in->modrm >> 3) & 7) - 4, (int64_t)(in->imm & 0xff), false);
}

/* A zero source sets ZF and leaves the destination as it was (not even
 * zero-extended), as AMD documents and Intel parts do in practice. */
static void bit_scan(CPU *cpu, const Insn *in, bool reverse)
{
    unsigned size = in->osz;
    uint64_t v = rd_E(cpu, in, size);
    if (v == 0) {
        flags_put(cpu, F_ZF, F_ZF);
        return;
    }
    wr_G(cpu, in, size, reverse ? 63 - (unsigned)__builtin_clzll(v) : (unsigned)__builtin_ctzll(v));
    flags_put(cpu, F_ZF, 0);
}

void BSF_GvEv(CPU *cpu, const Insn *in) { bit_scan(cpu, in, false); }
void BSR_GvEv(CPU *cpu, const Insn *in) { bit_scan(cpu, in, true); }

void POPCNT_GvEv(CPU *cpu, const Insn *in)
{
    uint64_t v = rd_E(cpu, in, in->osz);
    wr_G(cpu, in, in->osz, (uint64_t)__builtin_popcountll(v));
    flags_put(cpu, F_OSZAPC, v ? 0 : F_ZF);
}

static void count_zeros(CPU *cpu, const Insn *in, bool leading)
{
    unsigned size = in->osz, bits = size * 8;
    uint64_t v = rd_E(cpu, in, size);
    unsigned n;
    if (v == 0)
        n = bits;
    else if (leading)
        n = (unsigned)__builtin_clzll(v) - (64 - bits);
    else
        n = (unsigned)__builtin_ctzll(v);
    wr_G(cpu, in, size, n);
    flags_put(cpu, F_CF | F_ZF | F_SF | F_AF | F_PF, (v == 0 ? F_CF : 0) | (n == 0 ? F_ZF : 0));
}

void TZCNT_GvEv(CPU *cpu, const Insn *in) { count_zeros(cpu, in, false); }
void LZCNT_GvEv(CPU *cpu, const Insn *in) { count_zeros(cpu, in, true); }

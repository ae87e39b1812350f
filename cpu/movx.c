/* movx.c — MOVZX, MOVSX, MOVSXD, BSWAP, XLAT. */
#include "operand.h"

/* The source size is in the opcode: 0F B6/BE read a byte, B7/BF a word. */
static unsigned movx_src_size(const Insn *in) { return (in->opc & 1) ? 2 : 1; }

void MOVZX(CPU *cpu, const Insn *in)
{
    wr_G(cpu, in, in->osz, rd_E(cpu, in, movx_src_size(in)));
}

void MOVSX(CPU *cpu, const Insn *in)
{
    unsigned ss = movx_src_size(in);
    wr_G(cpu, in, in->osz, (uint64_t)sext(rd_E(cpu, in, ss), ss));
}

/* Only REX.W makes it a sign extension; otherwise it is a plain move of
 * the operand size (32 bits zero-extend, 16 bits merge). */
void MOVSXD(CPU *cpu, const Insn *in)
{
    if (in->osz == 8)
        wr_G(cpu, in, 8, (uint64_t)sext(rd_E(cpu, in, 4), 4));
    else
        wr_G(cpu, in, in->osz, rd_E(cpu, in, in->osz));
}

/* BSWAP of a 16-bit register is undefined in the SDM; the AMD Zen host
 * clears the low word and keeps the rest, so both models do that (not
 * modelled per vendor: cpu/model.c). */
void BSWAP(CPU *cpu, const Insn *in)
{
    uint64_t v = get_reg(cpu, in->rm, in->osz);
    switch (in->osz) {
    case 8: v = __builtin_bswap64(v); break;
    case 4: v = __builtin_bswap32((uint32_t)v); break;
    default: v = 0; break;
    }
    set_reg(cpu, in->rm, in->osz, v);
}

/* AL = [seg:rBX + AL], the sum wrapping at the address size. */
void XLAT(CPU *cpu, const Insn *in)
{
    uint64_t off = (cpu->regs[R_BX] + (cpu->regs[R_AX] & 0xff)) & size_mask(in->asz);
    set_reg(cpu, R_AX, 1, cpu_read(cpu, in->seg, off, 1));
}

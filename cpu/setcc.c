/* setcc.c — SETcc, CMOVcc, CBW/CWDE/CDQE, CWD/CDQ/CQO, LAHF, SAHF. */
#include "operand.h"

void SETcc_Eb(CPU *cpu, const Insn *in)
{
    wr_E(cpu, in, 1, cpu_cond(cpu, in->opc & 15));
}

/* The source is read (and may fault) whatever the condition; a 32-bit
 * destination is zero-extended even when nothing moves. */
void CMOVcc_GvEv(CPU *cpu, const Insn *in)
{
    uint64_t v = rd_E(cpu, in, in->osz);
    if (cpu_cond(cpu, in->opc & 15))
        wr_G(cpu, in, in->osz, v);
    else if (in->osz == 4)
        wr_G(cpu, in, 4, rd_G(cpu, in, 4));
}

void CBW(CPU *cpu, const Insn *in)
{
    unsigned half = in->osz / 2;
    set_reg(cpu, R_AX, in->osz, (uint64_t)sext(get_reg(cpu, R_AX, half), half));
}

void CWD(CPU *cpu, const Insn *in)
{
    bool neg = get_reg(cpu, R_AX, in->osz) & sign_bit(in->osz);
    set_reg(cpu, R_DX, in->osz, neg ? ~0ull : 0);
}

void LAHF(CPU *cpu, const Insn *in)
{
    (void)in;
    uint32_t f = cpu_get_eflags(cpu);
    set_reg(cpu, 16 + R_AX, 1, (f & (F_SF | F_ZF | F_AF | F_PF | F_CF)) | 2);
}

void SAHF(CPU *cpu, const Insn *in)
{
    (void)in;
    flags_put(cpu, F_SF | F_ZF | F_AF | F_PF | F_CF, (uint32_t)get_reg(cpu, 16 + R_AX, 1));
}

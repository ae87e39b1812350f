/* datamov.c — MOV, LEA, XCHG, PUSH, POP and NOP forms. */
#include "operand.h"

void NOP(CPU *cpu, const Insn *in) { (void)cpu; (void)in; }

void MOV_EG(CPU *cpu, const Insn *in) { wr_E(cpu, in, in->osz, rd_G(cpu, in, in->osz)); }
void MOV_GE(CPU *cpu, const Insn *in) { wr_G(cpu, in, in->osz, rd_E(cpu, in, in->osz)); }
void MOV_EI(CPU *cpu, const Insn *in) { wr_E(cpu, in, in->osz, in->imm); }
void MOV_ZI(CPU *cpu, const Insn *in) { wr_E(cpu, in, in->osz, in->imm); }
/* moffs forms: the decoder leaves a base-less memory operand */
void MOV_AO(CPU *cpu, const Insn *in) { set_reg(cpu, R_AX, in->osz, rd_E(cpu, in, in->osz)); }
void MOV_OA(CPU *cpu, const Insn *in) { wr_E(cpu, in, in->osz, get_reg(cpu, R_AX, in->osz)); }

void LEA_GvM(CPU *cpu, const Insn *in)
{
    wr_G(cpu, in, in->osz, insn_ea(cpu, in));
}

void XCHG_EG(CPU *cpu, const Insn *in)
{
    uint64_t a = rd_E(cpu, in, in->osz), b = rd_G(cpu, in, in->osz);
    wr_E(cpu, in, in->osz, b);
    wr_G(cpu, in, in->osz, a);
}

void XCHG_ZvrAX(CPU *cpu, const Insn *in)
{
    if (in->rm == R_AX)
        return;  /* 90 is NOP: no zero-extension of EAX in 64-bit mode */
    uint64_t a = get_reg(cpu, in->rm, in->osz), b = get_reg(cpu, R_AX, in->osz);
    set_reg(cpu, in->rm, in->osz, b);
    set_reg(cpu, R_AX, in->osz, a);
}

void PUSH_Zv(CPU *cpu, const Insn *in) { cpu_push(cpu, get_reg(cpu, in->rm, in->osz), in->osz); }
void PUSH_I(CPU *cpu, const Insn *in) { cpu_push(cpu, in->imm, in->osz); }
void PUSH_Ev(CPU *cpu, const Insn *in) { cpu_push(cpu, rd_E(cpu, in, in->osz), in->osz); }

void POP_Zv(CPU *cpu, const Insn *in)
{
    uint64_t v = cpu_pop(cpu, in->osz);
    set_reg(cpu, in->rm, in->osz, v);
}

/* POP to memory computes the address with RSP already incremented, and a
 * faulting store must leave RSP unchanged. */
void POP_Ev(CPU *cpu, const Insn *in)
{
    uint64_t old_sp = cpu->regs[R_SP];
    uint64_t v = cpu_pop(cpu, in->osz);
    if (!(in->flags & IF_MEM)) {
        set_reg(cpu, in->rm, in->osz, v);
        return;
    }
    uint64_t new_sp = cpu->regs[R_SP];
    uint64_t ea = insn_ea(cpu, in);
    cpu->regs[R_SP] = old_sp;
    cpu_check_write(cpu, in->seg, ea, in->osz);
    cpu->regs[R_SP] = new_sp;
    cpu_write(cpu, in->seg, ea, in->osz, v);
}

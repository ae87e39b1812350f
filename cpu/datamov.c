/* datamov.c — MOV, LEA, XCHG, PUSH, POP and NOP forms. */
#include "spec.h"

void NOP(CPU *cpu, const Insn *in) { (void)cpu; (void)in; }

/* The hot forms are templates (spec.h). */
HOT_HANDLER(MOV_EG, 1, 0, 2) { wr_Ex(cpu, in, osz, mem, rd_G(cpu, in, osz)); }
HOT_HANDLER(MOV_GE, 1, 0, 2) { wr_G(cpu, in, osz, rd_Ex(cpu, in, osz, mem)); }
HOT_HANDLER(MOV_EI, 1, 0, 2) { wr_Ex(cpu, in, osz, mem, in->imm); }
HOT_HANDLER(MOV_ZI, 1, 0, 1) { wr_Ex(cpu, in, osz, false, in->imm); }
/* moffs forms: the decoder leaves a base-less memory operand */
void MOV_AO(CPU *cpu, const Insn *in) { set_reg(cpu, R_AX, in->osz, rd_E(cpu, in, in->osz)); }
void MOV_OA(CPU *cpu, const Insn *in) { wr_E(cpu, in, in->osz, get_reg(cpu, R_AX, in->osz)); }

HOT_HANDLER(LEA_GvM, 1, 0, 1)
{
    wr_G(cpu, in, osz, insn_ea_inline(cpu, in));
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

HOT_HANDLER(PUSH_Zv, 1, 0, 1) { stack_push(cpu, get_reg(cpu, in->rm, osz), osz); }
void PUSH_I(CPU *cpu, const Insn *in) { cpu_push(cpu, in->imm, in->osz); }
void PUSH_Ev(CPU *cpu, const Insn *in) { cpu_push(cpu, rd_E(cpu, in, in->osz), in->osz); }

HOT_HANDLER(POP_Zv, 1, 0, 1)
{
    uint64_t v = stack_pop(cpu, osz);
    set_reg(cpu, in->rm, osz, v);
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

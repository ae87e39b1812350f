/* control.c — near Jcc/JMP/CALL/RET. */
#include "spec.h"

/* The hot forms are templates (spec.h): a Jcc's sub is its condition. */
HOT_HANDLER(Jcc_J, 16, in->opc & 15, 1)
{
    if (cond_eval(cpu, sub))
        cpu->next_rip = near_target(cpu, cpu->next_rip + in->imm, osz);
}

HOT_HANDLER(JMP_J, 1, 0, 1)
{
    cpu->next_rip = near_target(cpu, cpu->next_rip + in->imm, osz);
}

/* A 64-bit CALL to a non-canonical target raises #GP(0) with RSP as it
 * was.  Intel has already stored the return address below RSP by then (the
 * SDM's pseudo-code pushes before loading RIP); AMD stores nothing
 * (model.c: call_noncanon_push). */
static _Noreturn __attribute__((noinline)) void call_noncanonical(CPU *cpu)
{
    if (cpu->model->q.call_noncanon_push)
        cpu_write(cpu, S_SS, cpu->regs[R_SP] - 8, 8, cpu->next_rip);
    cpu_gp0(cpu);
}

HOT_HANDLER(CALL_J, 1, 0, 1)
{
    uint64_t t = cpu->next_rip + in->imm;
    if (osz == 8 && !is_canonical(t))
        call_noncanonical(cpu);
    t = near_target(cpu, t, osz);
    stack_push(cpu, cpu->next_rip, osz);
    cpu->next_rip = t;
}

void JMP_Ev(CPU *cpu, const Insn *in)
{
    cpu->next_rip = near_target(cpu, rd_E(cpu, in, in->osz), in->osz);
}

void CALL_Ev(CPU *cpu, const Insn *in)
{
    uint64_t t = rd_E(cpu, in, in->osz);
    if (in->osz == 8 && !is_canonical(t))
        call_noncanonical(cpu);
    t = near_target(cpu, t, in->osz);
    cpu_push(cpu, cpu->next_rip, in->osz);
    cpu->next_rip = t;
}

HOT_HANDLER(RET_near, 1, 0, 1)
{
    unsigned ss = stack_size(cpu);
    uint64_t sp = cpu->regs[R_SP] & size_mask(ss);
    uint64_t t = near_target(cpu, cpu_read_fast(cpu, S_SS, sp, osz), osz);
    set_reg(cpu, R_SP, ss, sp + osz + (in->opc == 0xc2 ? in->imm : 0));
    cpu->next_rip = t;
}

/* BOUND: signed lower and upper bounds of the operand size at the address;
 * an index outside them raises #BR. */
void BOUND_GvMa(CPU *cpu, const Insn *in)
{
    unsigned size = in->osz;
    uint64_t ea = insn_ea(cpu, in);
    int64_t lo = sext(cpu_read(cpu, in->seg, ea, size), size);
    int64_t hi = sext(cpu_read(cpu, in->seg, (ea + size) & size_mask(in->asz), size), size);
    int64_t idx = sext(get_reg(cpu, in->reg, size), size);
    if (idx < lo || idx > hi)
        cpu_raise(cpu, EXC_BR, 0, false);
}

/* misc.c — LOOP/LOOPcc/JrCXZ, UD0/1/2, INT3/INT n/INTO, RDTSC. */
#include "cpuid.h"
#include "interrupt.h"
#include "operand.h"


/* LOOPNE E0, LOOPE E1, LOOP E2: decrement rCX (address size) without
 * touching flags, branch while it is non-zero and the ZF condition holds. */
void LOOP_Jb(CPU *cpu, const Insn *in)
{
    uint64_t count = (get_areg(cpu, R_CX, in->asz) - 1) & size_mask(in->asz);
    bool take = count != 0;
    if (take && in->opc != 0xe2) {
        /* A REP prefix here is reserved (SDM, APM).  Intel ignores it; AMD
         * lets the last F3/F2 replace the opcode's condition: F3 E0 runs as
         * LOOPE, F2 E1 as LOOPNE (model.c: loopcc_rep_cond). */
        unsigned rep = cpu->model->q.loopcc_rep_cond ? in->flags : 0;
        bool zf_wanted = (rep & IF_REP) ? true : (rep & IF_REPNE) ? false : in->opc == 0xe1;
        take = cpu_cond(cpu, 4) == zf_wanted;  /* cc 4 is ZF set */
    }
    uint64_t t = take ? near_target(cpu, cpu->next_rip + in->imm, in->osz) : 0;
    set_areg(cpu, R_CX, in->asz, count);
    if (take)
        cpu->next_rip = t;
}

void JrCXZ_Jb(CPU *cpu, const Insn *in)
{
    if (get_areg(cpu, R_CX, in->asz) == 0)
        cpu->next_rip = near_target(cpu, cpu->next_rip + in->imm, in->osz);
}

void UD(CPU *cpu, const Insn *in)
{
    (void)in;
    cpu_ud(cpu);
}

/* Software interrupts return to the next instruction.  cpu_interrupt
 * leaves the handler's entry in cpu->rip; the loop continues from
 * next_rip, so copy it there. */
static void soft_int(CPU *cpu, int vector)
{
    cpu_interrupt(cpu, vector, cpu->next_rip, true);
    cpu->next_rip = cpu->rip;
}

void INT3(CPU *cpu, const Insn *in) { (void)in; soft_int(cpu, EXC_BP); }
void INT_Ib(CPU *cpu, const Insn *in) { soft_int(cpu, (int)(in->imm & 0xff)); }

void INTO(CPU *cpu, const Insn *in)
{
    (void)in;
    if (cpu_get_eflags(cpu) & F_OF)
        soft_int(cpu, EXC_OF);
}

/* The time-stamp counter.  Its source is, for now, the retired-instruction
 * count plus the guest-writable offset (deterministic; the board will swap
 * in its clock here). */
/* 1 GHz from the machine's clock, so the TSC and the PIT/RTC agree (also
 * under -icount, where both derive from the instruction count). */
uint64_t cpu_tsc(CPU *cpu)
{
    return (cpu->clock_ns ? cpu->clock_ns(cpu) : cpu->icount) + cpu->tsc_offset;
}

void RDTSC(CPU *cpu, const Insn *in)
{
    (void)in;
    /* CR4.TSD reserves it for CPL 0 (v8086 code runs at CPL 3) */
    if ((cpu->cr4 & CR4_TSD) && (cpu->cpl > 0 || (cpu->eflags & F_VM)) && (cpu->cr0 & 1))
        cpu_gp0(cpu);
    uint64_t t = cpu_tsc(cpu);
    set_reg(cpu, R_AX, 4, (uint32_t)t);
    set_reg(cpu, R_DX, 4, t >> 32);
}

/* interrupt.c — exception and interrupt delivery.
 * Real mode goes through the IVT.  Protected and long mode delivery through
 * the IDT is issue 3's work; until then such an exception stops the run and
 * the machine reports it. */
#include "interrupt.h"

#include "operand.h"
#include "../softmmu/mem.h"

static void real_mode_vector(CPU *cpu, int vector, uint64_t return_ip)
{
    uint32_t ent = (uint32_t)mem_lin_read(cpu, cpu->idtr.base + (uint64_t)vector * 4, 4);
    uint32_t flags = cpu_get_eflags(cpu);
    cpu_push(cpu, flags, 2);
    cpu_push(cpu, cpu->seg[S_CS].sel, 2);
    cpu_push(cpu, return_ip, 2);
    cpu->eflags &= ~(uint32_t)(F_IF | F_TF | F_AC);
    cpu->seg[S_CS].sel = (uint16_t)(ent >> 16);
    cpu->seg[S_CS].base = (uint64_t)(ent >> 16) << 4;
    cpu->rip = ent & 0xffff;
}

void cpu_interrupt(CPU *cpu, int vector, uint64_t return_rip, bool software)
{
    (void)software;
    if (!(cpu->cr0 & 1)) {
        real_mode_vector(cpu, vector, return_rip);
        return;
    }
    cpu_raise(cpu, vector, 0, false);
}

bool cpu_deliver_exception(CPU *cpu)
{
    if (cpu->cr0 & 1)
        return false;
    jmp_buf jb, *saved = cpu->fault_jmp;
    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        cpu->fault_jmp = saved;
        return false;  /* fault while delivering: stop (issue 3 adds #DF) */
    }
    real_mode_vector(cpu, cpu->exc_vector, cpu->rip);
    cpu->fault_jmp = saved;
    cpu->exc_vector = -1;
    return true;
}

bool cpu_poll_interrupts(CPU *cpu)
{
    if (!cpu->intr_pending || !(cpu->eflags & F_IF) || !cpu->intr_pending(cpu))
        return false;
    int vector = cpu->intr_ack(cpu);
    cpu->halted = 0;
    cpu_interrupt(cpu, vector, cpu->rip, false);
    return true;
}

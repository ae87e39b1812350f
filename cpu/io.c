/* io.c — IN/OUT and the I/O privilege check; HLT. */
#include "operand.h"
#include "../softmmu/mem.h"

/* Protected mode with CPL > IOPL (or v8086) needs the TSS I/O permission
 * bitmap; that lookup arrives with the task-state work of issue 3, until
 * then such an access is refused with #GP(0). */
void io_check(CPU *cpu, uint16_t port, unsigned size)
{
    (void)port; (void)size;
    if ((cpu->cr0 & 1) && (cpu->cpl > ((cpu->eflags >> 12) & 3) || (cpu->eflags & F_VM)))
        cpu_gp0(cpu);
}

static void do_in(CPU *cpu, uint16_t port, unsigned size)
{
    io_check(cpu, port, size);
    set_reg(cpu, R_AX, size, mem_port_read(cpu->mem, port, size));
}

static void do_out(CPU *cpu, uint16_t port, unsigned size)
{
    io_check(cpu, port, size);
    mem_port_write(cpu->mem, port, get_reg(cpu, R_AX, size), size);
}

/* IN/OUT never use 8-byte operands: REX.W gives 32 bits. */
static unsigned io_size(const Insn *in) { return in->osz > 4 ? 4 : in->osz; }

void IN_AI(CPU *cpu, const Insn *in) { do_in(cpu, (uint16_t)in->imm, io_size(in)); }
void IN_AD(CPU *cpu, const Insn *in) { do_in(cpu, (uint16_t)cpu->regs[R_DX], io_size(in)); }
void OUT_IA(CPU *cpu, const Insn *in) { do_out(cpu, (uint16_t)in->imm, io_size(in)); }
void OUT_DA(CPU *cpu, const Insn *in) { do_out(cpu, (uint16_t)cpu->regs[R_DX], io_size(in)); }

void HLT(CPU *cpu, const Insn *in)
{
    (void)in;
    if (cpu->cpl != 0)
        cpu_gp0(cpu);
    cpu->halted = 1;
}

/* io.c — IN/OUT and the I/O privilege check; HLT. */
#include "operand.h"
#include "sys.h"
#include "../softmmu/mem.h"

/* Protected mode with CPL > IOPL, and v8086 mode always, consult the I/O
 * permission bitmap of the current (32-bit or 64-bit) TSS: every bit for
 * the accessed ports must be clear, and bits beyond the TSS limit count as
 * set. */
void io_check(CPU *cpu, uint16_t port, unsigned size)
{
    if (!(cpu->cr0 & CR0_PE) || (!(cpu->eflags & F_VM) && cpu->cpl <= iopl(cpu)))
        return;
    const Seg *tr = &cpu->tr;
    if (!(tr->attr & SA_P) || (tr->attr & 0x1f) != DT_TSS32_BUSY || tr->limit < 0x67)
        cpu_gp0(cpu);
    uint32_t off = (uint32_t)sys_read(cpu, tr->base + 0x66, 2) + port / 8u;
    if (off + 1 > tr->limit)
        cpu_gp0(cpu);
    uint32_t bits = (uint32_t)sys_read(cpu, tr->base + off, 2);
    if (bits & (((1u << size) - 1) << (port & 7)))
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

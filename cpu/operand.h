/* operand.h — operand access shared by all handlers (private to cpu/).
 *
 * Handlers are written once per form and take their size from in->osz, so
 * ADD_EbGb and ADD_EvGv share one body; these helpers hide whether the ModRM
 * operand is a register or memory.
 */
#ifndef RZ_OPERAND_H
#define RZ_OPERAND_H

#include "cpu.h"
#include "insn.h"

/* Handler prototypes, derived from the opcode table. */
#define FORM(name, map, opc, pfx, ext, rmx, modrm, osz, imm, attrs, handler) \
    void handler(CPU *cpu, const Insn *in);
#include "opcodes.def"
#undef FORM

static inline uint64_t get_reg(CPU *cpu, unsigned r, unsigned size)
{
    if (size == 8) return cpu->regs[r];
    if (size == 4) return (uint32_t)cpu->regs[r];
    if (size == 2) return (uint16_t)cpu->regs[r];
    if (r >= 16) return (uint8_t)(cpu->regs[r - 16] >> 8);
    return (uint8_t)cpu->regs[r];
}

/* 32-bit writes zero-extend to 64 bits; 8/16-bit writes merge. */
static inline void set_reg(CPU *cpu, unsigned r, unsigned size, uint64_t v)
{
    if (size == 8) cpu->regs[r] = v;
    else if (size == 4) cpu->regs[r] = (uint32_t)v;
    else if (size == 2) cpu->regs[r] = (cpu->regs[r] & ~0xffffull) | (uint16_t)v;
    else if (r >= 16) cpu->regs[r - 16] = (cpu->regs[r - 16] & ~0xff00ull) | ((uint64_t)(uint8_t)v << 8);
    else cpu->regs[r] = (cpu->regs[r] & ~0xffull) | (uint8_t)v;
}

/* ModRM r/m operand of size bytes */
static inline uint64_t rd_E(CPU *cpu, const Insn *in, unsigned size)
{
    if (in->flags & IF_MEM)
        return cpu_read(cpu, in->seg, insn_ea(cpu, in), size);
    return get_reg(cpu, size == 1 ? in->rm8 : in->rm, size);
}

static inline void wr_E(CPU *cpu, const Insn *in, unsigned size, uint64_t v)
{
    if (in->flags & IF_MEM)
        cpu_write(cpu, in->seg, insn_ea(cpu, in), size, v);
    else
        set_reg(cpu, size == 1 ? in->rm8 : in->rm, size, v);
}

/* ModRM reg operand */
static inline uint64_t rd_G(CPU *cpu, const Insn *in, unsigned size)
{
    return get_reg(cpu, size == 1 ? in->reg8 : in->reg, size);
}

static inline void wr_G(CPU *cpu, const Insn *in, unsigned size, uint64_t v)
{
    set_reg(cpu, size == 1 ? in->reg8 : in->reg, size, v);
}

/* I/O permission (IOPL, TSS bitmap); raises #GP(0) when refused. */
void io_check(CPU *cpu, uint16_t port, unsigned size);

/* Lazy-flag setters used by arithmetic handlers */
static inline void lf_set(CPU *cpu, int op, unsigned size, uint64_t a, uint64_t b, uint64_t res)
{
    cpu->lf.op = (uint8_t)op;
    cpu->lf.size = (uint8_t)size;
    cpu->lf.a = a;
    cpu->lf.b = b;
    cpu->lf.res = res & size_mask(size);
}

/* Replaces OSZAPC with explicit values (flags not in mask are preserved). */
void flags_put(CPU *cpu, uint32_t mask, uint32_t value);
/* Parity of the low byte, as PF wants it (1 when even). */
static inline uint32_t parity_flag(uint64_t v)
{
    return (__builtin_parity((unsigned)(v & 0xff)) ? 0 : F_PF);
}
/* ZF/SF/PF of a result of size bytes */
static inline uint32_t szp_flags(uint64_t res, unsigned size)
{
    res &= size_mask(size);
    return (res == 0 ? F_ZF : 0) | ((res & sign_bit(size)) ? F_SF : 0) | parity_flag(res);
}

/* Branch to a new RIP, truncated to the operand size (IP/EIP wrap). */
static inline void branch_to(CPU *cpu, uint64_t target, unsigned osz)
{
    cpu->next_rip = osz == 8 ? target : (target & size_mask(osz));
}

/* Address-size-masked register (RCX/RSI/RDI in string and loop forms). */
static inline uint64_t get_areg(CPU *cpu, unsigned r, unsigned asz)
{
    return cpu->regs[r] & size_mask(asz);
}
static inline void set_areg(CPU *cpu, unsigned r, unsigned asz, uint64_t v)
{
    set_reg(cpu, r, asz, v);
}

#endif

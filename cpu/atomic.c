/* atomic.c — CMPXCHG, XADD, CMPXCHG8B/CMPXCHG16B.
 *
 * The interpreter runs one CPU at a time, so LOCK needs no extra work here;
 * what matters is that a memory destination is always written (these are
 * read-modify-write accesses: a read-only page faults even when the compare
 * fails) and that the store happens before any register changes.
 */
#include "debug.h"
#include "operand.h"

/* CMPXCHG: compare the accumulator with the destination as CMP does.  On a
 * match the destination takes the source; otherwise the accumulator takes
 * the destination.  A memory destination is rewritten with its own value
 * on a mismatch; a register destination is left alone then, so with 32-bit
 * operands in 64-bit mode its upper half survives (AMD Zen and Intel
 * alike, cpu-vendors note), while the accumulator is zero-extended only when it is written. */
void CMPXCHG(CPU *cpu, const Insn *in)
{
    unsigned sz = in->osz;
    uint64_t dst = rd_E(cpu, in, sz);
    uint64_t acc = get_reg(cpu, R_AX, sz);
    bool equal = dst == acc;
    if (equal)
        wr_E(cpu, in, sz, rd_G(cpu, in, sz));
    else if (in->flags & IF_MEM)
        wr_E(cpu, in, sz, dst);
    if (!equal)
        set_reg(cpu, R_AX, sz, dst);
    lf_set(cpu, LF_SUB, sz, acc, dst, acc - dst);
}

/* XADD: the destination gets the sum, the source register the old
 * destination.  When both are the same register the sum wins. */
void XADD(CPU *cpu, const Insn *in)
{
    unsigned sz = in->osz;
    uint64_t dst = rd_E(cpu, in, sz);
    uint64_t src = rd_G(cpu, in, sz);
    uint64_t sum = (dst + src) & size_mask(sz);
    if (in->flags & IF_MEM) {
        wr_E(cpu, in, sz, sum);
        wr_G(cpu, in, sz, dst);
    } else {
        wr_G(cpu, in, sz, dst);
        wr_E(cpu, in, sz, sum);
    }
    lf_set(cpu, LF_ADD, sz, dst, src, sum);
}

/* CMPXCHG8B m64 compares EDX:EAX and stores ECX:EBX; with REX.W it is
 * CMPXCHG16B m128 on RDX:RAX / RCX:RBX, whose operand must be 16-byte
 * aligned.  Only ZF changes.  On a mismatch memory is rewritten unchanged
 * and rDX:rAX loaded (32-bit halves zero-extend in 64-bit mode). */
void CMPXCHG8B(CPU *cpu, const Insn *in)
{
    unsigned half = (in->flags & IF_REXW) ? 8 : 4;
    uint64_t ea = insn_ea(cpu, in);
    uint64_t ea_hi = (ea + half) & size_mask(in->asz);
    if (half == 8 && (cpu_lin(cpu, in->seg, ea, 16, ACC_WRITE) & 15))
        cpu_gp0(cpu);
    cpu_check_write(cpu, in->seg, ea, half);
    cpu_check_write(cpu, in->seg, ea_hi, half);
    if (__builtin_expect(cpu->debug_active & DBG_DATA, 0))  /* #AC: one m64 operand */
        debug_block_access(cpu, cpu_lin(cpu, in->seg, ea, 2 * half, ACC_WRITE), 2 * half,
                           ACC_WRITE);
    uint64_t lo = cpu_read(cpu, in->seg, ea, half);
    uint64_t hi = cpu_read(cpu, in->seg, ea_hi, half);
    bool equal = lo == get_reg(cpu, R_AX, half) && hi == get_reg(cpu, R_DX, half);
    if (equal) {
        cpu_write(cpu, in->seg, ea, half, get_reg(cpu, R_BX, half));
        cpu_write(cpu, in->seg, ea_hi, half, get_reg(cpu, R_CX, half));
    } else {
        cpu_write(cpu, in->seg, ea, half, lo);
        cpu_write(cpu, in->seg, ea_hi, half, hi);
        set_reg(cpu, R_AX, half, lo);
        set_reg(cpu, R_DX, half, hi);
    }
    flags_put(cpu, F_ZF, equal ? F_ZF : 0);
}

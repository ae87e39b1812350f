/* alu.c — ADD/OR/ADC/SBB/AND/SUB/XOR/CMP, TEST, INC/DEC and flag bits.
 *
 * Results are written before the flags are committed, so a faulting store
 * leaves EFLAGS as it was before the instruction.
 */
#include "spec.h"

/* op is the SDM's group-1 order: ADD OR ADC SBB AND SUB XOR CMP.  Returns
 * the result and the lazy-flag kind; the caller commits flags after its
 * store (field by field: a struct copy here stalls store forwarding). */
HOT_INLINE uint64_t alu(CPU *cpu, unsigned op, unsigned size, uint64_t a, uint64_t b, int *kind)
{
    uint64_t r;
    switch (op) {
    case 0: r = a + b; *kind = LF_ADD; break;
    case 1: r = a | b; *kind = LF_LOGIC; break;
    case 2: r = a + b + get_cf(cpu); *kind = LF_ADD; break;
    case 3: r = a - b - get_cf(cpu); *kind = LF_SUB; break;
    case 4: r = a & b; *kind = LF_LOGIC; break;
    case 6: r = a ^ b; *kind = LF_LOGIC; break;
    default: r = a - b; *kind = LF_SUB; break;  /* SUB, CMP */
    }
    return r & size_mask(size);
}

HOT_INLINE void alu_to_E(CPU *cpu, const Insn *in, unsigned op, unsigned size, bool mem,
                            uint64_t b)
{
    int kind;
    RmwRef ref;
    uint64_t a = op == 7 ? rd_Ex(cpu, in, size, mem) : rmw_rd_E(cpu, in, size, mem, &ref);
    b &= size_mask(size);
    uint64_t r = alu(cpu, op, size, a, b, &kind);
    if (op != 7)
        rmw_wr_E(cpu, in, size, mem, &ref, r);
    lf_set(cpu, kind, size, a, b, r);
}

/* The hot forms are templates (spec.h): sub is the ALU op. */
HOT_HANDLER(ALU_EG, 8, (in->opc >> 3) & 7, 2)
{
    alu_to_E(cpu, in, sub, osz, mem, rd_G(cpu, in, osz));
}

HOT_HANDLER(ALU_EI, 8, (in->modrm >> 3) & 7, 2)
{
    alu_to_E(cpu, in, sub, osz, mem, in->imm);
}

HOT_HANDLER(ALU_GE, 8, (in->opc >> 3) & 7, 2)
{
    int kind;
    uint64_t a = rd_G(cpu, in, osz), b = rd_Ex(cpu, in, osz, mem);
    uint64_t r = alu(cpu, sub, osz, a, b, &kind);
    if (sub != 7)
        wr_G(cpu, in, osz, r);
    lf_set(cpu, kind, osz, a, b, r);
}

HOT_HANDLER(ALU_AI, 8, (in->opc >> 3) & 7, 1)
{
    int kind;
    uint64_t a = get_reg(cpu, R_AX, osz), b = in->imm & size_mask(osz);
    uint64_t r = alu(cpu, sub, osz, a, b, &kind);
    if (sub != 7)
        set_reg(cpu, R_AX, osz, r);
    lf_set(cpu, kind, osz, a, b, r);
}

HOT_INLINE void test(CPU *cpu, unsigned size, uint64_t a, uint64_t b)
{
    lf_set(cpu, LF_LOGIC, size, a, b, a & b);
}

HOT_HANDLER(TEST_EG, 1, 0, 2)
{
    test(cpu, osz, rd_Ex(cpu, in, osz, mem), rd_G(cpu, in, osz));
}

HOT_HANDLER(TEST_AI, 1, 0, 1)
{
    test(cpu, osz, get_reg(cpu, R_AX, osz), in->imm);
}

HOT_HANDLER(TEST_EI, 1, 0, 2)
{
    test(cpu, osz, rd_Ex(cpu, in, osz, mem), in->imm);
}

/* INC/DEC keep CF: fold the current CF into eflags before the new record. */
HOT_INLINE void incdec(CPU *cpu, const Insn *in, unsigned size, bool mem, int kind)
{
    RmwRef ref;
    uint64_t a = rmw_rd_E(cpu, in, size, mem, &ref);
    uint64_t r = (kind == LF_INC ? a + 1 : a - 1) & size_mask(size);
    rmw_wr_E(cpu, in, size, mem, &ref, r);
    uint32_t cf = get_cf(cpu) ? F_CF : 0;
    cpu->eflags = (cpu->eflags & ~F_CF) | cf;
    lf_set(cpu, kind, size, a, 1, r);
}

HOT_HANDLER(INC_Ev, 1, 0, 2) { incdec(cpu, in, osz, mem, LF_INC); }
HOT_HANDLER(DEC_Ev, 1, 0, 2) { incdec(cpu, in, osz, mem, LF_DEC); }

void CMC(CPU *cpu, const Insn *in) { (void)in; flags_put(cpu, F_CF, cpu_get_cf(cpu) ? 0 : F_CF); }
void CLC(CPU *cpu, const Insn *in) { (void)in; flags_put(cpu, F_CF, 0); }
void STC(CPU *cpu, const Insn *in) { (void)in; flags_put(cpu, F_CF, F_CF); }
void CLD(CPU *cpu, const Insn *in) { (void)in; cpu->eflags &= ~(uint32_t)F_DF; }
void STD(CPU *cpu, const Insn *in) { (void)in; cpu->eflags |= F_DF; }

/* alu.c — ADD/OR/ADC/SBB/AND/SUB/XOR/CMP, TEST, INC/DEC and flag bits.
 *
 * Results are written before the flags are committed, so a faulting store
 * leaves EFLAGS as it was before the instruction.
 */
#include "operand.h"

/* op is the SDM's group-1 order: ADD OR ADC SBB AND SUB XOR CMP.  Returns
 * the result and the lazy-flag kind; the caller commits flags after its
 * store (field by field: a struct copy here stalls store forwarding). */
static inline uint64_t alu(CPU *cpu, unsigned op, unsigned size, uint64_t a, uint64_t b, int *kind)
{
    uint64_t r;
    switch (op) {
    case 0: r = a + b; *kind = LF_ADD; break;
    case 1: r = a | b; *kind = LF_LOGIC; break;
    case 2: r = a + b + cpu_get_cf(cpu); *kind = LF_ADD; break;
    case 3: r = a - b - cpu_get_cf(cpu); *kind = LF_SUB; break;
    case 4: r = a & b; *kind = LF_LOGIC; break;
    case 6: r = a ^ b; *kind = LF_LOGIC; break;
    default: r = a - b; *kind = LF_SUB; break;  /* SUB, CMP */
    }
    return r & size_mask(size);
}

static inline void alu_to_E(CPU *cpu, const Insn *in, unsigned op, uint64_t b)
{
    unsigned size = in->osz;
    int kind;
    uint64_t a = rd_E(cpu, in, size);
    b &= size_mask(size);
    uint64_t r = alu(cpu, op, size, a, b, &kind);
    if (op != 7)
        wr_E(cpu, in, size, r);
    lf_set(cpu, kind, size, a, b, r);
}

void ALU_EG(CPU *cpu, const Insn *in)
{
    alu_to_E(cpu, in, (in->opc >> 3) & 7, rd_G(cpu, in, in->osz));
}

void ALU_EI(CPU *cpu, const Insn *in)
{
    alu_to_E(cpu, in, (in->modrm >> 3) & 7, in->imm);
}

void ALU_GE(CPU *cpu, const Insn *in)
{
    unsigned op = (in->opc >> 3) & 7, size = in->osz;
    int kind;
    uint64_t a = rd_G(cpu, in, size), b = rd_E(cpu, in, size);
    uint64_t r = alu(cpu, op, size, a, b, &kind);
    if (op != 7)
        wr_G(cpu, in, size, r);
    lf_set(cpu, kind, size, a, b, r);
}

void ALU_AI(CPU *cpu, const Insn *in)
{
    unsigned op = (in->opc >> 3) & 7, size = in->osz;
    int kind;
    uint64_t a = get_reg(cpu, R_AX, size), b = in->imm & size_mask(size);
    uint64_t r = alu(cpu, op, size, a, b, &kind);
    if (op != 7)
        set_reg(cpu, R_AX, size, r);
    lf_set(cpu, kind, size, a, b, r);
}

static void test(CPU *cpu, unsigned size, uint64_t a, uint64_t b)
{
    lf_set(cpu, LF_LOGIC, size, a, b, a & b);
}

void TEST_EG(CPU *cpu, const Insn *in)
{
    test(cpu, in->osz, rd_E(cpu, in, in->osz), rd_G(cpu, in, in->osz));
}

void TEST_AI(CPU *cpu, const Insn *in)
{
    test(cpu, in->osz, get_reg(cpu, R_AX, in->osz), in->imm);
}

void TEST_EI(CPU *cpu, const Insn *in)
{
    test(cpu, in->osz, rd_E(cpu, in, in->osz), in->imm);
}

/* INC/DEC keep CF: fold the current CF into eflags before the new record. */
static void incdec(CPU *cpu, const Insn *in, int kind)
{
    uint64_t a = rd_E(cpu, in, in->osz);
    uint64_t r = (kind == LF_INC ? a + 1 : a - 1) & size_mask(in->osz);
    wr_E(cpu, in, in->osz, r);
    uint32_t cf = cpu_get_cf(cpu) ? F_CF : 0;
    cpu->eflags = (cpu->eflags & ~F_CF) | cf;
    lf_set(cpu, kind, in->osz, a, 1, r);
}

void INC_Ev(CPU *cpu, const Insn *in) { incdec(cpu, in, LF_INC); }
void DEC_Ev(CPU *cpu, const Insn *in) { incdec(cpu, in, LF_DEC); }

void CMC(CPU *cpu, const Insn *in) { (void)in; flags_put(cpu, F_CF, cpu_get_cf(cpu) ? 0 : F_CF); }
void CLC(CPU *cpu, const Insn *in) { (void)in; flags_put(cpu, F_CF, 0); }
void STC(CPU *cpu, const Insn *in) { (void)in; flags_put(cpu, F_CF, F_CF); }
void CLD(CPU *cpu, const Insn *in) { (void)in; cpu->eflags &= ~(uint32_t)F_DF; }
void STD(CPU *cpu, const Insn *in) { (void)in; cpu->eflags |= F_DF; }

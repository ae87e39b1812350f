/* bcd.c — DAA DAS AAA AAS AAM AAD and the undocumented SALC (all invalid in
 * 64-bit mode; the table marks them A_I64).
 *
 * Flags the SDM leaves undefined follow AMD Zen, as measured against the
 * host in tests/unit/test_arith_misc.c: DAA/DAS set OF when the adjustment
 * flips AL's sign bit (0 -> 1 for DAA, 1 -> 0 for DAS).  Both models do
 * this (not modelled per vendor: cpu/model.c).
 */
#include "operand.h"

static unsigned al(CPU *cpu) { return (unsigned)cpu->regs[R_AX] & 0xff; }
static unsigned ah(CPU *cpu) { return (unsigned)(cpu->regs[R_AX] >> 8) & 0xff; }

void DAA(CPU *cpu, const Insn *in)
{
    (void)in;
    uint32_t f = cpu_get_eflags(cpu);
    unsigned old = al(cpu), v = old;
    /* The SDM's carry out of the first step is always overwritten by the
     * second, so CF depends on the old AL and CF only. */
    bool af = (v & 0xf) > 9 || (f & F_AF);
    bool cf = old > 0x99 || (f & F_CF);
    if (af)
        v += 6;
    if (cf)
        v += 0x60;
    v &= 0xff;
    set_reg(cpu, R_AX, 1, v);
    uint32_t of = (~old & v & 0x80) ? F_OF : 0;
    flags_put(cpu, F_OSZAPC, szp_flags(v, 1) | (cf ? F_CF : 0) | (af ? F_AF : 0) | of);
}

void DAS(CPU *cpu, const Insn *in)
{
    (void)in;
    uint32_t f = cpu_get_eflags(cpu);
    unsigned old = al(cpu), v = old;
    bool cf = false, af = false;
    if ((v & 0xf) > 9 || (f & F_AF)) {
        cf = (f & F_CF) || v < 6;
        v -= 6;
        af = true;
    }
    if (old > 0x99 || (f & F_CF)) {
        v -= 0x60;
        cf = true;
    }
    v &= 0xff;
    set_reg(cpu, R_AX, 1, v);
    uint32_t of = (old & ~v & 0x80) ? F_OF : 0;
    flags_put(cpu, F_OSZAPC, szp_flags(v, 1) | (cf ? F_CF : 0) | (af ? F_AF : 0) | of);
}

/* AAA/AAS adjust AX as a whole (a carry or borrow out of AL reaches AH),
 * as current Intel and AMD parts do.  The undefined OF SF ZF PF are, on AMD,
 * those of the 16-bit add/subtract of 0x106 (of AX itself when nothing is
 * adjusted), taken before AL's high nibble is cleared. */
static void ascii_adjust(CPU *cpu, bool sub)
{
    uint32_t f = cpu_get_eflags(cpu);
    unsigned ax = (unsigned)cpu->regs[R_AX] & 0xffff;
    bool adj = (ax & 0xf) > 9 || (f & F_AF);
    unsigned v = ax;
    uint32_t of = 0;
    if (adj) {
        v = (sub ? ax - 0x106 : ax + 0x106) & 0xffff;
        of = (sub ? (ax & ~v) : (~ax & v)) & 0x8000 ? F_OF : 0;
    }
    set_reg(cpu, R_AX, 2, v & 0xff0f);
    flags_put(cpu, F_OSZAPC, szp_flags(v, 2) | of | (adj ? F_AF | F_CF : 0));
}

void AAA(CPU *cpu, const Insn *in) { (void)in; ascii_adjust(cpu, false); }
void AAS(CPU *cpu, const Insn *in) { (void)in; ascii_adjust(cpu, true); }

void AAM_Ib(CPU *cpu, const Insn *in)
{
    unsigned base = (unsigned)in->imm & 0xff, v = al(cpu);
    if (base == 0)
        cpu_raise(cpu, EXC_DE, 0, false);
    unsigned r = v % base;
    set_reg(cpu, R_AX, 2, (v / base) << 8 | r);
    flags_put(cpu, F_OSZAPC, szp_flags(r, 1));
}

/* AAD is an 8-bit add of AH*imm8 to AL; its flags are those of that add. */
void AAD_Ib(CPU *cpu, const Insn *in)
{
    unsigned a = al(cpu), b = (ah(cpu) * ((unsigned)in->imm & 0xff)) & 0xff;
    unsigned r = (a + b) & 0xff;
    set_reg(cpu, R_AX, 2, r);
    lf_set(cpu, LF_ADD, 1, a, b, r);
}

void SALC(CPU *cpu, const Insn *in)
{
    (void)in;
    set_reg(cpu, R_AX, 1, cpu_get_cf(cpu) ? 0xff : 0);
}

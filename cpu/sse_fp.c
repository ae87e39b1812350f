/* sse_fp.c — SSE/SSE2/SSE3 floating point: arithmetic, compares,
 * COMIS/UCOMIS, conversions.  The arithmetic itself is in sse_host.c.
 */
#include "simd.h"

/* xmm, xmm/m forms; CMPPS/PD/SS/SD take the predicate from imm8.  The
 * operation and the memory operand's size are the table's SUBOP and MSZ. */
void SSE_FP_VW(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    const FormInfo *fi = &form_info[in->form];
    XMM s, d = cpu->xmm[in->reg];
    xmm_src(cpu, in, &s, form_msz(fi), AL_16MM);
    sse_fp(cpu, (int)form_subop(fi), &d, &s, (unsigned)in->imm);
    cpu->xmm[in->reg] = d;
}

/* UCOMISS/COMISS (NP 0F 2E/2F), UCOMISD/COMISD (66): ZF/PF/CF, the other
 * arithmetic flags cleared. */
void COMIS_VW(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    bool sd = simd_pfx(in) == P_66;
    XMM s, d = cpu->xmm[in->reg];
    xmm_src(cpu, in, &s, sd ? 8 : 4, AL_NONE);
    int op = in->opc == 0x2e ? (sd ? FOP_UCOMISD : FOP_UCOMISS) : (sd ? FOP_COMISD : FOP_COMISS);
    sse_fp(cpu, op, &d, &s, 0);
    flags_put(cpu, F_OSZAPC, d.d[0] & (F_ZF | F_PF | F_CF));
}

/* CVTSI2SS/CVTSI2SD xmm, r/m32/64 */
void CVTSI2S_VE(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    XMM s = { .q = { rd_E(cpu, in, in->osz), 0 } };
    XMM d = cpu->xmm[in->reg];
    bool sd = simd_pfx(in) == P_F2, w = in->osz == 8;
    int op = sd ? (w ? FOP_CVTSI2SD64 : FOP_CVTSI2SD32) : (w ? FOP_CVTSI2SS64 : FOP_CVTSI2SS32);
    sse_fp(cpu, op, &d, &s, 0);
    cpu->xmm[in->reg] = d;
}

/* CVT(T)SS2SI / CVT(T)SD2SI r32/64, xmm/m */
void CVTS2SI_GW(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    bool sd = simd_pfx(in) == P_F2, w = in->osz == 8, trunc = in->opc == 0x2c;
    XMM s, d = { .q = { 0, 0 } };
    xmm_src(cpu, in, &s, sd ? 8 : 4, AL_NONE);
    static const uint8_t ops[2][2][2] = {  /* [sd][trunc][w] */
        { { FOP_CVTSS2SI32, FOP_CVTSS2SI64 }, { FOP_CVTTSS2SI32, FOP_CVTTSS2SI64 } },
        { { FOP_CVTSD2SI32, FOP_CVTSD2SI64 }, { FOP_CVTTSD2SI32, FOP_CVTTSD2SI64 } },
    };
    sse_fp(cpu, ops[sd][trunc][w], &d, &s, 0);
    set_reg(cpu, in->reg, in->osz, d.q[0]);
}

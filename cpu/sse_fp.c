/* sse_fp.c — SSE/SSE2/SSE3 floating point: arithmetic, compares,
 * COMIS/UCOMIS, conversions.  The arithmetic itself is in sse_host.c.
 */
#include "simd.h"

typedef struct FpDesc { uint8_t op, msz; } FpDesc;

/* Operation and memory-operand size of the xmm, xmm/m forms by opcode and
 * mandatory prefix (NP, 66, F3, F2).  msz 0: no such form. */
static FpDesc fp_desc(unsigned opc, unsigned pfx)
{
#define ROW(np, p66, f3, f2) { \
        static const FpDesc row[4] = { np, p66, f3, f2 }; \
        return row[pfx - P_NP]; }
#define PS(o) { FOP_##o, 16 }
#define SS(o) { FOP_##o, 4 }
#define SD(o) { FOP_##o, 8 }
#define NO { 0, 0 }
    switch (opc) {
    case 0x51: ROW(PS(SQRTPS), PS(SQRTPD), SS(SQRTSS), SD(SQRTSD))
    case 0x52: ROW(PS(RSQRTPS), NO, SS(RSQRTSS), NO)
    case 0x53: ROW(PS(RCPPS), NO, SS(RCPSS), NO)
    case 0x58: ROW(PS(ADDPS), PS(ADDPD), SS(ADDSS), SD(ADDSD))
    case 0x59: ROW(PS(MULPS), PS(MULPD), SS(MULSS), SD(MULSD))
    case 0x5a: ROW(SD(CVTPS2PD), PS(CVTPD2PS), SS(CVTSS2SD), SD(CVTSD2SS))
    case 0x5b: ROW(PS(CVTDQ2PS), PS(CVTPS2DQ), PS(CVTTPS2DQ), NO)
    case 0x5c: ROW(PS(SUBPS), PS(SUBPD), SS(SUBSS), SD(SUBSD))
    case 0x5d: ROW(PS(MINPS), PS(MINPD), SS(MINSS), SD(MINSD))
    case 0x5e: ROW(PS(DIVPS), PS(DIVPD), SS(DIVSS), SD(DIVSD))
    case 0x5f: ROW(PS(MAXPS), PS(MAXPD), SS(MAXSS), SD(MAXSD))
    case 0x7c: ROW(NO, PS(HADDPD), NO, PS(HADDPS))
    case 0x7d: ROW(NO, PS(HSUBPD), NO, PS(HSUBPS))
    case 0xc2: ROW(PS(CMPPS), PS(CMPPD), SS(CMPSS), SD(CMPSD))
    case 0xd0: ROW(NO, PS(ADDSUBPD), NO, PS(ADDSUBPS))
    case 0xe6: ROW(NO, PS(CVTTPD2DQ), SD(CVTDQ2PD), PS(CVTPD2DQ))
    default: break;
    }
#undef ROW
#undef PS
#undef SS
#undef SD
#undef NO
    return (FpDesc){ 0, 0 };
}

/* xmm, xmm/m forms; CMPPS/PD/SS/SD take the predicate from imm8 */
void SSE_FP_VW(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    FpDesc f = fp_desc(in->opc, simd_pfx(in));
    if (!f.msz)
        cpu_ud(cpu);
    XMM s, d = cpu->xmm[in->reg];
    xmm_src(cpu, in, &s, f.msz, AL_16MM);
    sse_fp(cpu, f.op, &d, &s, (unsigned)in->imm);
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

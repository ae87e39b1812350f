/* sse_mov.c — SSE/SSE2/SSE3 data movement on XMM registers: MOVUPS/MOVAPS
 * and friends, scalar, half and duplicating moves, GPR<->XMM MOVD/MOVQ,
 * MOVMSKPS/PD, SHUFPS/PD, MASKMOVDQU.
 */
#include <string.h>

#include "simd.h"

/* Whole-register loads: MOVUPS/MOVUPD/MOVAPS/MOVAPD/MOVDQA/MOVDQU/LDDQU */
void SSE_MOV_VxWx(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    bool aligned = in->opc == 0x28 || (in->opc == 0x6f && simd_pfx(in) == P_66);
    XMM v;
    xmm_src(cpu, in, &v, 16, aligned ? AL_16 : AL_NONE);
    cpu->xmm[in->reg] = v;
}

/* Whole-register stores, including MOVNTPS/MOVNTPD/MOVNTDQ */
void SSE_MOV_WxVx(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    XMM v = cpu->xmm[in->reg];
    if (!(in->flags & IF_MEM)) {
        cpu->xmm[in->rm] = v;
        return;
    }
    bool aligned = in->opc == 0x29 || in->opc == 0x2b || in->opc == 0xe7 ||
                   (in->opc == 0x7f && simd_pfx(in) == P_66);
    uint64_t ea = simd_ea(cpu, in, aligned ? AL_16 : AL_NONE);
    cpu_write_block(cpu, in->seg, ea, &v, 16);
}

/* MOVSS/MOVSD xmm, xmm/m: a register source replaces only the low element,
 * a memory source zeroes the rest. */
void SSE_MOVS_VW(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    unsigned size = simd_pfx(in) == P_F3 ? 4 : 8;
    XMM v;
    xmm_src(cpu, in, &v, size, AL_NONE);
    if (in->flags & IF_MEM)
        cpu->xmm[in->reg] = v;
    else
        memcpy(&cpu->xmm[in->reg], &v, size);
}

void SSE_MOVS_WV(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    unsigned size = simd_pfx(in) == P_F3 ? 4 : 8;
    const XMM *v = &cpu->xmm[in->reg];
    if (in->flags & IF_MEM)
        cpu_write(cpu, in->seg, insn_ea(cpu, in), size, size == 4 ? v->d[0] : v->q[0]);
    else
        memcpy(&cpu->xmm[in->rm], v, size);
}

/* MOVLPS/MOVLPD xmm, m64 (opcode 12) and MOVHPS/MOVHPD xmm, m64 (16) */
void SSE_MOVLHP_VM(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    uint64_t v = cpu_read(cpu, in->seg, insn_ea(cpu, in), 8);
    cpu->xmm[in->reg].q[in->opc == 0x16] = v;
}

/* MOVLPS/MOVLPD m64, xmm (13) and MOVHPS/MOVHPD m64, xmm (17) */
void SSE_MOVLHP_MV(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    cpu_write(cpu, in->seg, insn_ea(cpu, in), 8, cpu->xmm[in->reg].q[in->opc == 0x17]);
}

void MOVHLPS_VqUq(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    cpu->xmm[in->reg].q[0] = cpu->xmm[in->rm].q[1];
}

void MOVLHPS_VqUq(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    cpu->xmm[in->reg].q[1] = cpu->xmm[in->rm].q[0];
}

/* MOVSLDUP (F3 0F 12) and MOVSHDUP (F3 0F 16) */
void MOVSxDUP_VW(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    XMM s, r;
    xmm_src(cpu, in, &s, 16, AL_16MM);
    unsigned odd = in->opc == 0x16;
    r.d[0] = r.d[1] = s.d[odd];
    r.d[2] = r.d[3] = s.d[2 + odd];
    cpu->xmm[in->reg] = r;
}

void MOVDDUP_VW(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    XMM s;
    xmm_src(cpu, in, &s, 8, AL_NONE);
    cpu->xmm[in->reg].q[0] = cpu->xmm[in->reg].q[1] = s.q[0];
}

/* MOVQ xmm, xmm/m64 (F3 0F 7E): zero-extends */
void MOVQ_VqWq(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    XMM s;
    xmm_src(cpu, in, &s, 8, AL_NONE);
    cpu->xmm[in->reg].q[0] = s.q[0];
    cpu->xmm[in->reg].q[1] = 0;
}

/* MOVQ xmm/m64, xmm (66 0F D6): a register destination is zero-extended */
void MOVQ_WqVq(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    uint64_t v = cpu->xmm[in->reg].q[0];
    if (in->flags & IF_MEM) {
        cpu_write(cpu, in->seg, insn_ea(cpu, in), 8, v);
    } else {
        cpu->xmm[in->rm].q[0] = v;
        cpu->xmm[in->rm].q[1] = 0;
    }
}

/* MOVD/MOVQ xmm, r/m32/64 */
void MOVD_VyEy(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    uint64_t v = rd_E(cpu, in, in->osz);
    cpu->xmm[in->reg].q[0] = v;
    cpu->xmm[in->reg].q[1] = 0;
}

/* MOVD/MOVQ r/m32/64, xmm */
void MOVD_EyVy(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    wr_E(cpu, in, in->osz, cpu->xmm[in->reg].q[0]);
}

/* MOVMSKPS/MOVMSKPD r32/64, xmm: sign bits, zero-extended */
void MOVMSKP_GU(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    const XMM *s = &cpu->xmm[in->rm];
    uint32_t m = 0;
    if (simd_pfx(in) == P_66)
        m = (uint32_t)(s->q[0] >> 63) | (uint32_t)(s->q[1] >> 63) << 1;
    else
        for (int i = 0; i < 4; i++)
            m |= (s->d[i] >> 31) << i;
    set_reg(cpu, in->reg, 8, m);
}

void SHUFP_VWIb(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    XMM s, r, d = cpu->xmm[in->reg];
    xmm_src(cpu, in, &s, 16, AL_16MM);
    unsigned imm = (unsigned)in->imm;
    if (simd_pfx(in) == P_66) {
        r.q[0] = d.q[imm & 1];
        r.q[1] = s.q[(imm >> 1) & 1];
    } else {
        r.d[0] = d.d[imm & 3];
        r.d[1] = d.d[(imm >> 2) & 3];
        r.d[2] = s.d[(imm >> 4) & 3];
        r.d[3] = s.d[(imm >> 6) & 3];
    }
    cpu->xmm[in->reg] = r;
}

void MASKMOVDQU_VU(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    XMM d = cpu->xmm[in->reg], k = cpu->xmm[in->rm];
    simd_maskmov(cpu, in, d.b, k.b, 16);
}

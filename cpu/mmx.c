/* mmx.c — MMX/SSE entry checks, SIMD operand access, and the MMX-register
 * moves (MOVD/MOVQ, MOVNTQ, MASKMOVQ, MOVQ2DQ/MOVDQ2Q, EMMS).
 *
 * MMX register i is the significand of physical x87 register i.  Every
 * MMX instruction but EMMS switches the x87 to "MMX state" (TOP = 0, all
 * tags valid); that is done last, after anything that can fault.
 */
#include <string.h>

#include "simd.h"

void sse_enter(CPU *cpu)
{
    if ((cpu->cr0 & CR0_EM) || !(cpu->cr4 & CR4_OSFXSR))
        cpu_ud(cpu);
    if (cpu->cr0 & CR0_TS)
        cpu_raise(cpu, EXC_NM, 0, false);
}

/* A pending unmasked x87 exception (FSW.ES) is reported at the next MMX
 * instruction.  With CR0.NE clear the PC would signal it through FERR#
 * and IRQ 13 instead; that path is not modelled, so nothing is raised. */
static void mmx_pending_x87(CPU *cpu)
{
    if ((cpu->fpu.fsw & 0x80) && (cpu->cr0 & CR0_NE))
        cpu_raise(cpu, EXC_MF, 0, false);
}

void mmx_enter(CPU *cpu)
{
    if (cpu->cr0 & CR0_EM)
        cpu_ud(cpu);
    if (cpu->cr0 & CR0_TS)
        cpu_raise(cpu, EXC_NM, 0, false);
    mmx_pending_x87(cpu);
}

/* SSE forms with an MMX register operand check both ways. */
static void sse_mmx_enter(CPU *cpu)
{
    sse_enter(cpu);
    mmx_pending_x87(cpu);
}

uint64_t simd_ea(CPU *cpu, const Insn *in, int align)
{
    uint64_t ea = insn_ea(cpu, in);
    if (align == AL_16 || (align == AL_16MM && !(cpu->mxcsr & MX_MM))) {
        /* Alignment is of the linear address. */
        uint64_t base = cpu->seg[in->seg].base;
        if (cpu->code_mode == CODE64 && in->seg != S_FS && in->seg != S_GS)
            base = 0;
        if ((base + ea) & 15)
            cpu_gp0(cpu);
    }
    return ea;
}

void xmm_src(CPU *cpu, const Insn *in, XMM *out, unsigned size, int align)
{
    if (!(in->flags & IF_MEM)) {
        *out = cpu->xmm[in->rm];
        return;
    }
    uint64_t ea = simd_ea(cpu, in, size == 16 ? align : AL_NONE);
    memset(out, 0, sizeof *out);
    if (size == 16)
        cpu_read_block(cpu, in->seg, ea, out, 16);
    else
        out->q[0] = cpu_read(cpu, in->seg, ea, size);
}

uint64_t mm_src(CPU *cpu, const Insn *in)
{
    if (!(in->flags & IF_MEM))
        return mm_get(cpu, in->rm);
    return cpu_read(cpu, in->seg, insn_ea(cpu, in), 8);
}

/* The SDM only promises empty tags; the AMD host also leaves TOP = 0, as
 * after any MMX instruction (both models; Intel not measured). */
void EMMS(CPU *cpu, const Insn *in)
{
    (void)in;
    mmx_enter(cpu);
    cpu->fpu.fsw &= (uint16_t)~0x3800;
    cpu->fpu.ftw = 0xffff;
}

/* MOVD/MOVQ mm, r/m32/64 */
void MOVD_PqEy(CPU *cpu, const Insn *in)
{
    mmx_enter(cpu);
    uint64_t v = rd_E(cpu, in, in->osz);
    mmx_touch(cpu);
    mm_put(cpu, in->reg, v);
}

/* MOVD/MOVQ r/m32/64, mm */
void MOVD_EyPq(CPU *cpu, const Insn *in)
{
    mmx_enter(cpu);
    mmx_before_store(cpu);
    wr_E(cpu, in, in->osz, mm_get(cpu, in->reg));
    mmx_touch(cpu);
}

void MOVQ_PqQq(CPU *cpu, const Insn *in)
{
    mmx_enter(cpu);
    uint64_t v = mm_src(cpu, in);
    mmx_touch(cpu);
    mm_put(cpu, in->reg, v);
}

/* MOVQ mm/m64, mm and MOVNTQ m64, mm */
void MOVQ_QqPq(CPU *cpu, const Insn *in)
{
    mmx_enter(cpu);
    uint64_t v = mm_get(cpu, in->reg);
    mmx_before_store(cpu);
    if (in->flags & IF_MEM)
        cpu_write(cpu, in->seg, insn_ea(cpu, in), 8, v);
    mmx_touch(cpu);
    if (!(in->flags & IF_MEM))
        mm_put(cpu, in->rm, v);
}

/* Byte-masked store to DS:rDI (segment override allowed).  Only the span
 * from the first to the last selected byte is checked and written. */
void simd_maskmov(CPU *cpu, const Insn *in, const uint8_t *data, const uint8_t *mask, unsigned n)
{
    uint64_t m = size_mask(in->asz), base = cpu->regs[R_DI] & m;
    int first = -1, last = -1;
    for (unsigned i = 0; i < n; i++)
        if (mask[i] & 0x80) {
            if (first < 0)
                first = (int)i;
            last = (int)i;
        }
    if (first < 0)
        return;
    cpu_check_write(cpu, in->seg, (base + (unsigned)first) & m, (unsigned)(last - first + 1));
    for (int i = first; i <= last; i++)
        if (mask[i] & 0x80)
            cpu_write(cpu, in->seg, (base + (unsigned)i) & m, 1, data[i]);
}

void MASKMOVQ_PqNq(CPU *cpu, const Insn *in)
{
    mmx_enter(cpu);
    uint64_t data = mm_get(cpu, in->reg), mask = mm_get(cpu, in->rm);
    uint8_t d[8], k[8];
    memcpy(d, &data, 8);
    memcpy(k, &mask, 8);
    simd_maskmov(cpu, in, d, k, 8);
    mmx_touch(cpu);
}

void MOVQ2DQ_VdqNq(CPU *cpu, const Insn *in)
{
    sse_mmx_enter(cpu);
    mmx_touch(cpu);
    cpu->xmm[in->reg].q[0] = mm_get(cpu, in->rm);
    cpu->xmm[in->reg].q[1] = 0;
}

void MOVDQ2Q_PqUq(CPU *cpu, const Insn *in)
{
    sse_mmx_enter(cpu);
    mmx_touch(cpu);
    mm_put(cpu, in->reg, cpu->xmm[in->rm].q[0]);
}

/* CVTPI2PS/PD: only a register source is an MMX access (and a transition);
 * an m64 source is not. */
static void cvtpi_enter(CPU *cpu, const Insn *in)
{
    if (in->flags & IF_MEM)
        sse_enter(cpu);
    else
        sse_mmx_enter(cpu);
}

void CVTPI2P_VQ(CPU *cpu, const Insn *in)
{
    cvtpi_enter(cpu, in);
    XMM s = { .q = { mm_src(cpu, in), 0 } };
    XMM d = cpu->xmm[in->reg];
    /* The host switches to MMX state before it can raise #XM. */
    if (!(in->flags & IF_MEM))
        mmx_touch(cpu);
    if (simd_pfx(in) == P_NP) {
        XMM t = d;
        sse_fp(cpu, FOP_CVTDQ2PS, &t, &s, 0);
        d.q[0] = t.q[0];
    } else {
        sse_fp(cpu, FOP_CVTDQ2PD, &d, &s, 0);
    }
    cpu->xmm[in->reg] = d;
}

/* CVT(T)PS2PI mm, xmm/m64 and CVT(T)PD2PI mm, xmm/m128: the same
 * conversion as CVT(T)PS2DQ / CVT(T)PD2DQ on the low lanes. */
void CVTP2PI_PW(CPU *cpu, const Insn *in)
{
    sse_mmx_enter(cpu);
    bool pd = simd_pfx(in) == P_66, trunc = in->opc == 0x2c;
    XMM s, d = { .q = { 0, 0 } };
    xmm_src(cpu, in, &s, pd ? 16 : 8, AL_16MM);
    if (!pd)
        s.q[1] = 0;  /* the upper lanes are not operands */
    int op = pd ? (trunc ? FOP_CVTTPD2DQ : FOP_CVTPD2DQ) : (trunc ? FOP_CVTTPS2DQ : FOP_CVTPS2DQ);
    /* The host switches to MMX state after the operand is read but before
     * it can raise #XM. */
    mmx_touch(cpu);
    sse_fp(cpu, op, &d, &s, 0);
    mm_put(cpu, in->reg, d.q[0]);
}

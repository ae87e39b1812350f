/* fxsave.c — FXSAVE/FXRSTOR, LDMXCSR/STMXCSR, CLFLUSH.
 *
 * The 512-byte image follows the SDM.  The x87 pointers follow the model
 * (model.c): AMD stores FOP, FIP/FCS and FDP/FDS as zero unless FSW.ES is
 * set; Intel stores FIP always, FOP and FDP only while ES (FDP_EXCPTN_ONLY)
 * and FCS/FDS as zero (deprecated).  Details measured on the AMD EPYC host
 * only:
 *  - the reserved bytes of the x87 register slots and byte 5 are written
 *    as zero; bytes past the last XMM register (288 in legacy modes, 416
 *    in 64-bit mode) are not written;
 *  - with CR4.OSFXSR clear, MXCSR and the XMM registers are neither saved
 *    nor restored; with EFER.FFXSR in 64-bit mode at CPL 0 the XMM
 *    registers are skipped (AMD fast FXSAVE/FXRSTOR).
 */
#include <string.h>

#include "simd.h"
#include "x87.h"
#include "../softmmu/mem.h"

static void fx_enter(CPU *cpu)
{
    if (cpu->cr0 & CR0_EM)
        cpu_ud(cpu);
    if (cpu->cr0 & CR0_TS)
        cpu_raise(cpu, EXC_NM, 0, false);
}

/* Abridged tag word: bit i set when physical register i is not empty. */
static uint8_t fx_abridged_tags(uint16_t ftw)
{
    uint8_t t = 0;
    for (int i = 0; i < 8; i++)
        if (((ftw >> (2 * i)) & 3) != 3)
            t |= (uint8_t)(1u << i);
    return t;
}

/* Full tag of a non-empty register from its contents: 0 valid, 1 zero,
 * 2 special (NaN, infinity, denormal, unsupported). */
static unsigned tag_of(const F80 *r)
{
    unsigned exp = r->se & 0x7fff;
    if (exp == 0x7fff)
        return 2;
    if (exp == 0)
        return r->mant ? 2 : 1;
    return (r->mant >> 63) ? 0 : 2;
}

static uint16_t fx_full_tags(const X87 *f, uint8_t abridged)
{
    uint16_t ftw = 0;
    for (int i = 0; i < 8; i++) {
        unsigned t = (abridged >> i) & 1 ? tag_of(&f->st[i]) : 3;
        ftw |= (uint16_t)(t << (2 * i));
    }
    return ftw;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static unsigned fx_nxmm(CPU *cpu)
{
    if (!(cpu->cr4 & CR4_OSFXSR))
        return 0;
    if (cpu->code_mode != CODE64)
        return 8;
    if ((cpu->efer & EFER_FFXSR) && cpu->cpl == 0)
        return 0;
    return 16;
}

void FXSAVE_M(CPU *cpu, const Insn *in)
{
    fx_enter(cpu);
    uint64_t ea = simd_ea(cpu, in, AL_16);
    const X87 *f = &cpu->fpu;
    uint8_t img[416];
    memset(img, 0, sizeof img);
    put16(img + 0, f->fcw);
    put16(img + 2, f->fsw);
    img[4] = fx_abridged_tags(f->ftw);
    const Quirks *q = &cpu->model->q;
    bool es = (f->fsw & 0x80) != 0;
    bool ip = es || !q->fx_ptrs_es_only;
    bool dp = es || (!q->fx_ptrs_es_only && !q->fdp_excptn_only);
    if (dp)
        put16(img + 6, f->fop & 0x7ff);
    if (in->flags & IF_REXW) {   /* FXSAVE64: 64-bit pointers */
        if (ip)
            put64(img + 8, f->fip);
        if (dp)
            put64(img + 16, f->fdp);
    } else {
        if (ip) {
            put32(img + 8, (uint32_t)f->fip);
            put16(img + 12, q->fcs_fds_zero ? 0 : f->fcs);
        }
        if (dp) {
            put32(img + 16, (uint32_t)f->fdp);
            put16(img + 20, q->fcs_fds_zero ? 0 : f->fds);
        }
    }
    unsigned top = (f->fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) {
        const F80 *r = &f->st[(top + i) & 7];
        put64(img + 32 + 16 * i, r->mant);
        put16(img + 40 + 16 * i, r->se);
    }
    unsigned nxmm = fx_nxmm(cpu);
    if (cpu->cr4 & CR4_OSFXSR) {
        put32(img + 24, cpu->mxcsr);
        put32(img + 28, mxcsr_mask(cpu));
        memcpy(img + 160, cpu->xmm, 16 * nxmm);
        cpu_write_block(cpu, in->seg, ea, img, 160 + 16 * nxmm);
    } else {
        /* leave MXCSR and MXCSR_MASK as they were in memory; both parts
         * are checked first so a fault writes nothing */
        cpu_check_write(cpu, in->seg, ea, 160);
        cpu_write_block(cpu, in->seg, ea, img, 24);
        cpu_write_block(cpu, in->seg, ea + 32, img + 32, 128);
    }
}

void FXRSTOR_M(CPU *cpu, const Insn *in)
{
    fx_enter(cpu);
    uint64_t ea = simd_ea(cpu, in, AL_16);
    unsigned nxmm = fx_nxmm(cpu);
    uint8_t img[416];
    cpu_read_block(cpu, in->seg, ea, img, 160 + 16 * nxmm);
    bool sse = (cpu->cr4 & CR4_OSFXSR) != 0;
    uint32_t mx = get32(img + 24);
    if (sse && (mx & ~mxcsr_mask(cpu)))
        cpu_gp0(cpu);

    X87 *f = &cpu->fpu;
    /* FXRSTOR drops the reserved FCW bits as FLDCW does (host: an image
     * FCW of 0xfffe loads as 0x1f7e, 0xff00 as 0x1f40). */
    f->fcw = (uint16_t)((get16(img + 0) & FCW_WRITABLE) | FCW_FORCED);
    f->fsw = get16(img + 2);
    f->fop = get16(img + 6) & 0x7ff;
    if (in->flags & IF_REXW) {
        f->fip = get64(img + 8);
        f->fdp = get64(img + 16);
    } else {
        f->fip = get32(img + 8);
        f->fcs = get16(img + 12);
        f->fdp = get32(img + 16);
        f->fds = get16(img + 20);
    }
    unsigned top = (f->fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) {
        F80 *r = &f->st[(top + i) & 7];
        r->mant = get64(img + 32 + 16 * i);
        r->se = get16(img + 40 + 16 * i);
    }
    /* ES and B follow the exception flags and masks just loaded, whatever
     * the image said (as the host does). */
    if (f->fsw & ~f->fcw & 0x3f)
        f->fsw |= 0x8080;
    else
        f->fsw &= (uint16_t)~0x8080;
    f->ftw = fx_full_tags(f, img[4]);
    if (sse) {
        cpu->mxcsr = mx;
        memcpy(cpu->xmm, img + 160, 16 * nxmm);
    }
}

void LDMXCSR_Md(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    uint32_t v = (uint32_t)cpu_read(cpu, in->seg, insn_ea(cpu, in), 4);
    if (v & ~mxcsr_mask(cpu))
        cpu_gp0(cpu);
    cpu->mxcsr = v;
}

void STMXCSR_Md(CPU *cpu, const Insn *in)
{
    sse_enter(cpu);
    cpu_write(cpu, in->seg, insn_ea(cpu, in), 4, cpu->mxcsr);
}

/* No cache to flush, but the address is checked like a byte read (without
 * touching memory, which could be MMIO). */
void CLFLUSH_Mb(CPU *cpu, const Insn *in)
{
    uint64_t lin = cpu_lin(cpu, in->seg, insn_ea(cpu, in), 1, ACC_READ);
    cpu_translate(cpu, lin, ACC_READ);
}

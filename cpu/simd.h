/* simd.h — private helpers of the MMX/SSE handlers (cpu/sse*.c, cpu/mmx*.c,
 * cpu/fxsave.c).
 *
 * MMX registers live in the x87 register file (fpu.st[i].mant); XMM
 * registers and MXCSR in CPU.  FP arithmetic runs on the host's SSE unit
 * where there is one (sse_host.c), so results and MXCSR flags are the
 * host's bit for bit; integer SIMD is plain C.
 */
#ifndef RZ_SIMD_H
#define RZ_SIMD_H

#include "operand.h"
#include "simd_ops.h"

/* MXCSR bits */
enum {
    MX_IE = 1 << 0, MX_DE = 1 << 1, MX_ZE = 1 << 2, MX_OE = 1 << 3,
    MX_UE = 1 << 4, MX_PE = 1 << 5, MX_FLAGS = 0x3f,
    MX_DAZ = 1 << 6, MX_MASKS = 0x3f << 7, MX_RC = 3 << 13, MX_FTZ = 1 << 15,
    MX_MM = 1 << 17,  /* AMD misaligned-SSE mode */
};
/* Writable MXCSR bits (FXSAVE's MXCSR_MASK) are the model's: bit 17 (MM),
 * AMD's misaligned SSE mode, exists only where CPUID MisAlignSse
 * (8000_0001h ECX[7]) says so, and cpuid.c derives that bit from this. */
static inline uint32_t mxcsr_mask(const CPU *cpu) { return cpu->model->q.mxcsr_mask; }


/* Entry checks (raise #UD/#NM/#MF). */
void sse_enter(CPU *cpu);
void mmx_enter(CPU *cpu);
/* The x87 -> MMX transition every MMX instruction but EMMS makes: TOP = 0,
 * all tags valid.  Call it only after the last point that can fault. */
static inline void mmx_touch(CPU *cpu)
{
    cpu->fpu.fsw &= (uint16_t)~0x3800;
    cpu->fpu.ftw = 0;
}
/* Before an MMX store (MOVD/MOVQ/MOVNTQ m, mm): Intel has set TOP = 0
 * already when the store faults (tags not yet valid); AMD makes the whole
 * transition after it (model.c: mmx_top_before_store). */
static inline void mmx_before_store(CPU *cpu)
{
    if (cpu->model->q.mmx_top_before_store)
        cpu->fpu.fsw &= (uint16_t)~0x3800;
}
static inline uint64_t mm_get(CPU *cpu, unsigned r) { return cpu->fpu.st[r & 7].mant; }
/* A written MMX register reads as a NaN-like value to the x87. */
static inline void mm_put(CPU *cpu, unsigned r, uint64_t v)
{
    cpu->fpu.st[r & 7].mant = v;
    cpu->fpu.st[r & 7].se = 0xffff;
}
/* True for the MMX-register forms of the shared MMX/SSE2 handlers. */
static inline bool simd_mmx_form(const Insn *in)
{
    return (form_info[in->form].attrs & A_MMX) != 0;
}
static inline unsigned simd_pfx(const Insn *in) { return form_info[in->form].pfx; }

/* Alignment rule of a memory operand */
enum {
    AL_NONE,   /* unaligned forms, scalar and 64-bit operands */
    AL_16,     /* MOVAPS/MOVDQA/MOVNT*: 16 bytes always */
    AL_16MM,   /* other 16-byte packed operands: 16 bytes unless MXCSR.MM */
};
/* Effective address of the memory operand, #GP(0) when misaligned. */
uint64_t simd_ea(CPU *cpu, const Insn *in, int align);
/* XMM source from ModRM.rm: a register, or size bytes (4, 8, 16) of memory
 * zero-extended. */
void xmm_src(CPU *cpu, const Insn *in, XMM *out, unsigned size, int align);
/* 64-bit MMX source from ModRM.rm: register or m64. */
uint64_t mm_src(CPU *cpu, const Insn *in);
/* MASKMOVQ/MASKMOVDQU store of the bytes whose mask bit 7 is set. */
void simd_maskmov(CPU *cpu, const Insn *in, const uint8_t *data, const uint8_t *mask, unsigned n);

/* ---- host FP unit (sse_host.c) ---- */

/* Every FP operation the handlers need.  Operands: d is the destination
 * register (first source), s the second source, both whole XMM values.
 * CVT*2SI leave the integer in d->q[0]; CVTSI2* take it from s->q[0];
 * COMIS* leave ZF|PF|CF in d->d[0]. */

/* Runs op with the rounding/DAZ/FTZ controls of mxcsr and all exceptions
 * masked; returns the MXCSR afterwards (the flags raised are in bits 0..5). */
uint32_t host_fp(int op, XMM *d, const XMM *s, unsigned imm, uint32_t mxcsr);
/* Runs op for the guest: accumulates the MXCSR flags and raises #XM (or #UD
 * without CR4.OSXMMEXCPT) on an unmasked exception, in which case *d is
 * left as it was.  Returns only when the result in *d may be committed. */
void sse_fp(CPU *cpu, int op, XMM *d, const XMM *s, unsigned imm);

#endif

/* simd_ops.h — the operations of the SIMD handlers that serve many forms.
 * The opcode table names them (SUBOP(FOP_ADDPS), SUBOP(IOP_PADDB)); the
 * handlers look the operation up in form_info, never by opcode. */
#ifndef RZ_SIMD_OPS_H
#define RZ_SIMD_OPS_H

/* SSE_FP_VW and the COMIS/CVT handlers: run on the host's FP unit
 * (sse_host.c).  X(name, host mnemonic) */
#define SIMD_FP_OPS(X) \
    X(ADDPS, "addps") X(ADDSS, "addss") X(ADDPD, "addpd") X(ADDSD, "addsd") \
    X(SUBPS, "subps") X(SUBSS, "subss") X(SUBPD, "subpd") X(SUBSD, "subsd") \
    X(MULPS, "mulps") X(MULSS, "mulss") X(MULPD, "mulpd") X(MULSD, "mulsd") \
    X(DIVPS, "divps") X(DIVSS, "divss") X(DIVPD, "divpd") X(DIVSD, "divsd") \
    X(MINPS, "minps") X(MINSS, "minss") X(MINPD, "minpd") X(MINSD, "minsd") \
    X(MAXPS, "maxps") X(MAXSS, "maxss") X(MAXPD, "maxpd") X(MAXSD, "maxsd") \
    X(SQRTPS, "sqrtps") X(SQRTSS, "sqrtss") X(SQRTPD, "sqrtpd") X(SQRTSD, "sqrtsd") \
    X(RCPPS, "rcpps") X(RCPSS, "rcpss") X(RSQRTPS, "rsqrtps") X(RSQRTSS, "rsqrtss") \
    X(CVTPS2PD, "cvtps2pd") X(CVTPD2PS, "cvtpd2ps") X(CVTSS2SD, "cvtss2sd") \
    X(CVTSD2SS, "cvtsd2ss") X(CVTDQ2PS, "cvtdq2ps") X(CVTPS2DQ, "cvtps2dq") \
    X(CVTTPS2DQ, "cvttps2dq") X(CVTTPD2DQ, "cvttpd2dq") X(CVTDQ2PD, "cvtdq2pd") \
    X(CVTPD2DQ, "cvtpd2dq") \
    X(ADDSUBPS, "addsubps") X(ADDSUBPD, "addsubpd") X(HADDPS, "haddps") \
    X(HADDPD, "haddpd") X(HSUBPS, "hsubps") X(HSUBPD, "hsubpd")

enum {
    FOP_NONE,   /* 0: the table's "no SUBOP" */
#define X(name, insn) FOP_##name,
    SIMD_FP_OPS(X)
#undef X
    FOP_CMPPS, FOP_CMPSS, FOP_CMPPD, FOP_CMPSD,          /* predicate in imm & 7 */
    FOP_COMISS, FOP_UCOMISS, FOP_COMISD, FOP_UCOMISD,
    FOP_CVTSI2SS32, FOP_CVTSI2SS64, FOP_CVTSI2SD32, FOP_CVTSI2SD64,
    FOP_CVTSS2SI32, FOP_CVTSS2SI64, FOP_CVTTSS2SI32, FOP_CVTTSS2SI64,
    FOP_CVTSD2SI32, FOP_CVTSD2SI64, FOP_CVTTSD2SI32, FOP_CVTTSD2SI64,
    FOP_COUNT
};

/* SIMD_INT: plain-C integer operations on MMX (8 bytes) or XMM (16 bytes)
 * registers (sse_int.c).  X(name, function) */
#define SIMD_INT_OPS(X) \
    X(PUNPCKLDQ, punpckldq) X(PUNPCKHDQ, punpckhdq) X(PAND, pand) X(PANDN, pandn) \
    X(POR, por) X(PXOR, pxor) X(PUNPCKLBW, punpcklbw) X(PUNPCKLWD, punpcklwd) \
    X(PACKSSWB, packsswb) X(PCMPGTB, pcmpgtb) X(PCMPGTW, pcmpgtw) X(PCMPGTD, pcmpgtd) \
    X(PACKUSWB, packuswb) X(PUNPCKHBW, punpckhbw) X(PUNPCKHWD, punpckhwd) \
    X(PACKSSDW, packssdw) X(PUNPCKLQDQ, punpcklqdq) X(PUNPCKHQDQ, punpckhqdq) \
    X(PCMPEQB, pcmpeqb) X(PCMPEQW, pcmpeqw) X(PCMPEQD, pcmpeqd) X(PSRLW, psrlw) \
    X(PSRLD, psrld) X(PSRLQ, psrlq) X(PADDQ, paddq) X(PMULLW, pmullw) X(PSUBUSB, psubusb) \
    X(PSUBUSW, psubusw) X(PMINUB, pminub) X(PADDUSB, paddusb) X(PADDUSW, paddusw) \
    X(PMAXUB, pmaxub) X(PAVGB, pavgb) X(PSRAW, psraw) X(PSRAD, psrad) X(PAVGW, pavgw) \
    X(PMULHUW, pmulhuw) X(PMULHW, pmulhw) X(PSUBSB, psubsb) X(PSUBSW, psubsw) \
    X(PMINSW, pminsw) X(PADDSB, paddsb) X(PADDSW, paddsw) X(PMAXSW, pmaxsw) X(PSLLW, psllw) \
    X(PSLLD, pslld) X(PSLLQ, psllq) X(PMULUDQ, pmuludq) X(PMADDWD, pmaddwd) \
    X(PSADBW, psadbw) X(PSUBB, psubb) X(PSUBW, psubw) X(PSUBD, psubd) X(PSUBQ, psubq) \
    X(PADDB, paddb) X(PADDW, paddw) X(PADDD, paddd) X(PSHUFB, pshufb) X(PHADDW, phaddw) \
    X(PHADDD, phaddd) X(PHADDSW, phaddsw) X(PMADDUBSW, pmaddubsw) X(PHSUBW, phsubw) \
    X(PHSUBD, phsubd) X(PHSUBSW, phsubsw) X(PSIGNB, psignb) X(PSIGNW, psignw) \
    X(PSIGND, psignd) X(PMULHRSW, pmulhrsw) X(PABSB, pabsb) X(PABSW, pabsw) X(PABSD, pabsd)

enum {
    IOP_NONE,
#define X(name, fn) IOP_##name,
    SIMD_INT_OPS(X)
#undef X
    IOP_COUNT
};

#endif

/* sse_host.c — SSE floating point executed on the host's SSE unit.
 *
 * On an x86-64 host each guest FP operation runs as the same host
 * instruction, between an LDMXCSR of the guest's rounding/DAZ/FTZ controls
 * (all exceptions masked, flags clear) and an STMXCSR that collects the
 * flags, all inside one asm statement so the compiler cannot move the
 * operation out of that window.  That makes results bit-exact, including
 * NaN propagation, denormals, the vendor-specific RCP/RSQRT approximations
 * and the integer-indefinite value of conversions.
 *
 * Elsewhere (or with -DRZ_SIMD_PORTABLE) a C fallback is used.  It is
 * APPROXIMATE: IEEE results in the four rounding modes and x86 NaN rules
 * for the common cases, but RCP/RSQRT are exact quotients (not the
 * hardware's 12-bit approximations), and tininess/flag details may differ.
 */
#include <string.h>

#include "simd.h"

enum { K_ADD, K_SUB, K_MUL, K_DIV, K_MIN, K_MAX, K_SQRT, K_RCP, K_RSQRT, K_ROUND };

#if defined(__x86_64__) && !defined(RZ_SIMD_PORTABLE)

#define RUN(body)                                                              \
    do {                                                                       \
        uint32_t saved_ = 0;                                                   \
        __asm__ volatile("stmxcsr %[sv]\n\t"                                   \
                         "ldmxcsr %[mx]\n\t"                                   \
                         "movdqu %[d], %%xmm0\n\t"                             \
                         "movdqu %[s], %%xmm1\n\t"                             \
                         body "\n\t"                                           \
                         "movdqu %%xmm0, %[d]\n\t"                             \
                         "stmxcsr %[mx]\n\t"                                   \
                         "ldmxcsr %[sv]"                                       \
                         : [d] "+m"(*d), [mx] "+m"(mx), [sv] "+m"(saved_)      \
                         : [s] "m"(*s)                                         \
                         : "xmm0", "xmm1", "rax", "rcx", "rdx", "cc");         \
    } while (0)

#define RR(insn) RUN(insn " %%xmm1, %%xmm0")

/* The predicate is an immediate in the instruction: one variant each. */
#define CMP8(insn)                                                   \
    switch (imm & 7) {                                               \
    case 0: RUN(insn " $0, %%xmm1, %%xmm0"); break;                  \
    case 1: RUN(insn " $1, %%xmm1, %%xmm0"); break;                  \
    case 2: RUN(insn " $2, %%xmm1, %%xmm0"); break;                  \
    case 3: RUN(insn " $3, %%xmm1, %%xmm0"); break;                  \
    case 4: RUN(insn " $4, %%xmm1, %%xmm0"); break;                  \
    case 5: RUN(insn " $5, %%xmm1, %%xmm0"); break;                  \
    case 6: RUN(insn " $6, %%xmm1, %%xmm0"); break;                  \
    default: RUN(insn " $7, %%xmm1, %%xmm0"); break;                 \
    }

/* ZF/PF/CF of a COMIS into eax, then xmm0 */
#define COMIS(insn)                                                  \
    RUN("xor %%eax, %%eax\n\t" insn " %%xmm1, %%xmm0\n\t"           \
        "setb %%al\n\tsetp %%cl\n\tsete %%dl\n\t"                    \
        "movzbl %%cl, %%ecx\n\tmovzbl %%dl, %%edx\n\t"               \
        "shl $2, %%ecx\n\tshl $6, %%edx\n\t"                         \
        "or %%ecx, %%eax\n\tor %%edx, %%eax\n\tmovd %%eax, %%xmm0")

uint32_t host_fp(int op, XMM *d, const XMM *s, unsigned imm, uint32_t mx)
{
    switch (op) {
#define X(name, insn) case FOP_##name: RR(insn); break;
    SIMD_FP_OPS(X)
#undef X
    case FOP_CMPPS: CMP8("cmpps"); break;
    case FOP_CMPSS: CMP8("cmpss"); break;
    case FOP_CMPPD: CMP8("cmppd"); break;
    case FOP_CMPSD: CMP8("cmpsd"); break;
    case FOP_COMISS: COMIS("comiss"); break;
    case FOP_UCOMISS: COMIS("ucomiss"); break;
    case FOP_COMISD: COMIS("comisd"); break;
    case FOP_UCOMISD: COMIS("ucomisd"); break;
    case FOP_CVTSI2SS32: RUN("movd %%xmm1, %%eax\n\tcvtsi2ssl %%eax, %%xmm0"); break;
    case FOP_CVTSI2SS64: RUN("movq %%xmm1, %%rax\n\tcvtsi2ssq %%rax, %%xmm0"); break;
    case FOP_CVTSI2SD32: RUN("movd %%xmm1, %%eax\n\tcvtsi2sdl %%eax, %%xmm0"); break;
    case FOP_CVTSI2SD64: RUN("movq %%xmm1, %%rax\n\tcvtsi2sdq %%rax, %%xmm0"); break;
    case FOP_CVTSS2SI32: RUN("cvtss2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0"); break;
    case FOP_CVTSS2SI64: RUN("cvtss2si %%xmm1, %%rax\n\tmovq %%rax, %%xmm0"); break;
    case FOP_CVTTSS2SI32: RUN("cvttss2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0"); break;
    case FOP_CVTTSS2SI64: RUN("cvttss2si %%xmm1, %%rax\n\tmovq %%rax, %%xmm0"); break;
    case FOP_CVTSD2SI32: RUN("cvtsd2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0"); break;
    case FOP_CVTSD2SI64: RUN("cvtsd2si %%xmm1, %%rax\n\tmovq %%rax, %%xmm0"); break;
    case FOP_CVTTSD2SI32: RUN("cvttsd2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0"); break;
    case FOP_CVTTSD2SI64: RUN("cvttsd2si %%xmm1, %%rax\n\tmovq %%rax, %%xmm0"); break;
    default: break;
    }
    return mx;
}


/* Whether one lane's result is inexact when rounded to its precision with
 * an unbounded exponent, which is what PE reports for a lane whose
 * overflow or underflow exception is unmasked.  The host x87 does it: its
 * exponent range is wider than double's, and precision control rounds the
 * significand to 24 or 53 bits. */
#define X87OP(load, op, A, B, ONE)                                             \
    __asm__ volatile("fnstcw %[old]\n\tfldcw %[cw]\n\tfnclex\n\t"             \
                     load " %[a]\n\t" op "\n\tfnstsw %[sw]\n\t"                \
                     "fstp %%st(0)\n\tfldcw %[old]"                             \
                     : [old] "+m"(old), [sw] "=m"(sw)                           \
                     : [cw] "m"(cw), [a] "m"(*(A)), [b] "m"(*(B)), [one] "m"(*(ONE)) \
                     : "st", "cc")

static bool x87_inexact(int kind, bool dbl, const void *a, const void *b, uint32_t mx)
{
    static const float one_f = 1.0f;
    static const double one_d = 1.0;
    /* PC: 53 bits for double results, 24 for float (also K_ROUND's) */
    uint16_t cw = (uint16_t)(0x3f | (dbl && kind != K_ROUND ? 0x200 : 0) | (((mx >> 13) & 3) << 10));
    uint16_t old = 0, sw = 0;
    /* copies of the right type: the asm reads them as float/double */
    double da, db;
    float fa, fb;
    if (dbl) {
        memcpy(&da, a, 8);
        memcpy(&db, b, 8);
        const double *pa = &da, *pb = &db;
        switch (kind) {
        case K_ADD: X87OP("fldl", "faddl %[b]", pa, pb, &one_d); break;
        case K_SUB: X87OP("fldl", "fsubl %[b]", pa, pb, &one_d); break;
        case K_MUL: X87OP("fldl", "fmull %[b]", pa, pb, &one_d); break;
        case K_DIV: X87OP("fldl", "fdivl %[b]", pa, pb, &one_d); break;
        case K_SQRT: X87OP("fldl", "fsqrt", pa, pb, &one_d); break;
        default: X87OP("fldl", "fmuls %[one]", pa, pb, &one_f); break;  /* round to float */
        }
    } else {
        memcpy(&fa, a, 4);
        memcpy(&fb, b, 4);
        const float *pa = &fa, *pb = &fb;
        switch (kind) {
        case K_ADD: X87OP("flds", "fadds %[b]", pa, pb, &one_f); break;
        case K_SUB: X87OP("flds", "fsubs %[b]", pa, pb, &one_f); break;
        case K_MUL: X87OP("flds", "fmuls %[b]", pa, pb, &one_f); break;
        case K_DIV: X87OP("flds", "fdivs %[b]", pa, pb, &one_f); break;
        default: X87OP("flds", "fsqrt", pa, pb, &one_f); break;
        }
    }
    return (sw & 0x20) != 0;
}
#undef X87OP

#else  /* portable fallback: approximate, see the top of the file */

#include <fenv.h>
#include <math.h>

typedef struct Ctx { uint32_t mx, fl; } Ctx;

static bool f_snan(float x) { uint32_t u; memcpy(&u, &x, 4); return (u & 0x7fc00000u) == 0x7f800000u && (u & 0x3fffff); }
static bool d_snan(double x) { uint64_t u; memcpy(&u, &x, 8); return (u & 0x7ff8000000000000ull) == 0x7ff0000000000000ull && (u & 0x7ffffffffffffull); }
static float f_quiet(float x) { uint32_t u; memcpy(&u, &x, 4); u |= 0x400000; memcpy(&x, &u, 4); return x; }
static double d_quiet(double x) { uint64_t u; memcpy(&u, &x, 8); u |= 1ull << 51; memcpy(&x, &u, 8); return x; }
static float f_dnan(void) { uint32_t u = 0xffc00000u; float x; memcpy(&x, &u, 4); return x; }
static double d_dnan(void) { uint64_t u = 0xfff8000000000000ull; double x; memcpy(&x, &u, 8); return x; }

static float f_in(Ctx *c, float x)
{
    if (fpclassify(x) == FP_SUBNORMAL) {
        if (c->mx & MX_DAZ) return copysignf(0.0f, x);
        c->fl |= MX_DE;
    }
    return x;
}
static double d_in(Ctx *c, double x)
{
    if (fpclassify(x) == FP_SUBNORMAL) {
        if (c->mx & MX_DAZ) return copysign(0.0, x);
        c->fl |= MX_DE;
    }
    return x;
}

static void fe_begin(Ctx *c)
{
    static const int rc[4] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO };
    fesetround(rc[(c->mx >> 13) & 3]);
    feclearexcept(FE_ALL_EXCEPT);
}
static void fe_end(Ctx *c)
{
    int e = fetestexcept(FE_ALL_EXCEPT);
    if (e & FE_INVALID) c->fl |= MX_IE;
    if (e & FE_DIVBYZERO) c->fl |= MX_ZE;
    if (e & FE_OVERFLOW) c->fl |= MX_OE;
    if (e & FE_UNDERFLOW) c->fl |= MX_UE;
    if (e & FE_INEXACT) c->fl |= MX_PE;
    fesetround(FE_TONEAREST);
}


static float f_op(Ctx *c, int k, float a, float b)
{
    a = f_in(c, a);
    b = f_in(c, b);
    if (k == K_MIN || k == K_MAX) {
        if (isnan(a) || isnan(b)) { c->fl |= MX_IE; return b; }
        if (k == K_MIN) return a < b ? a : b;
        return a > b ? a : b;
    }
    if (k >= K_SQRT) a = b;
    if (isnan(a) || (k < K_SQRT && isnan(b))) {
        if (f_snan(a) || (k < K_SQRT && f_snan(b))) c->fl |= MX_IE;
        return isnan(a) ? f_quiet(a) : f_quiet(b);
    }
    fe_begin(c);
    float r;
    switch (k) {
    case K_ADD: r = a + b; break;
    case K_SUB: r = a - b; break;
    case K_MUL: r = a * b; break;
    case K_DIV: r = a / b; break;
    case K_SQRT: r = sqrtf(a); break;
    case K_RCP: r = 1.0f / a; break;
    default: r = 1.0f / sqrtf(a); break;
    }
    fe_end(c);
    if (k >= K_RCP) c->fl &= ~(uint32_t)MX_FLAGS;  /* RCP/RSQRT raise nothing */
    if (isnan(r)) r = f_dnan();
    if (fpclassify(r) == FP_SUBNORMAL && (c->mx & MX_FTZ)) {
        r = copysignf(0.0f, r);
        c->fl |= MX_UE | MX_PE;
    }
    return r;
}

static double d_op(Ctx *c, int k, double a, double b)
{
    a = d_in(c, a);
    b = d_in(c, b);
    if (k == K_MIN || k == K_MAX) {
        if (isnan(a) || isnan(b)) { c->fl |= MX_IE; return b; }
        if (k == K_MIN) return a < b ? a : b;
        return a > b ? a : b;
    }
    if (k == K_SQRT) a = b;
    if (isnan(a) || (k != K_SQRT && isnan(b))) {
        if (d_snan(a) || (k != K_SQRT && d_snan(b))) c->fl |= MX_IE;
        return isnan(a) ? d_quiet(a) : d_quiet(b);
    }
    fe_begin(c);
    double r;
    switch (k) {
    case K_ADD: r = a + b; break;
    case K_SUB: r = a - b; break;
    case K_MUL: r = a * b; break;
    case K_DIV: r = a / b; break;
    default: r = sqrt(a); break;
    }
    fe_end(c);
    if (isnan(r)) r = d_dnan();
    if (fpclassify(r) == FP_SUBNORMAL && (c->mx & MX_FTZ)) {
        r = copysign(0.0, r);
        c->fl |= MX_UE | MX_PE;
    }
    return r;
}

static bool cmp_pred(Ctx *c, unsigned p, double a, double b, bool sa, bool sb)
{
    bool un = isnan(a) || isnan(b);
    if (sa || sb || (un && (p == 1 || p == 2 || p == 5 || p == 6)))
        c->fl |= MX_IE;
    switch (p & 7) {
    case 0: return !un && a == b;
    case 1: return !un && a < b;
    case 2: return !un && a <= b;
    case 3: return un;
    case 4: return un || a != b;
    case 5: return un || !(a < b);
    case 6: return un || !(a <= b);
    default: return !un;
    }
}

static int64_t to_int(Ctx *c, double v, bool trunc, unsigned bits)
{
    double lim = bits == 32 ? 2147483648.0 : 9223372036854775808.0;
    int64_t indef = bits == 32 ? INT32_MIN : INT64_MIN;
    if (isnan(v)) { c->fl |= MX_IE; return indef; }
    double r;
    if (trunc) {
        r = v < 0 ? ceil(v) : floor(v);
    } else {
        fe_begin(c);
        r = nearbyint(v);
        fesetround(FE_TONEAREST);
    }
    if (r >= lim || r < -lim) { c->fl |= MX_IE; return indef; }
    if (r != v) c->fl |= MX_PE;
    return (int64_t)r;
}

static float f_round(Ctx *c, double v)
{
    fe_begin(c);
    volatile float r = (float)v;
    fe_end(c);
    return r;
}

static bool x87_inexact(int kind, bool dbl, const void *a, const void *b, uint32_t mx)
{
    (void)kind; (void)dbl; (void)a; (void)b; (void)mx;
    return false;  /* approximate: see the top of the file */
}

uint32_t host_fp(int op, XMM *d, const XMM *s, unsigned imm, uint32_t mx)
{
    Ctx c = { mx, 0 };
    XMM r = *d;
    int k = -1;
    switch (op) {
    case FOP_ADDPS: case FOP_ADDSS: case FOP_ADDPD: case FOP_ADDSD: k = K_ADD; break;
    case FOP_SUBPS: case FOP_SUBSS: case FOP_SUBPD: case FOP_SUBSD: k = K_SUB; break;
    case FOP_MULPS: case FOP_MULSS: case FOP_MULPD: case FOP_MULSD: k = K_MUL; break;
    case FOP_DIVPS: case FOP_DIVSS: case FOP_DIVPD: case FOP_DIVSD: k = K_DIV; break;
    case FOP_MINPS: case FOP_MINSS: case FOP_MINPD: case FOP_MINSD: k = K_MIN; break;
    case FOP_MAXPS: case FOP_MAXSS: case FOP_MAXPD: case FOP_MAXSD: k = K_MAX; break;
    case FOP_SQRTPS: case FOP_SQRTSS: case FOP_SQRTPD: case FOP_SQRTSD: k = K_SQRT; break;
    case FOP_RCPPS: case FOP_RCPSS: k = K_RCP; break;
    case FOP_RSQRTPS: case FOP_RSQRTSS: k = K_RSQRT; break;
    default: break;
    }
    if (k >= 0) {
        /* ops are laid out PS, SS, PD, SD within each group of four */
        int shape = op >= FOP_RCPPS ? (op - FOP_RCPPS) % 2 : (op - FOP_ADDPS) % 4;
        if (shape == 0 || shape == 1) {
            int n = shape == 0 ? 4 : 1;
            for (int i = 0; i < n; i++)
                r.f[i] = f_op(&c, k, d->f[i], s->f[i]);
        } else {
            int n = shape == 2 ? 2 : 1;
            for (int i = 0; i < n; i++)
                r.fd[i] = d_op(&c, k, d->fd[i], s->fd[i]);
        }
        *d = r;
        return (mx & ~(uint32_t)MX_FLAGS) | c.fl;
    }
    switch (op) {
    case FOP_CMPPS: case FOP_CMPSS:
        for (int i = 0; i < (op == FOP_CMPPS ? 4 : 1); i++) {
            float a = f_in(&c, d->f[i]), b = f_in(&c, s->f[i]);
            r.d[i] = cmp_pred(&c, imm, a, b, f_snan(a), f_snan(b)) ? ~0u : 0;
        }
        break;
    case FOP_CMPPD: case FOP_CMPSD:
        for (int i = 0; i < (op == FOP_CMPPD ? 2 : 1); i++) {
            double a = d_in(&c, d->fd[i]), b = d_in(&c, s->fd[i]);
            r.q[i] = cmp_pred(&c, imm, a, b, d_snan(a), d_snan(b)) ? ~0ull : 0;
        }
        break;
    case FOP_COMISS: case FOP_UCOMISS: case FOP_COMISD: case FOP_UCOMISD: {
        bool sgl = op == FOP_COMISS || op == FOP_UCOMISS;
        double a = sgl ? f_in(&c, d->f[0]) : d_in(&c, d->fd[0]);
        double b = sgl ? f_in(&c, s->f[0]) : d_in(&c, s->fd[0]);
        bool sn = sgl ? f_snan(d->f[0]) || f_snan(s->f[0]) : d_snan(d->fd[0]) || d_snan(s->fd[0]);
        bool un = isnan(a) || isnan(b);
        if (sn || (un && (op == FOP_COMISS || op == FOP_COMISD)))
            c.fl |= MX_IE;
        memset(&r, 0, sizeof r);
        r.d[0] = un ? (F_ZF | F_PF | F_CF) : a == b ? F_ZF : a < b ? F_CF : 0;
        break;
    }
    case FOP_CVTSS2SD:
        if (f_snan(s->f[0])) c.fl |= MX_IE;
        r.fd[0] = isnan(s->f[0]) ? d_quiet((double)s->f[0]) : (double)f_in(&c, s->f[0]);
        break;
    case FOP_CVTPS2PD:
        for (int i = 1; i >= 0; i--) r.fd[i] = f_in(&c, s->f[i]);
        break;
    case FOP_CVTSD2SS: r.f[0] = f_round(&c, d_in(&c, s->fd[0])); break;
    case FOP_CVTPD2PS:
        r.f[0] = f_round(&c, d_in(&c, s->fd[0]));
        r.f[1] = f_round(&c, d_in(&c, s->fd[1]));
        r.q[1] = 0;
        break;
    case FOP_CVTDQ2PS:
        for (int i = 0; i < 4; i++) r.f[i] = f_round(&c, (double)(int32_t)s->d[i]);
        break;
    case FOP_CVTDQ2PD: {
        int32_t a = (int32_t)s->d[0], b = (int32_t)s->d[1];
        r.fd[0] = a;
        r.fd[1] = b;
        break;
    }
    case FOP_CVTPS2DQ: case FOP_CVTTPS2DQ:
        for (int i = 0; i < 4; i++)
            r.d[i] = (uint32_t)to_int(&c, f_in(&c, s->f[i]), op == FOP_CVTTPS2DQ, 32);
        break;
    case FOP_CVTPD2DQ: case FOP_CVTTPD2DQ:
        for (int i = 0; i < 2; i++)
            r.d[i] = (uint32_t)to_int(&c, d_in(&c, s->fd[i]), op == FOP_CVTTPD2DQ, 32);
        r.q[1] = 0;
        break;
    case FOP_CVTSI2SS32: r.f[0] = f_round(&c, (double)(int32_t)s->d[0]); break;
    case FOP_CVTSI2SS64: r.f[0] = (float)(int64_t)s->q[0]; break;
    case FOP_CVTSI2SD32: r.fd[0] = (int32_t)s->d[0]; break;
    case FOP_CVTSI2SD64: r.fd[0] = (double)(int64_t)s->q[0]; break;
    case FOP_CVTSS2SI32: case FOP_CVTSS2SI64: case FOP_CVTTSS2SI32: case FOP_CVTTSS2SI64:
    case FOP_CVTSD2SI32: case FOP_CVTSD2SI64: case FOP_CVTTSD2SI32: case FOP_CVTTSD2SI64: {
        bool sgl = op <= FOP_CVTTSS2SI64;
        bool t = op == FOP_CVTTSS2SI32 || op == FOP_CVTTSS2SI64 || op == FOP_CVTTSD2SI32 || op == FOP_CVTTSD2SI64;
        unsigned bits = (op == FOP_CVTSS2SI32 || op == FOP_CVTTSS2SI32 || op == FOP_CVTSD2SI32 || op == FOP_CVTTSD2SI32) ? 32 : 64;
        double v = sgl ? f_in(&c, s->f[0]) : d_in(&c, s->fd[0]);
        memset(&r, 0, sizeof r);
        int64_t x = to_int(&c, v, t, bits);
        r.q[0] = bits == 32 ? (uint32_t)x : (uint64_t)x;
        break;
    }
    case FOP_ADDSUBPS: case FOP_HADDPS: case FOP_HSUBPS: {
        float a[4], b[4];
        for (int i = 0; i < 4; i++) { a[i] = d->f[i]; b[i] = s->f[i]; }
        if (op == FOP_ADDSUBPS) {
            for (int i = 0; i < 4; i++) r.f[i] = f_op(&c, (i & 1) ? K_ADD : K_SUB, a[i], b[i]);
        } else {
            int k2 = op == FOP_HADDPS ? K_ADD : K_SUB;
            r.f[0] = f_op(&c, k2, a[0], a[1]);
            r.f[1] = f_op(&c, k2, a[2], a[3]);
            r.f[2] = f_op(&c, k2, b[0], b[1]);
            r.f[3] = f_op(&c, k2, b[2], b[3]);
        }
        break;
    }
    case FOP_ADDSUBPD:
        r.fd[0] = d_op(&c, K_SUB, d->fd[0], s->fd[0]);
        r.fd[1] = d_op(&c, K_ADD, d->fd[1], s->fd[1]);
        break;
    case FOP_HADDPD: case FOP_HSUBPD: {
        int k2 = op == FOP_HADDPD ? K_ADD : K_SUB;
        r.fd[0] = d_op(&c, k2, d->fd[0], d->fd[1]);
        r.fd[1] = d_op(&c, k2, s->fd[0], s->fd[1]);
        break;
    }
    default: break;
    }
    *d = r;
    return (mx & ~(uint32_t)MX_FLAGS) | c.fl;
}

#endif

/* How an operation's input lanes map to its results, for isolating one
 * result lane: elem is the input element size, n the number of result
 * lanes that can raise flags, horiz marks HADD/HSUB (result lane j reads
 * an adjacent pair), int_in marks integer inputs. */
typedef struct Shape { uint8_t elem, n; bool horiz, int_in; } Shape;

static Shape fp_shape(int op)
{
    switch (op) {
    case FOP_ADDPS: case FOP_SUBPS: case FOP_MULPS: case FOP_DIVPS: case FOP_MINPS:
    case FOP_MAXPS: case FOP_SQRTPS: case FOP_RCPPS: case FOP_RSQRTPS: case FOP_CVTPS2DQ:
    case FOP_CVTTPS2DQ: case FOP_ADDSUBPS: case FOP_CMPPS:
        return (Shape){ 4, 4, false, false };
    case FOP_ADDPD: case FOP_SUBPD: case FOP_MULPD: case FOP_DIVPD: case FOP_MINPD:
    case FOP_MAXPD: case FOP_SQRTPD: case FOP_CVTPD2PS: case FOP_CVTPD2DQ:
    case FOP_CVTTPD2DQ: case FOP_ADDSUBPD: case FOP_CMPPD:
        return (Shape){ 8, 2, false, false };
    case FOP_CVTPS2PD: return (Shape){ 4, 2, false, false };
    case FOP_CVTDQ2PS: return (Shape){ 4, 4, false, true };
    case FOP_HADDPS: case FOP_HSUBPS: return (Shape){ 4, 4, true, false };
    case FOP_HADDPD: case FOP_HSUBPD: return (Shape){ 8, 2, true, false };
    default: return (Shape){ 16, 1, false, false };  /* scalar: lane 0 only */
    }
}

static void fill_one(XMM *x, const Shape *sh)
{
    for (unsigned i = 0; i < 16 / sh->elem; i++) {
        if (sh->elem == 4)
            x->d[i] = sh->int_in ? 1 : 0x3f800000u;
        else
            x->q[i] = 0x3ff0000000000000ull;
    }
}

static void keep_lane(XMM *dst, const XMM *src, const Shape *sh, unsigned i)
{
    memcpy(&dst->b[i * sh->elem], &src->b[i * sh->elem], sh->elem);
}

static bool f_denormal(uint32_t u) { return (u & 0x7f800000u) == 0 && (u & 0x7fffff); }
static bool d_denormal(uint64_t u) { return (u & 0x7ff0000000000000ull) == 0 && (u & 0xfffffffffffffull); }

/* x87_inexact() for result lane g of op, with DAZ applied to the inputs. */
static bool lane_inexact(int op, const XMM *d, const XMM *s, unsigned g, uint32_t mx)
{
    int kind;
    bool dbl;
    const XMM *pa = d, *pb = s;
    unsigned ia = g, ib = g;
    switch (op) {
    case FOP_ADDPS: case FOP_ADDSS: kind = K_ADD; dbl = false; break;
    case FOP_SUBPS: case FOP_SUBSS: kind = K_SUB; dbl = false; break;
    case FOP_MULPS: case FOP_MULSS: kind = K_MUL; dbl = false; break;
    case FOP_DIVPS: case FOP_DIVSS: kind = K_DIV; dbl = false; break;
    case FOP_ADDPD: case FOP_ADDSD: kind = K_ADD; dbl = true; break;
    case FOP_SUBPD: case FOP_SUBSD: kind = K_SUB; dbl = true; break;
    case FOP_MULPD: case FOP_MULSD: kind = K_MUL; dbl = true; break;
    case FOP_DIVPD: case FOP_DIVSD: kind = K_DIV; dbl = true; break;
    case FOP_SQRTPS: case FOP_SQRTSS: kind = K_SQRT; dbl = false; pa = s; break;
    case FOP_SQRTPD: case FOP_SQRTSD: kind = K_SQRT; dbl = true; pa = s; break;
    case FOP_CVTPD2PS: case FOP_CVTSD2SS: kind = K_ROUND; dbl = true; pa = s; break;
    case FOP_ADDSUBPS: kind = (g & 1) ? K_ADD : K_SUB; dbl = false; break;
    case FOP_ADDSUBPD: kind = (g & 1) ? K_ADD : K_SUB; dbl = true; break;
    case FOP_HADDPS: case FOP_HSUBPS: case FOP_HADDPD: case FOP_HSUBPD: {
        dbl = op == FOP_HADDPD || op == FOP_HSUBPD;
        kind = (op == FOP_HADDPS || op == FOP_HADDPD) ? K_ADD : K_SUB;
        unsigned half = dbl ? 1 : 2;
        pa = pb = g < half ? d : s;
        ia = 2 * (g % half);
        ib = ia + 1;
        break;
    }
    default:
        return false;
    }
    if (dbl) {
        uint64_t a = pa->q[ia], b = pb->q[ib];
        if (mx & MX_DAZ) {
            if (d_denormal(a)) a &= 1ull << 63;
            if (d_denormal(b)) b &= 1ull << 63;
        }
        return x87_inexact(kind, true, &a, &b, mx);
    }
    uint32_t a = pa->d[ia], b = pb->d[ib];
    if (mx & MX_DAZ) {
        if (f_denormal(a)) a &= 1u << 31;
        if (f_denormal(b)) b &= 1u << 31;
    }
    return x87_inexact(kind, false, &a, &b, mx);
}

/* Flags with unmasked overflow/underflow in play.  Each result lane
 * reports its own flags, except that a lane whose overflow (underflow) is
 * unmasked reports OE (UE) and no masked-response PE; an unmasked underflow is
 * any tiny result, exact or not (tininess taken from a rerun with FTZ,
 * which flags every tiny result), and PE then says whether the lane is
 * inexact at an unbounded exponent.  Lanes are isolated by replacing the
 * other inputs with 1.0, which raises nothing. */
static uint32_t post_flags(int op, const XMM *d, const XMM *s, unsigned imm, uint32_t ctl,
                           uint32_t unmasked)
{
    Shape sh = fp_shape(op);
    uint32_t total = 0;
    for (unsigned g = 0; g < sh.n; g++) {
        XMM dd = *d, ss = *s;
        if (sh.n > 1) {
            fill_one(&dd, &sh);
            fill_one(&ss, &sh);
            if (sh.horiz) {
                unsigned half = sh.n / 2, j = 2 * (g % half);
                XMM *dst = g < half ? &dd : &ss;
                const XMM *src = g < half ? d : s;
                keep_lane(dst, src, &sh, j);
                keep_lane(dst, src, &sh, j + 1);
            } else {
                keep_lane(&dd, d, &sh, g);
                keep_lane(&ss, s, &sh, g);
            }
        }
        XMM t = dd;
        uint32_t f = host_fp(op, &t, &ss, imm, ctl) & MX_FLAGS;
        bool tiny = false;
        if (unmasked & MX_UE) {
            t = dd;
            tiny = (host_fp(op, &t, &ss, imm, ctl | MX_FTZ) & MX_UE) != 0;
        }
        uint32_t pre = f & (MX_IE | MX_DE | MX_ZE);
        if ((f & MX_OE) && (unmasked & MX_OE))
            f = pre | MX_OE | (lane_inexact(op, d, s, g, ctl) ? MX_PE : 0);
        else if (tiny && (unmasked & MX_UE))
            f = pre | MX_UE | (lane_inexact(op, d, s, g, ctl) ? MX_PE : 0);
        total |= f;
    }
    return total;
}

/* An unmasked exception stops the instruction before the destination is
 * written.  Pre-computation exceptions (invalid, denormal, divide by zero)
 * are detected on all lanes first; if one is unmasked only those flags are
 * set.  Otherwise the post-computation flags are those of post_flags(). */
void sse_fp(CPU *cpu, int op, XMM *d, const XMM *s, unsigned imm)
{
    uint32_t ctl = (cpu->mxcsr & 0xffc0u & ~(uint32_t)MX_MASKS) | MX_MASKS;
    uint32_t unmasked = ~(cpu->mxcsr >> 7) & MX_FLAGS;
    XMM r = *d;
    uint32_t fl = host_fp(op, &r, s, imm, ctl) & MX_FLAGS;
    if (unmasked) {
        uint32_t pre = fl & (MX_IE | MX_DE | MX_ZE);
        if (pre & unmasked) {
            cpu->mxcsr |= pre;
            goto fault;
        }
        if ((fl & unmasked) || (unmasked & MX_UE)) {
            uint32_t post = post_flags(op, d, s, imm, ctl, unmasked);
            if (post & unmasked) {
                cpu->mxcsr |= post;
                goto fault;
            }
        }
    }
    cpu->mxcsr |= fl;
    *d = r;
    return;
fault:
    cpu_raise(cpu, (cpu->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, 0, false);
}

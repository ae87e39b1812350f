/* sse_int.c — integer SIMD on MMX (8-byte) and XMM (16-byte) registers:
 * MMX, the SSE/SSE2 integer extensions and SSSE3, plus the bitwise and
 * unpack forms of SSE/SSE2 FP (ANDPS, UNPCKLPS, ...), which are integer
 * operations on the bits.
 *
 * One operation body serves both widths: it works on n = 8 or 16 bytes.
 * Forms whose operation is the opcode share one handler and a table.
 */
#include <string.h>

#include "simd.h"

/* r = a OP b over n bytes; r never aliases a or b. */
typedef void (*IntOp)(XMM *r, const XMM *a, const XMM *b, unsigned n);

static int8_t sat8(int v) { return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v); }
static uint8_t satu8(int v) { return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v); }
static int16_t sat16(int32_t v) { return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v); }
static uint16_t satu16(int32_t v) { return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v); }

/* Lane-wise: x from a, y from b, both converted to T. */
#define LANEOP(name, arr, T, expr)                                         \
    static void name(XMM *r, const XMM *a, const XMM *b, unsigned n)      \
    {                                                                      \
        for (unsigned i = 0; i < n / sizeof a->arr[0]; i++) {              \
            T x = (T)a->arr[i], y = (T)b->arr[i];                          \
            (void)x;                                                       \
            r->arr[i] = (__typeof__(r->arr[0]))(expr);                     \
        }                                                                  \
    }

LANEOP(paddb, b, uint8_t, x + y)
LANEOP(paddw, w, uint16_t, x + y)
LANEOP(paddd, d, uint32_t, x + y)
LANEOP(paddq, q, uint64_t, x + y)
LANEOP(psubb, b, uint8_t, x - y)
LANEOP(psubw, w, uint16_t, x - y)
LANEOP(psubd, d, uint32_t, x - y)
LANEOP(psubq, q, uint64_t, x - y)
LANEOP(paddsb, b, int8_t, sat8(x + y))
LANEOP(paddsw, w, int16_t, sat16(x + y))
LANEOP(psubsb, b, int8_t, sat8(x - y))
LANEOP(psubsw, w, int16_t, sat16(x - y))
LANEOP(paddusb, b, uint8_t, satu8(x + y))
LANEOP(paddusw, w, uint16_t, satu16(x + y))
LANEOP(psubusb, b, uint8_t, satu8(x - y))
LANEOP(psubusw, w, uint16_t, satu16(x - y))
LANEOP(pmullw, w, int32_t, (int16_t)x * (int16_t)y)
LANEOP(pmulhw, w, int32_t, ((int16_t)x * (int16_t)y) >> 16)
LANEOP(pmulhuw, w, uint32_t, (x * y) >> 16)
LANEOP(pmulhrsw, w, int32_t, ((((int16_t)x * (int16_t)y) >> 14) + 1) >> 1)
LANEOP(pavgb, b, uint32_t, (x + y + 1) >> 1)
LANEOP(pavgw, w, uint32_t, (x + y + 1) >> 1)
LANEOP(pminub, b, uint8_t, x < y ? x : y)
LANEOP(pmaxub, b, uint8_t, x > y ? x : y)
LANEOP(pminsw, w, int16_t, x < y ? x : y)
LANEOP(pmaxsw, w, int16_t, x > y ? x : y)
LANEOP(pand, q, uint64_t, x & y)
LANEOP(pandn, q, uint64_t, ~x & y)
LANEOP(por, q, uint64_t, x | y)
LANEOP(pxor, q, uint64_t, x ^ y)
LANEOP(pcmpeqb, b, uint8_t, x == y ? 0xff : 0)
LANEOP(pcmpeqw, w, uint16_t, x == y ? 0xffff : 0)
LANEOP(pcmpeqd, d, uint32_t, x == y ? 0xffffffffu : 0)
LANEOP(pcmpgtb, b, int8_t, x > y ? 0xff : 0)
LANEOP(pcmpgtw, w, int16_t, x > y ? 0xffff : 0)
LANEOP(pcmpgtd, d, int32_t, x > y ? 0xffffffffu : 0)
LANEOP(psignb, b, int8_t, y < 0 ? -(int)x : y == 0 ? 0 : x)
LANEOP(psignw, w, int16_t, y < 0 ? -(int)x : y == 0 ? 0 : x)
LANEOP(psignd, d, int32_t, y < 0 ? -(int64_t)x : y == 0 ? 0 : x)
LANEOP(pabsb, b, int8_t, y < 0 ? -(int)y : y)
LANEOP(pabsw, w, int16_t, y < 0 ? -(int)y : y)
LANEOP(pabsd, d, int32_t, y < 0 ? -(int64_t)y : y)

static void pmuludq(XMM *r, const XMM *a, const XMM *b, unsigned n)
{
    for (unsigned i = 0; i < n / 8; i++)
        r->q[i] = (uint64_t)a->d[2 * i] * b->d[2 * i];
}

static void pmaddwd(XMM *r, const XMM *a, const XMM *b, unsigned n)
{
    for (unsigned i = 0; i < n / 4; i++) {
        int64_t s = (int64_t)(int16_t)a->w[2 * i] * (int16_t)b->w[2 * i] +
                    (int64_t)(int16_t)a->w[2 * i + 1] * (int16_t)b->w[2 * i + 1];
        r->d[i] = (uint32_t)s;  /* only 0x8000 * 0x8000 * 2 wraps */
    }
}

static void pmaddubsw(XMM *r, const XMM *a, const XMM *b, unsigned n)
{
    for (unsigned i = 0; i < n / 2; i++)
        r->w[i] = (uint16_t)sat16(a->b[2 * i] * (int8_t)b->b[2 * i] +
                                  a->b[2 * i + 1] * (int8_t)b->b[2 * i + 1]);
}

static void psadbw(XMM *r, const XMM *a, const XMM *b, unsigned n)
{
    for (unsigned i = 0; i < n / 8; i++) {
        unsigned s = 0;
        for (unsigned j = 0; j < 8; j++) {
            int dlt = a->b[8 * i + j] - b->b[8 * i + j];
            s += (unsigned)(dlt < 0 ? -dlt : dlt);
        }
        r->q[i] = s;
    }
}

static void packsswb(XMM *r, const XMM *a, const XMM *b, unsigned n)
{
    for (unsigned i = 0; i < n / 2; i++) {
        r->b[i] = (uint8_t)sat8((int16_t)a->w[i]);
        r->b[n / 2 + i] = (uint8_t)sat8((int16_t)b->w[i]);
    }
}

static void packuswb(XMM *r, const XMM *a, const XMM *b, unsigned n)
{
    for (unsigned i = 0; i < n / 2; i++) {
        r->b[i] = satu8((int16_t)a->w[i]);
        r->b[n / 2 + i] = satu8((int16_t)b->w[i]);
    }
}

static void packssdw(XMM *r, const XMM *a, const XMM *b, unsigned n)
{
    for (unsigned i = 0; i < n / 4; i++) {
        r->w[i] = (uint16_t)sat16((int32_t)a->d[i]);
        r->w[n / 4 + i] = (uint16_t)sat16((int32_t)b->d[i]);
    }
}

/* Interleave the low (hi = 0) or high halves of a and b, size-byte lanes. */
static void unpack(XMM *r, const XMM *a, const XMM *b, unsigned n, unsigned size, bool hi)
{
    unsigned half = n / 2, cnt = half / size;
    for (unsigned i = 0; i < cnt; i++) {
        memcpy(&r->b[2 * i * size], &a->b[(hi ? half : 0) + i * size], size);
        memcpy(&r->b[(2 * i + 1) * size], &b->b[(hi ? half : 0) + i * size], size);
    }
}
#define UNPACK(name, size, hi) \
    static void name(XMM *r, const XMM *a, const XMM *b, unsigned n) { unpack(r, a, b, n, size, hi); }
UNPACK(punpcklbw, 1, false)
UNPACK(punpcklwd, 2, false)
UNPACK(punpckldq, 4, false)
UNPACK(punpcklqdq, 8, false)
UNPACK(punpckhbw, 1, true)
UNPACK(punpckhwd, 2, true)
UNPACK(punpckhdq, 4, true)
UNPACK(punpckhqdq, 8, true)

/* Shifts take the count from b->q[0] (the whole 64 bits). */
enum { SH_RL, SH_RA, SH_LL };
static void shift(XMM *r, const XMM *a, uint64_t c, unsigned n, unsigned size, int kind)
{
    unsigned bits = size * 8;
    for (unsigned i = 0; i < n / size; i++) {
        uint64_t x = 0;
        memcpy(&x, &a->b[i * size], size);
        if (kind == SH_RA) {
            int64_t sx = sext(x, size);
            x = (uint64_t)(sx >> (c >= bits ? bits - 1 : c));
        } else if (c >= bits) {
            x = 0;
        } else {
            x = kind == SH_RL ? x >> c : x << c;
        }
        memcpy(&r->b[i * size], &x, size);
    }
}
#define SHIFT(name, size, kind) \
    static void name(XMM *r, const XMM *a, const XMM *b, unsigned n) { shift(r, a, b->q[0], n, size, kind); }
SHIFT(psrlw, 2, SH_RL)
SHIFT(psrld, 4, SH_RL)
SHIFT(psrlq, 8, SH_RL)
SHIFT(psraw, 2, SH_RA)
SHIFT(psrad, 4, SH_RA)
SHIFT(psllw, 2, SH_LL)
SHIFT(pslld, 4, SH_LL)
SHIFT(psllq, 8, SH_LL)

/* Byte shifts of the whole register (XMM only) */
static void psrldq(XMM *r, const XMM *a, const XMM *b, unsigned n)
{
    uint64_t c = b->q[0];
    for (unsigned i = 0; i < n; i++)
        r->b[i] = i + c < n ? a->b[i + c] : 0;
}

static void pslldq(XMM *r, const XMM *a, const XMM *b, unsigned n)
{
    uint64_t c = b->q[0];
    for (unsigned i = 0; i < n; i++)
        r->b[i] = i >= c ? a->b[i - c] : 0;
}

static void pshufb(XMM *r, const XMM *a, const XMM *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        r->b[i] = (b->b[i] & 0x80) ? 0 : a->b[b->b[i] & (n - 1)];
}

/* Horizontal add/subtract of adjacent pairs: a's pairs, then b's. */
enum { H_ADD, H_SUB, H_ADDS, H_SUBS };
static void horiz(XMM *r, const XMM *a, const XMM *b, unsigned n, unsigned size, int kind)
{
    unsigned pairs = n / size / 2;
    for (unsigned i = 0; i < 2 * pairs; i++) {
        const XMM *s = i < pairs ? a : b;
        unsigned j = 2 * (i % pairs);
        int64_t x = size == 2 ? (int16_t)s->w[j] : (int32_t)s->d[j];
        int64_t y = size == 2 ? (int16_t)s->w[j + 1] : (int32_t)s->d[j + 1];
        int64_t v = (kind == H_ADD || kind == H_ADDS) ? x + y : x - y;
        if (size == 2)
            r->w[i] = (uint16_t)(kind >= H_ADDS ? sat16((int32_t)v) : v);
        else
            r->d[i] = (uint32_t)v;
    }
}
#define HORIZ(name, size, kind) \
    static void name(XMM *r, const XMM *a, const XMM *b, unsigned n) { horiz(r, a, b, n, size, kind); }
HORIZ(phaddw, 2, H_ADD)
HORIZ(phaddd, 4, H_ADD)
HORIZ(phaddsw, 2, H_ADDS)
HORIZ(phsubw, 2, H_SUB)
HORIZ(phsubd, 4, H_SUB)
HORIZ(phsubsw, 2, H_SUBS)

/* The operation of each SIMD_INT form is the table's SUBOP column. */
static const IntOp int_ops[IOP_COUNT] = {
#define X(name, fn) [IOP_##name] = fn,
    SIMD_INT_OPS(X)
#undef X
};

/* dest = reg operand, source = r/m operand, for either register file */
static void run_int(CPU *cpu, const Insn *in, IntOp op)
{
    XMM r = { .q = { 0, 0 } }, a, b;
    if (simd_mmx_form(in)) {
        mmx_enter(cpu);
        a.q[0] = mm_get(cpu, in->reg);
        /* MMX PUNPCKL* read only the low half: mm/m32 (the table's MSZ) */
        if ((in->flags & IF_MEM) && form_msz(&form_info[in->form]) == 4)
            b.q[0] = cpu_read(cpu, in->seg, insn_ea(cpu, in), 4);
        else
            b.q[0] = mm_src(cpu, in);
        a.q[1] = b.q[1] = 0;
        op(&r, &a, &b, 8);
        mmx_touch(cpu);
        mm_put(cpu, in->reg, r.q[0]);
    } else {
        sse_enter(cpu);
        a = cpu->xmm[in->reg];
        xmm_src(cpu, in, &b, 16, AL_16MM);
        op(&r, &a, &b, 16);
        cpu->xmm[in->reg] = r;
    }
}

void SIMD_INT(CPU *cpu, const Insn *in)
{
    run_int(cpu, in, int_ops[form_subop(&form_info[in->form])]);
}

/* Group 12/13/14: shifts of the r/m register by imm8 */
void SIMD_SHIFT_IMM(CPU *cpu, const Insn *in)
{
    unsigned ext = (in->modrm >> 3) & 7;
    IntOp op = NULL;
    switch (in->opc) {
    case 0x71: op = ext == 2 ? psrlw : ext == 4 ? psraw : ext == 6 ? psllw : NULL; break;
    case 0x72: op = ext == 2 ? psrld : ext == 4 ? psrad : ext == 6 ? pslld : NULL; break;
    default:
        op = ext == 2 ? psrlq : ext == 6 ? psllq : NULL;
        if (!simd_mmx_form(in) && ext == 3) op = psrldq;
        if (!simd_mmx_form(in) && ext == 7) op = pslldq;
        break;
    }
    if (!op)
        cpu_ud(cpu);
    XMM r = { .q = { 0, 0 } }, a, b = { .q = { in->imm & 0xff, 0 } };
    if (simd_mmx_form(in)) {
        mmx_enter(cpu);
        a.q[0] = mm_get(cpu, in->rm);
        a.q[1] = 0;
        op(&r, &a, &b, 8);
        mmx_touch(cpu);
        mm_put(cpu, in->rm, r.q[0]);
    } else {
        sse_enter(cpu);
        a = cpu->xmm[in->rm];
        op(&r, &a, &b, 16);
        cpu->xmm[in->rm] = r;
    }
}

/* PSHUFW (NP), PSHUFD (66), PSHUFHW (F3), PSHUFLW (F2) */
void SIMD_PSHUF(CPU *cpu, const Insn *in)
{
    unsigned imm = (unsigned)in->imm;
    if (simd_mmx_form(in)) {
        mmx_enter(cpu);
        uint64_t s = mm_src(cpu, in), r = 0;
        for (unsigned i = 0; i < 4; i++)
            r |= ((s >> (16 * ((imm >> (2 * i)) & 3))) & 0xffff) << (16 * i);
        mmx_touch(cpu);
        mm_put(cpu, in->reg, r);
        return;
    }
    sse_enter(cpu);
    XMM s, r;
    xmm_src(cpu, in, &s, 16, AL_16MM);
    r = s;
    switch (simd_pfx(in)) {
    case P_66:
        for (unsigned i = 0; i < 4; i++)
            r.d[i] = s.d[(imm >> (2 * i)) & 3];
        break;
    case P_F3:
        for (unsigned i = 0; i < 4; i++)
            r.w[4 + i] = s.w[4 + ((imm >> (2 * i)) & 3)];
        break;
    default:
        for (unsigned i = 0; i < 4; i++)
            r.w[i] = s.w[(imm >> (2 * i)) & 3];
        break;
    }
    cpu->xmm[in->reg] = r;
}

/* PALIGNR: (dest:src) >> imm8 bytes */
void PALIGNR_VWIb(CPU *cpu, const Insn *in)
{
    XMM a, b;
    unsigned n = simd_mmx_form(in) ? 8 : 16;
    if (n == 8) {
        mmx_enter(cpu);
        a.q[0] = mm_get(cpu, in->reg);
        b.q[0] = mm_src(cpu, in);
    } else {
        sse_enter(cpu);
        a = cpu->xmm[in->reg];
        xmm_src(cpu, in, &b, 16, AL_16MM);
    }
    uint8_t cat[32], out[16];
    memcpy(cat, b.b, n);
    memcpy(cat + n, a.b, n);
    unsigned sh = (unsigned)(in->imm & 0xff);
    for (unsigned i = 0; i < n; i++)
        out[i] = i + sh < 2 * n ? cat[i + sh] : 0;
    if (n == 8) {
        uint64_t v;
        memcpy(&v, out, 8);
        mmx_touch(cpu);
        mm_put(cpu, in->reg, v);
    } else {
        memcpy(cpu->xmm[in->reg].b, out, 16);
    }
}

/* PINSRW mm/xmm, r32/m16, imm8 */
void PINSRW_VEIb(CPU *cpu, const Insn *in)
{
    bool mmx = simd_mmx_form(in);
    if (mmx)
        mmx_enter(cpu);
    else
        sse_enter(cpu);
    uint16_t v = (uint16_t)rd_E(cpu, in, 2);
    if (mmx) {
        unsigned sh = 16 * (in->imm & 3);
        uint64_t r = (mm_get(cpu, in->reg) & ~(0xffffull << sh)) | (uint64_t)v << sh;
        mmx_touch(cpu);
        mm_put(cpu, in->reg, r);
    } else {
        cpu->xmm[in->reg].w[in->imm & 7] = v;
    }
}

/* PEXTRW r32/64, mm/xmm, imm8: zero-extended */
void PEXTRW_GUIb(CPU *cpu, const Insn *in)
{
    uint16_t v;
    if (simd_mmx_form(in)) {
        mmx_enter(cpu);
        v = (uint16_t)(mm_get(cpu, in->rm) >> (16 * (in->imm & 3)));
        mmx_touch(cpu);
    } else {
        sse_enter(cpu);
        v = cpu->xmm[in->rm].w[in->imm & 7];
    }
    set_reg(cpu, in->reg, 8, v);
}

/* PMOVMSKB r32/64, mm/xmm */
void PMOVMSKB_GU(CPU *cpu, const Insn *in)
{
    XMM s;
    unsigned n;
    if (simd_mmx_form(in)) {
        mmx_enter(cpu);
        s.q[0] = mm_get(cpu, in->rm);
        n = 8;
        mmx_touch(cpu);
    } else {
        sse_enter(cpu);
        s = cpu->xmm[in->rm];
        n = 16;
    }
    uint32_t m = 0;
    for (unsigned i = 0; i < n; i++)
        m |= (uint32_t)(s.b[i] >> 7) << i;
    set_reg(cpu, in->reg, 8, m);
}

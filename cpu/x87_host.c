/* x87_host.c — runs one x87 operation on the host's own x87 unit.
 *
 * On an x86 host the guest's instruction (its opcode byte and ModRM, with
 * the register operand renumbered to ST(0)/ST(1) and the memory operand
 * moved to a host buffer) is executed for real, so results, condition
 * codes and exception flags match the host CPU bit for bit, including the
 * transcendental instructions and the behaviour of unmasked exceptions
 * (no write-back, biased results on overflow/underflow).
 *
 * Each run starts from FNINIT, pushes the two operands, loads the guest's
 * control word and condition codes with FLDENV (exception flags clear, so
 * nothing is pending), executes the instruction and captures everything
 * with FNSAVE.  FNSAVE is non-waiting and reinitialises the unit, so an
 * unmasked exception never traps on the host and the host stack is always
 * left empty; the caller's control word is restored last.
 */
#include <string.h>

#include "x87.h"

#if (defined(__x86_64__) || defined(__i386__)) && !defined(RZ_X87_PORTABLE)

static void decode_image(X87Host *h, const uint8_t *img)
{
    uint16_t sw, tw;
    memcpy(&sw, img + 4, 2);
    memcpy(&tw, img + 8, 2);
    unsigned top = (sw >> 11) & 7;
    int d = (6 - (int)top) & 7;
    h->pushed = d > 3 ? d - 8 : d;
    h->sw = sw;
    h->out_empty = 0;
    static const unsigned phys[3] = { 6, 7, 5 };
    for (int k = 0; k < 3; k++) {
        unsigned st = (phys[k] - top) & 7;
        memcpy(&h->out[k].mant, img + 28 + 10 * st, 8);
        memcpy(&h->out[k].se, img + 28 + 10 * st + 8, 2);
        if (((tw >> (2 * phys[k])) & 3) == 3)
            h->out_empty |= (uint8_t)(1 << k);
    }
}

/* The env image FLDENV takes in 32-bit protected-mode layout: TOP = 6
 * after the two pushes, those two registers tagged in use. */
static void make_env(uint8_t env[28], const X87Host *h)
{
    memset(env, 0, 28);
    uint16_t cw = h->cw, sw = (uint16_t)((h->sw & FSW_CC) | (6 << 11)), tw = 0x0fff;
    memcpy(env, &cw, 2);
    memcpy(env + 4, &sw, 2);
    memcpy(env + 8, &tw, 2);
}

#define HOST_ASM(OPC, MODRM)                                                   \
    __asm__ volatile("fnstcw %[save]\n\t"                                      \
                     "fninit\n\t"                                              \
                     "fldt %[in1]\n\t"                                         \
                     "fldt %[in0]\n\t"                                         \
                     "fldenv %[env]\n\t"                                       \
                     ".byte %c[o], %c[m]\n\t"                                  \
                     "fnsave %[img]\n\t"                                       \
                     "fldcw %[save]"                                           \
                     : [save] "=m"(save), [img] "=m"(img), "=@ccz"(zf),        \
                       "=@ccp"(pf), "=@ccc"(cf), [mem] "+m"(h->mem)            \
                     : [in0] "m"(h->in[0]), [in1] "m"(h->in[1]),               \
                       [env] "m"(env), [o] "i"(OPC), [m] "i"(MODRM),           \
                       "a"(h->mem)                                             \
                     : "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)",      \
                       "st(6)", "st(7)")

#define C1(o, m) case ((o) << 8 | (m)): HOST_ASM(o, m); break;
/* A register form with ST(0) and with ST(1) as its operand */
#define C2(o, m) C1(o, m) C1(o, (m) + 1)
/* The eight ModRM.reg rows of a register form, ST(0) and ST(1) each */
#define CR8(o) C2(o, 0xc0) C2(o, 0xc8) C2(o, 0xd0) C2(o, 0xd8) \
               C2(o, 0xe0) C2(o, 0xe8) C2(o, 0xf0) C2(o, 0xf8)
/* The eight memory rows, [rax] */
#define CM8(o) C1(o, 0x00) C1(o, 0x08) C1(o, 0x10) C1(o, 0x18) \
               C1(o, 0x20) C1(o, 0x28) C1(o, 0x30) C1(o, 0x38)

bool x87_host_run(X87Host *h)
{
    uint8_t env[28], img[108];
    uint16_t save;
    bool zf = false, pf = false, cf = false;
    make_env(env, h);
    switch (h->opc << 8 | h->modrm) {
    CM8(0xd8) CR8(0xd8)
    C1(0xd9, 0x00) C1(0xd9, 0x10) C1(0xd9, 0x18)
    C2(0xd9, 0xc0) C2(0xd9, 0xd8)
    C1(0xd9, 0xe0) C1(0xd9, 0xe1) C1(0xd9, 0xe4) C1(0xd9, 0xe5)
    C1(0xd9, 0xe8) C1(0xd9, 0xe9) C1(0xd9, 0xea) C1(0xd9, 0xeb)
    C1(0xd9, 0xec) C1(0xd9, 0xed) C1(0xd9, 0xee)
    C1(0xd9, 0xf0) C1(0xd9, 0xf1) C1(0xd9, 0xf2) C1(0xd9, 0xf3)
    C1(0xd9, 0xf4) C1(0xd9, 0xf5) C1(0xd9, 0xf8) C1(0xd9, 0xf9)
    C1(0xd9, 0xfa) C1(0xd9, 0xfb) C1(0xd9, 0xfc) C1(0xd9, 0xfd)
    C1(0xd9, 0xfe) C1(0xd9, 0xff)
    CM8(0xda) C1(0xda, 0xe9)
    C1(0xdb, 0x00) C1(0xdb, 0x08) C1(0xdb, 0x10) C1(0xdb, 0x18)
    C1(0xdb, 0x28) C1(0xdb, 0x38)
    C2(0xdb, 0xe8) C2(0xdb, 0xf0)
    CM8(0xdc) CR8(0xdc)
    C1(0xdd, 0x00) C1(0xdd, 0x08) C1(0xdd, 0x10) C1(0xdd, 0x18)
    C2(0xdd, 0xd0) C2(0xdd, 0xd8) C2(0xdd, 0xe0) C2(0xdd, 0xe8)
    CM8(0xde) CR8(0xde)
    CM8(0xdf)
    C2(0xdf, 0xd0) C2(0xdf, 0xd8) C2(0xdf, 0xe8) C2(0xdf, 0xf0)
    default:
        return false;
    }
    decode_image(h, img);
    h->eflags = (zf ? F_ZF : 0) | (pf ? F_PF : 0) | (cf ? F_CF : 0);
    return true;
}

#else

/* Portable fallback for hosts without an x87 unit.  APPROXIMATE: values go
 * through C long double (often just double), so precision control,
 * pseudo-denormals, NaN payloads and most exception flags are not
 * reproduced; it covers the arithmetic, compare, load/store and constant
 * forms and refuses the rest.  It exists so the emulator builds and runs
 * simple x87 code everywhere; it is not tested against real hardware. */
#include <math.h>

static long double f80_to_ld(F80 v)
{
    int e = v.se & 0x7fff;
    long double s = (v.se & 0x8000) ? -1.0L : 1.0L;
    if (e == 0x7fff)
        return (v.mant << 1) ? s * NAN : s * INFINITY;
    return s * ldexpl((long double)v.mant, (e ? e : 1) - 16383 - 63);
}

static F80 ld_to_f80(long double x)
{
    F80 r = { 0, 0 };
    if (signbit(x)) r.se = 0x8000;
    if (isnan(x)) { r.se |= 0x7fff; r.mant = 0xc000000000000000ull; return r; }
    if (isinf(x)) { r.se |= 0x7fff; r.mant = 1ull << 63; return r; }
    if (x == 0) return r;
    int e;
    long double m = frexpl(fabsl(x), &e);  /* [0.5, 1) */
    r.mant = (uint64_t)ldexpl(m, 64);
    r.se |= (uint16_t)(e - 1 + 16383);
    return r;
}

static long double mem_operand(const X87Host *h, unsigned kind)
{
    float f; double d; int16_t w; int32_t l; int64_t q; F80 t;
    switch (kind) {
    case 0: memcpy(&f, h->mem, 4); return f;
    case 1: memcpy(&d, h->mem, 8); return d;
    case 2: memcpy(&l, h->mem, 4); return l;
    case 3: memcpy(&w, h->mem, 2); return w;
    case 4: memcpy(&q, h->mem, 8); return (long double)q;
    default: memcpy(&t.mant, h->mem, 8); memcpy(&t.se, h->mem + 8, 2); return f80_to_ld(t);
    }
}

static long double arith(unsigned op, long double a, long double b, uint16_t *sw)
{
    switch (op & 7) {
    case 0: return a + b;
    case 1: return a * b;
    case 4: return a - b;
    case 5: return b - a;
    case 6: if (b == 0 && a == a) *sw |= FSW_ZE; return a / b;
    case 7: if (a == 0 && b == b) *sw |= FSW_ZE; return b / a;
    default: {  /* compare */
        *sw &= (uint16_t)~(FSW_C0 | FSW_C2 | FSW_C3);
        if (a != a || b != b) *sw |= FSW_C0 | FSW_C2 | FSW_C3;
        else if (a < b) *sw |= FSW_C0;
        else if (a == b) *sw |= FSW_C3;
        return a;
    }
    }
}

bool x87_host_run(X87Host *h)
{
    long double a = f80_to_ld(h->in[0]), b = f80_to_ld(h->in[1]);
    uint16_t sw = (uint16_t)(h->sw & FSW_CC);
    unsigned reg = (h->modrm >> 3) & 7, opc = h->opc;
    bool mem = h->modrm < 0xc0;
    int pushed = 0;
    F80 o0 = h->in[0], o1 = h->in[1], o2 = { 0, 0 };
    if ((opc == 0xd8 || opc == 0xdc || opc == 0xda || opc == 0xde) && mem) {
        unsigned kind = opc == 0xd8 ? 0 : opc == 0xdc ? 1 : opc == 0xda ? 2 : 3;
        long double r = arith(reg, a, mem_operand(h, kind), &sw);
        if (reg != 2 && reg != 3) o0 = ld_to_f80(r);
        if (reg == 3) pushed = -1;
    } else if (opc == 0xd8 && !mem) {
        long double r = arith(reg, a, (h->modrm & 7) ? b : a, &sw);
        if (reg != 2 && reg != 3) o0 = ld_to_f80(r);
        if (reg == 3) pushed = -1;
    } else if ((opc == 0xdc || opc == 0xde) && !mem && reg != 2 && reg != 3) {
        long double r = arith(reg >= 4 ? reg ^ 1 : reg, (h->modrm & 7) ? b : a, a, &sw);
        if (h->modrm & 7) o1 = ld_to_f80(r); else o0 = ld_to_f80(r);
        if (opc == 0xde) pushed = -1;
    } else if ((opc == 0xd9 || opc == 0xdd || opc == 0xdb || opc == 0xdf) && mem && reg == 0) {
        unsigned kind = opc == 0xd9 ? 0 : opc == 0xdd ? 1 : opc == 0xdb ? 2 : 3;
        o2 = ld_to_f80(mem_operand(h, kind));
        pushed = 1;
    } else if (opc == 0xd9 && h->modrm >= 0xe8 && h->modrm <= 0xee) {
        static const long double k[7] = { 1.0L, 3.32192809488736234787L, 1.44269504088896340736L,
            3.14159265358979323846L, 0.30102999566398119521L, 0.69314718055994530942L, 0.0L };
        o2 = ld_to_f80(k[h->modrm - 0xe8]);
        pushed = 1;
    } else if (opc == 0xd9 && h->modrm == 0xe0) {
        o0.se ^= 0x8000;
    } else if (opc == 0xd9 && h->modrm == 0xe1) {
        o0.se &= 0x7fff;
    } else if (opc == 0xd9 && h->modrm == 0xfa) {
        o0 = ld_to_f80(sqrtl(a));
    } else if ((opc == 0xd9 || opc == 0xdd) && mem && (reg == 2 || reg == 3)) {
        if (opc == 0xd9) { float f = (float)a; memcpy(h->mem, &f, 4); }
        else { double d = (double)a; memcpy(h->mem, &d, 8); }
        if (reg == 3) pushed = -1;
    } else if (opc == 0xdb && mem && (reg == 5 || reg == 7)) {
        if (reg == 5) { o2 = ld_to_f80(mem_operand(h, 5)); pushed = 1; }
        else { memcpy(h->mem, &h->in[0].mant, 8); memcpy(h->mem + 8, &h->in[0].se, 2); pushed = -1; }
    } else {
        return false;
    }
    h->out[0] = o0;
    h->out[1] = o1;
    h->out[2] = o2;
    h->pushed = pushed;
    h->out_empty = (uint8_t)(pushed < 0 ? 1 : 0);
    h->sw = sw;
    h->eflags = 0;
    return true;
}

#endif

/* gen.c — builds differential test cases from the opcode table.
 *
 * The encoding comes from the form's columns (map, opcode, mandatory prefix,
 * ext, rmx, ModRM kind, operand-size rule, immediate kind); the operand
 * kinds that the columns do not say (is a ModRM field a GPR, a byte
 * register, XMM?) come from the SDM-style operand letters in the form's name
 * (EbGb, GvEv, VxWx, ...).  What is left is chosen at random: register or
 * memory, which registers, addressing form, 66/67/REX/segment/LOCK/REP
 * prefixes, operand values with edge cases, flags, x87 and SSE state.
 * Every encoding is decoded with ringzero's decode() to check it is the
 * intended form.
 */
#include "gen.h"

#include <stdio.h>
#include <string.h>

/* ---- random values ---- */

uint64_t gen_rand(GenCtx *g) { return diff_rng_next(&g->rng); }
static unsigned rnd(GenCtx *g, unsigned n) { return (unsigned)(gen_rand(g) % n); }
static bool chance(GenCtx *g, unsigned one_in) { return rnd(g, one_in) == 0; }

static const uint64_t edges[] = {
    0, 1, 2, 3, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000, 0x8001, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0x8000000000000001ull, 0xfffffffffffffffeull, ~0ull,
    0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull, 0x0f0f0f0f0f0f0f0full, 0x9999999999999999ull,
};
/* Shift/rotate counts and bit indexes worth hitting */
static const uint8_t counts[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 0xff };

static uint64_t rand_val(GenCtx *g)
{
    switch (rnd(g, 8)) {
    case 0: case 1: {
        uint64_t v = edges[rnd(g, sizeof edges / sizeof edges[0])];
        switch (rnd(g, 4)) {
        case 0: return ~v;
        case 1: return 0 - v;  /* two's complement negation, INT64_MIN included */
        default: return v;
        }
    }
    case 2: return counts[rnd(g, sizeof counts)];
    case 3: return rnd(g, 256);
    case 4: {  /* small magnitude, either sign */
        uint64_t v = gen_rand(g) >> (rnd(g, 64));
        return chance(g, 2) ? ~v : v;
    }
    default: return gen_rand(g);
    }
}

/* ---- what the name says about operands ---- */

typedef struct Shape {
    bool reg_gpr, rm_gpr;      /* ModRM fields that name GPRs */
    bool reg_byte, rm_byte;    /* ... as byte registers */
    bool stack_ok;             /* RSP may be a plain operand (PUSH/POP forms) */
    bool string, xlat, frame;  /* implicit rSI/rDI, rBX, rBP pointers */
    bool cl_count;
    bool div, cmpxchg, cmpxchg8b;
    bool rep_ne;               /* F2 means REPNE (CMPS/SCAS) */
    bool indirect_branch;
    bool bit_offset;           /* BT* Ev,Gv: Gv is a signed bit offset from the address */
    bool rdi_ptr;              /* MASKMOVQ/MASKMOVDQU store at rDI */
    int mxcsr_at;              /* LDMXCSR/FXRSTOR: offset of the MXCSR loaded, else -1 */
} Shape;

static bool starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static void shape_of(int form, Shape *sh)
{
    const FormInfo *fi = &form_info[form];
    const char *name = fi->name;
    memset(sh, 0, sizeof *sh);
    char mn[32];
    size_t n = strcspn(name, "_");
    snprintf(mn, sizeof mn, "%.*s", (int)n, name);
    const char *ops = name[n] ? name + n + 1 : "";

    /* Operand tokens: an upper-case letter followed by its lower-case size
     * letters (Eb, Gv, Wps), or a bare M. */
    char reg_letter = 0, rm_letter = 0, reg_size = 0, rm_size = 0;
    for (const char *p = ops; *p; p++) {
        if (*p < 'A' || *p > 'Z')
            continue;
        if (p > ops && p[-1] >= 'a' && p[-1] <= 'z' && (p == ops + 1 || p[-2] == '_'))
            continue;  /* inside rAX / eAX */
        char next = p[1];
        bool tok = (next >= 'a' && next <= 'z') || (*p == 'M' && !(next >= 'A' && next <= 'Z'));
        if (!tok)
            continue;
        if (strchr("GVPSCDT", *p) && !reg_letter) { reg_letter = *p; reg_size = next; }
        else if (strchr("EWQRUNM", *p) && !rm_letter) { rm_letter = *p; rm_size = next; }
    }
    bool fpu = (fi->attrs & A_FPU) != 0;
    sh->reg_gpr = !fpu && (reg_letter == 'G' || reg_letter == 0);
    sh->rm_gpr = !fpu && (rm_letter == 'E' || rm_letter == 'R' || rm_letter == 0);
    sh->reg_byte = reg_letter == 'G' ? reg_size == 'b' : fi->osz == OS_B;
    sh->rm_byte = rm_letter == 'E' || rm_letter == 'R' ? rm_size == 'b' : fi->osz == OS_B;
    sh->stack_ok = starts(mn, "PUSH") || starts(mn, "POP");
    sh->string = (fi->attrs & A_REP) != 0;
    sh->xlat = starts(mn, "XLAT");
    sh->frame = starts(mn, "ENTER") || starts(mn, "LEAVE");
    sh->cl_count = strstr(ops, "CL") != NULL;
    sh->div = !strcmp(mn, "DIV") || !strcmp(mn, "IDIV");
    sh->cmpxchg = !strcmp(mn, "CMPXCHG");
    sh->cmpxchg8b = starts(mn, "CMPXCHG8B") || starts(mn, "CMPXCHG16B");
    sh->rep_ne = starts(mn, "CMPS") || starts(mn, "SCAS");
    sh->indirect_branch = (fi->attrs & A_BRANCH) && (rm_letter == 'E' || rm_letter == 'M');
    sh->bit_offset = (!strcmp(mn, "BT") || !strcmp(mn, "BTS") || !strcmp(mn, "BTR") ||
                      !strcmp(mn, "BTC")) && reg_letter == 'G';
    sh->rdi_ptr = starts(mn, "MASKMOV");
    /* Random bytes are almost never a valid MXCSR (bits 31..18 and 16 must
     * be clear), so these would test little but their #GP. */
    sh->mxcsr_at = !strcmp(mn, "LDMXCSR") ? 0 : !strcmp(mn, "FXRSTOR") ? FX_MXCSR : -1;
}

bool gen_form_in_scope(int form, int mode)
{
    uint32_t a = form_info[form].attrs;
    if (!(a & A_DIFF))
        return false;
    if ((a & A_I64) && mode == CODE64)
        return false;
    if ((a & A_O64) && mode != CODE64)
        return false;
    return true;
}

/* ---- x87 / SSE state ---- */

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void rand_f80(GenCtx *g, uint8_t *r)
{
    uint64_t m;
    uint16_t se;
    uint16_t sign = chance(g, 2) ? 0x8000 : 0;
    switch (rnd(g, 16)) {
    case 0: m = 0; se = 0; break;                                  /* zero */
    case 1: m = 1ull << 63; se = 0x7fff; break;                    /* infinity */
    case 2: m = 3ull << 62 | (gen_rand(g) >> 2 & (chance(g, 2) ? ~0ull : 0)); se = 0x7fff; break; /* QNaN */
    case 3: m = 1ull << 63 | ((gen_rand(g) >> 3) | 1); se = 0x7fff; break;  /* SNaN */
    case 4: m = gen_rand(g) >> 1 | 1; se = 0; break;               /* denormal */
    case 5: m = 1ull << 63 | gen_rand(g); se = 0; break;           /* pseudo-denormal */
    case 6: m = gen_rand(g) >> 1; se = (uint16_t)(1 + rnd(g, 0x7ffe)); break; /* unnormal */
    case 7: m = 1ull << 63; se = 0x3fff; break;                    /* 1.0 */
    case 8: m = 1ull << 63 | gen_rand(g) << 40; se = (uint16_t)(0x3fff + rnd(g, 64)); break; /* integral-ish */
    case 9: m = ~0ull; se = (uint16_t)(chance(g, 2) ? 0x7ffe : 1); break; /* extremes */
    default: m = 1ull << 63 | gen_rand(g); se = (uint16_t)(0x3fff - 70 + rnd(g, 140)); break;
    }
    if (chance(g, 16))
        se = (uint16_t)(rnd(g, 0x7fff));  /* any exponent */
    put64(r, m);
    put16(r + 8, (uint16_t)(se | sign));
    memset(r + 10, 0, 6);
}

static uint32_t rand_f32(GenCtx *g)
{
    static const uint32_t sp[] = { 0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
        0x7fa00000, 0x00000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0x3f800000, 0xbf800000,
        0x4f000000, 0xcf000000, 0x5f000000, 0xdf000000, 0x3f000000, 0x3fc00000, 0x40490fdb };
    if (chance(g, 3))
        return sp[rnd(g, sizeof sp / sizeof sp[0])];
    uint32_t v = (uint32_t)gen_rand(g);
    if (chance(g, 2))  /* keep the exponent near 1.0 */
        v = (v & 0x807fffff) | (uint32_t)(127 - 30 + rnd(g, 60)) << 23;
    return v;
}

static uint64_t rand_f64(GenCtx *g)
{
    static const uint64_t sp[] = { 0, 1ull << 63, 0x7ff0000000000000ull, 0xfff0000000000000ull,
        0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff4000000000000ull, 1, 0x000fffffffffffffull,
        0x0010000000000000ull, 0x7fefffffffffffffull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
        0x41e0000000000000ull, 0xc1e0000000000000ull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
        0x3fe0000000000000ull, 0x400921fb54442d18ull };
    if (chance(g, 3))
        return sp[rnd(g, sizeof sp / sizeof sp[0])];
    uint64_t v = gen_rand(g);
    if (chance(g, 2))
        v = (v & 0x800fffffffffffffull) | (uint64_t)(1023 - 60 + rnd(g, 120)) << 52;
    return v;
}

static void rand_vec16(GenCtx *g, uint8_t *x)
{
    switch (rnd(g, 4)) {
    case 0:
        for (int i = 0; i < 4; i++) put32(x + 4 * i, rand_f32(g));
        break;
    case 1:
        for (int i = 0; i < 2; i++) put64(x + 8 * i, rand_f64(g));
        break;
    case 2:
        for (int i = 0; i < 2; i++) put64(x + 8 * i, rand_val(g));
        break;
    default:
        for (int i = 0; i < 2; i++) put64(x + 8 * i, gen_rand(g));
        break;
    }
}

static void gen_fx(GenCtx *g, uint8_t *fx, bool x87, bool sse)
{
    memset(fx, 0, 512);
    uint16_t fcw = 0x037f, fsw = 0;
    uint8_t ftw = 0;
    if (x87) {
        if (chance(g, 4)) fcw = (uint16_t)((fcw & ~0x0c00) | rnd(g, 4) << 10);
        if (chance(g, 4)) { static const uint16_t pc[] = { 0, 2, 3 }; fcw = (uint16_t)((fcw & ~0x0300) | pc[rnd(g, 3)] << 8); }
        if (chance(g, 8)) fcw = (uint16_t)(fcw & ~(rnd(g, 64)));
        unsigned top = rnd(g, 8), depth = rnd(g, 9);
        for (unsigned i = 0; i < depth; i++)
            ftw |= (uint8_t)(1u << ((top + i) & 7));
        if (chance(g, 8)) ftw = (uint8_t)rnd(g, 256);
        fsw = (uint16_t)(top << 11 | (gen_rand(g) & 0x4700));
        if (chance(g, 8)) fsw |= (uint16_t)(rnd(g, 64) & fcw & 0x3f);  /* masked sticky flags */
        if (chance(g, 32)) fsw |= (uint16_t)rnd(g, 64);
        if (fsw & ~fcw & 0x3f) fsw |= 0x8080;  /* ES and B follow an unmasked pending flag */
        for (int i = 0; i < 8; i++) rand_f80(g, fx + FX_ST + 16 * i);
    }
    put16(fx + FX_FCW, fcw);
    put16(fx + FX_FSW, fsw);
    fx[FX_FTW] = ftw;
    uint32_t mxcsr = 0x1f80;
    if (sse) {
        if (chance(g, 2)) mxcsr = (mxcsr & ~0x6000u) | rnd(g, 4) << 13;
        if (chance(g, 4)) mxcsr |= 0x8000;  /* FTZ */
        if (chance(g, 4)) mxcsr |= 0x0040;  /* DAZ */
        if (chance(g, 8)) mxcsr &= ~((uint32_t)rnd(g, 64) << 7);
        if (chance(g, 4)) mxcsr |= rnd(g, 64);
    }
    put32(fx + FX_MXCSR, mxcsr);
    for (int i = 0; i < 16; i++)
        rand_vec16(g, fx + FX_XMM + 16 * i);
}

/* ---- encoding ---- */

typedef struct Enc {
    uint8_t b[32];
    int n;
} Enc;

static void emit(Enc *e, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        e->b[e->n++] = (uint8_t)(v >> (8 * i));
}

static uint32_t window_target(GenCtx *g, uint32_t base)
{
    uint32_t t = base + 0x1000 + rnd(g, 0x2000);
    switch (rnd(g, 4)) {
    case 0: case 1: return t & ~15u;
    case 2: return t & ~7u;
    default: return t;
    }
}

/* Landing address for a branch: in the code page (INT3 filler), never
 * inside the instruction itself (it would re-execute or run a fragment). */
static uint64_t landing(GenCtx *g, unsigned len)
{
    for (;;) {
        uint64_t t = CODE_PAGE + rnd(g, CODE_SIZE);
        if (t < CODE_INSN || t >= CODE_INSN + len)
            return t;
    }
}

/* A branch target off the code page that cannot run anything: a random
 * target could land in the runner's own code (in 32-bit processes libc is
 * at 0xf7xxxxxx).  Non-canonical (#GP at the branch), the no-execute data
 * window, unmapped low memory, or kernel space: all stop at the target. */
static uint64_t wild_target(GenCtx *g)
{
    switch (rnd(g, g->mode == CODE64 ? 4 : 2)) {
    case 0: return WIN_HI + rnd(g, WIN_SIZE);
    case 1: return rnd(g, 0x7000);
    case 2: return 0xffff800000000000ull + (gen_rand(g) & 0x7fffffffffffull);
    default:  /* bit 47 set, bit 63 clear: never canonical */
        return (gen_rand(g) & 0x7fffffffffffffffull) | 0x0000800000000000ull;
    }
}

static unsigned pick_gpr(GenCtx *g, unsigned nregs, bool avoid_sp)
{
    for (;;) {
        unsigned r = rnd(g, nregs);
        if (!(avoid_sp && r == R_SP))
            return r;
    }
}

static uint64_t stack_ptr(GenCtx *g)
{
    uint64_t sp = WIN_HI + 0x2000 - 0x400 + rnd(g, 0x800);
    return chance(g, 8) ? sp : sp & ~7ull;
}

/* A pointer register for an implicit operand at address size asz. */
static uint64_t implicit_ptr(GenCtx *g, unsigned asz)
{
    if (asz == 2)
        return (gen_rand(g) & ~0xffffull) | (WIN_LO + 0x1000 + rnd(g, 0x2000));
    uint64_t p = WIN_HI + 0x1000 + rnd(g, 0x2000);
    if (asz == 4 && chance(g, 2))
        p |= gen_rand(g) << 32;  /* ignored upper half in 64-bit mode */
    return p;
}

typedef struct Plan {
    bool p66, p67, lock, rexw, rex_forced;
    int rep;            /* 0, 0xf2, 0xf3 */
    int seg;            /* override byte or 0 */
    bool mem;
    unsigned reg, rm;   /* ModRM.reg / rm (register number, 0..15) or opreg */
    unsigned asz;
} Plan;

static bool legit_more_specific(const FormInfo *want, const FormInfo *got)
{
    if (want->map != got->map)
        return false;
    unsigned wlo = want->opc, whi = want->opc + (want->modrm == M_OPREG ? 7 : 0);
    unsigned glo = got->opc, ghi = got->opc + (got->modrm == M_OPREG ? 7 : 0);
    if (ghi < wlo || glo > whi)
        return false;
    return (got->pfx != P_ANY && want->pfx == P_ANY) ||
           (got->ext != RZ_EXT_ANY && want->ext == RZ_EXT_ANY) ||
           (got->rmx != RZ_EXT_ANY && want->rmx == RZ_EXT_ANY) ||
           ((got->modrm == M_REG || got->modrm == M_MEM) && want->modrm == M_ANY) ||
           (got->modrm == M_NONE && want->modrm == M_OPREG);
}

static int build_once(GenCtx *g, int form, const Shape *sh, GenCase *gc)
{
    const FormInfo *fi = &form_info[form];
    const bool m64 = g->mode == CODE64;
    DiffCase *c = &gc->c;
    DiffState *s = &c->in;
    Plan pl;
    memset(&pl, 0, sizeof pl);

    /* Prefix choices */
    bool vsize = fi->osz == OS_V || fi->osz == OS_D64 || fi->osz == OS_BR;
    bool branch = (fi->attrs & A_BRANCH) != 0;
    /* 66 on 64-bit near branches too: the model matches the host, which
     * gives a 16-bit operand (AMD) or ignores it (Intel). */
    if (vsize && (fi->pfx == P_ANY || fi->pfx == P_F3 || fi->pfx == P_F2) && chance(g, 4))
        pl.p66 = true;
    if (fi->osz == OS_B && fi->pfx == P_ANY && chance(g, 16))
        pl.p66 = true;
    /* x87 and other fixed-size forms: 66 is ignored, except by FNSTENV/
     * FLDENV/FNSAVE/FRSTOR, which then use the 16-bit image layout. */
    if (fi->osz == OS_X && fi->pfx == P_ANY && chance(g, 4))
        pl.p66 = true;
    if (m64 && (fi->osz == OS_V || fi->osz == OS_Y || fi->osz == OS_D64 || fi->osz == OS_BR) && chance(g, 2))
        pl.rexw = true;
    if (m64 && fi->osz == OS_X && chance(g, (fi->attrs & A_REXW_SENS) ? 2 : 8))
        pl.rexw = true;
    if (m64 && (fi->attrs & A_REXW_SENS) && fi->osz != OS_X && chance(g, 2))
        pl.rexw = true;

    bool has_modrm = fi->modrm == M_ANY || fi->modrm == M_REG || fi->modrm == M_MEM;
    pl.mem = fi->modrm == M_MEM || (fi->modrm == M_ANY && chance(g, 2));
    bool uses_mem = pl.mem || fi->imm == I_O;
    bool implicit_addr = sh->string || sh->xlat;
    if (uses_mem || implicit_addr || chance(g, 16)) {
        if (m64) pl.p67 = chance(g, 8);
        else pl.p67 = chance(g, 8) && (g->have_low || !(uses_mem || implicit_addr));
    }
    pl.asz = m64 ? (pl.p67 ? 4 : 8) : (pl.p67 ? 2 : 4);
    if ((uses_mem || implicit_addr) && chance(g, 16)) {
        static const uint8_t seg64[] = { 0x26, 0x2e, 0x36, 0x3e, 0x65 };
        static const uint8_t seg32[] = { 0x26, 0x2e, 0x36, 0x3e };
        pl.seg = m64 ? seg64[rnd(g, 5)] : seg32[rnd(g, 4)];
    }
    if ((fi->attrs & A_LOCK) && pl.mem && chance(g, 8))
        pl.lock = true;
    else if (chance(g, 64))
        pl.lock = true;  /* not lockable, or a register destination: #UD */
    if (sh->string && fi->pfx == P_ANY) {
        unsigned k = rnd(g, 6);
        pl.rep = k < 2 ? 0xf3 : (k == 2 && sh->rep_ne) ? 0xf2 : 0;
    } else if (fi->pfx == P_ANY && !(fi->map == MAP_0F && fi->opc == 0xae) && chance(g, 32)) {
        /* Ignored by forms without a REP meaning.  Not on 0F AE: with mod 3
         * F3 turns the fences into CET/WAITPKG instructions on hosts that
         * have them. */
        pl.rep = chance(g, 2) ? 0xf3 : 0xf2;
    }

    /* Registers named by ModRM / opcode */
    unsigned nregs = m64 ? 16 : 8;
    bool rex_bytes = m64 && chance(g, 3);  /* byte regs as SPL..DIL / R8B.. */
    if (fi->modrm == M_OPREG) {
        bool byte = sh->rm_byte || fi->osz == OS_B;
        /* without REX, byte register 4 is AH, not SPL */
        pl.rm = byte && !rex_bytes ? rnd(g, 8) : pick_gpr(g, nregs, !sh->stack_ok);
    }
    if (has_modrm) {
        if (fi->ext != RZ_EXT_ANY) {
            pl.reg = fi->ext;
        } else if (sh->reg_gpr) {
            bool byte_nrex = sh->reg_byte && !rex_bytes;
            pl.reg = byte_nrex ? rnd(g, 8) : pick_gpr(g, nregs, !sh->stack_ok);
        } else {
            pl.reg = rnd(g, nregs);
        }
        if (!pl.mem) {
            if (fi->rmx != RZ_EXT_ANY) {
                pl.rm = fi->rmx;
            } else if (sh->rm_gpr) {
                bool byte_nrex = sh->rm_byte && !rex_bytes;
                pl.rm = byte_nrex ? rnd(g, 8) : pick_gpr(g, nregs, !sh->stack_ok);
            } else {
                pl.rm = rnd(g, nregs);
            }
        }
    }

    /* Initial state */
    for (int i = 0; i < 16; i++)
        s->gpr[i] = m64 || i < 8 ? rand_val(g) : 0;
    if (chance(g, 2))
        s->gpr[R_CX] = counts[rnd(g, sizeof counts)] | (chance(g, 2) ? 0 : gen_rand(g) << 8);
    s->gpr[R_SP] = stack_ptr(g);
    s->rflags = 0x202 | (gen_rand(g) & 0x8d5) | (chance(g, 8) ? 0x400 : 0);
    gen_fx(g, s->fx, (fi->attrs & (A_FPU | A_MMX)) != 0, (fi->attrs & A_SSE) != 0);
    c->seed = gen_rand(g);

    if (sh->string) {
        s->gpr[R_SI] = implicit_ptr(g, pl.asz);
        s->gpr[R_DI] = implicit_ptr(g, pl.asz);
        if (pl.rep) {
            s->gpr[R_CX] = rnd(g, chance(g, 4) ? 64 : 9);
            if (pl.asz < 8 && chance(g, 4))  /* bits above the address size are ignored */
                s->gpr[R_CX] |= gen_rand(g) << (8 * pl.asz);
        }
    }
    if (sh->rdi_ptr)
        s->gpr[R_DI] = implicit_ptr(g, pl.asz);
    if (sh->xlat)
        s->gpr[R_BX] = implicit_ptr(g, pl.asz) - (uint64_t)rnd(g, 256);
    if (sh->frame)
        s->gpr[R_BP] = stack_ptr(g) + 0x100;
    if (sh->div && chance(g, 2)) {
        s->gpr[R_DX] = chance(g, 2) ? 0 : ~0ull;
        s->gpr[R_AX] &= chance(g, 2) ? ~0xff00ull : ~0ull;
    }

    /* Assemble */
    Enc e = { .n = 0 };
    uint8_t legacy[6];
    int nl = 0;
    if (pl.p66 && fi->pfx == P_ANY) legacy[nl++] = 0x66;
    if (pl.p67) legacy[nl++] = 0x67;
    if (pl.lock) legacy[nl++] = 0xf0;
    if (pl.seg) legacy[nl++] = (uint8_t)pl.seg;
    if (pl.rep) legacy[nl++] = (uint8_t)pl.rep;
    for (int i = nl - 1; i > 0; i--) {  /* any order */
        int j = (int)rnd(g, (unsigned)i + 1);
        uint8_t t = legacy[i]; legacy[i] = legacy[j]; legacy[j] = t;
    }
    for (int i = 0; i < nl; i++) emit(&e, legacy[i], 1);
    if (pl.p66 && fi->pfx != P_ANY) emit(&e, 0x66, 1);
    if (fi->pfx == P_66) emit(&e, 0x66, 1);
    if (fi->pfx == P_F3) emit(&e, 0xf3, 1);
    if (fi->pfx == P_F2) emit(&e, 0xf2, 1);

    /* Memory operand: choose the address, then solve for the registers. */
    unsigned mod = 3, base = REG_NONE, index = REG_NONE, scale = 0, sib_base_field = 0;
    int disp_bytes = 0;
    bool sib = false, riprel = false;
    uint64_t disp = 0;
    uint32_t target = 0;
    unsigned rmfield = pl.rm & 7;
    if (pl.mem) {
        target = window_target(g, pl.asz == 2 ? WIN_LO : WIN_HI);
        if (pl.asz == 2) {
            unsigned rm16 = rnd(g, 8);
            mod = rnd(g, 3);
            uint32_t keep16 = (sh->bit_offset ? 1u << pl.reg : 0) | (sh->rdi_ptr ? 1u << R_DI : 0);
            static const uint8_t uses16[8] = { 0x48, 0x88, 0x60, 0xa0, 0x40, 0x80, 0x20, 0x08 };
            if (keep16 & uses16[rm16]) { rm16 = 6; mod = 0; }
            if (mod == 0 && rm16 == 6) disp_bytes = 2;
            else disp_bytes = mod == 1 ? 1 : mod == 2 ? 2 : 0;
            disp = disp_bytes == 1 ? (uint64_t)(int8_t)gen_rand(g) : disp_bytes == 2 ? (gen_rand(g) & 0xffff) : 0;
            if (mod == 0 && rm16 == 6) disp = target & 0xffff;
            static const uint8_t b16[8] = { R_BX, R_BX, R_BP, R_BP, R_SI, R_DI, R_BP, R_BX };
            static const uint8_t i16[8] = { R_SI, R_DI, R_SI, R_DI, 0xff, 0xff, 0xff, 0xff };
            if (!(mod == 0 && rm16 == 6)) {
                uint64_t iv = 0;
                if (i16[rm16] != 0xff) {
                    iv = rand_val(g);
                    s->gpr[i16[rm16]] = iv;
                }
                uint64_t bv = (target - disp - iv) & 0xffff;
                s->gpr[b16[rm16]] = (gen_rand(g) & ~0xffffull) | bv;
            }
            rmfield = rm16;
        } else {
            unsigned kind = rnd(g, m64 ? 6 : 5);
                /* registers whose value means something else than an address */
            uint32_t keep = sh->bit_offset ? 1u << pl.reg : 0;
            if (sh->rdi_ptr) keep |= 1u << R_DI;
            if (kind == 4) {  /* absolute disp32 */
                mod = 0;
                disp_bytes = 4;
                disp = target;
                if (m64) { sib = true; sib_base_field = 5; rmfield = 4; }
                else rmfield = 5;
            } else if (kind == 5) {  /* RIP-relative */
                mod = 0;
                disp_bytes = 4;
                riprel = true;
                rmfield = 5;
            } else {
                do base = pick_gpr(g, nregs, false); while (keep >> base & 1);
                if (kind == 3 || (base & 7) == 4) sib = true;
                if (kind == 3) {
                    do index = rnd(g, nregs); while (index == R_SP || index == base || (keep >> index & 1));
                    scale = rnd(g, 4);
                }
                unsigned dk = rnd(g, 3);
                if (dk == 0 && (base & 7) == 5) dk = 1;
                mod = dk;
                disp_bytes = dk == 1 ? 1 : dk == 2 ? 4 : 0;
                disp = disp_bytes == 1 ? (uint64_t)(int8_t)gen_rand(g) :
                       disp_bytes == 4 ? (uint64_t)(int32_t)(gen_rand(g) >> (rnd(g, 2) ? 32 : 44)) : 0;
                if (base == R_SP && disp_bytes == 4)  /* rSP stays a usable stack pointer */
                    disp = (uint64_t)(int64_t)((int)rnd(g, 256) - 128);
                uint64_t iv = 0;
                if (index != REG_NONE) {
                    iv = base == R_SP ? rnd(g, 64) : rand_val(g);
                    s->gpr[index] = iv;
                }
                uint64_t bv = (uint64_t)target - disp - (iv << scale);
                if (pl.asz == 4)  /* upper half ignored; rSP keeps a real stack pointer's */
                    bv = (uint32_t)bv | (m64 && base != R_SP ? gen_rand(g) << 32 : 0);
                s->gpr[base] = bv;
                rmfield = sib ? 4 : (base & 7);
                sib_base_field = base & 7;
            }
        }
    }

    /* REX */
    unsigned rex = 0;
    if (m64) {
        if (pl.rexw) rex |= 8;
        if (has_modrm && pl.reg >= 8 && fi->ext == RZ_EXT_ANY) rex |= 4;
        if (index != REG_NONE && index >= 8) rex |= 2;
        if (pl.mem && base != REG_NONE && base >= 8) rex |= 1;
        if (!pl.mem && (has_modrm || fi->modrm == M_OPREG) && pl.rm >= 8 && fi->rmx == RZ_EXT_ANY) rex |= 1;
        if (rex || rex_bytes || chance(g, 16)) emit(&e, 0x40 | rex, 1);
    }
    if (fi->map != MAP_1B) emit(&e, 0x0f, 1);
    if (fi->map == MAP_0F38) emit(&e, 0x38, 1);
    if (fi->map == MAP_0F3A) emit(&e, 0x3a, 1);
    emit(&e, fi->opc + (fi->modrm == M_OPREG ? (pl.rm & 7) : 0), 1);
    int disp_pos = -1;
    if (has_modrm) {
        emit(&e, (mod << 6) | ((pl.reg & 7) << 3) | rmfield, 1);
        if (sib) {
            unsigned idxf = index == REG_NONE ? 4 : (index & 7);
            emit(&e, (scale << 6) | (idxf << 3) | sib_base_field, 1);
        }
        disp_pos = e.n;
        emit(&e, disp, disp_bytes);
    }

    /* Immediate */
    unsigned osz_guess = fi->osz == OS_B ? 1 : fi->osz == OS_W ? 2 : fi->osz == OS_D ? 4 :
                         fi->osz == OS_Q ? 8 : 0;
    if (!osz_guess) {  /* the decoder's rule, needed for immediate lengths */
        bool osz16 = pl.p66 && fi->pfx != P_66;
        unsigned v = pl.rexw ? 8 : osz16 ? 2 : 4;
        bool o16_64 = fi->osz == OS_D64 || (fi->osz == OS_BR && g->q->branch_o16);
        osz_guess = fi->osz == OS_D64 || fi->osz == OS_BR ?
                    (m64 ? (pl.rexw || !osz16 || !o16_64 ? 8 : 2) : v) : v;
    }
    int imm_pos = e.n;
    switch (fi->imm) {
    case I_B: case I_BS: emit(&e, chance(g, 3) ? counts[rnd(g, sizeof counts)] : rand_val(g), 1); break;
    case I_W: emit(&e, rand_val(g), 2); break;
    case I_Z: emit(&e, rand_val(g), osz_guess == 2 ? 2 : 4); break;
    case I_V: emit(&e, rand_val(g), (int)osz_guess); break;
    case I_JB: emit(&e, 0, 1); break;
    case I_JZ: emit(&e, 0, osz_guess == 2 ? 2 : 4); break;
    case I_AP: emit(&e, rand_val(g), osz_guess == 2 ? 2 : 4); emit(&e, rand_val(g), 2); break;
    case I_O: {
        target = window_target(g, pl.asz == 2 ? WIN_LO : WIN_HI);
        emit(&e, target, (int)pl.asz);
        break;
    }
    case I_WB:  /* ENTER: keep the frame inside the window */
        emit(&e, chance(g, 2) ? rnd(g, 64) : rnd(g, 0x800), 2);
        emit(&e, chance(g, 2) ? rnd(g, 4) : rand_val(g), 1);
        break;
    default: break;
    }
    if (e.n > 15)
        return -1;  /* too many prefixes for this form: try again */

    /* Fix-ups that need the final length */
    unsigned len = (unsigned)e.n;
    uint64_t next = CODE_INSN + len;
    if (riprel) {
        uint64_t d = (uint64_t)target - next;
        for (int i = 0; i < 4; i++) e.b[disp_pos + i] = (uint8_t)(d >> (8 * i));
    }
    if (fi->imm == I_JB || fi->imm == I_JZ) {
        int w = fi->imm == I_JB ? 1 : osz_guess == 2 ? 2 : 4;
        uint64_t d;
        do {
            if (w == 1 || chance(g, 2)) d = landing(g, len) - next;
            else d = wild_target(g) - next;
            if (w == 1) d = (uint64_t)(int8_t)d;
            else if (w == 2) d = (uint64_t)(int16_t)d;
            else d = (uint64_t)(int32_t)d;
        } while (next + d >= CODE_INSN && next + d < next);
        for (int i = 0; i < w; i++) e.b[imm_pos + i] = (uint8_t)(d >> (8 * i));
    }

    /* Memory contents at the operand: edge values, floats, branch targets */
    unsigned np = 0;
    if (pl.mem || fi->imm == I_O) {
        DiffPatch *p = &c->patch[np++];
        p->addr = target;
        p->len = 16;
        if (chance(g, 2)) rand_vec16(g, p->bytes);
        else { put64(p->bytes, rand_val(g)); put64(p->bytes + 8, rand_val(g)); }
        if (sh->indirect_branch) put64(p->bytes, chance(g, 8) ? wild_target(g) : landing(g, len));
        if (sh->mxcsr_at >= 0 && !chance(g, 8)) {
            uint32_t mx = (uint32_t)gen_rand(g) & (chance(g, 4) ? 0x2ffffu : 0xffffu);
            if (sh->mxcsr_at < 16) {
                put32(p->bytes + sh->mxcsr_at, mx);
            } else {  /* FDP, MXCSR and MXCSR_MASK of an FXRSTOR image */
                DiffPatch *q = &c->patch[np++];
                q->addr = target + 16;
                q->len = 16;
                put64(q->bytes, rand_val(g));
                put32(q->bytes + sh->mxcsr_at - 16, mx);
                put32(q->bytes + sh->mxcsr_at - 12, (uint32_t)rand_val(g));
            }
        }
    }
    if (sh->indirect_branch && !pl.mem)
        s->gpr[pl.rm] = chance(g, 8) ? wild_target(g) : landing(g, len);
    if (branch || sh->stack_ok || chance(g, 4)) {
        /* the stack top: a return address or a value to pop */
        DiffPatch *p = &c->patch[np++];
        p->addr = (uint32_t)s->gpr[R_SP];
        p->len = 16;
        put64(p->bytes, !branch ? rand_val(g) : chance(g, 8) ? wild_target(g) : landing(g, len));
        put64(p->bytes + 8, rand_val(g));
        if (!m64 && branch) put32(p->bytes + 4, (uint32_t)rand_val(g));
    }
    uint32_t addr_regs = (base != REG_NONE ? 1u << base : 0) | (index != REG_NONE ? 1u << index : 0);
    if (pl.mem && pl.asz == 2) addr_regs = 0xe8;  /* BX BP SI DI */
    if (sh->bit_offset && pl.mem)
        s->gpr[pl.reg] = (uint64_t)((int64_t)rnd(g, 0x8000) - 0x4000);
    if (sh->cmpxchg && !(addr_regs & 1) && chance(g, 2)) {
        uint64_t cur = 0;
        if (pl.mem) memcpy(&cur, c->patch[0].bytes, 8);
        else cur = s->gpr[pl.rm];
        s->gpr[R_AX] = cur;
    }
    if (sh->cmpxchg8b && !(addr_regs & 5) && chance(g, 2)) {
        uint64_t lo, hi;
        memcpy(&lo, c->patch[0].bytes, 8);
        memcpy(&hi, c->patch[0].bytes + 8, 8);
        if (pl.rexw) { s->gpr[R_AX] = lo; s->gpr[R_DX] = hi; }
        else { s->gpr[R_AX] = (uint32_t)lo; s->gpr[R_DX] = lo >> 32; }
    }
    c->npatch = (uint8_t)np;

    c->magic = DIFF_MAGIC;
    c->insn_len = (uint8_t)len;
    memset(c->insn, 0, sizeof c->insn);
    memcpy(c->insn, e.b, len);
    if (!m64)
        for (int i = 0; i < 16; i++) s->gpr[i] = i < 8 ? (uint32_t)s->gpr[i] : 0;
    return 0;
}

int gen_case(GenCtx *g, int form, uint32_t id, GenCase *out, char *why, size_t whylen)
{
    if (!gen_form_in_scope(form, g->mode))
        return GEN_SKIP;
    Shape sh;
    shape_of(form, &sh);
    for (int attempt = 0; attempt < 64; attempt++) {
        memset(out, 0, sizeof *out);
        if (build_once(g, form, &sh, out))
            continue;
        out->form = form;
        out->c.id = id;
        uint8_t buf[16];
        memset(buf, FILL_BYTE, sizeof buf);
        memcpy(buf, out->c.insn, out->c.insn_len);
        int r = decode(buf, 15, g->mode, g->q, &out->in);
        if (r == out->c.insn_len && out->in.form == form)
            return GEN_OK;
        if (r == DEC_UD && (out->in.flags & IF_LOCK) && out->in.form == form &&
            out->in.len == out->c.insn_len)
            return GEN_OK;  /* a LOCK this form does not allow: both sides must #UD */
        if (r == DEC_UD && (form_info[form].attrs & A_RESNOP) && !g->q->prefetch_reg_nop &&
            out->in.form == form && out->in.len == out->c.insn_len)
            return GEN_OK;  /* a reserved NOP this model rejects: both sides must #UD */
        if ((r > 0 || (r == DEC_UD && (out->in.flags & IF_LOCK))) &&
            legit_more_specific(&form_info[form], &form_info[out->in.form]))
            continue;  /* this encoding belongs to a more specific form */
        char hex[48] = "";
        for (int i = 0; i < out->c.insn_len; i++)
            snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "%02x ", out->c.insn[i]);
        if (r < 0)
            snprintf(why, whylen, "decode(%s) failed (%d), expected %s", hex, r, form_info[form].name);
        else
            snprintf(why, whylen, "decode(%s) gave %s len %d, expected %s len %d", hex,
                     form_info[out->in.form].name, r, form_info[form].name, out->c.insn_len);
        return GEN_MISMATCH;
    }
    snprintf(why, whylen, "no encoding for %s found in 64 attempts", form_info[form].name);
    return GEN_MISMATCH;
}

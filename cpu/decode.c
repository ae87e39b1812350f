/* decode.c — x86 decoder for 16-, 32- and 64-bit code.
 *
 * Dispatch is derived from cpu/opcodes.def at first use: every form is
 * chained under its (map, opcode); the decoder reads prefixes and the opcode,
 * then picks the most specific form matching the mandatory prefix, ModRM.reg,
 * ModRM.mod and ModRM.rm.  Nothing here knows individual instructions.
 */
#include <pthread.h>
#include <string.h>

#include "insn.h"
#include "model.h"
#include "simd_ops.h"

const FormInfo form_info[FORM_COUNT] = {
#define FORM(name, map, opc, pfx, ext, rmx, modrm, osz, imm, attrs, ops, fl, handler) \
    { #name, map, opc, pfx, ext, rmx, modrm, osz, imm, attrs, ops, fl },
#include "opcodes.def"
#undef FORM
};

static uint16_t head[MAP_COUNT][256];  /* first form + 1, 0 = none */
static uint16_t chain[FORM_COUNT];     /* next form + 1 */
static pthread_once_t dispatch_once = PTHREAD_ONCE_INIT;

static void link_form(unsigned map, unsigned opc, unsigned f)
{
    /* Appended at the tail so table order breaks ties between equals. */
    uint16_t *p = &head[map][opc];
    while (*p)
        p = &chain[*p - 1];
    *p = (uint16_t)(f + 1);
}

static void build_dispatch(void)
{
    for (unsigned f = 0; f < FORM_COUNT; f++) {
        const FormInfo *fi = &form_info[f];
        if (fi->modrm == M_OPREG)
            for (unsigned r = 0; r < 8; r++)
                link_form(fi->map, fi->opc + r, f);
        else
            link_form(fi->map, fi->opc, f);
    }
}

typedef struct Cursor {
    const uint8_t *buf;
    int avail, pos;
    bool shortfall;
    bool too_long;   /* the first byte we could not take was the 16th */
} Cursor;

/* Bytes past the 15th are never fetched: the CPU raises #GP as soon as an
 * instruction needs a 16th byte, even when the next page is not mapped
 * (checked on the host with tests/decode/probe).  A shortfall before that
 * is a fetch fault, reported as DEC_SHORT. */
static uint64_t take(Cursor *c, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (c->pos >= c->avail || c->pos >= 15) {
            if (!c->shortfall)
                c->too_long = c->pos >= 15;
            c->shortfall = true;
            c->pos++;
            continue;
        }
        v |= (uint64_t)c->buf[c->pos++] << (8 * i);
    }
    return v;
}

static int form_score(const FormInfo *fi, int mp, int code_mode, bool have_modrm,
                      unsigned mod, unsigned reg, unsigned rm)
{
    if ((fi->attrs & A_I64) && code_mode == CODE64) return -1;
    if ((fi->attrs & A_O64) && code_mode != CODE64) return -1;
    int score = 0;
    if (fi->pfx != P_ANY) {
        if (fi->pfx != mp) return -1;
        score += 8;
    }
    if (!have_modrm)
        return score;
    if (fi->modrm == M_REG && mod != 3) return -1;
    if (fi->modrm == M_MEM && mod == 3) return -1;
    if (fi->modrm == M_REG || fi->modrm == M_MEM) score += 1;
    if (fi->ext != RZ_EXT_ANY) {
        if (fi->ext != reg) return -1;
        score += 2;
    }
    if (fi->rmx != RZ_EXT_ANY) {
        if ((mod != 3 && fi->modrm != M_REGX) || fi->rmx != rm) return -1;
        score += 4;
    }
    return score;
}

static uint8_t byte_reg(unsigned r, bool rex)
{
    return (uint8_t)((!rex && r >= 4 && r < 8) ? r + 12 : r);  /* 16..19 = AH..BH */
}

static const uint8_t base16[8] = { R_BX, R_BX, R_BP, R_BP, R_SI, R_DI, R_BP, R_BX };
static const uint8_t index16[8] = { R_SI, R_DI, R_SI, R_DI, REG_NONE, REG_NONE, REG_NONE, REG_NONE };

static void decode_modrm_mem(Cursor *c, Insn *in, unsigned mod, unsigned rm,
                             unsigned rex, int code_mode)
{
    in->flags |= IF_MEM;
    in->base = in->index = REG_NONE;
    in->scale = 0;
    in->disp = 0;
    bool bp_based = false;
    if (in->asz == 2) {
        if (mod == 0 && rm == 6) {
            in->disp = (int16_t)take(c, 2);
        } else {
            in->base = base16[rm];
            in->index = index16[rm];
            bp_based = in->base == R_BP;
            if (mod == 1) in->disp = (int8_t)take(c, 1);
            else if (mod == 2) in->disp = (int16_t)take(c, 2);
        }
    } else {
        unsigned base = rm;
        if (rm == 4) {
            unsigned sib = (unsigned)take(c, 1);
            unsigned idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
            in->scale = (uint8_t)(sib >> 6);
            in->index = idx == 4 ? REG_NONE : (uint8_t)idx;
            base = sib & 7;
            if (base == 5 && mod == 0) {
                in->disp = (int32_t)take(c, 4);
                base = REG_NONE;
            }
        } else if (rm == 5 && mod == 0) {
            in->disp = (int32_t)take(c, 4);
            if (code_mode == CODE64)
                in->flags |= IF_RIPREL;
            base = REG_NONE;
        }
        if (base != REG_NONE) {
            /* rSP/rBP bases default to SS; R12/R13 (REX.B) do not. */
            in->base = (uint8_t)(base | ((rex & 1) << 3));
            bp_based = in->base == R_SP || in->base == R_BP;
        }
        if (mod == 1) in->disp = (int8_t)take(c, 1);
        else if (mod == 2) in->disp = (int32_t)take(c, 4);
    }
    if (!(in->flags & IF_SEGOVR))
        in->seg = bp_based ? S_SS : S_DS;
}

int decode(const uint8_t *buf, int avail, int code_mode, const Quirks *q, Insn *in)
{
    pthread_once(&dispatch_once, build_dispatch);
    Cursor c = { buf, avail, 0, false, false };
    memset(in, 0, sizeof *in);
    in->code_mode = (uint8_t)code_mode;
    in->seg = S_DS;
    in->base = in->index = REG_NONE;

    bool p66 = false, p67 = false;
    int last_rep = 0;  /* 0xF2, 0xF3 or 0 */
    unsigned rex = 0;
    unsigned b;
    for (;;) {
        b = (unsigned)take(&c, 1);
        if (c.shortfall)
            goto short_or_long;
        if (b == 0x66) p66 = true;
        else if (b == 0x67) p67 = true;
        else if (b == 0xf0) in->flags |= IF_LOCK;
        else if (b == 0xf2 || b == 0xf3) last_rep = (int)b;
        else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e) {
            /* In 64-bit mode ES/CS/SS/DS overrides are ignored. */
            if (code_mode != CODE64) {
                in->seg = (uint8_t)((b >> 3) & 3);
                in->flags |= IF_SEGOVR;
            }
        } else if (b == 0x64 || b == 0x65) {
            in->seg = (uint8_t)(b - 0x64 + S_FS);
            in->flags |= IF_SEGOVR;
        } else if (code_mode == CODE64 && (b & 0xf0) == 0x40) {
            rex = b & 0xf;
            in->flags |= IF_REX;
            b = (unsigned)take(&c, 1);
            if (c.shortfall)
                goto short_or_long;
            /* A REX followed by another prefix is ignored. */
            if (b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 ||
                b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 ||
                (b & 0xf0) == 0x40) {
                rex = 0;
                in->flags &= (uint8_t)~IF_REX;
                c.pos--;
                continue;
            }
            break;
        } else
            break;
    }
    if (rex & 8)
        in->flags |= IF_REXW;

    unsigned map = MAP_1B;
    if (b == 0x0f) {
        b = (unsigned)take(&c, 1);
        map = MAP_0F;
        if (b == 0x38 || b == 0x3a) {
            map = b == 0x38 ? MAP_0F38 : MAP_0F3A;
            b = (unsigned)take(&c, 1);
        }
        if (c.shortfall)
            goto short_or_long;
    }
    in->opc = (uint8_t)b;

    /* Mandatory-prefix candidate: the last F2/F3 wins over 66. */
    int mp = last_rep == 0xf3 ? P_F3 : last_rep == 0xf2 ? P_F2 : p66 ? P_66 : P_NP;

    bool have_modrm = false;
    for (uint16_t f = head[map][b]; f; f = chain[f - 1]) {
        const FormInfo *fi = &form_info[f - 1];
        if (form_score(fi, mp, code_mode, false, 0, 0, 0) >= 0 &&
            (fi->modrm == M_ANY || fi->modrm == M_REG || fi->modrm == M_MEM || fi->modrm == M_REGX))
            have_modrm = true;
    }
    unsigned modrm = 0, mod = 0, reg = 0, rm = 0;
    if (have_modrm) {
        modrm = (unsigned)take(&c, 1);
        if (c.shortfall)
            goto short_or_long;
        mod = modrm >> 6;
        reg = (modrm >> 3) & 7;
        rm = modrm & 7;
    }
    /* With F2/F3 present, 66 is never the mandatory prefix: 66 F3 0F 60
     * is #UD on hardware, not PUNPCKLBW xmm; 66 F3 0F B8 is POPCNT r16
     * because the F3 form takes 66 as its operand size. */
    int best = -1, best_score = -1;
    for (uint16_t f = head[map][b]; f; f = chain[f - 1]) {
        int s = form_score(&form_info[f - 1], mp, code_mode, have_modrm, mod, reg, rm);
        if (s > best_score) {
            best_score = s;
            best = f - 1;
        }
    }
    in->len = (uint8_t)c.pos;
    if (best < 0)
        return DEC_UD;
    const FormInfo *fi = &form_info[best];
    in->form = (uint16_t)best;
    /* A model-dependent reserved NOP: out->form says which, for callers
     * that check what was rejected */
    if ((fi->attrs & A_RESNOP) && !q->prefetch_reg_nop)
        return DEC_UD;
    in->modrm = (uint8_t)modrm;
    if (fi->modrm == M_REGX)
        mod = 3;

    /* Sizes.  A 66 consumed as mandatory prefix does not change osz. */
    bool osz16 = p66 && fi->pfx != P_66;
    bool w = (rex & 8) != 0;
    unsigned vsize = w ? 8 : (code_mode == CODE16) != osz16 ? 2 : 4;
    switch (fi->osz) {
    case OS_B: in->osz = 1; break;
    case OS_W: in->osz = 2; break;
    case OS_D: in->osz = 4; break;
    case OS_Q: in->osz = 8; break;
    case OS_D64: in->osz = (uint8_t)(code_mode == CODE64 ? (w || !osz16 ? 8 : 2) : vsize); break;
    case OS_BR: in->osz = (uint8_t)(code_mode == CODE64 ? (w || !osz16 || !q->branch_o16 ? 8 : 2) : vsize); break;
    case OS_Y: in->osz = (uint8_t)(code_mode == CODE64 && w ? 8 : 4); break;
    default: in->osz = (uint8_t)vsize; break;
    }
    in->asz = (uint8_t)(code_mode == CODE64 ? (p67 ? 4 : 8)
                        : (code_mode == CODE16) != p67 ? 2 : 4);
    if (fi->pfx == P_ANY) {
        if (last_rep == 0xf3) in->flags |= IF_REP;
        if (last_rep == 0xf2) in->flags |= IF_REPNE;
    }

    /* Operands */
    if (fi->modrm == M_OPREG) {
        unsigned r = (b & 7) | ((rex & 1) << 3);
        in->rm = (uint8_t)r;
        in->rm8 = byte_reg(r, rex != 0 || (in->flags & IF_REX));
    } else if (have_modrm) {
        unsigned r = reg | ((rex & 4) << 1);
        in->reg = (uint8_t)r;
        in->reg8 = byte_reg(r, in->flags & IF_REX);
        if (mod == 3) {
            unsigned m = rm | ((rex & 1) << 3);
            in->rm = (uint8_t)m;
            in->rm8 = byte_reg(m, in->flags & IF_REX);
        } else {
            decode_modrm_mem(&c, in, mod, rm, rex, code_mode);
        }
    }

    /* Immediates */
    switch (fi->imm) {
    case I_B: in->imm = take(&c, 1); break;
    case I_BS: in->imm = (uint64_t)(int8_t)take(&c, 1); break;
    case I_W: in->imm = take(&c, 2); break;
    case I_Z: in->imm = in->osz == 2 ? take(&c, 2) : (uint64_t)(int32_t)take(&c, 4); break;
    case I_V: in->imm = take(&c, in->osz); break;
    case I_JB: in->imm = (uint64_t)(int8_t)take(&c, 1); break;
    case I_JZ: in->imm = in->osz == 2 ? (uint64_t)(int16_t)take(&c, 2) : (uint64_t)(int32_t)take(&c, 4); break;
    case I_AP:
        in->imm = take(&c, in->osz == 2 ? 2 : 4);
        in->imm2 = (uint32_t)take(&c, 2);
        break;
    case I_O: in->disp = (int64_t)take(&c, in->asz); in->flags |= IF_MEM; break;
    case I_WB:
        in->imm = take(&c, 2);
        in->imm2 = (uint32_t)take(&c, 1);
        break;
    default: break;
    }
    in->len = (uint8_t)c.pos;
    if (c.shortfall)
        goto short_or_long;
    if ((in->flags & IF_LOCK) && (!(fi->attrs & A_LOCK) || !(in->flags & IF_MEM)))
        return DEC_UD;
    return in->len;

short_or_long:
    in->len = (uint8_t)(c.pos > 15 ? 15 : c.pos);
    return c.too_long ? DEC_GP : DEC_SHORT;
}

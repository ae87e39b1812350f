/* undefined_flags.c — the architecturally undefined results the
 * differential tester does not compare.  Nothing else in tests/diff/ masks
 * anything.
 *
 * Which EFLAGS bits a form may leave undefined is the opcode table's FU_
 * column (the cpu/ops files), the one place that says it; a form without a rule
 * here has them undefined always.  The rules below add what the table does
 * not carry: the conditions (shift counts, a zero source), undefined
 * destinations, and the x87 condition codes.  A form's EFLAGS rules must
 * together name exactly its FU_ flags (undef_check_table).
 *
 * A rule is keyed by a mnemonic (the form name before the first '_', so it
 * covers every operand form: "SHL" matches SHL_EbCL, SHL_Ev1, ...) or by a
 * full form name.  Each names the Intel SDM Vol. 2 instruction page
 * ("Flags Affected" / "Operation" / "FPU Flags Affected") that leaves the
 * result undefined.  Only what the SDM calls undefined belongs here; a
 * vendor difference in *defined* behaviour is a finding, not a mask.
 */
#include <string.h>

#include "diff.h"

enum {
    C_ALWAYS,
    C_COUNT_NZ,     /* masked count != 0 */
    C_COUNT_GT1,    /* masked count > 1 */
    C_COUNT_GE_W,   /* masked count >= operand width in bits */
    C_COUNT_GT_W,   /* masked count > operand width in bits */
    C_SRC_ZERO,     /* the r/m source operand is zero */
    C_OSZ16,        /* 16-bit operand size */
};

enum { D_NONE, D_G, D_E, D_OPREG };  /* which destination is undefined */

typedef struct Rule {
    const char *key;
    uint32_t eflags;
    uint16_t fsw;
    uint8_t dest;
    uint8_t cond;
    const char *sdm;
} Rule;

#define OSZAPC (F_OF | F_SF | F_ZF | F_AF | F_PF | F_CF)
#define C023 0x4500   /* x87 C0 (bit 8), C2 (bit 10), C3 (bit 14) */
#define C03  0x4100
#define C0123 0x4700

static const Rule rules[] = {
    /* Shifts (SAL/SAR/SHL/SHR page) */
    { "SHL", F_OF, 0, D_NONE, C_COUNT_GT1, "SDM 2B SAL/SAR/SHL/SHR: OF undefined for multi-bit shifts" },
    { "SAL", F_OF, 0, D_NONE, C_COUNT_GT1, "SDM 2B SAL/SAR/SHL/SHR: OF undefined for multi-bit shifts" },
    { "SHR", F_OF, 0, D_NONE, C_COUNT_GT1, "SDM 2B SAL/SAR/SHL/SHR: OF undefined for multi-bit shifts" },
    { "SAR", F_OF, 0, D_NONE, C_COUNT_GT1, "SDM 2B SAL/SAR/SHL/SHR: OF undefined for multi-bit shifts" },
    { "SHL", F_AF, 0, D_NONE, C_COUNT_NZ, "SDM 2B SAL/SAR/SHL/SHR: AF undefined for a non-zero count" },
    { "SAL", F_AF, 0, D_NONE, C_COUNT_NZ, "SDM 2B SAL/SAR/SHL/SHR: AF undefined for a non-zero count" },
    { "SHR", F_AF, 0, D_NONE, C_COUNT_NZ, "SDM 2B SAL/SAR/SHL/SHR: AF undefined for a non-zero count" },
    { "SAR", F_AF, 0, D_NONE, C_COUNT_NZ, "SDM 2B SAL/SAR/SHL/SHR: AF undefined for a non-zero count" },
    { "SHL", F_CF, 0, D_NONE, C_COUNT_GE_W, "SDM 2B SAL/SAR/SHL/SHR: CF undefined for SHL/SHR when count >= operand size" },
    { "SAL", F_CF, 0, D_NONE, C_COUNT_GE_W, "SDM 2B SAL/SAR/SHL/SHR: CF undefined for SHL/SHR when count >= operand size" },
    { "SHR", F_CF, 0, D_NONE, C_COUNT_GE_W, "SDM 2B SAL/SAR/SHL/SHR: CF undefined for SHL/SHR when count >= operand size" },
    /* Rotates (RCL/RCR/ROL/ROR page) */
    { "ROL", F_OF, 0, D_NONE, C_COUNT_GT1, "SDM 2B RCL/RCR/ROL/ROR: OF undefined for multi-bit rotates" },
    { "ROR", F_OF, 0, D_NONE, C_COUNT_GT1, "SDM 2B RCL/RCR/ROL/ROR: OF undefined for multi-bit rotates" },
    { "RCL", F_OF, 0, D_NONE, C_COUNT_GT1, "SDM 2B RCL/RCR/ROL/ROR: OF undefined for multi-bit rotates" },
    { "RCR", F_OF, 0, D_NONE, C_COUNT_GT1, "SDM 2B RCL/RCR/ROL/ROR: OF undefined for multi-bit rotates" },
    /* Double shifts */
    { "SHLD", F_OF, 0, D_NONE, C_COUNT_GT1, "SDM 2B SHLD: OF undefined unless a 1-bit shift" },
    { "SHRD", F_OF, 0, D_NONE, C_COUNT_GT1, "SDM 2B SHRD: OF undefined unless a 1-bit shift" },
    { "SHLD", F_AF, 0, D_NONE, C_COUNT_NZ, "SDM 2B SHLD: AF undefined" },
    { "SHRD", F_AF, 0, D_NONE, C_COUNT_NZ, "SDM 2B SHRD: AF undefined" },
    { "SHLD", OSZAPC, 0, D_E, C_COUNT_GT_W, "SDM 2B SHLD: count > operand size: result and flags undefined" },
    { "SHRD", OSZAPC, 0, D_E, C_COUNT_GT_W, "SDM 2B SHRD: count > operand size: result and flags undefined" },
    /* Bit scan / swap: destinations */
    { "BSF", 0, 0, D_G, C_SRC_ZERO, "SDM 2A BSF: destination undefined when the source is 0 (AMD: unchanged)" },
    { "BSR", 0, 0, D_G, C_SRC_ZERO, "SDM 2A BSR: destination undefined when the source is 0 (AMD: unchanged)" },
    { "BSWAP", 0, 0, D_OPREG, C_OSZ16, "SDM 2A BSWAP: 16-bit operand gives an undefined result" },

    /* x87 condition codes ("FPU Flags Affected: C0, C2, C3 undefined") */
    { "FLD", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FLD: C0, C2, C3 undefined" },
    { "FST", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FST/FSTP: C0, C2, C3 undefined" },
    { "FSTP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FST/FSTP: C0, C2, C3 undefined" },
    { "FILD", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FILD: C0, C2, C3 undefined" },
    { "FIST", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FIST/FISTP: C0, C2, C3 undefined" },
    { "FISTP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FIST/FISTP: C0, C2, C3 undefined" },
    { "FISTTP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FISTTP: C0, C2, C3 undefined" },
    { "FBLD", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FBLD: C0, C2, C3 undefined" },
    { "FBSTP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FBSTP: C0, C2, C3 undefined" },
    { "FXCH", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FXCH: C0, C2, C3 undefined" },
    { "FCMOVB", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FCMOVcc: C0, C2, C3 undefined" },
    { "FCMOVE", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FCMOVcc: C0, C2, C3 undefined" },
    { "FCMOVBE", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FCMOVcc: C0, C2, C3 undefined" },
    { "FCMOVU", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FCMOVcc: C0, C2, C3 undefined" },
    { "FCMOVNB", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FCMOVcc: C0, C2, C3 undefined" },
    { "FCMOVNE", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FCMOVcc: C0, C2, C3 undefined" },
    { "FCMOVNBE", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FCMOVcc: C0, C2, C3 undefined" },
    { "FCMOVNU", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FCMOVcc: C0, C2, C3 undefined" },
    { "FADD", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FADD/FADDP/FIADD: C0, C2, C3 undefined" },
    { "FADDP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FADD/FADDP/FIADD: C0, C2, C3 undefined" },
    { "FIADD", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FADD/FADDP/FIADD: C0, C2, C3 undefined" },
    { "FSUB", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FSUB/FSUBP/FISUB: C0, C2, C3 undefined" },
    { "FSUBP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FSUB/FSUBP/FISUB: C0, C2, C3 undefined" },
    { "FISUB", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FSUB/FSUBP/FISUB: C0, C2, C3 undefined" },
    { "FSUBR", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FSUBR/FSUBRP/FISUBR: C0, C2, C3 undefined" },
    { "FSUBRP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FSUBR/FSUBRP/FISUBR: C0, C2, C3 undefined" },
    { "FISUBR", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FSUBR/FSUBRP/FISUBR: C0, C2, C3 undefined" },
    { "FMUL", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FMUL/FMULP/FIMUL: C0, C2, C3 undefined" },
    { "FMULP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FMUL/FMULP/FIMUL: C0, C2, C3 undefined" },
    { "FIMUL", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FMUL/FMULP/FIMUL: C0, C2, C3 undefined" },
    { "FDIV", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FDIV/FDIVP/FIDIV: C0, C2, C3 undefined" },
    { "FDIVP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FDIV/FDIVP/FIDIV: C0, C2, C3 undefined" },
    { "FIDIV", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FDIV/FDIVP/FIDIV: C0, C2, C3 undefined" },
    { "FDIVR", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FDIVR/FDIVRP/FIDIVR: C0, C2, C3 undefined" },
    { "FDIVRP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FDIVR/FDIVRP/FIDIVR: C0, C2, C3 undefined" },
    { "FIDIVR", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FDIVR/FDIVRP/FIDIVR: C0, C2, C3 undefined" },
    { "FCHS", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FCHS: C0, C2, C3 undefined" },
    { "FABS", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FABS: C0, C2, C3 undefined" },
    { "FSQRT", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FSQRT: C0, C2, C3 undefined" },
    { "FSCALE", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FSCALE: C0, C2, C3 undefined" },
    { "FRNDINT", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FRNDINT: C0, C2, C3 undefined" },
    { "FXTRACT", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FXTRACT: C0, C2, C3 undefined" },
    { "F2XM1", 0, C023, D_NONE, C_ALWAYS, "SDM 2A F2XM1: C0, C2, C3 undefined" },
    { "FYL2X", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FYL2X: C0, C2, C3 undefined" },
    { "FYL2XP1", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FYL2XP1: C0, C2, C3 undefined" },
    { "FPATAN", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FPATAN: C0, C2, C3 undefined" },
    { "FPTAN", 0, C03, D_NONE, C_ALWAYS, "SDM 2A FPTAN: C0, C3 undefined" },
    { "FSIN", 0, C03, D_NONE, C_ALWAYS, "SDM 2A FSIN: C0, C3 undefined" },
    { "FCOS", 0, C03, D_NONE, C_ALWAYS, "SDM 2A FCOS: C0, C3 undefined" },
    { "FSINCOS", 0, C03, D_NONE, C_ALWAYS, "SDM 2A FSINCOS: C0, C3 undefined" },
    { "FLD1", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FLD1/FLDL2T/.../FLDZ: C0, C2, C3 undefined" },
    { "FLDL2T", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FLD1/FLDL2T/.../FLDZ: C0, C2, C3 undefined" },
    { "FLDL2E", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FLD1/FLDL2T/.../FLDZ: C0, C2, C3 undefined" },
    { "FLDPI", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FLD1/FLDL2T/.../FLDZ: C0, C2, C3 undefined" },
    { "FLDLG2", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FLD1/FLDL2T/.../FLDZ: C0, C2, C3 undefined" },
    { "FLDLN2", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FLD1/FLDL2T/.../FLDZ: C0, C2, C3 undefined" },
    { "FLDZ", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FLD1/FLDL2T/.../FLDZ: C0, C2, C3 undefined" },
    { "FINCSTP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FINCSTP: C0, C2, C3 undefined" },
    { "FDECSTP", 0, C023, D_NONE, C_ALWAYS, "SDM 2A FDECSTP: C0, C2, C3 undefined" },
    { "FFREE", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FFREE: C0, C1, C2, C3 undefined" },
    { "FNOP", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FNOP: C0, C1, C2, C3 undefined" },
    { "FLDCW", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FLDCW: C0, C1, C2, C3 undefined" },
    { "FSTCW", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FSTCW/FNSTCW: C0, C1, C2, C3 undefined" },
    { "FNSTCW", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FSTCW/FNSTCW: C0, C1, C2, C3 undefined" },
    { "FSTSW", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FSTSW/FNSTSW: C0, C1, C2, C3 undefined" },
    { "FNSTSW", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FSTSW/FNSTSW: C0, C1, C2, C3 undefined" },
    { "FSTENV", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FSTENV/FNSTENV: C0, C1, C2, C3 undefined" },
    { "FNSTENV", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FSTENV/FNSTENV: C0, C1, C2, C3 undefined" },
    { "FCLEX", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FCLEX/FNCLEX: C0, C1, C2, C3 undefined" },
    { "FNCLEX", 0, C0123, D_NONE, C_ALWAYS, "SDM 2A FCLEX/FNCLEX: C0, C1, C2, C3 undefined" },
    { "FWAIT", 0, C0123, D_NONE, C_ALWAYS, "SDM 2D WAIT/FWAIT: C0, C1, C2, C3 undefined" },
    { "WAIT", 0, C0123, D_NONE, C_ALWAYS, "SDM 2D WAIT/FWAIT: C0, C1, C2, C3 undefined" },
};

static bool key_matches(const char *key, const char *name)
{
    size_t n = strcspn(name, "_");
    return (strlen(key) == n && !strncmp(key, name, n)) || !strcmp(key, name);
}

static unsigned shift_count(const GenCase *gc, int mode, const DiffState *in)
{
    const FormInfo *fi = &form_info[gc->form];
    const char *ops = strchr(fi->name, '_');
    unsigned count;
    if (ops && strstr(ops, "CL"))
        count = (uint8_t)in->gpr[R_CX];
    else if (fi->imm == I_B || fi->imm == I_BS)
        count = (uint8_t)gc->in.imm;
    else
        count = 1;
    (void)mode;
    return count & (gc->in.osz == 8 ? 63u : 31u);
}

static uint64_t dest_bits(unsigned osz)
{
    /* A 32-bit destination in 64-bit mode may or may not clear bits 63:32
     * when its result is undefined: the whole register is unknown. */
    return osz == 1 ? 0xff : osz == 2 ? 0xffff : ~0ull;
}

/* The EFLAGS bits the rules for a form name, under any condition. */
static uint32_t rule_eflags(const char *name)
{
    uint32_t e = 0;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (key_matches(rules[i].key, name))
            e |= rules[i].eflags;
    return e;
}

int undef_check_table(FILE *out)
{
    int bad = 0;
    for (int f = 0; f < FORM_COUNT; f++) {
        const FormInfo *fi = &form_info[f];
        uint32_t r = rule_eflags(fi->name), u = form_flags_undefined(fi);
        if (r && r != u) {
            fprintf(out, "undefined_flags.c: the rules for %s name flags %#x, the table's FU_ column %#x\n",
                    fi->name, r, u);
            bad++;
        }
    }
    return bad;
}

void undef_masks(const GenCase *gc, int mode, const DiffState *in, uint64_t e_value, UndefMask *m)
{
    memset(m, 0, sizeof *m);
    const char *name = form_info[gc->form].name;
    /* Without a conditional rule, the table's undefined flags always are. */
    if (!rule_eflags(name) && form_flags_undefined(&form_info[gc->form])) {
        m->eflags = form_flags_undefined(&form_info[gc->form]);
        m->why[m->nwhy++] = "the opcode table's FU_ column (SDM \"Flags Affected\": undefined)";
    }
    const Insn *ins = &gc->in;
    unsigned width = ins->osz * 8u;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const Rule *r = &rules[i];
        if (!key_matches(r->key, name))
            continue;
        bool on;
        switch (r->cond) {
        case C_COUNT_NZ: on = shift_count(gc, mode, in) != 0; break;
        case C_COUNT_GT1: on = shift_count(gc, mode, in) > 1; break;
        case C_COUNT_GE_W: on = shift_count(gc, mode, in) >= width; break;
        case C_COUNT_GT_W: on = shift_count(gc, mode, in) > width; break;
        case C_SRC_ZERO: on = (e_value & (ins->osz >= 8 ? ~0ull : (1ull << width) - 1)) == 0; break;
        case C_OSZ16: on = ins->osz == 2; break;
        default: on = true; break;
        }
        if (!on)
            continue;
        m->eflags |= r->eflags;
        m->fsw |= r->fsw;
        switch (r->dest) {
        case D_G: m->gpr[ins->reg & 15] |= dest_bits(ins->osz); break;
        case D_OPREG: m->gpr[ins->rm & 15] |= dest_bits(ins->osz); break;
        case D_E:
            if (ins->flags & IF_MEM) m->mem = true;
            else m->gpr[ins->rm & 15] |= dest_bits(ins->osz);
            break;
        default: break;
        }
        if (m->nwhy < UNDEF_MAX_WHY)
            m->why[m->nwhy++] = r->sdm;
    }
}

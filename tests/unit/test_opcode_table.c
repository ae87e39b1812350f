/* test_opcode_table.c — the opcode table against rules it must keep, so its
 * translator columns (A_SENS, A_DIRECT, operands, flags) cannot rot:
 *   - every form whose handler lives in a file of privileged or mode state
 *     (system.c, seg.c, farctl.c, io.c, msr.c, cpuid.c, interrupt.c), every
 *     string form, every form that touches IF, IOPL or another system flag,
 *     and every form with a segment/control/debug register operand is A_SENS;
 *   - A_PRIV implies A_SENS; A_SENS, A_BRANCH, x87 and MMX forms are never
 *     A_DIRECT; A_DIRECT implies A_DIFF (the host checks its flag columns);
 *   - a form with A_END that is not a branch is sensitive; a branch ends
 *     its block;
 *   - Jcc/SETcc/CMOVcc/FCMOVcc read exactly the flags their condition
 *     tests (SDM Vol. 1 Appendix B), derived here from the opcode;
 *   - undefined flags are arithmetic flags the form writes;
 *   - operand kinds agree with the ModRM column; the handlers that take
 *     their operation from the table (SUBOP/MSZ) find one.
 * The flag columns' agreement with the host is tests/diff's job (difftest).
 * The handler-to-file map is read from the sources (RZ_SOURCE_DIR). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/insn.h"

static int passed, failed;

static void check(bool ok, const char *form, const char *rule)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s: %s\n", form, rule);
}

static const char *const handler_of[FORM_COUNT] = {
#define FORM(name, map, opc, pfx, ext, rmx, modrm, osz, imm, attrs, ops, fl, handler) #handler,
#include "cpu/opcodes.def"
#undef FORM
};

/* Files whose handlers all touch privileged or mode state. */
static const char *const sensitive_files[] = {
    "system.c", "seg.c", "farctl.c", "io.c", "msr.c", "cpuid.c", "interrupt.c", "string.c",
};

/* Does cpu/<file> define the handler `void name(CPU *cpu, const Insn *in)`? */
static bool defined_in(const char *file, const char *name)
{
    char path[512], line[512], want[160];
    snprintf(path, sizeof path, "%s/cpu/%s", RZ_SOURCE_DIR, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("cannot open %s\n", path);
        exit(1);
    }
    snprintf(want, sizeof want, "void %s(CPU *cpu, const Insn *in)", name);
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = !strncmp(line, want, strlen(want));
    fclose(f);
    return found;
}

/* The flags a condition code (the low opcode nibble) tests. */
static uint32_t cc_flags(unsigned cc)
{
    static const uint32_t t[8] = {
        F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF, F_SF | F_OF, F_ZF | F_SF | F_OF,
    };
    return t[(cc & 15) >> 1];
}

/* FCMOVcc: DA/DB C0..DF, ModRM.reg 0..3 = B, E, BE, U */
static uint32_t fcmov_flags(unsigned ext)
{
    static const uint32_t t[4] = { F_CF, F_ZF, F_CF | F_ZF, F_PF };
    return t[ext & 3];
}

#define SYSTEM_FLAGS (F_TF | F_IF | F_IOPL | F_NT | F_RF | F_VM | F_AC | F_VIF | F_VIP | F_ID)

static void check_form(unsigned f)
{
    const FormInfo *fi = &form_info[f];
    const char *n = fi->name, *h = handler_of[f];
    uint32_t a = fi->attrs;
    bool sens = a & A_SENS, direct = a & A_DIRECT;

    for (size_t i = 0; i < sizeof sensitive_files / sizeof sensitive_files[0]; i++)
        if (defined_in(sensitive_files[i], h))
            check(sens, n, "its handler is in a file of privileged/mode state: A_SENS");
    if (!strcmp(h, "RDTSC") || !strcmp(h, "RDPMC") || !strncmp(h, "INT", 3) || !strcmp(h, "HLT"))
        check(sens, n, "time, interrupts and HLT are A_SENS");
    if ((form_flags_read(fi) | form_flags_written(fi)) & SYSTEM_FLAGS)
        check(sens, n, "touches IF/IOPL/TF/AC/... : A_SENS");
    unsigned rk = form_reg_kind(fi);
    if (rk == OK_SEG || rk == OK_CR || rk == OK_DR)
        check(sens, n, "segment/control/debug register operand: A_SENS");
    if (a & A_PRIV)
        check(sens, n, "A_PRIV implies A_SENS");
    if ((a & A_END) && !(a & A_BRANCH))
        check(sens, n, "A_END without A_BRANCH (a mode change or halt) is A_SENS");
    if (a & A_BRANCH)
        check((a & A_END) && !direct, n, "a branch ends its block and is not A_DIRECT");
    if (direct) {
        check(!sens, n, "A_SENS is never A_DIRECT");
        check(!(a & (A_FPU | A_MMX | A_RESNOP)), n, "x87, MMX and model-dependent forms are not A_DIRECT");
        check(a & A_DIFF, n, "A_DIRECT implies A_DIFF (the host checks its flags)");
        check(!(form_flags_read(fi) & ~(F_OSZAPC | F_DF)) && !(form_flags_written(fi) & ~F_OSZAPC),
              n, "A_DIRECT forms touch only OSZAPC (and read DF)");
    }

    /* Condition codes, from the opcode */
    bool jcc = !strcmp(h, "Jcc_J"), cc = jcc || !strcmp(h, "SETcc_Eb") || !strcmp(h, "CMOVcc_GvEv");
    if (cc)
        check(form_flags_read(fi) == cc_flags(fi->opc), n, "reads exactly its condition's flags");
    if (!strcmp(h, "X87_FCMOV"))
        check(form_flags_read(fi) == fcmov_flags(fi->ext), n, "FCMOVcc reads exactly its condition's flags");

    uint32_t u = form_flags_undefined(fi);
    check(!(u & ~form_flags_written(fi)) && !(u & ~F_OSZAPC), n, "undefined flags are written arithmetic flags");

    /* Operands against the ModRM column */
    unsigned rmr = form_rm_role(fi), rmk = form_rm_kind(fi);
    if (fi->modrm == M_NONE)
        check(!rmr && !form_reg_role(fi), n, "no ModRM: no rm/reg operand");
    if (rmk == OK_MEM)
        check(fi->modrm == M_MEM, n, "a memory-only operand (M) needs M_MEM");
    if (rmr == OR_A)
        check(rmk == OK_MEM, n, "address-only operands are memory");
    if (fi->modrm == M_OPREG)
        check(rmr && rmk == OK_GPR, n, "an opcode-register form has its register as R");
    if (fi->modrm == M_REG)
        check(rmk != OK_MEM, n, "a register-only form has no memory operand");
    if (!strcmp(h, "SSE_FP_VW"))
        check(form_subop(fi) && form_msz(fi), n, "SSE_FP_VW forms carry SUBOP and MSZ");
    if (!strcmp(h, "SIMD_INT"))
        check(form_subop(fi) != 0, n, "SIMD_INT forms carry SUBOP");
}

int main(void)
{
    for (unsigned f = 0; f < FORM_COUNT; f++)
        check_form(f);
    /* The forms the brief names, spelled out. */
    check(form_info[FORM_PUSHF].attrs & A_SENS, "PUSHF", "A_SENS");
    check(form_info[FORM_POPF].attrs & A_SENS, "POPF", "A_SENS");
    check(form_info[FORM_ADD_EvGv].attrs & A_DIRECT, "ADD_EvGv", "A_DIRECT");
    check(form_info[FORM_ADDPS_VpsWps].attrs & A_DIRECT, "ADDPS_VpsWps", "A_DIRECT");
    check(form_flags_read(&form_info[FORM_ADC_EvGv]) == F_CF, "ADC_EvGv", "reads CF");
    check(form_flags_undefined(&form_info[FORM_AND_EvGv]) == F_AF, "AND_EvGv", "AF undefined");
    check(form_gprs_written(&form_info[FORM_MUL_Ev]) == (1u << R_AX | 1u << R_DX), "MUL_Ev", "writes rAX, rDX");
    check(form_rm_role(&form_info[FORM_CMP_EvGv]) == OR_R && form_rm_role(&form_info[FORM_ADD_EvGv]) == OR_RW,
          "CMP/ADD", "CMP reads its destination, ADD modifies it");
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

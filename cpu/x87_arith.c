/* x87_arith.c — x87 arithmetic, compares, transcendental and register
 * moves.  Nearly all of them are a spec for the engine in x87.c (which
 * operands must be present, what is written, what pops); FXCH, FCMOVcc and
 * FXAM of an empty register are done here in C.
 */
#include <stddef.h>

#include "x87.h"

static unsigned ext(const Insn *in) { return (in->modrm >> 3) & 7; }

/* D8/DC/DA/DE memory forms: ST(0) op m32fp/m64fp/m32int/m16int */
void X87_ARITH_M(CPU *cpu, const Insn *in)
{
    unsigned size = (in->opc == 0xd8 || in->opc == 0xda) ? 4 : in->opc == 0xdc ? 8 : 2;
    unsigned e = ext(in), spec = XS_R0 | XS_MIN | XS_MSIZE(size);
    if (e == 2 || e == 3)
        spec |= XS_CMP | (e == 3 ? XS_POP : 0);
    else
        spec |= XS_D0;
    x87_exec(cpu, in, spec);
}

/* D8 register forms: ST(0) = ST(0) op ST(i) */
void X87_ARITH_ST0(CPU *cpu, const Insn *in)
{
    unsigned e = ext(in), spec = XS_R0 | XS_RI;
    if (e == 2 || e == 3)
        spec |= XS_CMP | (e == 3 ? XS_POP : 0);
    else
        spec |= XS_D0;
    x87_exec(cpu, in, spec);
}

/* DC/DE register forms: ST(i) = ST(i) op ST(0), DE pops; rows 2/3 are
 * FCOM2/FCOMP3 (DC) and FCOMP5 (DE). */
void X87_ARITH_STI(CPU *cpu, const Insn *in)
{
    unsigned e = ext(in), spec = XS_R0 | XS_RI;
    bool pop = in->opc == 0xde;
    if (e == 2 || e == 3)
        spec |= XS_CMP | ((e == 3 || pop) ? XS_POP : 0);
    else
        spec |= XS_DI | (pop ? XS_POP : 0);
    x87_exec(cpu, in, spec);
}

void X87_FUCOM(CPU *cpu, const Insn *in)
{
    x87_exec(cpu, in, XS_R0 | XS_RI | XS_CMP | (ext(in) == 5 ? XS_POP : 0));
}

/* FCOMPP, FUCOMPP */
void X87_COMPP(CPU *cpu, const Insn *in)
{
    x87_exec(cpu, in, XS_R0 | XS_R1 | XS_CMP | XS_POP2);
}

/* FCOMI, FUCOMI, FCOMIP, FUCOMIP */
void X87_COMI(CPU *cpu, const Insn *in)
{
    x87_exec(cpu, in, XS_R0 | XS_RI | XS_COMI | (in->opc == 0xdf ? XS_POP : 0));
}

void X87_FLD_STi(CPU *cpu, const Insn *in)
{
    x87_exec(cpu, in, XS_RI | XS_PUSH);
}

/* FST/FSTP ST(i) and the FSTP1/FSTP8/FSTP9 aliases (all but DD D0+i pop).
 * D9 D8+i is AMD's FSTPNCE: from an empty ST(0) it just pops, with no
 * stack fault and no store (checked on the host). */
void X87_FST_STi(CPU *cpu, const Insn *in)
{
    X87 *f = &cpu->fpu;
    x87_enter(cpu, true);
    if (in->opc == 0xd9 && x87_empty(f, x87_top(f))) {
        x87_note(cpu, in, 0);
        f->fsw &= (uint16_t)~FSW_C1;
        x87_set_top(f, x87_top(f) + 1);
        return;
    }
    bool pop = !(in->opc == 0xdd && ext(in) == 2);
    x87_exec(cpu, in, XS_R0 | XS_DI | (pop ? XS_POP : 0));
}

/* FCHS FABS FSQRT FRNDINT F2XM1 FSIN FCOS */
void X87_UNARY(CPU *cpu, const Insn *in)
{
    bool trig = in->modrm == 0xfe || in->modrm == 0xff;
    x87_exec(cpu, in, XS_R0 | XS_D0 | (trig ? XS_C2 : 0));
}
void X87_FTST(CPU *cpu, const Insn *in) { x87_exec(cpu, in, XS_R0 | XS_CMP); }
void X87_CONST(CPU *cpu, const Insn *in) { x87_exec(cpu, in, XS_PUSH); }
/* FPTAN FSINCOS FXTRACT: replace ST(0), push a second result */
void X87_PUSH2(CPU *cpu, const Insn *in)
{
    x87_exec(cpu, in, XS_R0 | XS_D0 | XS_PUSH | (in->modrm != 0xf4 ? XS_C2 : 0));
}
/* FPREM FPREM1 FSCALE: ST(0) = f(ST(0), ST(1)) */
void X87_BIN01(CPU *cpu, const Insn *in)
{
    x87_exec(cpu, in, XS_R0 | XS_R1 | XS_D0 | (in->modrm != 0xfd ? XS_C2 : 0));
}
/* FYL2X FYL2XP1 FPATAN: ST(1) = f(ST(1), ST(0)), pop */
void X87_BIN1P(CPU *cpu, const Insn *in) { x87_exec(cpu, in, XS_R0 | XS_R1 | XS_D1 | XS_POP); }

void X87_FNOP(CPU *cpu, const Insn *in)
{
    x87_enter(cpu, true);
    x87_note(cpu, in, 0);
}

void X87_FXAM(CPU *cpu, const Insn *in)
{
    X87 *f = &cpu->fpu;
    x87_enter(cpu, true);
    unsigned p0 = x87_top(f);
    if (!x87_empty(f, p0)) {
        x87_exec(cpu, in, 0);
        return;
    }
    /* Empty: C3=1 C2=0 C0=1, and C1 is still the sign of whatever the
     * register holds (checked on the host). */
    x87_note(cpu, in, 0);
    f->fsw = (uint16_t)((f->fsw & ~FSW_CC) | FSW_C3 | FSW_C0 |
                        ((f->st[p0].se & 0x8000) ? FSW_C1 : 0));
}

void X87_FXCH(CPU *cpu, const Insn *in)
{
    X87 *f = &cpu->fpu;
    x87_enter(cpu, true);
    unsigned p0 = x87_top(f), pi = x87_phys(f, in->rm & 7);
    x87_note(cpu, in, 0);
    f->fsw &= (uint16_t)~FSW_C1;
    if (x87_empty(f, p0) || x87_empty(f, pi)) {
        f->fsw |= FSW_IE | FSW_SF;
        x87_update_es(f);
        if (!(f->fcw & FSW_IE))
            return;
        /* Masked: the empty ones become the indefinite, then swap. */
        if (x87_empty(f, p0))
            x87_write_phys(f, p0, F80_INDEFINITE);
        if (x87_empty(f, pi))
            x87_write_phys(f, pi, F80_INDEFINITE);
    }
    F80 t = f->st[p0];
    unsigned tag = x87_tag(f, p0);
    f->st[p0] = f->st[pi];
    x87_put_tag(f, p0, x87_tag(f, pi));
    f->st[pi] = t;
    x87_put_tag(f, pi, tag);
}

/* FCMOVcc: DA rows B/E/BE/U, DB rows NB/NE/NBE/NU */
void X87_FCMOV(CPU *cpu, const Insn *in)
{
    static const uint8_t cc[4] = { 2, 4, 6, 10 };  /* B, E, BE, P */
    X87 *f = &cpu->fpu;
    x87_enter(cpu, true);
    unsigned i = in->rm & 7, p0 = x87_top(f), pi = x87_phys(f, i);
    if (x87_empty(f, p0) || x87_empty(f, pi)) {
        x87_stack_fault(cpu, in, XS_D0, i, false, 0, NULL);
        return;
    }
    x87_note(cpu, in, 0);
    if (cpu_cond(cpu, cc[ext(in) & 3] + (in->opc == 0xdb)))
        x87_write_phys(f, p0, f->st[pi]);
}

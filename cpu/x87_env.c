/* x87_env.c — x87 control instructions: FLDCW/FNSTCW, FNSTSW, FNCLEX,
 * FNINIT, FLDENV/FNSTENV, FRSTOR/FNSAVE, FFREE(P), FINCSTP/FDECSTP, WAIT.
 *
 * Environment images come in four layouts: 14 bytes (16-bit operand size)
 * or 28 bytes (32/64-bit), each in a protected-mode form (offset and
 * selector) or a real/virtual-8086 form (20/32-bit linear pointers split
 * around the opcode).  The reserved upper halves of 32-bit fields are
 * stored as ones, as the host does.
 */
#include <string.h>

#include "x87.h"
#include "../softmmu/mem.h"

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

static bool real_layout(const CPU *cpu)
{
    return !(cpu->cr0 & 1) || (cpu->eflags & F_VM);
}

static unsigned env_size(const Insn *in) { return in->osz == 2 ? 14 : 28; }

static void env_store(CPU *cpu, const Insn *in, uint8_t *b)
{
    X87 *f = &cpu->fpu;
    uint16_t tw = x87_full_tags(f);
    bool real = real_layout(cpu);
    uint32_t ip = (uint32_t)f->fip, dp = (uint32_t)f->fdp;
    /* With FCS/FDS deprecated (CPUID.7.EBX[13], model.c: fcs_fds_zero)
     * the protected-mode images hold 0 there. */
    uint16_t fcs = f->fcs, fds = f->fds;
    if (cpu->model->q.fcs_fds_zero)
        fcs = fds = 0;
    if (real) {
        ip += (uint32_t)f->fcs << 4;
        dp += (uint32_t)f->fds << 4;
    }
    if (in->osz == 2) {
        put16(b, f->fcw);
        put16(b + 2, f->fsw);
        put16(b + 4, tw);
        if (real) {
            put16(b + 6, ip);
            put16(b + 8, ((ip >> 16) & 0xf) << 12 | (f->fop & 0x7ff));
            put16(b + 10, dp);
            put16(b + 12, ((dp >> 16) & 0xf) << 12);
        } else {
            put16(b + 6, ip);
            put16(b + 8, fcs);
            put16(b + 10, dp);
            put16(b + 12, fds);
        }
        return;
    }
    put32(b, 0xffff0000u | f->fcw);
    put32(b + 4, 0xffff0000u | f->fsw);
    put32(b + 8, 0xffff0000u | tw);
    if (real) {
        put32(b + 12, 0xffff0000u | (ip & 0xffff));
        put32(b + 16, (ip >> 16) << 12 | (f->fop & 0x7ff));
        put32(b + 20, 0xffff0000u | (dp & 0xffff));
        put32(b + 24, (dp >> 16) << 12);
    } else {
        put32(b + 12, ip);
        put32(b + 16, fcs | (uint32_t)(f->fop & 0x7ff) << 16);
        put32(b + 20, dp);
        put32(b + 24, 0xffff0000u | fds);
    }
}

/* Loads an environment image.  Only "empty" survives from the loaded tag
 * word; the other tags follow the register contents. */
static void env_load(CPU *cpu, const Insn *in, const uint8_t *b)
{
    X87 *f = &cpu->fpu;
    bool real = real_layout(cpu);
    uint16_t tw;
    if (in->osz == 2) {
        f->fcw = get16(b);
        f->fsw = get16(b + 2);
        tw = get16(b + 4);
        if (real) {
            f->fip = get16(b + 6) | (uint32_t)(get16(b + 8) >> 12) << 16;
            f->fop = get16(b + 8) & 0x7ff;
            f->fdp = get16(b + 10) | (uint32_t)(get16(b + 12) >> 12) << 16;
            f->fcs = f->fds = 0;
        } else {
            f->fip = get16(b + 6);
            f->fcs = get16(b + 8);
            f->fdp = get16(b + 10);
            f->fds = get16(b + 12);
        }
    } else {
        f->fcw = get16(b);
        f->fsw = get16(b + 4);
        tw = get16(b + 8);
        if (real) {
            f->fip = get16(b + 12) | (get32(b + 16) >> 12 & 0xffff) << 16;
            f->fop = get32(b + 16) & 0x7ff;
            f->fdp = get16(b + 20) | (get32(b + 24) >> 12 & 0xffff) << 16;
            f->fcs = f->fds = 0;
        } else {
            f->fip = get32(b + 12);
            f->fcs = get16(b + 16);
            f->fop = get16(b + 18) & 0x7ff;
            f->fdp = get32(b + 20);
            f->fds = get16(b + 24);
        }
    }
    f->fcw = (uint16_t)((f->fcw & FCW_WRITABLE) | FCW_FORCED);
    f->ftw = 0;
    for (unsigned p = 0; p < 8; p++)
        x87_put_tag(f, p, ((tw >> (2 * p)) & 3) == TAG_EMPTY ? TAG_EMPTY : x87_classify(f->st[p]));
    x87_update_es(f);
}

static void finit(X87 *f)
{
    f->fcw = 0x037f;
    f->fsw = 0;
    f->ftw = 0xffff;
    f->fop = 0;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
}

void FLDENV(CPU *cpu, const Insn *in)
{
    x87_enter(cpu, true);
    uint8_t b[28];
    cpu_read_block(cpu, in->seg, insn_ea(cpu, in), b, env_size(in));
    env_load(cpu, in, b);
}

void FNSTENV(CPU *cpu, const Insn *in)
{
    X87 *f = &cpu->fpu;
    x87_enter(cpu, false);
    uint8_t b[28];
    env_store(cpu, in, b);
    cpu_write_block(cpu, in->seg, insn_ea(cpu, in), b, env_size(in));
    /* FNSTENV masks every exception once the image is out. */
    f->fcw |= FSW_EXC;
    x87_update_es(f);
}

void FRSTOR(CPU *cpu, const Insn *in)
{
    X87 *f = &cpu->fpu;
    x87_enter(cpu, true);
    uint8_t b[108];
    unsigned es = env_size(in);
    cpu_read_block(cpu, in->seg, insn_ea(cpu, in), b, es + 80);
    /* Registers first: env_load classifies the tags from them.  The image
     * holds ST(0..7), so the TOP being loaded decides where they go. */
    unsigned top = (get16(b + (es == 14 ? 2 : 4)) >> 11) & 7;
    for (unsigned k = 0; k < 8; k++) {
        const uint8_t *r = b + es + 10 * k;
        F80 *st = &f->st[(top + k) & 7];
        memcpy(&st->mant, r, 8);
        st->se = get16(r + 8);
    }
    env_load(cpu, in, b);
}

void FNSAVE(CPU *cpu, const Insn *in)
{
    X87 *f = &cpu->fpu;
    x87_enter(cpu, false);
    uint8_t b[108];
    unsigned es = env_size(in);
    env_store(cpu, in, b);
    for (unsigned k = 0; k < 8; k++) {
        const F80 *st = &f->st[x87_phys(f, k)];
        memcpy(b + es + 10 * k, &st->mant, 8);
        put16(b + es + 10 * k + 8, st->se);
    }
    cpu_write_block(cpu, in->seg, insn_ea(cpu, in), b, es + 80);
    finit(f);
}

void FLDCW(CPU *cpu, const Insn *in)
{
    X87 *f = &cpu->fpu;
    x87_enter(cpu, true);
    uint16_t cw = (uint16_t)cpu_read(cpu, in->seg, insn_ea(cpu, in), 2);
    f->fcw = (uint16_t)((cw & FCW_WRITABLE) | FCW_FORCED);
    /* Unmasking a flag already set makes it pending (ES, B), as on the
     * host; masking it clears them. */
    x87_update_es(f);
}

void FNSTCW(CPU *cpu, const Insn *in)
{
    x87_enter(cpu, false);
    cpu_write(cpu, in->seg, insn_ea(cpu, in), 2, cpu->fpu.fcw);
}

/* FNSTSW m16 (DD /7) and FNSTSW AX (DF E0) */
void FNSTSW(CPU *cpu, const Insn *in)
{
    x87_enter(cpu, false);
    if (in->flags & IF_MEM)
        cpu_write(cpu, in->seg, insn_ea(cpu, in), 2, cpu->fpu.fsw);
    else
        set_reg(cpu, R_AX, 2, cpu->fpu.fsw);
}

void FNCLEX(CPU *cpu, const Insn *in)
{
    (void)in;
    x87_enter(cpu, false);
    cpu->fpu.fsw &= (uint16_t)~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
}

void FNINIT(CPU *cpu, const Insn *in)
{
    (void)in;
    x87_enter(cpu, false);
    finit(&cpu->fpu);
}

/* FNENI, FNDISI, FNSETPM: 8087/287 controls, no-ops since the 387. */
void X87_NOP_NW(CPU *cpu, const Insn *in)
{
    (void)in;
    x87_enter(cpu, false);
}

/* FFREE ST(i) (DD C0+i) and FFREEP ST(i) (DF C0+i, which also pops) */
void FFREE(CPU *cpu, const Insn *in)
{
    X87 *f = &cpu->fpu;
    x87_enter(cpu, true);
    x87_note(cpu, in, 0);
    f->fsw &= (uint16_t)~FSW_C1;   /* undefined in the SDM; the host clears it */
    x87_put_tag(f, x87_phys(f, in->rm & 7), TAG_EMPTY);
    if (in->opc == 0xdf) {
        x87_put_tag(f, x87_top(f), TAG_EMPTY);
        x87_set_top(f, x87_top(f) + 1);
    }
}

static void move_top(CPU *cpu, const Insn *in, int by)
{
    X87 *f = &cpu->fpu;
    x87_enter(cpu, true);
    x87_note(cpu, in, 0);
    x87_set_top(f, (unsigned)((int)x87_top(f) + by));
    f->fsw &= (uint16_t)~FSW_C1;
}

void FINCSTP(CPU *cpu, const Insn *in) { move_top(cpu, in, 1); }
void FDECSTP(CPU *cpu, const Insn *in) { move_top(cpu, in, -1); }

/* WAIT: #NM only when both TS and MP are set, then any pending #MF. */
void FWAIT(CPU *cpu, const Insn *in)
{
    (void)in;
    if ((cpu->cr0 & (X87_CR0_TS | X87_CR0_MP)) == (X87_CR0_TS | X87_CR0_MP))
        cpu_raise(cpu, EXC_NM, 0, false);
    if ((cpu->fpu.fsw & FSW_ES) && (cpu->cr0 & X87_CR0_NE))
        cpu_raise(cpu, EXC_MF, 0, false);
}

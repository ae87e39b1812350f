/* x87.c — the x87 core: tags, status word, entry checks, and the engine
 * that runs a data instruction on the host unit while the interpreter
 * keeps the register stack (TOP, tags, stack faults) itself.
 */
#include <string.h>

#include "x87.h"

unsigned x87_classify(F80 v)
{
    unsigned e = v.se & 0x7fff;
    if (e == 0)
        return v.mant == 0 ? TAG_ZERO : TAG_SPECIAL;   /* denormals too */
    if (e == 0x7fff || !(v.mant >> 63))
        return TAG_SPECIAL;                            /* NaN, inf, unnormal */
    return TAG_VALID;
}

void x87_write_phys(X87 *f, unsigned phys, F80 v)
{
    f->st[phys & 7] = v;
    x87_put_tag(f, phys & 7, x87_classify(v));
}

uint16_t x87_full_tags(const X87 *f)
{
    uint16_t tw = 0;
    for (unsigned p = 0; p < 8; p++)
        tw |= (uint16_t)((x87_empty(f, p) ? TAG_EMPTY : x87_classify(f->st[p])) << (2 * p));
    return tw;
}

void x87_update_es(X87 *f)
{
    if (f->fsw & ~f->fcw & FSW_EXC)
        f->fsw |= FSW_ES | FSW_B;
    else
        f->fsw &= (uint16_t)~(FSW_ES | FSW_B);
}

void x87_enter(CPU *cpu, bool waiting)
{
    if (cpu->cr0 & (X87_CR0_EM | X87_CR0_TS))
        cpu_raise(cpu, EXC_NM, 0, false);
    if (waiting && (cpu->fpu.fsw & FSW_ES) && (cpu->cr0 & X87_CR0_NE))
        cpu_raise(cpu, EXC_MF, 0, false);
}

void x87_note(CPU *cpu, const Insn *in, uint64_t ea)
{
    X87 *f = &cpu->fpu;
    f->fop = (uint16_t)(((in->opc & 7) << 8) | in->modrm);
    f->fip = cpu->code_mode == CODE64 ? cpu->rip : (uint32_t)cpu->rip;
    f->fcs = cpu->seg[S_CS].sel;
    if (in->flags & IF_MEM) {
        f->fdp = ea;
        f->fds = cpu->seg[in->seg].sel;
    }
}

void x87_stack_fault(CPU *cpu, const Insn *in, unsigned spec, unsigned i, bool overflow,
                     uint64_t ea, X87Host *h)
{
    X87 *f = &cpu->fpu;
    unsigned top = x87_top(f), p0 = top, pi = (top + i) & 7;
    bool masked = (f->fcw & FSW_IE) != 0;
    if (masked && (spec & XS_MOUT)) {
        /* The host converts the indefinite to the destination format
         * (integer indefinite, BCD indefinite, ...). */
        h->in[0] = F80_INDEFINITE;
        h->cw |= FSW_IE;
        if (!x87_host_run(h))
            cpu_ud(cpu);
        cpu_write_block(cpu, in->seg, ea, h->mem, XS_SIZE(spec));
    }
    x87_note(cpu, in, ea);
    f->fsw = (uint16_t)((f->fsw & ~FSW_C1) | FSW_IE | FSW_SF | (overflow ? FSW_C1 : 0));
    if (spec & XS_C2)
        f->fsw &= (uint16_t)~FSW_C2;
    /* Compares report "unordered" even when the fault is unmasked. */
    if (spec & XS_CMP)
        f->fsw |= FSW_C0 | FSW_C2 | FSW_C3;
    if (spec & XS_COMI)
        flags_put(cpu, F_OSZAPC, F_ZF | F_PF | F_CF);
    if (masked) {
        if (spec & XS_D0)
            x87_write_phys(f, p0, F80_INDEFINITE);
        if (spec & (XS_DI | XS_D1))
            x87_write_phys(f, pi, F80_INDEFINITE);
        if (spec & XS_PUSH) {
            top = (top - 1) & 7;
            x87_write_phys(f, top, F80_INDEFINITE);
        }
        if (spec & (XS_POP | XS_POP2)) {
            x87_put_tag(f, top, TAG_EMPTY);
            top = (top + 1) & 7;
        }
        if (spec & XS_POP2) {
            x87_put_tag(f, top, TAG_EMPTY);
            top = (top + 1) & 7;
        }
        x87_set_top(f, top);
    }
    x87_update_es(f);
}

void x87_exec(CPU *cpu, const Insn *in, unsigned spec)
{
    X87 *f = &cpu->fpu;
    x87_enter(cpu, true);
    X87Host h;
    memset(&h, 0, sizeof h);
    h.opc = in->opc;
    h.cw = f->fcw;
    h.sw = f->fsw;
    bool mem = (in->flags & IF_MEM) != 0;
    uint64_t ea = 0;
    unsigned i = (spec & XS_R1) ? 1 : (spec & (XS_RI | XS_DI)) ? (in->rm & 7u) : 0;
    if (mem) {
        ea = insn_ea(cpu, in);
        h.modrm = in->modrm & 0x38;  /* [rax] on the host */
        if (spec & XS_MIN)
            cpu_read_block(cpu, in->seg, ea, h.mem, XS_SIZE(spec));
        /* AMD checks the destination even when an unmasked exception or a
         * stack fault will end up storing nothing; Intel decides the
         * exception first, and an unmasked one raises no #GP for a segment
         * that cannot be written (measured) — the 64-bit canonical check is
         * the address's and comes first on both (model.c:
         * x87_ia_before_write).  Either way the store itself comes before
         * any register changes. */
        if ((spec & XS_MOUT) && !cpu->model->q.x87_ia_before_write)
            cpu_check_write(cpu, in->seg, ea, XS_SIZE(spec));
        else if ((spec & XS_MOUT) && cpu->code_mode == CODE64)
            cpu_lin(cpu, in->seg, ea, XS_SIZE(spec), ACC_WRITE);
    } else if (spec & (XS_RI | XS_DI)) {
        h.modrm = (uint8_t)((in->modrm & 0xf8) | (i != 0));
    } else {
        h.modrm = in->modrm;
    }
    unsigned top = x87_top(f), p0 = top, pi = (top + i) & 7, pp = (top - 1) & 7;
    h.in[0] = f->st[p0];
    h.in[1] = f->st[pi];
    bool under = ((spec & XS_R0) && x87_empty(f, p0)) ||
                 ((spec & (XS_RI | XS_R1)) && x87_empty(f, pi));
    bool over = !under && (spec & XS_PUSH) && !x87_empty(f, pp);
    if (under || over) {
        x87_stack_fault(cpu, in, spec, i, over, ea, &h);
        return;
    }
    if (!x87_host_run(&h))
        cpu_ud(cpu);
    unsigned exc = h.sw & FSW_EXC;
    unsigned unmasked = exc & ~f->fcw;
    /* An unmasked exception other than precision stores nothing. */
    if ((spec & XS_MOUT) && !(unmasked & (FSW_IE | FSW_DE | FSW_ZE | FSW_OE | FSW_UE)))
        cpu_write_block(cpu, in->seg, ea, h.mem, XS_SIZE(spec));
    x87_note(cpu, in, ea);

    /* Mirror the host's register changes.  With ST(i) = ST(0) the host ran
     * the ST(0) form and its second register is only a spare copy. */
    bool alias = i == 0;
    unsigned dst0 = XS_D0 | (alias ? XS_DI : 0), dst1 = alias ? 0 : (XS_DI | XS_D1);
    if (h.out_empty & 1) {
        f->st[p0] = h.out[0];
        x87_put_tag(f, p0, TAG_EMPTY);
    } else if (spec & dst0) {
        x87_write_phys(f, p0, h.out[0]);
    }
    if (!alias) {
        if (h.out_empty & 2) {
            f->st[pi] = h.out[1];
            x87_put_tag(f, pi, TAG_EMPTY);
        } else if (spec & dst1) {
            x87_write_phys(f, pi, h.out[1]);
        }
    }
    if (h.pushed > 0)
        x87_write_phys(f, pp, h.out[2]);
    x87_set_top(f, (unsigned)(top - h.pushed));
    f->fsw = (uint16_t)((f->fsw & ~FSW_CC) | (h.sw & FSW_CC) | exc);
    x87_update_es(f);
    if (spec & XS_COMI)
        flags_put(cpu, F_OSZAPC, h.eflags);
}

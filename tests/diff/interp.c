/* interp.c — runs a differential case in ringzero's interpreter.
 *
 * The guest is a flat machine (guest-physical == linear) with the same
 * windows and code page as the native runner, at CPL 3 like the host's user
 * code, so privilege checks (IOPL, CPL) behave as they do natively.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "vm/machine.h"

struct Interp {
    Machine m;
    bool have_low;
    uint16_t sel[6];
    uint8_t pristine[2][WIN_SIZE], initial[2][WIN_SIZE];
    DiffWin hi, lo;
};

Interp *interp_new(bool have_low, const uint16_t sel[6], const CpuModel *model, char *err,
                   size_t errlen)
{
    Interp *it = calloc(1, sizeof *it);
    if (!it) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (machine_init(&it->m, 512u << 20, err, errlen)) {
        free(it);
        return NULL;
    }
    cpu_set_model(&it->m.cpu, model);
    it->have_low = have_low;
    memcpy(it->sel, sel, sizeof it->sel);
    diffwin_init(&it->hi, it->m.mem.ram + WIN_HI, WIN_HI, it->pristine[0], it->initial[0]);
    if (have_low)
        diffwin_init(&it->lo, it->m.mem.ram + WIN_LO, WIN_LO, it->pristine[1], it->initial[1]);
    memset(it->m.mem.ram + CODE_PAGE, FILL_BYTE, CODE_SIZE);
    return it;
}

void interp_free(Interp *it)
{
    if (!it) return;
    machine_free(&it->m);
    free(it);
}

static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Full tag of a non-empty register, as FSTENV would report it. */
static unsigned tag_of(const F80 *r)
{
    unsigned e = r->se & 0x7fff;
    if (e == 0x7fff) return 2;
    if (e == 0) return r->mant ? 2 : 1;
    return (r->mant >> 63) ? 0 : 2;
}

static void fx_to_cpu(CPU *cpu, const uint8_t *fx)
{
    X87 *f = &cpu->fpu;
    f->fcw = get16(fx + FX_FCW);
    f->fsw = get16(fx + FX_FSW);
    unsigned top = (f->fsw >> 11) & 7;
    f->ftw = 0;
    for (unsigned i = 0; i < 8; i++) {
        unsigned p = (top + i) & 7;
        f->st[p].mant = get64(fx + FX_ST + 16 * i);
        f->st[p].se = get16(fx + FX_ST + 16 * i + 8);
    }
    for (unsigned p = 0; p < 8; p++)
        f->ftw |= (uint16_t)(((fx[FX_FTW] >> p) & 1 ? tag_of(&f->st[p]) : 3) << (2 * p));
    f->fop = 0;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
    memcpy(&cpu->mxcsr, fx + FX_MXCSR, 4);
    for (int i = 0; i < 16; i++)
        memcpy(&cpu->xmm[i], fx + FX_XMM + 16 * i, 16);
}

static void cpu_to_fx(const CPU *cpu, uint8_t *fx, int nxmm)
{
    const X87 *f = &cpu->fpu;
    memset(fx, 0, 512);
    put16(fx + FX_FCW, f->fcw);
    put16(fx + FX_FSW, f->fsw);
    unsigned top = (f->fsw >> 11) & 7;
    uint8_t abridged = 0;
    for (unsigned p = 0; p < 8; p++)
        if (((f->ftw >> (2 * p)) & 3) != 3)
            abridged |= (uint8_t)(1u << p);
    fx[FX_FTW] = abridged;
    put16(fx + FX_FOP, f->fop);
    for (unsigned i = 0; i < 8; i++) {
        unsigned p = (top + i) & 7;
        put64(fx + FX_ST + 16 * i, f->st[p].mant);
        put16(fx + FX_ST + 16 * i + 8, f->st[p].se);
    }
    memcpy(fx + FX_MXCSR, &cpu->mxcsr, 4);
    for (int i = 0; i < nxmm; i++)
        memcpy(fx + FX_XMM + 16 * i, &cpu->xmm[i], 16);
}

/* The r/m operand's value before the instruction, for rules like "BSF's
 * destination is undefined when the source is zero". */
static uint64_t e_operand(CPU *cpu, const Insn *in)
{
    unsigned size = in->osz ? in->osz : 4;
    if (!(in->flags & IF_MEM))
        return cpu_get_reg(cpu, size == 1 ? in->rm8 : in->rm, size);
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    uint64_t v = 0;
    cpu->fault_jmp = &jb;
    if (!setjmp(jb))
        v = cpu_read(cpu, in->seg, insn_ea(cpu, in), size);
    cpu->fault_jmp = saved;
    cpu->exc_vector = -1;
    return v;
}

void interp_run(Interp *it, int mode, const GenCase *gc, Outcome *out, uint64_t *e_value)
{
    Machine *m = &it->m;
    CPU *cpu = &m->cpu;
    const DiffCase *c = &gc->c;

    diffwin_prepare(&it->hi, c);
    if (it->have_low)
        diffwin_prepare(&it->lo, c);
    uint8_t *code = m->mem.ram + CODE_INSN;
    memset(code, FILL_BYTE, 16);
    memcpy(code, c->insn, c->insn_len);

    cpu_reset_flat(cpu, mode, CODE_INSN);
    /* User mode as on the host: CPL 3, DPL 3 segments, IOPL 0, IF set;
     * CR0 as Linux runs it (MP, WP, AM besides PE/ET/NE). */
    cpu->cpl = 3;
    /* Only the selector values: the descriptor caches stay flat (the host's
     * null or TLS FS/GS are never used as overrides by the generator). */
    for (int i = 0; i < 6; i++) {
        cpu->seg[i].attr |= 0x60;
        cpu->seg[i].sel = it->sel[i];
    }
    cpu->cr0 |= (1u << 1) | (1u << 16) | (1u << 18);
    int nregs = mode == CODE64 ? 16 : 8;
    for (int i = 0; i < 16; i++)
        cpu->regs[i] = i < nregs ? c->in.gpr[i] : 0;
    cpu->eflags = (uint32_t)((c->in.rflags & 0x0cd5) | 0x202);
    cpu->lf.op = LF_NONE;
    fx_to_cpu(cpu, c->in.fx);
    cpu->halted = 0;

    *e_value = e_operand(cpu, &gc->in);

    int r = cpu_step(cpu);
    memset(out, 0, sizeof *out);
    out->status = r == RUN_EXCEPTION ? ST_EXC : ST_DONE;
    out->vector = r == RUN_EXCEPTION ? cpu->exc_vector : -1;
    out->err = cpu->exc_has_error ? cpu->exc_error : 0;
    for (int i = 0; i < nregs; i++)
        out->st.gpr[i] = mode == CODE64 ? cpu->regs[i] : (uint32_t)cpu->regs[i];
    out->st.rip = mode == CODE64 ? cpu->rip : (uint32_t)cpu->rip;
    out->st.rflags = cpu_get_eflags(cpu);
    cpu_to_fx(cpu, out->st.fx, nregs);
    diffwin_scan(&it->hi);
    if (it->have_low)
        diffwin_scan(&it->lo);
    diff_summarise(&out->mem, &it->hi, it->have_low ? &it->lo : NULL);
    diffwin_restore(&it->hi, c);
    if (it->have_low)
        diffwin_restore(&it->lo, c);
}

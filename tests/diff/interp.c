/* interp.c — runs a differential case in ringzero: tier 0 (the
 * interpreter, one cpu_step) or tier 1 (the case's block translated before
 * its first run and entered from the execution loop).
 *
 * The guest is a flat machine (guest-physical == linear) with the same
 * windows and code page as the native runner, at CPL 3 like the host's user
 * code, so privilege checks (IOPL, CPL) behave as they do natively.
 *
 * Tier 1 runs through cpu_run, which delivers exceptions; the guest has no
 * IDT, so the first event is caught where the CPU reports it
 * (cpu->trace_event, called before anything of the delivery is done) and
 * the run is abandoned there, the state as at the raise.  The case's
 * instruction is followed by INT3 fill: an instruction that does not end
 * its block is translated with that INT3 (a block of two, budget 2), and
 * its completion shows as the INT3's #BP with one instruction retired; one
 * that ends its block (branches, string forms, POPF) runs alone (budget 1).
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "dbt/dbt.h"
#include "vm/machine.h"

struct Interp {
    Machine m;            /* first: the CPU's opaque is the Interp too */
    bool have_low;
    bool tier1;
    uint16_t sel[6];
    uint8_t pristine[2][WIN_SIZE], initial[2][WIN_SIZE];
    DiffWin hi, lo;
    /* tier 1: where the trace hook leaves the run, and what it saw */
    jmp_buf *catch_jmp;
    int ev_vector, ev_kind;
    int64_t ev_error;
    InterpTier1 t1;
};

/* The first event of a tier-1 run: taken before its delivery changes
 * anything, and the run ends here. */
static void catch_event(CPU *cpu, int vector, int64_t error, int kind)
{
    Interp *it = (Interp *)cpu->opaque;
    it->ev_vector = vector;
    it->ev_error = error;
    it->ev_kind = kind;
    if (it->catch_jmp)
        longjmp(*it->catch_jmp, 1);
}

Interp *interp_new(bool have_low, const uint16_t sel[6], const CpuModel *model, bool tier1,
                   char *err, size_t errlen)
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
    it->tier1 = tier1;
    if (tier1) {
        /* threshold 0: the first run of a block is a translated one */
        DbtOptions o = { .threshold = 0, .code_bytes = 1u << 20 };
        if (machine_use_dbt(&it->m, &o, err, errlen)) {
            interp_free(it);
            return NULL;
        }
        it->m.cpu.trace_event = catch_event;
    }
    return it;
}

const InterpTier1 *interp_tier1(const Interp *it) { return &it->t1; }

void interp_print_tbstats(const Interp *it, FILE *f)
{
    if (it->m.dbt)
        dbt_print_stats(it->m.dbt, f);
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

/* The case's initial state in the guest: memory windows, code, registers. */
static void setup(Interp *it, int mode, const GenCase *gc)
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
}

/* The state after the case into out; the windows back to pristine. */
static void collect(Interp *it, int mode, const GenCase *gc, Outcome *out)
{
    CPU *cpu = &it->m.cpu;
    int nregs = mode == CODE64 ? 16 : 8;
    for (int i = 0; i < nregs; i++)
        out->st.gpr[i] = mode == CODE64 ? cpu->regs[i] : (uint32_t)cpu->regs[i];
    out->st.rip = mode == CODE64 ? cpu->rip : (uint32_t)cpu->rip;
    out->st.rflags = cpu_get_eflags(cpu);
    cpu_to_fx(cpu, out->st.fx, nregs);
    diffwin_scan(&it->hi);
    if (it->have_low)
        diffwin_scan(&it->lo);
    diff_summarise(&out->mem, &it->hi, it->have_low ? &it->lo : NULL);
    diffwin_restore(&it->hi, &gc->c);
    if (it->have_low)
        diffwin_restore(&it->lo, &gc->c);
}

/* cpu_run up to the first event; apart, so nothing of the caller lives
 * across the setjmp.  Returns cpu_run's result, or -1 for an event. */
static __attribute__((noinline)) int run_caught(Interp *it, uint64_t budget)
{
    CPU *cpu = &it->m.cpu;
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    int r = -1;
    it->catch_jmp = &jb;
    if (!setjmp(jb))
        r = cpu_run(cpu, budget);
    it->catch_jmp = NULL;
    cpu->fault_jmp = saved;   /* an event left cpu_run without restoring it */
    return r;
}

/* Tier 1: the outcome as cpu_step's would be, and how it ran in t1. */
static void run_tier1(Interp *it, const GenCase *gc, Outcome *out)
{
    CPU *cpu = &it->m.cpu;
    const DbtStats *s = dbt_stats(it->m.dbt);
    /* The code page was rewritten behind the cache's back. */
    codecache_flush(it->m.cc);
    uint64_t start = cpu->icount, translated = s->translated, runs = s->runs, refused = s->refused,
             unencodable = s->unencodable;
    bool ends = (form_info[gc->in.form].attrs & A_END) != 0;
    it->ev_vector = -1;
    int r = run_caught(it, ends ? 1 : 2);
    uint64_t retired = cpu->icount - start;
    InterpTier1 *t = &it->t1;
    t->ran = s->runs > runs && s->refused == refused;
    t->translated = s->translated > translated;
    t->note[0] = 0;
    if (r < 0 && retired == 0) {
        /* the instruction raised it (or its fetch/decode did: no block) */
        out->status = ST_EXC;
        out->vector = it->ev_vector;
        out->err = it->ev_error >= 0 ? (uint32_t)it->ev_error : 0;
    } else if (r < 0 && retired == 1 && !ends && it->ev_vector == EXC_BP &&
               it->ev_kind == TRACE_SOFT && cpu->rip == CODE_INSN + gc->c.insn_len) {
        out->status = ST_DONE;   /* it completed; the INT3 after it trapped */
    } else if (r == RUN_LIMIT && retired == 1 && ends) {
        out->status = ST_DONE;
    } else {
        out->status = ST_BADRUN;
        snprintf(t->note, sizeof t->note, "tier-1 run ended oddly: cpu_run %d, %llu retired, "
                 "event vector %d kind %d at rip %#llx", r, (unsigned long long)retired,
                 it->ev_vector, it->ev_kind, (unsigned long long)cpu->rip);
    }
    if (s->refused > refused && !t->note[0])
        snprintf(t->note, sizeof t->note, "tier 1 refused the block (%s)",
                 s->unencodable > unencodable ? "the emitter could not encode it" : "left in tier 0");
    else if (!t->ran && t->translated && !t->note[0])
        snprintf(t->note, sizeof t->note, "tier 1 translated the block but did not run it");
}

void interp_run(Interp *it, int mode, const GenCase *gc, Outcome *out, uint64_t *e_value)
{
    CPU *cpu = &it->m.cpu;
    setup(it, mode, gc);
    *e_value = e_operand(cpu, &gc->in);
    memset(out, 0, sizeof *out);
    if (it->tier1) {
        run_tier1(it, gc, out);
    } else {
        int r = cpu_step(cpu);
        out->status = r == RUN_EXCEPTION ? ST_EXC : ST_DONE;
        out->vector = r == RUN_EXCEPTION ? cpu->exc_vector : -1;
        out->err = cpu->exc_has_error ? cpu->exc_error : 0;
    }
    if (out->status != ST_EXC)
        out->vector = -1;
    collect(it, mode, gc, out);
}

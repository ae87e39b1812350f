/* interrupt.c — exception and interrupt delivery in real, protected,
 * virtual-8086 and long mode; #DF and triple-fault escalation; NMI.
 *
 * Delivery reads and checks everything first, then writes the new stack,
 * then commits registers: a fault on the way leaves the interrupted state
 * intact for the next attempt (the #DF rules decide which one).
 */
#include "interrupt.h"

#include <stddef.h>

#include "operand.h"
#include "sys.h"
#include "../softmmu/mem.h"

/* -d int: one report per event, before its delivery (NULL when off). */
static inline void trace(CPU *cpu, int kind, int vector, bool has_error, uint32_t error)
{
    if (cpu->trace_event)
        cpu->trace_event(cpu, vector, has_error ? (int64_t)error : -1, kind);
}

static void real_mode_vector(CPU *cpu, int vector, uint64_t return_ip)
{
    if ((uint32_t)vector * 4 + 3 > cpu->idtr.limit)
        cpu_raise(cpu, EXC_GP, 0, false);
    uint32_t ent = (uint32_t)cpu_lin_read(cpu, cpu->idtr.base + (uint64_t)vector * 4, 4);
    uint32_t flags = cpu_get_eflags(cpu);
    unsigned ss = cpu_stack_size(cpu);
    uint64_t sp = cpu->regs[R_SP];
    cpu_check_write(cpu, S_SS, (sp - 6) & size_mask(ss), 6);
    cpu_push(cpu, flags, 2);
    cpu_push(cpu, cpu->seg[S_CS].sel, 2);
    cpu_push(cpu, return_ip, 2);
    cpu->eflags &= ~(uint32_t)(F_IF | F_TF | F_AC | F_RF);
    seg_real(cpu, S_CS, (uint16_t)(ent >> 16));
    cpu->rip = cpu->next_rip = ent & 0xffff;
}

/* Faults (not traps, aborts or interrupts) save EFLAGS with RF set so the
 * restarted instruction does not re-trigger an instruction breakpoint. */
static bool is_fault(int v)
{
    return v == 0 || (v >= 5 && v <= 7) || (v >= 10 && v <= 14) || v == 16 || v == 17 || v == 19;
}

/* Linear address of [off, off+size) in a stack segment that may not be
 * loaded yet; raises #SS(sel) outside its limits. */
static uint64_t stack_lin(CPU *cpu, const Seg *s, uint64_t off, unsigned size, uint16_t sel)
{
    if ((s->attr & 0xc) == 0x4) {  /* expand-down */
        uint64_t top = (s->attr & SA_DB) ? 0xffffffffull : 0xffffull;
        if (off <= s->limit || off + size - 1 > top)
            cpu_raise(cpu, EXC_SS, sel_err(cpu, sel), true);
    } else if (off + size - 1 > s->limit) {
        cpu_raise(cpu, EXC_SS, sel_err(cpu, sel), true);
    }
    return (uint32_t)(s->base + off);
}

/* Writes n values of osz bytes below sp (vals[0] highest, as pushed first)
 * in segment s; returns the new stack pointer.  wide_sp: the stack uses
 * 32-bit offsets.  Every byte is checked before any is written. */
static uint64_t push_frame(CPU *cpu, const Seg *s, uint16_t sel, uint64_t sp, bool wide_sp,
                           const uint64_t *vals, unsigned n, unsigned osz, bool super)
{
    uint64_t mask = wide_sp ? 0xffffffffull : 0xffffull;
    uint64_t nsp = (sp - (uint64_t)n * osz) & mask;
    uint64_t lin[16];
    for (unsigned i = 0; i < n; i++)
        lin[i] = stack_lin(cpu, s, (sp - (uint64_t)(i + 1) * osz) & mask, osz, sel);
    for (unsigned i = 0; i < n; i++) {
        if (super)
            sys_write(cpu, lin[i], vals[i], osz);
        else
            cpu_lin_write(cpu, lin[i], vals[i], osz);
    }
    return nsp;
}

static void check_gate_target(CPU *cpu, uint16_t sel, Desc *c)
{
    if ((sel & 0xfffc) == 0)
        cpu_raise(cpu, EXC_GP, cpu->event_ext, true);
    if (!desc_read(cpu, sel, c) || !desc_code(c) || desc_dpl(c) > cpu->cpl)
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_present(c))
        raise_sel(cpu, EXC_NP, sel);
}

static void finish_flags(CPU *cpu, bool int_gate)
{
    cpu->eflags &= ~(uint32_t)(F_TF | F_NT | F_RF | F_VM);
    if (int_gate)
        cpu->eflags &= ~(uint32_t)F_IF;
}

static void deliver_prot(CPU *cpu, int vector, uint64_t return_rip, bool software, bool has_error,
                         uint32_t error)
{
    const uint32_t idt_err = (uint32_t)vector * 8 + 2 + cpu->event_ext;
    if ((uint32_t)vector * 8 + 7 > cpu->idtr.limit)
        cpu_raise(cpu, EXC_GP, idt_err, true);
    uint64_t raw = sys_read(cpu, cpu->idtr.base + (uint64_t)vector * 8, 8);
    Desc g = { (uint32_t)raw, (uint32_t)(raw >> 32), 0 };
    unsigned type = desc_type(&g);
    if (desc_s(&g) || !(type == DT_TASKGATE || type == DT_INTGATE16 || type == DT_TRAPGATE16 ||
                         type == DT_INTGATE32 || type == DT_TRAPGATE32))
        cpu_raise(cpu, EXC_GP, idt_err, true);
    if (software && desc_dpl(&g) < cpu->cpl)
        cpu_raise(cpu, EXC_GP, idt_err, true);
    if (!desc_present(&g))
        cpu_raise(cpu, EXC_NP, idt_err, true);

    uint32_t eflags = cpu_get_eflags(cpu);
    if (!software && is_fault(vector))
        eflags |= F_RF;

    if (type == DT_TASKGATE) {
        uint16_t tsel = gate_sel(&g);
        Desc t;
        if ((tsel & 4) || !desc_read(cpu, tsel, &t))
            raise_sel(cpu, EXC_GP, tsel);
        task_switch(cpu, tsel, &t, TS_INT, return_rip);
        if (has_error) {
            unsigned osz = (cpu->tr.attr & 8) ? 4 : 2;
            unsigned ss = cpu_stack_size(cpu);
            uint64_t sp = (cpu->regs[R_SP] - osz) & size_mask(ss);
            cpu_write(cpu, S_SS, sp, osz, error);
            set_reg(cpu, R_SP, ss, sp);
        }
        if (cpu->rip > cpu->seg[S_CS].limit)
            cpu_raise(cpu, EXC_GP, cpu->event_ext, true);
        cpu->next_rip = cpu->rip;
        return;
    }

    bool wide = type >= DT_INTGATE32;
    unsigned osz = wide ? 4 : 2;
    uint16_t sel = gate_sel(&g);
    uint64_t off = gate_off(&g, wide);
    Desc c;
    check_gate_target(cpu, sel, &c);
    unsigned dpl = desc_dpl(&c);
    bool vm = (cpu->eflags & F_VM) != 0;
    uint64_t vals[10];
    unsigned n = 0;

    if (!desc_conforming(&c) && dpl < cpu->cpl) {
        if (vm && dpl != 0)
            raise_sel(cpu, EXC_GP, sel);
        uint16_t nss;
        uint64_t nsp;
        tss_stack(cpu, dpl, &nss, &nsp);
        Desc sd;
        check_stack_seg(cpu, nss, dpl, &sd, EXC_TS);
        Seg news;
        seg_from_desc(&news, nss, &sd);
        if (off > desc_limit(&c))
            cpu_raise(cpu, EXC_GP, cpu->event_ext, true);
        if (vm) {
            vals[n++] = cpu->seg[S_GS].sel;
            vals[n++] = cpu->seg[S_FS].sel;
            vals[n++] = cpu->seg[S_DS].sel;
            vals[n++] = cpu->seg[S_ES].sel;
        }
        vals[n++] = cpu->seg[S_SS].sel;
        vals[n++] = cpu->regs[R_SP] & size_mask(cpu_stack_size(cpu));
        vals[n++] = eflags;
        vals[n++] = cpu->seg[S_CS].sel;
        vals[n++] = return_rip;
        if (has_error)
            vals[n++] = error;
        bool wide_sp = (sd.hi & (1u << 22)) != 0;
        desc_set_accessed(cpu, nss, &sd);
        desc_set_accessed(cpu, sel, &c);
        uint64_t sp = push_frame(cpu, &news, nss, nsp, wide_sp, vals, n, osz, true);
        news.attr = desc_attr(&sd);
        cpu->seg[S_SS] = news;
        set_reg(cpu, R_SP, wide_sp ? 4 : 2, sp);
        if (vm)
            for (int r = S_ES; r <= S_GS; r++)
                if (r != S_CS && r != S_SS)
                    seg_null(&cpu->seg[r], 0);
        finish_flags(cpu, (type & 1) == 0);
        load_cs(cpu, sel, &c, dpl);
    } else {
        if (vm)
            raise_sel(cpu, EXC_GP, sel);
        if (off > desc_limit(&c))
            cpu_raise(cpu, EXC_GP, cpu->event_ext, true);
        vals[n++] = eflags;
        vals[n++] = cpu->seg[S_CS].sel;
        vals[n++] = return_rip;
        if (has_error)
            vals[n++] = error;
        bool wide_sp = (cpu->seg[S_SS].attr & SA_DB) != 0;
        desc_set_accessed(cpu, sel, &c);
        uint64_t sp = push_frame(cpu, &cpu->seg[S_SS], cpu->seg[S_SS].sel, cpu->regs[R_SP],
                                 wide_sp, vals, n, osz, cpu->cpl < 3);
        set_reg(cpu, R_SP, wide_sp ? 4 : 2, sp);
        finish_flags(cpu, (type & 1) == 0);
        load_cs(cpu, sel, &c, cpu->cpl);
    }
    cpu->rip = cpu->next_rip = off;
}

/* IA-32e mode: 16-byte gates, 64-bit frames always including SS:RSP, the
 * stack aligned to 16 and optionally switched to an IST entry. */
static void deliver_long(CPU *cpu, int vector, uint64_t return_rip, bool software, bool has_error,
                         uint32_t error)
{
    const uint32_t idt_err = (uint32_t)vector * 8 + 2 + cpu->event_ext;
    if ((uint32_t)vector * 16 + 15 > cpu->idtr.limit)
        cpu_raise(cpu, EXC_GP, idt_err, true);
    uint64_t a = cpu->idtr.base + (uint64_t)vector * 16;
    uint64_t raw = sys_read(cpu, a, 8), raw2 = sys_read(cpu, a + 8, 8);
    Desc g = { (uint32_t)raw, (uint32_t)(raw >> 32), raw2 };
    unsigned type = desc_type(&g);
    if (desc_s(&g) || (type != DT_INTGATE32 && type != DT_TRAPGATE32))
        cpu_raise(cpu, EXC_GP, idt_err, true);
    if (software && desc_dpl(&g) < cpu->cpl)
        cpu_raise(cpu, EXC_GP, idt_err, true);
    if (!desc_present(&g))
        cpu_raise(cpu, EXC_NP, idt_err, true);
    uint16_t sel = gate_sel(&g);
    uint64_t off = gate_off(&g, true) | (raw2 << 32);
    unsigned ist = g.hi & 7;
    Desc c;
    check_gate_target(cpu, sel, &c);
    if (!(c.hi & (1u << 21)) || (c.hi & (1u << 22)))
        raise_sel(cpu, EXC_GP, sel);  /* the handler must be 64-bit code */
    unsigned dpl = desc_dpl(&c);
    unsigned new_cpl = (!desc_conforming(&c) && dpl < cpu->cpl) ? dpl : cpu->cpl;
    uint64_t rsp = cpu->regs[R_SP];
    if (ist || new_cpl != cpu->cpl) {
        uint32_t to = ist ? 0x24 + (ist - 1) * 8 : 4 + new_cpl * 8;
        if (to + 7 > cpu->tr.limit)
            raise_sel(cpu, EXC_TS, cpu->tr.sel);
        rsp = sys_read(cpu, cpu->tr.base + to, 8);
    }
    if (!is_canonical(off))
        cpu_raise(cpu, EXC_GP, cpu->event_ext, true);
    rsp &= ~15ull;
    uint32_t eflags = cpu_get_eflags(cpu);
    if (!software && is_fault(vector))
        eflags |= F_RF;
    uint64_t vals[6] = { cpu->seg[S_SS].sel, cpu->regs[R_SP], eflags, cpu->seg[S_CS].sel,
                         return_rip, error };
    unsigned n = has_error ? 6 : 5;
    if (!is_canonical(rsp - 8 * n) || !is_canonical(rsp - 1))
        cpu_raise(cpu, EXC_SS, cpu->event_ext, true);
    desc_set_accessed(cpu, sel, &c);
    for (unsigned i = 0; i < n; i++) {
        if (new_cpl < 3)
            sys_write(cpu, rsp - 8 * (i + 1), vals[i], 8);
        else
            cpu_lin_write(cpu, rsp - 8 * (i + 1), vals[i], 8);
    }
    if (new_cpl != cpu->cpl)
        seg_null(&cpu->seg[S_SS], (uint16_t)new_cpl);
    cpu->regs[R_SP] = rsp - 8 * n;
    finish_flags(cpu, type == DT_INTGATE32);
    load_cs(cpu, sel, &c, new_cpl);
    cpu->rip = cpu->next_rip = off;
}

void deliver_event(CPU *cpu, int vector, uint64_t return_rip, bool software, bool has_error,
                   uint32_t error)
{
    if (!(cpu->cr0 & CR0_PE))
        real_mode_vector(cpu, vector, return_rip);
    else if (long_mode(cpu))
        deliver_long(cpu, vector, return_rip, software, has_error, error);
    else
        deliver_prot(cpu, vector, return_rip, software, has_error, error);
}

/* software: INT n, INT3, INTO (gate DPL checked; without VME, v8086 code
 * at IOPL < 3 may not use them). */
void cpu_interrupt(CPU *cpu, int vector, uint64_t return_rip, bool software)
{
    if (software && (cpu->eflags & F_VM) && iopl(cpu) < 3)
        cpu_gp0(cpu);
    trace(cpu, software ? TRACE_SOFT : TRACE_EXT, vector, false, 0);
    deliver_event(cpu, vector, return_rip, software, false, 0);
}

/* Classes for the double-fault rules: benign, contributory, page fault. */
enum { EC_BENIGN, EC_CONTRIB, EC_PF };
static int exc_class(int v)
{
    if (v == EXC_DE || (v >= EXC_TS && v <= EXC_GP))
        return EC_CONTRIB;
    return v == EXC_PF ? EC_PF : EC_BENIGN;
}

static void chain_add(CPU *cpu, int v, uint32_t err, bool has_error)
{
    if (cpu->exc_chain_len >= sizeof cpu->exc_chain / sizeof cpu->exc_chain[0])
        return;
    cpu->exc_chain[cpu->exc_chain_len].vector = (int16_t)v;
    cpu->exc_chain[cpu->exc_chain_len].error = err;
    cpu->exc_chain[cpu->exc_chain_len].has_error = has_error;
    cpu->exc_chain_len++;
}

bool cpu_deliver_exception(CPU *cpu)
{
    volatile int vec = cpu->exc_vector;
    volatile uint32_t err = cpu->exc_error;
    volatile bool has_err = cpu->exc_has_error;
    jmp_buf jb, *saved = cpu->fault_jmp;
    cpu->exc_chain_len = 0;
    chain_add(cpu, vec, err, has_err);
    trace(cpu, TRACE_EXC, vec, has_err, err);
    cpu->intr_shadow = 0;
    cpu->halted = 0;
    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        int v2 = cpu->exc_vector;
        chain_add(cpu, v2, cpu->exc_error, cpu->exc_has_error);
        trace(cpu, vec == EXC_DF ? TRACE_TRIPLE : TRACE_NESTED, v2, cpu->exc_has_error,
              cpu->exc_error);
        if (vec == EXC_DF) {
            cpu->triple_fault = 1;
            cpu->event_ext = 0;
            cpu->fault_jmp = saved;
            return false;
        }
        int c1 = exc_class(vec), c2 = exc_class(v2);
        if ((c1 == EC_CONTRIB && c2 == EC_CONTRIB) || (c1 == EC_PF && c2 != EC_BENIGN)) {
            vec = EXC_DF;
            err = 0;
            has_err = true;
            chain_add(cpu, EXC_DF, 0, true);
            trace(cpu, TRACE_DOUBLE, EXC_DF, true, 0);
        } else {
            vec = v2;
            err = cpu->exc_error;
            has_err = cpu->exc_has_error;
        }
    }
    cpu->event_ext = 1;
    deliver_event(cpu, vec, cpu->rip, false, has_err, err);
    cpu->event_ext = 0;
    cpu->fault_jmp = saved;
    cpu->exc_vector = -1;
    return true;
}

void cpu_nmi(CPU *cpu)
{
    cpu->nmi_pending = 1;
}

bool cpu_poll_interrupts(CPU *cpu)
{
    if (cpu->nmi_pending && !cpu->nmi_blocked) {
        cpu->nmi_pending = 0;
        cpu->nmi_blocked = 1;
        cpu->halted = 0;
        cpu->event_ext = 1;
        trace(cpu, TRACE_NMI, EXC_NMI, false, 0);
        deliver_event(cpu, EXC_NMI, cpu->rip, false, false, 0);
        cpu->event_ext = 0;
        return true;
    }
    if (!cpu->intr_pending || !(cpu->eflags & F_IF) || !cpu->intr_pending(cpu))
        return false;
    int vector = cpu->intr_ack(cpu);
    cpu->halted = 0;
    cpu->event_ext = 1;
    trace(cpu, TRACE_EXT, vector, false, 0);
    deliver_event(cpu, vector, cpu->rip, false, false, 0);
    cpu->event_ext = 0;
    return true;
}

/* ICEBP (F1): a #DB trap without the gate-DPL and IOPL checks. */
void INT1(CPU *cpu, const Insn *in)
{
    (void)in;
    cpu->event_ext = 1;
    trace(cpu, TRACE_EXC, EXC_DB, false, 0);
    deliver_event(cpu, EXC_DB, cpu->next_rip, false, false, 0);
    cpu->event_ext = 0;
}

/* Mnemonics from the SDM's table 6-1 (28-30 from the AMD APM); reserved
 * vectors have none and are shown by number. */
static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9", "#TS", "#NP",
    "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
    "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

const char *exc_name(int vector)
{
    return vector >= 0 && vector < 32 ? exc_names[vector] : NULL;
}

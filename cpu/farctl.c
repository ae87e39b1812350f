/* farctl.c — far JMP/CALL/RET, call gates, task gates, IRET, and the fast
 * system calls (SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS). */
#include "sys.h"

#include "interrupt.h"
#include "operand.h"
#include "../softmmu/mem.h"

/* Reads size bytes at SS:sp+off of the current stack (offset wraps to the
 * stack's width). */
static uint64_t stack_peek(CPU *cpu, uint64_t off, unsigned size)
{
    unsigned ss = cpu_stack_size(cpu);
    return cpu_read(cpu, S_SS, (cpu->regs[R_SP] + off) & size_mask(ss), size);
}

/* Pushes vals[0..n) (vals[0] first) of osz bytes on the current stack,
 * checking every slot before writing any. */
static void push_all(CPU *cpu, const uint64_t *vals, unsigned n, unsigned osz)
{
    unsigned ss = cpu_stack_size(cpu);
    uint64_t sp = cpu->regs[R_SP];
    for (unsigned i = 0; i < n; i++)
        cpu_check_write(cpu, S_SS, (sp - (i + 1) * (uint64_t)osz) & size_mask(ss), osz);
    for (unsigned i = 0; i < n; i++)
        cpu_write(cpu, S_SS, (sp - (i + 1) * (uint64_t)osz) & size_mask(ss), osz, vals[i]);
    set_reg(cpu, R_SP, ss, sp - n * (uint64_t)osz);
}

/* A code segment as a far-transfer target: 64-bit code needs a canonical
 * offset, everything else an offset within the limit. */
static void check_target(CPU *cpu, const Desc *c, uint64_t off)
{
    bool code64 = long_mode(cpu) && (c->hi & (1u << 21));
    if (code64 ? !is_canonical(off) : off > desc_limit(c))
        cpu_gp0(cpu);
}

static bool long_code_ok(const CPU *cpu, const Desc *c)
{
    /* L and D together are reserved in IA-32e mode. */
    return !long_mode(cpu) || !((c->hi & (1u << 21)) && (c->hi & (1u << 22)));
}

static void far_real(CPU *cpu, uint16_t sel, uint64_t off, unsigned osz, bool call)
{
    if ((off & size_mask(osz)) > cpu->seg[S_CS].limit)
        cpu_gp0(cpu);
    if (call) {
        uint64_t v[2] = { cpu->seg[S_CS].sel, cpu->next_rip };
        push_all(cpu, v, 2, osz);
    }
    seg_real(cpu, S_CS, sel);
    cpu->next_rip = off & size_mask(osz);
}

static void call_gate(CPU *cpu, uint16_t gsel, const Desc *g, unsigned osz, bool call)
{
    bool lm = long_mode(cpu);
    Desc gd = *g;
    if (lm) {
        if (!desc_read_sys(cpu, gsel, &gd))
            raise_sel(cpu, EXC_GP, gsel);
        if (((gd.hi64 >> 40) & 0x1f) != 0)
            raise_sel(cpu, EXC_GP, gsel);
    }
    uint16_t csel = gate_sel(&gd);
    bool wide = desc_type(&gd) == DT_CALLGATE32;
    uint64_t off = gate_off(&gd, wide) | (lm ? gd.hi64 << 32 : 0);
    Desc c;
    if ((csel & 0xfffc) == 0)
        cpu_gp0(cpu);
    if (!desc_read(cpu, csel, &c) || !desc_code(&c) || desc_dpl(&c) > cpu->cpl)
        raise_sel(cpu, EXC_GP, csel);
    if (lm && (!(c.hi & (1u << 21)) || (c.hi & (1u << 22))))
        raise_sel(cpu, EXC_GP, csel);
    if (!desc_present(&c))
        raise_sel(cpu, EXC_NP, csel);
    unsigned dpl = desc_dpl(&c);
    unsigned gosz = lm ? 8 : wide ? 4 : 2;
    (void)osz;
    if (!call) {
        if (!desc_conforming(&c) && dpl != cpu->cpl)
            raise_sel(cpu, EXC_GP, csel);
        check_target(cpu, &c, off);
        desc_set_accessed(cpu, csel, &c);
        load_cs(cpu, csel, &c, cpu->cpl);
        cpu->next_rip = off;
        return;
    }
    if (desc_conforming(&c) || dpl == cpu->cpl) {
        check_target(cpu, &c, off);
        uint64_t v[2] = { cpu->seg[S_CS].sel, cpu->next_rip };
        push_all(cpu, v, 2, gosz);
        desc_set_accessed(cpu, csel, &c);
        load_cs(cpu, csel, &c, cpu->cpl);
        cpu->next_rip = off;
        return;
    }
    /* To an inner level: switch to that level's stack from the TSS. */
    check_target(cpu, &c, off);
    if (lm) {
        uint32_t to = 4 + dpl * 8;
        if (to + 7 > cpu->tr.limit)
            raise_sel(cpu, EXC_TS, cpu->tr.sel);
        uint64_t rsp = sys_read(cpu, cpu->tr.base + to, 8);
        if (!is_canonical(rsp) || !is_canonical(rsp - 32))
            cpu_raise(cpu, EXC_SS, 0, true);
        uint64_t v[4] = { cpu->seg[S_SS].sel, cpu->regs[R_SP], cpu->seg[S_CS].sel, cpu->next_rip };
        desc_set_accessed(cpu, csel, &c);
        for (int i = 0; i < 4; i++)
            sys_write(cpu, rsp - 8 * (i + 1), v[i], 8);
        seg_null(&cpu->seg[S_SS], (uint16_t)dpl);
        cpu->regs[R_SP] = rsp - 32;
        load_cs(cpu, csel, &c, dpl);
        cpu->next_rip = off;
        return;
    }
    uint16_t nss;
    uint64_t nsp;
    tss_stack(cpu, dpl, &nss, &nsp);
    Desc sd;
    check_stack_seg(cpu, nss, dpl, &sd, EXC_TS);
    unsigned nparams = gd.hi & 31;
    uint64_t vals[36];
    unsigned n = 0;
    vals[n++] = cpu->seg[S_SS].sel;
    vals[n++] = cpu->regs[R_SP] & size_mask(cpu_stack_size(cpu));
    for (unsigned i = nparams; i-- > 0;)
        vals[n++] = stack_peek(cpu, (uint64_t)i * gosz, gosz);
    vals[n++] = cpu->seg[S_CS].sel;
    vals[n++] = cpu->next_rip;
    Seg news;
    seg_from_desc(&news, nss, &sd);
    bool wide_sp = (sd.hi & (1u << 22)) != 0;
    uint64_t mask = wide_sp ? 0xffffffffull : 0xffffull;
    uint64_t lin[36];
    for (unsigned i = 0; i < n; i++) {
        uint64_t o = (nsp - (uint64_t)(i + 1) * gosz) & mask;
        bool bad = (news.attr & 0xc) == 0x4 ? (o <= news.limit || o + gosz - 1 > mask)
                                              : o + gosz - 1 > news.limit;
        if (bad)
            raise_sel(cpu, EXC_SS, nss);
        lin[i] = (uint32_t)(news.base + o);
    }
    desc_set_accessed(cpu, nss, &sd);
    desc_set_accessed(cpu, csel, &c);
    for (unsigned i = 0; i < n; i++)
        sys_write(cpu, lin[i], vals[i], gosz);
    news.attr = desc_attr(&sd);
    cpu->seg[S_SS] = news;
    set_reg(cpu, R_SP, wide_sp ? 4 : 2, nsp - (uint64_t)n * gosz);
    load_cs(cpu, csel, &c, dpl);
    cpu->next_rip = off;
}

void far_jump_or_call(CPU *cpu, uint16_t sel, uint64_t off, unsigned osz, bool call)
{
    if (!prot_mode(cpu)) {
        far_real(cpu, sel, off, osz, call);
        return;
    }
    if ((sel & 0xfffc) == 0)
        cpu_gp0(cpu);
    Desc d;
    if (!desc_read(cpu, sel, &d))
        raise_sel(cpu, EXC_GP, sel);
    unsigned rpl = sel & 3, dpl = desc_dpl(&d);
    if (desc_s(&d)) {
        if (!desc_code(&d) || !long_code_ok(cpu, &d))
            raise_sel(cpu, EXC_GP, sel);
        if (desc_conforming(&d) ? dpl > cpu->cpl : (rpl > cpu->cpl || dpl != cpu->cpl))
            raise_sel(cpu, EXC_GP, sel);
        if (!desc_present(&d))
            raise_sel(cpu, EXC_NP, sel);
        if (osz != 8)
            off &= size_mask(osz);
        check_target(cpu, &d, off);
        if (call) {
            uint64_t v[2] = { cpu->seg[S_CS].sel, cpu->next_rip };
            push_all(cpu, v, 2, osz);
        }
        desc_set_accessed(cpu, sel, &d);
        load_cs(cpu, sel, &d, cpu->cpl);
        cpu->next_rip = off;
        return;
    }
    unsigned type = desc_type(&d);
    bool lm = long_mode(cpu);
    if (type == DT_CALLGATE32 || (!lm && type == DT_CALLGATE16)) {
        if (dpl < cpu->cpl || dpl < rpl)
            raise_sel(cpu, EXC_GP, sel);
        if (!desc_present(&d))
            raise_sel(cpu, EXC_NP, sel);
        call_gate(cpu, sel, &d, osz, call);
        return;
    }
    if (lm || !(type == DT_TASKGATE || type == DT_TSS16_AVAIL || type == DT_TSS32_AVAIL))
        raise_sel(cpu, EXC_GP, sel);
    if (dpl < cpu->cpl || dpl < rpl)
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_present(&d))
        raise_sel(cpu, EXC_NP, sel);
    uint16_t tsel = sel;
    if (type == DT_TASKGATE) {
        tsel = gate_sel(&d);
        if ((tsel & 4) || !desc_read(cpu, tsel, &d))
            raise_sel(cpu, EXC_GP, tsel);
    }
    task_switch(cpu, tsel, &d, call ? TS_CALL : TS_JMP, cpu->next_rip);
    if (cpu->rip > cpu->seg[S_CS].limit)
        cpu_gp0(cpu);
}

void JMPF_Ap(CPU *cpu, const Insn *in)
{
    far_jump_or_call(cpu, (uint16_t)in->imm2, in->imm, in->osz, false);
}

void CALLF_Ap(CPU *cpu, const Insn *in)
{
    far_jump_or_call(cpu, (uint16_t)in->imm2, in->imm, in->osz, true);
}

/* FF /3 and /5: m16:16, m16:32 or (REX.W) m16:64 */
void xF_Ep(CPU *cpu, const Insn *in)
{
    uint64_t ea = insn_ea(cpu, in);
    uint64_t off = cpu_read(cpu, in->seg, ea, in->osz);
    uint16_t sel = (uint16_t)cpu_read(cpu, in->seg, (ea + in->osz) & size_mask(in->asz), 2);
    far_jump_or_call(cpu, sel, off, in->osz, ((in->modrm >> 3) & 7) == 3);
}

/* Checks a return CS (RET far, IRET) against the current CPL. */
static void check_return_cs(CPU *cpu, uint16_t sel, Desc *c)
{
    if ((sel & 0xfffc) == 0)
        cpu_gp0(cpu);
    if (!desc_read(cpu, sel, c) || !desc_code(c) || !long_code_ok(cpu, c))
        raise_sel(cpu, EXC_GP, sel);
    unsigned rpl = sel & 3;
    if (rpl < cpu->cpl)
        raise_sel(cpu, EXC_GP, sel);
    if (desc_conforming(c) ? desc_dpl(c) > rpl : desc_dpl(c) != rpl)
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_present(c))
        raise_sel(cpu, EXC_NP, sel);
}

/* The outer stack of a return to level rpl; a null SS is allowed only when
 * returning to 64-bit code below ring 3. */
static void check_return_ss(CPU *cpu, uint16_t ss, unsigned rpl, const Desc *c, Desc *sd, bool *null)
{
    *null = false;
    if ((ss & 0xfffc) == 0 && long_mode(cpu) && (c->hi & (1u << 21)) && rpl != 3 &&
        cpu->code_mode == CODE64) {
        *null = true;
        return;
    }
    if ((ss & 0xfffc) == 0)
        cpu_gp0(cpu);
    check_stack_seg(cpu, ss, rpl, sd, EXC_GP);
}

void RETF_Iw(CPU *cpu, const Insn *in)
{
    unsigned osz = in->osz;
    uint64_t imm = in->opc == 0xca ? (in->imm & 0xffff) : 0;
    uint64_t off = stack_peek(cpu, 0, osz);
    uint16_t sel = (uint16_t)stack_peek(cpu, osz, 2);
    unsigned ss = cpu_stack_size(cpu);
    if (!prot_mode(cpu)) {
        if (off > cpu->seg[S_CS].limit)
            cpu_gp0(cpu);
        set_reg(cpu, R_SP, ss, cpu->regs[R_SP] + 2 * osz + imm);
        seg_real(cpu, S_CS, sel);
        cpu->next_rip = off;
        return;
    }
    Desc c;
    check_return_cs(cpu, sel, &c);
    unsigned rpl = sel & 3;
    check_target(cpu, &c, off);
    if (rpl == cpu->cpl) {
        desc_set_accessed(cpu, sel, &c);
        set_reg(cpu, R_SP, ss, cpu->regs[R_SP] + 2 * osz + imm);
        load_cs(cpu, sel, &c, rpl);
        cpu->next_rip = off;
        return;
    }
    uint64_t nsp = stack_peek(cpu, 2 * osz + imm, osz);
    uint16_t nss = (uint16_t)stack_peek(cpu, 3 * osz + imm, 2);
    Desc sd;
    bool null;
    check_return_ss(cpu, nss, rpl, &c, &sd, &null);
    desc_set_accessed(cpu, sel, &c);
    if (null) {
        seg_null(&cpu->seg[S_SS], nss);
    } else {
        desc_set_accessed(cpu, nss, &sd);
        seg_from_desc(&cpu->seg[S_SS], nss, &sd);
    }
    load_cs(cpu, sel, &c, rpl);
    set_reg(cpu, R_SP, cpu_stack_size(cpu), nsp + imm);
    seg_validate_outer(cpu);
    cpu->next_rip = off;
}

/* IRET in real mode and in v8086 mode at IOPL 3. */
static void iret_real(CPU *cpu, unsigned osz)
{
    uint64_t off = stack_peek(cpu, 0, osz);
    uint16_t sel = (uint16_t)stack_peek(cpu, osz, 2);
    uint32_t fl = (uint32_t)stack_peek(cpu, 2 * osz, osz);
    if (off > cpu->seg[S_CS].limit)
        cpu_gp0(cpu);
    unsigned ss = cpu_stack_size(cpu);
    uint32_t mask = osz == 4 ? 0x257fd5u : 0x7fd5u;
    if (cpu->eflags & F_VM)
        mask &= ~(uint32_t)F_IOPL;
    set_reg(cpu, R_SP, ss, cpu->regs[R_SP] + 3 * osz);
    seg_real(cpu, S_CS, sel);
    cpu_set_eflags(cpu, fl, mask);  /* IRETD loads RF (0x257fd5), IRET does not */
    cpu->next_rip = off;
    cpu->nmi_blocked = 0;
}

static void iret_to_v86(CPU *cpu)
{
    uint32_t eip = (uint32_t)stack_peek(cpu, 0, 4);
    if (eip > 0xffff)
        cpu_gp0(cpu);  /* past the v8086 CS limit, checked at the IRET */
    uint16_t cs = (uint16_t)stack_peek(cpu, 4, 2);
    uint32_t fl = (uint32_t)stack_peek(cpu, 8, 4);
    uint32_t esp = (uint32_t)stack_peek(cpu, 12, 4);
    uint16_t sel[6];
    sel[S_SS] = (uint16_t)stack_peek(cpu, 16, 2);
    sel[S_ES] = (uint16_t)stack_peek(cpu, 20, 2);
    sel[S_DS] = (uint16_t)stack_peek(cpu, 24, 2);
    sel[S_FS] = (uint16_t)stack_peek(cpu, 28, 2);
    sel[S_GS] = (uint16_t)stack_peek(cpu, 32, 2);
    sel[S_CS] = cs;
    cpu->lf.op = LF_NONE;
    cpu->eflags = (fl & 0x3f7fd5u) | 2;
    for (int i = 0; i < 6; i++)
        seg_real(cpu, i, sel[i]);
    cpu->regs[R_SP] = esp;
    cpu_update_mode(cpu);
    cpu->next_rip = eip;
    cpu->nmi_blocked = 0;
}

void IRET(CPU *cpu, const Insn *in)
{
    unsigned osz = in->osz;
    if (!(cpu->cr0 & CR0_PE)) {
        iret_real(cpu, osz);
        return;
    }
    if (cpu->eflags & F_VM) {
        if (iopl(cpu) < 3)
            cpu_gp0(cpu);
        iret_real(cpu, osz);
        return;
    }
    if (cpu->eflags & F_NT) {
        if (long_mode(cpu))
            cpu_gp0(cpu);
        uint16_t back = (uint16_t)sys_read(cpu, cpu->tr.base, 2);
        Desc t;
        if ((back & 4) || !desc_read(cpu, back, &t))
            raise_sel(cpu, EXC_TS, back);
        task_switch(cpu, back, &t, TS_IRET, cpu->next_rip);
        if (cpu->rip > cpu->seg[S_CS].limit)
            cpu_gp0(cpu);
        cpu->nmi_blocked = 0;
        return;
    }
    uint64_t off = stack_peek(cpu, 0, osz);
    uint16_t sel = (uint16_t)stack_peek(cpu, osz, 2);
    uint32_t fl = (uint32_t)stack_peek(cpu, 2 * osz, osz == 2 ? 2 : 4);
    if (osz == 4 && (fl & F_VM) && cpu->cpl == 0 && !long_mode(cpu)) {
        iret_to_v86(cpu);
        return;
    }
    Desc c;
    check_return_cs(cpu, sel, &c);
    unsigned rpl = sel & 3;
    check_target(cpu, &c, off);
    bool pop_stack = rpl != cpu->cpl || cpu->code_mode == CODE64;
    uint64_t nsp = 0;
    uint16_t nss = 0;
    Desc sd;
    bool null = false;
    if (pop_stack) {
        nsp = stack_peek(cpu, 3 * osz, osz);
        nss = (uint16_t)stack_peek(cpu, 4 * osz, 2);
        check_return_ss(cpu, nss, rpl, &c, &sd, &null);
    }
    /* Which flags the image may change: as POPF, at the old CPL. */
    uint32_t mask = F_OSZAPC | F_TF | F_DF | F_NT;
    if (osz != 2)
        mask |= F_AC | F_ID | F_RF;  /* RF resumes past an instruction breakpoint */
    if (cpu->cpl <= iopl(cpu))
        mask |= F_IF;
    if (cpu->cpl == 0) {
        mask |= F_IOPL;
        if (osz != 2)
            mask |= F_VIF | F_VIP;
    }
    desc_set_accessed(cpu, sel, &c);
    if (pop_stack) {
        if (null) {
            seg_null(&cpu->seg[S_SS], nss);
        } else {
            desc_set_accessed(cpu, nss, &sd);
            seg_from_desc(&cpu->seg[S_SS], nss, &sd);
        }
    } else {
        unsigned ss = cpu_stack_size(cpu);
        nsp = cpu->regs[R_SP] + 3 * osz;
        nsp &= size_mask(ss);
    }
    unsigned old_cpl = cpu->cpl;
    bool from64 = cpu->code_mode == CODE64;
    cpu_set_eflags(cpu, fl, mask);
    load_cs(cpu, sel, &c, rpl);
    if (from64)
        cpu->regs[R_SP] = osz == 8 ? nsp : (uint32_t)nsp;
    else
        set_reg(cpu, R_SP, cpu_stack_size(cpu), nsp);
    if (rpl > old_cpl)
        seg_validate_outer(cpu);
    cpu->next_rip = off;
    cpu->nmi_blocked = 0;
}

/* ---- Fast system calls ---- */

static void flat_code(Seg *s, uint16_t sel, unsigned dpl, bool l64)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = (uint16_t)(0xb | SA_S | SA_P | (dpl << 5) | SA_G | (l64 ? SA_L : SA_DB));
}

static void flat_stack(Seg *s, uint16_t sel, unsigned dpl)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = (uint16_t)(0x3 | SA_S | SA_P | (dpl << 5) | SA_G | SA_DB);
}

/* Which modes have SYSCALL/SYSRET and SYSENTER/SYSEXIT is the vendor's
 * (model.c, as QEMU models it): Intel has SYSCALL/SYSRET in 64-bit mode
 * only (SDM 2B: #UD otherwise) and SYSENTER/SYSEXIT everywhere in
 * protected mode; AMD has SYSCALL/SYSRET in legacy and compatibility mode
 * too (APM 3: STAR's EIP, CSTAR) and SYSENTER/SYSEXIT not in long mode. */
void SYSCALL(CPU *cpu, const Insn *in)
{
    (void)in;
    const Quirks *q = &cpu->model->q;
    if (!(cpu->efer & EFER_SCE) || (cpu->code_mode != CODE64 && !q->syscall_legacy))
        cpu_ud(cpu);
    uint16_t sel = (uint16_t)(cpu->star >> 32) & 0xfffc;
    if (!long_mode(cpu)) {
        /* Legacy mode: ECX gets the return EIP; no R11, no SFMASK. */
        set_reg(cpu, R_CX, 4, (uint32_t)cpu->next_rip);
        cpu->eflags &= ~(uint32_t)(F_VM | F_IF | F_RF);
        flat_code(&cpu->seg[S_CS], sel, 0, false);
        flat_stack(&cpu->seg[S_SS], (uint16_t)(sel + 8), 0);
        cpu->cpl = 0;
        cpu_update_mode(cpu);
        cpu->next_rip = (uint32_t)cpu->star;
        return;
    }
    uint64_t target = cpu->code_mode == CODE64 ? cpu->lstar : cpu->cstar;
    if (!is_canonical(target))
        cpu_gp0(cpu);
    uint32_t fl = cpu_get_eflags(cpu);
    cpu->regs[R_CX] = cpu->next_rip;
    cpu->regs[R_R11] = fl & ~(uint32_t)F_RF;
    cpu->eflags &= ~(uint32_t)(cpu->sfmask | F_RF | F_VM);
    flat_code(&cpu->seg[S_CS], sel, 0, true);
    flat_stack(&cpu->seg[S_SS], (uint16_t)(sel + 8), 0);
    cpu->cpl = 0;
    cpu_update_mode(cpu);
    cpu->next_rip = target;
}

void SYSRET(CPU *cpu, const Insn *in)
{
    const Quirks *q = &cpu->model->q;
    if (!(cpu->efer & EFER_SCE) || (cpu->code_mode != CODE64 && !q->syscall_legacy))
        cpu_ud(cpu);
    if (cpu->cpl != 0 || !prot_mode(cpu))
        cpu_gp0(cpu);
    uint16_t base = (uint16_t)(cpu->star >> 48);
    if (!long_mode(cpu)) {
        /* Legacy mode: back to 32-bit code at ECX with IF set. */
        cpu->eflags |= F_IF;
        flat_code(&cpu->seg[S_CS], (uint16_t)(base | 3), 3, false);
        flat_stack(&cpu->seg[S_SS], (uint16_t)((base + 8) | 3), 3);
        cpu->cpl = 3;
        cpu_update_mode(cpu);
        cpu->next_rip = (uint32_t)cpu->regs[R_CX];
        return;
    }
    bool to64 = in->osz == 8;
    uint64_t target = to64 ? cpu->regs[R_CX] : (uint32_t)cpu->regs[R_CX];
    if (!is_canonical(target))
        cpu_gp0(cpu);
    cpu->lf.op = LF_NONE;
    cpu->eflags = ((uint32_t)cpu->regs[R_R11] & 0x3c7fd7u & ~(uint32_t)(F_RF | F_VM)) | 2;
    flat_code(&cpu->seg[S_CS], (uint16_t)((to64 ? base + 16 : base) | 3), 3, to64);
    /* SS's selector comes from STAR, its cache stays flat (ring 3 data). */
    flat_stack(&cpu->seg[S_SS], (uint16_t)((base + 8) | 3), 3);
    cpu->cpl = 3;
    cpu_update_mode(cpu);
    cpu->next_rip = target;
}

void SYSENTER(CPU *cpu, const Insn *in)
{
    (void)in;
    bool lm = long_mode(cpu);
    if (lm && !cpu->model->q.sysenter_long)
        cpu_ud(cpu);
    if (!(cpu->cr0 & CR0_PE) || (cpu->sysenter_cs & 0xfffc) == 0)
        cpu_gp0(cpu);
    uint16_t sel = (uint16_t)cpu->sysenter_cs & 0xfffc;
    cpu->eflags &= ~(uint32_t)(F_VM | F_IF | F_RF);
    flat_code(&cpu->seg[S_CS], sel, 0, lm);
    flat_stack(&cpu->seg[S_SS], (uint16_t)(sel + 8), 0);
    cpu->cpl = 0;
    cpu_update_mode(cpu);
    cpu->regs[R_SP] = lm ? cpu->sysenter_esp : (uint32_t)cpu->sysenter_esp;
    cpu->next_rip = lm ? cpu->sysenter_eip : (uint32_t)cpu->sysenter_eip;
}

void SYSEXIT(CPU *cpu, const Insn *in)
{
    if (long_mode(cpu) && !cpu->model->q.sysenter_long)
        cpu_ud(cpu);
    if (!prot_mode(cpu) || cpu->cpl != 0 || (cpu->sysenter_cs & 0xfffc) == 0)
        cpu_gp0(cpu);
    bool to64 = in->osz == 8;
    uint64_t rip = to64 ? cpu->regs[R_DX] : (uint32_t)cpu->regs[R_DX];
    uint64_t rsp = to64 ? cpu->regs[R_CX] : (uint32_t)cpu->regs[R_CX];
    if (to64 && (!is_canonical(rip) || !is_canonical(rsp)))
        cpu_gp0(cpu);
    uint16_t base = (uint16_t)cpu->sysenter_cs;
    flat_code(&cpu->seg[S_CS], (uint16_t)((base + (to64 ? 32 : 16)) | 3), 3, to64);
    flat_stack(&cpu->seg[S_SS], (uint16_t)((base + (to64 ? 40 : 24)) | 3), 3);
    cpu->cpl = 3;
    cpu_update_mode(cpu);
    cpu->regs[R_SP] = rsp;
    cpu->next_rip = rip;
}

void SWAPGS(CPU *cpu, const Insn *in)
{
    (void)in;
    priv_check(cpu);
    uint64_t t = cpu->seg[S_GS].base;
    cpu->seg[S_GS].base = cpu->kernel_gs_base;
    cpu->kernel_gs_base = t;
}

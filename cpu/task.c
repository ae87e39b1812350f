/* task.c — hardware task switches (32-bit and 16-bit TSS) and the TSS
 * fields other parts read (inner-level stacks). */
#include "sys.h"

#include "operand.h"
#include "../softmmu/paging.h"

void tss_stack(CPU *cpu, unsigned dpl, uint16_t *ss, uint64_t *sp)
{
    const Seg *tr = &cpu->tr;
    if (tr->attr & 8) {
        uint32_t off = 4 + dpl * 8;
        if (off + 5 > tr->limit)
            raise_sel(cpu, EXC_TS, tr->sel);
        *sp = (uint32_t)sys_read(cpu, tr->base + off, 4);
        *ss = (uint16_t)sys_read(cpu, tr->base + off + 4, 2);
    } else {
        uint32_t off = 2 + dpl * 4;
        if (off + 3 > tr->limit)
            raise_sel(cpu, EXC_TS, tr->sel);
        *sp = (uint16_t)sys_read(cpu, tr->base + off, 2);
        *ss = (uint16_t)sys_read(cpu, tr->base + off + 2, 2);
    }
}

/* The state a TSS holds, in a width-independent form. */
typedef struct TaskState {
    uint32_t cr3, eip, eflags, regs[8];
    uint16_t sreg[6], ldt, backlink;
} TaskState;

/* TSS offsets of ES..GS, in S_* order (ES CS SS DS FS GS) */
static const uint8_t tss32_seg[6] = { 0x48, 0x4c, 0x50, 0x54, 0x58, 0x5c };
static const uint8_t tss16_seg[6] = { 0x22, 0x24, 0x26, 0x28, 0, 0 };

static void tss_read(CPU *cpu, uint64_t base, bool wide, TaskState *t)
{
    t->backlink = (uint16_t)sys_read(cpu, base, 2);
    if (wide) {
        t->cr3 = (uint32_t)sys_read(cpu, base + 0x1c, 4);
        t->eip = (uint32_t)sys_read(cpu, base + 0x20, 4);
        t->eflags = (uint32_t)sys_read(cpu, base + 0x24, 4);
        for (int i = 0; i < 8; i++)
            t->regs[i] = (uint32_t)sys_read(cpu, base + 0x28 + 4 * i, 4);
        for (int i = 0; i < 6; i++)
            t->sreg[i] = (uint16_t)sys_read(cpu, base + tss32_seg[i], 2);
        t->ldt = (uint16_t)sys_read(cpu, base + 0x60, 2);
    } else {
        t->cr3 = (uint32_t)cpu->cr3;
        t->eip = (uint16_t)sys_read(cpu, base + 0x0e, 2);
        t->eflags = (uint16_t)sys_read(cpu, base + 0x10, 2);
        for (int i = 0; i < 8; i++)
            t->regs[i] = (uint16_t)sys_read(cpu, base + 0x12 + 2 * i, 2);
        for (int i = 0; i < 6; i++)
            t->sreg[i] = tss16_seg[i] ? (uint16_t)sys_read(cpu, base + tss16_seg[i], 2) : 0;
        t->ldt = (uint16_t)sys_read(cpu, base + 0x2a, 2);
    }
}

/* Saves the dynamic fields of the outgoing task. */
static void tss_save(CPU *cpu, uint64_t base, bool wide, uint32_t eip, uint32_t eflags)
{
    if (wide) {
        sys_write(cpu, base + 0x20, eip, 4);
        sys_write(cpu, base + 0x24, eflags, 4);
        for (int i = 0; i < 8; i++)
            sys_write(cpu, base + 0x28 + 4 * i, (uint32_t)cpu->regs[i], 4);
        for (int i = 0; i < 6; i++)
            sys_write(cpu, base + tss32_seg[i], cpu->seg[i].sel, 2);
    } else {
        sys_write(cpu, base + 0x0e, eip, 2);
        sys_write(cpu, base + 0x10, eflags, 2);
        for (int i = 0; i < 8; i++)
            sys_write(cpu, base + 0x12 + 2 * i, (uint16_t)cpu->regs[i], 2);
        for (int i = 0; i < 4; i++)
            sys_write(cpu, base + tss16_seg[i], cpu->seg[i].sel, 2);
    }
}

/* Segment loads of the incoming task: faults here are #TS (or #NP/#SS)
 * and are taken in the new task's context. */
static void task_load_seg(CPU *cpu, int sreg, uint16_t sel)
{
    Desc d;
    if (sreg == S_SS) {
        check_stack_seg(cpu, sel, cpu->cpl, &d, EXC_TS);
    } else if ((sel & 0xfffc) == 0) {
        seg_null(&cpu->seg[sreg], sel);
        return;
    } else {
        if (!desc_read(cpu, sel, &d) || !desc_s(&d) || (desc_code(&d) && !(d.hi & (1u << 9))))
            raise_sel(cpu, EXC_TS, sel);
        if (!desc_conforming(&d) && ((sel & 3u) > desc_dpl(&d) || cpu->cpl > desc_dpl(&d)))
            raise_sel(cpu, EXC_TS, sel);
        if (!desc_present(&d))
            raise_sel(cpu, EXC_NP, sel);
    }
    desc_set_accessed(cpu, sel, &d);
    seg_from_desc(&cpu->seg[sreg], sel, &d);
}

void task_switch(CPU *cpu, uint16_t sel, const Desc *dp, int reason, uint64_t ret_eip)
{
    Desc d = *dp;
    unsigned type = desc_type(&d);
    bool busy_type = type == DT_TSS16_BUSY || type == DT_TSS32_BUSY;
    bool tss_type = busy_type || type == DT_TSS16_AVAIL || type == DT_TSS32_AVAIL;
    if (desc_s(&d) || !tss_type || long_mode(cpu))
        raise_sel(cpu, reason == TS_IRET ? EXC_TS : EXC_GP, sel);
    if (busy_type != (reason == TS_IRET))
        raise_sel(cpu, reason == TS_IRET ? EXC_TS : EXC_GP, sel);
    if (!desc_present(&d))
        raise_sel(cpu, EXC_NP, sel);
    bool wide = (type & 8) != 0, old_wide = (cpu->tr.attr & 8) != 0;
    uint64_t base = desc_base(&d);
    if (desc_limit(&d) < (wide ? 0x67u : 0x2bu))
        raise_sel(cpu, EXC_TS, sel);
    if (cpu->tr.limit < (old_wide ? 0x67u : 0x2bu))
        raise_sel(cpu, EXC_TS, cpu->tr.sel);

    TaskState t;
    tss_read(cpu, base, wide, &t);

    /* Outgoing task. */
    uint32_t eflags = cpu_get_eflags(cpu);
    if (reason == TS_IRET)
        eflags &= ~(uint32_t)F_NT;
    tss_save(cpu, cpu->tr.base, old_wide, (uint32_t)ret_eip, eflags);
    if (reason == TS_JMP || reason == TS_IRET) {
        Desc od;
        if (desc_read(cpu, cpu->tr.sel, &od))
            desc_write_hi(cpu, cpu->tr.sel, od.hi & ~(1u << 9));
    }
    /* Incoming task. */
    if (reason == TS_CALL || reason == TS_INT) {
        sys_write(cpu, base, cpu->tr.sel, 2);
        t.eflags |= F_NT;
    }
    if (reason != TS_IRET) {
        d.hi |= 1u << 9;
        desc_write_hi(cpu, sel, d.hi);
    }

    /* Commit: from here on, faults belong to the new task. */
    seg_from_desc(&cpu->tr, sel, &d);
    cpu->cr0 |= CR0_TS;
    if (wide && (cpu->cr0 & CR0_PG) && t.cr3 != (uint32_t)cpu->cr3) {
        cpu->cr3 = t.cr3;
        paging_flush(&cpu->mmu, false);
    } else if (wide) {
        cpu->cr3 = t.cr3;
    }
    /* A 16-bit TSS holds only the flag word: the upper half of EFLAGS is
     * not kept (SDM Vol. 3A, "16-Bit Task-State Segment"), so VM, RF, AC, ... clear and a
     * switch from v8086 mode into a 16-bit task runs it in protected mode
     * (tss_read zero-extends the word). */
    cpu->lf.op = LF_NONE;
    cpu->eflags = (t.eflags & 0x3f7fd7u) | 2;
    for (int i = 0; i < 8; i++)
        cpu->regs[i] = wide ? t.regs[i] : ((cpu->regs[i] & ~0xffffull) | t.regs[i]);
    cpu->rip = cpu->next_rip = t.eip;
    /* Selectors first, unusable until their descriptors check out. */
    for (int i = 0; i < 6; i++)
        seg_null(&cpu->seg[i], t.sreg[i]);
    seg_null(&cpu->ldtr, t.ldt);

    if (cpu->eflags & F_VM) {
        for (int i = 0; i < 6; i++)
            seg_real(cpu, i, t.sreg[i]);
        cpu_update_mode(cpu);
    } else {
        /* The new CPL is the RPL of the new CS. */
        cpu->cpl = t.sreg[S_CS] & 3;
    }
    if (t.ldt & 0xfffc) {
        Desc l;
        if ((t.ldt & 4) || !desc_read(cpu, t.ldt, &l) || desc_s(&l) || desc_type(&l) != DT_LDT)
            raise_sel(cpu, EXC_TS, t.ldt);
        if (!desc_present(&l))
            raise_sel(cpu, EXC_TS, t.ldt);
        seg_from_desc(&cpu->ldtr, t.ldt, &l);
    }
    if (cpu->eflags & F_VM)
        return;
    Desc c;
    uint16_t cs = t.sreg[S_CS];
    if ((cs & 0xfffc) == 0 || !desc_read(cpu, cs, &c) || !desc_code(&c))
        raise_sel(cpu, EXC_TS, cs);
    if (desc_conforming(&c) ? desc_dpl(&c) > (cs & 3u) : desc_dpl(&c) != (cs & 3u))
        raise_sel(cpu, EXC_TS, cs);
    if (!desc_present(&c))
        raise_sel(cpu, EXC_NP, cs);
    desc_set_accessed(cpu, cs, &c);
    load_cs(cpu, cs, &c, cs & 3u);
    task_load_seg(cpu, S_SS, t.sreg[S_SS]);
    task_load_seg(cpu, S_ES, t.sreg[S_ES]);
    task_load_seg(cpu, S_DS, t.sreg[S_DS]);
    task_load_seg(cpu, S_FS, t.sreg[S_FS]);
    task_load_seg(cpu, S_GS, t.sreg[S_GS]);
}

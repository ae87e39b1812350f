/* debug.c — #DB (single-step, DR0-DR3 breakpoints, general detect) and
 * #AC, after Intel SDM vol. 3 ch. 17 and 6.15; see debug.h for how the
 * loop and the softmmu reach these only while a feature is armed.
 *
 * DR6: a #DB replaces B0-B3 with the breakpoints that caused it and sets
 * BS/BD on top of the sticky bits; the processor clears DR7.GD on every
 * #DB so the handler may use the debug registers.
 */
#include "debug.h"
#include "model.h"

#include "insn.h"
#include "../softmmu/mem.h"
#include "../softmmu/paging.h"
#include "../softmmu/tlb.h"

/* DR7 fields of breakpoint i. */
static unsigned bp_enabled(uint64_t dr7, unsigned i) { return (dr7 >> (2 * i)) & 3; }
static unsigned bp_rw(uint64_t dr7, unsigned i) { return (dr7 >> (16 + 4 * i)) & 3; }
static uint64_t bp_len(uint64_t dr7, unsigned i)
{
    static const uint8_t len[4] = { 1, 2, 8, 4 };  /* LEN 00, 01, 10, 11 */
    return len[(dr7 >> (18 + 4 * i)) & 3];
}

/* Breakpoint i covers [a, a + len) with the address's low bits ignored,
 * as the processor does for 2/4/8-byte ranges. */
static bool bp_overlaps(const CPU *cpu, unsigned i, uint64_t lin, unsigned size)
{
    uint64_t len = bp_len(cpu->dr[7], i);
    uint64_t a = cpu->dr[i] & ~(len - 1);
    return lin < a + len && a < lin + size;
}

static _Noreturn void raise_db(CPU *cpu, unsigned dr6)
{
    cpu->dr[6] = (cpu->dr[6] & ~(uint64_t)0xf) | dr6;
    cpu->dr[7] &= ~(uint64_t)DR7_GD;
    cpu_raise(cpu, EXC_DB, 0, false);
}

/* Read and write tags are marked TLB_WATCH while DBG_DATA is on (tlb_fill
 * adds it to new ones), so no data access hits the inline path; with
 * DBG_WRITES_ONLY, write tags only. */
static void tlb_watch(CPU *cpu, unsigned a)
{
    Tlb *t = cpu->tlb;
    if (!t)
        return;
    bool on[2] = { (a & DBG_DATA) && !(a & DBG_WRITES_ONLY), (a & DBG_DATA) != 0 };
    for (int s = 0; s < 2; s++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            for (int type = ACC_READ; type <= ACC_WRITE; type++) {
                uint64_t *tag = &t->e[s][i].tag[type];
                if (*tag & TLB_INVALID)
                    continue;
                *tag = on[type] ? *tag | TLB_WATCH : *tag & ~(uint64_t)TLB_WATCH;
            }
}

void debug_switch(CPU *cpu, unsigned a)
{
    if ((a ^ cpu->debug_active) & (DBG_DATA | DBG_WRITES_ONLY)) {
        tlb_watch(cpu, a);
        cpu->dbg_block = 0;
    }
    cpu->debug_active = (uint8_t)a;
}

/* Internal to the pending mask between debug_before and debug_after: TF
 * was set when this instruction started (becomes DR6.BS, unless the
 * instruction turns out to be a software interrupt). */
enum { STEP_SELF = 1u << 16 };

unsigned debug_before(CPU *cpu)
{
    unsigned pending = cpu->dbg_held;
    bool after_ss = cpu->dbg_ss;
    cpu->dbg_held = 0;
    cpu->dbg_ss = 0;
    cpu->dbg_hits = 0;
    cpu->dbg_block = 0;
    uint32_t fl = cpu->eflags;
    uint64_t dr7 = cpu->dr[7];
    /* The instruction right after MOV SS / POP SS is not checked (the SDM
     * allows its breakpoint to be missed): its #DB would split the held
     * traps from the stack switch they belong to. */
    if (!(fl & F_RF) && !after_ss && (dr7 & 0xff)) {
        uint64_t lin = cpu_code_lin(cpu, cpu->rip);
        unsigned hit = 0;
        for (unsigned i = 0; i < 4; i++)
            if (bp_enabled(dr7, i) && bp_rw(dr7, i) == 0 && bp_overlaps(cpu, i, lin, 1))
                hit |= 1u << i;
        if (hit)
            raise_db(cpu, hit);
    }
    /* RF is cleared once the instruction is past its breakpoint check;
     * IRET and task switches may set it again for the next one. */
    cpu->eflags &= ~(uint32_t)F_RF;
    if (fl & F_TF)
        pending |= STEP_SELF;
    return pending;
}

/* INT n, INT3, INT1 and an INTO that fires deliver their interrupt as
 * part of the instruction; the delivery clears TF, and no single-step
 * trap follows (SDM 17.3.1.4; the host shows none, and ICEBP's own #DB has
 * BS clear).  The trap comes after the next instruction once IRET has
 * restored TF.  OF is still the instruction's after an INTO delivery. */
static bool soft_interrupt(CPU *cpu, const Insn *in)
{
    switch (in->form) {
    case FORM_INT3: case FORM_INT_Ib: case FORM_INT1:
        return true;
    case FORM_INTO:
        return (cpu_get_eflags(cpu) & F_OF) != 0;
    default:
        return false;
    }
}

void debug_after(CPU *cpu, const Insn *in, uint64_t start, unsigned pending)
{
    if (pending & STEP_SELF)
        pending = (pending & ~(unsigned)STEP_SELF) | (soft_interrupt(cpu, in) ? 0 : DR6_BS);
    pending |= cpu->dbg_hits;
    cpu->dbg_hits = 0;
    /* Between iterations of a REP string instruction RF is set, so its
     * instruction breakpoint does not fire again and a trap or interrupt
     * taken there pushes RF = 1 (SDM 17.3.1.1). */
    if (cpu->rip == start && (in->flags & (IF_REP | IF_REPNE)) &&
        !(form_info[in->form].attrs & A_BRANCH))
        cpu->eflags |= F_RF;
    if (cpu->intr_shadow && (in->form == FORM_POP_SS || in->form == FORM_MOV_SwEw_SS)) {
        /* A stack switch: traps wait for the instruction that loads the
         * stack pointer, and come with its own. */
        cpu->dbg_ss = 1;
        cpu->dbg_held = (uint16_t)pending;
        debug_update(cpu);
        return;
    }
    debug_update(cpu);
    if (pending)
        raise_db(cpu, pending);
}

/* #AC applies to data accesses at CPL 3 with CR0.AM and EFLAGS.AC, not to
 * implicit supervisor accesses (descriptor tables, TSS, inner stacks). */
static bool ac_armed(const CPU *cpu, int access)
{
    return cpu->cpl == 3 && (cpu->cr0 & CR0_AM) && (cpu->eflags & F_AC) &&
           !(access & ACC_SUPER);
}

/* A page fault on the same access comes first; a walk that would fault is
 * redone for real to raise it.  Otherwise nothing (not even A/D bits)
 * changes. */
static _Noreturn void ac_fault(CPU *cpu, uint64_t lin, unsigned size, int access)
{
    uint64_t last = lin + size - 1;
    if (cpu->code_mode != CODE64)
        last &= 0xffffffffull;
    if (cpu->cr0 & CR0_PG) {
        uint64_t pa;
        int type = access & ACC_TYPE_MASK;
        if (!paging_probe(&cpu->mmu, lin, type | ACC_PROBE, &pa))
            cpu_translate(cpu, lin, type);
        if (!paging_probe(&cpu->mmu, last, type | ACC_PROBE, &pa))
            cpu_translate(cpu, last, type);
    }
    cpu_raise(cpu, EXC_AC, 0, true);
}

static void data_breakpoints(CPU *cpu, uint64_t lin, unsigned size, int access)
{
    uint64_t dr7 = cpu->dr[7];
    bool write = (access & ACC_TYPE_MASK) == ACC_WRITE;
    if (access & ACC_SUPER)
        return;
    if (cpu->host_watch)
        cpu->host_watch(cpu, lin, size, access);
    if (!(dr7 & 0xff))
        return;
    for (unsigned i = 0; i < 4; i++) {
        unsigned rw = bp_rw(dr7, i);
        if (bp_enabled(dr7, i) && (rw == 3 || (rw == 1 && write)) &&
            bp_overlaps(cpu, i, lin, size))
            cpu->dbg_hits |= (uint8_t)(1u << i);
    }
}

void debug_data_access(CPU *cpu, uint64_t lin, unsigned size, int access)
{
    if (cpu->dbg_block) {
        /* A piece of a block access that debug_block_access checked. */
        cpu->dbg_block = cpu->dbg_block > size ? cpu->dbg_block - size : 0;
        return;
    }
    /* Natural alignment: 2, 4 and 8-byte operands (a far pointer or a
     * descriptor-table image is checked piece by piece, as the SDM's
     * advice to put them at an address 2 mod 4 assumes). */
    if ((lin & ((size & -size) - 1)) && ac_armed(cpu, access))
        ac_fault(cpu, lin, size, access);
    data_breakpoints(cpu, lin, size, access);
}

/* Alignment of the operands that go through the block calls (SDM table
 * "Alignment Requirements by Data Type", checked against the host CPU). */
static unsigned block_align(const CPU *cpu, unsigned size)
{
    switch (size) {
    case 1: return 1;
    case 2: case 14: case 94: return 2;   /* m16; 16-bit FSTENV/FSAVE images */
    case 4: case 28: case 108: return 4;  /* m32; 32-bit FSTENV/FSAVE images */
    case 8: case 10: return 8;            /* m64; m80 (double extended, BCD) */
    /* 16-byte vectors: "#AC may or may not be generated" (SDM 3A 6.15);
     * AMD checks them, Intel does not (model.c: ac_vec16). */
    case 16: return cpu->model->q.ac_vec16 ? 16 : 1;
    default: return 16;                   /* FXSAVE image */
    }
}

void debug_block_access(CPU *cpu, uint64_t lin, unsigned size, int access)
{
    /* Its pieces that hit the TLB would not consume dbg_block (read tags
     * are clear), and a writes-only watcher needs none of them. */
    if ((cpu->debug_active & DBG_WRITES_ONLY) && (access & ACC_TYPE_MASK) != ACC_WRITE)
        return;
    if ((lin & (block_align(cpu, size) - 1)) && ac_armed(cpu, access))
        ac_fault(cpu, lin, size, access);
    data_breakpoints(cpu, lin, size, access);
    /* Both pages are translated now, so the pieces cannot fault and will
     * consume dbg_block exactly. */
    cpu_translate(cpu, lin, access & (ACC_TYPE_MASK | ACC_SUPER));
    cpu->dbg_block = size;
}

void debug_mov_dr(CPU *cpu)
{
    if (cpu->dr[7] & DR7_GD)
        raise_db(cpu, (unsigned)(cpu->dr[6] & 0xf) | DR6_BD);
}

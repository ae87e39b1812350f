/* seg.c — segment registers: descriptor tables, segment loads and their
 * protection checks, and the instructions that move selectors. */
#include "sys.h"

#include "debug.h"
#include "operand.h"
#include "../softmmu/mem.h"

_Noreturn void raise_sel(CPU *cpu, int vector, uint16_t sel)
{
    cpu_raise(cpu, vector, sel_err(cpu, sel), true);
}

/* The CPU's own table and TSS accesses are supervisor accesses whatever
 * the CPL (ACC_SUPER in the walker). */
uint64_t sys_read(CPU *cpu, uint64_t lin, unsigned size)
{
    return cpu_lin_read_super(cpu, long_mode(cpu) ? lin : (uint32_t)lin, size);
}

void sys_write(CPU *cpu, uint64_t lin, uint64_t val, unsigned size)
{
    cpu_lin_write_super(cpu, long_mode(cpu) ? lin : (uint32_t)lin, val, size);
}

/* Linear address of the descriptor for sel, or false if outside its table. */
static bool desc_addr(CPU *cpu, uint16_t sel, unsigned size, uint64_t *addr)
{
    uint64_t base;
    uint32_t limit;
    if (sel & 4) {
        if (cpu->ldtr.sel < 4 || !(cpu->ldtr.attr & SA_P))
            return false;
        base = cpu->ldtr.base;
        limit = cpu->ldtr.limit;
    } else {
        base = cpu->gdtr.base;
        limit = cpu->gdtr.limit;
    }
    uint32_t idx = sel & 0xfff8u;
    if (idx + size - 1 > limit)
        return false;
    *addr = base + idx;
    return true;
}

bool desc_read(CPU *cpu, uint16_t sel, Desc *d)
{
    uint64_t a;
    if (!desc_addr(cpu, sel, 8, &a))
        return false;
    uint64_t raw = sys_read(cpu, a, 8);
    d->lo = (uint32_t)raw;
    d->hi = (uint32_t)(raw >> 32);
    d->hi64 = 0;
    return true;
}

bool desc_read_sys(CPU *cpu, uint16_t sel, Desc *d)
{
    uint64_t a;
    if (!long_mode(cpu))
        return desc_read(cpu, sel, d);
    if (!desc_addr(cpu, sel, 16, &a))
        return false;
    uint64_t raw = sys_read(cpu, a, 8);
    d->hi64 = sys_read(cpu, a + 8, 8);
    d->lo = (uint32_t)raw;
    d->hi = (uint32_t)(raw >> 32);
    return true;
}

void desc_write_hi(CPU *cpu, uint16_t sel, uint32_t hi)
{
    uint64_t a;
    if (desc_addr(cpu, sel, 8, &a))
        sys_write(cpu, a + 4, hi, 4);
}

void desc_set_accessed(CPU *cpu, uint16_t sel, Desc *d)
{
    if (d->hi & (1u << 8))
        return;
    uint64_t a;
    if (desc_addr(cpu, sel, 8, &a))
        sys_write(cpu, a + 5, (d->hi >> 8 | 1) & 0xff, 1);
    d->hi |= 1u << 8;
}

void seg_from_desc(Seg *s, uint16_t sel, const Desc *d)
{
    s->sel = sel;
    s->base = desc_base(d);
    s->limit = desc_limit(d);
    s->attr = desc_attr(d);
}

void seg_null(Seg *s, uint16_t sel)
{
    /* A null selector load (MOV, POP, LDS..., a task switch) clears the
     * base, also of FS/GS in 64-bit mode: Intel, and AMD CPUs with CPUID
     * 8000_0021 EAX[6] ("null selector clears base").
     * TODO(cpu model): older AMD CPUs (without that bit) keep the base and
     * limit of a null load; a quirk of the vendor model. */
    s->sel = sel;
    s->base = 0;
    s->limit = 0;
    s->attr = 0;
}

/* Real mode keeps the limit and attributes cached from protected mode
 * (unreal mode); v8086 mode reloads the whole cache. */
void seg_real(CPU *cpu, int sreg, uint16_t sel)
{
    Seg *s = &cpu->seg[sreg];
    s->sel = sel;
    s->base = (uint64_t)sel << 4;
    if (cpu->eflags & F_VM) {
        s->limit = 0xffff;
        s->attr = (uint16_t)((sreg == S_CS ? 0xb : 0x3) | SA_S | SA_P | (3 << 5));
    }
}

void cpu_update_mode(CPU *cpu)
{
    const Seg *cs = &cpu->seg[S_CS];
    if (!(cpu->cr0 & CR0_PE)) {
        cpu->cpl = 0;
        cpu->code_mode = (cs->attr & SA_DB) ? CODE32 : CODE16;
    } else if (cpu->eflags & F_VM) {
        cpu->cpl = 3;
        cpu->code_mode = CODE16;
    } else if (long_mode(cpu) && (cs->attr & SA_L)) {
        cpu->code_mode = CODE64;
    } else {
        cpu->code_mode = (cs->attr & SA_DB) ? CODE32 : CODE16;
    }
    debug_update(cpu);  /* CPL, CR0.AM and EFLAGS arm #AC and the debug traps */
}

void load_cs(CPU *cpu, uint16_t sel, const Desc *d, unsigned cpl)
{
    seg_from_desc(&cpu->seg[S_CS], (uint16_t)((sel & 0xfffc) | cpl), d);
    cpu->cpl = (uint8_t)cpl;
    cpu_update_mode(cpu);
}

void check_stack_seg(CPU *cpu, uint16_t sel, unsigned dpl, Desc *d, int vec)
{
    if ((sel & 0xfffc) == 0)
        cpu_raise(cpu, vec, cpu->event_ext, true);
    if ((sel & 3) != dpl || !desc_read(cpu, sel, d))
        raise_sel(cpu, vec, sel);
    if (!desc_s(d) || desc_code(d) || !(d->hi & (1u << 9)) || desc_dpl(d) != dpl)
        raise_sel(cpu, vec, sel);
    if (!desc_present(d))
        raise_sel(cpu, EXC_SS, sel);
}

void load_seg(CPU *cpu, int sreg, uint16_t sel)
{
    if (!prot_mode(cpu)) {
        seg_real(cpu, sreg, sel);
        return;
    }
    Desc d;
    if ((sel & 0xfffc) == 0) {
        /* 64-bit mode allows a null SS below ring 3, RPL = CPL. */
        if (sreg == S_SS && !(cpu->code_mode == CODE64 && cpu->cpl != 3 && (sel & 3) == cpu->cpl))
            cpu_gp0(cpu);
        seg_null(&cpu->seg[sreg], sel);
        return;
    }
    if (!desc_read(cpu, sel, &d))
        raise_sel(cpu, EXC_GP, sel);
    unsigned rpl = sel & 3, dpl = desc_dpl(&d);
    if (sreg == S_SS) {
        check_stack_seg(cpu, sel, cpu->cpl, &d, EXC_GP);
        (void)rpl;
    } else {
        if (!desc_s(&d) || (desc_code(&d) && !(d.hi & (1u << 9))))
            raise_sel(cpu, EXC_GP, sel);
        if (!desc_conforming(&d) && (rpl > dpl || cpu->cpl > dpl))
            raise_sel(cpu, EXC_GP, sel);
        if (!desc_present(&d))
            raise_sel(cpu, EXC_NP, sel);
    }
    desc_set_accessed(cpu, sel, &d);
    seg_from_desc(&cpu->seg[sreg], sel, &d);
}

void seg_validate_outer(CPU *cpu)
{
    static const int regs[4] = { S_ES, S_DS, S_FS, S_GS };
    for (int i = 0; i < 4; i++) {
        Seg *s = &cpu->seg[regs[i]];
        bool conforming_code = (s->attr & 0x1c) == 0x1c;
        if ((s->attr & SA_S) && !conforming_code && ((s->attr >> 5) & 3) < cpu->cpl) {
            /* Only the selector becomes null and the segment unusable:
             * base and limit stay (measured on Intel hardware, which QEMU
             * follows; the SDM's pseudo-code only says "SegReg <- NULL"),
             * so 64-bit code keeps addressing through the FS/GS base. */
            s->sel = 0;
            s->attr &= (uint16_t)~SA_P;
        }
    }
}

/* ---- Instructions ---- */

static int sreg_of(CPU *cpu, const Insn *in)
{
    unsigned r = (in->modrm >> 3) & 7;
    if (r > 5)
        cpu_ud(cpu);
    return (int)r;
}

void MOV_SwEw(CPU *cpu, const Insn *in)
{
    int s = sreg_of(cpu, in);
    if (s == S_CS)
        cpu_ud(cpu);
    load_seg(cpu, s, (uint16_t)rd_E(cpu, in, 2));
    if (s == S_SS)
        cpu->intr_shadow = 1;
}

void MOV_EvSw(CPU *cpu, const Insn *in)
{
    int s = sreg_of(cpu, in);
    uint16_t v = cpu->seg[s].sel;
    if (in->flags & IF_MEM)
        wr_E(cpu, in, 2, v);
    else
        set_reg(cpu, in->rm, in->osz, v);  /* 32/64-bit destinations are zero-extended */
}

static int sreg_of_opcode(const Insn *in)
{
    switch (in->opc) {
    case 0x06: case 0x07: return S_ES;
    case 0x0e: return S_CS;
    case 0x16: case 0x17: return S_SS;
    case 0x1e: case 0x1f: return S_DS;
    case 0xa0: case 0xa1: return S_FS;
    default: return S_GS;
    }
}

/* The selector is pushed zero-extended to the operand size (AMD), or, with
 * a 32-bit operand on Intel, written as a word into the 4-byte slot (SDM
 * PUSH: "a 16-bit move"; model.c: push_sreg_word). */
void PUSH_Sw(CPU *cpu, const Insn *in)
{
    uint16_t sel = cpu->seg[sreg_of_opcode(in)].sel;
    if (in->osz == 4 && cpu->model->q.push_sreg_word) {
        unsigned ss = cpu_stack_size(cpu);
        uint64_t sp = (cpu->regs[R_SP] - 4) & size_mask(ss);
        cpu_write(cpu, S_SS, sp, 2, sel);
        set_reg(cpu, R_SP, ss, sp);
        return;
    }
    cpu_push(cpu, sel, in->osz);
}

void POP_Sw(CPU *cpu, const Insn *in)
{
    int s = sreg_of_opcode(in);
    unsigned ss = cpu_stack_size(cpu);
    uint64_t sp = cpu->regs[R_SP] & size_mask(ss);
    uint16_t sel = (uint16_t)cpu_read(cpu, S_SS, sp, in->osz);
    load_seg(cpu, s, sel);
    set_reg(cpu, R_SP, ss, sp + in->osz);
    if (s == S_SS)
        cpu->intr_shadow = 1;
}

/* LDS LES LSS LFS LGS: offset then selector from memory. */
void LxS_GvMp(CPU *cpu, const Insn *in)
{
    int s;
    switch (in->opc) {
    case 0xc4: s = S_ES; break;
    case 0xc5: s = S_DS; break;
    case 0xb2: s = S_SS; break;
    case 0xb4: s = S_FS; break;
    default: s = S_GS; break;
    }
    uint64_t ea = insn_ea(cpu, in);
    uint64_t off = cpu_read(cpu, in->seg, ea, in->osz);
    uint16_t sel = (uint16_t)cpu_read(cpu, in->seg, (ea + in->osz) & size_mask(in->asz), 2);
    load_seg(cpu, s, sel);
    wr_G(cpu, in, in->osz, off);
}

/* ARPL Ew,Gw: raises the RPL of the destination to the source's. */
void ARPL_EwGw(CPU *cpu, const Insn *in)
{
    if (!prot_mode(cpu))
        cpu_ud(cpu);
    uint16_t dst = (uint16_t)rd_E(cpu, in, 2), src = (uint16_t)rd_G(cpu, in, 2);
    if ((dst & 3) < (src & 3)) {
        wr_E(cpu, in, 2, (dst & ~3u) | (src & 3));
        flags_put(cpu, F_ZF, F_ZF);
    } else {
        flags_put(cpu, F_ZF, 0);
    }
}

/* Descriptor visible to LAR/LSL/VERR/VERW at the current CPL and sel's RPL;
 * conforming code is visible whatever the levels. */
static bool visible(CPU *cpu, uint16_t sel, Desc *d)
{
    if ((sel & 0xfffc) == 0 || !desc_read(cpu, sel, d))
        return false;
    if (desc_conforming(d))
        return true;
    unsigned dpl = desc_dpl(d);
    return dpl >= cpu->cpl && dpl >= (sel & 3u);
}

static bool lar_type_ok(const Desc *d, bool lsl, bool lm)
{
    if (desc_s(d))
        return true;
    switch (desc_type(d)) {
    case DT_LDT: case DT_TSS32_AVAIL: case DT_TSS32_BUSY: return true;
    case DT_TSS16_AVAIL: case DT_TSS16_BUSY: return !lm;
    case DT_CALLGATE16: case DT_TASKGATE: return !lsl && !lm;
    case DT_CALLGATE32: return !lsl;
    default: return false;
    }
}

void LAR_GvEw(CPU *cpu, const Insn *in)
{
    if (!prot_mode(cpu))
        cpu_ud(cpu);
    uint16_t sel = (uint16_t)rd_E(cpu, in, 2);
    Desc d;
    if (!visible(cpu, sel, &d) || !lar_type_ok(&d, false, long_mode(cpu))) {
        flags_put(cpu, F_ZF, 0);
        return;
    }
    wr_G(cpu, in, in->osz == 2 ? 2 : 4, d.hi & 0x00f0ff00u);
    flags_put(cpu, F_ZF, F_ZF);
}

void LSL_GvEw(CPU *cpu, const Insn *in)
{
    if (!prot_mode(cpu))
        cpu_ud(cpu);
    uint16_t sel = (uint16_t)rd_E(cpu, in, 2);
    Desc d;
    if (!visible(cpu, sel, &d) || !lar_type_ok(&d, true, long_mode(cpu))) {
        flags_put(cpu, F_ZF, 0);
        return;
    }
    wr_G(cpu, in, in->osz == 2 ? 2 : 4, desc_limit(&d));
    flags_put(cpu, F_ZF, F_ZF);
}

void VERx_Ew(CPU *cpu, const Insn *in)
{
    if (!prot_mode(cpu))
        cpu_ud(cpu);
    bool write = ((in->modrm >> 3) & 7) == 5;
    uint16_t sel = (uint16_t)rd_E(cpu, in, 2);
    Desc d;
    bool ok = visible(cpu, sel, &d) && desc_s(&d);
    if (ok)
        ok = write ? !desc_code(&d) && (d.hi & (1u << 9))
                   : !desc_code(&d) || (d.hi & (1u << 9));
    flags_put(cpu, F_ZF, ok ? F_ZF : 0);
}

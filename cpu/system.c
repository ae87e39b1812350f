/* system.c — control and debug registers, descriptor-table registers,
 * CLI/STI, and the other privileged housekeeping instructions. */
#include "sys.h"

#include "debug.h"
#include "operand.h"
#include "../softmmu/paging.h"

void priv_check(CPU *cpu)
{
    if (cpu->cpl != 0)
        cpu_gp0(cpu);
}

/* Forms that exist only in protected mode (#UD in real and v8086 mode). */
static void prot_only(CPU *cpu)
{
    if (!prot_mode(cpu))
        cpu_ud(cpu);
}

/* ---- Control registers ---- */

void set_cr0(CPU *cpu, uint64_t v)
{
    if (v >> 32)
        cpu_gp0(cpu);
    /* Reserved bits are ignored; ET is hardwired to 1. */
    v &= CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;
    v |= CR0_ET;
    if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
        cpu_gp0(cpu);
    uint64_t old = cpu->cr0;
    uint64_t efer = cpu->efer;
    if ((v & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
        /* Entering IA-32e mode needs PAE and must not be from a CS with L set. */
        if (!(cpu->cr4 & CR4_PAE) || (cpu->seg[S_CS].attr & SA_L))
            cpu_gp0(cpu);
        efer |= EFER_LMA;
    }
    if (!(v & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
        if (cpu->code_mode == CODE64)
            cpu_gp0(cpu);
        efer &= ~(uint64_t)EFER_LMA;
    }
    if ((v & CR0_PG) && !(v & CR0_PE))
        cpu_gp0(cpu);
    cpu->cr0 = v;
    cpu->efer = efer;
    if ((old ^ v) & (CR0_PG | CR0_WP | CR0_PE))
        paging_flush(&cpu->mmu, true);
    cpu_update_mode(cpu);
}

void set_cr4(CPU *cpu, uint64_t v)
{
    const uint64_t ok = CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE |
                        CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (v & ~ok)
        cpu_gp0(cpu);
    if (long_mode(cpu) && !(v & CR4_PAE))
        cpu_gp0(cpu);
    uint64_t old = cpu->cr4;
    cpu->cr4 = v;
    if ((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE))
        paging_flush(&cpu->mmu, true);
}

static void set_cr3(CPU *cpu, uint64_t v)
{
    if (long_mode(cpu)) {
        if (v >> 40)  /* above MAXPHYADDR (40 bits, CPUID 0x80000008) */
            cpu_gp0(cpu);
    } else {
        v = (uint32_t)v;
    }
    cpu->cr3 = v;
    paging_flush(&cpu->mmu, false);
}

static unsigned cr_size(const CPU *cpu) { return cpu->code_mode == CODE64 ? 8 : 4; }

/* MOV from/to CRn and DRn ignore ModRM.mod: the table line is M_REG. */
void MOV_RdCd(CPU *cpu, const Insn *in)
{
    unsigned cr = in->reg;
    uint64_t v;
    switch (cr) {
    case 0: v = cpu->cr0; break;
    case 2: v = cpu->cr2; break;
    case 3: v = cpu->cr3; break;
    case 4: v = cpu->cr4; break;
    case 8: v = cpu_get_cr8(cpu); break;
    default: cpu_ud(cpu);
    }
    priv_check(cpu);
    set_reg(cpu, in->rm, cr_size(cpu), v);
}

void MOV_CdRd(CPU *cpu, const Insn *in)
{
    unsigned cr = in->reg;
    if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8)
        cpu_ud(cpu);
    priv_check(cpu);
    uint64_t v = get_reg(cpu, in->rm, cr_size(cpu));
    switch (cr) {
    case 0: set_cr0(cpu, v); break;
    case 2: cpu->cr2 = v; break;
    case 3: set_cr3(cpu, v); break;
    case 4: set_cr4(cpu, v); break;
    case 8:
        if (v >> 4)
            cpu_gp0(cpu);
        /* SDM 10.8.6.1: CR8 is TPR[7:4] of the local APIC. */
        if (cpu->apic_ops)
            cpu->apic_ops->set_cr8(cpu->apic_opaque, (uint8_t)v);
        else
            cpu->cr8 = v;
        break;
    }
}

/* DR4/DR5 alias DR6/DR7 unless CR4.DE makes them undefined. */
static unsigned dr_index(CPU *cpu, const Insn *in)
{
    unsigned dr = in->reg;
    if (dr > 7)
        cpu_ud(cpu);
    if (dr == 4 || dr == 5) {
        if (cpu->cr4 & CR4_DE)
            cpu_ud(cpu);
        dr += 2;
    }
    return dr;
}

void MOV_RdDd(CPU *cpu, const Insn *in)
{
    unsigned dr = dr_index(cpu, in);
    priv_check(cpu);
    debug_mov_dr(cpu);
    set_reg(cpu, in->rm, cr_size(cpu), cpu->dr[dr]);
}

void MOV_DdRd(CPU *cpu, const Insn *in)
{
    unsigned dr = dr_index(cpu, in);
    priv_check(cpu);
    debug_mov_dr(cpu);
    uint64_t v = get_reg(cpu, in->rm, cr_size(cpu));
    if (dr == 6 || dr == 7) {
        if (v >> 32)
            cpu_gp0(cpu);
        v = dr == 6 ? (v & 0x0000e00fu) | 0xffff0ff0u : (v & 0xffff2bffu) | 0x400u;
    } else if (cpu->code_mode != CODE64) {
        v = (uint32_t)v;
    }
    cpu->dr[dr] = v;
    debug_update(cpu);
}

void CLTS(CPU *cpu, const Insn *in)
{
    (void)in;
    priv_check(cpu);
    cpu->cr0 &= ~(uint64_t)CR0_TS;
}

/* LMSW loads PE/MP/EM/TS; it can set PE but never clear it. */
void LMSW_Ew(CPU *cpu, const Insn *in)
{
    priv_check(cpu);
    uint64_t w = rd_E(cpu, in, 2) & 0xf;
    uint64_t v = (cpu->cr0 & ~0xeull) | w | (cpu->cr0 & CR0_PE);
    set_cr0(cpu, v);
}

void SMSW_Ew(CPU *cpu, const Insn *in)
{
    if (in->flags & IF_MEM)
        wr_E(cpu, in, 2, cpu->cr0 & 0xffff);
    else
        set_reg(cpu, in->rm, in->osz, cpu->cr0);
}

void INVLPG_M(CPU *cpu, const Insn *in)
{
    priv_check(cpu);
    uint64_t off = insn_ea(cpu, in);
    uint64_t lin = cpu->code_mode == CODE64
        ? off + ((in->seg == S_FS || in->seg == S_GS) ? cpu->seg[in->seg].base : 0)
        : (uint32_t)(cpu->seg[in->seg].base + off);
    paging_invlpg(&cpu->mmu, lin);
}

/* INVD, WBINVD: caches are not modelled. */
void WBINVD(CPU *cpu, const Insn *in)
{
    (void)in;
    priv_check(cpu);
}

/* ---- Descriptor-table registers ---- */

static void load_dtr(CPU *cpu, const Insn *in, DescTable *t)
{
    priv_check(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint16_t limit = (uint16_t)cpu_read(cpu, in->seg, ea, 2);
    uint64_t a2 = (ea + 2) & size_mask(in->asz);
    uint64_t base;
    if (cpu->code_mode == CODE64) {
        base = cpu_read(cpu, in->seg, a2, 8);
        if (!is_canonical(base))
            cpu_gp0(cpu);
    } else {
        base = cpu_read(cpu, in->seg, a2, 4);
        if (in->osz == 2)
            base &= 0xffffff;
    }
    t->base = base;
    t->limit = limit;
}

static void store_dtr(CPU *cpu, const Insn *in, const DescTable *t)
{
    uint64_t ea = insn_ea(cpu, in);
    unsigned bsize = cpu->code_mode == CODE64 ? 8 : 4;
    cpu_check_write(cpu, in->seg, ea, 2);
    cpu_check_write(cpu, in->seg, (ea + 2) & size_mask(in->asz), bsize);
    cpu_write(cpu, in->seg, ea, 2, t->limit);
    cpu_write(cpu, in->seg, (ea + 2) & size_mask(in->asz), bsize, t->base);
}

void LGDT_M(CPU *cpu, const Insn *in) { load_dtr(cpu, in, &cpu->gdtr); }
void LIDT_M(CPU *cpu, const Insn *in) { load_dtr(cpu, in, &cpu->idtr); }
void SGDT_M(CPU *cpu, const Insn *in) { store_dtr(cpu, in, &cpu->gdtr); }
void SIDT_M(CPU *cpu, const Insn *in) { store_dtr(cpu, in, &cpu->idtr); }

static void store_sel(CPU *cpu, const Insn *in, uint16_t sel)
{
    prot_only(cpu);
    if (in->flags & IF_MEM)
        wr_E(cpu, in, 2, sel);
    else
        set_reg(cpu, in->rm, in->osz, sel);
}

void SLDT_Ew(CPU *cpu, const Insn *in) { store_sel(cpu, in, cpu->ldtr.sel); }
void STR_Ew(CPU *cpu, const Insn *in) { store_sel(cpu, in, cpu->tr.sel); }

/* Reads the GDT system descriptor for LLDT/LTR (16 bytes in long mode). */
static void sys_desc(CPU *cpu, uint16_t sel, Desc *d)
{
    if ((sel & 4) || !desc_read_sys(cpu, sel, d))
        raise_sel(cpu, EXC_GP, sel);
    if (long_mode(cpu) && ((d->hi64 >> 40) & 0x1f))
        raise_sel(cpu, EXC_GP, sel);
}

/* The 64-bit base of a 16-byte descriptor must be canonical (#GP(sel),
 * checked before LTR marks it busy). */
static void check_sys_base(CPU *cpu, uint16_t sel, const Desc *d)
{
    if (long_mode(cpu) && !is_canonical(desc_base(d) | (d->hi64 & 0xffffffffull) << 32))
        raise_sel(cpu, EXC_GP, sel);
}

static void seg_from_sys_desc(CPU *cpu, Seg *s, uint16_t sel, const Desc *d)
{
    seg_from_desc(s, sel, d);
    if (long_mode(cpu))
        s->base |= (d->hi64 & 0xffffffffull) << 32;
}

void LLDT_Ew(CPU *cpu, const Insn *in)
{
    prot_only(cpu);
    priv_check(cpu);
    uint16_t sel = (uint16_t)rd_E(cpu, in, 2);
    if ((sel & 0xfffc) == 0) {
        seg_null(&cpu->ldtr, sel);
        return;
    }
    Desc d;
    sys_desc(cpu, sel, &d);
    if (desc_s(&d) || desc_type(&d) != DT_LDT)
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_present(&d))
        raise_sel(cpu, EXC_NP, sel);
    check_sys_base(cpu, sel, &d);
    seg_from_sys_desc(cpu, &cpu->ldtr, sel, &d);
}

void LTR_Ew(CPU *cpu, const Insn *in)
{
    prot_only(cpu);
    priv_check(cpu);
    uint16_t sel = (uint16_t)rd_E(cpu, in, 2);
    if ((sel & 0xfffc) == 0)
        cpu_gp0(cpu);
    Desc d;
    sys_desc(cpu, sel, &d);
    unsigned type = desc_type(&d);
    if (desc_s(&d) || !(type == DT_TSS32_AVAIL || (type == DT_TSS16_AVAIL && !long_mode(cpu))))
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_present(&d))
        raise_sel(cpu, EXC_NP, sel);
    check_sys_base(cpu, sel, &d);
    d.hi |= 1u << 9;  /* busy */
    desc_write_hi(cpu, sel, d.hi);
    seg_from_sys_desc(cpu, &cpu->tr, sel, &d);
}

/* ---- Interrupt flag ---- */

/* Real mode, CPL <= IOPL, or v8086 at IOPL 3 may change IF; otherwise
 * #GP(0) (VME/PVI are not offered). */
static void if_check(CPU *cpu)
{
    if (!(cpu->cr0 & CR0_PE))
        return;
    if (cpu->eflags & F_VM ? iopl(cpu) < 3 : cpu->cpl > iopl(cpu))
        cpu_gp0(cpu);
}

void CLI(CPU *cpu, const Insn *in)
{
    (void)in;
    if_check(cpu);
    cpu->eflags &= ~(uint32_t)F_IF;
}

void STI(CPU *cpu, const Insn *in)
{
    (void)in;
    if_check(cpu);
    if (!(cpu->eflags & F_IF))
        cpu->intr_shadow = 1;
    cpu->eflags |= F_IF;
}

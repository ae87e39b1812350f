/* msr.c — model-specific registers: RDMSR, WRMSR, RDPMC. */
#include "sys.h"

#include "cpuid.h"
#include "operand.h"
#include "../softmmu/paging.h"

enum {
    MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_APIC_BASE = 0x1b, MSR_BIOS_SIGN_ID = 0x8b, MSR_MTRRCAP = 0xfe,
    MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176,
    MSR_MISC_ENABLE = 0x1a0, MSR_MTRR_PHYS0 = 0x200, MSR_MTRR_FIX64K = 0x250,
    MSR_MTRR_FIX16K0 = 0x258, MSR_MTRR_FIX16K1 = 0x259, MSR_MTRR_FIX4K0 = 0x268,
    MSR_TSC_DEADLINE = 0x6e0, MSR_PAT = 0x277, MSR_MTRR_DEF_TYPE = 0x2ff,
    MSR_EFER = 0xc0000080, MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082,
    MSR_CSTAR = 0xc0000083, MSR_SFMASK = 0xc0000084, MSR_FS_BASE = 0xc0000100,
    MSR_GS_BASE = 0xc0000101, MSR_KERNEL_GS_BASE = 0xc0000102, MSR_TSC_AUX = 0xc0000103,
};

/* Eight variable-range MTRR pairs, fixed ranges, write-combining. */
#define MTRRCAP_VALUE 0x508ull
#define PHYS_MASK ((1ull << 40) - 1)

/* Fixed-range MTRR MSR number -> index in cpu->mtrr_fixed, or -1 */
static int fixed_index(uint32_t msr)
{
    if (msr == MSR_MTRR_FIX64K) return 0;
    if (msr == MSR_MTRR_FIX16K0) return 1;
    if (msr == MSR_MTRR_FIX16K1) return 2;
    if (msr >= MSR_MTRR_FIX4K0 && msr <= MSR_MTRR_FIX4K0 + 7) return 3 + (int)(msr - MSR_MTRR_FIX4K0);
    return -1;
}

static bool mem_type_ok(unsigned t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }

void set_efer(CPU *cpu, uint64_t v)
{
    if (v & ~(uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
        cpu_gp0(cpu);
    /* LME may not change while paging is on; LMA is the CPU's to set. */
    if ((cpu->cr0 & CR0_PG) && ((v ^ cpu->efer) & EFER_LME))
        cpu_gp0(cpu);
    uint64_t old = cpu->efer;
    cpu->efer = (v & ~(uint64_t)EFER_LMA) | (old & EFER_LMA);
    if ((old ^ cpu->efer) & EFER_NXE)
        paging_flush(&cpu->mmu, true);
}

/* Returns false for an MSR that does not exist (#GP(0) at the caller). */
static bool msr_read(CPU *cpu, uint32_t msr, uint64_t *v)
{
    int fi = fixed_index(msr);
    if (fi >= 0) {
        *v = cpu->mtrr_fixed[fi];
        return true;
    }
    if (msr >= MSR_MTRR_PHYS0 && msr < MSR_MTRR_PHYS0 + 16) {
        *v = cpu->mtrr_var[msr - MSR_MTRR_PHYS0];
        return true;
    }
    switch (msr) {
    case MSR_TSC: *v = cpu_tsc(cpu); return true;
    case MSR_APIC_BASE:
        *v = cpu->apic_ops ? cpu->apic_ops->rdmsr(cpu->apic_opaque, msr) : cpu->apic_base;
        return true;
    case MSR_TSC_DEADLINE:
        if (!cpu->apic_ops)
            return false;
        *v = cpu->apic_ops->rdmsr(cpu->apic_opaque, msr);
        return true;
    /* IA32_PLATFORM_ID (read-only): platform id bits 52:50 = 0.  Linux's
     * Intel microcode driver reads it without rdmsr_safe on family 6. */
    case MSR_PLATFORM_ID: *v = 0; return true;
    case MSR_BIOS_SIGN_ID: *v = 0; return true;
    case MSR_MTRRCAP: *v = MTRRCAP_VALUE; return true;
    case MSR_SYSENTER_CS: *v = cpu->sysenter_cs; return true;
    case MSR_SYSENTER_ESP: *v = cpu->sysenter_esp; return true;
    case MSR_SYSENTER_EIP: *v = cpu->sysenter_eip; return true;
    case MSR_MISC_ENABLE: *v = cpu->misc_enable; return true;
    case MSR_PAT: *v = cpu->pat; return true;
    case MSR_MTRR_DEF_TYPE: *v = cpu->mtrr_def_type; return true;
    case MSR_EFER: *v = cpu->efer; return true;
    case MSR_STAR: *v = cpu->star; return true;
    case MSR_LSTAR: *v = cpu->lstar; return true;
    case MSR_CSTAR: *v = cpu->cstar; return true;
    case MSR_SFMASK: *v = cpu->sfmask; return true;
    case MSR_FS_BASE: *v = cpu->seg[S_FS].base; return true;
    case MSR_GS_BASE: *v = cpu->seg[S_GS].base; return true;
    case MSR_KERNEL_GS_BASE: *v = cpu->kernel_gs_base; return true;
    case MSR_TSC_AUX: *v = cpu->tsc_aux; return true;
    default: return mce_msr_read(cpu, msr, v);
    }
}

static bool msr_write(CPU *cpu, uint32_t msr, uint64_t v)
{
    int fi = fixed_index(msr);
    if (fi >= 0) {
        for (int i = 0; i < 8; i++)
            if (!mem_type_ok((v >> (8 * i)) & 0xff))
                return false;
        cpu->mtrr_fixed[fi] = v;
        return true;
    }
    if (msr >= MSR_MTRR_PHYS0 && msr < MSR_MTRR_PHYS0 + 16) {
        bool is_mask = msr & 1;
        uint64_t ok = is_mask ? (PHYS_MASK & ~0xfffull) | 0x800 : (PHYS_MASK & ~0xfffull) | 0xff;
        if ((v & ~ok) || (!is_mask && !mem_type_ok(v & 0xff)))
            return false;
        cpu->mtrr_var[msr - MSR_MTRR_PHYS0] = v;
        return true;
    }
    switch (msr) {
    case MSR_TSC:
        cpu->tsc_offset += v - cpu_tsc(cpu);
        return true;
    case MSR_APIC_BASE:
        /* BSP (bit 8) is read-only; EN (11); base 4 KiB aligned. */
        if (v & ~(PHYS_MASK & ~0x6ffull))
            return false;
        if (cpu->apic_ops)
            cpu->apic_ops->wrmsr(cpu->apic_opaque, msr, v, cpu_tsc(cpu));
        else
            cpu->apic_base = (v & ~0x100ull) | (cpu->apic_base & 0x100);
        return true;
    case MSR_TSC_DEADLINE:
        if (!cpu->apic_ops)
            return false;
        cpu->apic_ops->wrmsr(cpu->apic_opaque, msr, v, cpu_tsc(cpu));
        return true;
    case MSR_BIOS_SIGN_ID:
        return true;  /* microcode revision: reads 0 */
    case MSR_SYSENTER_CS: cpu->sysenter_cs = v & 0xffff; return true;
    case MSR_SYSENTER_ESP:
    case MSR_SYSENTER_EIP:
        if (!is_canonical(v))
            return false;
        if (msr == MSR_SYSENTER_ESP) cpu->sysenter_esp = v; else cpu->sysenter_eip = v;
        return true;
    case MSR_MISC_ENABLE: cpu->misc_enable = v; return true;
    case MSR_PAT:
        for (int i = 0; i < 8; i++) {
            unsigned t = (v >> (8 * i)) & 0xff;
            if (!mem_type_ok(t) && t != 7)
                return false;
        }
        cpu->pat = v;
        return true;
    case MSR_MTRR_DEF_TYPE:
        if ((v & ~0xcffull) || !mem_type_ok(v & 0xff))
            return false;
        cpu->mtrr_def_type = v;
        return true;
    case MSR_EFER: set_efer(cpu, v); return true;
    case MSR_STAR: cpu->star = v; return true;
    case MSR_LSTAR:
    case MSR_CSTAR:
        if (!is_canonical(v))
            return false;
        if (msr == MSR_LSTAR) cpu->lstar = v; else cpu->cstar = v;
        return true;
    case MSR_SFMASK: cpu->sfmask = (uint32_t)v; return true;
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
        if (!is_canonical(v))
            return false;
        if (msr == MSR_FS_BASE) cpu->seg[S_FS].base = v;
        else if (msr == MSR_GS_BASE) cpu->seg[S_GS].base = v;
        else cpu->kernel_gs_base = v;
        return true;
    case MSR_TSC_AUX:
        if (v >> 32)
            return false;
        cpu->tsc_aux = v;
        return true;
    default:
        return mce_msr_write(cpu, msr, v);
    }
}

void RDMSR(CPU *cpu, const Insn *in)
{
    (void)in;
    priv_check(cpu);
    uint64_t v;
    if (!msr_read(cpu, (uint32_t)cpu->regs[R_CX], &v))
        cpu_gp0(cpu);
    cpu->regs[R_AX] = (uint32_t)v;
    cpu->regs[R_DX] = v >> 32;
}

void WRMSR(CPU *cpu, const Insn *in)
{
    (void)in;
    priv_check(cpu);
    uint64_t v = (uint32_t)cpu->regs[R_AX] | (cpu->regs[R_DX] << 32);
    if (!msr_write(cpu, (uint32_t)cpu->regs[R_CX], v))
        cpu_gp0(cpu);
}

/* No performance counters are offered: every counter number is invalid. */
void RDPMC(CPU *cpu, const Insn *in)
{
    (void)in;
    cpu_gp0(cpu);
}

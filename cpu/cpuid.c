/* cpuid.c — CPUID, derived from the CPU's model (cpu/model.h).
 *
 * Vendor, signature and brand are the model's; the feature bits are the
 * CPU's feature mask (model.h lists them, each implemented in cpu/); the
 * bits that describe a quirk follow the quirk table, so what CPUID says and
 * what the interpreter does cannot disagree.  Nothing that is not
 * implemented is advertised: guests trust CPUID and use what it shows
 * without probing.
 */
#include <string.h>

#include "cpuid.h"
#include "model.h"
#include "operand.h"

enum {
    INTEL_MAX_BASIC_LEAF = 0x16,  /* up to the TSC/crystal and frequency leaves */
    AMD_MAX_BASIC_LEAF = 7,
    MAX_EXT_LEAF = 0x80000008,
    CLFLUSH_LINE_QWORDS = 8,      /* 64-byte lines */
    PHYS_ADDR_BITS = 40,
    VIRT_ADDR_BITS = 48,
    /* The TSC counts at CPU_TSC_HZ of the board's clock (cpu.h): leaf 15h
     * says crystal = TSC (ratio 1/1), since Linux takes the crystal as the
     * local APIC timer's rate and that timer runs from the same 1 GHz;
     * leaf 16h base = max = bus = 1000 MHz. */
    TSC_RATIO_NUM = 1, TSC_RATIO_DEN = 1,
    TSC_MHZ = CPU_TSC_HZ / 1000000, BUS_MHZ = TSC_MHZ,
};

/* Leaf 1 EDX bits AMD repeats in 8000_0001 EDX (APM 3, CPUID Fn8000_0001):
 * FPU VME DE PSE TSC MSR PAE MCE CX8 APIC MTRR PGE MCA CMOV PAT PSE36 MMX
 * FXSR.  (Bit 11 there is SYSCALL, not SEP.) */
#define AMD_EXT_EDX_MIRROR 0x0183f3ffu

uint32_t cpuid_signature(const CpuModel *m)
{
    /* Display family = family + extended family when family is 0Fh;
     * display model = extended model : model for family 6 and 0Fh. */
    unsigned fam = m->family, model = m->model;
    uint32_t sig = (model & 15) << 4 | (m->stepping & 15) | (model >> 4) << 16;
    if (fam >= 15)
        sig |= 15u << 8 | (fam - 15) << 20;
    else
        sig |= fam << 8;
    return sig;
}

static uint32_t word_at(const char *s, unsigned i)
{
    uint32_t v;
    memcpy(&v, s + 4 * i, 4);
    return v;
}

static void features(const CPU *cpu, uint32_t leaf, uint32_t out[4])
{
    for (int f = 0; f < FEAT_COUNT; f++)
        if (cpu_feature_info[f].leaf == leaf && cpu_feature(cpu, (CpuFeature)f))
            out[cpu_feature_info[f].reg] |= 1u << cpu_feature_info[f].bit;
}

void cpuid_query(const CPU *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    const CpuModel *m = cpu->model;
    const Quirks *q = &m->q;
    bool intel = m->vendor == VENDOR_INTEL;
    uint32_t max_basic = intel ? INTEL_MAX_BASIC_LEAF : AMD_MAX_BASIC_LEAF;
    memset(out, 0, 4 * sizeof out[0]);
    /* Leaves above the maximum read as zeros (Intel would repeat the
     * highest basic leaf; guests never rely on it), as does every leaf in
     * range not handled below: no caches, topology, power or XSAVE data. */
    if (leaf > max_basic && leaf < 0x80000000u)
        return;
    switch (leaf) {
    case 0:
        out[CPUID_EAX] = max_basic;
        out[CPUID_EBX] = word_at(m->vendor_id, 0);
        out[CPUID_EDX] = word_at(m->vendor_id, 1);
        out[CPUID_ECX] = word_at(m->vendor_id, 2);
        break;
    case 1:
        out[CPUID_EAX] = cpuid_signature(m);
        /* APIC ID 0, one logical processor, CLFLUSH line size */
        out[CPUID_EBX] = CLFLUSH_LINE_QWORDS << 8;
        features(cpu, leaf, out);
        break;
    case 2:
        if (intel)
            out[CPUID_EAX] = 1;  /* one round, no cache descriptors */
        break;
    case 6:
        features(cpu, leaf, out);  /* ARAT */
        break;
    case 7:
        if (subleaf == 0) {      /* EAX = 0: no further sub-leaves */
            features(cpu, leaf, out);
            if (q->fdp_excptn_only)
                out[CPUID_EBX] |= 1u << 6;
            if (q->fcs_fds_zero)
                out[CPUID_EBX] |= 1u << 13;
        }
        break;
    case 0x15:
        out[CPUID_EAX] = TSC_RATIO_DEN;
        out[CPUID_EBX] = TSC_RATIO_NUM;
        out[CPUID_ECX] = CPU_TSC_HZ;
        break;
    case 0x16:
        out[CPUID_EAX] = TSC_MHZ;
        out[CPUID_EBX] = TSC_MHZ;
        out[CPUID_ECX] = BUS_MHZ;
        break;
    case 0x80000000:
        out[CPUID_EAX] = MAX_EXT_LEAF;
        if (!intel) {            /* AMD repeats the vendor here */
            out[CPUID_EBX] = word_at(m->vendor_id, 0);
            out[CPUID_EDX] = word_at(m->vendor_id, 1);
            out[CPUID_ECX] = word_at(m->vendor_id, 2);
        }
        break;
    case 0x80000001:
        features(cpu, leaf, out);
        if (!intel) {
            uint32_t l1[4];
            cpuid_query(cpu, 1, 0, l1);
            out[CPUID_EAX] = l1[CPUID_EAX];
            out[CPUID_EDX] |= l1[CPUID_EDX] & AMD_EXT_EDX_MIRROR;
        }
        if (q->mxcsr_mask & (1u << 17))
            out[CPUID_ECX] |= 1u << 7;  /* MisAlignSse: MXCSR.MM exists */
        break;
    case 0x80000002: case 0x80000003: case 0x80000004:
        for (unsigned i = 0; i < 4; i++)
            out[i] = word_at(m->brand, (leaf - 0x80000002) * 4 + i);
        break;
    case 0x80000007:
        features(cpu, leaf, out);
        break;
    case 0x80000008:
        out[CPUID_EAX] = (VIRT_ADDR_BITS << 8) | PHYS_ADDR_BITS;
        break;
    default:
        break;
    }
}

bool cpuid_has(const CPU *cpu, uint32_t leaf, unsigned reg, unsigned bit)
{
    uint32_t out[4];
    cpuid_query(cpu, leaf, 0, out);
    return reg < 4 && bit < 32 && (out[reg] >> bit) & 1;
}

void CPUID(CPU *cpu, const Insn *in)
{
    (void)in;
    uint32_t out[4];
    cpuid_query(cpu, (uint32_t)cpu->regs[R_AX], (uint32_t)cpu->regs[R_CX], out);
    set_reg(cpu, R_AX, 4, out[CPUID_EAX]);
    set_reg(cpu, R_BX, 4, out[CPUID_EBX]);
    set_reg(cpu, R_CX, 4, out[CPUID_ECX]);
    set_reg(cpu, R_DX, 4, out[CPUID_EDX]);
}

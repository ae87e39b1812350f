/* cpuid.c — the CPU model ringzero advertises.
 *
 * The vendor is GenuineIntel, family 6: guest kernels take their most
 * generic, best-tested paths for it (QEMU's TCG models do the same).  Every
 * feature bit set anywhere comes from the two tables below.  A bit may only
 * be advertised once the instructions or state it promises are implemented:
 * guests trust CPUID and use what it shows without probing.
 */
#include <string.h>

#include "cpuid.h"
#include "operand.h"

typedef struct CpuidBit {
    uint32_t leaf;
    uint8_t reg;          /* CPUID_EAX.. CPUID_EDX */
    uint8_t bit;
    bool on;
} CpuidBit;

#define L1 0x00000001u
#define L7 0x00000007u
#define LX1 0x80000001u

/* User-level features: all implemented in cpu/. */
static const CpuidBit user_features[] = {
    { L1, CPUID_EDX, 0, true },    /* FPU: x87 */
    { L1, CPUID_EDX, 4, true },    /* TSC: RDTSC (CR4.TSD honoured) */
    { L1, CPUID_EDX, 8, true },    /* CX8: CMPXCHG8B */
    { L1, CPUID_EDX, 15, true },   /* CMOV: CMOVcc (and FCMOVcc/FCOMI with FPU) */
    { L1, CPUID_EDX, 23, true },   /* MMX */
    { L1, CPUID_EDX, 24, true },   /* FXSR: FXSAVE/FXRSTOR, CR4.OSFXSR */
    { L1, CPUID_EDX, 25, true },   /* SSE */
    { L1, CPUID_EDX, 26, true },   /* SSE2 */
    { L1, CPUID_ECX, 0, true },    /* SSE3 */
    { L1, CPUID_ECX, 9, true },    /* SSSE3 */
    { L1, CPUID_ECX, 13, true },   /* CX16: CMPXCHG16B */
    { L1, CPUID_ECX, 23, true },   /* POPCNT */
    { LX1, CPUID_EDX, 11, true },  /* SYSCALL/SYSRET */
    { LX1, CPUID_EDX, 20, true },  /* NX: EFER.NXE, XD page bit */
    { LX1, CPUID_EDX, 29, true },  /* LM: long mode */
    { LX1, CPUID_ECX, 0, true },   /* LAHF/SAHF in 64-bit mode */
    { LX1, CPUID_ECX, 5, true },   /* ABM/LZCNT (and TZCNT decodes as such) */
    /* Deliberately absent: BMI1 (only TZCNT exists, not ANDN/BEXTR/BLS*),
     * MOVBE, SSE4.x, AVX, RDTSCP, ERMS, hypervisor bit. */
};

/* System features.  THIS LIST MUST TRACK WHAT IS IMPLEMENTED: switch a
 * bit on in the same change that makes the feature work (paging modes,
 * MSRs, APIC, ...), and off again if it is ever withdrawn. */
static const CpuidBit system_features[] = {
    { L1, CPUID_EDX, 1, false },   /* VME: virtual-8086 mode extensions */
    { L1, CPUID_EDX, 2, true  },   /* DE: debugging extensions (CR4.DE) */
    { L1, CPUID_EDX, 3, true  },   /* PSE: 4 MiB pages */
    { L1, CPUID_EDX, 5, true  },   /* MSR: RDMSR/WRMSR */
    { L1, CPUID_EDX, 6, true  },   /* PAE */
    { L1, CPUID_EDX, 7, false },   /* MCE: machine-check exception */
    { L1, CPUID_EDX, 9, false },   /* APIC: on-chip local APIC */
    { L1, CPUID_EDX, 11, true  },  /* SEP: SYSENTER/SYSEXIT */
    { L1, CPUID_EDX, 12, true  },  /* MTRR */
    { L1, CPUID_EDX, 13, true  },  /* PGE: global pages */
    { L1, CPUID_EDX, 14, false },  /* MCA: machine-check architecture */
    { L1, CPUID_EDX, 16, true  },  /* PAT */
    { L1, CPUID_EDX, 17, true  },  /* PSE-36 */
    { L1, CPUID_EDX, 19, true  },  /* CLFSH: CLFLUSH */
};

static void set_bits(const CpuidBit *t, size_t n, uint32_t leaf, uint32_t out[4])
{
    for (size_t i = 0; i < n; i++)
        if (t[i].leaf == leaf && t[i].on)
            out[t[i].reg] |= 1u << t[i].bit;
}

static void features(uint32_t leaf, uint32_t out[4])
{
    set_bits(user_features, sizeof user_features / sizeof user_features[0], leaf, out);
    set_bits(system_features, sizeof system_features / sizeof system_features[0], leaf, out);
}

enum {
    MAX_BASIC_LEAF = 7,
    MAX_EXT_LEAF = 0x80000008,
    /* Family 6, model 15, stepping 1 (display family/model, no extension) */
    SIGNATURE = (6 << 8) | (15 << 4) | 1,
    CLFLUSH_LINE_QWORDS = 8,      /* 64-byte lines */
    PHYS_ADDR_BITS = 40,
    VIRT_ADDR_BITS = 48,
};

static const char vendor[12] = "GenuineIntel";
static const char brand[48] = "ringzero virtual CPU";

static uint32_t word_at(const char *s, unsigned i)
{
    uint32_t v;
    memcpy(&v, s + 4 * i, 4);
    return v;
}

void cpuid_query(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    memset(out, 0, 4 * sizeof out[0]);
    /* Leaves above the maximum: Intel returns the highest basic leaf's
     * data; zeros are what guests actually expect to see, and what we
     * give for every unlisted leaf in range too. */
    switch (leaf) {
    case 0:
        out[CPUID_EAX] = MAX_BASIC_LEAF;
        out[CPUID_EBX] = word_at(vendor, 0);
        out[CPUID_EDX] = word_at(vendor, 1);
        out[CPUID_ECX] = word_at(vendor, 2);
        break;
    case 1:
        out[CPUID_EAX] = SIGNATURE;
        /* APIC ID 0, one logical processor, CLFLUSH line size */
        out[CPUID_EBX] = CLFLUSH_LINE_QWORDS << 8;
        features(leaf, out);
        break;
    case 7:
        if (subleaf == 0)
            features(leaf, out);  /* EAX = 0: no further sub-leaves */
        break;
    case 0x80000000:
        out[CPUID_EAX] = MAX_EXT_LEAF;
        break;
    case 0x80000001:
        features(leaf, out);
        break;
    case 0x80000002: case 0x80000003: case 0x80000004:
        for (unsigned i = 0; i < 4; i++)
            out[i] = word_at(brand, (leaf - 0x80000002) * 4 + i);
        break;
    case 0x80000008:
        out[CPUID_EAX] = (VIRT_ADDR_BITS << 8) | PHYS_ADDR_BITS;
        break;
    default:
        break;
    }
}

bool cpuid_has(uint32_t leaf, unsigned reg, unsigned bit)
{
    uint32_t out[4];
    cpuid_query(leaf, 0, out);
    return reg < 4 && bit < 32 && (out[reg] >> bit) & 1;
}

void CPUID(CPU *cpu, const Insn *in)
{
    (void)in;
    uint32_t out[4];
    cpuid_query((uint32_t)cpu->regs[R_AX], (uint32_t)cpu->regs[R_CX], out);
    set_reg(cpu, R_AX, 4, out[CPUID_EAX]);
    set_reg(cpu, R_BX, 4, out[CPUID_EBX]);
    set_reg(cpu, R_CX, 4, out[CPUID_ECX]);
    set_reg(cpu, R_DX, 4, out[CPUID_EDX]);
}

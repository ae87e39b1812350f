/* model.h — CPU models: who the CPU says it is (CPUID) and how it behaves
 * where the SDM and the APM leave a choice to the implementation.
 *
 * A CpuModel is constant data; each CPU points to one (cpu->model) and keeps
 * its own feature mask (cpu->features), which starts as the model's and
 * which the board or -cpu may edit.  Every vendor-dependent choice in cpu/
 * reads cpu->model->q, never the host, so the same guest code behaves the
 * same on every host.  docs/cpu-models.md explains how to add a quirk.
 */
#ifndef RZ_MODEL_H
#define RZ_MODEL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct CPU CPU;

/* Features a guest can see in CPUID.  The order is the -cpu help order. */
#define CPU_FEATURES(X) \
    /* name       leaf        reg  bit implemented */ \
    X(FPU,     "fpu",     0x1u, 3, 0, true)  \
    X(DE,      "de",      0x1u, 3, 2, true)  \
    X(PSE,     "pse",     0x1u, 3, 3, true)  \
    X(TSC,     "tsc",     0x1u, 3, 4, true)  \
    X(MSR,     "msr",     0x1u, 3, 5, true)  \
    X(PAE,     "pae",     0x1u, 3, 6, true)  \
    X(MCE,     "mce",     0x1u, 3, 7, true)  \
    X(CX8,     "cx8",     0x1u, 3, 8, true)  \
    X(APIC,    "apic",    0x1u, 3, 9, true)  \
    X(SEP,     "sep",     0x1u, 3, 11, true) \
    X(MTRR,    "mtrr",    0x1u, 3, 12, true) \
    X(PGE,     "pge",     0x1u, 3, 13, true) \
    X(MCA,     "mca",     0x1u, 3, 14, true) \
    X(CMOV,    "cmov",    0x1u, 3, 15, true) \
    X(PAT,     "pat",     0x1u, 3, 16, true) \
    X(PSE36,   "pse36",   0x1u, 3, 17, true) \
    X(CLFLUSH, "clflush", 0x1u, 3, 19, true) \
    X(MMX,     "mmx",     0x1u, 3, 23, true) \
    X(FXSR,    "fxsr",    0x1u, 3, 24, true) \
    X(SSE,     "sse",     0x1u, 3, 25, true) \
    X(SSE2,    "sse2",    0x1u, 3, 26, true) \
    X(PNI,     "pni",     0x1u, 2, 0, true)  \
    X(SSSE3,   "ssse3",   0x1u, 2, 9, true)  \
    X(CX16,    "cx16",    0x1u, 2, 13, true) \
    X(POPCNT,  "popcnt",  0x1u, 2, 23, true) \
    X(X2APIC,  "x2apic",  0x1u, 2, 21, false) \
    X(TSC_DEADLINE, "tsc-deadline", 0x1u, 2, 24, true) \
    X(ARAT,    "arat",    0x6u, 0, 2, true)  \
    X(SYSCALL, "syscall", 0x80000001u, 3, 11, true) \
    X(NX,      "nx",      0x80000001u, 3, 20, true) \
    X(LM,      "lm",      0x80000001u, 3, 29, true) \
    X(LAHF_LM, "lahf_lm", 0x80000001u, 2, 0, true)  \
    X(ABM,     "abm",     0x80000001u, 2, 5, true)  \
    X(INVTSC,  "invtsc",  0x80000007u, 3, 8, true)

typedef enum {
#define X(id, name, leaf, reg, bit, impl) FEAT_##id,
    CPU_FEATURES(X)
#undef X
    FEAT_COUNT
} CpuFeature;

typedef struct FeatureInfo {
    const char *name;     /* QEMU's spelling */
    uint32_t leaf;
    uint8_t reg, bit;     /* CPUID_EAX.. CPUID_EDX, bit */
    bool implemented;     /* false: may not be switched on (-cpu refuses it) */
} FeatureInfo;
extern const FeatureInfo cpu_feature_info[FEAT_COUNT];

typedef uint64_t FeatureMask;
#define FEAT_BIT(f) ((FeatureMask)1 << (f))

enum { VENDOR_INTEL, VENDOR_AMD };

/* One field per behaviour the vendors do differently; the table in model.c
 * gives each row's reference and the host it was measured on. */
typedef struct Quirks {
    bool branch_o16;          /* 66 on near branches in 64-bit mode: 16-bit operand (else ignored) */
    bool loopcc_rep_cond;     /* F3/F2 on LOOPNE/LOOPE choose the ZF condition */
    uint32_t mxcsr_mask;      /* FXSAVE's MXCSR_MASK; MM (bit 17) <=> MisAlignSse */
    bool fx_ptrs_es_only;     /* FXSAVE: FOP, FIP/FCS, FDP/FDS only while FSW.ES */
    bool fdp_excptn_only;     /* FOP and FDP/FDS kept only for unmasked exceptions (CPUID.7.EBX[6]) */
    bool fcs_fds_zero;        /* FCS and FDS saved as 0 (CPUID.7.EBX[13]) */
    bool push_sreg_word;      /* PUSH Sreg, 32-bit operand: 16-bit store (else zero-extended) */
    bool rep_a32_zero_clears; /* REP string, a32 in 64-bit mode, ECX = 0: RCX (and RSI/RDI) upper halves cleared */
    bool prefetch_reg_nop;    /* 0F 0D with a register operand: NOP (else #UD) */
    bool ac_vec16;            /* #AC on misaligned 16-byte vector accesses (MOVUPS, MOVDQU) */
    bool call_noncanon_push;  /* CALL to a non-canonical target stores the return address before #GP */
    bool x87_ia_before_write; /* x87 store: an unmasked #IA is decided before the write is checked */
    bool mmx_top_before_store;/* MMX store: TOP = 0 already done when the store faults */
    bool syscall_legacy;      /* SYSCALL/SYSRET outside 64-bit mode (legacy and compatibility) */
    bool sysenter_long;       /* SYSENTER/SYSEXIT in long mode */
} Quirks;

typedef struct CpuModel {
    const char *name;         /* -cpu NAME */
    const char *desc;         /* one line for -cpu help */
    int vendor;               /* VENDOR_* */
    char vendor_id[13];       /* CPUID.0 */
    unsigned family, model, stepping;
    char brand[48];           /* CPUID 8000_0002..4 */
    FeatureMask features;     /* the default feature set, implemented features only */
    Quirks q;
} CpuModel;

extern const CpuModel cpu_model_intel, cpu_model_amd;
/* NULL-terminated, the default first. */
extern const CpuModel *const cpu_models[];

const CpuModel *cpu_model_find(const char *name);
/* Feature by its -cpu name, or -1. */
int cpu_feature_find(const char *name);

/* Gives the CPU a model and that model's default features.  Call it before
 * the CPU runs (decoded blocks depend on the model's decoder quirks). */
void cpu_set_model(CPU *cpu, const CpuModel *m);
/* Switches one feature on or off for this CPU (e.g. FEAT_APIC when the
 * board has a local APIC). */
void cpu_features_set(CPU *cpu, CpuFeature f, bool on);
bool cpu_feature(const CPU *cpu, CpuFeature f);

/* Applies "+feat,-feat,..." (QEMU's syntax; "feat=on|off" too).  Returns 0,
 * or -1 with a one-line reason in err. */
int cpu_parse_features(CPU *cpu, const char *spec, char *err, unsigned errlen);

#endif

/* model.c — the CPU models and their quirk tables (see model.h).
 *
 * Hosts the rows were measured on:
 *   [I] Intel Xeon, family 6 model 167 (cpu-vendors note, native probes)
 *   [A] AMD EPYC, family 25 model 17 (this project's host-oracle tests)
 * A row marked "doc" follows the SDM/APM text where no host was measured.
 */
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "cpuid.h"
#include "model.h"
#include "../codecache/codecache.h"

const FeatureInfo cpu_feature_info[FEAT_COUNT] = {
#define X(id, nm, lf, rg, bt, impl) [FEAT_##id] = { nm, lf, rg, bt, impl },
    CPU_FEATURES(X)
#undef X
};

/* Everything implemented except what a model leaves out.  APIC, and the
 * TSC-deadline timer and always-running APIC timer (ARAT) that go with it,
 * are not in it: the board switches them on (cpu_features_set) when it has
 * a local APIC. */
#define BASE_FEATURES ( \
    FEAT_BIT(FEAT_FPU) | FEAT_BIT(FEAT_DE) | FEAT_BIT(FEAT_PSE) | FEAT_BIT(FEAT_TSC) | \
    FEAT_BIT(FEAT_MSR) | FEAT_BIT(FEAT_PAE) | FEAT_BIT(FEAT_MCE) | FEAT_BIT(FEAT_CX8) | \
    FEAT_BIT(FEAT_SEP) | FEAT_BIT(FEAT_MTRR) | FEAT_BIT(FEAT_PGE) | FEAT_BIT(FEAT_MCA) | \
    FEAT_BIT(FEAT_CMOV) | FEAT_BIT(FEAT_PAT) | FEAT_BIT(FEAT_PSE36) | \
    FEAT_BIT(FEAT_CLFLUSH) | FEAT_BIT(FEAT_MMX) | FEAT_BIT(FEAT_FXSR) | FEAT_BIT(FEAT_SSE) | \
    FEAT_BIT(FEAT_SSE2) | FEAT_BIT(FEAT_PNI) | FEAT_BIT(FEAT_SSSE3) | FEAT_BIT(FEAT_CX16) | \
    FEAT_BIT(FEAT_POPCNT) | FEAT_BIT(FEAT_SYSCALL) | FEAT_BIT(FEAT_NX) | FEAT_BIT(FEAT_LM) | \
    FEAT_BIT(FEAT_LAHF_LM) | FEAT_BIT(FEAT_ABM) | FEAT_BIT(FEAT_INVTSC))

/* The quirk table.  Columns: Intel, AMD.  Rows not listed here are the same
 * on both models, and NOT modelled per vendor (the interpreter has one
 * behaviour, measured on [A]; an Intel host's differences are masked by
 * tests/diff/undefined_flags.c):
 *   - SDM-undefined flags of MUL/IMUL, DIV/IDIV, shifts/rotates, BT/BSF/BSR,
 *     AAA/AAS/AAM/AAD/DAA/DAS (AMD Zen values, [A]);
 *   - SHLD/SHRD with a count above the operand size (result AMD, [A]);
 *   - BSWAP r16 (low word cleared, [A]); D9 D8+i (FSTPNCE on both, [I][A]);
 *   - null FS/GS load in 64-bit mode clears the base ([I]; Zen 3 and later
 *     do too, CPUID 8000_0021.EAX[6]).
 *
 *  row                  Intel     AMD       reference; measured
 *  branch_o16           false     true      SDM 2A 2.2.1.3/APM 3 "Near Branches in 64-bit mode": Intel ignores 66, AMD
 *                                           uses a 16-bit operand (RIP truncated); [I] br.c, [A] diff64
 *  loopcc_rep_cond      false     true      SDM/APM: F2/F3 on E0/E1 reserved; [I] ignored, [A] prefix picks ZF
 *  mxcsr_mask           0xffff    0x2ffff   SDM 1 11.6.6, APM 4 FXSAVE: MM (bit 17) is AMD's misaligned SSE;
 *                                           [I] mask 0xffff and LDMXCSR 0x21f80 #GP, [A] 0x2ffff
 *  fx_ptrs_es_only      false     true      APM 4 FXSAVE: "FOP/FIP/FDP saved only if an unmasked exception is
 *                                           pending"; [A]
 *  fdp_excptn_only      true      false     SDM 1 8.1.8, CPUID.7.EBX[6]; [I] FDP and FOP 0 with ES clear
 *  fcs_fds_zero         true      false     SDM 1 8.1.8, CPUID.7.EBX[13]; [I] FCS/FDS 0
 *  push_sreg_word       true      false     SDM 2B PUSH: "recent Intel Core ... perform a 16-bit move";
 *                                           APM 3 PUSH: zero-extended; [I] diff32, [A]
 *  rep_a32_zero_clears  true      false     undocumented; [I] rep0.c: RCX[63:32] cleared for every REP op, RDI[63:32]
 *                                           for MOVS/STOS, RSI[63:32] for MOVS; [A] all kept (INS/OUTS not
 *                                           measured: they follow STOS/LODS)
 *  prefetch_reg_nop     true      false     SDM 2B NOP "0F 0D reserved-NOP"; APM 3 PREFETCH (mod=11 #UD); [I] [A]
 *  ac_vec16             false     true      SDM 3A 6.15 table 6-7 note: MOVUPS/MOVDQU "#AC may or may not be
 *                                           generated"; [I] none, [A] #AC
 *  call_noncanon_push   true      false     SDM 2A CALL pseudo-code (push before RIP <- tempRIP); [I] callnc.c,
 *                                           [A] nothing stored
 *  x87_ia_before_write  true      false     fault priority, undocumented; [I] p32.c FIST m16 to CS with #IA
 *                                           unmasked: no #GP; [A] #GP.  64-bit canonical check first on both
 *                                           (Intel not measured)
 *  mmx_top_before_store true      false     SDM 1 9.5.1 (transition on any MMX insn); [I] TOP=0 at the #GP, [A] not
 *  syscall_legacy       false     true      SDM 2B SYSCALL "#UD if not in 64-bit mode"; APM 3 SYSCALL (legacy,
 *                                           compatibility mode via STAR/CSTAR); doc, as QEMU
 *  sysenter_long        true      false     APM 3 SYSENTER "#UD in long mode"; SDM 2B SYSENTER; doc, as QEMU
 */
const CpuModel cpu_model_intel = {
    .name = "intel",
    .desc = "GenuineIntel, family 6 model 15 (Intel 64 behaviour where the vendors differ)",
    .vendor = VENDOR_INTEL,
    .vendor_id = "GenuineIntel",
    .family = 6, .model = 15, .stepping = 1,
    .brand = "ringzero virtual CPU (Intel model)",
    .features = BASE_FEATURES,
    .q = {
        .branch_o16 = false,
        .loopcc_rep_cond = false,
        .mxcsr_mask = 0x0000ffff,
        .fx_ptrs_es_only = false,
        .fdp_excptn_only = true,
        .fcs_fds_zero = true,
        .push_sreg_word = true,
        .rep_a32_zero_clears = true,
        .prefetch_reg_nop = true,
        .ac_vec16 = false,
        .call_noncanon_push = true,
        .x87_ia_before_write = true,
        .mmx_top_before_store = true,
        .syscall_legacy = false,
        .sysenter_long = true,
    },
};

const CpuModel cpu_model_amd = {
    .name = "amd",
    .desc = "AuthenticAMD, family 17h model 31h (AMD64 behaviour where the vendors differ)",
    .vendor = VENDOR_AMD,
    .vendor_id = "AuthenticAMD",
    .family = 0x17, .model = 0x31, .stepping = 0,
    .brand = "ringzero virtual CPU (AMD model)",
    .features = BASE_FEATURES,
    .q = {
        .branch_o16 = true,
        .loopcc_rep_cond = true,
        .mxcsr_mask = 0x0002ffff,
        .fx_ptrs_es_only = true,
        .fdp_excptn_only = false,
        .fcs_fds_zero = false,
        .push_sreg_word = false,
        .rep_a32_zero_clears = false,
        .prefetch_reg_nop = false,
        .ac_vec16 = true,
        .call_noncanon_push = false,
        .x87_ia_before_write = false,
        .mmx_top_before_store = false,
        .syscall_legacy = true,
        .sysenter_long = false,
    },
};

const CpuModel *const cpu_models[] = { &cpu_model_intel, &cpu_model_amd, NULL };

const CpuModel *cpu_model_find(const char *name)
{
    for (const CpuModel *const *m = cpu_models; *m; m++)
        if (strcmp((*m)->name, name) == 0)
            return *m;
    return NULL;
}

int cpu_feature_find(const char *name)
{
    for (int f = 0; f < FEAT_COUNT; f++)
        if (strcmp(cpu_feature_info[f].name, name) == 0)
            return f;
    /* The spelling QEMU also accepts for pni */
    if (strcmp(name, "sse3") == 0)
        return FEAT_PNI;
    return -1;
}

void cpu_set_model(CPU *cpu, const CpuModel *m)
{
    cpu->model = m;
    cpu->features = m->features;
    /* Blocks decoded under another model may have other lengths. */
    if (cpu->cc)
        codecache_flush(cpu->cc);
    /* EDX after RESET holds the signature (SDM 3A 9.1.4); this is called
     * right after cpu_init, while the CPU is in that state. */
    cpu->regs[R_DX] = cpuid_signature(m);
}

void cpu_features_set(CPU *cpu, CpuFeature f, bool on)
{
    if (on)
        cpu->features |= FEAT_BIT(f);
    else
        cpu->features &= ~FEAT_BIT(f);
}

bool cpu_feature(const CPU *cpu, CpuFeature f)
{
    return (cpu->features & FEAT_BIT(f)) != 0;
}

int cpu_parse_features(CPU *cpu, const char *spec, char *err, unsigned errlen)
{
    char buf[64];
    while (*spec) {
        size_t n = strcspn(spec, ",");
        if (n == 0 || n >= sizeof buf) {
            snprintf(err, errlen, "bad -cpu feature list near '%s'", spec);
            return -1;
        }
        memcpy(buf, spec, n);
        buf[n] = 0;
        spec += n + (spec[n] == ',');
        char *name = buf;
        bool on;
        char *eq = strchr(buf, '=');
        if (buf[0] == '+' || buf[0] == '-') {
            on = buf[0] == '+';
            name++;
        } else if (eq && (strcmp(eq + 1, "on") == 0 || strcmp(eq + 1, "off") == 0)) {
            on = strcmp(eq + 1, "on") == 0;
            *eq = 0;
        } else {
            snprintf(err, errlen, "-cpu: '%s' is not +FEATURE, -FEATURE or FEATURE=on|off", buf);
            return -1;
        }
        int f = cpu_feature_find(name);
        if (f < 0) {
            snprintf(err, errlen, "-cpu: unknown feature '%s' (see -cpu help)", name);
            return -1;
        }
        if (on && !cpu_feature_info[f].implemented) {
            snprintf(err, errlen, "-cpu: feature '%s' is not implemented", name);
            return -1;
        }
        cpu_features_set(cpu, (CpuFeature)f, on);
    }
    return 0;
}

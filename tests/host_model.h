/* host_model.h — which ringzero CPU model the host CPU is, for the tests
 * that use the host as their oracle (tests/diff, the *_oracle and
 * *_native unit tests).
 *
 * test_host_model() reads the host's CPUID vendor, the CPUID bits that go
 * with a quirk (7.EBX[6] FDP_EXCPTN_ONLY, 7.EBX[13] FCS/FDS deprecated,
 * 8000_0001.ECX[7] MisAlignSse) and FXSAVE's MXCSR_MASK, and returns the
 * model of that vendor.  RZ_TEST_CPU=intel|amd overrides it.  Where a
 * measured knob disagrees with the model's quirk table the test still runs
 * (the host may be a model variant), and the disagreement is printed: the
 * quirk tests (tests/unit/test_quirks.c) pin both models regardless.
 * Header-only; x86-64 or i386 hosts.
 */
#ifndef RZ_TESTS_HOST_MODEL_H
#define RZ_TESTS_HOST_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/model.h"

static inline void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* MXCSR_MASK from a native FXSAVE (0 in the image means 0xFFBF, SDM 1 11.6.6). */
static inline uint32_t host_mxcsr_mask(void)
{
    static uint8_t img[512] __attribute__((aligned(16)));
    memset(img, 0, sizeof img);
    __asm__ volatile("fxsave %0" : "=m"(img));
    uint32_t m;
    memcpy(&m, img + 28, 4);
    return m ? m : 0xffbf;
}

/* The host's CPUID vendor is AuthenticAMD or HygonGenuine (Zen-based);
 * what the host does where the SDM leaves a result undefined depends on
 * it, whatever the model.  Every other vendor is taken as Intel. */
static inline bool host_vendor_is_amd(void)
{
    uint32_t r[4];
    char v[13] = { 0 };
    host_cpuid(0, 0, r);
    memcpy(v, &r[1], 4);
    memcpy(v + 4, &r[3], 4);
    memcpy(v + 8, &r[2], 4);
    return strcmp(v, "AuthenticAMD") == 0 || strcmp(v, "HygonGenuine") == 0;
}

static inline const CpuModel *test_host_model_quiet(void)
{
    const char *env = getenv("RZ_TEST_CPU");
    if (env && *env) {
        const CpuModel *m = cpu_model_find(env);
        if (!m) {
            fprintf(stderr, "RZ_TEST_CPU=%s: unknown model (intel, amd)\n", env);
            exit(2);
        }
        return m;
    }
    return host_vendor_is_amd() ? &cpu_model_amd : &cpu_model_intel;
}

/* The model, with one line on stdout naming it (and any knob the host
 * measures differently from the model's table). */
static inline const CpuModel *test_host_model(void)
{
    const CpuModel *m = test_host_model_quiet();
    uint32_t r7[4] = { 0 }, r0[4], rx[4] = { 0 };
    host_cpuid(0, 0, r0);
    if (r0[0] >= 7)
        host_cpuid(7, 0, r7);
    host_cpuid(0x80000000u, 0, rx);
    uint32_t misalign = 0;
    if (rx[0] >= 0x80000001u) {
        host_cpuid(0x80000001u, 0, rx);
        misalign = (rx[2] >> 7) & 1;
    }
    uint32_t mask = host_mxcsr_mask();
    const char *src = getenv("RZ_TEST_CPU") && *getenv("RZ_TEST_CPU") ? "RZ_TEST_CPU" : "host CPUID";
    printf("cpu model: %s (from %s)\n", m->name, src);
    const Quirks *q = &m->q;
    if (mask != q->mxcsr_mask)
        printf("cpu model: note: host MXCSR_MASK %#x, model %#x\n", mask, q->mxcsr_mask);
    if (misalign != ((q->mxcsr_mask >> 17) & 1))
        printf("cpu model: note: host MisAlignSse %u\n", misalign);
    if (((r7[1] >> 6) & 1) != q->fdp_excptn_only || ((r7[1] >> 13) & 1) != q->fcs_fds_zero)
        printf("cpu model: note: host CPUID.7.EBX[6]=%u [13]=%u\n", (r7[1] >> 6) & 1, (r7[1] >> 13) & 1);
    return m;
}

/* Whether host state may hold MXCSR value v (bits outside the host's mask
 * make LDMXCSR/FXRSTOR fault). */
static inline int host_mxcsr_ok(uint32_t v)
{
    return (v & ~host_mxcsr_mask()) == 0;
}

#endif

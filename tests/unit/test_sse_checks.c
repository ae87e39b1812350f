/* test_sse_checks.c — the MMX/SSE rules a user-mode host run cannot show:
 * CR0.EM/TS and CR4.OSFXSR/OSXMMEXCPT entry checks, #MF for a pending x87
 * error, the 32-bit FXSAVE layout, alignment of the linear address (not
 * the offset), and the FXSAVE64 pointer format.  Expectations are the
 * SDM's rules; where the vendors differ (MXCSR_MASK, FCS/FDS) each model's
 * own, and every check runs for both models (cpu/model.c).  The arithmetic
 * itself is checked against the host in test_sse_oracle.
 */
#include <stdio.h>
#include <string.h>

#include "cpu/model.h"
#include "vm/machine.h"

static Machine m;
static unsigned passed, failed;

#define CHECK(cond, ...) do { \
        if (cond) passed++; \
        else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
    } while (0)

#define BUF 0x20000u

/* Runs one instruction from a fresh flat state; returns the vector or -1. */
static int run(int mode, const char *bytes, unsigned len, void (*setup)(CPU *))
{
    CPU *cpu = &m.cpu;
    cpu_reset_flat(cpu, mode, 0x1000);
    memcpy(m.mem.ram + 0x1000, bytes, len);
    memset(m.mem.ram + BUF, 0, 0x1000);
    cpu->regs[R_SI] = BUF;
    cpu->regs[R_SP] = 0x8000;
    cpu->mxcsr = 0x1f80;
    cpu->fpu.fcw = 0x037f;
    cpu->fpu.fsw = 0;
    cpu->fpu.ftw = 0xffff;
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 4; j++)
            cpu->xmm[i].d[j] = 0x3f800000u;  /* 1.0f */
    if (setup)
        setup(cpu);
    return cpu_step(cpu) == RUN_EXCEPTION ? cpu->exc_vector : -1;
}

#define RUN(mode, s, setup) run(mode, s, sizeof s - 1, setup)

static void em(CPU *c) { c->cr0 |= 1u << 2; }
static void ts(CPU *c) { c->cr0 |= 1u << 3; }
static void no_osfxsr(CPU *c) { c->cr4 &= ~(1ull << 9); }
static void x87_pending(CPU *c) { c->fpu.fsw = 0x8081; c->fpu.fcw = 0x037e; }

struct Case { const char *name, *bytes; unsigned len; bool sse, mmx_reg; };
#define C(n, b, sse, mmx) { n, b, sizeof b - 1, sse, mmx }
static const struct Case cases[] = {
    C("ADDPS xmm0,xmm1", "\x0f\x58\xc1", true, false),
    C("PADDB xmm0,xmm1", "\x66\x0f\xfc\xc1", true, false),
    C("LDMXCSR [rsi]", "\x0f\xae\x16", true, false),
    C("PADDB mm0,mm1", "\x0f\xfc\xc1", false, true),
    C("EMMS", "\x0f\x77", false, true),
    C("PAVGB mm0,mm1", "\x0f\xe0\xc1", false, true),
    C("CVTPI2PS xmm0,mm1", "\x0f\x2a\xc1", true, true),
    C("MOVQ2DQ xmm0,mm1", "\xf3\x0f\xd6\xc1", true, true),
    C("PSHUFB mm0,mm1", "\x0f\x38\x00\xc1", false, true),
    C("FXSAVE [rsi]", "\x0f\xae\x06", false, false),
};

static void entry_checks(void)
{
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct Case *k = &cases[i];
        int v = run(CODE64, k->bytes, k->len, NULL);
        CHECK(v == -1, "%s plain: vector %d", k->name, v);
        v = run(CODE64, k->bytes, k->len, em);
        CHECK(v == EXC_UD, "%s CR0.EM: vector %d, want #UD", k->name, v);
        v = run(CODE64, k->bytes, k->len, ts);
        CHECK(v == EXC_NM, "%s CR0.TS: vector %d, want #NM", k->name, v);
        v = run(CODE64, k->bytes, k->len, no_osfxsr);
        CHECK(v == (k->sse ? EXC_UD : -1), "%s CR4.OSFXSR=0: vector %d", k->name, v);
        v = run(CODE64, k->bytes, k->len, x87_pending);
        CHECK(v == (k->mmx_reg ? EXC_MF : -1), "%s pending x87 error: vector %d", k->name, v);
    }
}

static void zero_div_unmasked(CPU *c)
{
    c->mxcsr = 0x1f80 & ~(1u << 9);    /* ZM clear */
    c->xmm[1].d[0] = 0;
}
static void zero_div_masked(CPU *c) { c->xmm[1].d[0] = 0; }
static void zero_div_no_xmmexcpt(CPU *c)
{
    zero_div_unmasked(c);
    c->cr4 &= ~(1ull << 10);
}

static void simd_exceptions(void)
{
    /* DIVSS xmm0, xmm1 with 1/0 */
    int v = RUN(CODE64, "\xf3\x0f\x5e\xc1", zero_div_unmasked);
    CHECK(v == EXC_XM, "DIVSS 1/0 unmasked: vector %d, want #XM", v);
    CHECK(m.cpu.mxcsr == (0x1d80u | 4), "DIVSS 1/0 unmasked: mxcsr %#x", m.cpu.mxcsr);
    CHECK(m.cpu.xmm[0].d[0] == 0x3f800000u, "DIVSS 1/0 unmasked: destination written");
    v = RUN(CODE64, "\xf3\x0f\x5e\xc1", zero_div_no_xmmexcpt);
    CHECK(v == EXC_UD, "DIVSS 1/0 without OSXMMEXCPT: vector %d, want #UD", v);
    v = RUN(CODE64, "\xf3\x0f\x5e\xc1", zero_div_masked);
    CHECK(v == -1 && m.cpu.mxcsr == 0x1f84 && m.cpu.xmm[0].d[0] == 0x7f800000u,
          "DIVSS 1/0 masked: vector %d mxcsr %#x result %#x", v, m.cpu.mxcsr, m.cpu.xmm[0].d[0]);
}

static void fill_regs(CPU *c)
{
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            c->xmm[i].b[j] = (uint8_t)(i * 16 + j);
    c->fpu.fsw = 0x3000 | 0x80 | 0x01;  /* TOP 6, ES, IE */
    c->fpu.fcw = 0x037e;
    c->fpu.fop = 0x1d9;
    c->fpu.fip = 0x123456789aull;
    c->fpu.fdp = 0xfedcba9876ull;
    c->fpu.fcs = 0x33;
    c->fpu.fds = 0x2b;
    c->fpu.ftw = 0xfff0;                /* R0, R1 valid */
    c->fpu.st[0].mant = 0x8000000000000000ull;
    c->fpu.st[0].se = 0x3fff;
}

static uint64_t rd(unsigned off, unsigned n)
{
    uint64_t v = 0;
    memcpy(&v, m.mem.ram + BUF + off, n);
    return v;
}

static void fxsave_layouts(void)
{
    /* 32-bit FXSAVE: XMM0-7 only, bytes from 288 on untouched */
    int v = RUN(CODE32, "\x0f\xae\x06", fill_regs);
    CHECK(v == -1, "FXSAVE (32-bit): vector %d", v);
    CHECK(rd(160, 8) == 0x0706050403020100ull && rd(272, 8) == 0x7776757473727170ull,
          "FXSAVE (32-bit): XMM0/XMM7 image");
    CHECK(rd(288, 8) == 0 && rd(400, 8) == 0, "FXSAVE (32-bit): wrote past XMM7");
    const Quirks *q = &m.cpu.model->q;
    CHECK(rd(8, 4) == 0x3456789a && rd(12, 2) == (q->fcs_fds_zero ? 0 : 0x33) &&
          rd(16, 4) == 0xdcba9876 && rd(20, 2) == (q->fcs_fds_zero ? 0 : 0x2b) && rd(6, 2) == 0x1d9,
          "FXSAVE (32-bit): FIP %#llx FCS %#llx FDP %#llx FDS %#llx FOP %#llx",
          (unsigned long long)rd(8, 4), (unsigned long long)rd(12, 2), (unsigned long long)rd(16, 4),
          (unsigned long long)rd(20, 2), (unsigned long long)rd(6, 2));
    CHECK(rd(4, 1) == 0x03, "FXSAVE: abridged tags %#llx, want 3", (unsigned long long)rd(4, 1));
    /* ST(0) is physical register TOP = 6, ST(2) is R0 */
    CHECK(rd(32 + 2 * 16, 8) == 0x8000000000000000ull && rd(40 + 2 * 16, 2) == 0x3fff,
          "FXSAVE: ST(2) should hold R0");
    /* Intel 0xFFFF; AMD has MM (bit 17) too */
    CHECK(rd(24, 4) == 0x1f80 && rd(28, 4) == (m.cpu.model->vendor == VENDOR_AMD ? 0x2ffffu : 0xffffu),
          "FXSAVE: MXCSR %#llx MXCSR_MASK %#llx", (unsigned long long)rd(24, 4),
          (unsigned long long)rd(28, 4));

    /* FXSAVE64: 64-bit FIP/FDP, XMM8-15 */
    v = RUN(CODE64, "\x48\x0f\xae\x06", fill_regs);
    CHECK(v == -1, "FXSAVE64: vector %d", v);
    CHECK(rd(8, 8) == 0x123456789aull && rd(16, 8) == 0xfedcba9876ull, "FXSAVE64: pointers");
    CHECK(rd(400, 8) == 0xf7f6f5f4f3f2f1f0ull, "FXSAVE64: XMM15");
    CHECK(rd(416, 8) == 0, "FXSAVE64: wrote past XMM15");

    /* FXRSTOR of what FXSAVE64 wrote gives the same state back */
    CPU saved = m.cpu;
    uint8_t img[512];
    memcpy(img, m.mem.ram + BUF, 512);
    cpu_reset_flat(&m.cpu, CODE64, 0x1000);
    memcpy(m.mem.ram + 0x1000, "\x48\x0f\xae\x0e", 4);
    memcpy(m.mem.ram + BUF, img, 512);
    memset(m.cpu.xmm, 0, sizeof m.cpu.xmm);
    m.cpu.fpu.ftw = 0xffff;
    m.cpu.regs[R_SI] = BUF;
    v = cpu_step(&m.cpu) == RUN_EXCEPTION ? m.cpu.exc_vector : -1;
    CHECK(v == -1, "FXRSTOR64: vector %d", v);
    CHECK(memcmp(m.cpu.xmm, saved.xmm, sizeof saved.xmm) == 0, "FXRSTOR64: XMM differ");
    CHECK(m.cpu.fpu.fip == saved.fpu.fip && m.cpu.fpu.fdp == saved.fpu.fdp &&
          m.cpu.fpu.fsw == (saved.fpu.fsw | 0x8000) && m.cpu.fpu.fop == saved.fpu.fop,
          "FXRSTOR64: x87 environment differs (B follows ES)");
    CHECK(((m.cpu.fpu.ftw >> 0) & 3) == 0 && ((m.cpu.fpu.ftw >> 2) & 3) == 1 &&
          (m.cpu.fpu.ftw >> 4) == 0xfff,
          "FXRSTOR64: tags %#x (want R0 valid, R1 zero, rest empty)", m.cpu.fpu.ftw);
}

static void ds_base_8(CPU *c) { c->seg[S_DS].base = 8; }

static void alignment(void)
{
    /* MOVAPS xmm0, [esi]: offset aligned, linear address not */
    int v = RUN(CODE32, "\x0f\x28\x06", ds_base_8);
    CHECK(v == EXC_GP, "MOVAPS with DS.base 8: vector %d, want #GP", v);
    v = RUN(CODE32, "\x0f\x28\x06", NULL);
    CHECK(v == -1, "MOVAPS aligned: vector %d", v);
    /* MOVUPS does not care */
    v = RUN(CODE32, "\x0f\x10\x06", ds_base_8);
    CHECK(v == -1, "MOVUPS with DS.base 8: vector %d", v);
}

int main(void)
{
    char err[128];
    if (machine_init(&m, 1 << 20, err, sizeof err)) {
        fprintf(stderr, "machine_init: %s\n", err);
        return 2;
    }
    for (const CpuModel *const *md = cpu_models; *md; md++) {
        cpu_set_model(&m.cpu, *md);
        unsigned before = failed;
        entry_checks();
        simd_exceptions();
        fxsave_layouts();
        alignment();
        printf("model %s: %u failed\n", (*md)->name, failed - before);
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* test_quirks.c — every row of the quirk table (cpu/model.c), for BOTH
 * models, on every host.
 *
 * The host-oracle tests (tests/diff, *_oracle) can check only the model
 * of the host's vendor; this test pins the other one too.  Each row runs
 * at least one instruction through the interpreter under each model and
 * compares with a fixed expectation written out per vendor — the value
 * measured on that vendor's hardware or given by its manual (the
 * references are in cpu/model.c) — never derived from the table itself,
 * so a wrong table entry fails here.
 */
#include <stdio.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/debug.h"
#include "cpu/model.h"
#include "vm/machine.h"

static Machine m;
static unsigned passed, failed;
static const CpuModel *md;  /* the model of the case running */

#define CHECK(cond, ...) do { \
        if (cond) passed++; \
        else { failed++; printf("FAIL %s:%d [%s]: ", __FILE__, __LINE__, md->name); \
               printf(__VA_ARGS__); printf("\n"); } \
    } while (0)

enum { CODE = 0x1000, STACK = 0x8000, DATA = 0x20000 };

static bool intel(void) { return md->vendor == VENDOR_INTEL; }

/* A fresh flat CPU of the current model with code at CODE. */
static CPU *fresh(int mode, const char *bytes, unsigned len)
{
    CPU *cpu = &m.cpu;
    cpu_set_model(cpu, md);
    cpu_reset(cpu);  /* cpu_reset_flat leaves EFER, MSRs, ... as they were */
    cpu_reset_flat(cpu, mode, CODE);
    memset(m.mem.ram + CODE, 0xcc, 0x100);
    memcpy(m.mem.ram + CODE, bytes, len);
    memset(m.mem.ram + DATA, 0xaa, 0x100);
    memset(m.mem.ram + STACK - 0x100, 0xaa, 0x200);
    cpu->regs[R_SP] = STACK;
    cpu->fpu.fcw = 0x037f;
    cpu->fpu.fsw = 0;
    cpu->fpu.ftw = 0xffff;
    return cpu;
}

/* One instruction: the vector it raised, or -1. */
static int step(CPU *cpu)
{
    return cpu_step(cpu) == RUN_EXCEPTION ? cpu->exc_vector : -1;
}

#define FRESH(mode, s) fresh(mode, s, sizeof s - 1)

static uint64_t rd(uint64_t a, unsigned n)
{
    uint64_t v = 0;
    memcpy(&v, m.mem.ram + a, n);
    return v;
}

/* A read-only data segment (type 1) in DS/ES: stores #GP, loads work. */
static void read_only(CPU *cpu, int s)
{
    cpu->seg[s].attr = (uint16_t)((cpu->seg[s].attr & ~0xfu) | 0x1);
}

/* ---- one function per row ---- */

/* 66 on near branches in 64-bit mode: Intel ignores it, AMD gives a
 * 16-bit operand (IP truncated, 2-byte push/pop). */
static void branch_o16(void)
{
    /* 66 E9 rel: Intel rel32 (6 bytes), AMD rel16 (4 bytes) */
    CPU *cpu = FRESH(CODE64, "\x66\xe9\x10\x00\x00\x00");
    CHECK(step(cpu) == -1, "66 E9 faulted");
    CHECK(cpu->rip == (intel() ? CODE + 6 + 0x10 : CODE + 4 + 0x10), "66 E9: rip %#llx",
          (unsigned long long)cpu->rip);
    /* 66 E8 rel: the push */
    cpu = FRESH(CODE64, "\x66\xe8\x10\x00\x00\x00");
    CHECK(step(cpu) == -1, "66 E8 faulted");
    CHECK(cpu->regs[R_SP] == (intel() ? STACK - 8 : STACK - 2), "66 E8: rsp %#llx",
          (unsigned long long)cpu->regs[R_SP]);
    CHECK(intel() ? rd(STACK - 8, 8) == CODE + 6 : rd(STACK - 2, 2) == CODE + 4, "66 E8: return address");
    /* 66 C3: Intel pops 8 bytes, AMD 2 (and truncates) */
    cpu = FRESH(CODE64, "\x66\xc3");
    cpu->regs[R_SP] = STACK - 8;
    memcpy(m.mem.ram + STACK - 8, "\x34\x12\x05\x00\x00\x00\x00\x00", 8);  /* 0x51234 */
    CHECK(step(cpu) == -1, "66 C3 faulted");
    CHECK(cpu->rip == (intel() ? 0x51234u : 0x1234u) && cpu->regs[R_SP] == (intel() ? STACK : STACK - 6),
          "66 C3: rip %#llx rsp %#llx", (unsigned long long)cpu->rip, (unsigned long long)cpu->regs[R_SP]);
    /* 66 FF E0 (JMP rax): Intel the full RAX, AMD AX */
    cpu = FRESH(CODE64, "\x66\xff\xe0");
    cpu->regs[R_AX] = 0x54321;
    CHECK(step(cpu) == -1 && cpu->rip == (intel() ? 0x54321u : 0x4321u), "66 FF /4: rip %#llx",
          (unsigned long long)cpu->rip);
    /* 66 FF D0 (CALL rax) */
    cpu = FRESH(CODE64, "\x66\xff\xd0");
    cpu->regs[R_AX] = 0x54321;
    CHECK(step(cpu) == -1 && cpu->regs[R_SP] == (intel() ? STACK - 8 : STACK - 2),
          "66 FF /2: rsp %#llx", (unsigned long long)cpu->regs[R_SP]);
    /* 66 E2 (LOOP) taken to an address above 64 KiB: Intel keeps it */
    cpu = FRESH(CODE64, "");
    cpu->regs[R_CX] = 2;
    cpu->rip = 0x10ff80;
    memcpy(m.mem.ram + 0x10ff80, "\x66\xe2\x7f", 3);
    CHECK(step(cpu) == -1 && cpu->rip == (intel() ? 0x110002u : 0x0002u) && cpu->regs[R_CX] == 1,
          "66 E2: rip %#llx", (unsigned long long)cpu->rip);
    /* 66 E3 (JRCXZ) likewise */
    cpu = FRESH(CODE64, "");
    cpu->regs[R_CX] = 0;
    cpu->rip = 0x10ff80;
    memcpy(m.mem.ram + 0x10ff80, "\x66\xe3\x7f", 3);
    CHECK(step(cpu) == -1 && cpu->rip == (intel() ? 0x110002u : 0x0002u), "66 E3: rip %#llx",
          (unsigned long long)cpu->rip);
    /* 66 74 (JZ rel8) taken to an address above 64 KiB */
    cpu = FRESH(CODE64, "");
    cpu->rip = 0x10ff80;
    memcpy(m.mem.ram + 0x10ff80, "\x66\x74\x7f", 3);
    cpu->eflags |= F_ZF;
    CHECK(step(cpu) == -1 && cpu->rip == (intel() ? 0x110002u : 0x0002u), "66 74: rip %#llx",
          (unsigned long long)cpu->rip);
    /* REX.W wins over 66 on both */
    cpu = FRESH(CODE64, "\x66\x48\xe9\x10\x00\x00\x00");
    CHECK(step(cpu) == -1 && cpu->rip == CODE + 7 + 0x10, "66 REX.W E9: rip %#llx",
          (unsigned long long)cpu->rip);
}

/* F3/F2 on LOOPNE/LOOPE: Intel ignores them, AMD lets them pick ZF. */
static void loopcc_rep_cond(void)
{
    /* F3 E0 (LOOPNE) with ZF = 1, RCX = 2: Intel not taken; AMD runs LOOPE: taken */
    CPU *cpu = FRESH(CODE64, "\xf3\xe0\x10");
    cpu->regs[R_CX] = 2;
    cpu->eflags |= F_ZF;
    CHECK(step(cpu) == -1 && cpu->rip == (intel() ? CODE + 3 : CODE + 3 + 0x10) && cpu->regs[R_CX] == 1,
          "F3 LOOPNE ZF=1: rip %#llx", (unsigned long long)cpu->rip);
    /* F2 E1 (LOOPE) with ZF = 1: Intel taken; AMD runs LOOPNE: not taken */
    cpu = FRESH(CODE32, "\xf2\xe1\x10");
    cpu->regs[R_CX] = 2;
    cpu->eflags |= F_ZF;
    CHECK(step(cpu) == -1 && cpu->rip == (intel() ? CODE + 3 + 0x10 : CODE + 3),
          "F2 LOOPE ZF=1: rip %#llx", (unsigned long long)cpu->rip);
}

/* MXCSR_MASK: Intel 0xFFFF, AMD 0x2FFFF (MM); LDMXCSR of MM; CPUID. */
static void mxcsr_mask(void)
{
    CPU *cpu = FRESH(CODE32, "\x0f\xae\x06");  /* FXSAVE [esi] */
    cpu->regs[R_SI] = DATA;
    CHECK(step(cpu) == -1 && rd(DATA + 28, 4) == (intel() ? 0xffffu : 0x2ffffu), "MXCSR_MASK %#llx",
          (unsigned long long)rd(DATA + 28, 4));
    cpu = FRESH(CODE32, "\x0f\xae\x16");  /* LDMXCSR [esi] */
    cpu->regs[R_SI] = DATA;
    memcpy(m.mem.ram + DATA, "\x80\x1f\x02\x00", 4);  /* 0x21f80 */
    int v = step(cpu);
    CHECK(intel() ? v == EXC_GP && cpu->mxcsr == 0x1f80 : v == -1 && cpu->mxcsr == 0x21f80,
          "LDMXCSR 0x21f80: vector %d mxcsr %#x", v, cpu->mxcsr);
    CHECK(cpuid_has(cpu, 0x80000001, CPUID_ECX, 7) == !intel(), "CPUID MisAlignSse");
    /* MM lets a misaligned 16-byte operand through (AMD only) */
    if (!intel()) {
        cpu = FRESH(CODE32, "\x0f\x58\x06");  /* ADDPS xmm0, [esi] */
        cpu->regs[R_SI] = DATA + 4;
        cpu->mxcsr = 0x21f80;
        CHECK(step(cpu) == -1, "ADDPS misaligned with MM");
    }
}

/* FXSAVE with FSW.ES clear: AMD stores no FOP/FIP/FDP; Intel stores FIP
 * (FCS as 0), and no FOP/FDP (FDP_EXCPTN_ONLY). */
static CPU *fx_case(const char *code, unsigned len, bool es)
{
    CPU *cpu = fresh(CODE32, code, len);
    cpu->regs[R_SI] = DATA;
    if (es) {
        cpu->fpu.fsw = 0x8081;  /* IE pending, unmasked */
        cpu->fpu.fcw = 0x037e;
    }
    cpu->fpu.fop = 0x1d9;
    cpu->fpu.fip = 0x12345678;
    cpu->fpu.fcs = 0x33;
    cpu->fpu.fdp = 0x9abcdef0;
    cpu->fpu.fds = 0x2b;
    return cpu;
}

static void fx_pointers(void)
{
    CPU *cpu = fx_case("\x0f\xae\x06", 3, false);
    CHECK(step(cpu) == -1, "FXSAVE faulted");
    CHECK(rd(DATA + 8, 4) == (intel() ? 0x12345678u : 0) && rd(DATA + 12, 2) == 0 && rd(DATA + 6, 2) == 0 &&
          rd(DATA + 16, 4) == 0 && rd(DATA + 20, 2) == 0,
          "FXSAVE ES=0: FIP %#llx FCS %#llx FOP %#llx FDP %#llx FDS %#llx",
          (unsigned long long)rd(DATA + 8, 4), (unsigned long long)rd(DATA + 12, 2),
          (unsigned long long)rd(DATA + 6, 2), (unsigned long long)rd(DATA + 16, 4),
          (unsigned long long)rd(DATA + 20, 2));
    /* With ES set both store the pointers; Intel still zeroes FCS/FDS */
    cpu = fx_case("\x0f\xae\x06", 3, true);
    CHECK(step(cpu) == -1, "FXSAVE faulted");
    CHECK(rd(DATA + 8, 4) == 0x12345678u && rd(DATA + 6, 2) == 0x1d9 && rd(DATA + 16, 4) == 0x9abcdef0u &&
          rd(DATA + 12, 2) == (intel() ? 0 : 0x33u) && rd(DATA + 20, 2) == (intel() ? 0 : 0x2bu),
          "FXSAVE ES=1: FCS %#llx FDS %#llx", (unsigned long long)rd(DATA + 12, 2),
          (unsigned long long)rd(DATA + 20, 2));
    /* FNSTENV (32-bit, protected mode): FCS/FDS deprecated on Intel too */
    cpu = fx_case("\xd9\x36", 2, false);
    CHECK(step(cpu) == -1 && (rd(DATA + 16, 4) & 0xffff) == (intel() ? 0 : 0x33u) &&
          (rd(DATA + 24, 4) & 0xffff) == (intel() ? 0 : 0x2bu) && rd(DATA + 12, 4) == 0x12345678u,
          "FNSTENV: FCS %#llx FDS %#llx", (unsigned long long)(rd(DATA + 16, 4) & 0xffff),
          (unsigned long long)(rd(DATA + 24, 4) & 0xffff));
    uint32_t o[4];
    cpuid_query(cpu, 7, 0, o);
    CHECK(((o[1] >> 6) & 1) == intel() && ((o[1] >> 13) & 1) == intel(), "CPUID.7.EBX %#x", o[1]);
}

/* PUSH Sreg with a 32-bit operand: Intel writes the low word only. */
static void push_sreg_word(void)
{
    CPU *cpu = FRESH(CODE32, "\x06");  /* PUSH ES */
    cpu->seg[S_ES].sel = 0x2b;
    CHECK(step(cpu) == -1 && cpu->regs[R_SP] == STACK - 4, "PUSH ES: esp %#llx",
          (unsigned long long)cpu->regs[R_SP]);
    CHECK(rd(STACK - 4, 4) == (intel() ? 0xaaaa002bu : 0x2bu), "PUSH ES: slot %#llx",
          (unsigned long long)rd(STACK - 4, 4));
    /* 16- and 64-bit pushes are the same on both */
    cpu = FRESH(CODE32, "\x66\x1e");  /* PUSH DS, o16 */
    cpu->seg[S_DS].sel = 0x2b;
    CHECK(step(cpu) == -1 && cpu->regs[R_SP] == STACK - 2 && rd(STACK - 4, 4) == 0x002baaaau, "o16 PUSH DS");
    cpu = FRESH(CODE64, "\x0f\xa0");  /* PUSH FS, o64 */
    cpu->seg[S_FS].sel = 0x2b;
    CHECK(step(cpu) == -1 && rd(STACK - 8, 8) == 0x2b, "o64 PUSH FS");
}

/* REP string, a32 in 64-bit mode, ECX = 0: Intel clears the upper halves
 * of RCX (all), RDI (MOVS, STOS), RSI (MOVS); AMD keeps them. */
static void rep_a32_zero(void)
{
    static const struct { const char *name, *code; bool di, si; } ops[] = {
        { "rep movsb", "\x67\xf3\xa4", true, true },
        { "rep stosb", "\x67\xf3\xaa", true, false },
        { "rep lodsb", "\x67\xf3\xac", false, false },
        { "repe cmpsb", "\x67\xf3\xa6", false, false },
        { "repne scasb", "\x67\xf2\xae", false, false },
    };
    const uint64_t hi = 0x1234567800000000ull;
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        CPU *cpu = fresh(CODE64, ops[i].code, 3);
        cpu->regs[R_CX] = hi;
        cpu->regs[R_SI] = hi | DATA;
        cpu->regs[R_DI] = hi | (DATA + 0x40);
        CHECK(step(cpu) == -1 && cpu->rip == CODE + 3, "%s faulted", ops[i].name);
        bool clr = intel();
        CHECK(cpu->regs[R_CX] == (clr ? 0 : hi), "%s: rcx %#llx", ops[i].name,
              (unsigned long long)cpu->regs[R_CX]);
        CHECK(cpu->regs[R_DI] == ((clr && ops[i].di) ? DATA + 0x40 : hi | (DATA + 0x40)), "%s: rdi %#llx",
              ops[i].name, (unsigned long long)cpu->regs[R_DI]);
        CHECK(cpu->regs[R_SI] == ((clr && ops[i].si) ? DATA : hi | DATA), "%s: rsi %#llx", ops[i].name,
              (unsigned long long)cpu->regs[R_SI]);
    }
    /* a64, or a non-zero count, is the same on both */
    CPU *cpu = FRESH(CODE64, "\xf3\xaa");
    cpu->regs[R_CX] = 0;
    cpu->regs[R_DI] = hi | DATA;
    CHECK(step(cpu) == -1 && cpu->regs[R_DI] == (hi | DATA), "a64 rep stosb, rcx 0");
}

/* 0F 0D with a register operand: Intel NOP, AMD #UD (memory forms: both
 * prefetch). */
static void prefetch_reg(void)
{
    CPU *cpu = FRESH(CODE64, "\x0f\x0d\xc3");
    int v = step(cpu);
    CHECK(v == (intel() ? -1 : EXC_UD) && (v >= 0 || cpu->rip == CODE + 3), "0F 0D C3: vector %d", v);
    cpu = FRESH(CODE32, "\x0f\x0d\xf9");
    CHECK(step(cpu) == (intel() ? -1 : EXC_UD), "0F 0D F9 (32-bit)");
    cpu = FRESH(CODE64, "\x0f\x0d\x08");
    cpu->regs[R_AX] = DATA;
    CHECK(step(cpu) == -1, "0F 0D /1 memory");
}

/* #AC on misaligned 16-byte vectors (CPL 3, CR0.AM, EFLAGS.AC): AMD
 * raises it for MOVUPS/MOVDQU, Intel does not; MOV r32 both. */
static int at_cpl3_ac(CPU *cpu)
{
    cpu->cpl = 3;
    for (int s = 0; s < 6; s++)
        cpu->seg[s].attr |= 3 << 5;
    cpu->cr0 |= 1u << 18;
    cpu->eflags |= F_AC;
    debug_update(cpu);
    return step(cpu);
}

static void ac_vec16(void)
{
    CPU *cpu = FRESH(CODE32, "\x0f\x10\x03");  /* MOVUPS xmm0, [ebx] */
    cpu->regs[R_BX] = DATA + 4;
    CHECK(at_cpl3_ac(cpu) == (intel() ? -1 : EXC_AC), "MOVUPS +4 at CPL 3 with AC");
    cpu = FRESH(CODE32, "\xf3\x0f\x7f\x03");  /* MOVDQU [ebx], xmm0 */
    cpu->regs[R_BX] = DATA + 1;
    CHECK(at_cpl3_ac(cpu) == (intel() ? -1 : EXC_AC), "MOVDQU store +1 at CPL 3 with AC");
    cpu = FRESH(CODE32, "\x8b\x03");  /* MOV eax, [ebx] */
    cpu->regs[R_BX] = DATA + 1;
    CHECK(at_cpl3_ac(cpu) == EXC_AC, "MOV r32 misaligned: #AC on both");
}

/* CALL to a non-canonical target: #GP on both, RSP unchanged; Intel has
 * stored the return address below RSP. */
static void call_noncanon(void)
{
    CPU *cpu = FRESH(CODE64, "\xff\xd0");  /* CALL rax */
    cpu->regs[R_AX] = 0x0000800000000000ull;
    CHECK(step(cpu) == EXC_GP && cpu->regs[R_SP] == STACK, "CALL non-canonical: #GP, rsp kept");
    CHECK(rd(STACK - 8, 8) == (intel() ? CODE + 2 : 0xaaaaaaaaaaaaaaaaull), "CALL non-canonical: [rsp-8] %#llx",
          (unsigned long long)rd(STACK - 8, 8));
    cpu = FRESH(CODE64, "\xff\xd0");
    cpu->regs[R_AX] = 0x12345;
    CHECK(step(cpu) == -1 && cpu->rip == 0x12345 && rd(STACK - 8, 8) == CODE + 2, "CALL canonical");
}

/* FIST m16 to a read-only segment with an unmasked #IA (empty ST(0)):
 * Intel decides the exception first (no #GP, nothing stored), AMD checks
 * the write first (#GP).  Masked: #GP on both. */
static void x87_ia_order(void)
{
    CPU *cpu = FRESH(CODE32, "\xdf\x13");  /* FIST word [ebx] */
    cpu->regs[R_BX] = DATA;
    cpu->fpu.fcw = 0x037e;                 /* IM clear */
    read_only(cpu, S_DS);
    int v = step(cpu);
    CHECK(v == (intel() ? -1 : EXC_GP), "FIST ro, #IA unmasked: vector %d", v);
    CHECK(intel() ? (cpu->fpu.fsw & 0xc1) == 0xc1 : cpu->fpu.fsw == 0, "FIST ro: fsw %#x", cpu->fpu.fsw);
    CHECK(rd(DATA, 2) == 0xaaaa, "FIST ro stored");
    cpu = FRESH(CODE32, "\xdf\x13");
    cpu->regs[R_BX] = DATA;
    read_only(cpu, S_DS);
    CHECK(step(cpu) == EXC_GP && cpu->fpu.fsw == 0, "FIST ro, #IA masked: #GP on both");
    /* A non-canonical address is the address's fault: #GP first on both */
    cpu = FRESH(CODE64, "\xdf\x10");  /* FIST word [rax] */
    cpu->regs[R_AX] = 0x8000000000000000ull;
    cpu->fpu.fcw = 0x037e;
    CHECK(step(cpu) == EXC_GP && cpu->fpu.fsw == 0, "FIST non-canonical, #IA unmasked: #GP on both");
}

/* MMX store that faults: Intel has set TOP = 0 (tags unchanged), AMD has
 * changed nothing. */
static void mmx_top(void)
{
    static const struct { const char *name, *code; unsigned len; } ops[] = {
        { "movq [ebx], mm0", "\x0f\x7f\x03", 3 },
        { "movd [ebx], mm0", "\x0f\x7e\x03", 3 },
        { "movntq [ebx], mm0", "\x0f\xe7\x03", 3 },
    };
    for (unsigned i = 0; i < 3; i++) {
        CPU *cpu = fresh(CODE32, ops[i].code, ops[i].len);
        cpu->regs[R_BX] = DATA;
        cpu->fpu.fsw = 0x1800;  /* TOP 3 */
        cpu->fpu.ftw = 0x5555;
        read_only(cpu, S_DS);
        CHECK(step(cpu) == EXC_GP, "%s to read-only: #GP", ops[i].name);
        CHECK(cpu->fpu.fsw == (intel() ? 0 : 0x1800) && cpu->fpu.ftw == 0x5555, "%s: fsw %#x ftw %#x",
              ops[i].name, cpu->fpu.fsw, cpu->fpu.ftw);
    }
}

/* SYSCALL/SYSRET outside 64-bit mode: #UD on Intel; AMD runs them (legacy
 * mode: STAR's EIP and selectors, ECX = return EIP). */
static void syscall_legacy(void)
{
    CPU *cpu = FRESH(CODE32, "\x0f\x05");
    cpu->efer |= 1;                        /* SCE */
    cpu->star = 0x0023001000005000ull;     /* SYSCALL CS 0x10, EIP 0x5000 */
    int v = step(cpu);
    CHECK(intel() ? v == EXC_UD : v == -1 && cpu->rip == 0x5000 && cpu->seg[S_CS].sel == 0x10 &&
                    cpu->seg[S_SS].sel == 0x18 && (uint32_t)cpu->regs[R_CX] == CODE + 2 && cpu->cpl == 0,
          "legacy SYSCALL: vector %d rip %#llx", v, (unsigned long long)cpu->rip);
    if (!intel()) {
        memcpy(m.mem.ram + 0x5000, "\x0f\x07", 2);  /* SYSRET back */
        v = step(cpu);
        CHECK(v == -1 && cpu->rip == CODE + 2 && cpu->seg[S_CS].sel == 0x23 && cpu->cpl == 3 &&
              (cpu->eflags & F_IF), "legacy SYSRET: vector %d rip %#llx", v, (unsigned long long)cpu->rip);
    }
    /* 64-bit mode: both */
    cpu = FRESH(CODE64, "\x0f\x05");
    cpu->efer |= 1;
    cpu->star = 0x0023001000000000ull;
    cpu->lstar = 0x6000;
    CHECK(step(cpu) == -1 && cpu->rip == 0x6000 && cpu->regs[R_CX] == CODE + 2, "64-bit SYSCALL");
}

/* SYSENTER/SYSEXIT in long mode: Intel runs them, AMD #UD. */
static void sysenter_long(void)
{
    CPU *cpu = FRESH(CODE64, "\x0f\x34");
    cpu->sysenter_cs = 0x10;
    cpu->sysenter_eip = 0x7000;
    cpu->sysenter_esp = 0x9000;
    int v = step(cpu);
    CHECK(intel() ? v == -1 && cpu->rip == 0x7000 && cpu->regs[R_SP] == 0x9000 : v == EXC_UD,
          "SYSENTER in long mode: vector %d", v);
    cpu = FRESH(CODE64, "\x48\x0f\x35");
    cpu->sysenter_cs = 0x10;
    cpu->regs[R_DX] = 0x7000;
    cpu->regs[R_CX] = 0x9000;
    v = step(cpu);
    CHECK(intel() ? v == -1 && cpu->rip == 0x7000 && cpu->cpl == 3 : v == EXC_UD, "SYSEXIT in long mode: %d", v);
    /* 32-bit protected mode: both */
    cpu = FRESH(CODE32, "\x0f\x34");
    cpu->sysenter_cs = 0x10;
    cpu->sysenter_eip = 0x7000;
    CHECK(step(cpu) == -1 && cpu->rip == 0x7000, "SYSENTER in protected mode");
}

/* Machine-check MSRs: zero banks on both; IA32_MCG_CTL exists on AMD
 * (MCG_CAP.MCG_CTL_P), not on this Intel model. */
static int msr(CPU *cpu, bool write, uint32_t n, uint64_t *v)
{
    memcpy(m.mem.ram + cpu->rip, write ? "\x0f\x30" : "\x0f\x32", 2);
    cpu->regs[R_CX] = n;
    if (write) {
        cpu->regs[R_AX] = (uint32_t)*v;
        cpu->regs[R_DX] = *v >> 32;
    }
    int r = step(cpu);
    if (!write && r < 0)
        *v = (uint32_t)cpu->regs[R_AX] | cpu->regs[R_DX] << 32;
    return r;
}

static void mce_msrs(void)
{
    CPU *cpu = FRESH(CODE64, "");
    uint64_t v = 1;
    CHECK(cpuid_has(cpu, 1, CPUID_EDX, 7) && cpuid_has(cpu, 1, CPUID_EDX, 14), "CPUID MCE/MCA");
    CHECK(msr(cpu, false, 0x179, &v) == -1 && v == (intel() ? 0 : 0x100u), "MCG_CAP %#llx", (unsigned long long)v);
    v = 0;
    CHECK(msr(cpu, false, 0x17a, &v) == -1 && v == 0, "MCG_STATUS");
    v = ~0ull;
    CHECK(msr(cpu, true, 0x17b, &v) == (intel() ? EXC_GP : -1), "MCG_CTL write");
    CHECK(msr(cpu, false, 0x17b, &v) == (intel() ? EXC_GP : -1) && (intel() || v == 0), "MCG_CTL read");
    CHECK(msr(cpu, false, 0x400, &v) == EXC_GP, "MC0_CTL exists with zero banks");
    v = 1;
    CHECK(msr(cpu, true, 0x179, &v) == EXC_GP, "MCG_CAP writable");
}

static const struct Row { const char *quirk; void (*run)(void); } rows[] = {
    { "branch_o16", branch_o16 },
    { "loopcc_rep_cond", loopcc_rep_cond },
    { "mxcsr_mask", mxcsr_mask },
    { "fx_ptrs_es_only, fdp_excptn_only, fcs_fds_zero", fx_pointers },
    { "push_sreg_word", push_sreg_word },
    { "rep_a32_zero_clears", rep_a32_zero },
    { "prefetch_reg_nop", prefetch_reg },
    { "ac_vec16", ac_vec16 },
    { "call_noncanon_push", call_noncanon },
    { "x87_ia_before_write", x87_ia_order },
    { "mmx_top_before_store", mmx_top },
    { "syscall_legacy", syscall_legacy },
    { "sysenter_long", sysenter_long },
    { "MCE/MCA MSRs", mce_msrs },
};

int main(void)
{
    char err[128];
    if (machine_init(&m, 4 << 20, err, sizeof err)) {
        fprintf(stderr, "machine_init: %s\n", err);
        return 2;
    }
    for (const CpuModel *const *p = cpu_models; *p; p++) {
        md = *p;
        unsigned p0 = passed, f0 = failed;
        for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            unsigned f1 = failed;
            rows[i].run();
            if (failed != f1)
                printf("  row %s failed for %s\n", rows[i].quirk, md->name);
        }
        printf("model %s: %u checks passed, %u failed\n", md->name, passed - p0, failed - f0);
    }
    machine_free(&m);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* test_debug.c — debug exceptions and alignment checking (cpu/debug.c):
 * EFLAGS.TF single-step over POPF, IRET, INT n, a faulting instruction and
 * MOV SS; DR0-DR3 instruction breakpoints with RF; data breakpoints by
 * R/W and LEN; DR7.GD; the #AC matrix (CPL 0/3 x CR0.AM x EFLAGS.AC x
 * operand type x misalignment), whose alignment table is also checked
 * against the host CPU when it is x86-64 Linux; #PF before #AC; implicit
 * supervisor accesses exempt.  Expected values follow the Intel SDM vol. 3
 * ch. 17 and 6.15. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecache/codecache.h"
#include "cpu/cpu.h"
#include "cpu/model.h"
#include "tests/host_model.h"
#include "softmmu/mem.h"
#include "softmmu/tlb.h"

#if defined(__x86_64__) && defined(__linux__)
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#define HAVE_NATIVE 1
#endif

static int passed, failed;

#define CHECK_EQ(a, b) do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
    if (a_ == b_) passed++; else { failed++; \
    printf("FAIL %s:%d: %s == %s: got %#llx, expected %#llx\n", __FILE__, __LINE__, #a, #b, a_, b_); } } while (0)

enum { TF = 1u << 8, RF = 1u << 16, AC = 1u << 18 };
enum { DR6_BS = 1u << 14, DR6_BD = 1u << 13, DR7_GD = 1u << 13 };

static Mem mem;
static CodeCache *cc;
static CPU cpu;
static const CpuModel *model = &cpu_model_intel;  /* what setup() gives the CPU */

static void put(uint64_t pa, const void *b, size_t n) { memcpy(mem.ram + pa, b, n); }
static void put32(uint64_t pa, uint32_t v) { put(pa, &v, 4); }
static uint32_t get32(uint64_t pa) { uint32_t v; memcpy(&v, mem.ram + pa, 4); return v; }

/* Code is laid down instruction by instruction so tests know addresses. */
static uint32_t at;
static uint32_t emit(const uint8_t *b, size_t n) { put(at, b, n); at += (uint32_t)n; return at - (uint32_t)n; }
#define E(...) emit((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define IMM32(v) (uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16), (uint8_t)((v) >> 24)

/* #DB handler at 0x3000: logs (EIP, DR6, EFLAGS) of each #DB at
 * 0x4010 + 16 * n, n at 0x4000; then ORs [0x4004] into and ANDs [0x4008]
 * into the saved EFLAGS and returns. */
static const uint8_t db_handler[] = {
    0x50, 0x53,                               /* push eax; push ebx */
    0x8b, 0x1d, 0x00, 0x40, 0x00, 0x00,       /* mov ebx, [0x4000] */
    0xc1, 0xe3, 0x04,                         /* shl ebx, 4 */
    0x8b, 0x44, 0x24, 0x08,                   /* mov eax, [esp+8] (EIP) */
    0x89, 0x83, 0x10, 0x40, 0x00, 0x00,       /* mov [ebx+0x4010], eax */
    0x0f, 0x21, 0xf0,                         /* mov eax, dr6 */
    0x89, 0x83, 0x14, 0x40, 0x00, 0x00,       /* mov [ebx+0x4014], eax */
    0x8b, 0x44, 0x24, 0x10,                   /* mov eax, [esp+16] (EFLAGS) */
    0x89, 0x83, 0x18, 0x40, 0x00, 0x00,       /* mov [ebx+0x4018], eax */
    0xff, 0x05, 0x00, 0x40, 0x00, 0x00,       /* inc dword [0x4000] */
    0xa1, 0x04, 0x40, 0x00, 0x00,             /* mov eax, [0x4004] */
    0x09, 0x44, 0x24, 0x10,                   /* or [esp+16], eax */
    0xa1, 0x08, 0x40, 0x00, 0x00,             /* mov eax, [0x4008] */
    0x21, 0x44, 0x24, 0x10,                   /* and [esp+16], eax */
    0x5b, 0x58, 0xcf,                         /* pop ebx; pop eax; iret */
};
static unsigned db_count(void) { return get32(0x4000); }
static uint32_t db_eip(unsigned i) { return get32(0x4010 + 16 * i); }
static uint32_t db_dr6(unsigned i) { return get32(0x4014 + 16 * i); }
static uint32_t db_flags(unsigned i) { return get32(0x4018 + 16 * i); }

static void gate(unsigned vec, uint32_t handler)
{
    uint64_t g = (handler & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
                 ((uint64_t)(handler >> 16) << 48);
    put(0x2000 + vec * 8, &g, 8);
}

/* Flat 32-bit protected mode at CPL 0: GDT 0x1800 (ring-0 code 0x08 and
 * data 0x10, ring-3 code 0x1b and data 0x23), TSS 0x1c00 (ESP0 0x9000),
 * IDT 0x2000: #DB -> the logger, other vectors -> "hlt" at 0x3100 + 16 * v
 * (so a stop at 0x3101 + 16 * v tells which one came). */
static void setup(uint32_t entry)
{
    char err[128];
    if (!mem.ram) {
        if (mem_init(&mem, 16 << 20, err, sizeof err)) {
            printf("mem_init: %s\n", err);
            exit(1);
        }
        cc = cpu_codecache_new(&mem, 0, NULL, 0);
    }
    if (cpu.tlb)
        tlb_detach(&cpu.mmu);
    memset(mem.ram, 0, 1 << 20);
    codecache_flush(cc);
    cpu_init(&cpu, &mem);
    cpu.cc = cc;
    cpu_set_model(&cpu, model);
    cpu_reset_flat(&cpu, CODE32, entry);
    static const uint64_t gdt[] = { 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull,
                                    0x00cffa000000ffffull, 0x00cff2000000ffffull };
    put(0x1800, gdt, sizeof gdt);
    cpu.gdtr.base = 0x1800;
    cpu.gdtr.limit = sizeof gdt - 1;
    put32(0x1c04, 0x9000);  /* ESP0 */
    put32(0x1c08, 0x10);    /* SS0 */
    cpu.tr.sel = 0x28;
    cpu.tr.base = 0x1c00;
    cpu.tr.limit = 0x67;
    cpu.tr.attr = 0xb | SA_P;
    cpu.idtr.base = 0x2000;
    cpu.idtr.limit = 0x7ff;
    cpu.regs[R_SP] = 0x8000;
    put(0x3000, db_handler, sizeof db_handler);
    gate(1, 0x3000);
    for (unsigned v = 0; v < 32; v++) {
        if (v == 1)
            continue;
        mem.ram[0x3100 + 16 * v] = 0xf4;  /* hlt */
        gate(v, 0x3100 + 16 * v);
    }
    put32(0x4008, 0xffffffff);
    at = entry;
}

/* Which vector's hlt stub the CPU stopped in, or -1. */
static int stopped_vector(void)
{
    if (cpu.rip < 0x3101 || cpu.rip > 0x3101 + 16 * 31 || (cpu.rip - 0x3101) % 16)
        return -1;
    return (int)(cpu.rip - 0x3101) / 16;
}

static void user_mode(void)
{
    for (int i = 0; i < 6; i++) {
        cpu.seg[i].sel = i == S_CS ? 0x1b : 0x23;
        cpu.seg[i].attr |= 3 << 5;
    }
    cpu.cpl = 3;
}

/* ---- single-step ---- */

static void test_tf_popf(void)
{
    setup(0x1000);
    E(0x9c);                                  /* pushf */
    E(0x81, 0x0c, 0x24, IMM32(TF));           /* or dword [esp], TF */
    E(0x9d);                                  /* popf: TF on, not trapped itself */
    E(0x90);                                  /* nop: first trap after it */
    uint32_t inc = E(0x40);                   /* inc eax */
    uint32_t pushf2 = E(0x9c);
    uint32_t and = E(0x81, 0x24, 0x24, IMM32(~TF));
    uint32_t popf2 = E(0x9d);                 /* clears TF: still trapped */
    uint32_t nop2 = E(0x90);
    E(0x90, 0xf4);
    int r = cpu_run(&cpu, 200);
    CHECK_EQ(r, RUN_HALT);
    CHECK_EQ(db_count(), 5);
    CHECK_EQ(db_eip(0), inc);
    CHECK_EQ(db_eip(1), pushf2);
    CHECK_EQ(db_eip(2), and);
    CHECK_EQ(db_eip(3), popf2);
    CHECK_EQ(db_eip(4), nop2);
    for (unsigned i = 0; i < 5; i++) {
        CHECK_EQ(db_dr6(i) & (DR6_BS | 0xf), DR6_BS);
        CHECK_EQ(db_flags(i) & (TF | RF), i < 4 ? TF : 0);  /* RF is pushed as 0 for traps */
    }
    CHECK_EQ(cpu.regs[R_AX], 1);
    CHECK_EQ(cpu.debug_active, 0);            /* nothing armed any more */
}

static void test_tf_iret(void)
{
    setup(0x1000);
    E(0x68, IMM32(0x202 | TF));               /* push eflags image with TF */
    E(0x0e);                                  /* push cs */
    uint32_t push = E(0x68, IMM32(0));        /* push target (patched below) */
    E(0xcf);                                  /* iret: TF was clear at its start */
    uint32_t target = E(0x90);
    uint32_t pushf = E(0x9c);
    E(0x81, 0x24, 0x24, IMM32(~TF));
    E(0x9d, 0xf4);
    put32(push + 1, target);
    CHECK_EQ(cpu_run(&cpu, 200), RUN_HALT);
    CHECK_EQ(db_count(), 4);
    CHECK_EQ(db_eip(0), pushf);
}

/* INT n with TF: the delivery clears TF and no single-step trap follows
 * the INT itself (test_step_int compares this with the host), so the
 * handler runs unstepped; IRET brings TF back, and the instruction after
 * the INT is trapped. */
static void test_tf_int(void)
{
    setup(0x1000);
    static const uint8_t h40[] = { 0x40, 0x40, 0xcf };
    put(0x3600, h40, sizeof h40);
    gate(0x40, 0x3600);
    E(0x9c, 0x81, 0x0c, 0x24, IMM32(TF), 0x9d);
    E(0x90);
    uint32_t intn = E(0xcd, 0x40);            /* int 0x40 */
    E(0x90);
    uint32_t next = E(0x9c);
    E(0x81, 0x24, 0x24, IMM32(~TF), 0x9d, 0xf4);
    CHECK_EQ(cpu_run(&cpu, 200), RUN_HALT);
    CHECK_EQ(db_count(), 5);
    CHECK_EQ(db_eip(0), intn);                /* after the nop */
    CHECK_EQ(db_eip(1), next);                /* none at the handler; the nop trapped */
    CHECK_EQ(db_flags(1) & TF, TF);
    CHECK_EQ(cpu.regs[R_AX], 2);              /* the handler ran unstepped */
}

/* A faulting instruction is not followed by a single-step trap; the fault
 * handler returns to the next instruction with TF, which traps. */
static void test_tf_fault(void)
{
    setup(0x1000);
    /* #UD handler: skip the 2-byte ud2 and return */
    static const uint8_t ud[] = { 0x83, 0x04, 0x24, 0x02, 0xcf };  /* add dword [esp], 2; iret */
    put(0x3700, ud, sizeof ud);
    gate(6, 0x3700);
    E(0x9c, 0x81, 0x0c, 0x24, IMM32(TF), 0x9d);
    uint32_t ud2 = E(0x0f, 0x0b);
    uint32_t nop = E(0x90);
    uint32_t next = E(0x9c);
    E(0x81, 0x24, 0x24, IMM32(~TF), 0x9d, 0xf4);
    CHECK_EQ(cpu_run(&cpu, 200), RUN_HALT);
    CHECK_EQ(db_eip(0), next);                /* no trap for the ud2 itself */
    CHECK_EQ(db_count(), 4);
    (void)ud2;
    (void)nop;
}

/* MOV SS holds the trap over the next instruction: one #DB after both. */
static void test_tf_mov_ss(void)
{
    setup(0x1000);
    E(0x66, 0xb8, 0x10, 0x00);                /* mov ax, 0x10 */
    E(0x9c, 0x81, 0x0c, 0x24, IMM32(TF), 0x9d);
    E(0x8e, 0xd0);                            /* mov ss, ax: TF set at its start */
    E(0xbc, IMM32(0x7800));                   /* mov esp, 0x7800 */
    uint32_t next = E(0x9c);
    E(0x81, 0x24, 0x24, IMM32(~TF), 0x9d, 0xf4);
    CHECK_EQ(cpu_run(&cpu, 200), RUN_HALT);
    CHECK_EQ(db_count(), 4);                  /* nothing between MOV SS and MOV ESP */
    CHECK_EQ(db_eip(0), next);
    CHECK_EQ(db_dr6(0) & DR6_BS, DR6_BS);
    CHECK_EQ(cpu.regs[R_SP], 0x7800);
}

/* REP string instructions trap after every iteration, at the instruction
 * itself until the last, with RF = 1 pushed for those (SDM 17.3.1.1). */
static void test_tf_rep(void)
{
    setup(0x1000);
    E(0xbe, IMM32(0x5000), 0xbf, IMM32(0x5100), 0xb9, IMM32(3));  /* esi, edi, ecx */
    E(0x9c, 0x81, 0x0c, 0x24, IMM32(TF), 0x9d);
    uint32_t rep = E(0x90);
    E(0xf3, 0xa4);                            /* rep movsb */
    uint32_t next = E(0x9c);
    E(0x81, 0x24, 0x24, IMM32(~TF), 0x9d, 0xf4);
    memcpy(mem.ram + 0x5000, "abc", 3);
    CHECK_EQ(cpu_run(&cpu, 300), RUN_HALT);
    CHECK_EQ(db_count(), 7);
    CHECK_EQ(db_eip(0), rep + 1);
    CHECK_EQ(db_eip(1), rep + 1);
    CHECK_EQ(db_eip(2), rep + 1);
    CHECK_EQ(db_eip(3), next);
    CHECK_EQ(db_flags(0) & RF, 0);            /* after the nop */
    CHECK_EQ(db_flags(1) & RF, RF);           /* iterations 1 and 2 of 3 */
    CHECK_EQ(db_flags(2) & RF, RF);
    CHECK_EQ(db_flags(3) & RF, 0);            /* the last */
    CHECK_EQ(memcmp(mem.ram + 0x5100, "abc", 3), 0);
    CHECK_EQ(cpu.regs[R_CX], 0);
}

/* ---- instruction breakpoints, RF ---- */

static void test_exec_bp(bool set_rf)
{
    setup(0x1000);
    E(0x90);
    uint32_t target = E(0x41);                /* inc ecx (the handler keeps ecx) */
    E(0xf4);
    cpu.dr[1] = target;
    cpu.dr[7] = 0x400 | (2 << 2);             /* G1, R/W1 = 00 (execute), LEN1 = 00 */
    cpu.dr[6] = 0xffff0ff0;
    put32(0x4004, set_rf ? RF : 0);
    int r = cpu_run(&cpu, 300);
    if (set_rf) {
        CHECK_EQ(r, RUN_HALT);
        CHECK_EQ(db_count(), 1);
        CHECK_EQ(db_eip(0), target);          /* a fault: before the instruction */
        CHECK_EQ(db_dr6(0) & 0xf, 2);         /* B1 */
        CHECK_EQ(db_dr6(0) & DR6_BS, 0);
        CHECK_EQ(db_flags(0) & RF, 0);        /* pushed RF for an instruction breakpoint */
        CHECK_EQ(cpu.regs[R_CX], 1);          /* ran once after the IRET with RF */
        CHECK_EQ(cpu.eflags & RF, 0);         /* cleared once that instruction ran */
    } else {
        /* Without RF the handler's IRET hits the breakpoint again. */
        CHECK_EQ(r, RUN_LIMIT);
        CHECK_EQ(db_count() > 5, 1);
        CHECK_EQ(cpu.regs[R_CX], 0);
    }
}

/* A breakpoint enabled by MOV DR7 takes effect on the next instruction;
 * one on an address already passed does not fire. */
static void test_exec_bp_mov_dr7(void)
{
    setup(0x1000);
    E(0xb8, IMM32(0x400 | 1 | (2 << 4)));     /* mov eax, L0 | G2 */
    uint32_t ld0 = E(0xbb, IMM32(0));         /* mov ebx, target */
    E(0x0f, 0x23, 0xc3);                      /* mov dr0, ebx */
    E(0x0f, 0x23, 0xf8);                      /* mov dr7, eax */
    uint32_t target = E(0x90);
    E(0xf4);
    put32(ld0 + 1, target);
    cpu.dr[2] = ld0;                          /* G2 on an already executed address */
    put32(0x4004, RF);
    CHECK_EQ(cpu_run(&cpu, 100), RUN_HALT);
    CHECK_EQ(db_count(), 1);
    CHECK_EQ(db_eip(0), target);
    CHECK_EQ(db_dr6(0) & 0xf, 1);
}

/* ---- data breakpoints ---- */

static void test_data_bp(void)
{
    setup(0x1000);
    E(0xb0, 0x5a);                            /* mov al, 0x5a */
    E(0xa2, IMM32(0x5000));                   /* mov [0x5000], al: outside */
    uint32_t st = E(0xa2, IMM32(0x5003));     /* mov [0x5003], al: in DR0's word */
    uint32_t after_st = E(0x90);
    E(0xa1, IMM32(0x5002));                   /* mov eax, [0x5002]: a read */
    uint32_t rd8 = E(0x8b, 0x1d, IMM32(0x5107)); /* mov ebx, [0x5107]: in DR1's qword */
    uint32_t after_rd8 = E(0x90);
    E(0xc7, 0x05, IMM32(0x5108), IMM32(7));   /* mov dword [0x5108], 7: past it */
    E(0xf4);
    cpu.dr[0] = 0x5003;                       /* LEN 2 ignores the low bit: [0x5002, 0x5004) */
    cpu.dr[1] = 0x5100;                       /* LEN 8: [0x5100, 0x5108) */
    cpu.dr[7] = 0x400 | 1 | 4 | (1u << 16) | (1u << 18) | (3u << 20) | (2u << 22);
    CHECK_EQ(cpu_run(&cpu, 100), RUN_HALT);
    CHECK_EQ(db_count(), 2);
    CHECK_EQ(db_eip(0), after_st);            /* a trap: after the store */
    CHECK_EQ(db_dr6(0) & 0xf, 1);
    CHECK_EQ(db_eip(1), after_rd8);
    CHECK_EQ(db_dr6(1) & 0xf, 2);
    CHECK_EQ(mem.ram[0x5003], 0x5a);          /* the store happened */
    CHECK_EQ(get32(0x5108), 7);
    (void)st;
    (void)rd8;
}

/* ---- general detect ---- */

static void test_gd(void)
{
    setup(0x1000);
    uint32_t mov = E(0x0f, 0x21, 0xc0);       /* mov eax, dr0 */
    E(0xf4);
    cpu.dr[7] = 0x400 | DR7_GD;
    put32(0x4004, RF);
    CHECK_EQ(cpu_run(&cpu, 100), RUN_HALT);
    CHECK_EQ(db_count(), 1);                  /* GD is cleared: the retry and the handler's MOV DR6 run */
    CHECK_EQ(db_eip(0), mov);
    CHECK_EQ(db_dr6(0) & DR6_BD, DR6_BD);
    CHECK_EQ(cpu.dr[7] & DR7_GD, 0);
}

/* ---- #AC ---- */

/* Instructions with one memory operand at [ebx]; align is the alignment
 * their data type needs (SDM table 6-7; see also native_check).  16 is a
 * 16-byte vector, which only models with Quirks.ac_vec16 (AMD) check. */
typedef struct AcCase { const char *name; uint8_t code[4]; uint8_t len; uint8_t align; } AcCase;
static const AcCase ac_cases[] = {
    { "movzx eax, word [ebx]", { 0x0f, 0xb7, 0x03 }, 3, 2 },
    { "mov eax, [ebx]", { 0x8b, 0x03 }, 2, 4 },
    { "movq xmm0, [ebx]", { 0xf3, 0x0f, 0x7e, 0x03 }, 4, 8 },
    { "mov [ebx], ax", { 0x66, 0x89, 0x03 }, 3, 2 },
    { "mov [ebx], eax", { 0x89, 0x03 }, 2, 4 },
    { "bt dword [ebx], 3", { 0x0f, 0xba, 0x23, 0x03 }, 4, 4 },
    { "cmpxchg8b [ebx]", { 0x0f, 0xc7, 0x0b }, 3, 8 },
    { "fld dword [ebx]", { 0xd9, 0x03 }, 2, 4 },
    { "fld qword [ebx]", { 0xdd, 0x03 }, 2, 8 },
    { "fld tword [ebx]", { 0xdb, 0x2b }, 2, 8 },
    { "fnstenv [ebx]", { 0xd9, 0x33 }, 2, 4 },
    { "movups xmm0, [ebx]", { 0x0f, 0x10, 0x03 }, 3, 16 },
    { "movdqu [ebx], xmm0", { 0xf3, 0x0f, 0x7f, 0x03 }, 4, 16 },
    { "lea eax, [ebx]", { 0x8d, 0x03 }, 2, 1 },  /* no access */
};
enum { N_AC = sizeof ac_cases / sizeof ac_cases[0] };

static unsigned ac_align(const AcCase *c, const CpuModel *md)
{
    return c->align == 16 && !md->q.ac_vec16 ? 1 : c->align;
}
static const unsigned ac_offsets[] = { 0, 1, 2, 3, 4, 6, 8, 12 };

/* Runs one case; returns the vector raised (-1: none). */
static int run_ac(const AcCase *c, unsigned off, bool user, bool am, bool ac)
{
    setup(0x1000);
    emit(c->code, c->len);
    E(0x90);
    cpu.regs[R_BX] = 0x6000 + off;
    if (user)
        user_mode();
    if (am)
        cpu.cr0 |= CR0_AM;
    if (ac)
        cpu.eflags |= AC;
    /* the instruction and the nop after it, or the fault and its hlt */
    cpu_run(&cpu, 2);
    int v = stopped_vector();
    if (v < 0)
        CHECK_EQ(cpu.rip, 0x1000u + c->len + 1);
    if (v == EXC_AC) {
        /* error code 0, the faulting instruction; ring 3 -> ring 0 frame */
        uint32_t sp = (uint32_t)cpu.regs[R_SP];
        CHECK_EQ(get32(sp), 0);
        CHECK_EQ(get32(sp + 4), 0x1000);
        CHECK_EQ(sp, 0x9000 - 24);
        CHECK_EQ(cpu.debug_active, 0);        /* back at CPL 0: nothing armed */
    }
    return v;
}

static void test_ac_matrix(void)
{
    for (unsigned i = 0; i < N_AC; i++) {
        const AcCase *c = &ac_cases[i];
        for (unsigned o = 0; o < sizeof ac_offsets / sizeof ac_offsets[0]; o++) {
            unsigned off = ac_offsets[o];
            for (int mode = 0; mode < 8; mode++) {
                bool user = mode & 1, am = mode & 2, ac = mode & 4;
                int want = (user && am && ac && (off % ac_align(c, model))) ? EXC_AC : -1;
                int got = run_ac(c, off, user, am, ac);
                if (got != want) {
                    failed++;
                    printf("FAIL #AC (%s) %s at +%u, CPL %d AM %d AC %d: vector %d, expected %d\n",
                           model->name, c->name, off, user ? 3 : 0, am, ac, got, want);
                } else {
                    passed++;
                }
            }
        }
    }
}

/* Misaligned PUSH / far-pointer load / descriptor and TSS reads. */
static void test_ac_implicit(void)
{
    /* push with ESP 2 mod 4 at CPL 3: a 4-byte stack write */
    setup(0x1000);
    E(0x50, 0x90);
    user_mode();
    cpu.cr0 |= CR0_AM;
    cpu.eflags |= AC;
    cpu.regs[R_SP] = 0x7002;
    cpu_run(&cpu, 2);
    CHECK_EQ(stopped_vector(), EXC_AC);

    /* The GDT and TSS at odd addresses: the descriptor read of MOV DS and
     * the TSS read of the #GP delivery are supervisor accesses, no #AC. */
    setup(0x1000);
    uint8_t gdt[40];
    memcpy(gdt, mem.ram + 0x1800, 40);
    put(0x1901, gdt, 40);
    cpu.gdtr.base = 0x1901;
    put32(0x1d05, 0x9000);
    put32(0x1d09, 0x10);
    cpu.tr.base = 0x1d01;
    E(0xb8, IMM32(0x23));                     /* mov eax, 0x23 */
    E(0x8e, 0xd8);                            /* mov ds, ax */
    E(0xfa);                                  /* cli: #GP at CPL 3, IOPL 0 */
    user_mode();
    cpu.cr0 |= CR0_AM;
    cpu.eflags |= AC;
    CHECK_EQ(cpu_run(&cpu, 10), RUN_HALT);
    CHECK_EQ(stopped_vector(), EXC_GP);
    CHECK_EQ(cpu.seg[S_DS].sel, 0x23);
    CHECK_EQ(cpu.regs[R_SP], 0x9000 - 24);
}

/* A misaligned access to a page that is not present: #PF comes first. */
static void paging_4m(void)
{
    put32(0xa000, 0xc7);                      /* PDE 0: 4 MiB page at 0, P RW US PS D */
    put32(0xa004, 0x400087);                  /* PDE 1: 4 MiB page at 4 MiB, A and D clear */
    cpu.cr3 = 0xa000;                         /* PDE 2: not present */
    cpu.cr4 |= 1u << 4;                       /* PSE */
    cpu.cr0 |= CR0_PG | CR0_AM;
}

static void test_ac_pf_first(void)
{
    setup(0x1000);
    paging_4m();
    E(0x8b, 0x03, 0x90);                      /* mov eax, [ebx] */
    cpu.regs[R_BX] = 0x800001;
    user_mode();
    cpu.eflags |= AC;
    cpu_run(&cpu, 2);
    CHECK_EQ(stopped_vector(), EXC_PF);
    CHECK_EQ(cpu.cr2, 0x800001);
    /* A present page gives #AC without setting A or D. */
    setup(0x1000);
    paging_4m();
    E(0x89, 0x03, 0x90);                      /* mov [ebx], eax */
    cpu.regs[R_BX] = 0x400001;
    user_mode();
    cpu.eflags |= AC;
    cpu_run(&cpu, 2);
    CHECK_EQ(stopped_vector(), EXC_AC);
    CHECK_EQ(get32(0xa004) & 0x60, 0);
}

#ifdef HAVE_NATIVE
/* The alignment table against the host: the same bytes run natively in
 * 64-bit user mode (Linux sets CR0.AM), #AC arriving as SIGBUS. */
static sigjmp_buf native_jb;
static volatile int native_sig;

static void native_handler(int sig)
{
    __asm__ volatile("pushfq; andq $~0x40000, (%%rsp); popfq" ::: "memory", "cc");
    native_sig = sig;
    siglongjmp(native_jb, 1);
}

static int native_ac(uint8_t *page, const AcCase *c, uint8_t *data)
{
    static const uint8_t pre[] = { 0xdb, 0xe3,                             /* fninit */
                                   0x9c, 0x48, 0x81, 0x0c, 0x24, 0, 0, 4, 0, /* or AC */
                                   0x9d };
    static const uint8_t post[] = { 0x9c, 0x48, 0x81, 0x24, 0x24, 0xff, 0xff, 0xfb, 0xff,
                                    0x9d, 0xc3 };
    size_t n = 0;
    memcpy(page + n, pre, sizeof pre), n += sizeof pre;
    memcpy(page + n, c->code, c->len), n += c->len;
    memcpy(page + n, post, sizeof post);
    native_sig = 0;
    if (!sigsetjmp(native_jb, 1)) {
        __asm__ volatile("sub $256, %%rsp\n call *%0\n add $256, %%rsp"
                         :: "r"(page), "b"(data)
                         : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
                           "xmm0", "memory", "cc");
    }
    return native_sig == SIGBUS ? EXC_AC : native_sig ? -2 : -1;
}

static void native_check(const CpuModel *host)
{
    uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static uint8_t data[4096] __attribute__((aligned(64)));
    if (page == MAP_FAILED) {
        printf("native check: no executable page, skipped\n");
        return;
    }
    struct sigaction sa, old_bus, old_segv;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = native_handler;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGBUS, &sa, &old_bus);
    sigaction(SIGSEGV, &sa, &old_segv);
    if (native_ac(page, &ac_cases[1], data + 1) != EXC_AC) {
        printf("native check: the host does not raise #AC in user mode, skipped\n");
    } else {
        for (unsigned i = 0; i < N_AC; i++)
            for (unsigned o = 0; o < sizeof ac_offsets / sizeof ac_offsets[0]; o++) {
                unsigned off = ac_offsets[o];
                /* the table of the host's model */
                int want = (off % ac_align(&ac_cases[i], host)) ? EXC_AC : -1;
                int got = native_ac(page, &ac_cases[i], data + 64 + off);
                if (got != want) {
                    failed++;
                    printf("FAIL host (%s) %s at +%u: %d, table says %d\n", host->name,
                           ac_cases[i].name, off, got, want);
                } else {
                    passed++;
                }
            }
    }
    sigaction(SIGBUS, &old_bus, NULL);
    sigaction(SIGSEGV, &old_segv, NULL);
    munmap(page, 4096);
}
#endif

int main(void)
{
    test_tf_popf();
    test_tf_iret();
    test_tf_int();
    test_tf_fault();
    test_tf_mov_ss();
    test_tf_rep();
    test_exec_bp(true);
    test_exec_bp(false);
    test_exec_bp_mov_dr7();
    test_data_bp();
    test_gd();
    /* The alignment table of each model (the rest does not depend on it) */
    for (const CpuModel *const *md = cpu_models; *md; md++) {
        model = *md;
        test_ac_matrix();
    }
    model = &cpu_model_intel;
    test_ac_implicit();
    test_ac_pf_first();
#ifdef HAVE_NATIVE
    native_check(test_host_model());
#endif
    if (cpu.tlb)
        tlb_detach(&cpu.mmu);
    printf("test_debug: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

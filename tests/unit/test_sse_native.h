/* test_sse_native.h — run one SIMD instruction natively on the host CPU and
 * in the interpreter from the same architectural state, for the
 * test_sse_*.c unit tests.
 *
 * Native side: an FXRSTOR64 image carries the x87/MMX/XMM/MXCSR state in,
 * the GPRs and RFLAGS are loaded by a trampoline, the instruction bytes run
 * from an executable page and jump back, and FXSAVE64 carries the state
 * out.  A fault (SIGILL/SIGSEGV/SIGFPE) is caught and its FXSAVE image (the
 * state at the fault, from the signal frame) kept.  The memory operand is
 * [rsi] (MASKMOV*: [rdi]); RSI and RDI point at a buffer with the same
 * page offset on both sides, so only those two registers differ.
 */
#ifndef TEST_SSE_NATIVE_H
#define TEST_SSE_NATIVE_H

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "vm/machine.h"
#include "tests/host_model.h"

typedef struct NState {
    uint8_t img[512];     /* +0: FXRSTOR64 image in */
    uint8_t out[512];     /* +512: FXSAVE64 image out */
    uint64_t gpr[16];     /* +1024 */
    uint64_t rflags;      /* +1152 */
} __attribute__((aligned(64))) NState;

void sse_native_run(NState *st, const void *code);
void sse_native_exit(void);

__asm__(
    ".data\n.balign 8\n"
    "sse_nat_rsp: .quad 0\nsse_nat_st: .quad 0\nsse_nat_code: .quad 0\n"
    ".text\n"
    ".globl sse_native_run\n.type sse_native_run, @function\n"
    "sse_native_run:\n"
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "  mov %rsp, sse_nat_rsp(%rip)\n"
    "  mov %rdi, sse_nat_st(%rip)\n"
    "  mov %rsi, sse_nat_code(%rip)\n"
    "  fxrstor64 (%rdi)\n"
    "  pushq 1152(%rdi)\n popfq\n"
    "  mov 1024(%rdi), %rax\n mov 1032(%rdi), %rcx\n mov 1040(%rdi), %rdx\n mov 1048(%rdi), %rbx\n"
    "  mov 1064(%rdi), %rbp\n mov 1072(%rdi), %rsi\n"
    "  mov 1088(%rdi), %r8\n mov 1096(%rdi), %r9\n mov 1104(%rdi), %r10\n mov 1112(%rdi), %r11\n"
    "  mov 1120(%rdi), %r12\n mov 1128(%rdi), %r13\n mov 1136(%rdi), %r14\n mov 1144(%rdi), %r15\n"
    "  mov 1080(%rdi), %rdi\n"
    "  jmp *sse_nat_code(%rip)\n"
    ".globl sse_native_exit\n"
    "sse_native_exit:\n"
    "  pushfq\n push %rax\n"
    "  mov sse_nat_st(%rip), %rax\n"
    "  mov %rcx, 1032(%rax)\n mov %rdx, 1040(%rax)\n mov %rbx, 1048(%rax)\n"
    "  mov %rbp, 1064(%rax)\n mov %rsi, 1072(%rax)\n mov %rdi, 1080(%rax)\n"
    "  mov %r8, 1088(%rax)\n mov %r9, 1096(%rax)\n mov %r10, 1104(%rax)\n mov %r11, 1112(%rax)\n"
    "  mov %r12, 1120(%rax)\n mov %r13, 1128(%rax)\n mov %r14, 1136(%rax)\n mov %r15, 1144(%rax)\n"
    "  pop %rcx\n mov %rcx, 1024(%rax)\n"
    "  pop %rcx\n mov %rcx, 1152(%rax)\n"
    "  fxsave64 512(%rax)\n"
    "  mov sse_nat_rsp(%rip), %rsp\n"
    "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
    "  ret\n");

/* ---- the test state ---- */

#define T_BUF_G 0x20000ull     /* guest address of the data buffer */
#define T_BUF_SIZE 0x1000u
#define T_CODE_G 0x1000ull

typedef struct TState {
    XMM xmm[16];
    uint64_t st_mant[8];      /* physical x87 registers */
    uint16_t st_se[8];
    uint16_t fsw, fcw;
    uint8_t abridged;         /* bit i: physical register i not empty */
    uint32_t mxcsr;
    uint64_t gpr[16];
    uint32_t flags;           /* OSZAPC */
    unsigned off;             /* operand offset in the buffer */
    uint8_t buf[T_BUF_SIZE];
} TState;

/* Result of one run, in one comparable form. */
typedef struct TResult {
    int exc;                  /* 0, or the vector class: 6, 13, 19 */
    XMM xmm[16];
    uint64_t st_mant[8];
    uint16_t st_se[8];
    uint16_t fsw;
    uint8_t abridged;
    uint32_t mxcsr;
    uint64_t gpr[16];
    uint32_t flags;
    uint8_t buf[T_BUF_SIZE];
} TResult;

static sigjmp_buf t_jb;
static volatile int t_sig;
static uint8_t t_fault_img[512] __attribute__((aligned(16)));
static uint8_t t_host_fx[512] __attribute__((aligned(16)));
static uint8_t *t_code;       /* host executable page */
static uint8_t *t_hbuf;       /* host data buffer */
static Machine t_m;

static void t_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    ucontext_t *uc = ctx;
    t_sig = sig;
    if (uc->uc_mcontext.fpregs)
        memcpy(t_fault_img, uc->uc_mcontext.fpregs, 512);
    siglongjmp(t_jb, 1);
}

static void t_init(void)
{
    char err[128];
    if (machine_init(&t_m, 1 << 20, err, sizeof err)) {
        fprintf(stderr, "machine_init: %s\n", err);
        exit(2);
    }
    cpu_set_model(&t_m.cpu, test_host_model());  /* the host is the oracle */
    t_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    t_hbuf = mmap(NULL, T_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t_code == MAP_FAILED || t_hbuf == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = t_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* FXSAVE64 image -> comparable fields */
static void t_from_image(TResult *r, const uint8_t *img)
{
    r->fsw = rd16(img + 2);
    r->abridged = img[4];
    r->mxcsr = rd32(img + 24);
    unsigned top = (r->fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) {
        unsigned p = (top + i) & 7;
        r->st_mant[p] = rd64(img + 32 + 16 * i);
        r->st_se[p] = rd16(img + 40 + 16 * i);
    }
    memcpy(r->xmm, img + 160, 256);
}

static int t_sig_class(int sig)
{
    switch (sig) {
    case SIGILL: return 6;
    case SIGFPE: return 19;
    case SIGBUS: return 17;
    default: return 13;
    }
}

static int t_vec_class(int v)
{
    return (v == 12 || v == 14) ? 13 : v;
}

static void t_run_native(const TState *s, const uint8_t *code, unsigned len, TResult *r)
{
    static NState ns;
    memset(&ns, 0, sizeof ns);
    uint8_t *img = ns.img;
    memcpy(img + 0, &s->fcw, 2);
    memcpy(img + 2, &s->fsw, 2);
    img[4] = s->abridged;
    memcpy(img + 24, &s->mxcsr, 4);
    uint32_t mask = 0xffff;
    memcpy(img + 28, &mask, 4);
    unsigned top = (s->fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) {
        unsigned p = (top + i) & 7;
        memcpy(img + 32 + 16 * i, &s->st_mant[p], 8);
        memcpy(img + 40 + 16 * i, &s->st_se[p], 2);
    }
    memcpy(img + 160, s->xmm, 256);
    memcpy(ns.gpr, s->gpr, sizeof ns.gpr);
    ns.gpr[R_SI] = ns.gpr[R_DI] = (uint64_t)(uintptr_t)(t_hbuf + s->off);
    ns.rflags = 0x202 | s->flags;
    memcpy(t_hbuf, s->buf, T_BUF_SIZE);

    memcpy(t_code, code, len);
    t_code[len] = 0xff;                       /* jmp *0(%rip) */
    t_code[len + 1] = 0x25;
    memset(t_code + len + 2, 0, 4);
    uint64_t exit_addr = (uint64_t)(uintptr_t)sse_native_exit;
    memcpy(t_code + len + 6, &exit_addr, 8);

    memset(r, 0, sizeof *r);
    __asm__ volatile("fxsave64 %0" : "=m"(t_host_fx));
    t_sig = 0;
    if (sigsetjmp(t_jb, 0) == 0) {
        sse_native_run(&ns, t_code);
        __asm__ volatile("fxrstor64 %0" : : "m"(t_host_fx));
        t_from_image(r, ns.out);
        memcpy(r->gpr, ns.gpr, sizeof r->gpr);
        r->flags = (uint32_t)ns.rflags & F_OSZAPC;
    } else {
        __asm__ volatile("fxrstor64 %0" : : "m"(t_host_fx));
        r->exc = t_sig_class(t_sig);
        t_from_image(r, t_fault_img);
    }
    r->gpr[R_SI] = r->gpr[R_DI] = r->gpr[R_SP] = 0;
    memcpy(r->buf, t_hbuf, T_BUF_SIZE);
}

static void t_run_interp(const TState *s, const uint8_t *code, unsigned len, TResult *r)
{
    CPU *cpu = &t_m.cpu;
    cpu_reset_flat(cpu, CODE64, T_CODE_G);
    memcpy(t_m.mem.ram + T_CODE_G, code, len);
    memset(t_m.mem.ram + T_CODE_G + len, 0xcc, 16);
    memcpy(t_m.mem.ram + T_BUF_G, s->buf, T_BUF_SIZE);
    memcpy(cpu->regs, s->gpr, sizeof cpu->regs);
    cpu->regs[R_SI] = cpu->regs[R_DI] = T_BUF_G + s->off;
    cpu->regs[R_SP] = 0x8000;
    cpu->eflags = 0x202 | s->flags;
    cpu->lf.op = LF_NONE;
    memcpy(cpu->xmm, s->xmm, sizeof cpu->xmm);
    cpu->mxcsr = s->mxcsr;
    cpu->fpu.fcw = s->fcw;
    cpu->fpu.fsw = s->fsw;
    cpu->fpu.ftw = 0;
    for (unsigned i = 0; i < 8; i++) {
        cpu->fpu.st[i].mant = s->st_mant[i];
        cpu->fpu.st[i].se = s->st_se[i];
        if (!((s->abridged >> i) & 1))
            cpu->fpu.ftw |= (uint16_t)(3u << (2 * i));
    }
    cpu->fpu.fop = 0;
    cpu->fpu.fip = cpu->fpu.fdp = 0;

    memset(r, 0, sizeof *r);
    int rc = cpu_step(cpu);
    r->exc = rc == RUN_EXCEPTION ? t_vec_class(cpu->exc_vector) : 0;
    memcpy(r->xmm, cpu->xmm, sizeof r->xmm);
    for (unsigned i = 0; i < 8; i++) {
        r->st_mant[i] = cpu->fpu.st[i].mant;
        r->st_se[i] = cpu->fpu.st[i].se;
        if (((cpu->fpu.ftw >> (2 * i)) & 3) != 3)
            r->abridged |= (uint8_t)(1u << i);
    }
    r->fsw = cpu->fpu.fsw;
    r->mxcsr = cpu->mxcsr;
    if (!r->exc) {
        memcpy(r->gpr, cpu->regs, sizeof r->gpr);
        r->flags = cpu_get_eflags(cpu) & F_OSZAPC;
    }
    r->gpr[R_SI] = r->gpr[R_DI] = r->gpr[R_SP] = 0;
    memcpy(r->buf, t_m.mem.ram + T_BUF_G, T_BUF_SIZE);
}

/* Compares; on a mismatch prints what differs (prefixed by what) and
 * returns false.  After a fault only the exception class, MXCSR and the
 * XMM registers (from the signal frame) are compared, plus memory. */
static bool t_compare(const char *what, const TResult *n, const TResult *e, bool verbose)
{
    char msg[512];
    int k = 0;
    msg[0] = 0;
#define DIFF(...) do { if (k < 400) k += snprintf(msg + k, sizeof msg - (size_t)k, __VA_ARGS__); } while (0)
    if (n->exc != e->exc)
        DIFF(" exc native %d interp %d;", n->exc, e->exc);
    if (n->exc == e->exc) {
        for (int i = 0; i < 16; i++)
            if (memcmp(&n->xmm[i], &e->xmm[i], 16))
                DIFF(" xmm%d native %016llx%016llx interp %016llx%016llx;", i,
                     (unsigned long long)n->xmm[i].q[1], (unsigned long long)n->xmm[i].q[0],
                     (unsigned long long)e->xmm[i].q[1], (unsigned long long)e->xmm[i].q[0]);
        if (n->mxcsr != e->mxcsr)
            DIFF(" mxcsr native %#x interp %#x;", n->mxcsr, e->mxcsr);
        /* the x87->MMX transition may happen before a fault, so these are
         * compared after faults too */
        if ((n->fsw & 0x3800) != (e->fsw & 0x3800))
            DIFF(" TOP native %u interp %u;", (n->fsw >> 11) & 7, (e->fsw >> 11) & 7);
        if (n->abridged != e->abridged)
            DIFF(" tags native %#x interp %#x;", n->abridged, e->abridged);
        if (!n->exc) {
            for (int i = 0; i < 8; i++)
                if (n->st_mant[i] != e->st_mant[i] || n->st_se[i] != e->st_se[i])
                    DIFF(" R%d native %04x:%016llx interp %04x:%016llx;", i, n->st_se[i],
                         (unsigned long long)n->st_mant[i], e->st_se[i], (unsigned long long)e->st_mant[i]);
            if (n->fsw != e->fsw)
                DIFF(" fsw native %#x interp %#x;", n->fsw, e->fsw);
            for (int i = 0; i < 16; i++)
                if (n->gpr[i] != e->gpr[i])
                    DIFF(" r%d native %#llx interp %#llx;", i, (unsigned long long)n->gpr[i],
                         (unsigned long long)e->gpr[i]);
            if (n->flags != e->flags)
                DIFF(" flags native %#x interp %#x;", n->flags, e->flags);
        }
        for (unsigned i = 0; i < T_BUF_SIZE; i++)
            if (n->buf[i] != e->buf[i]) {
                DIFF(" mem[+%#x] native %02x interp %02x;", i, n->buf[i], e->buf[i]);
                break;
            }
    }
#undef DIFF
    if (!k)
        return true;
    if (verbose)
        printf("FAIL %s:%s\n", what, msg);
    return false;
}

/* ---- value generators ---- */

static uint64_t t_rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    t_rng ^= t_rng << 13;
    t_rng ^= t_rng >> 7;
    t_rng ^= t_rng << 17;
    return t_rng;
}
static unsigned rndn(unsigned n) { return (unsigned)(rnd() % n); }

static const uint32_t f_special[] = {
    0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800000,
    0x3f800000, 0xbfc00000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000,
    0xffc00000, 0x7fc12345, 0x7f800001, 0xffa00000, 0x7f812345, 0x4f000000, 0xcf000000,
    0x4effffff, 0xcf000001, 0x5f000000, 0xdf000000, 0x3f000000, 0x40400000, 0x0c000000,
    0x72000000, 0x1f000000, 0x3eaaaaab, 0x4b7fffff, 0x3fc00000, 0x40200000, 0x00ffffff,
};
static const uint64_t d_special[] = {
    0, 0x8000000000000000ull, 1, 0x800fffffffffffffull, 0x0008000000000000ull,
    0x0010000000000000ull, 0x3ff0000000000000ull, 0xbff8000000000000ull, 0x7fefffffffffffffull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
    0x7ff8000000012345ull, 0x7ff0000000000001ull, 0xfff4000000000000ull, 0x41e0000000000000ull,
    0xc1e0000000000000ull, 0x41dfffffffffffffull, 0xc1e0000000200000ull, 0x43e0000000000000ull,
    0xc3e0000000000000ull, 0x3fe0000000000000ull, 0x4008000000000000ull, 0x0180000000000000ull,
    0x7e00000000000000ull, 0x3fd5555555555555ull, 0x47efffffe0000000ull, 0x36a0000000000000ull,
    0x380fffffe0000000ull, 0x3fe8000000000000ull, 0x4330000000000001ull, 0x3810000000000000ull,
};
static const uint16_t w_special[] = { 0, 1, 0xffff, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0x8001, 0x00ff, 0xff00, 0x0100, 0x7ffe };

static void gen_lanes(uint8_t *p, unsigned n)
{
    switch (rndn(5)) {
    case 0:
        for (unsigned i = 0; i + 4 <= n; i += 4) {
            uint32_t v = rndn(6) ? f_special[rndn(sizeof f_special / 4)] : (uint32_t)rnd();
            memcpy(p + i, &v, 4);
        }
        break;
    case 1:
        for (unsigned i = 0; i + 8 <= n; i += 8) {
            uint64_t v = rndn(6) ? d_special[rndn(sizeof d_special / 8)] : rnd();
            memcpy(p + i, &v, 8);
        }
        break;
    case 2:
        for (unsigned i = 0; i + 2 <= n; i += 2) {
            uint16_t v = rndn(3) ? w_special[rndn(sizeof w_special / 2)] : (uint16_t)rnd();
            memcpy(p + i, &v, 2);
        }
        break;
    case 3: {  /* small floats: sums and products stay finite and exact-ish */
        for (unsigned i = 0; i + 4 <= n; i += 4) {
            uint32_t v = 0x3f000000u + (uint32_t)(rnd() & 0x01ffffffu);
            if (rndn(2)) v |= 0x80000000u;
            memcpy(p + i, &v, 4);
        }
        break;
    }
    default:
        for (unsigned i = 0; i < n; i++)
            p[i] = (uint8_t)rnd();
        break;
    }
}

static uint32_t gen_mxcsr(void)
{
    uint32_t m = (rndn(4) << 13) | (0x3fu << 7);
    if (!rndn(4)) m |= 0x40;          /* DAZ */
    if (!rndn(4)) m |= 0x8000;        /* FTZ */
    /* AMD's misaligned-SSE mode, only where both the host and the model
     * have it: on Intel, MXCSR bit 17 is reserved (the harness's own
     * FXRSTOR would fault). */
    static uint32_t mm_ok = ~0u;
    if (mm_ok == ~0u)
        mm_ok = host_mxcsr_mask() & t_m.cpu.model->q.mxcsr_mask & 0x20000;
    if (!rndn(8)) m |= mm_ok;
    if (!rndn(6)) m &= ~((uint32_t)rndn(64) << 7);  /* some unmasked */
    if (!rndn(4)) m |= rndn(64);      /* sticky flags already set */
    return m;
}

static const uint64_t g_special[] = {
    0, 1, 0xffffffffffffffffull, 0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0x1000000, 0x1000001, 0x20000000000001ull, 0xfffffffffffffffeull,
};

static void gen_state(TState *s)
{
    for (int i = 0; i < 16; i++)
        gen_lanes(s->xmm[i].b, 16);
    for (int i = 0; i < 8; i++) {
        gen_lanes((uint8_t *)&s->st_mant[i], 8);
        s->st_se[i] = rndn(2) ? (uint16_t)rnd() : 0xffff;
    }
    s->fcw = 0x037f;
    s->fsw = (uint16_t)(rndn(8) << 11);
    s->abridged = rndn(2) ? (uint8_t)rnd() : rndn(2) ? 0xff : 0;
    s->mxcsr = gen_mxcsr();
    for (int i = 0; i < 16; i++)
        s->gpr[i] = rndn(2) ? g_special[rndn(sizeof g_special / 8)] : rnd();
    s->flags = (uint32_t)rnd() & F_OSZAPC;
    static const unsigned offs[] = { 0x100, 0x100, 0x100, 0x110, 0x108, 0x104, 0x101, 0xdf0 };
    s->off = offs[rndn(8)];
    gen_lanes(s->buf, T_BUF_SIZE);
    for (unsigned i = 0; i < T_BUF_SIZE; i += 16)
        gen_lanes(s->buf + i, 16);
}

#endif

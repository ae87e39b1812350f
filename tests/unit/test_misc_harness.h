/* test_misc_harness.h — run one instruction natively on the host and in the
 * interpreter from the same state, and compare the results.
 *
 * The trick that keeps it generic: a 1 MiB data window is mapped in the
 * host process at the same addresses the guest sees (guest RAM is
 * identity-mapped, no paging), so pointers held in registers mean the same
 * thing on both sides.  The host runs the instruction bytes from a code page
 * entered by a small trampoline that loads all sixteen GPRs and RFLAGS from
 * a state block at a fixed low address and stores them back afterwards;
 * the interpreter runs the same bytes with cpu_step().  Registers, flags
 * (under a per-test mask of defined bits), the data window, the branch
 * direction and the exception class are compared.
 *
 * 64-bit code only: the host process runs in long mode.
 */
#ifndef TEST_MISC_HARNESS_H
#define TEST_MISC_HARNESS_H

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

#define H_WINDOW   0x200000ull          /* compared data window */
#define H_WSIZE    0x100000ull
#define H_STATE    0x3f0000ull          /* trampoline state block (host only) */
#define H_NCODE    0x3f1000ull          /* host code page */
#define H_GCODE    0x380000ull          /* guest code address */
#define H_RAM      0x400000ull          /* guest RAM size */

typedef struct HRegs {
    uint64_t r[16];
    uint64_t fl;
} HRegs;

/* Layout of the state block; offsets are hard-wired in the asm below. */
typedef struct HState {
    HRegs regs;          /* +0, flags at +128 */
    uint64_t host_rsp;   /* +136 */
    uint64_t code;       /* +144 */
    uint64_t exit;       /* +152 */
    uint64_t taken;      /* +160: set by the taken-branch stub */
} HState;

void misc_run_native(void);
void misc_native_exit(void);

__asm__(
    ".text\n"
    ".globl misc_run_native\n"
    ".type misc_run_native, @function\n"
    "misc_run_native:\n"
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "  movq %rsp, 0x3f0088\n"
    "  pushq 0x3f0080\n popfq\n"
    "  movq 0x3f0000, %rax\n movq 0x3f0008, %rcx\n movq 0x3f0010, %rdx\n movq 0x3f0018, %rbx\n"
    "  movq 0x3f0020, %rsp\n movq 0x3f0028, %rbp\n movq 0x3f0030, %rsi\n movq 0x3f0038, %rdi\n"
    "  movq 0x3f0040, %r8\n movq 0x3f0048, %r9\n movq 0x3f0050, %r10\n movq 0x3f0058, %r11\n"
    "  movq 0x3f0060, %r12\n movq 0x3f0068, %r13\n movq 0x3f0070, %r14\n movq 0x3f0078, %r15\n"
    "  jmp *0x3f0090\n"
    ".globl misc_native_exit\n"
    "misc_native_exit:\n"
    "  movq %rax, 0x3f0000\n movq %rcx, 0x3f0008\n movq %rdx, 0x3f0010\n movq %rbx, 0x3f0018\n"
    "  movq %rsp, 0x3f0020\n movq %rbp, 0x3f0028\n movq %rsi, 0x3f0030\n movq %rdi, 0x3f0038\n"
    "  movq %r8, 0x3f0040\n movq %r9, 0x3f0048\n movq %r10, 0x3f0050\n movq %r11, 0x3f0058\n"
    "  movq %r12, 0x3f0060\n movq %r13, 0x3f0068\n movq %r14, 0x3f0070\n movq %r15, 0x3f0078\n"
    "  movq 0x3f0088, %rsp\n"
    "  pushfq\n popq 0x3f0080\n"
    "  pushq $0x202\n popfq\n"
    "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
    "  ret\n");

typedef struct Harness {
    Machine m;
    HState *st;
    uint8_t *init;           /* initial image of the data window */
    uint8_t *native_mem;     /* window after the native run */
    int passed, failed;
    unsigned long long rng;
    int cpl;                 /* guest CPL (3 matches the host process) */
    uint64_t gs_base;        /* the host's, so GS overrides agree */
} Harness;

static sigjmp_buf h_jb;
static HRegs h_fault_regs;

static void h_on_signal(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    ucontext_t *uc = ctx;
    static const int map[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI,
                                 REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
                                 REG_R14, REG_R15 };
    for (int i = 0; i < 16; i++)
        h_fault_regs.r[i] = (uint64_t)uc->uc_mcontext.gregs[map[i]];
    h_fault_regs.fl = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
    siglongjmp(h_jb, sig);
}

static int h_init(Harness *h)
{
    memset(h, 0, sizeof *h);
    char err[200];
    if (machine_init(&h->m, H_RAM, err, sizeof err)) {
        fprintf(stderr, "machine_init: %s\n", err);
        return -1;
    }
    cpu_set_model(&h->m.cpu, test_host_model());  /* the host is the oracle */
    void *p = mmap((void *)H_WINDOW, H_STATE + 0x2000 - H_WINDOW, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)H_WINDOW) {
        fprintf(stderr, "cannot map the host window at %#llx\n", H_WINDOW);
        return -1;
    }
    h->st = (HState *)H_STATE;
    h->init = calloc(H_WSIZE, 1);
    h->native_mem = calloc(H_WSIZE, 1);
    static uint8_t altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    int sigs[] = { SIGSEGV, SIGILL, SIGBUS, SIGFPE, SIGTRAP };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    h->rng = 0x9e3779b97f4a7c15ull;
    h->cpl = 3;
    return 0;
}

static uint64_t h_rand(Harness *h)
{
    h->rng ^= h->rng << 13;
    h->rng ^= h->rng >> 7;
    h->rng ^= h->rng << 17;
    return h->rng;
}

/* Exception classes as a user process sees them */
enum { XC_NONE, XC_UD, XC_GP, XC_AC, XC_DE, XC_TRAP, XC_OTHER };

static int h_class_of_signal(int sig)
{
    switch (sig) {
    case 0: return XC_NONE;
    case SIGILL: return XC_UD;
    case SIGSEGV: return XC_GP;
    case SIGBUS: return XC_AC;
    case SIGFPE: return XC_DE;
    case SIGTRAP: return XC_TRAP;
    default: return XC_OTHER;
    }
}

static int h_class_of_vector(int v)
{
    switch (v) {
    case -1: return XC_NONE;
    case EXC_UD: return XC_UD;
    case EXC_GP: case EXC_SS: case EXC_PF: return XC_GP;
    case EXC_AC: return XC_AC;
    case EXC_DE: return XC_DE;
    case EXC_BP: case EXC_DB: return XC_TRAP;
    default: return XC_OTHER;
    }
}

typedef struct HResult {
    HRegs regs;
    int xclass;
    int taken;     /* branch went to the +7 target */
} HResult;

/* Native: code bytes, then at the fall-through a jump to the exit; a
 * relative branch of +7 lands on a stub that marks "taken" first. */
static void h_native(Harness *h, const uint8_t *code, size_t len, const HRegs *in, HResult *out)
{
    uint8_t *p = (uint8_t *)H_NCODE;
    memset(p, 0xcc, 4096);
    memcpy(p, code, len);
    static const uint8_t exit_jmp[7] = { 0xff, 0x24, 0x25, 0x98, 0x00, 0x3f, 0x00 };
    static const uint8_t mark[12] = { 0x48, 0xc7, 0x04, 0x25, 0xa0, 0x00, 0x3f, 0x00, 1, 0, 0, 0 };
    memcpy(p + len, exit_jmp, 7);
    memcpy(p + len + 7, mark, 12);
    memcpy(p + len + 19, exit_jmp, 7);
    memcpy((void *)H_WINDOW, h->init, H_WSIZE);
    h->st->regs = *in;
    h->st->code = H_NCODE;
    h->st->exit = (uint64_t)(uintptr_t)misc_native_exit;
    h->st->taken = 0;
    int sig = sigsetjmp(h_jb, 1);
    if (sig == 0) {
        misc_run_native();
        out->regs = h->st->regs;
    } else {
        __asm__ volatile("cld");
        out->regs = h_fault_regs;
    }
    out->xclass = h_class_of_signal(sig);
    out->taken = h->st->taken != 0;
    memcpy(h->native_mem, (void *)H_WINDOW, H_WSIZE);
}

static void h_guest(Harness *h, const uint8_t *code, size_t len, const HRegs *in, HResult *out)
{
    CPU *cpu = &h->m.cpu;
    cpu_reset_flat(cpu, CODE64, H_GCODE);
    cpu->cpl = (uint8_t)h->cpl;
    cpu->seg[S_GS].base = h->gs_base;
    codecache_flush(h->m.cc);
    memset(h->m.mem.ram + H_GCODE, 0xcc, 64);
    memcpy(h->m.mem.ram + H_GCODE, code, len);
    memcpy(h->m.mem.ram + H_WINDOW, h->init, H_WSIZE);
    memcpy(cpu->regs, in->r, sizeof cpu->regs);
    cpu->eflags = (uint32_t)in->fl | 2;
    cpu->lf.op = LF_NONE;
    int r;
    unsigned steps = 0;
    /* A REP string form resumes itself: step until it moves on. */
    do
        r = cpu_step(cpu);
    while (r == RUN_OK && cpu->rip == H_GCODE && ++steps < 100000);
    memcpy(out->regs.r, cpu->regs, sizeof cpu->regs);
    out->regs.fl = cpu_get_eflags(cpu);
    out->xclass = r == RUN_OK ? XC_NONE : h_class_of_vector(cpu->exc_vector);
    out->taken = r == RUN_OK && cpu->rip == H_GCODE + len + 7;
    if (r == RUN_OK && !out->taken && cpu->rip != H_GCODE + len && cpu->rip != H_GCODE)
        out->taken = -1;  /* went somewhere else entirely */
}

/* Bits compared by default: the arithmetic flags and DF. */
#define H_FLAGS_ALL (F_OSZAPC | F_DF)

static void h_dump(const char *what, const HResult *r)
{
    static const char *const names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                           "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    fprintf(stderr, "    %s: exc class %d taken %d fl %#llx\n", what, r->xclass, r->taken,
            (unsigned long long)r->regs.fl);
    for (int i = 0; i < 16; i++)
        fprintf(stderr, "      %-3s %016llx%s", names[i], (unsigned long long)r->regs.r[i],
                i % 4 == 3 ? "\n" : "");
}

/* Runs code both ways from in and compares; returns 1 when equal. */
static int h_check(Harness *h, const char *name, const uint8_t *code, size_t len,
                   const HRegs *in, uint32_t fmask)
{
    HResult n, g;
    h_native(h, code, len, in, &n);
    h_guest(h, code, len, in, &g);
    int ok = n.xclass == g.xclass && n.taken == g.taken &&
             ((n.regs.fl ^ g.regs.fl) & fmask) == 0 &&
             memcmp(n.regs.r, g.regs.r, sizeof n.regs.r) == 0;
    size_t bad = 0;
    if (ok && memcmp(h->native_mem, h->m.mem.ram + H_WINDOW, H_WSIZE) != 0) {
        ok = 0;
        while (h->native_mem[bad] == h->m.mem.ram[H_WINDOW + bad])
            bad++;
    }
    if (ok) {
        h->passed++;
        return 1;
    }
    h->failed++;
    if (h->failed <= 20) {
        fprintf(stderr, "FAIL %s (bytes", name);
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, " %02x", code[i]);
        fprintf(stderr, ")\n");
        if (bad)
            fprintf(stderr, "    memory differs at %#llx: host %02x interp %02x\n",
                    (unsigned long long)(H_WINDOW + bad), h->native_mem[bad],
                    h->m.mem.ram[H_WINDOW + bad]);
        h_dump("in    ", &(HResult){ *in, 0, 0 });
        h_dump("host  ", &n);
        h_dump("interp", &g);
    }
    return 0;
}

/* A register file of random values, with rsp in the middle of the window
 * and the given flags (IF is always set in a user process). */
static void h_random_regs(Harness *h, HRegs *r, uint64_t flags)
{
    for (int i = 0; i < 16; i++)
        r->r[i] = h_rand(h);
    r->r[R_SP] = H_WINDOW + 0x80000;
    r->fl = flags | F_IF | 2;
}

static void h_random_window(Harness *h)
{
    for (size_t i = 0; i < H_WSIZE; i += 8) {
        uint64_t v = h_rand(h);
        memcpy(h->init + i, &v, 8);
    }
}

static int h_finish(Harness *h)
{
    printf("%d passed, %d failed\n", h->passed, h->failed);
    return h->failed != 0 || h->passed == 0;
}

#endif

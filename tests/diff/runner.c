/* runner.c — executes one instruction natively per case, for the
 * differential tester.  Built twice: 64-bit and -m32 (no emulator code).
 *
 * How a case runs: the runner executes INT3; the SIGTRAP handler writes the
 * case's registers, RFLAGS and FXSAVE image into the signal frame and
 * returns, so the kernel's sigreturn loads that exact state and resumes at
 * CODE_INSN.  Everything around the instruction in the code page is INT3,
 * so whether it falls through, branches within the page or faults, the next
 * signal's ucontext holds the full state after it; the handler copies it out
 * and siglongjmps back.  There are no harness registers in the snippet:
 * every GPR (RSP too) belongs to the case.  Handlers run on an alternate
 * stack because the case's RSP points into the data window.
 *
 * Wire protocol (stdin/stdout): a DiffHello, then one DiffResult per
 * DiffCase read, in order.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>
#ifdef __x86_64__
#include <asm/prctl.h>
#include <sys/syscall.h>
#endif

#include "difftest.h"

#ifndef FP_XSTATE_MAGIC1
#define FP_XSTATE_MAGIC1 0x46505853u
#endif
#define FX_SW_RESERVED 464

enum { PH_IDLE, PH_ENTER, PH_RUN };

static volatile sig_atomic_t phase;
static sigjmp_buf back;
static const DiffCase *cur;
static DiffResult res;
static uint8_t *win_hi, *win_lo;
static uint8_t pristine[2][WIN_SIZE], initial[2][WIN_SIZE];
static DiffWin dw_hi, dw_lo;

static void die(const char *msg)
{
    fprintf(stderr, "diff runner: %s: %s\n", msg, strerror(errno));
    exit(2);
}

static int read_full(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r == 0)
            return got == 0 ? 0 : -1;
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        got += (size_t)r;
    }
    return 1;
}

static void write_full(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("write");
        }
        p += r;
        n -= (size_t)r;
    }
}

/* The FXSAVE image in the signal frame, and (i386) the FSAVE-format header
 * before it, which is what the kernel restores the x87 part from. */
static uint8_t *frame_fx(ucontext_t *uc)
{
    uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
#ifdef __x86_64__
    return fp;
#else
    uint16_t magic;
    memcpy(&magic, fp + 110, 2);
    if (magic == 0xffff) {
        fprintf(stderr, "diff runner: signal frame without FXSR state\n");
        _exit(2);
    }
    return fp + 112;
#endif
}

static void mark_xstate_used(uint8_t *fx)
{
    uint32_t magic;
    memcpy(&magic, fx + FX_SW_RESERVED, 4);
    if (magic == FP_XSTATE_MAGIC1) {
        /* XRSTOR would re-initialise x87/SSE if their XSTATE_BV bits are clear. */
        uint64_t bv;
        memcpy(&bv, fx + 512, 8);
        bv |= 3;
        memcpy(fx + 512, &bv, 8);
    }
}

#ifndef __x86_64__
/* Full x87 tag of a non-empty register: 0 valid, 1 zero, 2 special. */
static unsigned tag_of(const uint8_t *r)
{
    uint64_t mant;
    uint16_t se;
    memcpy(&mant, r, 8);
    memcpy(&se, r + 8, 2);
    unsigned e = se & 0x7fff;
    if (e == 0x7fff) return 2;
    if (e == 0) return mant ? 2 : 1;
    return (mant >> 63) ? 0 : 2;
}

static void write_fsave_header(uint8_t *fp, const uint8_t *fx)
{
    uint16_t fcw, fsw;
    memcpy(&fcw, fx + FX_FCW, 2);
    memcpy(&fsw, fx + FX_FSW, 2);
    unsigned top = (fsw >> 11) & 7, ftw = 0;
    for (unsigned phys = 0; phys < 8; phys++) {
        unsigned st = (phys - top) & 7, t = 3;
        if (fx[FX_FTW] & (1u << phys))
            t = tag_of(fx + FX_ST + 16 * st);
        ftw |= t << (2 * phys);
    }
    uint32_t w[7] = { 0xffff0000u | fcw, 0xffff0000u | fsw, 0xffff0000u | ftw, 0, 0, 0, 0 };
    memcpy(fp, w, sizeof w);
    for (unsigned i = 0; i < 8; i++)
        memcpy(fp + 28 + 10 * i, fx + FX_ST + 16 * i, 10);
}
#endif

static void load_state(ucontext_t *uc, const DiffState *s)
{
    greg_t *g = uc->uc_mcontext.gregs;
    const uint32_t flag_mask = 0x0cd5;  /* OSZAPC | DF: what the case controls */
#ifdef __x86_64__
    static const int map[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI,
                                 REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
                                 REG_R14, REG_R15 };
    for (int i = 0; i < 16; i++)
        g[map[i]] = (greg_t)s->gpr[i];
    g[REG_RIP] = CODE_INSN;
    g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~(uint64_t)flag_mask) | (s->rflags & flag_mask));
    uint8_t *fx = frame_fx(uc);
    memcpy(fx, s->fx, FX_MXCSR_MASK);
    memcpy(fx + FX_ST, s->fx + FX_ST, FX_USED - FX_ST);
#else
    static const int map[8] = { REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_ESP, REG_EBP, REG_ESI,
                                REG_EDI };
    for (int i = 0; i < 8; i++)
        g[map[i]] = (greg_t)(uint32_t)s->gpr[i];
    g[REG_UESP] = (greg_t)(uint32_t)s->gpr[4];
    g[REG_EIP] = (greg_t)CODE_INSN;
    g[REG_EFL] = (greg_t)(((uint32_t)g[REG_EFL] & ~flag_mask) | ((uint32_t)s->rflags & flag_mask));
    uint8_t *fx = frame_fx(uc);
    memcpy(fx, s->fx, FX_MXCSR_MASK);
    memcpy(fx + FX_ST, s->fx + FX_ST, FX_XMM + 8 * 16 - FX_ST);
    write_fsave_header((uint8_t *)uc->uc_mcontext.fpregs, s->fx);
#endif
    mark_xstate_used(fx);
}

static void save_state(ucontext_t *uc, DiffState *s)
{
    greg_t *g = uc->uc_mcontext.gregs;
    memset(s, 0, sizeof *s);
#ifdef __x86_64__
    static const int map[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI,
                                 REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
                                 REG_R14, REG_R15 };
    for (int i = 0; i < 16; i++)
        s->gpr[i] = (uint64_t)g[map[i]];
    s->rip = (uint64_t)g[REG_RIP];
    s->rflags = (uint64_t)g[REG_EFL];
    memcpy(s->fx, frame_fx(uc), FX_USED);
#else
    static const int map[8] = { REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_UESP, REG_EBP, REG_ESI,
                                REG_EDI };
    for (int i = 0; i < 8; i++)
        s->gpr[i] = (uint32_t)g[map[i]];
    s->rip = (uint32_t)g[REG_EIP];
    s->rflags = (uint32_t)g[REG_EFL];
    memcpy(s->fx, frame_fx(uc), FX_XMM + 8 * 16);
#endif
}

/* A case may leave EFLAGS.AC or NT set (POPF), and the kernel keeps them
 * for the handler and siglongjmp keeps them afterwards: with CR0.AM set by
 * Linux, AC makes the handler's own unaligned accesses raise #AC while
 * SIGBUS is blocked, and NT would leak into the next case (sigreturn does
 * not restore NT from the frame).  Clear both first. */
static inline void clear_ac_nt(void)
{
#ifdef __x86_64__
    __asm__ volatile("pushfq\n\tandq $~0x44000, (%%rsp)\n\tpopfq" ::: "memory", "cc");
#else
    __asm__ volatile("pushfl\n\tandl $~0x44000, (%%esp)\n\tpopfl" ::: "memory", "cc");
#endif
}

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
    clear_ac_nt();
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    if (phase == PH_ENTER && sig == SIGTRAP) {
        load_state(uc, &cur->in);
        phase = PH_RUN;
        return;
    }
    if (phase != PH_RUN) {
        static const char msg[] = "diff runner: unexpected signal outside a case\n";
        if (write(2, msg, sizeof msg - 1) < 0) {}
        _exit(3);
    }
    phase = PH_IDLE;
#ifdef __x86_64__
    uint64_t rip = (uint64_t)g[REG_RIP];
#else
    uint64_t rip = (uint32_t)g[REG_EIP];
#endif
    int trapno = (int)g[REG_TRAPNO];
    save_state(uc, &res.out);
    res.signo = sig;
    res.trapno = trapno;
    res.err = (uint32_t)g[REG_ERR];
    res.fault_addr = (uint64_t)(uintptr_t)si->si_addr;
    uint64_t insn_end = CODE_INSN + cur->insn_len;
    if (sig == SIGALRM) {
        res.status = ST_TIMEOUT;
    } else if (sig == SIGTRAP && trapno == 3 && !(rip - 1 >= CODE_INSN && rip - 1 < insn_end)) {
        /* INT3 filler: the instruction completed and control reached rip-1. */
        res.status = ST_DONE;
        res.out.rip = rip - 1;
    } else if (sig == SIGSEGV && trapno == 14 && rip != CODE_INSN) {
        /* Control went to an address that cannot be fetched: completed. */
        res.status = ST_DONE;
    } else {
        res.status = ST_EXC;
    }
    siglongjmp(back, 1);
}

static void map_fixed(uint8_t **out, uintptr_t addr, size_t size, int prot, int required)
{
    void *p = mmap((void *)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || p != (void *)addr) {
        if (required)
            die("cannot map a fixed window");
        if (p != MAP_FAILED)
            munmap(p, size);
        *out = NULL;
        return;
    }
    *out = p;
}

int main(void)
{
    uint8_t *code;
    map_fixed(&win_hi, WIN_HI, WIN_SIZE, PROT_READ | PROT_WRITE, 1);
    map_fixed(&win_lo, WIN_LO, WIN_SIZE, PROT_READ | PROT_WRITE, 0);
    map_fixed(&code, CODE_PAGE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, 1);
    memset(code, FILL_BYTE, CODE_SIZE);
    diffwin_init(&dw_hi, win_hi, WIN_HI, pristine[0], initial[0]);
    if (win_lo)
        diffwin_init(&dw_lo, win_lo, WIN_LO, pristine[1], initial[1]);
#ifdef __x86_64__
    /* GS overrides then address like the guest's flat GS (base 0). */
    if (syscall(SYS_arch_prctl, ARCH_SET_GS, 0UL))
        die("arch_prctl");
#endif

    stack_t ss = { .ss_sp = malloc(1 << 16), .ss_size = 1 << 16 };
    if (!ss.ss_sp || sigaltstack(&ss, NULL))
        die("sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigfillset(&sa.sa_mask);
    const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGALRM };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL))
            die("sigaction");

    DiffHello hello = { DIFF_MAGIC, (uint32_t)(sizeof(void *) * 8), win_lo != NULL, 0, { 0 }, 0 };
    __asm__ volatile("mov %%es, %0" : "=rm"(hello.sel[0]));
    __asm__ volatile("mov %%cs, %0" : "=rm"(hello.sel[1]));
    __asm__ volatile("mov %%ss, %0" : "=rm"(hello.sel[2]));
    __asm__ volatile("mov %%ds, %0" : "=rm"(hello.sel[3]));
    __asm__ volatile("mov %%fs, %0" : "=rm"(hello.sel[4]));
    __asm__ volatile("mov %%gs, %0" : "=rm"(hello.sel[5]));
    write_full(1, &hello, sizeof hello);

    static DiffCase c;
    for (;;) {
        int r = read_full(0, &c, sizeof c);
        if (r == 0)
            return 0;
        if (r < 0 || c.magic != DIFF_MAGIC || c.insn_len == 0 || c.insn_len > 15) {
            fprintf(stderr, "diff runner: bad case on input\n");
            return 2;
        }
        diffwin_prepare(&dw_hi, &c);
        if (win_lo)
            diffwin_prepare(&dw_lo, &c);
        memcpy(code + (CODE_INSN - CODE_PAGE), c.insn, c.insn_len);

        memset(&res, 0, sizeof res);
        res.magic = DIFF_MAGIC;
        res.id = c.id;
        cur = &c;
        struct itimerval limit = { { 0, 0 }, { 2, 0 } }, off = { { 0, 0 }, { 0, 0 } };
        if (sigsetjmp(back, 1) == 0) {
            setitimer(ITIMER_REAL, &limit, NULL);
            phase = PH_ENTER;
            __asm__ volatile("int3" ::: "memory");
            /* not reached: the handler always leaves through siglongjmp */
            abort();
        }
        setitimer(ITIMER_REAL, &off, NULL);
        memset(code + (CODE_INSN - CODE_PAGE), FILL_BYTE, 16);
        diffwin_scan(&dw_hi);
        if (win_lo)
            diffwin_scan(&dw_lo);
        diff_summarise(&res.mem, &dw_hi, win_lo ? &dw_lo : NULL);
        diffwin_restore(&dw_hi, &c);
        if (win_lo)
            diffwin_restore(&dw_lo, &c);
        write_full(1, &res, sizeof res);
    }
}

/* test_step_int.c — EFLAGS.TF with software interrupts, compared with the
 * host: the same bytes run natively in this (64-bit user) process, every
 * SIGTRAP recorded, and in ringzero in flat 32-bit protected mode (the
 * sequence decodes the same in both modes), every #DB/#BP logged by guest
 * handlers.  INT1 (ICEBP), INT3 and INT n deliver their interrupt with no
 * single-step trap of their own (the delivery clears TF; the trap after the
 * next instruction comes once IRET restores it), ICEBP's #DB has DR6.BS
 * clear, and MOV SS holds the trap over one instruction.  INTO (not in
 * 64-bit mode, so not on the host) follows the same rule when it fires. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flat32.h"
#include "vm/machine.h"

#if defined(__x86_64__) && defined(__linux__)
#define _GNU_SOURCE 1
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#define HAVE_NATIVE 1
#endif

static int passed, failed;
#define CHECK_EQ(a, b) do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
    if (a_ == b_) passed++; else { failed++; \
    printf("FAIL %s:%d: %s == %s: got %#llx, expected %#llx\n", __FILE__, __LINE__, #a, #b, a_, b_); } } while (0)

/* Events: where the trap left the code (offset of the next instruction)
 * and what it was. */
enum { EV_STEP = 'S', EV_DB = 'D', EV_BP = 'B' };
typedef struct { unsigned off; int kind; } Event;
#define MAXEV 32

static const uint8_t seq[] = {
    0x9c,                                      /*  0 pushf */
    0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00,  /*  1 or dword [esp], TF */
    0x9d,                                      /*  8 popf */
    0x90,                                      /*  9 nop */
    0xf1,                                      /* 10 int1 */
    0x90,                                      /* 11 */
    0xcc,                                      /* 12 int3 */
    0x90,                                      /* 13 */
    0xcd, 0x03,                                /* 14 int 3 */
    0x90,                                      /* 16 */
    0x8c, 0xd0,                                /* 17 mov eax, ss */
    0x8e, 0xd0,                                /* 19 mov ss, eax: holds the trap */
    0x90,                                      /* 21 */
    0x90,                                      /* 22 */
    0x9c,                                      /* 23 pushf */
    0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff,  /* 24 and dword [esp], ~TF */
    0x9d,                                      /* 31 popf (trapped: TF was set) */
    0x90,                                      /* 32 */
};

/* Guest handlers (flat 32-bit): log [EIP, DR6] at 0x4010 + 8n, n at 0x4000.
 * #DB at 0x3000 clears DR6 afterwards (BS is sticky); #BP and #OF at 0x3100
 * log DR6 as ~0. */
static const uint8_t db_log[] = {
    0x50, 0x53,                               /* push eax; push ebx */
    0x8b, 0x1d, 0x00, 0x40, 0x00, 0x00,       /* mov ebx, [0x4000] */
    0x8b, 0x44, 0x24, 0x08,                   /* mov eax, [esp+8] */
    0x89, 0x04, 0xdd, 0x10, 0x40, 0x00, 0x00, /* mov [ebx*8+0x4010], eax */
    0x0f, 0x21, 0xf0,                         /* mov eax, dr6 */
    0x89, 0x04, 0xdd, 0x14, 0x40, 0x00, 0x00, /* mov [ebx*8+0x4014], eax */
    0x31, 0xc0, 0x0f, 0x23, 0xf0,             /* xor eax, eax; mov dr6, eax */
    0xff, 0x05, 0x00, 0x40, 0x00, 0x00,       /* inc dword [0x4000] */
    0x5b, 0x58, 0xcf,                         /* pop ebx; pop eax; iret */
};
static const uint8_t bp_log[] = {
    0x50, 0x53,
    0x8b, 0x1d, 0x00, 0x40, 0x00, 0x00,
    0x8b, 0x44, 0x24, 0x08,
    0x89, 0x04, 0xdd, 0x10, 0x40, 0x00, 0x00,
    0xc7, 0x04, 0xdd, 0x14, 0x40, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, /* mov dword [..], ~0 */
    0xff, 0x05, 0x00, 0x40, 0x00, 0x00,
    0x5b, 0x58, 0xcf,
};

/* Runs code (then HLT) at 0x1000 in ringzero and returns its events. */
static unsigned emulate(const uint8_t *code, size_t len, Event *ev)
{
    Machine *m = calloc(1, sizeof *m);
    char err[200];
    if (!m || machine_init(m, 16 << 20, err, sizeof err)) {
        printf("machine_init: %s\n", m ? err : "oom");
        exit(1);
    }
    CPU *cpu = &m->cpu;
    uint8_t *ram = m->mem.ram;
    flat32_setup(cpu, ram, 0x1000);
    memcpy(ram + 0x1000, code, len);
    ram[0x1000 + len] = 0xf4;
    memcpy(ram + 0x3000, db_log, sizeof db_log);
    memcpy(ram + 0x3100, bp_log, sizeof bp_log);
    flat32_gate(ram, 1, 0x3000);
    flat32_gate(ram, 3, 0x3100);
    flat32_gate(ram, 4, 0x3100);
    int r = cpu_run(cpu, 1000);
    CHECK_EQ(r, RUN_HALT);
    CHECK_EQ(cpu->rip, 0x1000 + len + 1);
    unsigned n = 0;
    memcpy(&n, ram + 0x4000, 4);
    if (n > MAXEV)
        n = MAXEV;
    for (unsigned i = 0; i < n; i++) {
        uint32_t eip, dr6;
        memcpy(&eip, ram + 0x4010 + 8 * i, 4);
        memcpy(&dr6, ram + 0x4014 + 8 * i, 4);
        ev[i].off = eip - 0x1000;
        ev[i].kind = dr6 == 0xffffffffu ? EV_BP : (dr6 & 0x400f) == 0x4000 ? EV_STEP
                   : (dr6 & 0x400f) == 0 ? EV_DB : '?';
    }
    machine_free(m);
    free(m);
    return n;
}

static void compare(const char *what, const Event *got, unsigned ng, const Event *want, unsigned nw)
{
    bool same = ng == nw;
    for (unsigned i = 0; same && i < ng; i++)
        same = got[i].off == want[i].off && got[i].kind == want[i].kind;
    CHECK_EQ(same, 1);
    if (!same) {
        printf("  %s: ringzero", what);
        for (unsigned i = 0; i < ng; i++)
            printf(" %c@%u", got[i].kind, got[i].off);
        printf("\n  %s: expected", what);
        for (unsigned i = 0; i < nw; i++)
            printf(" %c@%u", want[i].kind, want[i].off);
        printf("\n");
    }
}

#ifdef HAVE_NATIVE
static volatile unsigned host_n;
static Event host_ev[MAXEV];
static uint8_t *host_page;

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    ucontext_t *uc = ucv;
    if (host_n < MAXEV) {
        host_ev[host_n].off = (unsigned)((uintptr_t)uc->uc_mcontext.gregs[REG_RIP] - (uintptr_t)host_page);
        host_ev[host_n].kind = si->si_code == TRAP_TRACE ? EV_STEP : si->si_code == TRAP_BRKPT ? EV_DB
                             : si->si_code == SI_KERNEL ? EV_BP : '?';
        host_n++;
    }
}

/* The sequence natively: Linux reports the single-step #DB as TRAP_TRACE
 * (DR6.BS), a #DB without a reason in DR6 (ICEBP) as TRAP_BRKPT, #BP as
 * SI_KERNEL. */
static unsigned host_run(Event *ev)
{
    host_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (host_page == MAP_FAILED)
        return ~0u;
    memcpy(host_page, seq, sizeof seq);
    host_page[sizeof seq] = 0xc3;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTRAP, &sa, &old);
    host_n = 0;
    ((void (*)(void))host_page)();
    sigaction(SIGTRAP, &old, NULL);
    munmap(host_page, 4096);
    memcpy(ev, host_ev, sizeof host_ev);
    return host_n;
}
#endif

int main(void)
{
    Event got[MAXEV], want[MAXEV];
    unsigned ng = emulate(seq, sizeof seq, got);
    /* What the SDM gives (and an AMD EPYC host showed): a trap after each
     * instruction from the one after POPF on, none for INT1/INT3/INT n
     * themselves, none between MOV SS and the next instruction. */
    static const Event sdm[] = {
        { 10, EV_STEP }, { 11, EV_DB }, { 12, EV_STEP }, { 13, EV_BP }, { 14, EV_STEP },
        { 16, EV_BP }, { 17, EV_STEP }, { 19, EV_STEP }, { 22, EV_STEP }, { 23, EV_STEP },
        { 24, EV_STEP }, { 31, EV_STEP }, { 32, EV_STEP },
    };
    compare("against the SDM", got, ng, sdm, sizeof sdm / sizeof sdm[0]);
#ifdef HAVE_NATIVE
    unsigned nw = host_run(want);
    if (nw == ~0u) {
        printf("host check: no executable page, skipped\n");
    } else {
        printf("host: %u traps\n", nw);
        compare("against the host", got, ng, want, nw);
    }
#endif

    /* INTO: the same rule when OF=1; with OF=0 it is an ordinary
     * instruction and is trapped. */
    static const uint8_t into[] = {
        0x9c, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d,  /* TF on (0..8) */
        0xb0, 0x7f,                                            /*  9 mov al, 0x7f */
        0x04, 0x01,                                            /* 11 add al, 1: OF=1 */
        0xce,                                                  /* 13 into: fires */
        0x04, 0x01,                                            /* 14 add al, 1: OF=0 */
        0xce,                                                  /* 16 into: does not */
        0x9c, 0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff, 0x9d,  /* 17 TF off */
    };
    static const Event into_want[] = {
        { 11, EV_STEP }, { 13, EV_STEP }, { 14, EV_BP /* #OF, logged as #BP */ }, { 16, EV_STEP }, { 17, EV_STEP },
        { 18, EV_STEP }, { 25, EV_STEP }, { 26, EV_STEP },
    };
    ng = emulate(into, sizeof into, got);
    compare("INTO", got, ng, into_want, sizeof into_want / sizeof into_want[0]);
    printf("test_step_int: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

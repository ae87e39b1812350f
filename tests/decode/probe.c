/* probe.c — ask three decoders about byte sequences: Capstone, ringzero,
 * and the host CPU itself (64-bit, or 32-bit through the compat code
 * segment).  A development tool for settling disagreements; the evidence
 * for known.c's quirks comes from here.
 *
 *   decode_probe [--mode 32|64] HEX...
 *
 * Host method: the first k bytes are put at the very end of a mapped page
 * whose successor is unmapped, and run in a forked child (all registers
 * zero, seccomp strict so nothing can reach the kernel).  If the CPU needs
 * more than k bytes the fetch faults at the page boundary with RIP still at
 * the instruction; the smallest k that gets past that is the length the CPU
 * decoded, and SIGILL there means #UD.
 */
#include <capstone/capstone.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "cpu/insn.h"
#include "cpu/model.h"

enum { PAGE = 4096, USER32_CS = 0x23 };

typedef struct Verdict { int sig, code; uint64_t rip, addr; } Verdict;

static int report_fd;

static void on_signal(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    Verdict v = { sig, si->si_code, (uint64_t)uc->uc_mcontext.gregs[REG_RIP], (uint64_t)si->si_addr };
    if (write(report_fd, &v, sizeof v) < 0) { /* parent sees no verdict */ }
    syscall(SYS_exit, 0);  /* plain exit: the only way out seccomp strict allows */
}

static struct { uint32_t off; uint16_t sel; } __attribute__((packed)) far32;

static void run_child(uint8_t *entry, int bits)
{
    static uint8_t altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&ss, NULL);
    struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_ONSTACK };
    int sigs[] = { SIGSEGV, SIGILL, SIGBUS, SIGFPE, SIGTRAP };
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaction(sigs[i], &sa, NULL);
    alarm(1);  /* a sequence that loops forever is killed by SIGALRM */
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT);
    if (bits == 32) {
        far32.off = (uint32_t)(uintptr_t)entry;
        far32.sel = USER32_CS;
        __asm__ volatile(
            "xor %%eax,%%eax; xor %%ebx,%%ebx; xor %%ecx,%%ecx; xor %%edx,%%edx\n"
            "xor %%esi,%%esi; xor %%edi,%%edi; xor %%ebp,%%ebp; xor %%esp,%%esp\n"
            "ljmpl *%0\n" :: "m"(far32) : "memory");
    } else {
        __asm__ volatile(
            "mov %0, %%r11\n"
            "xor %%eax,%%eax; xor %%ebx,%%ebx; xor %%ecx,%%ecx; xor %%edx,%%edx\n"
            "xor %%esi,%%esi; xor %%edi,%%edi; xor %%ebp,%%ebp; xor %%esp,%%esp\n"
            "xor %%r8d,%%r8d; xor %%r9d,%%r9d; xor %%r10d,%%r10d; xor %%r12d,%%r12d\n"
            "xor %%r13d,%%r13d; xor %%r14d,%%r14d; xor %%r15d,%%r15d\n"
            "jmp *%%r11\n" :: "r"(entry) : "memory");
    }
    __builtin_unreachable();
}

/* Runs the first k bytes placed just before the unmapped page. */
static Verdict host_run(uint8_t *page, const uint8_t *b, int k, int bits)
{
    uint8_t *entry = page + PAGE - k;
    memset(page, 0x90, PAGE);
    memcpy(entry, b, (size_t)k);
    int fds[2];
    Verdict v = { 0, 0, 0, 0 };
    if (pipe(fds) < 0) return v;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        report_fd = fds[1];
        run_child(entry, bits);
    }
    close(fds[1]);
    int st;
    if (read(fds[0], &v, sizeof v) != sizeof v) v.sig = -1;
    close(fds[0]);
    waitpid(pid, &st, 0);
    if (v.sig == -1 && WIFSIGNALED(st)) v.sig = 1000 + WTERMSIG(st);
    v.rip -= (uint64_t)(uintptr_t)entry;   /* relative to the instruction */
    if (v.addr) v.addr -= (uint64_t)(uintptr_t)entry;
    return v;
}

static void host_probe(const uint8_t *b, int n, int bits)
{
    uint8_t *page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (page == MAP_FAILED) { perror("mmap"); return; }
    munmap(page + PAGE, PAGE);
    for (int k = 1; k <= n && k <= 16; k++) {
        Verdict v = host_run(page, b, k, bits);
        bool fetch_short = v.sig == SIGSEGV && v.rip == 0 && v.addr == (uint64_t)k;
        if (fetch_short)
            continue;
        const char *what = v.sig == SIGILL ? "#UD" : v.sig == SIGSEGV && v.rip == 0 && v.code == SI_KERNEL ? "#GP"
                         : v.rip == 0 ? "fault at insn" : "executed";
        printf("  host: %s with %d bytes (sig %d, rip %+lld, addr %+lld)\n", what, k, v.sig,
               (long long)v.rip, (long long)v.addr);
        munmap(page, PAGE);
        return;
    }
    printf("  host: still fetching after %d bytes\n", n < 16 ? n : 16);
    munmap(page, PAGE);
}

int main(int argc, char **argv)
{
    int bits = 64, a = 1;
    if (argc > 2 && !strcmp(argv[1], "--mode")) {
        bits = atoi(argv[2]);
        a = 3;
    }
    csh h;
    cs_open(CS_ARCH_X86, bits == 16 ? CS_MODE_16 : bits == 32 ? CS_MODE_32 : CS_MODE_64, &h);
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    for (; a < argc; a++) {
        uint8_t b[32];
        int n = 0;
        for (const char *s = argv[a]; s[0] && s[1] && n < 32; s += 2)
            if (sscanf(s, "%2hhx", &b[n]) == 1) n++;
        printf("%s (%d-bit)\n", argv[a], bits);
        cs_insn *ci;
        size_t got = cs_disasm(h, b, (size_t)n, 0x1000, 1, &ci);
        if (got) {
            printf("  capstone: %s %s, %d bytes\n", ci->mnemonic, ci->op_str, ci->size);
            cs_free(ci, got);
        } else {
            printf("  capstone: invalid\n");
        }
        for (const CpuModel *const *m = cpu_models; *m; m++) {
            Insn in;
            int r = decode(b, n, bits == 16 ? CODE16 : bits == 32 ? CODE32 : CODE64, &(*m)->q, &in);
            if (r > 0)
                printf("  ringzero (%s): %s, %d bytes\n", (*m)->name, form_info[in.form].name, r);
            else
                printf("  ringzero (%s): %s (len %d)\n", (*m)->name,
                       r == DEC_UD ? "#UD" : r == DEC_GP ? "#GP" : "short", in.len);
        }
        if (bits != 16)
            host_probe(b, n, bits);
    }
    cs_close(&h);
    return 0;
}

/* test_codecache.c — the code cache's memory: executable memory through two
 * views of one memfd (code written in one runs in the other; the execute
 * view faults on a write and the write view on a jump, in forked children),
 * blocks that take exactly their instructions, flushes when heads, payload
 * or host code run out (with the translator's hooks called), and the error
 * line when the executable mapping is refused. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codecache/codecache.h"
#include "codecache/execmem.h"
#include "cpu/block.h"
#include "cpu/cpu.h"
#include "softmmu/mem.h"
#include "softmmu/tlb.h"
#include "flat32.h"

static int passed, failed;

#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
    if (a_ == b_) passed++; else { failed++; \
    printf("FAIL %s:%d: %s == %s: got %#llx, expected %#llx\n", __FILE__, __LINE__, #a, #b, a_, b_); } } while (0)

static const uint8_t mov_eax_42_ret[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 };

/* The signal that ended a child running fn, 0 if it exited. */
static int child_signal(void (*fn)(ExecMem *), ExecMem *em)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(em);
        _exit(0);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void write_exec_view(ExecMem *em) { *(volatile uint8_t *)em->x = 0x90; }

static void call_write_view(ExecMem *em)
{
    int (*f)(void);
    void *w = em->w;
    memcpy(&f, &w, sizeof f);
    f();
}

static void test_execmem(void)
{
    ExecMem em;
    char err[256] = "";
    CHECK_EQ(execmem_init(&em, 100000, err, sizeof err), 0);
    CHECK_EQ(execmem_capacity(&em), 102400);  /* whole pages */
    CHECK_EQ(execmem_used(&em), 0);
    uint8_t *w = execmem_alloc(&em, sizeof mov_eax_42_ret);
    CHECK(w == em.w);
    memcpy(w, mov_eax_42_ret, sizeof mov_eax_42_ret);
    execmem_sync(&em, w, sizeof mov_eax_42_ret);
    void *x = execmem_exec_addr(&em, w);
    CHECK(x != (void *)w);
    CHECK_EQ(memcmp(x, mov_eax_42_ret, sizeof mov_eax_42_ret), 0);  /* one memfd */
    int (*f)(void);
    memcpy(&f, &x, sizeof f);
    CHECK_EQ(f(), 42);

    /* Aligned bump allocation, the same delta everywhere. */
    uint8_t *w2 = execmem_alloc(&em, 1);
    CHECK_EQ((uintptr_t)w2 % EXECMEM_ALIGN, 0);
    CHECK_EQ(w2 - w, EXECMEM_ALIGN);
    CHECK_EQ((uint8_t *)execmem_exec_addr(&em, w2) - w2, (uint8_t *)x - w);
    CHECK_EQ(execmem_used(&em), EXECMEM_ALIGN + 1);
    w2[0] = 0xc3;  /* the second one runs too */
    void *x2 = execmem_exec_addr(&em, w2);
    void (*g)(void);
    memcpy(&g, &x2, sizeof g);
    g();

    /* W^X: each view faults on what the other is for. */
    CHECK_EQ(child_signal(write_exec_view, &em), SIGSEGV);
    CHECK_EQ(child_signal(call_write_view, &em), SIGSEGV);

    /* Full: NULL and nothing taken; a reset starts over. */
    size_t before = execmem_used(&em);
    CHECK(execmem_alloc(&em, execmem_capacity(&em)) == NULL);
    CHECK_EQ(execmem_used(&em), before);
    CHECK(execmem_alloc(&em, execmem_capacity(&em) - 32) != NULL);
    CHECK(execmem_alloc(&em, 32) == NULL);  /* 32 - 15 after alignment */
    execmem_reset(&em);
    CHECK_EQ(execmem_used(&em), 0);
    CHECK(execmem_alloc(&em, execmem_capacity(&em)) == em.w);
    execmem_destroy(&em);

    /* Refused: -1 and one line naming the call. */
    CHECK_EQ(execmem_init(&em, (size_t)1 << 62, err, sizeof err), -1);
    CHECK(strstr(err, "executable memory") != NULL && strchr(err, '\n') == NULL);
    printf("(refused: %s)\n", err);
}

/* A CPU on its own memory and a cache of a given size. */
static Mem mem;
static CPU cpu;
static CodeCache *cc;

static void setup(size_t cache_size)
{
    char err[256];
    if (!mem.ram && mem_init(&mem, 16 << 20, err, sizeof err)) {
        printf("mem_init: %s\n", err);
        exit(1);
    }
    codecache_free(cc);
    cc = cpu_codecache_new(&mem, cache_size, err, sizeof err);
    if (!cc) {
        printf("cpu_codecache_new: %s\n", err);
        exit(1);
    }
    memset(mem.ram, 0, 1 << 20);
    if (cpu.tlb)
        tlb_detach(&cpu.mmu);
    cpu_init(&cpu, &mem);
    cpu.cc = cc;
    flat32_setup(&cpu, mem.ram, 0x10000);
}

/* What the translator's hooks saw. */
static struct { unsigned flushes, invalidated, valid_when_called, wrong_opaque; BlockHead *last; } seen;

static void flush_hook(void *opaque)
{
    seen.wrong_opaque += opaque != &seen;
    seen.flushes++;
}

static void invalidate_hook(void *opaque, BlockHead *b)
{
    seen.wrong_opaque += opaque != &seen;
    seen.invalidated++;
    seen.valid_when_called += b->valid;
    seen.last = b;
}

static void hooks(void)
{
    memset(&seen, 0, sizeof seen);
    codecache_set_flush_hook(cc, flush_hook, &seen);
    codecache_set_invalidate_hook(cc, invalidate_hook, &seen);
}

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* A block costs its head and its own instructions, not BLOCK_MAX_INSNS. */
static void test_block_size(void)
{
    setup(0);
    static const uint8_t code[] = { 0x40, 0x40, 0xf4 };  /* inc eax; inc eax; hlt */
    memcpy(mem.ram + 0x10000, code, sizeof code);
    CHECK_EQ(cpu_run(&cpu, 10), RUN_HALT);
    CHECK_EQ(cpu.regs[R_AX], 2);
    const CodeCacheStats *s = codecache_stats(cc);
    CHECK_EQ(s->blocks, 1);
    CHECK_EQ(s->decoded_bytes, round16(sizeof(Block)) + round16(3 * (sizeof(Insn) + sizeof(Handler))));
    CHECK_EQ(s->decoded_capacity + s->host_capacity, CC_DEFAULT_SIZE);
    CHECK_EQ(s->host_bytes, 0);
}

/* n one-instruction blocks (JMP to the next) then HLT, at 0x10000. */
static void jumps(unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        mem.ram[0x10000 + 2 * i] = 0xeb;
        mem.ram[0x10000 + 2 * i + 1] = 0x00;
    }
    mem.ram[0x10000 + 2 * n] = 0xf4;
}

/* Out of heads: 2,000 blocks in a 1 MiB cache (512 heads). */
static void test_flush_heads(void)
{
    setup(CC_MIN_SIZE);
    hooks();
    CHECK_EQ(cc->nheads, CC_MIN_SIZE / 2 / CC_BYTES_PER_HEAD);
    jumps(2000);
    CHECK_EQ(cpu_run(&cpu, 10000), RUN_HALT);
    CHECK_EQ(cpu.rip, 0x10000 + 2 * 2000 + 1);
    const CodeCacheStats *s = codecache_stats(cc);
    CHECK_EQ(s->blocks_built, 2001);
    CHECK_EQ(s->flushes, 2001 / cc->nheads);
    CHECK_EQ(seen.flushes, s->flushes);
    CHECK_EQ(s->blocks, 2001 - s->flushes * cc->nheads);
    /* Every block a flush dropped was told first, while still intact. */
    CHECK_EQ(seen.invalidated, s->flushes * cc->nheads);
    CHECK_EQ(seen.valid_when_called, 0);
    CHECK_EQ(seen.wrong_opaque, 0);
    CHECK(s->decoded_bytes <= s->decoded_capacity);
}

/* Out of payload before heads: blocks of 64 NOPs. */
static void test_flush_payload(void)
{
    setup(CC_MIN_SIZE);
    hooks();
    const unsigned nblocks = 400;
    memset(mem.ram + 0x10000, 0x90, nblocks * BLOCK_MAX_INSNS);
    mem.ram[0x10000 + nblocks * BLOCK_MAX_INSNS] = 0xf4;
    CHECK_EQ(cpu_run(&cpu, 100000), RUN_HALT);
    const CodeCacheStats *s = codecache_stats(cc);
    CHECK_EQ(s->blocks_built, nblocks + 1);
    size_t payload = s->decoded_capacity - cc->nheads * round16(sizeof(Block));
    size_t fit = payload / round16(BLOCK_PAYLOAD_SIZE(BLOCK_MAX_INSNS));
    CHECK(fit < cc->nheads);
    CHECK_EQ(s->flushes, nblocks / fit);
    CHECK_EQ(seen.flushes, s->flushes);
    CHECK(s->decoded_bytes <= s->decoded_capacity);
}

/* Host code runs out: NULL, then the next block build flushes everything
 * and host code is there again. */
static void test_flush_host(void)
{
    setup(CC_MIN_SIZE);
    hooks();
    jumps(3);
    CHECK_EQ(cpu_run(&cpu, 2), RUN_LIMIT);  /* two blocks */
    const CodeCacheStats *s = codecache_stats(cc);
    CHECK_EQ(s->host_capacity, CC_MIN_SIZE / 2);
    uint8_t *w = codecache_alloc_host(cc, 1000);
    CHECK(w != NULL);
    memcpy(w, mov_eax_42_ret, sizeof mov_eax_42_ret);
    void *x = execmem_exec_addr(codecache_execmem(cc), w);
    int (*f)(void);
    memcpy(&f, &x, sizeof f);
    CHECK_EQ(f(), 42);
    CHECK_EQ(codecache_stats(cc)->host_bytes, 1000);
    CHECK(codecache_alloc_host(cc, CC_MIN_SIZE / 2) == NULL);
    CHECK_EQ(codecache_stats(cc)->flushes, 0);  /* not yet: a block may be running */
    CHECK_EQ(cpu_run(&cpu, 1), RUN_LIMIT);      /* builds the third block */
    s = codecache_stats(cc);
    CHECK_EQ(s->flushes, 1);
    CHECK_EQ(seen.flushes, 1);
    CHECK_EQ(seen.invalidated, 2);
    CHECK_EQ(s->blocks, 1);
    CHECK_EQ(s->host_bytes, 0);
    CHECK(codecache_alloc_host(cc, 16) == codecache_execmem(cc)->w);
}

/* A flush kills every block it drops, so a stale hint to one is a miss:
 * its payload is about to hold other blocks' instructions. */
static void test_flush_kills(void)
{
    setup(0);
    hooks();
    jumps(1);
    CHECK_EQ(cpu_run(&cpu, 10), RUN_HALT);
    /* The head slots in order: the JMP's block, then the HLT's. */
    Block *jmp = (Block *)cc->decoded, *hlt = (Block *)(cc->decoded + cc->head_size);
    CHECK(jmp->valid && hlt->valid);
    CHECK_EQ(jmp->rip, 0x10000);
    CHECK_EQ(hlt->rip, 0x10002);
    CHECK(jmp->host == NULL && jmp->host_info == NULL);
    codecache_flush(cc);
    CHECK(!jmp->valid && !hlt->valid);
    CHECK(seen.last == &hlt->head);
    CHECK_EQ(seen.invalidated, 2);
    CHECK_EQ(seen.flushes, 1);
}

/* A write to a code page: the hook for each block built from it. */
static void test_invalidate(void)
{
    setup(0);
    hooks();
    jumps(3);
    memset(mem.ram + 0x11000, 0x90, 16);  /* a block on another page */
    mem.ram[0x11010] = 0xf4;
    CHECK_EQ(cpu_run(&cpu, 10), RUN_HALT);
    cpu.rip = 0x11000;
    cpu.halted = 0;
    CHECK_EQ(cpu_run(&cpu, 100), RUN_HALT);
    CHECK_EQ(codecache_stats(cc)->blocks, 5);
    codecache_invalidate_page(cc, 0x10004);
    CHECK_EQ(seen.invalidated, 4);
    CHECK_EQ(seen.valid_when_called, 0);
    CHECK_EQ(codecache_stats(cc)->invalidations, 4);
    CHECK_EQ(seen.flushes, 0);
    CHECK_EQ(seen.wrong_opaque, 0);
    CHECK(codecache_lookup(cc, 0x10000, ((Block *)seen.last)->key) == NULL);
    CHECK(codecache_lookup(cc, 0x11000, ((Block *)seen.last)->key) != NULL);
    /* Set hooks off: nothing more is heard. */
    codecache_set_invalidate_hook(cc, NULL, NULL);
    codecache_set_flush_hook(cc, NULL, NULL);
    codecache_flush(cc);
    CHECK_EQ(seen.invalidated, 4);
    CHECK_EQ(seen.flushes, 0);
}

/* The executable half refused (the address space limited in a child):
 * NULL and one line saying why. */
static void test_refused(void)
{
    fflush(stdout);
    int fds[2];
    if (pipe(fds)) {
        failed++;
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        long pages = 0, page = sysconf(_SC_PAGESIZE);
        FILE *f = fopen("/proc/self/statm", "r");
        if (!f || fscanf(f, "%ld", &pages) != 1)
            _exit(3);
        fclose(f);
        /* Room for the decoded half (32 MiB) and tables, not for 32 more. */
        rlim_t lim = (rlim_t)pages * (rlim_t)page + (48u << 20);
        struct rlimit rl = { lim, lim };
        if (setrlimit(RLIMIT_AS, &rl))
            _exit(3);
        char err[256] = "";
        CodeCache *c = codecache_new(&mem, sizeof(Block), 64u << 20, err, sizeof err);
        if (write(fds[1], err, strlen(err)) < 0)
            _exit(3);
        _exit(c ? 1 : 0);
    }
    close(fds[1]);
    char msg[256] = "";
    ssize_t n = read(fds[0], msg, sizeof msg - 1);
    msg[n > 0 ? n : 0] = 0;
    close(fds[0]);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK(strstr(msg, "executable memory (32768 KiB): mmap") != NULL);
    printf("(refused: %s)\n", msg);
}

int main(void)
{
    test_execmem();
    test_block_size();
    test_flush_heads();
    test_flush_payload();
    test_flush_host();
    test_flush_kills();
    test_invalidate();
    test_refused();
    codecache_free(cc);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

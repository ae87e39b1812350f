/* bench_mmu.c — what guest memory translation costs in tier 0: the mixed
 * loop of bench_interp with 4-level paging on, a page sweep that hits the
 * TLB and one that misses it on every load (more pages than TLB slots),
 * CR3 reloads, and self-modifying code (time per store into a page holding
 * code it runs, including the invalidation and re-decode).  A benchmark,
 * not a test: it prints figures and fails only when a guest result is
 * wrong.  Usage: bench_mmu [scale [only]]: scale (1 by default) multiplies
 * the iteration counts; only (loop, sweep, cr3, smc) runs one part, e.g. to
 * profile it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "softmmu/paging.h"
#include "softmmu/tlb.h"
#include "vm/machine.h"

extern char bench_loop[], bench_loop_end[];
extern char bench_sweep[], bench_cr3[], bench_smc[], bench_nosmc[], bench_mmu_end[];
extern uint64_t native_loop(uint64_t iters, uint64_t *buf) __asm__("bench_loop");
extern uint64_t native_sweep(uint64_t passes, const void *buf, uint64_t pages) __asm__("bench_sweep");

/* Guest physical layout: identity-mapped with 4 KiB pages up to MAP_END. */
enum {
    RET = 0x1000, PML4 = 0x10000, PDPT = 0x11000, PD = 0x12000, PT = 0x20000,
    STACK = 0x80000, CODE_MMU = 0x100000, CODE_LOOP = 0x110000, DATA = 0x200000,
    SWEEP = 0x400000, MAP_END = 32 << 20, SWEEP_PAGES_MAX = 4096,
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void put64(Machine *m, uint64_t pa, uint64_t v) { memcpy(m->mem.ram + pa, &v, 8); }
static uint64_t get64(Machine *m, uint64_t pa) { uint64_t v; memcpy(&v, m->mem.ram + pa, 8); return v; }

static uint64_t sweep_word(unsigned page) { return (uint64_t)page * 0x9e3779b97f4a7c15ull + 1; }

static Machine *new_machine(bool paging)
{
    Machine *m = calloc(1, sizeof *m);
    char err[256];
    if (!m || machine_init(m, 64 << 20, err, sizeof err)) {
        fprintf(stderr, "bench_mmu: %s\n", m ? err : "out of memory");
        exit(1);
    }
    memcpy(m->mem.ram + CODE_MMU, bench_sweep, (size_t)(bench_mmu_end - bench_sweep));
    memcpy(m->mem.ram + CODE_LOOP, bench_loop, (size_t)(bench_loop_end - bench_loop));
    for (int i = 0; i < 256; i++)
        put64(m, DATA + 8 * (uint64_t)i, (uint64_t)i * 0x0123456789abcdefull);
    for (unsigned p = 0; p < SWEEP_PAGES_MAX; p++)
        put64(m, SWEEP + 4096 * (uint64_t)p, sweep_word(p));
    m->mem.ram[RET] = 0xf4;  /* HLT when the function returns */
    CPU *cpu = &m->cpu;
    cpu_reset_flat(cpu, CODE64, CODE_MMU);
    if (paging) {
        put64(m, PML4, PDPT | PTE_P | PTE_RW);
        put64(m, PDPT, PD | PTE_P | PTE_RW);
        for (uint64_t pt = 0; pt < MAP_END >> 21; pt++)
            put64(m, PD + 8 * pt, (PT + 4096 * pt) | PTE_P | PTE_RW);
        for (uint64_t page = 0; page < MAP_END >> 12; page++)
            put64(m, PT + 8 * page, (page << 12) | PTE_P | PTE_RW);
        cpu->cr3 = PML4;
        cpu->cr0 |= 1ull << 31;
    }
    return m;
}

typedef struct Run { double s; uint64_t insns, rax; } Run;

/* Calls the guest function at entry(rdi, rsi, rdx) and runs it to its HLT. */
static Run run_guest(Machine *m, uint64_t entry, uint64_t rdi, uint64_t rsi, uint64_t rdx)
{
    CPU *cpu = &m->cpu;
    cpu->rip = entry;
    cpu->regs[R_DI] = rdi;
    cpu->regs[R_SI] = rsi;
    cpu->regs[R_DX] = rdx;
    cpu->regs[R_SP] = STACK - 8;
    put64(m, STACK - 8, RET);
    uint64_t icount0 = cpu->icount;
    double t0 = now();
    int r;
    do
        r = cpu_run(cpu, 1ull << 40);
    while (r == RUN_LIMIT);
    Run run = { now() - t0, cpu->icount - icount0, cpu->regs[R_AX] };
    if (r != RUN_HALT || cpu->rip != RET + 1) {
        fprintf(stderr, "bench_mmu: guest run failed (exit %d, vector %d, rip %#llx)\n",
                r, cpu->exc_vector, (unsigned long long)cpu->rip);
        exit(1);
    }
    cpu->halted = 0;
    return run;
}

static void check(const char *what, uint64_t got, uint64_t want)
{
    if (got != want) {
        fprintf(stderr, "bench_mmu: %s: result %#llx, expected %#llx\n", what,
                (unsigned long long)got, (unsigned long long)want);
        exit(1);
    }
}

static void report(const char *name, const Run *r, double native_s)
{
    printf("  %-28s %8.3f s  %7.1f MIPS", name, r->s, (double)r->insns / r->s / 1e6);
    if (native_s > 0)
        printf("  (%.1fx native)", r->s / native_s);
    printf("\n");
}

static uint64_t scaled(double scale, double n)
{
    double v = n * scale;
    return v < 1 ? 1 : (uint64_t)v;
}

int main(int argc, char **argv)
{
    double scale = argc > 1 ? strtod(argv[1], NULL) : 1.0;
    const char *only = argc > 2 ? argv[2] : NULL;
#define PART(name) (!only || !strcmp(only, name))
    uint64_t loop_iters = scaled(scale, 4e6);
    printf("bench_mmu: scale %g\n", scale);

    Machine *flat = new_machine(false), *paged = new_machine(true);
    Run r;
    double t0;
    uint64_t want;

    /* The mixed loop, without and with paging. */
    static uint64_t buf[256];
    for (int i = 0; i < 256; i++)
        buf[i] = (uint64_t)i * 0x0123456789abcdefull;
    if (PART("loop")) {
        t0 = now();
        want = native_loop(loop_iters, buf);
        double native_loop_s = now() - t0;
        r = run_guest(flat, CODE_LOOP, loop_iters, DATA, 0);
        check("flat loop", r.rax, want);
        report("loop, paging off", &r, native_loop_s);
        r = run_guest(paged, CODE_LOOP, loop_iters, DATA, 0);
        check("paged loop", r.rax, want);
        report("loop, 4-level paging", &r, native_loop_s);
    }

    /* Page sweeps: 64 pages stay in the TLB; 2048 pages (4x its 512
     * slots per privilege set) miss on every load. */
    void *host = aligned_alloc(4096, (size_t)SWEEP_PAGES_MAX * 4096);
    if (!host)
        return 1;
    memset(host, 0, (size_t)SWEEP_PAGES_MAX * 4096);
    for (unsigned p = 0; p < SWEEP_PAGES_MAX; p++)
        memcpy((char *)host + 4096 * (size_t)p, &(uint64_t){ sweep_word(p) }, 8);
    const unsigned pages[2] = { 64, 2048 };
    for (int i = 0; i < 2 && PART("sweep"); i++) {
        uint64_t passes = scaled(scale, 2e7 / pages[i]);
        t0 = now();
        want = native_sweep(passes, host, pages[i]);
        double native_s = now() - t0;
        r = run_guest(paged, CODE_MMU + (uint64_t)(bench_sweep - bench_sweep), passes, SWEEP, pages[i]);
        check("sweep", r.rax, want);
        char name[64];
        snprintf(name, sizeof name, "sweep %u pages (%s)", pages[i], i ? "TLB misses" : "TLB hits");
        report(name, &r, native_s);
        printf("  %-28s %8.1f ns per load\n", "", r.s * 1e9 / (double)(passes * pages[i]));
    }
    free(host);

    /* CR3 reloads: each iteration flushes the TLB and touches two pages. */
    uint64_t cr3_iters = scaled(scale, 1e6);
    if (PART("cr3")) {
        r = run_guest(paged, CODE_MMU + (uint64_t)(bench_cr3 - bench_sweep), cr3_iters, SWEEP, 0);
        check("cr3", r.rax, cr3_iters * (sweep_word(0) + sweep_word(1)));
        report("CR3 reload + 2 loads", &r, 0);
        printf("  %-28s %8.1f ns per iteration\n", "", r.s * 1e9 / (double)cr3_iters);
    }

    /* SMC: the same six-instruction loop storing into its own code page
     * and into a data page; the difference is the invalidation cost. */
    uint64_t smc_iters = scaled(scale, 2e5);
    uint64_t smc_want = 0;
    for (uint64_t k = 0; k < smc_iters; k++)
        smc_want = (uint32_t)(smc_want + k);
    for (int pg = 0; pg < 2 && PART("smc"); pg++) {
        Machine *m = pg ? paged : flat;
        Run s = run_guest(m, CODE_MMU + (uint64_t)(bench_smc - bench_sweep), smc_iters, 0, 0);
        check("smc", s.rax, smc_want);
        Run d = run_guest(m, CODE_MMU + (uint64_t)(bench_nosmc - bench_sweep), smc_iters, DATA, 0);
        check("nosmc", d.rax, smc_want);
        check("nosmc store", get64(m, DATA) & 0xffffffff, smc_iters - 1);
        printf("  SMC, paging %-3s: store to code %.1f ns/iter, to data %.1f ns/iter: "
               "%.1f ns per invalidation + re-decode\n", pg ? "on" : "off",
               s.s * 1e9 / (double)smc_iters, d.s * 1e9 / (double)smc_iters,
               (s.s - d.s) * 1e9 / (double)smc_iters);
    }
    const CodeCacheStats *st = codecache_stats(paged->cc);
    printf("  code cache (paged machine): %llu blocks built, %llu invalidations, %.1f%% of lookups chained\n",
           (unsigned long long)st->blocks_built, (unsigned long long)st->invalidations,
           st->lookups ? 100.0 * (double)st->chained / (double)st->lookups : 0.0);
    if (paged->cpu.tlb)
        printf("  TLB (paged machine): %llu fills, %llu flushes\n",
               (unsigned long long)paged->cpu.tlb->stats.fills,
               (unsigned long long)paged->cpu.tlb->stats.flushes);
    machine_free(flat);
    machine_free(paged);
    free(flat);
    free(paged);
    return 0;
}

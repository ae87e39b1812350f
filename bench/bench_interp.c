/* bench_interp.c — guest MIPS of the interpreter tier on a loop mixing ALU
 * work, loads/stores and branches, and the ratio to the same bytes run
 * natively.  A benchmark, not a test: it prints figures and never fails on
 * speed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vm/machine.h"

extern char bench_loop[], bench_loop_end[];
extern uint64_t bench_loop_native(uint64_t iters, uint64_t *buf) __asm__("bench_loop");

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000000;
    enum { CODE = 0x100000, DATA = 0x200000, RET = 0x1000, STACK = 0x80000 };

    static uint64_t buf[256];
    for (int i = 0; i < 256; i++)
        buf[i] = (uint64_t)i * 0x0123456789abcdefull;
    double t0 = now();
    uint64_t native_sum = bench_loop_native(iters, buf);
    double native_s = now() - t0;

    Machine *m = calloc(1, sizeof *m);
    char err[256];
    if (!m || machine_init(m, 64 << 20, err, sizeof err)) {
        fprintf(stderr, "bench_interp: %s\n", err);
        return 1;
    }
    memcpy(m->mem.ram + CODE, bench_loop, (size_t)(bench_loop_end - bench_loop));
    for (int i = 0; i < 256; i++)
        ((uint64_t *)(m->mem.ram + DATA))[i] = (uint64_t)i * 0x0123456789abcdefull;
    m->mem.ram[RET] = 0xf4;  /* HLT when bench_loop returns */
    CPU *cpu = &m->cpu;
    cpu_reset_flat(cpu, CODE64, CODE);
    cpu->regs[R_DI] = iters;
    cpu->regs[R_SI] = DATA;
    cpu->regs[R_SP] = STACK - 8;
    memcpy(m->mem.ram + STACK - 8, &(uint64_t){ RET }, 8);
    t0 = now();
    int r;
    do
        r = cpu_run(cpu, 1ull << 40);
    while (r == RUN_LIMIT);
    double guest_s = now() - t0;
    if (r != RUN_HALT || cpu->regs[R_AX] != native_sum) {
        fprintf(stderr, "bench_interp: guest run failed (exit %d, vector %d, rip %#llx) or checksum differs\n",
                r, cpu->exc_vector, (unsigned long long)cpu->rip);
        return 1;
    }
    double insns = (double)cpu->icount;
    printf("bench_interp: %llu iterations, %.0f guest instructions\n", (unsigned long long)iters, insns);
    printf("  native      %8.3f s  %8.0f MIPS\n", native_s, insns / native_s / 1e6);
    printf("  interpreter %8.3f s  %8.0f MIPS  (%.1fx slower than native)\n",
           guest_s, insns / guest_s / 1e6, guest_s / native_s);
    machine_free(m);
    free(m);
    return 0;
}

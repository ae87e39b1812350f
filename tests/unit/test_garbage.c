/* test_garbage.c — random bytes as code, in every mode, must end in
 * architectural behaviour (exceptions, a triple fault, a halt, or simply
 * running out of budget), never in a host fault or a host access outside
 * guest RAM.  Also the physical-address bounds that random code found:
 * an address near 2^64 must not wrap into RAM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softmmu/mem.h"
#include "vm/machine.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_bounds(void)
{
    Machine *m = calloc(1, sizeof *m);
    char err[128];
    if (!m || machine_init(m, 16 << 20, err, sizeof err)) {
        CHECK(0, "machine_init: %s", err);
        return;
    }
    CHECK(mem_phys_ptr(&m->mem, 0xfffffffffffff000ull, 4096, false) == NULL, "page below 2^64 is not RAM");
    CHECK(mem_phys_ptr(&m->mem, ~0ull, 1, false) == NULL, "last byte of the address space is not RAM");
    CHECK(mem_phys_ptr(&m->mem, (16 << 20) - 4, 8, false) == NULL, "access straddling the end of RAM");
    CHECK(mem_phys_ptr(&m->mem, (16 << 20) - 8, 8, false) != NULL, "last 8 bytes of RAM");
    CHECK(mem_phys_read(&m->mem, ~0ull, 1) == 0xff, "unmapped reads all-ones");
    /* Flat 64-bit code at RIP = 2^64 - 1 (canonical): fetching must not
     * reach host memory; it runs on all-ones bytes and stops on its own. */
    cpu_reset_flat(&m->cpu, CODE64, ~0ull);
    int r = cpu_run(&m->cpu, 1000);
    CHECK(r == RUN_TRIPLE_FAULT || r == RUN_EXCEPTION || r == RUN_LIMIT || r == RUN_HALT,
          "RIP=-1 ends architecturally (%d)", r);
    machine_free(m);
    free(m);
}

static void test_random_code(unsigned runs)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned ended[8] = { 0 };
    for (unsigned i = 0; i < runs; i++) {
        Machine *m = calloc(1, sizeof *m);
        char err[128];
        if (!m || machine_init(m, 16 << 20, err, sizeof err)) {
            CHECK(0, "machine_init: %s", err);
            free(m);
            return;
        }
        int mode = (int)(i % 3);
        for (unsigned b = 0; b < 8192; b += 8) {
            uint64_t v = xorshift(&seed);
            memcpy(m->mem.ram + 0x10000 + b, &v, 8);
        }
        cpu_reset_flat(&m->cpu, mode, 0x10000);
        if (mode == CODE16) {
            m->cpu.seg[S_CS].sel = 0x1000;
            m->cpu.seg[S_CS].base = 0x10000;
            m->cpu.rip = 0;
        }
        m->cpu.regs[R_SP] = 0x8000;
        int r = RUN_LIMIT;
        for (int k = 0; k < 20 && r == RUN_LIMIT; k++)
            r = cpu_run(&m->cpu, 10000);
        ended[r & 7]++;
        passed++;  /* reaching here at all is the check: no host fault */
        machine_free(m);
        free(m);
    }
    printf("random code: %u runs; ended by triple fault %u, exception %u, halt %u, budget %u, stop %u\n",
           runs, ended[RUN_TRIPLE_FAULT], ended[RUN_EXCEPTION], ended[RUN_HALT], ended[RUN_LIMIT],
           ended[RUN_STOP]);
}

int main(int argc, char **argv)
{
    test_bounds();
    test_random_code(argc > 1 ? (unsigned)atoi(argv[1]) : 300);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

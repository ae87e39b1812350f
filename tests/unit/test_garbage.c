/* test_garbage.c — random bytes as code, in every mode, must end in
 * architectural behaviour (exceptions, a triple fault, a halt, or simply
 * running out of budget), never in a host fault or a host access outside
 * guest RAM: in the interpreter, and as tier-1 code (every block translated
 * before its first run), once plainly and once in lockstep with tier 0,
 * where any difference between the tiers fails.  Also the physical-address
 * bounds that random code found: an address near 2^64 must not wrap into
 * RAM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbt/dbt.h"
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

enum { TIER0, TIER1, TIER1_LOCKSTEP };

static void test_random_code(unsigned runs, int tier)
{
    static const char *const tier_name[] = { "interpreter", "tier 1", "tier 1 in lockstep" };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned ended[8] = { 0 }, diverged = 0;
    DbtStats sum = { 0 };
    for (unsigned i = 0; i < runs; i++) {
        Machine *m = calloc(1, sizeof *m);
        char err[160];
        if (!m || machine_init(m, 16 << 20, err, sizeof err)) {
            CHECK(0, "machine_init: %s", err);
            free(m);
            return;
        }
        if (tier != TIER0) {
            DbtOptions o = { .threshold = 0, .lockstep = tier == TIER1_LOCKSTEP, .code_bytes = 1u << 20 };
            if (machine_use_dbt(m, &o, err, sizeof err)) {
                CHECK(0, "machine_use_dbt: %s", err);
                machine_free(m);
                free(m);
                return;
            }
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
        if (m->dbt) {
            const DbtStats *s = dbt_stats(m->dbt);
            /* lockstep printed the difference (guest rip, insn, expected, got) */
            if (dbt_diverged(m->dbt)) {
                diverged++;
                CHECK(0, "%s: run %u (%d-bit code, seed block at 0x10000) diverged from tier 0",
                      tier_name[tier], i, 16 << mode);
            }
            sum.translated += s->translated;
            sum.unencodable += s->unencodable;
            sum.runs += s->runs;
            sum.insns_native += s->insns_native;
            sum.insns_helper += s->insns_helper;
            sum.lockstep_blocks += s->lockstep_blocks;
        }
        machine_free(m);
        free(m);
    }
    printf("random code, %s: %u runs; ended by triple fault %u, exception %u, halt %u, budget %u, "
           "stop %u\n", tier_name[tier], runs, ended[RUN_TRIPLE_FAULT], ended[RUN_EXCEPTION],
           ended[RUN_HALT], ended[RUN_LIMIT], ended[RUN_STOP]);
    if (tier == TIER0)
        return;
    printf("random code, %s: %llu blocks translated (%llu unencodable), %llu entries, %llu native "
           "and %llu helper instructions; %llu blocks compared, %u runs diverged\n", tier_name[tier],
           (unsigned long long)sum.translated, (unsigned long long)sum.unencodable,
           (unsigned long long)sum.runs, (unsigned long long)sum.insns_native,
           (unsigned long long)sum.insns_helper, (unsigned long long)sum.lockstep_blocks, diverged);
    /* The runs must have exercised tier 1 at all. */
    CHECK(sum.translated > runs && sum.runs > runs && sum.insns_native > 0,
          "%s: tier 1 ran (%llu blocks, %llu entries)", tier_name[tier],
          (unsigned long long)sum.translated, (unsigned long long)sum.runs);
    CHECK(tier != TIER1_LOCKSTEP || sum.lockstep_blocks > runs, "lockstep compared blocks");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);  /* what ran survives a sanitizer's abort */
    test_bounds();
    unsigned runs = argc > 1 ? (unsigned)atoi(argv[1]) : 300;
    test_random_code(runs, TIER0);
    /* Half as many under tier 1 each: together they stay near the
     * interpreter's time (translating every block costs). */
    test_random_code(runs / 2, TIER1);
    test_random_code(runs / 2, TIER1_LOCKSTEP);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

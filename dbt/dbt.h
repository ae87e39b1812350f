/* dbt.h — tier 1: hot blocks translated to x86-64 host code.
 *
 * The tier-0 loop (cpu/exec.c) counts how often each decoded block runs and
 * hands a block that reached the threshold to the translator through the
 * CPU's CpuTier1 hooks, which dbt_new installs.  A translated block runs
 * its instructions as host code: the forms the emitter knows natively
 * (dbt/native.c), every other one as a call to the interpreter's own
 * handler for it, so tier 1 runs everything tier 0 does from the start.
 * docs/tier1.md describes the code, the conventions and how to debug it.
 */
#ifndef RZ_DBT_H
#define RZ_DBT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../cpu/cpu.h"
#include "../codecache/codecache.h"

typedef struct DbtOptions {
    uint32_t threshold;   /* runs in tier 0 before a block is translated */
    uint32_t lockstep;    /* replay translated blocks in tier 0 and compare: every
                             one (1), one run in N (N), or none (0) */
    size_t code_bytes;    /* tb-size: the code cache's size (decoded blocks and host
                             code), 0: its default; the machine makes the cache */
    FILE *out_asm;        /* -d out_asm: each translation disassembled here, or NULL */
    bool perfmap;         /* -perfmap: /tmp/perf-PID.map names each block's host code
                             for perf report (guest rip and mode key) */
} DbtOptions;

#define DBT_DEFAULT_THRESHOLD 2

typedef struct DbtStats {
    uint64_t translated;      /* blocks translated */
    uint64_t refused;         /* blocks left in tier 0 (pinned pages, unencodable) */
    uint64_t unencodable;     /* of those, refused by the emitter (a translator bug) */
    uint64_t host_bytes;      /* host code emitted */
    uint64_t translate_ns;    /* time spent translating */
    uint64_t insns_native;    /* guest instructions emitted as host instructions */
    uint64_t insns_helper;    /* ... as calls to the interpreter's handlers */
    uint64_t traces;          /* translations covering 2 or more blocks (a trace) */
    uint64_t trace_blocks;    /* blocks in those */
    uint64_t loops;           /* translations that branch back to their head inside their code */
    uint64_t runs;            /* entries from the loop into translated code */
    uint64_t chains;          /* exits patched to jump straight to a block */
    uint64_t unchains;        /* of those, undone when their target died */
    uint64_t ibtc_fills;      /* indirect-branch cache entries made */
    uint64_t ibtc_misses;     /* indirect exits that went back to the loop */
    uint64_t invalidations;   /* translated blocks invalidated (SMC, pages) */
    uint64_t flushes;         /* whole-cache flushes */
    uint64_t pinned_pages;    /* pages kept in tier 0 for being rewritten */
    uint64_t lockstep_blocks; /* blocks replayed and compared */
    uint64_t lockstep_skipped;/* not comparable (device access) */
} DbtStats;

typedef struct Dbt Dbt;

/* Creates the translator for cpu, whose decoded blocks live in cc, and
 * installs it (cpu->tier1).  NULL with a one-line reason in err when the
 * host refuses executable memory. */
Dbt *dbt_new(CPU *cpu, CodeCache *cc, const DbtOptions *o, char *err, size_t errlen);
void dbt_free(Dbt *d);
const DbtStats *dbt_stats(const Dbt *d);
/* The start-up probe (probe.c): does this host compute the undefined
 * flags of the family's form with ModRM.reg ext and operand size (bytes)
 * as tier 0 does?  Where not, tier 1 runs the form natively only where
 * those flags are dead, so a test's expectation depends on it. */
enum { DBT_PROBE_SHIFT_CL, DBT_PROBE_SHIFT_I, DBT_PROBE_IMUL2, DBT_PROBE_IMUL3 };
bool dbt_probe_agrees(const Dbt *d, int family, unsigned ext, unsigned size);
/* Lockstep found a difference (and printed it): the run must stop. */
bool dbt_diverged(const Dbt *d);
/* -d tbstats: the counters above, one per line, with the ratios. */
void dbt_print_stats(const Dbt *d, FILE *f);

/* -accel dbt[,threshold=N][,lockstep[=N]][,tb-size=MIB] or -accel interp.
 * 0 with *use_dbt and *o set, or -1 with a one-line reason in err. */
int dbt_parse_accel(const char *s, bool *use_dbt, DbtOptions *o, char *err, size_t errlen);

#endif

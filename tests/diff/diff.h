/* diff.h — the driver side of the differential tester: running a case in
 * ringzero, the undefined-behaviour masks, and comparing outcomes. */
#ifndef RZ_DIFF_DIFF_H
#define RZ_DIFF_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gen.h"
#include "cpu/model.h"

/* One side's result of a case. */
typedef struct Outcome {
    int status;         /* ST_* */
    int vector;         /* exception vector when status == ST_EXC */
    uint32_t err;
    uint64_t fault_addr;  /* native: si_addr of the signal */
    DiffState st;
    MemSummary mem;
} Outcome;

/* ---- interp.c ---- */
typedef struct Interp Interp;
/* sel: the native runner's selectors (ES CS SS DS FS GS), given to the
 * guest.  tier1: cases run as translated blocks (dbt/, threshold 0), not
 * through cpu_step. */
Interp *interp_new(bool have_low, const uint16_t sel[6], const CpuModel *model, bool tier1,
                   char *err, size_t errlen);
void interp_free(Interp *it);
/* Runs gc in ringzero from the case's initial state.  *e_value is the
 * ModRM r/m operand's value before execution (osz bytes), which some
 * undefined-behaviour rules depend on. */
void interp_run(Interp *it, int mode, const GenCase *gc, Outcome *out, uint64_t *e_value);

/* How the last case of a tier-1 Interp ran. */
typedef struct InterpTier1 {
    bool translated;    /* a block was translated (not: its fetch or decode faulted) */
    bool ran;           /* and entered as host code */
    char note[160];     /* non-empty: the run is not a valid tier-1 run (a failure) */
} InterpTier1;
const InterpTier1 *interp_tier1(const Interp *it);
/* A tier-1 Interp's translator counters (-d tbstats's lines); nothing for tier 0. */
void interp_print_tbstats(const Interp *it, FILE *f);

/* ---- undefined_flags.c ---- */
#define UNDEF_MAX_WHY 4
typedef struct UndefMask {
    uint32_t eflags;            /* EFLAGS bits not compared */
    uint16_t fsw;               /* x87 status word bits not compared */
    uint64_t gpr[16];           /* GPR bits not compared */
    bool mem;                   /* the memory destination is undefined */
    const char *why[UNDEF_MAX_WHY];  /* the SDM references that applied */
    int nwhy;
} UndefMask;
void undef_masks(const GenCase *gc, int mode, const DiffState *in, uint64_t e_value, UndefMask *m);
/* The rules' EFLAGS bits against the table's FU_ column; prints each
 * disagreement to out and returns how many there are. */
int undef_check_table(FILE *out);

/* ---- compare.c ---- */
/* Number of differing fields (0: agree).  When out is non-NULL, prints the
 * full report of a mismatch there. */
int compare_outcomes(const GenCase *gc, int mode, const Outcome *native, const Outcome *emu,
                     const UndefMask *um, FILE *out);
/* Tier 0 against tier 1, exactly (no mask: tier 1 must give tier 0's
 * result, undefined bits included); prints a report to out when they differ. */
int compare_tiers(const GenCase *gc, int mode, const Outcome *t0, const Outcome *t1, FILE *out);
const char *vector_name(int v);

#endif

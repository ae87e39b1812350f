/* pf_matrix.h — the page-fault matrix shared by audit_pf32/pae/64: every
 * combination of U/S, R/W and XD at the leaf and at one upper level, for
 * supervisor and user reads, writes and fetches, with CR0.WP off and on
 * and EFER.NXE off and on; then a not-present entry at every level.  Each
 * access checks the vector, the exact error code, CR2, the saved CS:EIP
 * and what reached memory. */
#ifndef PF_MATRIX_H
#define PF_MATRIX_H

#include "rt.h"

struct pf_mode {
    const char *name;
    unsigned levels;         /* paging-structure levels; 0 is the PTE */
    bool nx;                 /* XD exists (PAE, 4-level) */
    uintptr_t va;            /* test page; every level's entry is private */
    uintptr_t frame;         /* its physical page (identity-mapped too) */
    uint16_t kcs, ucs;       /* ring-0 and ring-3 code selectors */
    uint64_t (*get)(unsigned lvl);
    void (*set)(unsigned lvl, uint64_t e);
    /* which of PTE_U | PTE_W | PTE_NX the entry at lvl may carry */
    uint64_t (*attr_bits)(unsigned lvl);
};

/* Runs the matrix; returns the number of failed probes. */
int pf_matrix(const struct pf_mode *m);

#endif

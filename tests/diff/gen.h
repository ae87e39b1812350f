/* gen.h — the differential tester's case generator. */
#ifndef RZ_DIFF_GEN_H
#define RZ_DIFF_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/insn.h"
#include "cpu/model.h"
#include "difftest.h"

typedef struct GenCtx {
    uint64_t rng;
    int mode;          /* CODE32 or CODE64 */
    bool have_low;     /* the runner mapped WIN_LO (16-bit addressing possible) */
    const struct Quirks *q; /* the model's decoder quirks (cpu/model.h) */
} GenCtx;

typedef struct GenCase {
    DiffCase c;        /* what both sides run */
    Insn in;           /* ringzero's decode of c.insn */
    int form;
} GenCase;

enum { GEN_OK = 0, GEN_SKIP = 1, GEN_MISMATCH = 2 };

/* Is the form in scope (A_DIFF) and valid in this mode? */
bool gen_form_in_scope(int form, int mode);
/* Builds one case for form; on GEN_MISMATCH, why[] says what decode()
 * returned for the encoding meant to be that form. */
int gen_case(GenCtx *g, int form, uint32_t id, GenCase *out, char *why, size_t whylen);

uint64_t gen_rand(GenCtx *g);

#endif

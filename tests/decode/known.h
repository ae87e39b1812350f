/* known.h — what the decoder cross-check is told in advance: instruction
 * classes ringzero does not implement, system instructions still pending,
 * and Capstone 4 deviations from the SDM.  All of it lives in known.c. */
#ifndef RZ_DECODE_KNOWN_H
#define RZ_DECODE_KNOWN_H

#include <capstone/capstone.h>
#include <stdint.h>

#include "cpu/insn.h"
#include "cpu/model.h"

/* One decoded sequence as both decoders saw it. */
typedef struct Case {
    int bits;                /* 16, 32 or 64 */
    const uint8_t *b;
    int n;                   /* bytes available */
    const cs_insn *cs;       /* Capstone's instruction, NULL if it rejected */
    int rz;                  /* decode() result: length or DEC_* */
    const Insn *in;          /* ringzero's instruction when rz > 0 */
    /* Independent prefix scan (not ringzero's): */
    int opc_off;             /* offset of the first opcode byte */
    int map;                 /* MAP_* of the opcode */
    uint8_t opc;             /* the opcode byte within the map */
    bool lock, rep, repne, p66, p67;
    uint8_t rex;             /* REX byte immediately before the opcode, or 0 */
    bool any_rex;            /* some REX byte among the prefixes, even a cancelled one */
    const Quirks *q;         /* the model decode() was given */
} Case;

/* Capstone's mnemonic without the prefix words it prepends ("lock add",
 * "rep movsb", "bnd call", "xacquire lock add" -> "add", "movsb", ...). */
const char *known_mnemonic(const cs_insn *i);

/* Returns the class name if Capstone's instruction belongs to a class this
 * issue deliberately does not implement, else NULL. */
const char *known_excluded(csh h, const Case *c);

/* Returns a name if the instruction is a system instruction still pending
 * in the table, else NULL. */
const char *known_pending(csh h, const Case *c);

/* Returns the quirk id if the disagreement in c is a documented Capstone 4
 * deviation from the SDM, else NULL. */
const char *known_quirk(csh h, const Case *c);

/* Describe every quirk (id: text) on stdout. */
void known_print_quirks(void);

#endif

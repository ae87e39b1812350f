/* internal.h — what the translator's files share (private to dbt/). */
#ifndef RZ_DBT_INTERNAL_H
#define RZ_DBT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dbt.h"
#include "native.h"
#include "../cpu/block.h"
#include "../cpu/insn.h"
#include "../codecache/execmem.h"

/* One way out of a block's code.  Translated code returns the address of
 * the exit it took; slots end in a patchable jmp rel32 (to the block's own
 * stub until dbt_link chains it to the next block's code): 0 and 1 the
 * last branch's (taken, not taken), 2.. the side exits of a trace's inner
 * branches (native.h). */
#define DBT_SLOTS (2 + TRACE_MAX_BLOCKS - 1)
enum { EXIT_SLOT0, EXIT_SLOT1, EXIT_OTHER = DBT_SLOTS, EXIT_INDIRECT, EXIT_KINDS };
typedef struct DbtBlock DbtBlock;
typedef struct DbtExit {
    DbtBlock *db;
    uint8_t slot;
} DbtExit;

/* A chained jump into a block, on the target's list so its death undoes it. */
typedef struct DbtLink {
    DbtBlock *from;
    uint8_t slot;
    struct DbtLink *next;
} DbtLink;

struct DbtBlock {
    Block *b;                 /* the trace's head: the block the loop enters it by */
    /* The blocks its code covers, in order (a trace: native.h), and their
     * instructions in all: what the entry's budget check counts. */
    Block *trace[TRACE_MAX_BLOCKS];
    uint8_t ntrace;
    uint16_t ninsns;
    DbtExit exit[EXIT_KINDS];
    uint8_t *jmp_w[DBT_SLOTS];        /* write-view address of each slot's rel32, NULL: no slot */
    const uint8_t *stub_x[DBT_SLOTS]; /* execute address of each slot's unchained stub */
    uint8_t *chained_to[DBT_SLOTS];   /* execute address it jumps to now (NULL: its stub) */
    DbtLink *incoming;
    bool dead;
    bool key_stable;          /* no instruction may change the mode key: exits may chain
                                 (translate.c says which may) */
    uint32_t code_size;
    const uint8_t *code_x;    /* the entry */
    /* The checked entry (NULL: none): first makes sure the block's linear
     * page still maps its physical page, for jumps from other pages
     * (chains, the indirect-branch cache). */
    const uint8_t *checked_x;
    int32_t ibtc_slot;        /* its entry in the indirect-branch cache, -1: none */
    /* For lockstep and tbstats: how many of its instructions are native. */
    uint16_t nnative;
    /* Offsets in the block's code (which starts at code_x - entry_off):
     * where each guest instruction's host code starts, [ninsns] where the
     * out-of-line part starts; for -d out_asm. */
    uint16_t host_off[BLOCK_MAX_INSNS + 1];
    uint16_t entry_off;
};

/* The indirect-branch cache: where an indirect exit (RET, JMP/CALL r/m)
 * of a block that cannot change the mode key goes without the loop, by
 * the guest rip.  key is compared too; code is the target's checked entry. */
#define IBTC_BITS 12
typedef struct IbtcEntry {
    uint64_t rip, key;
    const uint8_t *code;
    DbtBlock *db;
} IbtcEntry;

/* Bump arena for DbtBlock and DbtLink records; reset with the code. */
typedef struct Arena {
    uint8_t *base;
    size_t cap, used;
} Arena;

struct Dbt {
    CpuTier1 t1;
    CPU *cpu;
    CodeCache *cc;
    DbtOptions opt;
    ExecMem *code;            /* the code cache's: blocks' host code */
    ExecMem own;              /* tier 1's own: the trampoline and the probe */
    Arena arena;
    /* The trampoline: enter(cpu, code) runs code with rbx = cpu and returns
     * what the code left in rax (a DbtExit *); exit_x is where code jumps
     * to return. */
    DbtExit *(*enter)(CPU *cpu, const void *code);
    const uint8_t *exit_x;
    /* Pages rewritten while they held translated code (SMC): how often,
     * the last time (icount); dbt.c's pinned() says what stays in tier 0. */
    struct DbtPin { uint64_t page, last; uint32_t count; } pins[256];
    DbtStats stats;
    IbtcEntry ibtc[1u << IBTC_BITS];
    struct Lockstep *lockstep;  /* -accel dbt,lockstep (lockstep.c) */
    uint32_t lockstep_tick;     /* runs since the last checked one */
    uint64_t lockstep_from;   /* RZ_LOCKSTEP_FROM: no checks before this icount */
    bool no_link;             /* RZ_DBT_NOLINK: no chains, no indirect-branch cache */
    bool no_trace;            /* RZ_DBT_NOTRACE: one block per translation */
    bool diverged;            /* lockstep found a difference: the machine stops */
    uint64_t *dbg_exits;      /* RZ_DBT_DEBUG: exits by kind and last form */
    uint64_t dbg_why[12];     /* RZ_DBT_DEBUG: why links were refused */
    FILE *perfmap;            /* -perfmap */
    DbtBlock refused;         /* host_info of a block tier 1 declined */
    /* probe.c: [PROBE_*][ModRM.reg] bit log2(size): this host's undefined
     * flags are tier 0's for the form. */
    uint8_t undef_ok[4][8];
};

#define DBT_PIN_AFTER 8
#define DBT_PIN_WINDOW 50000000ull
/* Instructions translated code may run before it goes back to the loop to
 * poll interrupts (a timer's latency: about 10 us). */
#define DBT_YIELD 8192

void *dbt_arena_alloc(Dbt *d, size_t size);
/* The trace's instruction i (0 .. db->ninsns - 1) and its rip. */
const Insn *dbt_trace_insn(const DbtBlock *db, unsigned i, uint64_t *rip);
/* Emits b's host code: 1, 0 when the code memory is full, -1 when the
 * emitter refused an encoding (a bug worth a look: -d tbstats counts it). */
int dbt_translate_block(Dbt *d, Block *b, DbtBlock *db);
/* -d out_asm: b's guest instructions and its host code, disassembled. */
void dbt_print_block(const Dbt *d, const Block *b, const DbtBlock *db, FILE *f);
/* Points slot's jump at target (execute address). */
void dbt_patch_slot(Dbt *d, DbtBlock *db, int slot, const uint8_t *target);

#endif

/* block.h — a block of the code cache as the interpreter fills it.
 *
 * The code cache (codecache/) keeps blocks by their head (BlockHead: keys,
 * links, counters) and knows nothing of instructions; the payload is here:
 * the decoded instructions and what runs each.  The head's fields are read
 * by name (b->pa, b->succ[0]) through the anonymous union.
 */
#ifndef RZ_BLOCK_H
#define RZ_BLOCK_H

#include "../codecache/codecache.h"
#include "insn.h"

#define BLOCK_MAX_INSNS 64

/* The mode-key bit (exec.c) of 32-bit and 16-bit code whose CS, DS, ES and
 * SS are flat: base 0, limit 4 GiB, data segments writable and expand-up.
 * Tier 1 uses memory operands of such blocks without a base or limit. */
#define MODE_KEY_FLAT (1ull << 43)

typedef struct Block {
    union {
        BlockHead head;
        struct { BLOCK_HEAD_FIELDS };
    };
    /* CS offset of the block's last byte (0 in 64-bit code, which has no
     * limit): the block may run only while it is within CS.limit.  The
     * limit is not in the key, so one block serves every CS it fits. */
    uint64_t cs_last;
    Insn insns[BLOCK_MAX_INSNS];
    /* What runs each instruction: the handler's specialised instance when
     * it has them (insn_handler, cpu/spec.c), else the table's handler. */
    Handler fn[BLOCK_MAX_INSNS];
} Block;

#endif

/* block.h — a block of the code cache as the interpreter fills it.
 *
 * The code cache (codecache/) keeps blocks by their head (BlockHead: keys,
 * links, counters) and knows nothing of instructions; the payload is here:
 * the decoded instructions and what runs each.  The head's fields are read
 * by name (b->pa, b->succ[0]) through the anonymous union.
 *
 * A Block is only the head: the instructions live in the cache's payload
 * pool, exactly ninsns of them followed by their ninsns handlers, and the
 * head points at both (build_block decodes into a scratch array and copies
 * what it got).  So a block costs its size, not BLOCK_MAX_INSNS, and the
 * loop reaches its arrays by one load each from the head it already has.
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
    Insn *insns;   /* ninsns of them, in the cache's payload */
    /* What runs each instruction (ninsns, right after insns): the
     * handler's specialised instance when it has them (insn_handler,
     * cpu/spec.c), else the table's handler. */
    Handler *fn;
} Block;

/* One block's payload: insns then fn. */
#define BLOCK_PAYLOAD_SIZE(n) ((size_t)(n) * (sizeof(Insn) + sizeof(Handler)))
_Static_assert(BLOCK_PAYLOAD_SIZE(BLOCK_MAX_INSNS) <= CC_MAX_PAYLOAD, "block payload");
_Static_assert(sizeof(Insn) % _Alignof(Handler) == 0, "fn right after insns stays aligned");

#endif

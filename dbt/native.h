/* native.h — guest instructions re-encoded as the same host instruction.
 *
 * The translator (translate.c) offers each instruction of a block to
 * native_emit; what it declines becomes a call to the interpreter's
 * handler, before which native_sync puts everything native code keeps in
 * host registers or host RFLAGS back into the CPU state.
 */
#ifndef RZ_DBT_NATIVE_H
#define RZ_DBT_NATIVE_H

#include <stdbool.h>

#include "../cpu/block.h"
#include "x64.h"

typedef struct NativeCtx {
    X64 *e;
    const Block *b;
    /* The guest's OSZAPC are in host RFLAGS (not in cpu->eflags/lf). */
    bool flags_in_host;
    /* live[i]: the arithmetic flags instruction i's successors may read
     * before writing them (the block's exit counts as reading all). */
    uint32_t live[BLOCK_MAX_INSNS + 1];
} NativeCtx;

void native_begin(NativeCtx *nc, X64 *e, const Block *b);
/* Emits instruction i natively; false: the caller calls its handler. */
bool native_emit(NativeCtx *nc, unsigned i);
/* Before instruction i runs as a handler (or the block exits, i = ninsns):
 * the CPU state is the architectural state. */
void native_sync(NativeCtx *nc, unsigned i);
void native_end(NativeCtx *nc);

#endif

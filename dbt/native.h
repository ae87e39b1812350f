/* native.h — guest instructions re-encoded as the same host instruction.
 *
 * The translator (translate.c) offers each instruction of a block to
 * native_emit; what it declines becomes a call to the interpreter's
 * handler, before which native_sync puts the guest flags, if native code
 * left them in host RFLAGS, back into the CPU state.  A native memory
 * operand's TLB miss runs the instruction's handler out of line: the
 * translator emits those slow paths after the block from nc->slow, between
 * native_slow_flags_in and native_slow_flags_out.
 */
#ifndef RZ_DBT_NATIVE_H
#define RZ_DBT_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "../cpu/block.h"
#include "x64.h"

/* The guest instructions one translation covers: a block, or a trace of
 * blocks that a native direct branch at each one's end leads to on the
 * same page, chosen by translate.c.  A branch inside the trace goes on in
 * the trace one way (cont[i]: slot 0 taken, 1 not taken) and leaves the
 * other way through a side exit; an unconditional one emits nothing. */
#define TRACE_MAX_BLOCKS 8
typedef struct Trace {
    const Block *head;    /* the first block: key, mode, where it is entered */
    unsigned n, nblocks;
    const Block *blocks[TRACE_MAX_BLOCKS];
    const Insn *insn[BLOCK_MAX_INSNS];
    Handler fn[BLOCK_MAX_INSNS];
    uint64_t rip[BLOCK_MAX_INSNS];
    int8_t cont[BLOCK_MAX_INSNS];   /* -1: not a branch inside the trace */
} Trace;

/* One TLB miss exit. */
typedef struct NativeSlow {
    size_t field;       /* the jcc's rel32 (offset in the block's code) */
    size_t join;        /* where the fast path goes on after the instruction */
    unsigned insn;      /* which instruction */
    unsigned counted;   /* the translator's icount bookkeeping there */
    uint64_t rip;
    bool save_flags;    /* the guest flags are in ah/al (LAHF/SETO) */
    bool target_in_r9;  /* a RET: the join wants the target (next_rip) in r9 */
    /* The register cache (guest -> host register, -1) at the jump, with
     * what was written, and at the join. */
    int8_t map_jump[16], map_join[16];
    uint16_t dirty_jump;
} NativeSlow;

typedef struct NativeCtx {
    X64 *e;
    const Trace *t;
    bool flags_in_host;   /* the guest's OSZAPC are in host RFLAGS */
    bool flags_in_ax;     /* ... and/or in ax, as LAHF/SETO leave them */
    bool flat;            /* flat segments for the whole block (MODE_KEY_FLAT, or 64-bit) */
    bool segs_changed;    /* a sensitive instruction ran: no more inline memory operands */
    unsigned counted;     /* set by the translator before native_emit */
    const uint8_t (*undef_ok)[8];
    /* Guest registers held in host registers (native.c's pool). */
    int8_t host_of[16];
    uint16_t dirty, pinned;
    uint32_t clock, last_use[16];
    /* live[i]: the arithmetic flags instruction i or later ones may read
     * before writing them (a helper, a possible fault, the exit: all). */
    uint32_t live[BLOCK_MAX_INSNS + 1];
    unsigned nslow;
    NativeSlow slow[BLOCK_MAX_INSNS];
} NativeCtx;

/* undef_ok: probe.c's table (which undefined flags the host gets right). */
void native_begin(NativeCtx *nc, X64 *e, const Trace *t, const uint8_t (*undef_ok)[8]);
/* May a trace go on through the branch in that ends a block at rip (the
 * branch's own address) in this mode?  Jcc (IB_COND) and JMP rel (IB_JUMP)
 * that native code can run, with targets valid wherever the block runs. */
enum { IB_NONE, IB_COND, IB_JUMP };
int native_inner_branch(const Insn *in, uint64_t rip, bool flat);
/* Instruction i, a Jcc inside the trace: the jump to its side exit (the
 * way the trace does not go), recorded in *side for native_side_exit. */
typedef struct NativeSide {
    size_t field;       /* the jcc's rel32 */
    unsigned insn;
    int8_t map[16];     /* the register cache there, and what was written */
    uint16_t dirty;
    bool flags_in_ax;   /* the flags there are in ax (else only in RFLAGS) */
} NativeSide;
void native_side_jump(NativeCtx *nc, unsigned i, NativeSide *side);
/* Out of line, the side exit's way out: flags and registers to the CPU. */
void native_side_exit(NativeCtx *nc, const NativeSide *side);
/* A trace that branches back to its head loops inside its code: at the
 * entry the registers it uses most are loaded into the register cache
 * (native_loop_preload, which records that map), and a back edge, with
 * the registers written back and the flags in the CPU, loads those that
 * are not where the map wants them (now: the cache there, a side exit's
 * snapshot, or NULL: the cache as it is) and jumps to the point after
 * the preload. */
void native_loop_preload(NativeCtx *nc, int8_t loop_map[16]);
void native_loop_reload(NativeCtx *nc, const int8_t *now, const int8_t *loop_map);
/* Emits instruction i natively; false: the caller calls its handler. *//* Emits instruction i natively; false: the caller calls its handler. */
bool native_emit(NativeCtx *nc, unsigned i);
/* The block's last instruction i as a native branch: NB_DIRECT (Jcc, JMP,
 * CALL rel) with *cc the host condition of "taken" (-1: always) and the
 * guest flags captured in ax (native_exit_flags puts them into the CPU on
 * each way out); NB_INDIRECT (RET) with the target in r9 and the flags in
 * the CPU; NB_NONE: a handler runs it. */
enum { NB_NONE, NB_DIRECT, NB_INDIRECT };
int native_branch(NativeCtx *nc, unsigned i, int *cc);
void native_exit_flags(NativeCtx *nc);
/* Before a handler runs or the block exits: the CPU state is the
 * architectural state. */
void native_sync(NativeCtx *nc);
void native_slow_flags_in(NativeCtx *nc, const NativeSlow *s);
void native_slow_flags_out(NativeCtx *nc, const NativeSlow *s);

#endif

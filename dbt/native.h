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

/* One TLB miss exit. */
typedef struct NativeSlow {
    size_t field;       /* the jcc's rel32 (offset in the block's code) */
    size_t join;        /* where the fast path goes on after the instruction */
    unsigned insn;      /* which instruction */
    unsigned counted;   /* the translator's icount bookkeeping there */
    uint64_t rip;
    bool save_flags;    /* the guest flags are in ah/al (LAHF/SETO) */
    bool target_in_rdx; /* a RET: the join wants the target (next_rip) in rdx */
    /* The register cache (guest -> host register, -1) at the jump, with
     * what was written, and at the join. */
    int8_t map_jump[16], map_join[16];
    uint16_t dirty_jump;
} NativeSlow;

typedef struct NativeCtx {
    X64 *e;
    const Block *b;
    bool flags_in_host;   /* the guest's OSZAPC are in host RFLAGS */
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
void native_begin(NativeCtx *nc, X64 *e, const Block *b, const uint8_t (*undef_ok)[8]);
/* Emits instruction i natively; false: the caller calls its handler. */
bool native_emit(NativeCtx *nc, unsigned i);
/* The block's last instruction i as a native branch: NB_DIRECT (Jcc, JMP,
 * CALL rel) with *cc the host condition of "taken" (-1: always) and the
 * guest flags captured in rcx (native_exit_flags puts them into the CPU on
 * each way out); NB_INDIRECT (RET) with the target in rdx and the flags in
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

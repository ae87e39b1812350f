/* translate.c — a decoded block (cpu/block.h) to host code.
 *
 * The code runs with rbx = the CPU and the guest's flags in the CPU's own
 * form (eflags + lazy record) at every block boundary and around every
 * helper call.  Per block:
 *
 *   entry:  icount + n > icount_yield, or a stop request?  -> leave, not run
 *   per instruction: native host code (native.c), or
 *           rip, next_rip, icount stored; handler(cpu, &insn) called;
 *           a stop request (device, code invalidated) -> leave after it
 *   exit:   a direct branch compares next_rip with its two targets and
 *           takes slot 0 or 1: a jmp rel32 to the slot's stub (rip stored,
 *           return to the loop) until dbt_link points it at the next
 *           block's code; anything else returns through the "other" exit.
 *
 * Handlers see exactly the state tier 0 gives them: rip the instruction,
 * next_rip the one after, icount the instructions retired before it, so a
 * fault raised in one (longjmp to cpu_run) leaves precise state.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"
#include "native.h"
#include "x64.h"
#include "../softmmu/tlb.h"

#define CPU_AT(field) x64_mem(X64_RBX, (int32_t)offsetof(CPU, field))

/* A pending rel32 to an out-of-line stub, with what the stub stores. */
typedef struct Fixup {
    size_t field;
    uint64_t rip;       /* guest rip to store */
    unsigned icount;    /* instructions to add to icount */
} Fixup;

static void store_imm64(X64 *e, X64Mem m, uint64_t v)
{
    if ((uint64_t)(int64_t)(int32_t)v == v) {
        x64_mov_mi(e, 8, m, (int32_t)v);
    } else {
        x64_mov_ri(e, 8, X64_RAX, v);
        x64_mov_mr(e, 8, m, X64_RAX);
    }
}

static void add_icount(X64 *e, unsigned n)
{
    if (n)
        x64_alu_mi(e, X64_ADD, 8, CPU_AT(icount), (int32_t)n);
}

/* rax = exit record; jmp to the trampoline's return. */
static void leave(Dbt *d, X64 *e, const DbtExit *x)
{
    x64_mov_ri(e, 8, X64_RAX, (uint64_t)(uintptr_t)x);
    x64_jmp(e, (uintptr_t)d->exit_x);
}

static void stub(Dbt *d, X64 *e, const Fixup *f, const DbtExit *x)
{
    x64_bind32(e, f->field);
    store_imm64(e, CPU_AT(rip), f->rip);
    add_icount(e, f->icount);
    leave(d, e, x);
}

/* An exit to the rip in reg through the indirect-branch cache: a hit with
 * this block's key jumps to the target's checked entry, a miss returns to
 * the loop (which fills the entry). */
static void indirect_exit(Dbt *d, X64 *e, DbtBlock *db, int reg)
{
    x64_mov_mr(e, 8, CPU_AT(rip), reg);
    if (!db->key_stable || !db->checked_x) {
        leave(d, e, &db->exit[EXIT_OTHER]);
        return;
    }
    x64_mov_rr(e, 8, X64_R10, reg);
    x64_shift_ri(e, X64_SHL, 8, X64_R10, 64 - IBTC_BITS);  /* low rip bits, scaled below */
    x64_shift_ri(e, X64_SHR, 8, X64_R10, 64 - IBTC_BITS - 5);
    x64_mov_ri(e, 8, X64_R11, (uint64_t)(uintptr_t)d->ibtc);
    x64_alu_rr(e, X64_ADD, 8, X64_R11, X64_R10);
    x64_alu_rm(e, X64_CMP, 8, reg, x64_mem(X64_R11, (int32_t)offsetof(IbtcEntry, rip)));
    size_t miss1 = x64_jcc8(e, X64_CC_NE);
    x64_mov_ri(e, 8, X64_R10, db->b->key);
    x64_alu_rm(e, X64_CMP, 8, X64_R10, x64_mem(X64_R11, (int32_t)offsetof(IbtcEntry, key)));
    size_t miss2 = x64_jcc8(e, X64_CC_NE);
    x64_jmp_m(e, x64_mem(X64_R11, (int32_t)offsetof(IbtcEntry, code)));
    x64_bind8(e, miss1);
    x64_bind8(e, miss2);
    leave(d, e, &db->exit[EXIT_INDIRECT]);
}

/* The checked entry: the TLB's execute tag for the block's linear page and
 * the physical page cached with it must be the block's, else back to the
 * loop before anything ran.  Only for blocks whose segments need no limit
 * check (flat or 64-bit code). */
static void checked_entry(Dbt *d, X64 *e, Block *b, DbtBlock *db, Fixup *stubs, unsigned *nstubs)
{
    db->checked_x = NULL;
    bool flat = b->insns[0].code_mode == CODE64 || (b->key & MODE_KEY_FLAT);
    if (!flat)
        return;
    uint64_t lin = b->insns[0].code_mode == CODE64 ? b->rip : (uint32_t)b->rip;
    bool user = (b->key >> 2 & 3) == 3;
    db->checked_x = (const uint8_t *)x64_pc(e);
    /* A block spanning two pages checks both. */
    uint64_t pages[2][2] = { { lin, b->pa }, { (lin | 0xfff) + 1, b->pa_end } };
    for (int p = 0; p < ((b->pa >> 12) != (b->pa_end >> 12) ? 2 : 1); p++) {
        unsigned idx = (pages[p][0] >> 12) & (TLB_ENTRIES - 1);
        x64_mov_ri(e, 8, X64_R9, pages[p][0] & TLB_PAGE_MASK);
        x64_alu_rm(e, X64_CMP, 8, X64_R9,
                   x64_mem(X64_R12, (int32_t)offsetof(Tlb, e[user][idx].tag[ACC_EXEC])));
        stubs[(*nstubs)++] = (Fixup){ x64_jcc(e, X64_CC_NE, x64_pc(e)), b->rip, 0 };
        x64_mov_ri(e, 8, X64_R9, pages[p][1] & TLB_PAGE_MASK);
        x64_alu_rm(e, X64_CMP, 8, X64_R9, x64_mem(X64_R12, (int32_t)offsetof(Tlb, info[user][idx].pa)));
        stubs[(*nstubs)++] = (Fixup){ x64_jcc(e, X64_CC_NE, x64_pc(e)), b->rip, 0 };
    }
    (void)d;
}

/* The targets a direct branch can go to: taken (slot 0) and fall-through
 * (slot 1), truncated as near_target does.  Only compared against, so an
 * odd case (CS limit, 16-bit wrap) costs a return to the loop, nothing else. */
static bool direct_targets(const Insn *in, uint64_t next, uint64_t t[2])
{
    const FormInfo *f = &form_info[in->form];
    if (!(f->attrs & A_BRANCH) || (f->imm != I_JB && f->imm != I_JZ))
        return false;
    uint64_t taken = next + in->imm;
    if (in->osz == 2)
        taken &= 0xffff;
    else if (in->osz == 4)
        taken &= 0xffffffffu;
    t[0] = taken;
    t[1] = next;   /* not taken: the next instruction, as tier 0 leaves next_rip */
    return true;
}

/* Ends the block at guest rip `next` known statically: one slot. */
static void exit_to(X64 *e, DbtBlock *db, int slot, uint64_t target, Fixup *stubs,
                    unsigned *nstubs)
{
    size_t field = x64_jmp(e, x64_pc(e));  /* bound to its stub below */
    db->jmp_w[slot] = e->start + field;
    stubs[(*nstubs)++] = (Fixup){ field, target, 0 };
}

/* rip, next_rip; handler(cpu, &insn).  icount is the caller's. */
static void call_handler(X64 *e, const Trace *t, unsigned i)
{
    const Insn *in = t->insn[i];
    store_imm64(e, CPU_AT(rip), t->rip[i]);
    store_imm64(e, CPU_AT(next_rip), t->rip[i] + in->len);
    x64_mov_rr(e, 8, X64_RDI, X64_RBX);
    x64_mov_ri(e, 8, X64_RSI, (uint64_t)(uintptr_t)in);
    x64_call_abs(e, (const void *)t->fn[i]);
}

/* Can nothing in b change the mode key?  (A segment load, or a sensitive
 * form ending it: MOV CRn, far transfers, IRET, ...) */
static bool block_key_stable(const Block *b)
{
    for (unsigned i = 0; i < b->ninsns; i++) {
        uint32_t a = form_info[b->insns[i].form].attrs;
        if ((a & A_SEGLD) || ((a & A_SENS) && (a & A_END)))
            return false;
    }
    return true;
}

static void trace_add(Trace *t, const Block *b)
{
    uint64_t rip = b->rip;
    t->blocks[t->nblocks++] = b;
    for (unsigned i = 0; i < b->ninsns; i++) {
        t->insn[t->n] = &b->insns[i];
        t->fn[t->n] = b->fn[i];
        t->rip[t->n] = rip;
        t->cont[t->n++] = -1;
        rip += b->insns[i].len;
    }
}

/* The decoded block at guest rip `to` if a trace from t->head may take it
 * in: on the head's page (so one invalidation and the head's checked
 * entry cover it), not spanning a page, new to the trace, and fitting. */
static const Block *trace_candidate(Dbt *d, const Trace *t, uint64_t to)
{
    const Block *h = t->head;
    bool c64 = h->insns[0].code_mode == CODE64;
    uint64_t lin_h = c64 ? h->rip : (uint32_t)h->rip, lin_to = c64 ? to : (uint32_t)to;
    if ((lin_h ^ lin_to) >> 12)
        return NULL;
    const Block *n = (const Block *)codecache_find(d->cc, (h->pa & ~0xfffull) | (lin_to & 0xfff), h->key);
    if (!n || n->rip != to || !n->ninsns || (n->pa >> 12) != (n->pa_end >> 12) ||
        t->n + n->ninsns > BLOCK_MAX_INSNS)
        return NULL;
    for (unsigned j = 0; j < t->nblocks; j++)
        if (t->blocks[j] == n)
            return NULL;
    return n;
}

/* The instructions one translation covers: the block b, then, while its
 * last block ends in a branch native code runs inside a trace, the block
 * the branch more likely leads to (the one tier 0 ran more often; not
 * taken on a tie), if tier 0 decoded it already.  Loops stay loops: a
 * branch back into the trace leaves it (and chains to the head). */
static void trace_build(Dbt *d, Block *b, Trace *t)
{
    t->head = b;
    t->n = t->nblocks = 0;
    trace_add(t, b);
    bool flat = b->insns[0].code_mode == CODE64 || (b->key & MODE_KEY_FLAT);
    if (!flat || d->no_trace || (b->pa >> 12) != (b->pa_end >> 12))
        return;
    while (t->nblocks < TRACE_MAX_BLOCKS && block_key_stable(t->blocks[t->nblocks - 1])) {
        unsigned l = t->n - 1;
        const Insn *in = t->insn[l];
        uint64_t tg[2];
        int ib = native_inner_branch(in, t->rip[l], flat);
        if (!ib || !direct_targets(in, t->rip[l] + in->len, tg))
            return;
        const Block *c[2] = { trace_candidate(d, t, tg[0]), ib == IB_COND ? trace_candidate(d, t, tg[1]) : NULL };
        int s = c[1] && (!c[0] || c[1]->exec_count >= c[0]->exec_count) ? 1 : 0;
        if (!c[s])
            return;
        t->cont[l] = (int8_t)s;
        trace_add(t, c[s]);
    }
}

/* Does the trace branch back to its head (a Jcc or JMP whose target is
 * the head: the last instruction, or an inner Jcc's side exit)? */
static bool trace_loops(const Trace *t)
{
    for (unsigned i = 0; i < t->n; i++) {
        const Insn *in = t->insn[i];
        uint64_t tg[2];
        bool last = i + 1 == t->n;
        if ((last || t->cont[i] >= 0) && native_inner_branch(in, t->rip[i], true) != IB_NONE &&
            direct_targets(in, t->rip[i] + in->len, tg) &&
            ((tg[0] == t->head->rip && (last || t->cont[i] != 0)) ||
             (tg[1] == t->head->rip && (last || t->cont[i] != 1))))
            return true;
    }
    return false;
}

/* The entry's checks (flags in the CPU): n more instructions past
 * icount_yield, or a stop request, leave with rip at the head, nothing run. */
static void entry_checks(X64 *e, const Block *b, unsigned n, Fixup *stubs, unsigned *nstubs)
{
    x64_mov_rm(e, 8, X64_RAX, CPU_AT(icount));
    x64_alu_ri(e, X64_ADD, 8, X64_RAX, (int32_t)n);
    x64_alu_rm(e, X64_CMP, 8, X64_RAX, CPU_AT(icount_yield));
    stubs[(*nstubs)++] = (Fixup){ x64_jcc(e, X64_CC_A, x64_pc(e)), b->rip, 0 };
    x64_alu_mi(e, X64_CMP, 4, CPU_AT(stop_request), 0);
    stubs[(*nstubs)++] = (Fixup){ x64_jcc(e, X64_CC_NE, x64_pc(e)), b->rip, 0 };
}

/* A branch back to the head, the registers written back and the flags in
 * the CPU: the entry's checks again, the registers the loop keeps reloaded
 * where they moved (now: the cache here, NULL: the cache as it is), and on
 * at the loop's start. */
static void back_edge(X64 *e, NativeCtx *nc, const Block *b, unsigned n, const int8_t *now,
                      const int8_t *loop_map, size_t loop_at, Fixup *stubs, unsigned *nstubs)
{
    entry_checks(e, b, n, stubs, nstubs);
    native_loop_reload(nc, now, loop_map);
    x64_jmp(e, (uintptr_t)e->start + loop_at + (uintptr_t)e->exec_delta);
}

int dbt_translate_block(Dbt *d, Block *b, DbtBlock *db)
{
    Trace t;
    trace_build(d, b, &t);
    /* Worst case per instruction is about 60 bytes of call sequence plus a
     * 40-byte stub; the native forms stay below that. */
    size_t room = 1024 + (size_t)t.n * 512;
    uint8_t *w = codecache_alloc_host(d->cc, room);
    if (!w)
        return 0;
    X64 e;
    x64_init(&e, w, room, d->code->delta);
    Fixup stubs[2 * BLOCK_MAX_INSNS + 4 + 3 * DBT_SLOTS];
    unsigned nstubs = 0;
    db->b = b;
    db->ntrace = (uint8_t)t.nblocks;
    db->ninsns = (uint16_t)t.n;
    for (unsigned j = 0; j < t.nblocks; j++)
        db->trace[j] = (Block *)t.blocks[j];
    for (int i = 0; i < EXIT_KINDS; i++)
        db->exit[i] = (DbtExit){ db, (uint8_t)i };
    /* A trace that cannot change the mode key leaves with the key it was
     * entered with, so its exits may chain and use the indirect-branch
     * cache (trace_build goes on only past such blocks). */
    db->key_stable = block_key_stable(t.blocks[t.nblocks - 1]);
    db->ibtc_slot = -1;
    checked_entry(d, &e, b, db, stubs, &nstubs);
    size_t entry = x64_len(&e);
    db->entry_off = (uint16_t)entry;

    entry_checks(&e, b, t.n, stubs, &nstubs);

    NativeCtx nc;
    native_begin(&nc, &e, &t, d->undef_ok);
    /* A loop (within one page: its back edges need no checked entry)
     * starts here, its registers loaded. */
    bool loop = db->key_stable && !d->no_link && (b->pa >> 12) == (b->pa_end >> 12) && trace_loops(&t);
    int8_t loop_map[16];
    size_t loop_at = 0;
    bool looped = false;
    if (loop) {
        native_loop_preload(&nc, loop_map);
        loop_at = x64_len(&e);
    }
    /* The side exits of the trace's inner branches: slots 2.. */
    struct { NativeSide s; unsigned counted; uint64_t target; } side[TRACE_MAX_BLOCKS];
    unsigned nside = 0;
    uint64_t rip = b->rip;
    unsigned counted = 0;   /* instructions already added to icount */
    bool ended = false;
    for (unsigned i = 0; i < t.n; i++) {
        const Insn *in = t.insn[i];
        const FormInfo *f = &form_info[in->form];
        rip = t.rip[i];
        uint64_t next = rip + in->len;
        bool last = i + 1 == t.n;
        uint64_t tg[2];
        int cc, nb = NB_NONE;
        nc.counted = counted;
        db->host_off[i] = (uint16_t)x64_len(&e);
        if (t.cont[i] >= 0) {
            /* A branch inside the trace: a Jcc leaves by a side exit the
             * way the trace does not go; a JMP is nothing at all. */
            db->nnative++;
            if (native_inner_branch(in, rip, true) == IB_COND) {
                direct_targets(in, next, tg);
                native_side_jump(&nc, i, &side[nside].s);
                side[nside].counted = counted;
                side[nside++].target = tg[t.cont[i] ^ 1];
            }
        } else if (native_emit(&nc, i)) {
            db->nnative++;
        } else if (last && db->key_stable && direct_targets(in, next, tg) &&
                   (nb = native_branch(&nc, i, &cc)) == NB_DIRECT) {
            /* A native branch: the guest flags go to the CPU on both ways
             * out (the capture left RFLAGS for the jcc). */
            db->nnative++;
            size_t skip = 0;
            if (cc >= 0)
                skip = x64_jcc(&e, (X64Cond)(cc ^ 1), x64_pc(&e));
            for (int s = 0; s < (cc >= 0 ? 2 : 1); s++) {
                if (s == 1)
                    x64_bind32(&e, skip);
                native_exit_flags(&nc);
                add_icount(&e, t.n - counted);
                if (loop && tg[s] == b->rip && native_inner_branch(in, rip, true) != IB_NONE) {
                    back_edge(&e, &nc, b, t.n, NULL, loop_map, loop_at, stubs, &nstubs);
                    looped = true;
                } else {
                    exit_to(&e, db, s, tg[s], stubs, &nstubs);
                }
            }
            counted = t.n;
            ended = true;
        } else if (last && db->key_stable && (nb = native_branch(&nc, i, &cc)) == NB_INDIRECT) {
            /* RET: to wherever r9 says, through the loop. */
            db->nnative++;
            add_icount(&e, t.n - counted);
            counted = t.n;
            indirect_exit(d, &e, db, X64_R9);
            ended = true;
        } else {
            native_sync(&nc);   /* the handler sees the CPU state */
            add_icount(&e, i - counted);
            counted = i;
            call_handler(&e, &t, i);
            if (last && (f->attrs & A_END)) {
                add_icount(&e, 1);
                counted = i + 1;
                x64_mov_rm(&e, 8, X64_RAX, CPU_AT(next_rip));
                if (db->key_stable && direct_targets(in, next, tg)) {
                    for (int s = 0; s < 2; s++) {
                        if (tg[s] == tg[0] && s == 1)
                            break;  /* a branch to the next instruction */
                        x64_mov_ri(&e, 8, X64_RCX, tg[s]);
                        x64_alu_rr(&e, X64_CMP, 8, X64_RAX, X64_RCX);
                        size_t skip = x64_jcc8(&e, X64_CC_NE);
                        exit_to(&e, db, s, tg[s], stubs, &nstubs);
                        x64_bind8(&e, skip);
                    }
                }
                if (f->attrs & A_BRANCH)
                    indirect_exit(d, &e, db, X64_RAX);
                else {
                    x64_mov_mr(&e, 8, CPU_AT(rip), X64_RAX);
                    leave(d, &e, &db->exit[EXIT_OTHER]);
                }
                ended = true;
            } else if (!last) {
                x64_alu_mi(&e, X64_CMP, 4, CPU_AT(stop_request), 0);
                stubs[nstubs++] = (Fixup){ x64_jcc(&e, X64_CC_NE, x64_pc(&e)), next, i + 1 - counted };
            }
        }
        rip = next;
    }
    if (!ended) {
        /* Ended by the length or page limit: on to the next instruction. */
        native_sync(&nc);
        add_icount(&e, t.n - counted);
        counted = t.n;
        if (db->key_stable) {
            exit_to(&e, db, EXIT_SLOT0, rip, stubs, &nstubs);
        } else {
            store_imm64(&e, CPU_AT(rip), rip);
            leave(d, &e, &db->exit[EXIT_OTHER]);
        }
    }
    db->host_off[t.n] = (uint16_t)x64_len(&e);
    /* Out of line: the side exits, flags and registers into the CPU and
     * icount to the instructions up to the branch, each a slot of its own. */
    for (unsigned k = 0; k < nside; k++) {
        x64_bind32(&e, side[k].s.field);
        native_side_exit(&nc, &side[k].s);
        add_icount(&e, side[k].s.insn + 1 - side[k].counted);
        if (loop && side[k].target == b->rip) {
            back_edge(&e, &nc, b, t.n, side[k].s.map, loop_map, loop_at, stubs, &nstubs);
            looped = true;
        } else {
            exit_to(&e, db, EXIT_SLOT1 + 1 + (int)k, side[k].target, stubs, &nstubs);
        }
    }
    /* The TLB misses of native memory operands, each running its
     * instruction's handler and going back after it. */
    for (unsigned k = 0; k < nc.nslow; k++) {
        const NativeSlow *sl = &nc.slow[k];
        const Insn *in = t.insn[sl->insn];
        x64_bind32(&e, sl->field);
        native_slow_flags_in(&nc, sl);
        unsigned ahead = sl->insn - sl->counted;
        add_icount(&e, ahead);
        call_handler(&e, &t, sl->insn);
        /* Back to the fast path's count; a stop request (the store hit
         * code: SMC) leaves after the instruction. */
        if (ahead)
            x64_alu_mi(&e, X64_SUB, 8, CPU_AT(icount), (int32_t)ahead);
        if (sl->insn + 1 < t.n) {
            /* (the last instruction's join is the exit, which checks) */
            x64_alu_mi(&e, X64_CMP, 4, CPU_AT(stop_request), 0);
            stubs[nstubs++] = (Fixup){ x64_jcc(&e, X64_CC_NE, x64_pc(&e)), sl->rip + in->len,
                                       sl->insn + 1 - sl->counted };
        }
        native_slow_flags_out(&nc, sl);   /* (may use r9) */
        if (sl->target_in_r9)
            x64_mov_rm(&e, 8, X64_R9, CPU_AT(next_rip));
        x64_jmp(&e, (uintptr_t)e.start + sl->join + (uintptr_t)e.exec_delta);
    }
    /* Then the stubs.  Slot stubs are where unchained slots go. */
    for (unsigned k = 0; k < nstubs; k++) {
        int slot = -1;
        for (int s = 0; s < DBT_SLOTS; s++)
            if (db->jmp_w[s] == e.start + stubs[k].field)
                slot = s;
        if (slot >= 0)
            db->stub_x[slot] = (const uint8_t *)x64_pc(&e);
        stub(d, &e, &stubs[k], &db->exit[slot >= 0 ? slot : EXIT_OTHER]);
    }
    if (e.overflow) {
        execmem_shrink(d->code, w, 0);
        return x64_len(&e) >= room - 16 ? 0 : -1;   /* out of room, or not encodable */
    }
    execmem_shrink(d->code, w, x64_len(&e));
    db->code_x = (const uint8_t *)execmem_exec_addr(d->code, w) + entry;
    db->code_size = (uint32_t)x64_len(&e);
    d->stats.host_bytes += db->code_size;
    d->stats.insns_native += db->nnative;
    d->stats.insns_helper += t.n - db->nnative;
    if (t.nblocks > 1) {
        d->stats.traces++;
        d->stats.trace_blocks += t.nblocks;
    }
    if (looped)
        d->stats.loops++;
    return 1;
}

const Insn *dbt_trace_insn(const DbtBlock *db, unsigned i, uint64_t *rip)
{
    unsigned j = 0;
    while (j + 1 < db->ntrace && i >= db->trace[j]->ninsns)
        i -= db->trace[j++]->ninsns;
    const Block *b = db->trace[j];
    *rip = b->rip;
    for (unsigned k = 0; k < i; k++)
        *rip += b->insns[k].len;
    return &b->insns[i];
}

void dbt_patch_slot(Dbt *d, DbtBlock *db, int slot, const uint8_t *target)
{
    (void)x64_patch_rel32(db->jmp_w[slot], d->code->delta, (uintptr_t)target);
}

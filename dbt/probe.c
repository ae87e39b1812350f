/* probe.c — do this host's undefined flags agree with tier 0's?
 *
 * Where the SDM leaves flags undefined (shifts and rotates: OF, AF, CF
 * past the size; IMUL: SF ZF AF PF) tier 0 computes the values of the CPU
 * model (cpu/shift.c, cpu/muldiv.c), while a host instruction gives its
 * vendor's.  Tier 1 may run such a form directly only where the two can
 * never be told apart: where liveness shows the flags are overwritten
 * unread, or where this probe found that host and tier 0 agree.
 *
 * The probe runs the very same instruction bytes both ways: each form is
 * emitted once (x64.c) into a small host function, run on the host with
 * random operands and flags, decoded by ringzero's own decoder and run by
 * the interpreter's handler on a scratch CPU, then results and all six
 * flags are compared.  One disagreement and the form stays restricted.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "probe.h"
#include "x64.h"
#include "../cpu/model.h"

typedef struct ProbeIO {
    uint64_t a, b, flags_in, flags_out;
} ProbeIO;

/* Emits: load a and b into rax and rcx and the flags, the instruction,
 * store rax and the flags.  Returns the function (exec address) and the
 * instruction's bytes in [*ib, *ie) of the write view. */
static void *emit_probe(X64 *e, int kind, unsigned ext, unsigned size, uint8_t imm,
                        const uint8_t **ib, const uint8_t **ie)
{
    void *fn = (void *)x64_pc(e);
    x64_mov_rm(e, 8, X64_RAX, x64_mem(X64_RDI, 0));
    x64_mov_rm(e, 8, X64_RCX, x64_mem(X64_RDI, 8));
    x64_push_m(e, x64_mem(X64_RDI, 16));
    x64_plain(e, X64_POPFQ);
    *ib = e->p;
    switch (kind) {
    case PROBE_SHIFT_CL: x64_shift_rcl(e, (X64Shift)ext, size, X64_RAX); break;
    case PROBE_SHIFT_I: x64_shift_ri(e, (X64Shift)ext, size, X64_RAX, imm); break;
    case PROBE_IMUL2: x64_imul_rr(e, size, X64_RAX, X64_RCX); break;
    case PROBE_IMUL3: x64_imul_rri(e, size, X64_RAX, X64_RCX, (int8_t)imm); break;
    }
    *ie = e->p;
    x64_plain(e, X64_PUSHFQ);
    x64_pop_m(e, x64_mem(X64_RDI, 24));
    x64_mov_mr(e, 8, x64_mem(X64_RDI, 0), X64_RAX);
    x64_plain(e, X64_RET);
    return fn;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random operands, with the small and extreme values where flags turn. */
static uint64_t operand(uint64_t *s)
{
    static const uint64_t edge[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                     0x7fffffff, 0x80000000, 0xffffffff, ~0ull, 1ull << 63 };
    uint64_t r = rnd(s);
    return (r & 3) == 0 ? edge[(r >> 2) % (sizeof edge / sizeof edge[0])] : rnd(s);
}

/* 400 random cases (every CL count among them); true when all agree. */
static bool agree(const CpuModel *model, void *fn, const uint8_t *ib, const uint8_t *ie,
                      int kind, unsigned size, CPU *c, uint64_t *seed)
{
    Insn in;
    if (decode(ib, (int)(ie - ib), CODE64, &model->q, &in) != (int)(ie - ib))
        return false;
    uint64_t (*host)(ProbeIO *) = (uint64_t (*)(ProbeIO *))fn;
    for (int n = 0; n < 400; n++) {
        uint64_t a = operand(seed), b = operand(seed);
        uint32_t fin = (uint32_t)(rnd(seed) & F_OSZAPC) | 2;
        if (kind == PROBE_SHIFT_CL && (n & 1))
            b = (unsigned)n & 0x3f;   /* every count, 0 and past the size too */
        ProbeIO io = { a, b, fin, 0 };
        host(&io);
        c->regs[R_AX] = a;
        c->regs[R_CX] = b;
        c->eflags = fin;
        c->lf.op = LF_NONE;
        c->rip = 0x1000;
        c->next_rip = 0x1000 + in.len;
        form_handler[in.form](c, &in);
        uint64_t m = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
        if ((c->regs[R_AX] & m) != (io.a & m) ||
            (cpu_get_eflags(c) & F_OSZAPC) != (io.flags_out & F_OSZAPC))
            return false;
    }
    return true;
}

void dbt_probe(Dbt *d)
{
    memset(d->undef_ok, 0, sizeof d->undef_ok);
    size_t room = 4096;
    uint8_t *w = execmem_alloc(&d->own, room);
    if (!w)
        return;
    X64 e;
    x64_init(&e, w, room, d->own.delta);
    CPU *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->model = d->cpu->model;
    c->features = d->cpu->features;
    c->code_mode = CODE64;
    c->efer = 0x500;
    c->cr0 = 0x80000011;
    c->seg[S_CS].attr = SA_L | SA_P | SA_S | 0xb;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    static const uint8_t counts[] = { 1, 2, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63 };
    for (int kind = 0; kind < PROBE_KINDS; kind++)
        for (unsigned ext = 0; ext < 8; ext++) {
            if ((kind == PROBE_SHIFT_CL || kind == PROBE_SHIFT_I) ? ext == 6 : ext > 0)
                continue;
            for (unsigned sz = 0; sz < 4; sz++) {
                unsigned size = 1u << sz;
                if ((kind == PROBE_IMUL2 || kind == PROBE_IMUL3) && size == 1)
                    continue;
                bool ok = true;
                unsigned ni = kind == PROBE_SHIFT_I ? sizeof counts : kind == PROBE_IMUL3 ? 4 : 1;
                for (unsigned k = 0; k < ni && ok; k++) {
                    uint8_t imm = kind == PROBE_SHIFT_I ? counts[k] : (uint8_t)(0x85 + 37 * k);
                    const uint8_t *ib, *ie;
                    e.p = e.start;
                    void *fn = emit_probe(&e, kind, ext, size, imm, &ib, &ie);
                    ok = !e.overflow && agree(c->model, fn, ib, ie, kind, size, c, &seed);
                }
                if (ok)
                    d->undef_ok[kind][ext] |= (uint8_t)(1u << sz);
            }
        }
    free(c);
}

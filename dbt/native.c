/* native.c — direct execution: a guest instruction re-encoded as the same
 * host instruction (native.h).
 *
 * Conventions inside a block (docs/tier1.md):
 *   rbx    the CPU (guest GPRs in cpu->regs: [rbx + 8*r])
 *   r13-r15, rbp, rsi, rdi, r11, rdx  guest GPRs cached within the block,
 *          written back before a helper, a slow path or an exit
 *   r12    the TLB (cpu->tlb, attached before translated code runs)
 *   r8     a memory operand's address: linear, then host after the TLB
 *   rax    the guest flags as LAHF/SETO leave them (nc->flags_in_ax)
 *   rcx, r9, r10  scratch (cl: a shift count; r9, r10: the TLB lookup)
 *   host RFLAGS  the guest's OSZAPC while nc->flags_in_host
 *
 * An instruction is emitted natively only when the host instruction gives
 * tier 0's result bit for bit: the forms below, and for forms whose flags
 * the SDM leaves undefined, only where liveness shows nothing reads them
 * (a helper, a possible fault and the block's exit read all flags).  The
 * one exception is AF after AND/OR/XOR/TEST, which Intel and AMD both
 * clear, as tier 0 does (cpu/flags.c).
 *
 * A memory operand goes through the TLB inline: a hit is the access on the
 * host address; a miss, a slow-path bit (MMIO, code page, watchpoint) or a
 * page-crossing access runs the instruction's own handler out of line,
 * with rip, next_rip and icount as tier 0 has them, so faults are precise.
 */
#include <stddef.h>
#include <stdlib.h>

#include "native.h"
#include "probe.h"
#include "../cpu/operand.h"
#include "../softmmu/tlb.h"

#define FL_ALL F_OSZAPC
#define GREG_AT(r) x64_mem(X64_RBX, (int32_t)(8 * (r)))
#define CPU_AT(field) x64_mem(X64_RBX, (int32_t)offsetof(CPU, field))

/* What native emission knows of a form, from the table's map/opcode/ext. */
enum {
    K_NONE, K_ALU_EG, K_ALU_GE, K_ALU_EI, K_ALU_AI, K_TEST_EG, K_TEST_EI, K_TEST_AI,
    K_MOV_EG, K_MOV_GE, K_MOV_EI, K_MOV_ZI, K_MOV_AO, K_MOV_OA, K_NOP, K_XCHG_ZA, K_LEA, K_INCDEC, K_NOTNEG, K_SETCC, K_CMOVCC,
    K_MOVZX, K_MOVSX, K_MOVSXD, K_SHIFT_I, K_SHIFT_CL, K_IMUL2, K_IMUL3,
    K_PUSH, K_PUSHI, K_POP,
    K_JCC, K_JMP, K_CALL, K_RET,   /* branches: only as the block's end (native_branch) */
};

static int kind_of_form(const Insn *in)
{
    const FormInfo *f = &form_info[in->form];
    unsigned op = f->opc, ext = (in->modrm >> 3) & 7;
    if (in->form == FORM_XCHG_ZvrAX)   /* (not PAUSE, the same opcode) */
        return in->rm == R_AX ? K_NOP : K_XCHG_ZA;
    if (f->map == MAP_1B) {
        static const int alu[6] = { K_ALU_EG, K_ALU_EG, K_ALU_GE, K_ALU_GE, K_ALU_AI, K_ALU_AI };
        if (op < 0x40 && (op & 7) < 6)
            return alu[op & 7];
        if (op >= 0x40 && op < 0x50)
            return K_INCDEC;
        if (op >= 0x50 && op < 0x58)
            return K_PUSH;
        if (op >= 0x58 && op < 0x60)
            return K_POP;
        if (op == 0x68 || op == 0x6a)
            return K_PUSHI;
        if (op == 0xc2 || op == 0xc3)
            return K_RET;
        if (op == 0xe8)
            return K_CALL;
        if (op == 0x63)
            return K_MOVSXD;
        if (op == 0x69 || op == 0x6b)
            return K_IMUL3;
        if (op >= 0x70 && op < 0x80)
            return K_JCC;
        if (op >= 0x80 && op <= 0x83 && op != 0x82)
            return K_ALU_EI;
        if (op == 0x84 || op == 0x85)
            return K_TEST_EG;
        if (op == 0x88 || op == 0x89)
            return K_MOV_EG;
        if (op == 0x8a || op == 0x8b)
            return K_MOV_GE;
        if (op == 0x8d)
            return K_LEA;
        if (op == 0xa0 || op == 0xa1)
            return K_MOV_AO;
        if (op == 0xa2 || op == 0xa3)
            return K_MOV_OA;
        if (op == 0xa8 || op == 0xa9)
            return K_TEST_AI;
        if (op >= 0xb0 && op < 0xc0)
            return K_MOV_ZI;
        if ((op == 0xc0 || op == 0xc1 || op == 0xd0 || op == 0xd1) && ext != 6)
            return K_SHIFT_I;
        if ((op == 0xd2 || op == 0xd3) && ext != 6)
            return K_SHIFT_CL;
        if ((op == 0xc6 || op == 0xc7) && ext == 0)
            return K_MOV_EI;
        if (op == 0xe9 || op == 0xeb)
            return K_JMP;
        if ((op == 0xf6 || op == 0xf7) && ext <= 1)
            return K_TEST_EI;
        if ((op == 0xf6 || op == 0xf7) && (ext == 2 || ext == 3))
            return K_NOTNEG;
        if ((op == 0xfe || op == 0xff) && ext <= 1)
            return K_INCDEC;
    } else if (f->map == MAP_0F) {
        if (op >= 0x18 && op <= 0x1f)
            return K_NOP;   /* hints and multi-byte NOPs (ENDBR32/64 too): no access */
        if (op >= 0x40 && op < 0x50)
            return K_CMOVCC;
        if (op >= 0x80 && op < 0x90)
            return K_JCC;
        if (op >= 0x90 && op < 0xa0)
            return K_SETCC;
        if (op == 0xaf)
            return K_IMUL2;
        if (op == 0xb6 || op == 0xb7)
            return K_MOVZX;
        if (op == 0xbe || op == 0xbf)
            return K_MOVSX;
    }
    return K_NONE;
}

/* The table's A_DIRECT says which forms may run as host instructions;
 * branches are not A_DIRECT (they end blocks: native_branch). */
static int kind_of(const Insn *in)
{
    int k = kind_of_form(in);
    return k < K_JCC && !(form_info[in->form].attrs & A_DIRECT) ? K_NONE : k;
}

/* The arithmetic flags a form reads, as native code sees it: a shift by
 * an immediate (never 0 here) writes its flags without keeping them. */
static uint32_t flags_read(const Insn *in, int k)
{
    if (k == K_SHIFT_I)   /* RCL/RCR still rotate CF in */
        return (((in->modrm >> 3) & 6) == 2) ? F_CF : 0;
    return form_flags_read(&form_info[in->form]) & FL_ALL;
}

static uint32_t flags_written(const Insn *in)
{
    return form_flags_written(&form_info[in->form]) & FL_ALL;
}

/* The flags the SDM leaves undefined, but AF after AND/OR/XOR/TEST, which
 * both vendors and tier 0 clear whatever it was. */
static uint32_t flags_undefined(const Insn *in, int k)
{
    uint32_t u = form_flags_undefined(&form_info[in->form]) & FL_ALL;
    if (k == K_ALU_EG || k == K_ALU_GE || k == K_ALU_EI || k == K_ALU_AI || k == K_TEST_EG ||
        k == K_TEST_EI || k == K_TEST_AI)
        u &= ~(uint32_t)F_AF;
    return u;
}

/* Flags the host must hold the guest's values of before the instruction:
 * those it reads, those a partial writer leaves for later readers, and its
 * undefined ones that are read later: a vendor may leave an undefined flag
 * as it was (the probe compares host and tier 0 from the same input
 * flags, so they must be the guest's). */
static uint32_t needs_flags(const Insn *in, int k, uint32_t live_after)
{
    uint32_t w = flags_written(in);
    return flags_read(in, k) | (w ? FL_ALL & ~w & live_after : 0) | (flags_undefined(in, k) & live_after);
}

/* Liveness: live[i] = the flags instruction i or later ones may read
 * before writing them.  What is not native reads all flags (a handler, a
 * possible fault, the exit), and so does a native memory operand (it may
 * fault). */
static void liveness(NativeCtx *nc)
{
    const Trace *t = nc->t;
    uint32_t live = FL_ALL;
    nc->live[t->n] = live;
    for (int i = (int)t->n - 1; i >= 0; i--) {
        const Insn *in = t->insn[i];
        int k = kind_of(in);
        if (k == K_JMP && t->cont[i] >= 0)
            ;   /* a jump inside the trace: nothing emitted */
        else if (k == K_NONE || (in->flags & IF_MEM) || k >= K_PUSH)
            live = FL_ALL;
        else
            live = (live & ~flags_written(in)) | flags_read(in, k) | (live & flags_undefined(in, k));
        nc->live[i] = live;
    }
}

static void rc_reset(NativeCtx *nc);

void native_begin(NativeCtx *nc, X64 *e, const Trace *t, const uint8_t (*undef_ok)[8])
{
    nc->undef_ok = undef_ok;
    nc->e = e;
    nc->t = t;
    nc->flags_in_host = nc->flags_in_ax = false;
    nc->segs_changed = false;
    nc->nslow = 0;
    nc->flat = t->insn[0]->code_mode == CODE64 || (t->head->key & MODE_KEY_FLAT);
    nc->clock = 0;
    nc->pinned = 0;
    rc_reset(nc);
    liveness(nc);
}

/* ---- flags between host RFLAGS and the CPU's form ------------------------ */

/* Host RFLAGS -> the CPU's documented form, in two halves: the capture
 * into rax (LAHF: SF ZF - AF - PF - CF in ah, SETO: OF in al) leaves
 * RFLAGS as it was (PUSHFQ would too, but costs several times more on
 * both vendors); the merge stores ax as the lazy record LF_HOST, which
 * tier 0 reads like any other record (cpu/flags.c).  Merging into eflags'
 * OSZAPC instead took eight instructions with two read-modify-writes, at
 * every exit. */
static void flags_capture(X64 *e)
{
    x64_plain(e, X64_LAHF);
    x64_setcc_r(e, X64_CC_O, X64_RAX);
}

static void flags_merge(X64 *e)
{
    x64_mov_mr(e, 2, CPU_AT(lf.host), X64_RAX);
    x64_mov_mi(e, 1, CPU_AT(lf.op), LF_HOST);
}

static void flags_to_cpu(X64 *e)
{
    flags_capture(e);
    flags_merge(e);
}

/* ax as flags_capture leaves it -> host RFLAGS, ax kept: an ADD that
 * overflows exactly when al is 1 sets OF (on a copy), SAHF the rest. */
static void flags_restore(X64 *e)
{
    x64_mov_rr(e, 4, X64_R9, X64_RAX);
    x64_alu_ri(e, X64_ADD, 1, X64_R9, 0x7f);
    x64_plain(e, X64_SAHF);
}

/* The CPU's flags -> host RFLAGS (OSZAPC only, so the guest's TF or DF
 * never reach the host), through ah/al as flags_capture has them: an
 * LF_HOST record is that already; eflags (LF_NONE) is rearranged; any
 * other record is first evaluated by cpu_get_eflags, which leaves LF_NONE.
 * ax is left as the capture (nc->flags_in_ax). */
static void flags_to_host(X64 *e)
{
    x64_alu_mi(e, X64_CMP, 1, CPU_AT(lf.op), LF_HOST);
    size_t not_host = x64_jcc8(e, X64_CC_NE);
    x64_movzx_rm(e, 4, X64_RAX, 2, CPU_AT(lf.host));
    size_t have_ax = x64_jmp8(e);
    x64_bind8(e, not_host);
    x64_alu_mi(e, X64_CMP, 1, CPU_AT(lf.op), LF_NONE);
    size_t done = x64_jcc8(e, X64_CC_E);
    x64_mov_rr(e, 8, X64_RDI, X64_RBX);
    x64_call_abs(e, (const void *)cpu_get_eflags);
    x64_bind8(e, done);
    x64_mov_rm(e, 4, X64_RCX, CPU_AT(eflags));
    x64_mov_rr(e, 4, X64_RAX, X64_RCX);
    x64_shift_ri(e, X64_SHL, 4, X64_RAX, 8);
    x64_shift_ri(e, X64_SHR, 4, X64_RCX, 11);
    x64_alu_ri(e, X64_AND, 4, X64_RCX, 1);
    x64_alu_rr(e, X64_OR, 4, X64_RAX, X64_RCX);
    x64_bind8(e, have_ax);
    flags_restore(e);
}

/* ---- guest registers in host registers ----------------------------------- */

/* The host registers that hold guest registers within a block; what is not
 * here is scratch (r8-r10, rax, rcx) or fixed (rbx, r12, rsp).  Eight:
 * a 32-bit guest's GPRs all fit.  A
 * cached register is loaded whole on first use and written back (if
 * written) before anything that reads the CPU state: a handler, a slow
 * path, an exit.  rsi, rdi, r11 and rdx do not survive calls: they are written
 * back and forgotten before one. */
static const int8_t pool[] = { X64_R13, X64_R14, X64_R15, X64_RBP, X64_RSI, X64_RDI, X64_R11, X64_RDX };
#define NPOOL (int)(sizeof pool / sizeof pool[0])
static bool volatile_reg(int h) { return h == X64_RSI || h == X64_RDI || h == X64_R11 || h == X64_RDX; }

static void rc_reset(NativeCtx *nc)
{
    for (int r = 0; r < 16; r++)
        nc->host_of[r] = -1;
    nc->dirty = 0;
}

static void rc_write_back(NativeCtx *nc, int r)
{
    if (nc->dirty >> r & 1)
        x64_mov_mr(nc->e, 8, GREG_AT(r), nc->host_of[r]);
    nc->dirty &= (uint16_t)~(1u << r);
}

/* Every written register back to the CPU (they stay cached). */
static void rc_flush(NativeCtx *nc)
{
    for (int r = 0; r < 16; r++)
        if (nc->host_of[r] >= 0)
            rc_write_back(nc, r);
}

/* Before a call: written back, and the volatile ones forgotten. */
static void rc_before_call(NativeCtx *nc, bool all)
{
    for (int r = 0; r < 16; r++)
        if (nc->host_of[r] >= 0 && (all || volatile_reg(nc->host_of[r]))) {
            rc_write_back(nc, r);
            nc->host_of[r] = -1;
        }
}

/* The host register holding guest r (loaded if need be). */
static int rc_get(NativeCtx *nc, int r)
{
    if (nc->host_of[r] >= 0) {
        nc->last_use[r] = ++nc->clock;
        return nc->host_of[r];
    }
    int h = -1;
    for (int p = 0; p < NPOOL && h < 0; p++) {
        bool used = false;
        for (int g = 0; g < 16; g++)
            used |= nc->host_of[g] == pool[p];
        if (!used)
            h = pool[p];
    }
    if (h < 0) {   /* evict the least recently used */
        int v = -1;
        for (int g = 0; g < 16; g++)
            if (nc->host_of[g] >= 0 && !(nc->pinned >> g & 1) && (v < 0 || nc->last_use[g] < nc->last_use[v]))
                v = g;
        rc_write_back(nc, v);
        h = nc->host_of[v];
        nc->host_of[v] = -1;
    }
    x64_mov_rm(nc->e, 8, h, GREG_AT(r));
    nc->host_of[r] = (int8_t)h;
    nc->last_use[r] = ++nc->clock;
    return h;
}

/* A destination written whole (4 or 8 bytes) needs no load first. */
static int rc_def(NativeCtx *nc, int r, unsigned size)
{
    if (size < 4 || nc->host_of[r] >= 0) {
        int h = rc_get(nc, r);
        nc->pinned |= (uint16_t)(1u << r);
        return h;
    }
    int h = -1;
    for (int p = 0; p < NPOOL && h < 0; p++) {
        bool used = false;
        for (int g = 0; g < 16; g++)
            used |= nc->host_of[g] == pool[p];
        if (!used)
            h = pool[p];
    }
    if (h < 0)
        return rc_def(nc, r, 1);   /* full: let rc_get evict (and load) */
    nc->host_of[r] = (int8_t)h;
    nc->last_use[r] = ++nc->clock;
    nc->pinned |= (uint16_t)(1u << r);
    return h;
}

/* The registers one instruction needs are kept while it is emitted. */
static int rc_use(NativeCtx *nc, int r)
{
    int h = rc_get(nc, r);
    nc->pinned |= (uint16_t)(1u << r);
    return h;
}

static void rc_snapshot(const NativeCtx *nc, int8_t *map, uint16_t *dirty)
{
    for (int r = 0; r < 16; r++)
        map[r] = nc->host_of[r];
    if (dirty)
        *dirty = nc->dirty;
}

/* The guest flags into host RFLAGS: from ax if it holds them, else from
 * the CPU (which may call cpu_get_eflags). */
static void flags_to_host_nc(NativeCtx *nc)
{
    if (nc->flags_in_host)
        return;
    if (nc->flags_in_ax) {
        flags_restore(nc->e);
    } else {
        rc_before_call(nc, false);
        flags_to_host(nc->e);
    }
    nc->flags_in_host = nc->flags_in_ax = true;
}

/* The guest flags into the CPU's form: ax stored if it holds them, else
 * captured first if they are in RFLAGS. */
static void flags_to_cpu_nc(NativeCtx *nc)
{
    if (nc->flags_in_ax)
        flags_merge(nc->e);
    else if (nc->flags_in_host)
        flags_to_cpu(nc->e);
    nc->flags_in_host = nc->flags_in_ax = false;
}

void native_sync(NativeCtx *nc)
{
    flags_to_cpu_nc(nc);
    rc_before_call(nc, true);
}

/* ---- memory operands ------------------------------------------------------ */

/* Can the memory operand take the inline path?  Flat segments only (the
 * mode key says so, and no segment load earlier in the block), 32- or
 * 64-bit addressing. */
static bool mem_ok(const NativeCtx *nc, const Insn *in)
{
    if (!nc->flat || nc->segs_changed || in->asz == 2)
        return false;
    if (in->code_mode == CODE64)
        return true;
    /* FS and GS may have a base and a limit in 32-bit code (Linux: per-CPU
     * data, TLS); the flat bit covers the other four. */
    return in->seg == S_DS || in->seg == S_ES || in->seg == S_SS;
}

/* The stack takes the inline path in 64-bit code, and in flat 32-bit code
 * with a 32-bit stack (SS.B, in the mode key). */
static bool stack_ok(const NativeCtx *nc)
{
    const Insn *in0 = nc->t->insn[0];
    return nc->flat && !nc->segs_changed &&
           (in0->code_mode == CODE64 || (nc->t->head->key >> 41 & 1));
}

/* r8 = rSP - push_size, rcx = rSP + pop_size (the new rSP), wrapped to the
 * stack's width. */
static void emit_stack_addr(NativeCtx *nc, const Insn *in, int push_size, int pop_size)
{
    unsigned w = in->code_mode == CODE64 ? 8 : 4;
    int sp = rc_use(nc, R_SP);
    x64_lea(nc->e, w, X64_R8, x64_mem(sp, -push_size));
    x64_lea(nc->e, w, X64_RCX, x64_mem(X64_R8, pop_size));
}

/* r8 = the memory operand's offset (with_seg: its linear address; only FS
 * and GS have a base in flat code). */
static void emit_lin(NativeCtx *nc, const Insn *in, uint64_t rip, bool with_seg)
{
    X64 *e = nc->e;
    bool a32 = in->asz == 4;
    if (in->flags & IF_RIPREL) {
        uint64_t a = rip + in->len + (uint64_t)in->disp;
        x64_mov_ri(e, 8, X64_R8, a32 ? (uint32_t)a : a);
    } else if (in->base == REG_NONE && in->index == REG_NONE) {
        x64_mov_ri(e, 8, X64_R8, a32 ? (uint32_t)in->disp : (uint64_t)in->disp);
    } else {
        int base = in->base != REG_NONE ? rc_use(nc, in->base) : X64_NOREG;
        int index = in->index != REG_NONE ? rc_use(nc, in->index) : X64_NOREG;
        x64_lea(e, a32 ? 4 : 8, X64_R8, x64_mem_idx(base, index, 1u << in->scale, (int32_t)in->disp));
    }
    if (with_seg && in->code_mode == CODE64 && (in->seg == S_FS || in->seg == S_GS)) {
        x64_mov_rm(e, 8, X64_R9, x64_mem(X64_RBX, (int32_t)offsetof(CPU, seg[in->seg].base)));
        x64_lea(e, a32 ? 4 : 8, X64_R8, x64_mem_idx(X64_R8, X64_R9, 1, 0));
    }
}

/* The TLB lookup: r8 linear -> host address, or a jump to the slow path
 * (recorded in nc->slow with the register cache as it is there). */
static void emit_tlb(NativeCtx *nc, unsigned size, int acc, unsigned i, uint64_t rip, bool save_flags)
{
    X64 *e = nc->e;
    bool user = (nc->t->head->key >> 2 & 3) == 3;
    int32_t slot = (int32_t)offsetof(Tlb, e[user][0]);
    /* The slot of the FIRST byte's page, the tag of the last byte's: an
     * access that crosses into page N+1 finds page N's slot, which can
     * never hold N+1, and goes to the slow path (softmmu/tlb.h). */
    x64_lea(e, 8, X64_R9, x64_mem(X64_R8, (int32_t)size - 1));
    x64_mov_rr(e, 8, X64_R10, X64_R8);
    x64_shift_ri(e, X64_SHR, 8, X64_R10, 12 - 5);   /* page number * sizeof(TlbEntry) */
    x64_alu_ri(e, X64_AND, 4, X64_R10, (TLB_ENTRIES - 1) << 5);
    x64_alu_ri(e, X64_AND, 8, X64_R9, (int32_t)TLB_PAGE_MASK);
    x64_alu_rm(e, X64_CMP, 8, X64_R9,
               x64_mem_idx(X64_R12, X64_R10, 1, slot + (int32_t)offsetof(TlbEntry, tag[acc])));
    NativeSlow *s = &nc->slow[nc->nslow++];
    s->field = x64_jcc(e, X64_CC_NE, x64_pc(e));
    s->insn = i;
    s->counted = nc->counted;
    s->rip = rip;
    s->save_flags = save_flags;
    s->target_in_r9 = false;
    rc_snapshot(nc, s->map_jump, &s->dirty_jump);
    x64_alu_rm(e, X64_ADD, 8, X64_R8,
               x64_mem_idx(X64_R12, X64_R10, 1, slot + (int32_t)offsetof(TlbEntry, addend)));
}

/* A TLB lookup at r8 with the guest flags kept: the lookup clobbers
 * RFLAGS, so flags there are captured into ax first (once: ax keeps them
 * until an instruction writes flags), where the slow path finds them; the
 * next instruction that reads them restores them (flags_to_host_nc). */
static void tlb_keep_flags(NativeCtx *nc, unsigned size, int acc, unsigned i, uint64_t rip)
{
    if (nc->flags_in_host && !nc->flags_in_ax) {
        flags_capture(nc->e);
        nc->flags_in_ax = true;
    }
    emit_tlb(nc, size, acc, i, rip, nc->flags_in_ax);
    nc->flags_in_host = false;
}

/* ---- operands ------------------------------------------------------------ */

/* A host register (a cached guest register), the guest memory operand at
 * [r8], or an immediate. */
typedef struct Opnd {
    int kind;         /* OPND_REG, OPND_MEM, OPND_IMM */
    int reg;
    int64_t v;
} Opnd;
enum { OPND_REG, OPND_MEM, OPND_IMM };

/* Guest register numbers of the operands (AH..BH never get here). */
static int g_reg(const Insn *in, unsigned size) { return size == 1 ? in->reg8 : in->reg; }
static int g_rm(const Insn *in, unsigned size) { return size == 1 ? in->rm8 : in->rm; }

static Opnd op_reg(int h) { return (Opnd){ OPND_REG, h, 0 }; }
static Opnd op_imm(int64_t v) { return (Opnd){ OPND_IMM, 0, v }; }
static Opnd op_mem(void) { return (Opnd){ OPND_MEM, 0, 0 }; }
static const X64Mem at_r8 = { X64_R8, X64_NOREG, 1, 0 };

enum { OPK_ALU, OPK_TEST, OPK_MOV };

/* d op= s, d = s (MOV), or the flags of d & s (TEST).  d is a register or
 * [r8]; never both memory. */
static void emit_binop(X64 *e, int opk, X64Alu alu, unsigned size, Opnd d, Opnd s, bool lock)
{
    if (s.kind == OPND_IMM && opk == OPK_MOV && d.kind == OPND_REG) {
        x64_mov_ri(e, size, d.reg, (uint64_t)s.v);   /* size 4 zero-extends */
        return;
    }
    if (s.kind == OPND_IMM && size == 8 && (int64_t)(int32_t)s.v != s.v) {
        x64_mov_ri(e, 8, X64_R9, (uint64_t)s.v);
        s = op_reg(X64_R9);
    }
    if (lock)
        x64_lock(e);
    if (d.kind == OPND_REG) {
        if (s.kind == OPND_IMM) {
            if (opk == OPK_TEST)
                x64_test_ri(e, size, d.reg, (int32_t)s.v);
            else
                x64_alu_ri(e, alu, size, d.reg, (int32_t)s.v);
        } else if (s.kind == OPND_REG) {
            if (opk == OPK_TEST)
                x64_test_rr(e, size, d.reg, s.reg);
            else if (opk == OPK_MOV)
                x64_mov_rr(e, size, d.reg, s.reg);
            else
                x64_alu_rr(e, alu, size, d.reg, s.reg);
        } else {
            if (opk == OPK_TEST)
                x64_test_mr(e, size, at_r8, d.reg);
            else if (opk == OPK_MOV)
                x64_mov_rm(e, size, d.reg, at_r8);
            else
                x64_alu_rm(e, alu, size, d.reg, at_r8);
        }
    } else if (s.kind == OPND_IMM) {
        if (opk == OPK_TEST)
            x64_test_mi(e, size, at_r8, (int32_t)s.v);
        else if (opk == OPK_MOV)
            x64_mov_mi(e, size, at_r8, (int32_t)s.v);
        else
            x64_alu_mi(e, alu, size, at_r8, (int32_t)s.v);
    } else {
        if (opk == OPK_TEST)
            x64_test_mr(e, size, at_r8, s.reg);
        else if (opk == OPK_MOV)
            x64_mov_mr(e, size, at_r8, s.reg);
        else
            x64_alu_mr(e, alu, size, at_r8, s.reg);
    }
}

/* INC, DEC, NOT, NEG, or a shift (by count, or by CL when count is 0) of
 * a register or [r8]. */
static void emit_unary(X64 *e, Opnd d, unsigned size, bool lock, int shift, uint8_t count, X64Unary u)
{
    if (lock)
        x64_lock(e);
    if (shift >= 0 && count) {
        if (d.kind == OPND_REG)
            x64_shift_ri(e, (X64Shift)shift, size, d.reg, count);
        else
            x64_shift_mi(e, (X64Shift)shift, size, at_r8, count);
    } else if (shift >= 0) {
        if (d.kind == OPND_REG)
            x64_shift_rcl(e, (X64Shift)shift, size, d.reg);
        else
            x64_shift_mcl(e, (X64Shift)shift, size, at_r8);
    } else if (d.kind == OPND_REG) {
        x64_unary_r(e, u, size, d.reg);
    } else {
        x64_unary_m(e, u, size, at_r8);
    }
}

/* ---- loops: a trace that branches back to its head ----------------------- */

/* The guest GPRs the trace's native candidates use, by how often (table
 * operand roles, implicit registers, addresses): the registers a loop
 * keeps in host registers from one iteration to the next. */
static void count_uses(const Trace *t, unsigned uses[16])
{
    for (int r = 0; r < 16; r++)
        uses[r] = 0;
    for (unsigned i = 0; i < t->n; i++) {
        const Insn *in = t->insn[i];
        const FormInfo *f = &form_info[in->form];
        if (kind_of(in) == K_NONE)
            continue;
        unsigned imp = form_gprs_read(f) | form_gprs_written(f);
        for (int r = 0; r < 16; r++)
            uses[r] += imp >> r & 1;
        unsigned size = in->osz;
        if (form_reg_kind(f) == OK_GPR && g_reg(in, size) < 16)
            uses[g_reg(in, size)]++;
        if (in->flags & IF_MEM) {
            if (!(in->flags & IF_RIPREL) && in->base != REG_NONE)
                uses[in->base]++;
            if (in->index != REG_NONE)
                uses[in->index]++;
        } else if (form_rm_kind(f) == OK_GPR && g_rm(in, size) < 16) {
            uses[g_rm(in, size)]++;
        }
    }
}

void native_loop_preload(NativeCtx *nc, int8_t loop_map[16])
{
    unsigned uses[16];
    count_uses(nc->t, uses);
    rc_reset(nc);
    for (int p = 0; p < NPOOL; p++) {
        int best = -1;
        for (int r = 0; r < 16; r++)
            if (uses[r] && nc->host_of[r] < 0 && (best < 0 || uses[r] > uses[best]))
                best = r;
        if (best < 0)
            break;
        x64_mov_rm(nc->e, 8, pool[p], GREG_AT(best));
        nc->host_of[best] = pool[p];
        nc->last_use[best] = ++nc->clock;
    }
    rc_snapshot(nc, loop_map, NULL);
}

void native_loop_reload(NativeCtx *nc, const int8_t *now, const int8_t *loop_map)
{
    if (!now)
        now = nc->host_of;
    for (int r = 0; r < 16; r++)
        if (loop_map[r] >= 0 && now[r] != loop_map[r])
            x64_mov_rm(nc->e, 8, loop_map[r], GREG_AT(r));
}

/* ---- the forms ------------------------------------------------------------ */

/* The access a memory operand makes, or -1 (none, or LEA): ACC_WRITE for
 * anything that writes (a write-tag hit allows the read of a
 * read-modify-write too), else ACC_READ. */
static int mem_access(int k, const Insn *in)
{
    if (!(in->flags & IF_MEM) || k == K_LEA || k == K_NOP)
        return -1;
    const FormInfo *f = &form_info[in->form];
    unsigned role = form_rm_role(f);
    if (role == OR_NONE)   /* MOV moffs: the memory operand is the table's O_rMEM/O_wMEM */
        return form_writes_mem(f) ? ACC_WRITE : ACC_READ;
    return role == OR_W || role == OR_RW ? ACC_WRITE : ACC_READ;
}

/* The bytes of memory the form accesses. */
static unsigned mem_size(int k, const Insn *in)
{
    if (k == K_MOVZX || k == K_MOVSX)
        return (in->opc & 1) ? 2 : 1;
    if (k == K_MOVSXD)
        return in->osz == 8 ? 4 : in->osz;
    if (k == K_SETCC)
        return 1;
    return in->osz;
}

static unsigned shift_count(const Insn *in)
{
    unsigned c = (in->opc == 0xd0 || in->opc == 0xd1) ? 1 : (unsigned)in->imm & 0xff;
    return c & (in->osz == 8 ? 63 : 31);
}

/* A byte operand AH..BH lives in bits 8..15 of a guest register: left to
 * the handlers. */
static bool high_byte(const Insn *in, int k)
{
    bool e_reg = !(in->flags & IF_MEM) && k != K_MOV_AO && k != K_MOV_OA && k != K_ALU_AI && k != K_TEST_AI;
    if (k == K_MOVZX || k == K_MOVSX)   /* the source is the byte */
        return mem_size(k, in) == 1 && e_reg && in->rm8 >= 16;
    if (in->osz != 1 && k != K_SETCC)
        return false;
    /* ModRM.reg names a register only in the E,G and G,E forms; elsewhere
     * it is an opcode extension (AND Eb,Ib is /4, not AH). */
    bool g = k == K_ALU_EG || k == K_ALU_GE || k == K_TEST_EG || k == K_MOV_EG || k == K_MOV_GE;
    return (g && in->reg8 >= 16) || (e_reg && in->rm8 >= 16);
}

/* A direct branch's targets must be valid wherever the block runs: any in
 * flat 32-bit code (CS limit 4 GiB), canonical ones in 64-bit code (a RET
 * checks its own). */
static bool targets_valid(const Insn *in, uint64_t rip, bool flat)
{
    uint64_t next = rip + in->len, t = next + in->imm;
    if (!flat)
        return false;
    return !(in->code_mode == CODE64 && in->osz == 8 && (!is_canonical(t) || !is_canonical(next)));
}

int native_inner_branch(const Insn *in, uint64_t rip, bool flat)
{
    int k = kind_of(in);
    if ((k != K_JCC && k != K_JMP) || (form_info[in->form].attrs & A_SENS) || !targets_valid(in, rip, flat))
        return IB_NONE;
    return k == K_JCC ? IB_COND : IB_JUMP;
}

/* Can instruction i be native here?  Decided before anything is emitted. */
static bool native_ok(const NativeCtx *nc, unsigned i, int k)
{
    const Insn *in = nc->t->insn[i];
    const FormInfo *f = &form_info[in->form];
    if (k == K_NONE || (f->attrs & A_SENS) || high_byte(in, k))
        return false;

    if ((in->flags & IF_MEM) && k != K_NOP && !mem_ok(nc, in))
        return false;
    if (k >= K_PUSH && k != K_JCC && k != K_JMP && !stack_ok(nc))
        return false;
    if ((in->flags & IF_LOCK) && (!(in->flags & IF_MEM) ||
                                  !(k == K_ALU_EG || k == K_ALU_EI || k == K_INCDEC || k == K_NOTNEG)))
        return false;
    /* Undefined flags: the host's values must not be seen (AF of the logic
     * ops excepted: both vendors and tier 0 clear it) ... */
    uint32_t undef = flags_undefined(in, k);
    /* ... unless this host was found to compute them as tier 0 does. */
    int probe = k == K_SHIFT_I ? PROBE_SHIFT_I : k == K_SHIFT_CL ? PROBE_SHIFT_CL
              : k == K_IMUL2 ? PROBE_IMUL2 : k == K_IMUL3 ? PROBE_IMUL3 : -1;
    unsigned ext = probe == PROBE_SHIFT_I || probe == PROBE_SHIFT_CL ? (in->modrm >> 3) & 7 : 0;
    if (probe >= 0 && (nc->undef_ok[probe][ext] >> __builtin_ctz(in->osz) & 1))
        undef = 0;
    if (undef & nc->live[i + 1])
        return false;
    if (k == K_SHIFT_I && shift_count(in) == 0)
        return false;   /* count 0: nothing happens, the handler does it */
    if (k >= K_JCC) {
        if (i + 1 != nc->t->n && nc->t->cont[i] < 0)
            return false;
        if (k != K_RET && !targets_valid(in, nc->t->rip[i], nc->flat))
            return false;
        if (k == K_RET && !nc->flat)
            return false;
    }
    return true;
}

static uint64_t insn_rip(const NativeCtx *nc, unsigned i) { return nc->t->rip[i]; }

/* Dirty: guest r was written (its host register is newer than the CPU). */
static void rc_wrote(NativeCtx *nc, int r) { nc->dirty |= (uint16_t)(1u << r); }

/* The join of a slow path: the register cache there, for its reloads. */
static void slow_join(NativeCtx *nc, unsigned first)
{
    for (unsigned s = first; s < nc->nslow; s++) {
        nc->slow[s].join = x64_len(nc->e);
        rc_snapshot(nc, nc->slow[s].map_join, NULL);
    }
}

/* Emits instruction i natively; false leaves it to a handler. */
bool native_emit(NativeCtx *nc, unsigned i)
{
    const Insn *in = nc->t->insn[i];
    X64 *e = nc->e;
    int k = kind_of(in);
    if (k >= K_JCC || !native_ok(nc, i, k)) {
        if (form_info[in->form].attrs & A_SEGLD)
            nc->segs_changed = true;   /* the segments may no longer be flat */
        return false;   /* (a branch ending the block: native_branch) */
    }
    uint64_t rip = insn_rip(nc, i);
    unsigned size = in->osz;
    uint32_t need = needs_flags(in, k, nc->live[i + 1]);
    int acc = mem_access(k, in);
    unsigned first_slow = nc->nslow;
    nc->pinned = 0;
    /* A reader gets the flags now if they are only in the CPU (that may
     * call a function, which must not come between the TLB lookup and
     * the access), after the lookup if they are in ax. */
    if (need && !nc->flags_in_ax)
        flags_to_host_nc(nc);
    if (k == K_PUSH || k == K_PUSHI || k == K_POP) {
        emit_stack_addr(nc, in, k == K_POP ? 0 : (int)size, k == K_POP ? (int)size : 0);
        int v = k == K_PUSH ? rc_use(nc, in->rm) : -1;
        tlb_keep_flags(nc, size, k == K_POP ? ACC_READ : ACC_WRITE, i, rip);
        unsigned w = in->code_mode == CODE64 ? 8 : 4;
        int sp = rc_use(nc, R_SP);
        if (k == K_POP) {
            x64_mov_rm(e, size, X64_R10, at_r8);
            x64_mov_rr(e, w, sp, X64_RCX);
            int d = rc_def(nc, in->rm, size);
            x64_mov_rr(e, size, d, X64_R10);
            rc_wrote(nc, in->rm);
        } else {
            if (k == K_PUSH)
                x64_mov_mr(e, size, at_r8, v);
            else
                emit_binop(e, OPK_MOV, X64_ADD, size, op_mem(), op_imm((int64_t)in->imm), false);
            x64_mov_rr(e, w, sp, X64_RCX);
        }
        rc_wrote(nc, R_SP);
        slow_join(nc, first_slow);
        return true;
    }
    if (acc >= 0) {
        emit_lin(nc, in, rip, true);
        tlb_keep_flags(nc, mem_size(k, in), acc, i, rip);
    }
    if (need)
        flags_to_host_nc(nc);
    bool mem = (in->flags & IF_MEM) != 0;
    int rm = g_rm(in, size), reg = g_reg(in, size);
    bool lock = (in->flags & IF_LOCK) != 0;
    unsigned ext = (in->modrm >> 3) & 7;
    X64Alu op = (X64Alu)(in->opc >> 3 & 7);
    Opnd imm = op_imm((int64_t)in->imm);
    /* E and G as operands; a destination register is marked written. */
#define OPE() (mem ? op_mem() : op_reg(rc_use(nc, rm)))
#define OPG() op_reg(rc_use(nc, reg))
    switch (k) {
    case K_ALU_EG: case K_ALU_GE: case K_ALU_EI: case K_ALU_AI: {
        X64Alu a = k == K_ALU_EI ? (X64Alu)ext : op;
        Opnd d = k == K_ALU_GE ? OPG() : k == K_ALU_AI ? op_reg(rc_use(nc, R_AX)) : OPE();
        Opnd s = k == K_ALU_EG ? OPG() : k == K_ALU_GE ? OPE() : imm;
        emit_binop(e, OPK_ALU, a, size, d, s, lock && k != K_ALU_GE);
        if (a != X64_CMP && d.kind == OPND_REG)
            rc_wrote(nc, k == K_ALU_GE ? reg : k == K_ALU_AI ? R_AX : rm);
        break;
    }
    case K_TEST_EG: emit_binop(e, OPK_TEST, X64_AND, size, OPE(), OPG(), false); break;
    case K_TEST_EI: emit_binop(e, OPK_TEST, X64_AND, size, OPE(), imm, false); break;
    case K_TEST_AI: emit_binop(e, OPK_TEST, X64_AND, size, op_reg(rc_use(nc, R_AX)), imm, false); break;
    case K_MOV_EG: {
        /* The source first: with rm == reg, rc_def must find it loaded. */
        Opnd s = OPG();
        emit_binop(e, OPK_MOV, X64_ADD, size, mem ? op_mem() : op_reg(rc_def(nc, rm, size)), s, false);
        if (!mem)
            rc_wrote(nc, rm);
        break;
    }
    case K_MOV_GE: {
        Opnd s = OPE();
        emit_binop(e, OPK_MOV, X64_ADD, size, op_reg(rc_def(nc, reg, size)), s, false);
        rc_wrote(nc, reg);
        break;
    }
    case K_MOV_EI:
        emit_binop(e, OPK_MOV, X64_ADD, size, mem ? op_mem() : op_reg(rc_def(nc, rm, size)), imm, false);
        if (!mem)
            rc_wrote(nc, rm);
        break;
    case K_MOV_ZI: emit_binop(e, OPK_MOV, X64_ADD, size, op_reg(rc_def(nc, rm, size)), imm, false); rc_wrote(nc, rm); break;
    case K_MOV_AO: emit_binop(e, OPK_MOV, X64_ADD, size, op_reg(rc_def(nc, R_AX, size)), op_mem(), false); rc_wrote(nc, R_AX); break;
    case K_MOV_OA: emit_binop(e, OPK_MOV, X64_ADD, size, op_mem(), op_reg(rc_use(nc, R_AX)), false); break;
    case K_NOP: break;
    case K_XCHG_ZA: {
        /* (XCHG eAX, eAX is NOP: no zero-extension in 64-bit code) */
        int a = rc_use(nc, R_AX), b = rc_use(nc, in->rm);
        x64_xchg_rr(e, size, a, b);
        rc_wrote(nc, R_AX);
        rc_wrote(nc, in->rm);
        break;
    }
    case K_LEA: {
        /* The offset, no segment base; computed at the address size, then
         * cut to the operand size (LEA of a 64-bit host adds in 64 bits:
         * the low 32 or 16 bits are the same). */
        int base = in->base != REG_NONE ? rc_use(nc, in->base) : X64_NOREG;
        int index = in->index != REG_NONE ? rc_use(nc, in->index) : X64_NOREG;
        int d = rc_def(nc, in->reg, size);
        unsigned ls = size == 8 && in->asz == 4 ? 4 : size;
        if (in->flags & IF_RIPREL) {
            uint64_t a = rip + in->len + (uint64_t)in->disp;
            x64_mov_ri(e, ls, d, in->asz == 4 ? (uint32_t)a : a);
        } else if (base == X64_NOREG && index == X64_NOREG) {
            x64_mov_ri(e, ls, d, in->asz == 4 ? (uint32_t)in->disp : (uint64_t)in->disp);
        } else {
            x64_lea(e, ls, d, x64_mem_idx(base, index, 1u << in->scale, (int32_t)in->disp));
        }
        rc_wrote(nc, in->reg);
        break;
    }
    case K_INCDEC: {
        bool dec = form_info[in->form].modrm == M_OPREG ? (in->opc & 8) != 0 : ext == 1;
        emit_unary(e, OPE(), size, lock, -1, 0, dec ? X64_DEC : X64_INC);
        if (!mem)
            rc_wrote(nc, rm);
        break;
    }
    case K_NOTNEG:
        emit_unary(e, OPE(), size, lock, -1, 0, ext == 2 ? X64_NOT : X64_NEG);
        if (!mem)
            rc_wrote(nc, rm);
        break;
    case K_SHIFT_I:
        emit_unary(e, OPE(), size, false, (int)ext, (uint8_t)shift_count(in), X64_NOT);
        if (!mem)
            rc_wrote(nc, rm);
        break;
    case K_SHIFT_CL: {
        /* The count is the guest's CL; a count of 0 leaves flags and value
         * (a 4-byte register is still zero-extended, as by the host). */
        Opnd d = OPE();
        x64_mov_rr(e, 4, X64_RCX, rc_use(nc, R_CX));
        emit_unary(e, d, size, false, (int)ext, 0, X64_NOT);
        if (!mem)
            rc_wrote(nc, rm);
        break;
    }
    case K_IMUL2: case K_IMUL3: {
        Opnd s = OPE();
        int d = k == K_IMUL3 ? rc_def(nc, reg, size) : rc_use(nc, reg);
        if (k == K_IMUL2) {
            if (s.kind == OPND_REG)
                x64_imul_rr(e, size, d, s.reg);
            else
                x64_imul_rm(e, size, d, at_r8);
        } else if (s.kind == OPND_REG) {
            x64_imul_rri(e, size, d, s.reg, (int32_t)in->imm);
        } else {
            x64_imul_rmi(e, size, d, at_r8, (int32_t)in->imm);
        }
        rc_wrote(nc, reg);
        break;
    }
    case K_SETCC:
        if (mem) {
            x64_setcc_m(e, (X64Cond)(in->opc & 15), at_r8);
        } else {
            x64_setcc_r(e, (X64Cond)(in->opc & 15), rc_use(nc, rm));
            rc_wrote(nc, rm);
        }
        break;
    case K_CMOVCC: {
        /* The source is read whatever the condition; a 4-byte destination
         * is zero-extended either way, as the host does it. */
        Opnd s = OPE();
        int d = rc_use(nc, reg);
        if (s.kind == OPND_REG)
            x64_cmov_rr(e, (X64Cond)(in->opc & 15), size, d, s.reg);
        else
            x64_cmov_rm(e, (X64Cond)(in->opc & 15), size, d, at_r8);
        rc_wrote(nc, reg);
        break;
    }
    case K_MOVSXD:
        if (size != 8) {   /* without REX.W: a plain move */
            emit_binop(e, OPK_MOV, X64_ADD, size, OPG(), OPE(), false);
            rc_wrote(nc, reg);
            break;
        }
        /* fall through */
    case K_MOVZX: case K_MOVSX: {
        unsigned ss = mem_size(k, in);
        int src = mem ? -1 : rc_use(nc, in->rm);
        int d = rc_def(nc, reg, size);
        bool sx = k != K_MOVZX;
        if (ss >= size) {   /* MOVZX/MOVSX r16, r/m16: a plain 16-bit move */
            if (src < 0)
                x64_mov_rm(e, size, d, at_r8);
            else
                x64_mov_rr(e, size, d, src);
        } else if (src < 0) {
            if (sx)
                x64_movsx_rm(e, size, d, ss, at_r8);
            else
                x64_movzx_rm(e, size, d, ss, at_r8);
        } else if (sx) {
            x64_movsx_rr(e, size, d, ss, src);
        } else {
            x64_movzx_rr(e, size, d, ss, src);
        }
        rc_wrote(nc, reg);
        break;
    }
    default:
        return false;
    }
#undef OPE
#undef OPG
    if (flags_written(in)) {
        nc->flags_in_host = true;
        nc->flags_in_ax = false;
    }
    slow_join(nc, first_slow);
    return true;
}

/* The block's last instruction as a native branch: Jcc on the host flags
 * (captured in ax for the exits first), JMP and CALL rel (the return
 * address pushed inline), RET (the target popped into r9).  The guest
 * registers are back in the CPU before it leaves. */
int native_branch(NativeCtx *nc, unsigned i, int *cc)
{
    const Insn *in = nc->t->insn[i];
    X64 *e = nc->e;
    int k = kind_of(in);
    if (k < K_JCC || !native_ok(nc, i, k))
        return NB_NONE;
    uint64_t rip = insn_rip(nc, i);
    unsigned first_slow = nc->nslow;
    nc->pinned = 0;
    *cc = -1;
    if (k == K_JCC) {
        flags_to_host_nc(nc);
        if (!nc->flags_in_ax)
            flags_capture(e);
        nc->flags_in_ax = true;
        rc_flush(nc);
        *cc = in->opc & 15;
        return NB_DIRECT;
    }
    flags_to_cpu_nc(nc);
    if (k == K_JMP) {
        rc_flush(nc);
        return NB_DIRECT;
    }
    unsigned size = in->osz, w = in->code_mode == CODE64 ? 8 : 4;
    if (k == K_CALL) {
        emit_stack_addr(nc, in, (int)size, 0);
        emit_tlb(nc, size, ACC_WRITE, i, rip, false);
        x64_mov_ri(e, 8, X64_R9, rip + in->len);
        x64_mov_mr(e, size, at_r8, X64_R9);
        x64_mov_rr(e, w, rc_use(nc, R_SP), X64_RCX);
        rc_wrote(nc, R_SP);
        slow_join(nc, first_slow);
        rc_flush(nc);
        return NB_DIRECT;
    }
    /* RET [imm16]: the target is checked (wrapped to the operand size,
     * canonical) before anything changes; a bad one is the slow path's
     * (the handler raises #GP). */
    emit_stack_addr(nc, in, 0, (int)size + (in->opc == 0xc2 ? (int)in->imm : 0));
    emit_tlb(nc, size, ACC_READ, i, rip, false);
    if (size == 2)
        x64_movzx_rm(e, 4, X64_R9, 2, at_r8);
    else
        x64_mov_rm(e, size, X64_R9, at_r8);
    if (size == 8) {
        x64_mov_rr(e, 8, X64_R10, X64_R9);
        x64_shift_ri(e, X64_SHL, 8, X64_R10, 16);
        x64_shift_ri(e, X64_SAR, 8, X64_R10, 16);
        x64_alu_rr(e, X64_CMP, 8, X64_R10, X64_R9);
        NativeSlow *s2 = &nc->slow[nc->nslow++];
        *s2 = nc->slow[nc->nslow - 2];
        s2->field = x64_jcc(e, X64_CC_NE, x64_pc(e));
    }
    x64_mov_rr(e, w, rc_use(nc, R_SP), X64_RCX);
    rc_wrote(nc, R_SP);
    slow_join(nc, first_slow);
    for (unsigned s = first_slow; s < nc->nslow; s++)
        nc->slow[s].target_in_r9 = true;
    rc_flush(nc);
    return NB_INDIRECT;
}

void native_exit_flags(NativeCtx *nc)
{
    if (nc->flags_in_ax)   /* (a Jcc's capture) */
        flags_merge(nc->e);
}

/* Slow path, before the handler: flags saved in ah/al (LAHF: SF ZF - AF -
 * PF - CF; SETO: OF) as the LF_HOST record; the registers written
 * so far into the CPU. */
void native_slow_flags_in(NativeCtx *nc, const NativeSlow *s)
{
    X64 *e = nc->e;
    for (int r = 0; r < 16; r++)
        if (s->map_jump[r] >= 0 && (s->dirty_jump >> r & 1))
            x64_mov_mr(e, 8, GREG_AT(r), s->map_jump[r]);
    if (s->save_flags)
        flags_merge(e);   /* from ah/al, as flags_capture leaves them */
}

/* After it: the flags where the fast path leaves them (in the host if it
 * had them there or the instruction wrote them), and the registers the
 * fast path has cached at the join loaded again (the handler may have
 * written them). */
void native_slow_flags_out(NativeCtx *nc, const NativeSlow *s)
{
    if (flags_written(nc->t->insn[s->insn]) || s->save_flags)
        flags_to_host(nc->e);
    for (int r = 0; r < 16; r++)
        if (s->map_join[r] >= 0)
            x64_mov_rm(nc->e, 8, s->map_join[r], GREG_AT(r));
}

/* A Jcc inside the trace: the guest flags into the host if they are not
 * there, then one jcc to the side exit; the trace goes on with the flags
 * and the register cache as they are. */
void native_side_jump(NativeCtx *nc, unsigned i, NativeSide *side)
{
    const Insn *in = nc->t->insn[i];
    flags_to_host_nc(nc);
    X64Cond taken = (X64Cond)(in->opc & 15);
    /* cont 0: the trace goes on when taken, so it leaves when not */
    X64Cond leave = nc->t->cont[i] == 0 ? (X64Cond)(taken ^ 1) : taken;
    side->field = x64_jcc(nc->e, leave, x64_pc(nc->e));
    side->insn = i;
    side->flags_in_ax = nc->flags_in_ax;
    rc_snapshot(nc, side->map, &side->dirty);
}

void native_side_exit(NativeCtx *nc, const NativeSide *side)
{
    if (side->flags_in_ax)
        flags_merge(nc->e);
    else
        flags_to_cpu(nc->e);
    for (int r = 0; r < 16; r++)
        if (side->map[r] >= 0 && (side->dirty >> r & 1))
            x64_mov_mr(nc->e, 8, GREG_AT(r), side->map[r]);
}

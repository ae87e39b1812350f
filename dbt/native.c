/* native.c — direct execution: a guest instruction re-encoded as the same
 * host instruction (native.h).
 *
 * Conventions inside a block (docs/tier1.md):
 *   rbx    the CPU; guest GPRs stay in cpu->regs, so a guest register is
 *          the host memory operand [rbx + 8*r] (AH..BH: + 1) and needs no
 *          spilling before a helper or at a fault
 *   r12    the TLB (cpu->tlb, attached before translated code runs)
 *   r8     a memory operand's address: linear, then host after the TLB
 *   rax    the guest flags saved by LAHF/SETO around a TLB lookup
 *   rcx, rdx, r9, r10  scratch
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

#include "native.h"
#include "probe.h"
#include "../cpu/operand.h"
#include "../softmmu/tlb.h"

#define FL_ALL F_OSZAPC
#define GREG_AT(r) x64_mem(X64_RBX, (int32_t)((r) < 16 ? 8 * (r) : 8 * ((r) - 16) + 1))
#define CPU_AT(field) x64_mem(X64_RBX, (int32_t)offsetof(CPU, field))

/* What native emission knows of a form, from the table's map/opcode/ext. */
enum {
    K_NONE, K_ALU_EG, K_ALU_GE, K_ALU_EI, K_ALU_AI, K_TEST_EG, K_TEST_EI, K_TEST_AI,
    K_MOV_EG, K_MOV_GE, K_MOV_EI, K_MOV_ZI, K_LEA, K_INCDEC, K_NOTNEG, K_SETCC, K_CMOVCC,
    K_MOVZX, K_MOVSX, K_MOVSXD, K_SHIFT_I, K_SHIFT_CL, K_IMUL2, K_IMUL3,
    K_PUSH, K_PUSHI, K_POP,
    K_JCC, K_JMP, K_CALL, K_RET,   /* branches: only as the block's end (native_branch) */
};

static int kind_of(const Insn *in)
{
    const FormInfo *f = &form_info[in->form];
    unsigned op = f->opc, ext = (in->modrm >> 3) & 7;
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

/* Flags the host must hold the guest's values of before the instruction:
 * those it reads, and those a partial writer leaves for later readers. */
static uint32_t needs_flags(const Insn *in, int k, uint32_t live_after)
{
    uint32_t w = flags_written(in);
    return flags_read(in, k) | (w ? FL_ALL & ~w & live_after : 0);
}

/* Liveness: live[i] = the flags instruction i or later ones may read
 * before writing them.  What is not native reads all flags (a handler, a
 * possible fault, the exit), and so does a native memory operand (it may
 * fault). */
static void liveness(NativeCtx *nc)
{
    const Block *b = nc->b;
    uint32_t live = FL_ALL;
    nc->live[b->ninsns] = live;
    for (int i = (int)b->ninsns - 1; i >= 0; i--) {
        const Insn *in = &b->insns[i];
        int k = kind_of(in);
        if (k == K_NONE || (in->flags & IF_MEM) || k >= K_PUSH)
            live = FL_ALL;
        else
            live = (live & ~flags_written(in)) | flags_read(in, k);
        nc->live[i] = live;
    }
}

void native_begin(NativeCtx *nc, X64 *e, const Block *b, const uint8_t (*undef_ok)[8])
{
    nc->undef_ok = undef_ok;
    nc->e = e;
    nc->b = b;
    nc->flags_in_host = false;
    nc->segs_changed = false;
    nc->nslow = 0;
    nc->flat = b->insns[0].code_mode == CODE64 || (b->key & MODE_KEY_FLAT);
    liveness(nc);
}

/* ---- flags between host RFLAGS and the CPU's form ------------------------ */

/* Host RFLAGS -> the CPU's documented form (eflags, lazy record empty),
 * in two halves: the capture into rcx leaves RFLAGS as it was. */
static void flags_capture(X64 *e)
{
    x64_plain(e, X64_PUSHFQ);
    x64_pop_r(e, X64_RCX);
}

static void flags_merge(X64 *e)
{
    x64_alu_ri(e, X64_AND, 4, X64_RCX, FL_ALL);
    x64_alu_mi(e, X64_AND, 4, CPU_AT(eflags), (int32_t)~FL_ALL);
    x64_alu_mr(e, X64_OR, 4, CPU_AT(eflags), X64_RCX);
    x64_mov_mi(e, 1, CPU_AT(lf.op), LF_NONE);
}

static void flags_to_cpu(X64 *e)
{
    flags_capture(e);
    flags_merge(e);
}

/* The CPU's flags -> host RFLAGS: OSZAPC only, so the guest's TF or DF
 * never reach the host. */
static uint64_t host_flags(CPU *cpu) { return (cpu_get_eflags(cpu) & FL_ALL) | 2; }

static void flags_to_host(X64 *e)
{
    x64_mov_rr(e, 8, X64_RDI, X64_RBX);
    x64_call_abs(e, (const void *)host_flags);
    x64_push_r(e, X64_RAX);
    x64_plain(e, X64_POPFQ);
}

void native_sync(NativeCtx *nc)
{
    if (nc->flags_in_host)
        flags_to_cpu(nc->e);
    nc->flags_in_host = false;
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
    return in->seg == S_DS || in->seg == S_ES || in->seg == S_SS;
}

/* The stack takes the inline path in 64-bit code, and in flat 32-bit code
 * with a 32-bit stack (SS.B, in the mode key). */
static bool stack_ok(const NativeCtx *nc)
{
    const Insn *in0 = &nc->b->insns[0];
    return nc->flat && !nc->segs_changed &&
           (in0->code_mode == CODE64 || (nc->b->key >> 41 & 1));
}

/* r8 = rSP + delta wrapped to the stack's size, r11 = the same (the new
 * rSP of a push; the address of a pop, r11 then rSP + delta). */
static void emit_stack_addr(X64 *e, const Insn *in, int push_size, int pop_size)
{
    unsigned w = in->code_mode == CODE64 ? 8 : 4;
    x64_mov_rm(e, w, X64_R8, GREG_AT(R_SP));
    if (push_size)
        x64_lea(e, w, X64_R8, x64_mem(X64_R8, -push_size));
    x64_lea(e, w, X64_R11, x64_mem(X64_R8, pop_size));
}

/* r8 = the memory operand's offset (with_seg: its linear address; only FS
 * and GS have a base in flat code). */
static void emit_lin(X64 *e, const Insn *in, uint64_t rip, bool with_seg)
{
    bool a32 = in->asz == 4;
    if (in->flags & IF_RIPREL) {
        uint64_t a = rip + in->len + (uint64_t)in->disp;
        x64_mov_ri(e, 8, X64_R8, a32 ? (uint32_t)a : a);
    } else if (in->base == REG_NONE && in->index == REG_NONE) {
        x64_mov_ri(e, 8, X64_R8, a32 ? (uint32_t)in->disp : (uint64_t)in->disp);
    } else {
        int base = X64_NOREG, index = X64_NOREG;
        if (in->base != REG_NONE) {
            x64_mov_rm(e, 8, X64_R8, GREG_AT(in->base));
            base = X64_R8;
        }
        if (in->index != REG_NONE) {
            x64_mov_rm(e, 8, X64_R9, GREG_AT(in->index));
            index = X64_R9;
        }
        x64_lea(e, a32 ? 4 : 8, X64_R8, x64_mem_idx(base, index, 1u << in->scale, (int32_t)in->disp));
    }
    if (with_seg && in->code_mode == CODE64 && (in->seg == S_FS || in->seg == S_GS)) {
        x64_mov_rm(e, 8, X64_R9, x64_mem(X64_RBX, (int32_t)offsetof(CPU, seg[in->seg].base)));
        x64_lea(e, a32 ? 4 : 8, X64_R8, x64_mem_idx(X64_R8, X64_R9, 1, 0));
    }
}

/* The TLB lookup: r8 linear -> host address, or a jump to the slow path
 * (recorded in nc->slow). */
static void emit_tlb(NativeCtx *nc, unsigned size, int acc, unsigned i, uint64_t rip, bool save_flags)
{
    X64 *e = nc->e;
    bool user = (nc->b->key >> 2 & 3) == 3;
    int32_t slot = (int32_t)offsetof(Tlb, e[user][0]);
    x64_lea(e, 8, X64_R9, x64_mem(X64_R8, (int32_t)size - 1));
    x64_mov_rr(e, 8, X64_R10, X64_R9);
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
    x64_alu_rm(e, X64_ADD, 8, X64_R8,
               x64_mem_idx(X64_R12, X64_R10, 1, slot + (int32_t)offsetof(TlbEntry, addend)));
}

/* ---- operands ------------------------------------------------------------ */

/* A guest register slot, the host address in r8 of a guest memory operand,
 * or an immediate.  greg: a 4-byte write must zero-extend. */
typedef struct Opnd {
    bool imm;
    bool greg;
    X64Mem m;
    int64_t v;
} Opnd;

static Opnd op_greg(unsigned r) { return (Opnd){ false, true, GREG_AT(r), 0 }; }
static Opnd op_imm(int64_t v) { return (Opnd){ true, false, { 0, 0, 0, 0 }, v }; }
static Opnd op_host_mem(void) { return (Opnd){ false, false, x64_mem(X64_R8, 0), 0 }; }

static unsigned g_reg(const Insn *in, unsigned size) { return size == 1 ? in->reg8 : in->reg; }
static unsigned g_rm(const Insn *in, unsigned size) { return size == 1 ? in->rm8 : in->rm; }

enum { OPK_ALU, OPK_TEST, OPK_MOV };

/* d op= s, d = s (MOV), or the flags of d & s (TEST). */
static void emit_binop(X64 *e, int opk, X64Alu alu, unsigned size, Opnd d, Opnd s, bool lock)
{
    bool writes = opk == OPK_MOV || (opk == OPK_ALU && alu != X64_CMP);
    int sr = -1;
    if (!s.imm) {
        x64_mov_rm(e, size, X64_RDX, s.m);
        sr = X64_RDX;
    }
    if (writes && d.greg && size == 4) {
        /* A 4-byte register write zero-extends: compute in ecx. */
        if (opk == OPK_MOV) {
            if (sr < 0)
                x64_mov_ri(e, 4, X64_RCX, (uint32_t)s.v);
            else
                x64_mov_rr(e, 4, X64_RCX, sr);
        } else {
            x64_mov_rm(e, 4, X64_RCX, d.m);
            if (sr < 0)
                x64_alu_ri(e, alu, 4, X64_RCX, (int32_t)s.v);
            else
                x64_alu_rr(e, alu, 4, X64_RCX, sr);
        }
        x64_mov_mr(e, 8, d.m, X64_RCX);
        return;
    }
    if (opk == OPK_MOV && sr < 0 && size == 8 && (int64_t)(int32_t)s.v != s.v) {
        x64_mov_ri(e, 8, X64_RDX, (uint64_t)s.v);
        sr = X64_RDX;
    }
    if (lock)
        x64_lock(e);
    if (opk == OPK_TEST) {
        if (sr < 0)
            x64_test_mi(e, size, d.m, (int32_t)s.v);
        else
            x64_test_mr(e, size, d.m, sr);
    } else if (opk == OPK_MOV) {
        if (sr < 0)
            x64_mov_mi(e, size, d.m, (int32_t)s.v);
        else
            x64_mov_mr(e, size, d.m, sr);
    } else {
        if (sr < 0)
            x64_alu_mi(e, alu, size, d.m, (int32_t)s.v);
        else
            x64_alu_mr(e, alu, size, d.m, sr);
    }
}

/* A one-operand read-modify-write (INC, DEC, NOT, NEG, shift by imm) of a
 * guest register or memory. */
static void emit_unary(X64 *e, Opnd d, unsigned size, bool lock, int shift, uint8_t count, X64Unary u)
{
    bool in_reg = d.greg && size == 4;   /* zero-extends: compute in ecx */
    if (in_reg)
        x64_mov_rm(e, 4, X64_RCX, d.m);
    if (lock)
        x64_lock(e);
    if (shift >= 0) {
        if (in_reg)
            x64_shift_ri(e, (X64Shift)shift, 4, X64_RCX, count);
        else
            x64_shift_mi(e, (X64Shift)shift, size, d.m, count);
    } else if (in_reg) {
        x64_unary_r(e, u, 4, X64_RCX);
    } else {
        x64_unary_m(e, u, size, d.m);
    }
    if (in_reg)
        x64_mov_mr(e, 8, d.m, X64_RCX);
}

/* ---- the forms ------------------------------------------------------------ */

/* The access a memory operand makes, or -1 (none, or LEA): ACC_WRITE for
 * anything that writes (a write-tag hit allows the read of a
 * read-modify-write too), else ACC_READ. */
static int mem_access(int k, const Insn *in)
{
    if (!(in->flags & IF_MEM) || k == K_LEA)
        return -1;
    unsigned role = form_rm_role(&form_info[in->form]);
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

/* Can instruction i be native here?  Decided before anything is emitted. */
static bool native_ok(const NativeCtx *nc, unsigned i, int k)
{
    const Insn *in = &nc->b->insns[i];
    const FormInfo *f = &form_info[in->form];
    if (k == K_NONE || (f->attrs & A_SENS))
        return false;
    if ((in->flags & IF_MEM) && !mem_ok(nc, in))
        return false;
    if (k >= K_PUSH && k != K_JCC && k != K_JMP && !stack_ok(nc))
        return false;
    if ((in->flags & IF_LOCK) && (!(in->flags & IF_MEM) ||
                                  !(k == K_ALU_EG || k == K_ALU_EI || k == K_INCDEC || k == K_NOTNEG)))
        return false;
    /* Undefined flags: the host's values must not be seen (AF of the logic
     * ops excepted: both vendors and tier 0 clear it). */
    uint32_t undef = form_flags_undefined(f) & FL_ALL;
    if (k == K_ALU_EG || k == K_ALU_GE || k == K_ALU_EI || k == K_ALU_AI || k == K_TEST_EG ||
        k == K_TEST_EI || k == K_TEST_AI)
        undef &= ~(uint32_t)F_AF;
    /* ... and where this host was found to compute them as tier 0 does. */
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
        /* The targets must be valid wherever the block runs: any in flat
         * 32-bit code (CS limit 4 GiB), canonical ones in 64-bit code (a
         * RET checks its own). */
        if (i + 1 != nc->b->ninsns || !nc->flat)
            return false;
        if (k != K_RET) {
            uint64_t rip = nc->b->rip;
            for (unsigned j = 0; j <= i; j++)
                rip += nc->b->insns[j].len;
            uint64_t t = rip + in->imm;
            if (in->code_mode == CODE64 && in->osz == 8 && (!is_canonical(t) || !is_canonical(rip)))
                return false;
        }
    }
    return true;
}

/* The TLB lookup of a stack access at r8, the guest flags (in the host)
 * kept around it. */
static void stack_access(NativeCtx *nc, const Insn *in, unsigned size, int acc, unsigned i,
                         uint64_t rip, bool save)
{
    X64 *e = nc->e;
    (void)in;
    if (save) {
        x64_plain(e, X64_LAHF);
        x64_setcc_r(e, X64_CC_O, X64_RAX);
    }
    emit_tlb(nc, size, acc, i, rip, save);
    if (save) {
        x64_alu_ri(e, X64_ADD, 1, X64_RAX, 0x7f);
        x64_plain(e, X64_SAHF);
    }
}

/* Emits instruction i natively; false leaves it to a handler. */
bool native_emit(NativeCtx *nc, unsigned i)
{
    const Insn *in = &nc->b->insns[i];
    X64 *e = nc->e;
    int k = kind_of(in);
    if (k >= K_JCC || !native_ok(nc, i, k)) {
        if (form_info[in->form].attrs & A_SEGLD)
            nc->segs_changed = true;   /* the segments may no longer be flat */
        return false;   /* (a branch ending the block: native_branch) */
    }
    uint64_t rip = nc->b->rip;
    for (unsigned j = 0; j < i; j++)
        rip += nc->b->insns[j].len;
    unsigned size = in->osz;
    uint32_t need = needs_flags(in, k, nc->live[i + 1]);
    int acc = mem_access(k, in);
    if (need && !nc->flags_in_host) {
        flags_to_host(e);
        nc->flags_in_host = true;
    }
    if (k == K_PUSH || k == K_PUSHI || k == K_POP) {
        bool save = nc->flags_in_host;
        emit_stack_addr(e, in, k == K_POP ? 0 : (int)size, k == K_POP ? (int)size : 0);
        stack_access(nc, in, size, k == K_POP ? ACC_READ : ACC_WRITE, i, rip, save);
        if (k == K_POP) {
            x64_mov_rm(e, size, X64_RDX, x64_mem(X64_R8, 0));
            x64_mov_mr(e, 8, GREG_AT(R_SP), X64_R11);
            x64_mov_mr(e, size == 2 ? 2 : 8, GREG_AT(in->rm), X64_RDX);
        } else {
            if (k == K_PUSH)
                x64_mov_rm(e, size, X64_RDX, GREG_AT(in->rm));
            else
                x64_mov_ri(e, 8, X64_RDX, in->imm);
            x64_mov_mr(e, size, x64_mem(X64_R8, 0), X64_RDX);
            x64_mov_mr(e, 8, GREG_AT(R_SP), X64_R11);
        }
        nc->slow[nc->nslow - 1].join = x64_len(e);
        return true;
    }
    if (acc >= 0) {
        /* The lookup clobbers RFLAGS: guest flags in the host are saved in
         * ah/al around it (and given to the handler on the slow path). */
        bool save = nc->flags_in_host;
        emit_lin(e, in, rip, true);
        if (save) {
            x64_plain(e, X64_LAHF);
            x64_setcc_r(e, X64_CC_O, X64_RAX);
        }
        emit_tlb(nc, mem_size(k, in), acc, i, rip, save);
        if (save) {
            x64_alu_ri(e, X64_ADD, 1, X64_RAX, 0x7f);   /* OF back from al */
            x64_plain(e, X64_SAHF);
        }
    }
    Opnd E = (in->flags & IF_MEM) ? op_host_mem() : op_greg(g_rm(in, size));
    Opnd G = op_greg(g_reg(in, size));
    bool lock = (in->flags & IF_LOCK) != 0;
    unsigned ext = (in->modrm >> 3) & 7;
    X64Alu op = (X64Alu)(in->opc >> 3 & 7);
    Opnd imm = op_imm((int64_t)in->imm);
    switch (k) {
    case K_ALU_EG: emit_binop(e, OPK_ALU, op, size, E, G, lock); break;
    case K_ALU_GE: emit_binop(e, OPK_ALU, op, size, G, E, false); break;
    case K_ALU_EI: emit_binop(e, OPK_ALU, (X64Alu)ext, size, E, imm, lock); break;
    case K_ALU_AI: emit_binop(e, OPK_ALU, op, size, op_greg(R_AX), imm, false); break;
    case K_TEST_EG: emit_binop(e, OPK_TEST, X64_AND, size, E, G, false); break;
    case K_TEST_EI: emit_binop(e, OPK_TEST, X64_AND, size, E, imm, false); break;
    case K_TEST_AI: emit_binop(e, OPK_TEST, X64_AND, size, op_greg(R_AX), imm, false); break;
    case K_MOV_EG: emit_binop(e, OPK_MOV, X64_ADD, size, E, G, false); break;
    case K_MOV_GE: emit_binop(e, OPK_MOV, X64_ADD, size, G, E, false); break;
    case K_MOV_EI: emit_binop(e, OPK_MOV, X64_ADD, size, E, imm, false); break;
    case K_MOV_ZI: emit_binop(e, OPK_MOV, X64_ADD, size, op_greg(g_rm(in, size)), imm, false); break;
    case K_LEA:
        emit_lin(e, in, rip, false);   /* the offset: no segment base */
        if (size == 4)
            x64_mov_rr(e, 4, X64_R8, X64_R8);
        x64_mov_mr(e, size == 2 ? 2 : 8, G.m, X64_R8);
        break;
    case K_INCDEC: {
        bool dec = form_info[in->form].modrm == M_OPREG ? (in->opc & 8) != 0 : ext == 1;
        emit_unary(e, E, size, lock, -1, 0, dec ? X64_DEC : X64_INC);
        break;
    }
    case K_NOTNEG:
        emit_unary(e, E, size, lock, -1, 0, ext == 2 ? X64_NOT : X64_NEG);
        break;
    case K_SHIFT_I:
        emit_unary(e, E, size, false, (int)ext, (uint8_t)shift_count(in), X64_NOT);
        break;
    case K_SHIFT_CL:
        /* The count is the guest's CL; a count of 0 leaves flags and value
         * (a 4-byte register is still zero-extended, as by the host). */
        x64_mov_rm(e, 1, X64_RCX, GREG_AT(R_CX));
        if (E.greg && size == 4) {
            x64_mov_rm(e, 4, X64_RDX, E.m);
            x64_shift_rcl(e, (X64Shift)ext, 4, X64_RDX);
            x64_mov_mr(e, 8, E.m, X64_RDX);
        } else {
            x64_shift_mcl(e, (X64Shift)ext, size, E.m);
        }
        break;
    case K_IMUL2: case K_IMUL3:
        if (k == K_IMUL2) {
            x64_mov_rm(e, size, X64_RDX, G.m);
            x64_imul_rm(e, size, X64_RDX, E.m);
        } else {
            x64_imul_rmi(e, size, X64_RDX, E.m, (int32_t)in->imm);
        }
        x64_mov_mr(e, size == 4 ? 8 : size, G.m, X64_RDX);
        break;
    case K_SETCC:
        x64_setcc_m(e, (X64Cond)(in->opc & 15), E.m);
        break;
    case K_CMOVCC:
        /* The source is read whatever the condition; a 4-byte destination
         * is zero-extended either way, as the host does it. */
        x64_mov_rm(e, size, X64_RCX, G.m);
        x64_cmov_rm(e, (X64Cond)(in->opc & 15), size, X64_RCX, E.m);
        x64_mov_mr(e, size == 4 ? 8 : size, G.m, X64_RCX);
        break;
    case K_MOVSXD:
        if (size != 8) {   /* without REX.W: a plain move */
            emit_binop(e, OPK_MOV, X64_ADD, size, G, E, false);
            break;
        }
        /* fall through */
    case K_MOVZX: case K_MOVSX: {
        unsigned ss = mem_size(k, in);
        Opnd src = (in->flags & IF_MEM) ? E : op_greg(ss == 1 ? in->rm8 : in->rm);
        unsigned ds = size == 2 ? 4 : size;   /* a 16-bit result merges */
        if (k == K_MOVZX)
            x64_movzx_rm(e, ds, X64_RCX, ss, src.m);
        else
            x64_movsx_rm(e, ds, X64_RCX, ss, src.m);
        x64_mov_mr(e, size == 4 ? 8 : size, G.m, X64_RCX);
        break;
    }
    default:
        return false;
    }
    if (flags_written(in))
        nc->flags_in_host = true;
    if (acc >= 0)
        nc->slow[nc->nslow - 1].join = x64_len(e);
    return true;
}

/* The block's last instruction as a native branch: Jcc on the host flags
 * (captured in rcx for the exits first), JMP and CALL rel (the return
 * address pushed inline), RET (the target popped into rdx). */
int native_branch(NativeCtx *nc, unsigned i, int *cc)
{
    const Insn *in = &nc->b->insns[i];
    X64 *e = nc->e;
    int k = kind_of(in);
    if (k < K_JCC || !native_ok(nc, i, k))
        return NB_NONE;
    uint64_t rip = nc->b->rip;
    for (unsigned j = 0; j < i; j++)
        rip += nc->b->insns[j].len;
    *cc = -1;
    if (k == K_JCC) {
        if (!nc->flags_in_host)
            flags_to_host(e);
        nc->flags_in_host = true;
        flags_capture(e);
        *cc = in->opc & 15;
        return NB_DIRECT;
    }
    native_sync(nc);
    if (k == K_JMP)
        return NB_DIRECT;
    unsigned size = in->osz;
    if (k == K_CALL) {
        emit_stack_addr(e, in, (int)size, 0);
        stack_access(nc, in, size, ACC_WRITE, i, rip, false);
        x64_mov_ri(e, 8, X64_RDX, rip + in->len);
        x64_mov_mr(e, size, x64_mem(X64_R8, 0), X64_RDX);
        x64_mov_mr(e, 8, GREG_AT(R_SP), X64_R11);
        nc->slow[nc->nslow - 1].join = x64_len(e);
        return NB_DIRECT;
    }
    /* RET [imm16]: the target is checked (wrapped to the operand size,
     * canonical) before anything changes; a bad one is the slow path's
     * (the handler raises #GP). */
    emit_stack_addr(e, in, 0, (int)size + (in->opc == 0xc2 ? (int)in->imm : 0));
    stack_access(nc, in, size, ACC_READ, i, rip, false);
    NativeSlow *sl = &nc->slow[nc->nslow - 1];
    x64_mov_rm(e, size == 2 ? 2 : size, X64_RDX, x64_mem(X64_R8, 0));
    if (size == 2)
        x64_movzx_rr(e, 4, X64_RDX, 2, X64_RDX);
    if (size == 8) {
        x64_mov_rr(e, 8, X64_R9, X64_RDX);
        x64_shift_ri(e, X64_SHL, 8, X64_R9, 16);
        x64_shift_ri(e, X64_SAR, 8, X64_R9, 16);
        x64_alu_rr(e, X64_CMP, 8, X64_R9, X64_RDX);
        NativeSlow *s2 = &nc->slow[nc->nslow++];
        *s2 = *sl;
        s2->field = x64_jcc(e, X64_CC_NE, x64_pc(e));
        sl = s2;
    }
    x64_mov_mr(e, 8, GREG_AT(R_SP), X64_R11);
    nc->slow[nc->nslow - 1].join = x64_len(e);
    if (size == 8)
        nc->slow[nc->nslow - 2].join = x64_len(e);
    for (unsigned s = 0; s < nc->nslow; s++)
        if (nc->slow[s].insn == i)
            nc->slow[s].target_in_rdx = true;
    return NB_INDIRECT;
}

void native_exit_flags(NativeCtx *nc)
{
    if (nc->flags_in_host)
        flags_merge(nc->e);
}

/* Slow path, before the handler: flags saved in ah/al (LAHF: SF ZF - AF -
 * PF - CF; SETO: OF) into eflags, lazy record empty. */
void native_slow_flags_in(NativeCtx *nc, const NativeSlow *s)
{
    X64 *e = nc->e;
    if (!s->save_flags)
        return;
    x64_movzx_rr(e, 4, X64_RCX, 1, X64_AH);
    x64_alu_ri(e, X64_AND, 4, X64_RCX, F_SF | F_ZF | F_AF | F_PF | F_CF);
    x64_movzx_rr(e, 4, X64_RDX, 1, X64_RAX);
    x64_shift_ri(e, X64_SHL, 4, X64_RDX, 11);
    x64_alu_rr(e, X64_OR, 4, X64_RCX, X64_RDX);
    flags_merge(e);
}

/* After it: the flags where the fast path leaves them (in the host if it
 * had them there or the instruction wrote them). */
void native_slow_flags_out(NativeCtx *nc, const NativeSlow *s)
{
    if (flags_written(&nc->b->insns[s->insn]) || s->save_flags)
        flags_to_host(nc->e);
}

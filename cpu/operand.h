/* operand.h — operand access shared by all handlers (private to cpu/).
 *
 * Handlers are written once per form and take their size from in->osz, so
 * ADD_EbGb and ADD_EvGv share one body; these helpers hide whether the ModRM
 * operand is a register or memory.
 */
#ifndef RZ_OPERAND_H
#define RZ_OPERAND_H

#include "cpu.h"
#include "insn.h"
#include "model.h"
#include "../softmmu/tlb.h"

/* The pieces of the hot handlers' templates (spec.h): always inlined, so
 * each specialised instance folds its constants through them. */
#define HOT_INLINE static inline __attribute__((always_inline))

/* Handler prototypes, derived from the opcode table. */
#define FORM(name, map, opc, pfx, ext, rmx, modrm, osz, imm, attrs, ops, fl, handler) \
    void handler(CPU *cpu, const Insn *in);
#include "opcodes.def"
#undef FORM

HOT_INLINE uint64_t get_reg(CPU *cpu, unsigned r, unsigned size)
{
    if (size == 8) return cpu->regs[r];
    if (size == 4) return (uint32_t)cpu->regs[r];
    if (size == 2) return (uint16_t)cpu->regs[r];
    if (r >= 16) return (uint8_t)(cpu->regs[r - 16] >> 8);
    return (uint8_t)cpu->regs[r];
}

/* 32-bit writes zero-extend to 64 bits; 8/16-bit writes merge. */
HOT_INLINE void set_reg(CPU *cpu, unsigned r, unsigned size, uint64_t v)
{
    if (size == 8) cpu->regs[r] = v;
    else if (size == 4) cpu->regs[r] = (uint32_t)v;
    else if (size == 2) cpu->regs[r] = (cpu->regs[r] & ~0xffffull) | (uint16_t)v;
    else if (r >= 16) cpu->regs[r - 16] = (cpu->regs[r - 16] & ~0xff00ull) | ((uint64_t)(uint8_t)v << 8);
    else cpu->regs[r] = (cpu->regs[r] & ~0xffull) | (uint8_t)v;
}

/* The memory operand's effective address; insn_ea is the same out of line. */
HOT_INLINE uint64_t insn_ea_inline(CPU *cpu, const Insn *in)
{
    uint64_t a = (uint64_t)in->disp;
    if (in->flags & IF_RIPREL)
        a += cpu->rip + in->len;
    if (in->base != REG_NONE)
        a += cpu->regs[in->base];
    if (in->index != REG_NONE)
        a += cpu->regs[in->index] << in->scale;
    return a & size_mask(in->asz);
}

/* Segmentation for the cases that cannot fault and need no special rule:
 * 64-bit mode with canonical ends, or a present, non-null, expand-up data
 * segment (writable for writes) within its limit, or real mode within the
 * limit.  Returns false for everything else, which cpu_lin decides. */
HOT_INLINE bool seg_lin_fast(CPU *cpu, int seg, uint64_t off, unsigned size, int access,
                                uint64_t *lin)
{
    uint64_t last = off + size - 1;
    if (cpu->code_mode == CODE64) {
        uint64_t a = off + ((seg == S_FS || seg == S_GS) ? cpu->seg[seg].base : 0);
        const uint64_t half = 1ull << 47;  /* canonical iff a + 2^47 < 2^48 */
        *lin = a;
        return (((a + half) | (a + size - 1 + half)) >> 48) == 0;
    }
    const Seg *s = &cpu->seg[seg];
    if (last > s->limit)
        return false;
    if (cpu->cr0 & 1) {
        unsigned mask = access == ACC_WRITE ? (SA_P | 0xe) : (SA_P | 0xc);
        unsigned want = access == ACC_WRITE ? (SA_P | 0x2) : SA_P;
        if ((s->attr & mask) != want || s->sel < 4)
            return false;
    }
    *lin = (s->base + off) & 0xffffffffull;
    return true;
}

/* cpu_read/cpu_write with their common case inline: segmentation that
 * cannot fault and a TLB hit.  The same semantics; anything else takes the
 * out-of-line function. */
HOT_INLINE uint64_t cpu_read_fast(CPU *cpu, int seg, uint64_t off, unsigned size)
{
    uint64_t lin;
    const Tlb *t = cpu->tlb;
    if (__builtin_expect(t != NULL && seg_lin_fast(cpu, seg, off, size, ACC_READ, &lin), 1)) {
        const TlbEntry *e = tlb_slot((Tlb *)t, lin, cpu->cpl == 3);
        if (__builtin_expect(e->tag[ACC_READ] == ((lin + size - 1) & TLB_PAGE_MASK), 1))
            return tlb_host_load((const uint8_t *)(uintptr_t)(lin + e->addend), size);
    }
    return cpu_read(cpu, seg, off, size);
}

HOT_INLINE void cpu_write_fast(CPU *cpu, int seg, uint64_t off, unsigned size, uint64_t val)
{
    uint64_t lin;
    const Tlb *t = cpu->tlb;
    if (__builtin_expect(t != NULL && seg_lin_fast(cpu, seg, off, size, ACC_WRITE, &lin), 1)) {
        const TlbEntry *e = tlb_slot((Tlb *)t, lin, cpu->cpl == 3);
        if (__builtin_expect(e->tag[ACC_WRITE] == ((lin + size - 1) & TLB_PAGE_MASK), 1)) {
            tlb_host_store((uint8_t *)(uintptr_t)(lin + e->addend), val, size);
            return;
        }
    }
    cpu_write(cpu, seg, off, size, val);
}

/* The memory operand of in (access.c): out of line, so handlers whose
 * operand is a register stay small, with the fast path inside. */
uint64_t cpu_read_E(CPU *cpu, const Insn *in, unsigned size);
void cpu_write_E(CPU *cpu, const Insn *in, unsigned size, uint64_t v);

/* ModRM r/m operand of size bytes */
static inline uint64_t rd_E(CPU *cpu, const Insn *in, unsigned size)
{
    if (in->flags & IF_MEM)
        return cpu_read_E(cpu, in, size);
    return get_reg(cpu, size == 1 ? in->rm8 : in->rm, size);
}

static inline void wr_E(CPU *cpu, const Insn *in, unsigned size, uint64_t v)
{
    if (in->flags & IF_MEM)
        cpu_write_E(cpu, in, size, v);
    else
        set_reg(cpu, size == 1 ? in->rm8 : in->rm, size, v);
}

/* rd_E/wr_E for an operand kind known when the handler is compiled (the
 * specialised instances, spec.h): a memory operand takes the segmentation
 * and TLB fast path inline. */
HOT_INLINE uint64_t rd_Ex(CPU *cpu, const Insn *in, unsigned size, bool mem)
{
    if (mem)
        return cpu_read_fast(cpu, in->seg, insn_ea_inline(cpu, in), size);
    return get_reg(cpu, size == 1 ? in->rm8 : in->rm, size);
}

HOT_INLINE void wr_Ex(CPU *cpu, const Insn *in, unsigned size, bool mem, uint64_t v)
{
    if (mem)
        cpu_write_fast(cpu, in->seg, insn_ea_inline(cpu, in), size, v);
    else
        set_reg(cpu, size == 1 ? in->rm8 : in->rm, size, v);
}

/* The r/m operand of a read-modify-write (ALU ops, INC/DEC) in the
 * specialised instances: the address is computed once, and a write-tag hit
 * (a writable, dirty RAM page and a writable segment, so the read would
 * succeed too) serves both accesses through one host pointer.  Otherwise
 * cpu_read and cpu_write make the two accesses as before, faults and all. */
typedef struct RmwRef { uint8_t *host; uint64_t ea; } RmwRef;

HOT_INLINE uint64_t rmw_rd_E(CPU *cpu, const Insn *in, unsigned size, bool mem, RmwRef *ref)
{
    if (!mem)
        return get_reg(cpu, size == 1 ? in->rm8 : in->rm, size);
    uint64_t lin;
    const Tlb *t = cpu->tlb;
    ref->ea = insn_ea_inline(cpu, in);
    ref->host = NULL;
    if (__builtin_expect(t != NULL &&
                         seg_lin_fast(cpu, in->seg, ref->ea, size, ACC_WRITE, &lin), 1)) {
        const TlbEntry *e = tlb_slot((Tlb *)t, lin, cpu->cpl == 3);
        if (__builtin_expect(e->tag[ACC_WRITE] == ((lin + size - 1) & TLB_PAGE_MASK), 1)) {
            ref->host = (uint8_t *)(uintptr_t)(lin + e->addend);
            return tlb_host_load(ref->host, size);
        }
    }
    return cpu_read(cpu, in->seg, ref->ea, size);
}

HOT_INLINE void rmw_wr_E(CPU *cpu, const Insn *in, unsigned size, bool mem, const RmwRef *ref,
                         uint64_t v)
{
    if (!mem)
        set_reg(cpu, size == 1 ? in->rm8 : in->rm, size, v);
    else if (ref->host)
        tlb_host_store(ref->host, v, size);
    else
        cpu_write(cpu, in->seg, ref->ea, size, v);
}

/* The stack: cpu_push/cpu_pop are these out of line; the specialised
 * instances inline them. */
HOT_INLINE unsigned stack_size(const CPU *cpu)
{
    if (cpu->code_mode == CODE64)
        return 8;
    return (cpu->seg[S_SS].attr & SA_DB) ? 4 : 2;
}

HOT_INLINE void stack_push(CPU *cpu, uint64_t val, unsigned size)
{
    unsigned ss = stack_size(cpu);
    uint64_t sp = (cpu->regs[R_SP] - size) & size_mask(ss);
    cpu_write_fast(cpu, S_SS, sp, size, val);
    set_reg(cpu, R_SP, ss, sp);
}

HOT_INLINE uint64_t stack_pop(CPU *cpu, unsigned size)
{
    unsigned ss = stack_size(cpu);
    uint64_t sp = cpu->regs[R_SP] & size_mask(ss);
    uint64_t v = cpu_read_fast(cpu, S_SS, sp, size);
    set_reg(cpu, R_SP, ss, sp + size);
    return v;
}

/* ModRM reg operand */
HOT_INLINE uint64_t rd_G(CPU *cpu, const Insn *in, unsigned size)
{
    return get_reg(cpu, size == 1 ? in->reg8 : in->reg, size);
}

HOT_INLINE void wr_G(CPU *cpu, const Insn *in, unsigned size, uint64_t v)
{
    set_reg(cpu, size == 1 ? in->reg8 : in->reg, size, v);
}

/* I/O permission (IOPL, TSS bitmap); raises #GP(0) when refused. */
void io_check(CPU *cpu, uint16_t port, unsigned size);

/* Lazy-flag setters used by arithmetic handlers */
HOT_INLINE void lf_set(CPU *cpu, int op, unsigned size, uint64_t a, uint64_t b, uint64_t res)
{
    cpu->lf.op = (uint8_t)op;
    cpu->lf.size = (uint8_t)size;
    cpu->lf.a = a;
    cpu->lf.b = b;
    cpu->lf.res = res & size_mask(size);
}

/* CF and OF from the lazy record (flags.c materialises the rest).  ADD/ADC
 * share LF_ADD and SUB/SBB/CMP/NEG share LF_SUB: with res and both operands
 * known the carry-in is recoverable (res == a happens with a carry only
 * when b is all-ones). */
HOT_INLINE uint32_t lf_host_flags(const LazyFlags *lf)
{
    return ((lf->host >> 8) & (F_SF | F_ZF | F_AF | F_PF | F_CF)) | ((lf->host & 1u) << 11);
}

HOT_INLINE bool lf_cf(const LazyFlags *lf, uint32_t eflags)
{
    switch (lf->op) {
    case LF_HOST: return lf->host >> 8 & 1;
    case LF_ADD: return lf->res < lf->a || (lf->res == lf->a && lf->b != 0);
    case LF_SUB: return lf->res > lf->a || (lf->res == lf->a && lf->b != 0);
    case LF_LOGIC: return false;
    default: return eflags & F_CF;
    }
}

HOT_INLINE uint32_t lf_of(const LazyFlags *lf)
{
    uint64_t sb = sign_bit(lf->size);
    switch (lf->op) {
    case LF_ADD: return ((lf->a ^ lf->res) & (lf->b ^ lf->res) & sb) ? F_OF : 0;
    case LF_SUB: return ((lf->a ^ lf->b) & (lf->a ^ lf->res) & sb) ? F_OF : 0;
    case LF_INC: return lf->res == sb ? F_OF : 0;
    case LF_DEC: return lf->res == sb - 1 ? F_OF : 0;
    case LF_HOST: return lf->host & 1 ? F_OF : 0;
    default: return 0;
    }
}

HOT_INLINE bool get_cf(const CPU *cpu) { return lf_cf(&cpu->lf, cpu->eflags); }

/* cpu_cond inline: a Jcc instance has its condition as a constant, so only
 * the flags it needs are computed, straight from the lazy record. */
HOT_INLINE bool cond_eval(const CPU *cpu, unsigned cc)
{
    const LazyFlags *lf = &cpu->lf;
    bool r;
    if (lf->op == LF_NONE || lf->op == LF_HOST) {
        uint32_t f = lf->op == LF_NONE ? cpu->eflags : lf_host_flags(lf);
        switch (cc >> 1) {
        case 0: r = f & F_OF; break;
        case 1: r = f & F_CF; break;
        case 2: r = f & F_ZF; break;
        case 3: r = f & (F_CF | F_ZF); break;
        case 4: r = f & F_SF; break;
        case 5: r = f & F_PF; break;
        case 6: r = !(f & F_SF) != !(f & F_OF); break;
        default: r = (f & F_ZF) || (!(f & F_SF) != !(f & F_OF)); break;
        }
    } else {
        bool zf = lf->res == 0, sf = (lf->res & sign_bit(lf->size)) != 0;
        switch (cc >> 1) {
        case 0: r = lf_of(lf); break;
        case 1: r = lf_cf(lf, cpu->eflags); break;
        case 2: r = zf; break;
        case 3: r = zf || lf_cf(lf, cpu->eflags); break;
        case 4: r = sf; break;
        case 5: r = (__builtin_parity((unsigned)(lf->res & 0xff)) == 0); break;
        case 6: r = sf != (lf_of(lf) != 0); break;
        default: r = zf || sf != (lf_of(lf) != 0); break;
        }
    }
    return (cc & 1) ? !r : r;
}

/* Replaces OSZAPC with explicit values (flags not in mask are preserved). */
void flags_put(CPU *cpu, uint32_t mask, uint32_t value);
/* Parity of the low byte, as PF wants it (1 when even). */
static inline uint32_t parity_flag(uint64_t v)
{
    return (__builtin_parity((unsigned)(v & 0xff)) ? 0 : F_PF);
}
/* ZF/SF/PF of a result of size bytes */
static inline uint32_t szp_flags(uint64_t res, unsigned size)
{
    res &= size_mask(size);
    return (res == 0 ? F_ZF : 0) | ((res & sign_bit(size)) ? F_SF : 0) | parity_flag(res);
}

/* Target of a near branch (JMP, Jcc, CALL, RET, LOOP, JrCXZ), checked at
 * the branch itself (SDM: #GP(0) with the branch's CS:EIP, nothing
 * changed): wrapped to the operand size (IP/EIP), then within CS.limit
 * outside 64-bit mode, canonical in it (where a 16-bit target always is). */
static inline __attribute__((always_inline)) uint64_t near_target(CPU *cpu, uint64_t t, unsigned osz)
{
    if (osz != 8) {
        t &= size_mask(osz);
        if (t > cpu->seg[S_CS].limit && cpu->code_mode != CODE64)
            cpu_gp0(cpu);
        return t;
    }
    if (!is_canonical(t))
        cpu_gp0(cpu);
    return t;
}

/* Address-size-masked register (RCX/RSI/RDI in string and loop forms). */
static inline uint64_t get_areg(CPU *cpu, unsigned r, unsigned asz)
{
    return cpu->regs[r] & size_mask(asz);
}
static inline void set_areg(CPU *cpu, unsigned r, unsigned asz, uint64_t v)
{
    set_reg(cpu, r, asz, v);
}

#endif

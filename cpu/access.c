/* access.c — segmentation, guest memory through segments, stack, registers. */
#include <string.h>

#include "cpu.h"
#include "debug.h"
#include "operand.h"
#include "../softmmu/mem.h"
#include "../softmmu/tlb.h"


static _Noreturn void seg_fault(CPU *cpu, int seg)
{
    cpu_raise(cpu, seg == S_SS ? EXC_SS : EXC_GP, 0, true);
}

/* The full segmentation check; seg_lin_fast (operand.h) answers the common
 * cases inline and sends everything else here. */
uint64_t cpu_lin(CPU *cpu, int seg, uint64_t off, unsigned size, int access)
{
    if (cpu->code_mode == CODE64) {
        uint64_t lin = off + ((seg == S_FS || seg == S_GS) ? cpu->seg[seg].base : 0);
        if (!is_canonical(lin) || !is_canonical(lin + size - 1))
            seg_fault(cpu, seg);
        return lin;
    }
    const Seg *s = &cpu->seg[seg];
    if (cpu->cr0 & 1) {
        if (!(s->attr & SA_P) || (s->sel < 4 && seg != S_CS && seg != S_SS && !(cpu->eflags & F_VM)))
            seg_fault(cpu, seg);
        unsigned type = s->attr & 0xf;
        if (access == ACC_WRITE && ((type & 8) || !(type & 2)))
            seg_fault(cpu, seg);  /* code, or read-only data */
        if (access == ACC_READ && (type & 0xa) == 0x8)
            seg_fault(cpu, seg);  /* execute-only code */
        if ((type & 0xc) == 0x4) {  /* expand-down data */
            uint64_t top = (s->attr & SA_DB) ? 0xffffffffull : 0xffffull;
            if (off <= s->limit || off + size - 1 > top)
                seg_fault(cpu, seg);
            return (s->base + off) & 0xffffffffull;
        }
    }
    if (off + size - 1 > s->limit)
        seg_fault(cpu, seg);
    return (s->base + off) & 0xffffffffull;
}

_Noreturn void cpu_page_fault(CPU *cpu, const PageFault *pf)
{
    cpu->cr2 = pf->lin;
    cpu_raise(cpu, EXC_PF, pf->error, true);
}

uint64_t cpu_translate(CPU *cpu, uint64_t lin, int access)
{
    uint64_t pa;
    PageFault pf;
    if (!mmu_translate(&cpu->mmu, lin, access, &pa, &pf))
        cpu_page_fault(cpu, &pf);
    return pa;
}

/* Linear accesses that missed the inline TLB hit: #AC and data breakpoints
 * first (DBG_DATA sends every data access here, debug.h), then the
 * softmmu.  Inlined into the out-of-line callers below, so a miss costs no
 * more calls than the softmmu's own. */
static inline uint64_t lin_read_slow(CPU *cpu, uint64_t lin, unsigned size, int access)
{
    if (__builtin_expect(cpu->debug_active & DBG_DATA, 0))
        debug_data_access(cpu, lin, size, access);
    uint64_t v;
    PageFault pf;
    if (!mmu_read(&cpu->mmu, lin, size, access, &v, &pf))
        cpu_page_fault(cpu, &pf);
    return v;
}

static inline void lin_write_slow(CPU *cpu, uint64_t lin, uint64_t val, unsigned size, int access)
{
    if (__builtin_expect(cpu->debug_active & DBG_DATA, 0))
        debug_data_access(cpu, lin, size, access);
    PageFault pf;
    if (!mmu_write(&cpu->mmu, lin, val, size, access, &pf))
        cpu_page_fault(cpu, &pf);
}

/* The TLB hit inline (softmmu/tlb.h), anything else out of line.  super:
 * an implicit supervisor access (ACC_SUPER), checked as CPL 0. */
static inline uint64_t lin_read(CPU *cpu, uint64_t lin, unsigned size, bool super)
{
    Tlb *t = cpu->tlb;
    if (__builtin_expect(t != NULL, 1)) {
        const TlbEntry *e = tlb_slot(t, lin, !super && cpu->cpl == 3);
        if (__builtin_expect(e->tag[ACC_READ] == ((lin + size - 1) & TLB_PAGE_MASK), 1))
            return tlb_host_load((const uint8_t *)(uintptr_t)(lin + e->addend), size);
    }
    return lin_read_slow(cpu, lin, size, ACC_READ | (super ? ACC_SUPER : 0));
}

static inline void lin_write(CPU *cpu, uint64_t lin, uint64_t val, unsigned size, bool super)
{
    Tlb *t = cpu->tlb;
    if (__builtin_expect(t != NULL, 1)) {
        const TlbEntry *e = tlb_slot(t, lin, !super && cpu->cpl == 3);
        if (__builtin_expect(e->tag[ACC_WRITE] == ((lin + size - 1) & TLB_PAGE_MASK), 1)) {
            tlb_host_store((uint8_t *)(uintptr_t)(lin + e->addend), val, size);
            return;
        }
    }
    lin_write_slow(cpu, lin, val, size, ACC_WRITE | (super ? ACC_SUPER : 0));
}

uint64_t cpu_lin_read(CPU *cpu, uint64_t lin, unsigned size) { return lin_read(cpu, lin, size, false); }
void cpu_lin_write(CPU *cpu, uint64_t lin, uint64_t val, unsigned size) { lin_write(cpu, lin, val, size, false); }
uint64_t cpu_lin_read_super(CPU *cpu, uint64_t lin, unsigned size) { return lin_read(cpu, lin, size, true); }
void cpu_lin_write_super(CPU *cpu, uint64_t lin, uint64_t val, unsigned size) { lin_write(cpu, lin, val, size, true); }

/* Out of line on purpose: these are the slow halves of cpu_read_fast and
 * cpu_write_fast, and the entry for callers outside the hot handlers. */
uint64_t cpu_read(CPU *cpu, int seg, uint64_t off, unsigned size)
{
    uint64_t lin;
    if (!seg_lin_fast(cpu, seg, off, size, ACC_READ, &lin))
        lin = cpu_lin(cpu, seg, off, size, ACC_READ);
    return lin_read(cpu, lin, size, false);
}

void cpu_write(CPU *cpu, int seg, uint64_t off, unsigned size, uint64_t val)
{
    uint64_t lin;
    if (!seg_lin_fast(cpu, seg, off, size, ACC_WRITE, &lin))
        lin = cpu_lin(cpu, seg, off, size, ACC_WRITE);
    lin_write(cpu, lin, val, size, false);
}

uint64_t cpu_read_E(CPU *cpu, const Insn *in, unsigned size)
{
    return cpu_read_fast(cpu, in->seg, insn_ea_inline(cpu, in), size);
}

void cpu_write_E(CPU *cpu, const Insn *in, unsigned size, uint64_t v)
{
    cpu_write_fast(cpu, in->seg, insn_ea_inline(cpu, in), size, v);
}

void cpu_check_write(CPU *cpu, int seg, uint64_t off, unsigned size)
{
    uint64_t lin = cpu_lin(cpu, seg, off, size, ACC_WRITE);
    cpu_translate(cpu, lin, ACC_WRITE);
    cpu_translate(cpu, lin + size - 1, ACC_WRITE);
}

void cpu_read_block(CPU *cpu, int seg, uint64_t off, void *dst, unsigned size)
{
    uint64_t lin = cpu_lin(cpu, seg, off, size, ACC_READ);
    cpu_translate(cpu, lin + size - 1, ACC_READ);
    if (__builtin_expect(cpu->debug_active & DBG_DATA, 0))
        debug_block_access(cpu, lin, size, ACC_READ);  /* #AC by data type */
    uint8_t *d = dst;
    for (unsigned i = 0; i < size; ) {
        unsigned n = (size - i) >= 8 && ((lin + i) & 4095) <= 4088 ? 8 : 1;
        uint64_t v = cpu_lin_read(cpu, lin + i, n);
        memcpy(d + i, &v, n);
        i += n;
    }
}

void cpu_write_block(CPU *cpu, int seg, uint64_t off, const void *src, unsigned size)
{
    uint64_t lin = cpu_lin(cpu, seg, off, size, ACC_WRITE);
    cpu_translate(cpu, lin, ACC_WRITE);
    cpu_translate(cpu, lin + size - 1, ACC_WRITE);
    if (__builtin_expect(cpu->debug_active & DBG_DATA, 0))
        debug_block_access(cpu, lin, size, ACC_WRITE);
    const uint8_t *s = src;
    for (unsigned i = 0; i < size; ) {
        unsigned n = (size - i) >= 8 && ((lin + i) & 4095) <= 4088 ? 8 : 1;
        uint64_t v = 0;
        memcpy(&v, s + i, n);
        cpu_lin_write(cpu, lin + i, v, n);
        i += n;
    }
}

unsigned cpu_stack_size(CPU *cpu) { return stack_size(cpu); }
void cpu_push(CPU *cpu, uint64_t val, unsigned size) { stack_push(cpu, val, size); }
uint64_t cpu_pop(CPU *cpu, unsigned size) { return stack_pop(cpu, size); }

uint64_t cpu_get_reg(CPU *cpu, unsigned r, unsigned size) { return get_reg(cpu, r, size); }
void cpu_set_reg(CPU *cpu, unsigned r, unsigned size, uint64_t v) { set_reg(cpu, r, size, v); }

uint64_t (insn_ea)(CPU *cpu, const Insn *in) { return insn_ea_inline(cpu, in); }

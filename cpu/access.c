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

/* Out of line on purpose: these are the slow halves of cpu_read_fast and
 * cpu_write_fast, and the entry for callers outside the hot handlers. */
uint64_t cpu_read(CPU *cpu, int seg, uint64_t off, unsigned size)
{
    uint64_t lin;
    if (!seg_lin_fast(cpu, seg, off, size, ACC_READ, &lin))
        lin = cpu_lin(cpu, seg, off, size, ACC_READ);
    return tlb_read(cpu, lin, size);
}

void cpu_write(CPU *cpu, int seg, uint64_t off, unsigned size, uint64_t val)
{
    uint64_t lin;
    if (!seg_lin_fast(cpu, seg, off, size, ACC_WRITE, &lin))
        lin = cpu_lin(cpu, seg, off, size, ACC_WRITE);
    tlb_write(cpu, lin, val, size);
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
    mem_translate(cpu, lin, ACC_WRITE);
    mem_translate(cpu, lin + size - 1, ACC_WRITE);
}

void cpu_read_block(CPU *cpu, int seg, uint64_t off, void *dst, unsigned size)
{
    uint64_t lin = cpu_lin(cpu, seg, off, size, ACC_READ);
    mem_translate(cpu, lin + size - 1, ACC_READ);
    if (__builtin_expect(cpu->debug_active & DBG_DATA, 0))
        debug_block_access(cpu, lin, size, ACC_READ);  /* #AC by data type */
    uint8_t *d = dst;
    for (unsigned i = 0; i < size; ) {
        unsigned n = (size - i) >= 8 && ((lin + i) & 4095) <= 4088 ? 8 : 1;
        uint64_t v = mem_lin_read(cpu, lin + i, n);
        memcpy(d + i, &v, n);
        i += n;
    }
}

void cpu_write_block(CPU *cpu, int seg, uint64_t off, const void *src, unsigned size)
{
    uint64_t lin = cpu_lin(cpu, seg, off, size, ACC_WRITE);
    mem_translate(cpu, lin, ACC_WRITE);
    mem_translate(cpu, lin + size - 1, ACC_WRITE);
    if (__builtin_expect(cpu->debug_active & DBG_DATA, 0))
        debug_block_access(cpu, lin, size, ACC_WRITE);
    const uint8_t *s = src;
    for (unsigned i = 0; i < size; ) {
        unsigned n = (size - i) >= 8 && ((lin + i) & 4095) <= 4088 ? 8 : 1;
        uint64_t v = 0;
        memcpy(&v, s + i, n);
        mem_lin_write(cpu, lin + i, v, n);
        i += n;
    }
}

unsigned cpu_stack_size(CPU *cpu) { return stack_size(cpu); }
void cpu_push(CPU *cpu, uint64_t val, unsigned size) { stack_push(cpu, val, size); }
uint64_t cpu_pop(CPU *cpu, unsigned size) { return stack_pop(cpu, size); }

uint64_t cpu_get_reg(CPU *cpu, unsigned r, unsigned size) { return get_reg(cpu, r, size); }
void cpu_set_reg(CPU *cpu, unsigned r, unsigned size, uint64_t v) { set_reg(cpu, r, size, v); }

uint64_t (insn_ea)(CPU *cpu, const Insn *in) { return insn_ea_inline(cpu, in); }

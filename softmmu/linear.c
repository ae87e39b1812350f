/* linear.c — linear-address access: the TLB's slow paths, page-crossing
 * accesses, and instruction fetch. */
#include <string.h>

#include "../cpu/cpu.h"
#include "mem.h"
#include "paging.h"
#include "tlb.h"
#include "../cpu/debug.h"

static inline bool is_user(const CPU *cpu, int access)
{
    return cpu->cpl == 3 && !(access & ACC_SUPER);
}

/* The slot for lin holding a translation valid for access (filled, raising
 * #PF, if it has none); *pa gets the physical address of lin. */
static TlbEntry *lookup(CPU *cpu, uint64_t lin, int access, uint64_t *pa)
{
    Tlb *t = cpu->tlb ? cpu->tlb : tlb_attach(cpu);
    bool user = is_user(cpu, access);
    unsigned idx = (lin >> 12) & (TLB_ENTRIES - 1);
    TlbEntry *e = &t->e[user][idx];
    if ((e->tag[access & ACC_TYPE_MASK] & ~(uint64_t)TLB_SLOW) != (lin & TLB_PAGE_MASK))
        e = tlb_fill(cpu, lin, access, true);
    *pa = t->info[user][idx].pa | (lin & 0xfff);
    return e;
}

uint64_t mem_translate(CPU *cpu, uint64_t lin, int access)
{
    if (access & ACC_PROBE) {
        if (!(cpu->cr0 & (1ull << 31)))
            return (cpu->code_mode == CODE64 ? lin : (lin & 0xffffffffull)) & cpu->mem->a20_mask;
        return paging_walk(cpu, lin, access, true) & cpu->mem->a20_mask;
    }
    uint64_t pa;
    lookup(cpu, lin, access, &pa);
    return pa;
}

/* The second page of an access crossing a page boundary; 32-bit linear
 * addresses wrap at 4 GiB. */
static uint64_t next_page(const CPU *cpu, uint64_t lin)
{
    uint64_t n = (lin | 0xfff) + 1;
    if (cpu->code_mode != CODE64 && lin <= 0xffffffffull)
        n &= 0xffffffffull;
    return n;
}

uint64_t mem_lin_read_slow(CPU *cpu, uint64_t lin, unsigned size, int access)
{
    Mem *m = cpu->mem;
    uint64_t pa;
    unsigned first = 4096 - (unsigned)(lin & 0xfff);
    if (__builtin_expect(cpu->debug_active & DBG_DATA, 0))
        debug_data_access(cpu, lin, size, access);
    if (size <= first) {
        TlbEntry *e = lookup(cpu, lin, access, &pa);
        if (!(e->tag[ACC_READ] & TLB_MMIO))  /* TLB_WATCH: RAM all the same */
            return tlb_host_load((const uint8_t *)(uintptr_t)(lin + e->addend), size);
        cpu->tlb->stats.slow_mmio++;
        return mem_phys_read(m, pa, size);
    }
    uint64_t pa2;
    lookup(cpu, lin, access, &pa);
    lookup(cpu, next_page(cpu, lin), access, &pa2);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= mem_phys_read(m, i < first ? pa + i : pa2 + (i - first), 1) << (8 * i);
    return v;
}

void mem_lin_write_slow(CPU *cpu, uint64_t lin, uint64_t val, unsigned size, int access)
{
    Mem *m = cpu->mem;
    uint64_t pa;
    unsigned first = 4096 - (unsigned)(lin & 0xfff);
    if (__builtin_expect(cpu->debug_active & DBG_DATA, 0))
        debug_data_access(cpu, lin, size, access);
    if (size <= first) {
        TlbEntry *e = lookup(cpu, lin, access, &pa);
        uint64_t tag = e->tag[ACC_WRITE];
        if (!(tag & (TLB_MMIO | TLB_CODE))) {
            tlb_host_store((uint8_t *)(uintptr_t)(lin + e->addend), val, size);
            return;
        }
        mem_phys_write(m, pa, val, size);
        if (tag & TLB_CODE) {
            cpu->tlb->stats.slow_code++;
            /* The code cache dropped the page's blocks: later writes may
             * take the fast path until code is built from it again. */
            if (!m->code_pages[pa >> 12])
                e->tag[ACC_WRITE] &= ~(uint64_t)TLB_CODE;
        } else {
            cpu->tlb->stats.slow_mmio++;
        }
        return;
    }
    /* Both pages are translated (and may fault) before either is written. */
    uint64_t pa2;
    lookup(cpu, lin, access, &pa);
    lookup(cpu, next_page(cpu, lin), access, &pa2);
    for (unsigned i = 0; i < size; i++)
        mem_phys_write(m, i < first ? pa + i : pa2 + (i - first), val >> (8 * i), 1);
}

uint64_t mem_lin_read(CPU *cpu, uint64_t lin, unsigned size)
{
    return tlb_read(cpu, lin, size);
}

void mem_lin_write(CPU *cpu, uint64_t lin, uint64_t val, unsigned size)
{
    tlb_write(cpu, lin, val, size);
}

uint64_t mem_lin_read_super(CPU *cpu, uint64_t lin, unsigned size)
{
    Tlb *t = cpu->tlb;
    if (t) {
        const TlbEntry *e = tlb_slot(t, lin, false);
        if (e->tag[ACC_READ] == ((lin + size - 1) & TLB_PAGE_MASK))
            return tlb_host_load((const uint8_t *)(uintptr_t)(lin + e->addend), size);
    }
    return mem_lin_read_slow(cpu, lin, size, ACC_READ | ACC_SUPER);
}

void mem_lin_write_super(CPU *cpu, uint64_t lin, uint64_t val, unsigned size)
{
    Tlb *t = cpu->tlb;
    if (t) {
        const TlbEntry *e = tlb_slot(t, lin, false);
        if (e->tag[ACC_WRITE] == ((lin + size - 1) & TLB_PAGE_MASK)) {
            tlb_host_store((uint8_t *)(uintptr_t)(lin + e->addend), val, size);
            return;
        }
    }
    mem_lin_write_slow(cpu, lin, val, size, ACC_WRITE | ACC_SUPER);
}

int mem_fetch(CPU *cpu, uint64_t lin, uint8_t *buf, int max)
{
    Mem *m = cpu->mem;
    Tlb *t = cpu->tlb ? cpu->tlb : tlb_attach(cpu);
    bool user = cpu->cpl == 3;
    int n = 0;
    while (n < max) {
        uint64_t a = lin + (uint64_t)n;
        if (cpu->code_mode != CODE64)
            a &= 0xffffffffull;
        int chunk = 4096 - (int)(a & 0xfff);
        if (chunk > max - n)
            chunk = max - n;
        unsigned idx = (a >> 12) & (TLB_ENTRIES - 1);
        TlbEntry *e = &t->e[user][idx];
        if ((e->tag[ACC_EXEC] & ~(uint64_t)TLB_SLOW) != (a & TLB_PAGE_MASK)) {
            e = tlb_fill(cpu, a, ACC_EXEC, false);
            if (!e)
                break;
        }
        uint64_t pa = t->info[user][idx].pa | (a & 0xfff);
        if (!(e->tag[ACC_EXEC] & TLB_MMIO)) {
            memcpy(buf + n, (const uint8_t *)(uintptr_t)(a + e->addend), (size_t)chunk);
            /* Code is about to be decoded from this page: writes to it
             * must take the slow path from now on (self-modifying code). */
            if (pa < m->ram_end && !m->code_pages[pa >> 12])
                mem_mark_code(m, pa);
        } else {
            for (int i = 0; i < chunk; i++)
                buf[n + i] = (uint8_t)mem_phys_read(m, pa + (uint64_t)i, 1);
        }
        n += chunk;
    }
    return n;
}

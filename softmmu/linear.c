/* linear.c — linear-address access: translation, page-crossing, fetch. */
#include <string.h>

#include "../cpu/cpu.h"
#include "mem.h"
#include "paging.h"

uint64_t mem_translate(CPU *cpu, uint64_t lin, int access)
{
    if (!(cpu->cr0 & (1ull << 31)))
        return cpu->code_mode == CODE64 ? lin : (lin & 0xffffffffull);
    return paging_walk(cpu, lin, access, true);
}

uint64_t mem_lin_read(CPU *cpu, uint64_t lin, unsigned size)
{
    Mem *m = cpu->mem;
    uint64_t pa = mem_translate(cpu, lin, ACC_READ);
    if (((lin & 4095) + size) <= 4096) {
        uint8_t *p = mem_phys_ptr(m, pa, size, false);
        if (p) {
            uint64_t v = 0;
            memcpy(&v, p, size);
            return v;
        }
        return mem_phys_read(m, pa, size);
    }
    unsigned first = 4096 - (lin & 4095);
    uint64_t pa2 = mem_translate(cpu, lin + first, ACC_READ);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= mem_phys_read(m, (i < first ? pa + i : pa2 + i - first), 1) << (8 * i);
    return v;
}

void mem_lin_write(CPU *cpu, uint64_t lin, uint64_t val, unsigned size)
{
    Mem *m = cpu->mem;
    uint64_t pa = mem_translate(cpu, lin, ACC_WRITE);
    if (((lin & 4095) + size) <= 4096) {
        mem_phys_write(m, pa, val, size);
        return;
    }
    /* Both pages are translated (and may fault) before either is written. */
    unsigned first = 4096 - (lin & 4095);
    uint64_t pa2 = mem_translate(cpu, lin + first, ACC_WRITE);
    for (unsigned i = 0; i < size; i++)
        mem_phys_write(m, (i < first ? pa + i : pa2 + i - first), val >> (8 * i), 1);
}

int mem_fetch(CPU *cpu, uint64_t lin, uint8_t *buf, int max)
{
    int n = 0;
    while (n < max) {
        uint64_t pa;
        if (!(cpu->cr0 & (1ull << 31)))
            pa = cpu->code_mode == CODE64 ? lin + n : ((lin + n) & 0xffffffffull);
        else if (!paging_probe(cpu, lin + n, ACC_EXEC, &pa))
            break;
        int chunk = 4096 - (int)((lin + n) & 4095);
        if (chunk > max - n)
            chunk = max - n;
        for (int i = 0; i < chunk; i++)
            buf[n + i] = (uint8_t)mem_phys_read(cpu->mem, pa + i, 1);
        n += chunk;
    }
    return n;
}

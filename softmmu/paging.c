/* paging.c — page-table walker.
 * Paging is issue 3's work; until then, a guest that sets CR0.PG gets #PF on
 * every access, so the gap is loud instead of silently wrong. */
#include "paging.h"

#include "../cpu/cpu.h"

bool paging_probe(CPU *cpu, uint64_t lin, int access, uint64_t *pa)
{
    (void)cpu; (void)lin; (void)access; (void)pa;
    return false;
}

uint64_t paging_walk(CPU *cpu, uint64_t lin, int access, bool raise)
{
    uint64_t pa;
    if (paging_probe(cpu, lin, access, &pa))
        return pa;
    if (raise) {
        cpu->cr2 = lin;
        cpu_raise(cpu, EXC_PF, (access == ACC_WRITE ? 2u : 0u) | (cpu->cpl == 3 ? 4u : 0u), true);
    }
    return ~0ull;
}

void paging_flush(CPU *cpu, bool include_global) { (void)cpu; (void)include_global; }
void paging_invlpg(CPU *cpu, uint64_t lin) { (void)cpu; (void)lin; }

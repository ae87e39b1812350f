/* paging.h — page-table walks for 32-bit, PAE and 4-level paging. */
#ifndef RZ_PAGING_H
#define RZ_PAGING_H

#include <stdbool.h>
#include <stdint.h>

typedef struct CPU CPU;

/* Translates lin for access (ACC_*) at the CPU's current CPL and paging mode,
 * setting accessed/dirty bits.  On a fault raises #PF (CR2, error code) when
 * raise is true. */
uint64_t paging_walk(CPU *cpu, uint64_t lin, int access, bool raise);
/* Like paging_walk without side effects on failure: returns false instead of
 * raising. */
bool paging_probe(CPU *cpu, uint64_t lin, int access, uint64_t *pa);

/* TLB maintenance, called by the CPU's system instructions:
 * MOV CR3 (without PGE globals), CR0/CR4 paging-bit changes, INVLPG. */
void paging_flush(CPU *cpu, bool include_global);
void paging_invlpg(CPU *cpu, uint64_t lin);

#endif

/* flat32.h — flat 32-bit protected mode for CPU-level unit tests: GDT at
 * 0x1800 (null, code 0x08, data 0x10), IDT at 0x2000 (limit 0x7ff), stack
 * at 0x8000, with interrupt gates written into guest RAM directly. */
#ifndef RZ_TEST_FLAT32_H
#define RZ_TEST_FLAT32_H

#include <string.h>

#include "cpu/cpu.h"

static inline void flat32_setup(CPU *cpu, uint8_t *ram, uint64_t entry)
{
    cpu_reset_flat(cpu, CODE32, entry);
    cpu->idtr.base = 0x2000;
    cpu->idtr.limit = 0x7ff;
    cpu->regs[R_SP] = 0x8000;
    uint64_t gdt[3] = { 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull };
    memcpy(ram + 0x1800, gdt, sizeof gdt);
    cpu->gdtr.base = 0x1800;
    cpu->gdtr.limit = sizeof gdt - 1;
}

/* A 32-bit interrupt gate to handler through code selector 0x08. */
static inline void flat32_gate(uint8_t *ram, unsigned vec, uint32_t handler)
{
    uint64_t g = (handler & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
                 ((uint64_t)(handler >> 16) << 48);
    memcpy(ram + 0x2000 + vec * 8, &g, 8);
}

#endif

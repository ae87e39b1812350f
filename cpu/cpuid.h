/* cpuid.h — CPUID as derived from the CPU's model, and the time-stamp
 * counter.
 *
 * Everything the guest can learn about which features exist comes from the
 * CPU's model and feature mask (model.h), so other parts of cpu/ ask
 * cpuid_has() instead of keeping their own idea of what is implemented.
 */
#ifndef RZ_CPUID_H
#define RZ_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

/* CPUID output registers, in out[] order */
enum { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* Fills out[4] (EAX, EBX, ECX, EDX) for a leaf and sub-leaf. */
void cpuid_query(const CPU *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* Whether bit of register reg (CPUID_*) of leaf (sub-leaf 0) is advertised. */
bool cpuid_has(const CPU *cpu, uint32_t leaf, unsigned reg, unsigned bit);
/* CPUID.1 EAX (family, model, stepping) of a model. */
uint32_t cpuid_signature(const CpuModel *m);

/* The guest's time-stamp counter value now (RDTSC, IA32_TSC). */
uint64_t cpu_tsc(CPU *cpu);

#endif

/* interrupt.h — exception and interrupt delivery (private to cpu/). */
#ifndef RZ_INTERRUPT_H
#define RZ_INTERRUPT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

/* Delivers the exception recorded in cpu->exc_* through the IVT/IDT.
 * Returns false when it cannot be delivered and the run must stop (the
 * caller reports it). */
bool cpu_deliver_exception(CPU *cpu);
/* Software or external interrupt vector through the IVT/IDT. */
void cpu_interrupt(CPU *cpu, int vector, uint64_t return_rip, bool software);
/* Takes a pending external interrupt if IF allows; true if one was taken. */
bool cpu_poll_interrupts(CPU *cpu);

#endif

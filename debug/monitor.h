/* monitor.h — the monitor's commands (docs/debugging.md), in QEMU's
 * spellings and output formats: help, info registers, info mtree,
 * x/FMT ADDR (linear), xp/FMT ADDR (physical), system_reset, quit.
 * gdb reaches it through qRcmd (`monitor CMD`).  What needs the whole
 * machine (the register dump, a reset) is the owner's, through MonHost.
 */
#ifndef RZ_MONITOR_H
#define RZ_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../cpu/cpu.h"

typedef struct MonHost {
    CPU *cpu;  /* its mem: x, xp, info mtree */
    void (*info_registers)(CPU *cpu, FILE *f);
    void (*system_reset)(void *opaque);
    void *opaque;
} MonHost;

enum { MON_DONE, MON_QUIT };

/* Runs one command line, its output (and any one-line error) to f. */
int monitor_command(const MonHost *h, const char *line, FILE *f);

/* Linear -> physical as the guest would translate it now, with no side
 * effects (no A/D bits, no #PF, nothing in the TLB); true only for RAM
 * and ROM (write: RAM only).  Shared with the gdb stub. */
bool debug_lin_to_phys(CPU *cpu, uint64_t lin, bool write, uint64_t *pa);

#endif

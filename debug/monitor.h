/* monitor.h — the monitor's commands (docs/debugging.md), in QEMU's
 * spellings and output formats: help, info registers, info tlb, info mem,
 * info mtree, info pic, info irq, x/FMT ADDR (linear), xp/FMT ADDR
 * (physical), stop, cont, system_reset, quit.  One command table for both
 * ways in: gdb's `monitor CMD' (qRcmd, debug/gdbstub.c) and the console's
 * Ctrl-A c prompt (vm/console_monitor.c).  What needs the whole machine
 * (the register dump, the interrupt controllers, a reset) is the owner's,
 * through MonHost.
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
    /* The 8259 pair's state and the interrupt counts; NULL on a machine
     * without them (the minimal machine). */
    void (*info_pic)(void *opaque, FILE *f);
    void (*info_irq)(void *opaque, FILE *f);
    void (*system_reset)(void *opaque);
    void *opaque;
} MonHost;

/* What the caller does after a command: nothing, end ringzero, keep the
 * guest stopped (stop), run it (cont).  The caller owns run state, so
 * stop and cont print nothing themselves. */
enum { MON_DONE, MON_QUIT, MON_STOP, MON_CONT };

/* Runs one command line, its output (and any one-line error) to f. */
int monitor_command(const MonHost *h, const char *line, FILE *f);

/* info tlb and info mem (mon_paging.c): the guest's page tables read as
 * they are, without side effects. */
void mon_info_tlb(CPU *cpu, FILE *f);
void mon_info_mem(CPU *cpu, FILE *f);

/* Linear -> physical as the guest would translate it now, with no side
 * effects (no A/D bits, no #PF, nothing in the TLB); true only for RAM
 * and ROM (write: RAM only).  Shared with the gdb stub. */
bool debug_lin_to_phys(CPU *cpu, uint64_t lin, bool write, uint64_t *pa);

#endif

/* log.h — the -d log items (spelled as QEMU spells them) and their output.
 *
 * The CPU reaches the log only through its three tracing hooks
 * (cpu->trace_*), which stay NULL for the items that are off, so a run
 * without -d pays nothing beyond the loop's NULL tests.
 */
#ifndef RZ_LOG_H
#define RZ_LOG_H

#include <stdio.h>

#include "machine.h"

/* LOG_* bit of an item name ("int", "in_asm", ...), 0 if there is none. */
unsigned log_item(const char *name);
/* The item list with one line of help each, for -d help. */
void log_help(FILE *f);

/* Sets the CPU's tracing hooks from m->log_mask (NULL for what is off).
 * cpu_reset() clears them, so the board calls this again after a reset. */
void log_install(Machine *m);

/* Writes out the buffered log: -1 (errno set when the write just failed)
 * if a write to it has failed. */
int log_flush(Machine *m);

/* Register dump: GPRs, RIP, EFLAGS, segment caches, GDTR/IDTR/LDTR/TR,
 * CR0/2/3/4/8, EFER.  Reads no guest memory. */
void log_cpu_state(CPU *cpu, FILE *f);
/* With cpu_reset on: "cpu_reset: <what>:" and the register dump. */
void log_reset_state(Machine *m, const char *what);

/* "#GP", "#PF", ... for vectors 0..31, "vector N" style otherwise. */
const char *log_exc_name(int vector);
/* "real", "v8086", "16-bit protected", "32-bit protected",
 * "compatibility", "64-bit". */
const char *log_mode_name(const CPU *cpu);

#endif

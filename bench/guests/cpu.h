/* cpu.h — the CPU-bound benchmark (bench/cpu.sh): three workloads in
 * cpu.c, the same C source built as a 32-bit guest, a 64-bit guest and a
 * native host program.  A per-target shim (shim_rt.c on the guest runtime,
 * shim_host.c on libc) supplies what differs: output, memory, failure.
 *
 * Nothing here measures time: every workload prints a line when it begins
 * and one when it ends, and the host stamps them as they arrive
 * (bench/stamp.py), so the emulators' start-up is not counted and every
 * engine is timed by the same clock.
 *
 * Sizes: CPU_BENCH_SHIFT divides every data size by 2^SHIFT (0: the full
 * run, 16 MiB / 1 M ints; 4: --quick and the ctest). */
#ifndef BENCH_CPU_H
#define BENCH_CPU_H

#include <stddef.h>
#include <stdint.h>

#ifndef CPU_BENCH_SHIFT
#define CPU_BENCH_SHIFT 0
#endif

/* ---- the shim ---- */
/* Prints one line and makes sure it has left the process before returning. */
void shim_line(const char *s);
/* size bytes, 4 KiB-aligned, never freed; does not return on failure. */
void *shim_alloc(size_t size);
/* Prints "FAIL: why" and ends the run with a failure status. */
_Noreturn void shim_fail(const char *why);

/* ---- the benchmark (cpu.c) ---- */
/* Runs the three workloads; returns 0 (a failed self-check calls shim_fail). */
int cpu_bench(void);

#endif

/* board.h — what device models need from the machine that holds them.
 *
 * Devices live below vm/ (cmake/layers.cmake: vm -> hw -> cpu, softmmu), so
 * they cannot take a Machine *.  They take a Board instead: the address
 * spaces they register on, the CPU whose interrupt hooks they install, the
 * console, and four callbacks into the machine for what only it decides
 * (guest time, reset, power-off, logging).  The machine fills one Board and
 * hands the same pointer to every device; devices keep the pointer, never a
 * copy, and never look behind opaque.
 *
 * Not used yet: hw/ still takes a Machine * (the known back edge hw -> vm in
 * cmake/layers.cmake) until the device changes being made in parallel are
 * merged; then every Machine * in hw/ becomes a const Board *.
 */
#ifndef RZ_BOARD_H
#define RZ_BOARD_H

#include <stdint.h>
#include <stdio.h>

typedef struct CPU CPU;
typedef struct Mem Mem;

typedef struct Board {
    Mem *mem;             /* ports and MMIO are registered here (mem.h) */
    CPU *cpu;             /* intr_pending/intr_ack hooks, NMI (cpu.h) */
    FILE *console;        /* debug console (0xE9), -serial stdio */
    void *opaque;         /* the machine: first argument of the callbacks */
    /* Guest time in ns since start (host clock, or from the instruction
     * count with -icount); devices derive their clocks from it. */
    uint64_t (*now_ns)(void *opaque);
    /* A reset line was pulled (i8042, port 0x92, 0xCF9): the run loop
     * resets the machine, or exits with -no-reboot.  why names the line. */
    void (*request_reset)(void *opaque, const char *why);
    /* Power off with an exit status (the isa-debug-exit port, the serial
     * console's Ctrl-A x, ACPI S5): the run stops and the process exits
     * with status. */
    void (*request_poweroff)(void *opaque, int status);
    /* One line for the -d item named item ("guest_errors", ...), printed
     * only when that item is on; printf-style. */
    void (*log)(void *opaque, const char *item, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
} Board;

#endif

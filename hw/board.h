/* board.h — what device models need from the machine that holds them.
 *
 * Devices live below vm/ (cmake/layers.cmake: vm -> hw -> cpu, softmmu), so
 * they cannot take a Machine *.  They take a Board instead: the address
 * spaces they register on, the CPU whose interrupt hooks they install, the
 * console, and four callbacks into the machine for what only it decides
 * (guest time, reset, power-off, logging).  The machine fills one Board
 * (Machine.board) and hands the same pointer to every device; devices keep
 * the pointer, never a copy, and never look behind opaque.
 */
#ifndef RZ_BOARD_H
#define RZ_BOARD_H

#include <stdint.h>

#include "chardev.h"

typedef struct CPU CPU;
typedef struct Mem Mem;

typedef struct Board {
    Mem *mem;             /* ports and MMIO are registered here (mem.h) */
    CPU *cpu;             /* intr_pending/intr_ack hooks, NMI (cpu.h) */
    Chardev *console;     /* the debug console (0xE9); stdout */
    void *opaque;         /* the machine: first argument of the callbacks */
    /* Guest time in ns since start (host clock, or from the instruction
     * count with -icount); devices derive their clocks from it. */
    uint64_t (*now_ns)(void *opaque);
    /* A reset line was pulled (i8042, port 0x92, 0xCF9): the run loop
     * resets the machine, or exits with -no-reboot.  why names the line. */
    void (*request_reset)(void *opaque, const char *why);
    /* Power off (the isa-debug-exit port, ACPI S5): the run stops after
     * the current instruction and the process exits with status.  why
     * names the source. */
    void (*request_poweroff)(void *opaque, int status, const char *why);
    /* One line "<item>: <text>" for the -d item named item ("guest_errors",
     * "post"), printed only when that item is on; printf-style, no
     * newline in fmt. */
    void (*log)(void *opaque, const char *item, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
} Board;

#endif

/* machine.h — a Machine owns its CPU, address spaces, code cache and
 * devices; nothing is global, so two machines can live in one process. */
#ifndef RZ_MACHINE_H
#define RZ_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../cpu/cpu.h"
#include "../softmmu/mem.h"
#include "../codecache/codecache.h"
#include "../debug/monitor.h"
#include "../hw/board.h"
#include "../hw/chardev.h"

struct PcBoard;
struct GdbStub;

typedef struct MachineConfig {
    uint64_t ram_size;
    int serial;             /* CHR_STDIO, CHR_FILE, CHR_NONE (hw/chardev.h) */
    const char *serial_path;
    int icount_shift;       /* -1: host time; else 1 instruction = 2^shift ns */
    bool no_reboot;
    bool bios;              /* -bios: firmware owns 0xE0000-0xFFFFF, so
                             * ringzero installs no ACPI tables there */
    const CpuModel *cpu_model; /* NULL: the default (intel) */
} MachineConfig;

typedef struct Machine {
    Mem mem;
    CPU cpu;
    CodeCache *cc;
    Chardev console;      /* stdout: the debug console (0xE9), and COM1 with -serial stdio */
    Chardev serial_file;  /* COM1 with -serial file:PATH */
    FILE *log;            /* -d output (-D FILE), stderr by default */
    const char *log_name; /* for messages: "stderr" or the -D path */
    int stop_signal;      /* the signal that ended machine_run, 0 if none */
    unsigned log_mask;    /* LOG_* */
    bool exit_requested;
    int exit_status;      /* from machine_request_poweroff */
    Board board;          /* what the devices see of the machine (hw/board.h) */
    struct PcBoard *pc;   /* NULL for the minimal machine */
    int icount_shift;
    uint64_t start_ns;
    uint64_t idle_ns;     /* -icount: time skipped while halted */
    bool no_reboot;
    bool reset_requested;
    const char *reset_reason;
    const char *poweroff_reason;  /* set by machine_request_poweroff */
    uint8_t *bios_rom;    /* the -bios image behind its ROM regions (owned) */
    /* Physical address of the ACPI RSDP when the board has ACPI tables,
     * 0 otherwise; the Linux loader passes it in boot_params. */
    uint64_t acpi_rsdp;
    /* -gdb / -s (debug/gdbstub.h), NULL without; gdb_start_stopped: -S. */
    struct GdbStub *gdb;
    bool gdb_start_stopped;
    MonHost mon;          /* the monitor (gdb's `monitor', the console's Ctrl-A c) reaches the machine here */
    struct Dbt *dbt;      /* tier 1 (-accel dbt), NULL: the interpreter alone */
    size_t cache_bytes;   /* -accel ...,tb-size: the code cache's size (0: its default);
                             set before machine_init */
} Machine;

enum { LOG_GUEST_ERRORS = 1 << 0, LOG_INT = 1 << 1, LOG_CPU_RESET = 1 << 2,
       LOG_IN_ASM = 1 << 3, LOG_EXEC = 1 << 4, LOG_CPU = 1 << 5, LOG_TBSTATS = 1 << 6,
       LOG_POST = 1 << 7, LOG_OUT_ASM = 1 << 8 };

/* The PC's memory map (docs/machine.md): RAM up to PC_RAM_BELOW_4G_MAX at
 * physical 0, the rest from 4 GiB; [3 GiB, 4 GiB) is the 32-bit hole for
 * the APIC, IO-APIC, firmware and other MMIO. */
#define PC_RAM_BELOW_4G_MAX 0xc0000000ull


/* Returns 0, or -1 with a one-line reason in err. */
int machine_init(Machine *m, uint64_t ram_size, char *err, size_t errlen);
/* The PC board (PIC, PIT, RTC, UART, i8042, ...) on top of machine_init. */
int machine_init_pc(Machine *m, const MachineConfig *cfg, char *err, size_t errlen);
void machine_free(Machine *m);
/* -accel dbt: tier 1 on top of the interpreter (dbt/dbt.h). */
struct DbtOptions;
int machine_use_dbt(Machine *m, const struct DbtOptions *o, char *err, size_t errlen);
/* Guest time in ns since start: host monotonic, or from the instruction
 * count with -icount. */
uint64_t machine_now_ns(Machine *m);
/* A reset line was pulled: the run loop resets (or exits with -no-reboot). */
void machine_request_reset(Machine *m, const char *why);
/* The board turned the power off (ACPI S5 with status 0; the exit port
 * with (value << 1) | 1): the run ends with status after the current
 * instruction. */
void machine_request_poweroff(Machine *m, int status, const char *why);
/* Loads an ELF32/ELF64 or, with is_flat, a flat binary at load_addr.
 * Sets the CPU up in the mode the image needs. */
int machine_load(Machine *m, const char *path, bool is_flat, uint64_t load_addr,
                 int flat_mode, char *err, size_t errlen);
/* -bios: a ROM image mapped at the top of the first MiB (its last 128 KiB,
 * or all of a smaller one) and just below 4 GiB; the CPU starts at its reset
 * vector.  Sizes: a multiple of 64 KiB from 64 KiB to 16 MiB. */
int machine_load_bios(Machine *m, const char *path, char *err, size_t errlen);
/* -kernel with its options: a Linux bzImage ("HdrS" at 0x202, vm/linux.c)
 * gets the boot protocol; a Multiboot v1 image (header in the first 8 KiB)
 * cmdline, modules (comma-separated initrd list) and a memory map;
 * otherwise as machine_load for ELF. */
int machine_load_kernel(Machine *m, const char *path, const char *cmdline,
                        const char *initrd, char *err, size_t errlen);

/* Runs until the guest exits, halts for good or stops on an exception.
 * Returns the process exit status.  Output (console, serial file, log) is
 * flushed at every run chunk and before returning; a write error stops
 * the run with one line on stderr and status 4.  A signal caught by
 * chr_catch_signals() stops it too: m->stop_signal says which, for the
 * caller to re-raise after its cleanup. */
int machine_run(Machine *m);
/* Writes out the console, the serial file and the log; -1 after a write
 * error on any of them, with "<where>: <reason>" in err. */
int machine_flush(Machine *m, char *err, size_t errlen);
/* -gdb SPEC (tcp::PORT or tcp:HOST:PORT): listens now, so a port in use
 * is an error here; the run loop then serves gdb.  0, or -1 with a
 * one-line reason in err. */
int machine_gdb_listen(Machine *m, const char *spec, char *err, size_t errlen);

#endif

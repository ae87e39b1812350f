/* pc.h — the PC board: wires the 8259 pair, the local APIC and IO-APIC,
 * 8254, RTC, 16550A COM1, i8042, port 0x92, 0xCF9, POST port 0x80, the ACPI
 * PM block, debug console and exit port to the CPU's interrupt hooks and the
 * machine's reset and power; builds the ACPI tables.  Each device is a
 * DeviceDesc (hw/device.h) in the board's device list. */
#ifndef RZ_PC_H
#define RZ_PC_H

#include "acpi.h"
#include "acpi_pm.h"
#include "device.h"
#include "e820.h"
#include "hw.h"
#include "fw_cfg.h"
#include "i8042.h"
#include "ioapic.h"
#include "lapic.h"
#include "pic.h"
#include "pit.h"
#include "rtc.h"
#include "uart.h"

/* Under -icount the RTC starts at 2026-01-01 00:00:00 UTC, so that runs
 * repeat exactly. */
#define RTC_ICOUNT_BASE 1767225600

typedef struct PcBoard {
    const Board *b;       /* the machine, as devices see it (board.h) */
    PicPair pic;
    Lapic lapic;
    Ioapic ioapic;
    bool apic_mmio;       /* the APIC windows are mapped (not covered by RAM) */
    uint64_t lapic_window;/* where the local APIC's registers are mapped */
    Pit pit;
    Rtc rtc;
    Uart com1;
    I8042 kbc;
    AcpiPm acpi_pm;
    DeviceList devices;
    FwCfg *fw_cfg;        /* ports 0x510/0x511; the Linux loader adds its items */
    uint8_t port92;
    uint8_t post_code;
    uint8_t port61;       /* speaker / gate-2 bits the guest wrote */
    /* Channel-0 edges that fell while IRQ0 was still pending (the host did
     * not run the guest for a while): delivered one at a time as the guest
     * takes each, so a guest counting ticks (jiffies) loses none. */
    unsigned pit_owed;
    /* External interrupts the CPU took (its INTA), by vector, since the
     * last reset: the monitor's info irq. */
    uint64_t vector_count[256];
    uint64_t next_deadline_ns;
    unsigned poll_countdown;
    uint8_t acpi_rom[ACPI_TABLES_SIZE];  /* the tables acpi_install maps */
} PcBoard;

/* b: the machine as devices see it, kept (it must outlive the board);
 * serial: COM1's host end (the machine owns it), NULL for none. */
int pc_init(PcBoard *pc, const Board *b, Chardev *serial, char *err, size_t errlen);
/* Brings device state up to now (timers, serial input); returns the next
 * time something is due, for a halted CPU to sleep until. */
uint64_t pc_update(PcBoard *pc);
void pc_reset(PcBoard *pc);
/* Builds the ACPI tables and maps them at ACPI_TABLES_BASE; not called
 * when firmware (-bios) owns that area. */
int pc_install_acpi(PcBoard *pc, char *err, size_t errlen);
/* An ISA interrupt line: to the 8259 input and to the IO-APIC's GSI
 * (ISA IRQ n is GSI n, but the PIT's IRQ0 is GSI 2, which the ACPI MADT
 * describes with an interrupt source override). */
void pc_set_irq(PcBoard *pc, unsigned isa_irq, bool level);
/* The file descriptor a halted machine waits on for input, or -1. */
int pc_input_fd(const PcBoard *pc);
/* The monitor's info irq: acknowledges per 8259 line ("IRQ statistics for
 * isa-i8259:" and " N: COUNT" lines, as QEMU), then per vector taken
 * ("0xVV: COUNT"), both since the last reset, lines with 0 left out. */
void pc_print_irq_info(const PcBoard *pc, FILE *f);
void pc_free(PcBoard *pc);

#endif

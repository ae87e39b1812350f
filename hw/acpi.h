/* acpi.h — the ACPI tables ringzero builds for a guest that has no
 * firmware of its own (ACPI 6.0): RSDP (revision 2), RSDT and XSDT, FADT
 * (revision 6), FACS, MADT and the DSDT (hw/acpi/dsdt.asl, compiled by
 * iasl at build time).  They describe the board as docs/machine.md does:
 * one CPU with its local APIC, the IO-APIC, the PM block of hw/acpi_pm.h,
 * the reset register (port 0xCF9) and the legacy ISA devices.
 *
 * acpi_build only writes a buffer, so the same tables can later be handed
 * to firmware (fw_cfg); acpi_install maps such a buffer as ROM where a
 * kernel's RSDP scan finds it. */
#ifndef RZ_ACPI_H
#define RZ_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "../softmmu/mem.h"

/* The tables' home: the RSDP at its start, inside the legacy RSDP scan
 * range 0xE0000-0xFFFFF (ACPI 6.0 5.2.5.1). */
#define ACPI_TABLES_BASE 0xe0000u
#define ACPI_TABLES_SIZE 0x10000u

typedef struct AcpiConfig {
    uint64_t ram_size;        /* no table needs it yet (no SRAT) */
    uint32_t lapic_addr;      /* 0xFEE00000, APIC ID 0 */
    uint32_t ioapic_addr;     /* 0xFEC00000 */
    uint8_t ioapic_id;        /* 1, GSI base 0, 24 inputs */
} AcpiConfig;

/* The board's values (docs/machine.md). */
void acpi_config_pc(AcpiConfig *c, uint64_t ram_size);
/* Writes the tables into buf, addressed as if buf were at base_pa (the
 * RSDP first).  Returns the bytes used, or 0 if len is too small. */
size_t acpi_build(const AcpiConfig *c, uint8_t *buf, size_t len, uint64_t base_pa);
/* Maps rom[0, len) as read-only memory "acpi-tables" at base_pa; rom must
 * outlive the Mem. */
int acpi_install(Mem *mem, uint8_t *rom, size_t len, uint64_t base_pa, char *err, size_t errlen);

#endif

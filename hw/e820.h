/* e820.h — the PC's memory map as firmware reports it (INT 15h E820):
 * one description of RAM, the legacy area and the 32-bit hole that
 * boot_params, Multiboot and fw_cfg's etc/e820 all take. */
#ifndef RZ_E820_H
#define RZ_E820_H

#include <stdint.h>

#include "../softmmu/mem.h"

typedef struct E820Entry {
    uint64_t addr, size;
    uint32_t type;
} E820Entry;
enum { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3, E820_NVS = 4 };
#define E820_MAX 8

/* The memory map of mem, in address order: the entries written to e (at
 * most E820_MAX). */
int e820_map(const Mem *mem, E820Entry *e);
/* The entries in the BIOS's 20-byte little-endian form (64-bit address,
 * 64-bit length, 32-bit type), as boot_params and fw_cfg's etc/e820 hold
 * them; out has room for 20 * n bytes. */
void e820_encode(const E820Entry *e, int n, uint8_t *out);

#endif

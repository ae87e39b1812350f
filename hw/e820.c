/* e820.c — the PC memory map (e820.h). */
#include "e820.h"

/* Conventional memory up to an EBDA-sized reserve below 640 KiB, the
 * legacy area reserved (VGA window, option and system ROM, where the ACPI
 * tables live), RAM from 1 MiB to the 32-bit hole and above 4 GiB.  A
 * machine without the legacy hole (the minimal one) is one RAM block. */
int e820_map(const Mem *mem, E820Entry *e)
{
    int n = 0;
    if (!mem->ram_hole_end) {
        e[n++] = (E820Entry){ 0, mem->ram_below_4g, E820_RAM };
    } else {
        uint64_t conv = mem->ram_hole_start < 0x9fc00 ? mem->ram_hole_start : 0x9fc00;
        e[n++] = (E820Entry){ 0, conv, E820_RAM };
        if (conv < 0xa0000)
            e[n++] = (E820Entry){ conv, 0xa0000 - conv, E820_RESERVED };
        e[n++] = (E820Entry){ 0xa0000, 0x100000 - 0xa0000, E820_RESERVED };
        if (mem->ram_below_4g > 0x100000)
            e[n++] = (E820Entry){ 0x100000, mem->ram_below_4g - 0x100000, E820_RAM };
    }
    if (mem->ram_above_4g)
        e[n++] = (E820Entry){ MEM_4G, mem->ram_above_4g, E820_RAM };
    return n;
}

void e820_encode(const E820Entry *e, int n, uint8_t *out)
{
    for (int i = 0; i < n; i++, out += 20)
        for (unsigned b = 0; b < 8; b++) {
            out[b] = (uint8_t)(e[i].addr >> (8 * b));
            out[8 + b] = (uint8_t)(e[i].size >> (8 * b));
            if (b < 4)
                out[16 + b] = (uint8_t)(e[i].type >> (8 * b));
        }
}


/* ioapic.h — the I/O APIC (Intel 82093AA): 24 interrupt inputs, each
 * routed by a redirection entry to a local APIC as a message.  Version
 * 0x11: no EOI register; remote IRR clears on the local APIC's broadcast
 * EOI of the entry's vector. */
#ifndef RZ_IOAPIC_H
#define RZ_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_SIZE 0x20u          /* IOREGSEL at 0x00, IOWIN at 0x10 */
#define IOAPIC_PINS 24
#define IOAPIC_RESET_ID 0          /* the ID register after reset; the MADT names it */
#define IOAPIC_VERSION (0x11u | (IOAPIC_PINS - 1u) << 16)

typedef struct Ioapic {
    uint32_t id;                   /* bits 27:24 */
    uint8_t regsel;
    uint64_t redir[IOAPIC_PINS];
    uint32_t lines;                /* input pin levels (before polarity) */
    /* A message to the local APIC(s): destination (physical ID or logical
     * MDA), delivery mode, vector, trigger (true: level).  Returns whether
     * some APIC accepted it. */
    bool (*deliver)(void *opaque, bool logical, uint8_t dest, unsigned mode, uint8_t vector,
                    bool level);
    void (*log)(void *opaque, const char *msg);
    void *opaque;
} Ioapic;

/* Reset: every entry masked, ID 0; hooks kept. */
void ioapic_reset(Ioapic *io);
void ioapic_set_irq(Ioapic *io, unsigned pin, bool level);
/* The local APIC's EOI of a level-triggered vector. */
void ioapic_eoi(Ioapic *io, uint8_t vector);
/* Register access at offset in the 32-byte window (32-bit accesses). */
uint64_t ioapic_mmio_read(Ioapic *io, uint64_t offset, unsigned size);
void ioapic_mmio_write(Ioapic *io, uint64_t offset, uint64_t val, unsigned size);

#endif

/* ioapic.c — 82093AA I/O APIC.  An edge entry sends a message on each
 * rising edge of its (polarity-adjusted) input while unmasked; a level
 * entry sends while the input is asserted and remote IRR is clear, sets
 * remote IRR, and sends again after the EOI if the input is still up. */
#include "ioapic.h"

#include "lapic.h"

enum {
    RE_DESTMOD = 1u << 11, RE_DELIVS = 1u << 12, RE_POLARITY = 1u << 13, RE_REMOTE_IRR = 1u << 14,
    RE_LEVEL = 1u << 15, RE_MASKED = 1u << 16,
    RE_WRITABLE_LO = 0x1afffu,      /* not delivery status or remote IRR */
};

#define guest_error(io, ...) apic_logf((io)->log, (io)->opaque, "ioapic", __VA_ARGS__)

void ioapic_reset(Ioapic *io)
{
    io->id = (uint32_t)IOAPIC_RESET_ID << 24;
    io->regsel = 0;
    for (int i = 0; i < IOAPIC_PINS; i++)
        io->redir[i] = RE_MASKED;
}

static bool asserted(const Ioapic *io, unsigned pin)
{
    return ((io->lines >> pin) & 1) ^ ((io->redir[pin] & RE_POLARITY) != 0);
}

/* Level-triggered fixed/lowest entries hold remote IRR until the EOI; the
 * other delivery modes are edge messages whatever the trigger bit says. */
static bool holds_remote_irr(uint64_t e)
{
    unsigned mode = (e >> 8) & 7;
    return (e & RE_LEVEL) && (mode == DM_FIXED || mode == DM_LOWEST);
}

static void send(Ioapic *io, unsigned pin)
{
    uint64_t e = io->redir[pin];
    if (holds_remote_irr(e))
        io->redir[pin] |= RE_REMOTE_IRR;
    if (!io->deliver || !io->deliver(io->opaque, e & RE_DESTMOD, (uint8_t)(e >> 56), (e >> 8) & 7,
                                     (uint8_t)e, (e & RE_LEVEL) != 0)) {
        guest_error(io, "pin %u: no local APIC matches destination %#x (%s)", pin,
                    (unsigned)(e >> 56), e & RE_DESTMOD ? "logical" : "physical");
        io->redir[pin] &= ~(uint64_t)RE_REMOTE_IRR;
    }
}

/* A level entry whose input is asserted sends unless remote IRR is set. */
static void service_level(Ioapic *io, unsigned pin)
{
    uint64_t e = io->redir[pin];
    if (!(e & RE_MASKED) && (e & RE_LEVEL) && !(e & RE_REMOTE_IRR) && asserted(io, pin))
        send(io, pin);
}

void ioapic_set_irq(Ioapic *io, unsigned pin, bool level)
{
    if (pin >= IOAPIC_PINS)
        return;
    bool was = asserted(io, pin);
    if (level)
        io->lines |= 1u << pin;
    else
        io->lines &= ~(1u << pin);
    uint64_t e = io->redir[pin];
    if (e & RE_LEVEL)
        service_level(io, pin);
    else if (!(e & RE_MASKED) && !was && asserted(io, pin))
        send(io, pin);  /* an edge while masked is lost */
}

void ioapic_eoi(Ioapic *io, uint8_t vector)
{
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        if ((uint8_t)io->redir[pin] == vector && (io->redir[pin] & RE_REMOTE_IRR)) {
            io->redir[pin] &= ~(uint64_t)RE_REMOTE_IRR;
            service_level(io, pin);
        }
    }
}

static uint32_t reg_read(Ioapic *io)
{
    unsigned r = io->regsel;
    if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
        uint64_t e = io->redir[(r - 0x10) / 2];
        return (uint32_t)(r & 1 ? e >> 32 : e);
    }
    switch (r) {
    case 0: return io->id;
    case 1: return IOAPIC_VERSION;
    case 2: return io->id;          /* arbitration ID: the APIC ID */
    default:
        guest_error(io, "read of undefined register %#x", r);
        return 0;
    }
}

static void reg_write(Ioapic *io, uint32_t v)
{
    unsigned r = io->regsel;
    if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
        unsigned pin = (r - 0x10) / 2;
        uint64_t e = io->redir[pin];
        if (r & 1) {
            e = (e & 0xffffffffull) | (uint64_t)(v & 0xff000000u) << 32;
        } else {
            e = (e & ~0xffffffffull) | (e & (RE_DELIVS | RE_REMOTE_IRR)) | (v & RE_WRITABLE_LO);
            if (!(e & RE_LEVEL))
                e &= ~(uint64_t)RE_REMOTE_IRR;
        }
        io->redir[pin] = e;
        service_level(io, pin);  /* unmasking an asserted level input sends */
        return;
    }
    switch (r) {
    case 0: io->id = v & 0x0f000000u; break;
    case 1: case 2: guest_error(io, "write %#x to read-only register %#x ignored", v, r); break;
    default: guest_error(io, "write %#x to undefined register %#x ignored", v, r); break;
    }
}

uint64_t ioapic_mmio_read(Ioapic *io, uint64_t offset, unsigned size)
{
    if (size != 4 || (offset != 0 && offset != 0x10)) {
        guest_error(io, "%u-byte read at offset %#llx: only 32-bit IOREGSEL/IOWIN accesses",
                    size, (unsigned long long)offset);
        return 0;
    }
    return offset ? reg_read(io) : io->regsel;
}

void ioapic_mmio_write(Ioapic *io, uint64_t offset, uint64_t val, unsigned size)
{
    if (size != 4 || (offset != 0 && offset != 0x10)) {
        guest_error(io, "%u-byte write at offset %#llx: only 32-bit IOREGSEL/IOWIN accesses",
                    size, (unsigned long long)offset);
        return;
    }
    if (offset)
        reg_write(io, (uint32_t)val);
    else
        io->regsel = (uint8_t)val;
}

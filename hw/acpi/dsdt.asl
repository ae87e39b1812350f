/*
 * dsdt.asl — ringzero's DSDT: the sleep states and the board's legacy ISA
 * devices, nothing that is not there.  There is no PCI host bridge, so the
 * devices sit directly under \_SB.  The numbers shared with the C code
 * (the PM block, SLP_TYP) come from acpi_defs.h.
 */
#include "acpi_defs.h"

DefinitionBlock ("", "DSDT", 2, "RINGZ0", "RINGZERO", 1)
{
    /* Sleep states: {SLP_TYPa, SLP_TYPb, reserved, reserved}.  S0 is the
     * working state; S5 (soft off) is the only sleep state. */
    Name (\_S0, Package () { ACPI_SLP_TYP_S0, ACPI_SLP_TYP_S0, Zero, Zero })
    Name (\_S5, Package () { ACPI_SLP_TYP_S5, ACPI_SLP_TYP_S5, Zero, Zero })

    Scope (\_SB)
    {
        /* The one processor; _UID matches the MADT's ACPI processor UID. */
        Device (CPU0)
        {
            Name (_HID, "ACPI0007")
            Name (_UID, Zero)
        }

        /* 8259A pair (the ELCR is with the motherboard resources). */
        Device (PIC)
        {
            Name (_HID, EisaId ("PNP0000"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0020, 0x0020, 0x01, 0x02)
                IO (Decode16, 0x00A0, 0x00A0, 0x01, 0x02)
                IRQNoFlags () {2}
            })
        }

        /* 8254 PIT. */
        Device (TMR)
        {
            Name (_HID, EisaId ("PNP0100"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0040, 0x0040, 0x01, 0x04)
                IRQNoFlags () {0}
            })
        }

        /* MC146818 RTC and CMOS. */
        Device (RTC)
        {
            Name (_HID, EisaId ("PNP0B00"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
                IRQNoFlags () {8}
            })
        }

        /* i8042 with its keyboard port (no mouse is modelled). */
        Device (KBD)
        {
            Name (_HID, EisaId ("PNP0303"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
                IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
                IRQNoFlags () {1}
            })
        }

        /* 16550A on COM1. */
        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, One)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
                IRQNoFlags () {4}
            })
        }

        /* Motherboard resources no driver should claim: the ACPI PM block,
         * the ELCR, port B, the POST port, port 0x92, the reset control
         * register, ringzero's debug console and exit port. */
        Device (SYS)
        {
            Name (_HID, EisaId ("PNP0C02"))
            Name (_UID, One)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, ACPI_PM_BASE, ACPI_PM_BASE, 0x01, ACPI_PM_LEN)
                IO (Decode16, 0x04D0, 0x04D0, 0x01, 0x02)
                IO (Decode16, 0x0061, 0x0061, 0x01, 0x01)
                IO (Decode16, 0x0080, 0x0080, 0x01, 0x01)
                IO (Decode16, 0x0092, 0x0092, 0x01, 0x01)
                IO (Decode16, 0x0CF9, 0x0CF9, 0x01, 0x01)
                IO (Decode16, 0x00E9, 0x00E9, 0x01, 0x01)
                IO (Decode16, 0x00F4, 0x00F4, 0x01, 0x04)
            })
        }
    }
}

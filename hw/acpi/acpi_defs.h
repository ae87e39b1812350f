/* acpi_defs.h — the board's ACPI numbers that the DSDT (through iasl's
 * preprocessor) and the C code must agree on.  Only plain #defines of
 * literals: ASL reads this file too. */
#ifndef RZ_ACPI_DEFS_H
#define RZ_ACPI_DEFS_H

/* The PM I/O block: PM1a_EVT (status + enable) at +0, PM1a_CNT at +4,
 * PM_TMR at +8; 12 ports in all. */
#define ACPI_PM_BASE 0x0600
#define ACPI_PM_LEN 0x0C
#define ACPI_SCI_IRQ 9

/* SLP_TYP values (PM1_CNT bits 10-12), as the Intel ICH numbers them. */
#define ACPI_SLP_TYP_S0 0
#define ACPI_SLP_TYP_S5 7

#endif

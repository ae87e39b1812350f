/* acpi_pm.h — the ACPI fixed-hardware PM block at ACPI_PM_BASE (0x600):
 * PM1a_EVT_BLK (PM1_STS, PM1_EN), PM1a_CNT_BLK (PM1_CNT) and the PM timer
 * (ACPI 6.0 sections 4.8.3-4.8.4).
 *
 * The timer counts at 3.579545 MHz from the board clock, 32 bits wide
 * (the FADT sets TMR_VAL_EXT); TMR_STS is set each time bit 31 changes.
 * ACPI is always enabled (no SMI_CMD): SCI_EN reads 1.  SLP_EN with
 * SLP_TYP = ACPI_SLP_TYP_S5 powers the machine off; any other sleep type
 * is not supported and wakes at once (WAK_STS).  The SCI is level, active
 * high: STS & EN for the timer and the power button. */
#ifndef RZ_ACPI_PM_H
#define RZ_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi/acpi_defs.h"
#include "device.h"

#define ACPI_PM_TIMER_HZ 3579545ull

/* PM1_STS / PM1_EN bits. */
enum {
    PM1_TMR = 1 << 0, PM1_BM = 1 << 4, PM1_GBL = 1 << 5, PM1_PWRBTN = 1 << 8,
    PM1_SLPBTN = 1 << 9, PM1_RTC = 1 << 10, PM1_PCIEXP_WAKE = 1 << 14, PM1_WAK = 1 << 15,
};
/* PM1_CNT bits. */
enum {
    PM1_SCI_EN = 1 << 0, PM1_BM_RLD = 1 << 1, PM1_GBL_RLS = 1 << 2,
    PM1_SLP_TYP_SHIFT = 10, PM1_SLP_TYP = 7 << 10, PM1_SLP_EN = 1 << 13,
};

typedef struct AcpiPm {
    uint16_t sts, en, cnt;
    uint64_t tmr_msb_flips;   /* bit-31 changes of the timer already seen */
    bool sci_level;
    /* The board's side, set by acpi_pm_init. */
    uint64_t (*now_ns)(void *opaque);
    void (*sci)(void *opaque, bool level);
    void (*power_off)(void *opaque);
    void (*guest_error)(void *opaque, const char *msg);  /* may be NULL */
    void *opaque;
} AcpiPm;

extern const DeviceDesc acpi_pm_device;  /* opaque and state: the AcpiPm */

void acpi_pm_init(AcpiPm *pm, uint64_t (*now_ns)(void *), void (*sci)(void *, bool),
                  void (*power_off)(void *), void (*guest_error)(void *, const char *),
                  void *opaque);
void acpi_pm_reset(void *pm);
/* The timer's count at now_ns (all 32 bits). */
uint32_t acpi_pm_timer(uint64_t now_ns);
/* Brings TMR_STS up to now_ns (the board clock's current value); returns
 * when the next bit-31 change is due while TMR_EN is set (UINT64_MAX
 * otherwise). */
uint64_t acpi_pm_update(AcpiPm *pm, uint64_t now_ns);
/* The fixed power button was pressed: PWRBTN_STS, an SCI if enabled. */
void acpi_pm_power_button(AcpiPm *pm);

#endif

/* acpi_pm.c — the PM1 event/control registers and the PM timer. */
#include "acpi_pm.h"

#include <stdio.h>
#include <string.h>

#define NS 1000000000ull

/* Bits of PM1_EN that exist (PCIEXP_WAKE is PCIEXP_WAKE_DIS there); all
 * of them read back, so the OS's "does the enable bit stick" probe for the
 * global lock, the power button and the RTC finds them. */
#define EN_BITS (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC | PM1_PCIEXP_WAKE)
/* Status bits that raise the SCI when enabled.  WAK_STS has no enable. */
#define SCI_BITS (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC)
/* PM1_CNT bits that hold a value; SCI_EN reads 1, GBL_RLS and SLP_EN are
 * write-only. */
#define CNT_BITS (PM1_BM_RLD | PM1_SLP_TYP)

static uint64_t ticks(uint64_t ns)
{
    return ns / NS * ACPI_PM_TIMER_HZ + ns % NS * ACPI_PM_TIMER_HZ / NS;
}

/* The first nanosecond at which ticks() reaches t. */
static uint64_t tick_ns(uint64_t t)
{
    return t / ACPI_PM_TIMER_HZ * NS + (t % ACPI_PM_TIMER_HZ * NS + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
}

uint32_t acpi_pm_timer(uint64_t now_ns)
{
    return (uint32_t)ticks(now_ns);
}

static void update_sci(AcpiPm *pm)
{
    bool level = (pm->sts & pm->en & SCI_BITS) != 0;
    if (level != pm->sci_level) {
        pm->sci_level = level;
        pm->sci(pm->opaque, level);
    }
}

uint64_t acpi_pm_update(AcpiPm *pm, uint64_t now_ns)
{
    uint64_t flips = ticks(now_ns) >> 31;
    if (flips != pm->tmr_msb_flips) {
        pm->tmr_msb_flips = flips;
        pm->sts |= PM1_TMR;
        update_sci(pm);
    }
    return pm->en & PM1_TMR ? tick_ns((flips + 1) << 31) : UINT64_MAX;
}

void acpi_pm_power_button(AcpiPm *pm)
{
    pm->sts |= PM1_PWRBTN;
    update_sci(pm);
}

void acpi_pm_init(AcpiPm *pm, uint64_t (*now_ns)(void *), void (*sci)(void *, bool),
                  void (*power_off)(void *), void (*guest_error)(void *, const char *),
                  void *opaque)
{
    memset(pm, 0, sizeof *pm);
    pm->now_ns = now_ns;
    pm->sci = sci;
    pm->power_off = power_off;
    pm->guest_error = guest_error;
    pm->opaque = opaque;
    acpi_pm_reset(pm);
}

void acpi_pm_reset(void *opaque)
{
    AcpiPm *pm = opaque;
    pm->sts = pm->en = pm->cnt = 0;
    /* The timer runs on from power-on; only a change from now on counts. */
    pm->tmr_msb_flips = ticks(pm->now_ns(pm->opaque)) >> 31;
    update_sci(pm);
}

static void sleep_enable(AcpiPm *pm)
{
    unsigned typ = (pm->cnt & PM1_SLP_TYP) >> PM1_SLP_TYP_SHIFT;
    if (typ == ACPI_SLP_TYP_S5) {
        pm->power_off(pm->opaque);
        return;
    }
    /* Only \_S5 is in the DSDT.  Any other sleep type "wakes" at once, so
     * an OS that waits for WAK_STS goes on. */
    if (pm->guest_error) {
        char msg[96];
        snprintf(msg, sizeof msg, "ACPI PM1_CNT: SLP_EN with unsupported SLP_TYP %u: woken at once", typ);
        pm->guest_error(pm->opaque, msg);
    }
    pm->sts |= PM1_WAK;
}

/* PM1_STS at 0-1, PM1_EN at 2-3: any access size, byte lanes. */
static uint64_t evt_read(void *opaque, uint64_t addr, unsigned size)
{
    AcpiPm *pm = opaque;
    acpi_pm_update(pm, pm->now_ns(pm->opaque));
    uint32_t regs = pm->sts | (uint32_t)pm->en << 16;
    return regs >> (8 * addr) & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
}

static void evt_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    AcpiPm *pm = opaque;
    acpi_pm_update(pm, pm->now_ns(pm->opaque));
    for (unsigned i = 0; i < size; i++) {
        unsigned lane = (unsigned)addr + i, shift = 8 * (lane & 1);
        uint16_t b = (uint16_t)((val >> (8 * i) & 0xff) << shift);
        if (lane < 2)
            pm->sts &= (uint16_t)~b;  /* write 1 to clear */
        else
            pm->en = (uint16_t)((pm->en & ~(0xff << shift)) | (b & EN_BITS));
    }
    update_sci(pm);
}

static uint64_t cnt_read(void *opaque, uint64_t addr, unsigned size)
{
    AcpiPm *pm = opaque;
    uint16_t v = (uint16_t)(pm->cnt | PM1_SCI_EN);
    return (uint64_t)(v >> (8 * addr)) & (size == 1 ? 0xff : 0xffff);
}

static void cnt_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    AcpiPm *pm = opaque;
    uint16_t v = (uint16_t)(val << (8 * addr)), lanes = (uint16_t)((size == 1 ? 0xff : 0xffff) << (8 * addr));
    pm->cnt = (uint16_t)((pm->cnt & ~(lanes & CNT_BITS)) | (v & lanes & CNT_BITS));
    if (v & lanes & PM1_SLP_EN)
        sleep_enable(pm);
}

static uint64_t tmr_read(void *opaque, uint64_t addr, unsigned size)
{
    (void)addr; (void)size;
    AcpiPm *pm = opaque;
    return acpi_pm_timer(pm->now_ns(pm->opaque));
}

/* The PM1 registers take byte, word and dword accesses; the timer is a
 * dword register (ACPI 6.0 4.8.3.3: "accessed as 32 bits"), other sizes are
 * not decoded.  A dword at PM1_CNT runs past it and is split bytewise. */
static const DeviceRegion pm_regions[] = {
    { "acpi-pm1-evt", false, ACPI_PM_BASE, 4, 1 | 2 | 4, IO_SPLIT, evt_read, evt_write },
    { "acpi-pm1-cnt", false, ACPI_PM_BASE + 4, 2, 1 | 2, IO_SPLIT, cnt_read, cnt_write },
    { "acpi-pm-tmr", false, ACPI_PM_BASE + 8, 4, 4, IO_DROP, tmr_read, NULL },
    { 0 },
};

static const DeviceField pm_state[] = {
    DEVICE_FIELD(AcpiPm, sts), DEVICE_FIELD(AcpiPm, en), DEVICE_FIELD(AcpiPm, cnt),
    DEVICE_FIELD(AcpiPm, tmr_msb_flips), DEVICE_FIELD(AcpiPm, sci_level), { 0 },
};

const DeviceDesc acpi_pm_device = {
    .name = "acpi-pm", .regions = pm_regions, .reset = acpi_pm_reset,
    .state = pm_state, .state_size = sizeof(AcpiPm),
};

/* rtc.h — MC146818 RTC/CMOS at ports 0x70/0x71: wall time that follows
 * guest time, BCD or binary, 12/24 h, update-in-progress, periodic/alarm/update interrupts (IRQ8), and
 * 128 bytes of NVRAM. */
#ifndef RZ_RTC_H
#define RZ_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"

typedef struct Rtc {
    uint8_t index;
    bool nmi_disabled;    /* port 0x70 bit 7 */
    uint8_t ram[128];     /* registers 0x00-0x0D and NVRAM */
    int64_t base_s;       /* UTC (Unix seconds) at guest time 0: the host's at rtc_init */
    int64_t offset_s;     /* what guest writes of the clock added to it */
    uint64_t next_periodic_ns, last_second;
    bool irq_level;
    void (*set_irq)(void *opaque, bool level);
    void *irq_opaque;
} Rtc;

void rtc_init(Rtc *r, void (*set_irq)(void *, bool), void *irq_opaque);
/* The wall time at guest time 0 (a fixed one under -icount). */
void rtc_set_base(Rtc *r, int64_t unix_s);
/* Memory-size bytes a BIOS reads (base/extended/above-16M/above-4G). */
void rtc_set_memory(Rtc *r, uint64_t below_4g, uint64_t above_4g);
uint8_t rtc_read(Rtc *r, int port, uint64_t now_ns);
void rtc_write(Rtc *r, int port, uint8_t v, uint64_t now_ns);
/* Advances periodic/alarm/update interrupts to now; returns the next time
 * anything is due (UINT64_MAX for none). */
uint64_t rtc_update(Rtc *r, uint64_t now_ns);

/* The clock's state for snapshots (hw/device.h), offsets into Rtc. */
extern const DeviceField rtc_state_fields[];

#endif

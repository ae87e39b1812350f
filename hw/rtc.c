/* rtc.c — MC146818.  The clock is computed on demand from guest time (plus
 * the wall time at its start and what SET writes leave), so nothing ticks
 * between reads. */
#include "rtc.h"

#include <string.h>
#include <time.h>

enum { REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d };
enum { B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_DM = 0x04, B_24H = 0x02 };
enum { C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10 };

#define NS 1000000000ull
/* UIP is set for the last 244 us before each second's update. */
#define UIP_NS 244000ull

static void raise_flags(Rtc *r, uint8_t f)
{
    r->ram[REG_C] |= f;
    uint8_t en = r->ram[REG_B] & (B_PIE | B_AIE | B_UIE);
    bool level = (r->ram[REG_C] & (C_PF | C_AF | C_UF)) & en;
    if (level)
        r->ram[REG_C] |= C_IRQF;
    if (level != r->irq_level) {
        r->irq_level = level;
        r->set_irq(r->irq_opaque, level);
    }
}

void rtc_init(Rtc *r, void (*set_irq)(void *, bool), void *irq_opaque)
{
    memset(r, 0, sizeof *r);
    r->set_irq = set_irq;
    r->irq_opaque = irq_opaque;
    r->ram[REG_A] = 0x26;            /* 32.768 kHz base, 1024 Hz periodic rate */
    r->ram[REG_B] = B_24H;           /* BCD, 24-hour: what a PC BIOS leaves */
    r->ram[REG_D] = 0x80;            /* VRT: battery good */
    r->ram[0x32] = 0x20;             /* century, BCD */
    r->base_s = (int64_t)time(NULL);
}

void rtc_set_base(Rtc *r, int64_t unix_s)
{
    r->base_s = unix_s;
    r->offset_s = 0;
}

/* The memory-size bytes SeaBIOS and QEMU's firmware read: 0x15/0x16 base
 * memory (KiB), 0x17/0x18 and 0x30/0x31 memory above 1 MiB (KiB, at most
 * 0xFC00: the 64 MiB the 16-bit field has always meant), 0x34/0x35 RAM between 16 MiB and the 32-bit hole (64 KiB units),
 * 0x5B-0x5D RAM above 4 GiB (64 KiB units). */
void rtc_set_memory(Rtc *r, uint64_t below_4g, uint64_t above_4g)
{
    uint64_t base = below_4g >> 10 < 640 ? below_4g >> 10 : 640;
    r->ram[0x15] = (uint8_t)base;
    r->ram[0x16] = (uint8_t)(base >> 8);
    uint64_t ext = below_4g > (1ull << 20) ? (below_4g - (1ull << 20)) >> 10 : 0;
    if (ext > 0xfc00)
        ext = 0xfc00;
    r->ram[0x17] = r->ram[0x30] = (uint8_t)ext;
    r->ram[0x18] = r->ram[0x31] = (uint8_t)(ext >> 8);
    uint64_t hi = below_4g > (16ull << 20) ? (below_4g - (16ull << 20)) >> 16 : 0;
    if (hi > 0xffff)
        hi = 0xffff;
    r->ram[0x34] = (uint8_t)hi;
    r->ram[0x35] = (uint8_t)(hi >> 8);
    uint64_t above = above_4g >> 16;
    r->ram[0x5b] = (uint8_t)above;
    r->ram[0x5c] = (uint8_t)(above >> 8);
    r->ram[0x5d] = (uint8_t)(above >> 16);
}

static uint8_t to_reg(const Rtc *r, unsigned v)
{
    return (r->ram[REG_B] & B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | (v % 10));
}

static unsigned from_reg(const Rtc *r, uint8_t v)
{
    return (r->ram[REG_B] & B_DM) ? v : (unsigned)((v >> 4) * 10 + (v & 0xf));
}

static uint8_t hour_reg(const Rtc *r, unsigned h)
{
    if (r->ram[REG_B] & B_24H)
        return to_reg(r, h);
    unsigned h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(to_reg(r, h12) | (h >= 12 ? 0x80 : 0));
}

/* The wall clock follows guest time (now), so that the seconds roll over
 * when UIP and the update interrupt say they do, and under -icount as
 * deterministically as everything else. */
static int64_t wall_s(const Rtc *r, uint64_t now)
{
    return r->base_s + r->offset_s + (int64_t)(now / NS);
}

static void fill_time(Rtc *r, uint64_t now)
{
    time_t t = (time_t)wall_s(r, now);
    struct tm tm;
    gmtime_r(&t, &tm);
    r->ram[0x00] = to_reg(r, (unsigned)tm.tm_sec);
    r->ram[0x02] = to_reg(r, (unsigned)tm.tm_min);
    r->ram[0x04] = hour_reg(r, (unsigned)tm.tm_hour);
    r->ram[0x06] = to_reg(r, (unsigned)tm.tm_wday + 1);
    r->ram[0x07] = to_reg(r, (unsigned)tm.tm_mday);
    r->ram[0x08] = to_reg(r, (unsigned)tm.tm_mon + 1);
    r->ram[0x09] = to_reg(r, (unsigned)tm.tm_year % 100);
    r->ram[0x32] = to_reg(r, (unsigned)(tm.tm_year + 1900) / 100);
}

/* A guest write with SET held: the new wall time becomes an offset. */
static void commit_time(Rtc *r, uint64_t now)
{
    struct tm tm = { 0 };
    tm.tm_sec = (int)from_reg(r, r->ram[0x00]);
    tm.tm_min = (int)from_reg(r, r->ram[0x02]);
    uint8_t h = r->ram[0x04];
    if (r->ram[REG_B] & B_24H)
        tm.tm_hour = (int)from_reg(r, h);
    else
        tm.tm_hour = (int)(from_reg(r, h & 0x7f) % 12 + ((h & 0x80) ? 12 : 0));
    tm.tm_mday = (int)from_reg(r, r->ram[0x07]);
    tm.tm_mon = (int)from_reg(r, r->ram[0x08]) - 1;
    tm.tm_year = (int)(from_reg(r, r->ram[0x32]) * 100 + from_reg(r, r->ram[0x09])) - 1900;
    r->offset_s += (int64_t)timegm(&tm) - wall_s(r, now);
}

static uint64_t periodic_ns(const Rtc *r)
{
    unsigned rate = r->ram[REG_A] & 0x0f;
    if (!rate)
        return 0;
    if (rate < 3)
        rate += 7;  /* rates 1 and 2 alias 8 and 9 */
    return NS * (1ull << (rate - 1)) / 32768;
}

uint64_t rtc_update(Rtc *r, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    uint64_t per = periodic_ns(r);
    if (per && (r->ram[REG_B] & B_PIE)) {
        if (!r->next_periodic_ns)
            r->next_periodic_ns = now + per;
        if (now >= r->next_periodic_ns) {
            raise_flags(r, C_PF);
            r->next_periodic_ns = now + per - (now - r->next_periodic_ns) % per;
        }
        next = r->next_periodic_ns;
    } else {
        r->next_periodic_ns = 0;
    }
    uint64_t sec = now / NS;
    if (sec != r->last_second && !(r->ram[REG_B] & B_SET)) {
        r->last_second = sec;
        uint8_t f = C_UF;
        uint8_t s = r->ram[0x01], m = r->ram[0x03], h = r->ram[0x05];
        fill_time(r, now);
        /* Alarm bytes with the two top bits set are "don't care". */
        if (((s & 0xc0) == 0xc0 || s == r->ram[0x00]) && ((m & 0xc0) == 0xc0 || m == r->ram[0x02]) &&
            ((h & 0xc0) == 0xc0 || h == r->ram[0x04]))
            f |= C_AF;
        raise_flags(r, f);
    }
    if (r->ram[REG_B] & (B_UIE | B_AIE)) {
        uint64_t n = (sec + 1) * NS;
        if (n < next)
            next = n;
    }
    return next;
}

uint8_t rtc_read(Rtc *r, int port, uint64_t now)
{
    if (port == 0)
        return 0xff;
    unsigned i = r->index;
    if (i <= 9 || i == 0x32) {
        if (!(r->ram[REG_B] & B_SET))
            fill_time(r, now);
        return r->ram[i];
    }
    if (i == REG_A)
        return (uint8_t)((r->ram[REG_A] & 0x7f) | ((now % NS) >= NS - UIP_NS && !(r->ram[REG_B] & B_SET) ? 0x80 : 0));
    if (i == REG_C) {
        rtc_update(r, now);
        uint8_t v = r->ram[REG_C];
        r->ram[REG_C] = 0;
        if (r->irq_level) {
            r->irq_level = false;
            r->set_irq(r->irq_opaque, false);
        }
        return v;
    }
    return r->ram[i];
}

void rtc_write(Rtc *r, int port, uint8_t v, uint64_t now)
{
    if (port == 0) {
        r->index = v & 0x7f;
        r->nmi_disabled = v & 0x80;
        return;
    }
    unsigned i = r->index;
    switch (i) {
    case REG_A:
        r->ram[REG_A] = v & 0x7f;
        r->next_periodic_ns = 0;
        break;
    case REG_B:
        if ((r->ram[REG_B] & B_SET) && !(v & B_SET)) {
            r->ram[REG_B] = v;
            commit_time(r, now);
        } else {
            if (!(r->ram[REG_B] & B_SET) && (v & B_SET))
                fill_time(r, now);
            r->ram[REG_B] = v;
        }
        if (v & B_SET)
            r->ram[REG_B] &= (uint8_t)~B_UIE;
        rtc_update(r, now);
        break;
    case REG_C:
    case REG_D:
        break;  /* read-only */
    default:
        r->ram[i] = v;
        /* Time bytes written outside a SET window take effect at once. */
        if ((i <= 9 || i == 0x32) && !(r->ram[REG_B] & B_SET))
            commit_time(r, now);
        break;
    }
}

const DeviceField rtc_state_fields[] = {
    DEVICE_FIELD(Rtc, index), DEVICE_FIELD(Rtc, nmi_disabled), DEVICE_FIELD(Rtc, ram),
    DEVICE_FIELD(Rtc, offset_s), DEVICE_FIELD(Rtc, next_periodic_ns), DEVICE_FIELD(Rtc, last_second),
    DEVICE_FIELD(Rtc, irq_level), { 0 },
};

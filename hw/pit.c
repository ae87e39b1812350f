/* pit.c — 8254 counters computed from time: nothing ticks; the state at
 * tick t follows from the reload value and the tick it started at. */
#include "pit.h"

#include <string.h>

void pit_init(Pit *p)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < 3; i++) {
        p->ch[i].gate = i != 2;  /* channel 2's gate is port 0x61 bit 0 */
        p->ch[i].reload = 65536;
        p->ch[i].access = 3;
    }
}

static uint64_t elapsed(const PitChannel *c, uint64_t tick)
{
    return tick > c->start_tick ? tick - c->start_tick : 0;
}

/* Counting element value at tick. */
static uint32_t count_at(const PitChannel *c, uint64_t tick)
{
    if (!c->counting)
        return c->reload & 0xffff;
    uint64_t e = elapsed(c, tick), n = c->reload;
    switch (c->mode) {
    case 2:
        return (uint32_t)(n - e % n) & 0xffff;
    case 3: {
        /* Decrements by two; an odd reload spends one extra tick per half. */
        uint64_t half = (n + 1) / 2, pos = e % n;
        uint64_t in_half = pos < half ? pos : pos - half;
        return (uint32_t)((n & ~1ull) - 2 * in_half) & 0xffff;
    }
    default:
        return (uint32_t)((n - e) & 0xffff);
    }
}

bool pit_out(const Pit *p, int ch, uint64_t tick)
{
    const PitChannel *c = &p->ch[ch];
    uint64_t e = elapsed(c, tick), n = c->reload;
    if (!c->counting)
        return c->mode != 0;  /* after a control word: low in mode 0, high otherwise */
    switch (c->mode) {
    case 0: return e >= n;
    case 1: return e >= n;
    case 2: return (e % n) != n - 1;
    case 3: return (e % n) < (n + 1) / 2;
    case 4:
    case 5: return e != n;
    default: return true;
    }
}

uint64_t pit_next_edge(const Pit *p, int ch, uint64_t tick)
{
    const PitChannel *c = &p->ch[ch];
    if (!c->counting || !c->gate)
        return UINT64_MAX;
    uint64_t e = elapsed(c, tick), n = c->reload;
    switch (c->mode) {
    case 0:
    case 1: return e < n ? c->start_tick + n : UINT64_MAX;
    case 4:
    case 5: return e < n + 1 ? c->start_tick + n + 1 : UINT64_MAX;
    case 2:
    case 3: return c->start_tick + (e / n + 1) * n;  /* period boundaries */
    default: return UINT64_MAX;
    }
}

unsigned pit_irq0_edges(Pit *p, uint64_t tick, uint64_t *next, unsigned max)
{
    unsigned n = 0;
    for (uint64_t e = pit_next_edge(p, 0, p->irq_tick); e <= tick && n < max; e = pit_next_edge(p, 0, e))
        n++;
    if (n)
        p->irq_tick = tick;
    *next = pit_next_edge(p, 0, p->irq_tick);
    return n;
}

bool pit_irq0_due(Pit *p, uint64_t tick, uint64_t *next)
{
    bool due = pit_next_edge(p, 0, p->irq_tick) <= tick;
    if (due)
        p->irq_tick = tick;
    *next = pit_next_edge(p, 0, p->irq_tick);
    return due;
}

static void load_count(PitChannel *c, uint32_t v, uint64_t tick)
{
    if (c->bcd)
        v = (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
    c->reload = v ? v : (c->bcd ? 10000 : 65536);
    c->null_count = false;
    /* Modes 1 and 5 wait for a gate edge; the others start on the next tick. */
    if (c->mode == 1 || c->mode == 5) {
        return;
    }
    c->start_tick = tick + 1;
    c->counting = true;
}

void pit_write(Pit *p, int port, uint8_t v, uint64_t tick)
{
    /* Edges of channel 0's old programming are not delivered any more. */
    if (port == 0 || (port == 3 && (v >> 6) == 0 && (v & 0x30)))
        p->irq_tick = tick;
    if (port == 3) {
        int sel = v >> 6;
        if (sel == 3) {                      /* read-back */
            for (int i = 0; i < 3; i++) {
                if (!(v & (2 << i)))
                    continue;
                PitChannel *c = &p->ch[i];
                if (!(v & 0x20) && !c->latched) {
                    c->latched = true;
                    c->latch = (uint16_t)count_at(c, tick);
                    c->latch_bytes = c->access == 3 ? 2 : 1;
                }
                if (!(v & 0x10) && !c->status_latched) {
                    c->status_latched = true;
                    c->status = (uint8_t)((pit_out(p, i, tick) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
                                          c->access << 4 | c->mode << 1 | c->bcd);
                }
            }
            return;
        }
        PitChannel *c = &p->ch[sel];
        int access = (v >> 4) & 3;
        if (access == 0) {                   /* counter latch command */
            if (!c->latched) {
                c->latched = true;
                c->latch = (uint16_t)count_at(c, tick);
                c->latch_bytes = c->access == 3 ? 2 : 1;
            }
            return;
        }
        c->access = (uint8_t)access;
        c->mode = (uint8_t)((v >> 1) & 7);
        if (c->mode > 5)
            c->mode &= 3;                    /* 6 and 7 are 2 and 3 */
        c->bcd = v & 1;
        c->counting = false;
        c->null_count = true;
        c->write_msb_next = c->read_msb_next = false;
        c->latched = c->status_latched = false;
        return;
    }
    PitChannel *c = &p->ch[port];
    switch (c->access) {
    case 1: load_count(c, v, tick); break;
    case 2: load_count(c, (uint32_t)v << 8, tick); break;
    default:
        if (!c->write_msb_next) {
            c->write_lsb = v;
            c->write_msb_next = true;
            if (c->mode == 0)
                c->counting = false;         /* writing the LSB stops mode 0 */
        } else {
            c->write_msb_next = false;
            load_count(c, c->write_lsb | (uint32_t)v << 8, tick);
        }
        break;
    }
}

uint8_t pit_read(Pit *p, int port, uint64_t tick)
{
    if (port == 3)
        return 0xff;  /* the control word register cannot be read */
    PitChannel *c = &p->ch[port];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v;
    bool msb;
    if (c->latched) {
        v = c->latch;
        msb = c->access == 2 || (c->access == 3 && c->latch_bytes == 1);
        if (--c->latch_bytes == 0)
            c->latched = false;
    } else {
        v = (uint16_t)count_at(c, tick);
        if (c->bcd) {
            unsigned d = v % 10000;
            v = (uint16_t)((d % 10) | (d / 10 % 10) << 4 | (d / 100 % 10) << 8 | (d / 1000) << 12);
        }
        msb = c->access == 2 || (c->access == 3 && c->read_msb_next);
        if (c->access == 3)
            c->read_msb_next = !c->read_msb_next;
    }
    return (uint8_t)(msb ? v >> 8 : v);
}

void pit_set_gate(Pit *p, int ch, bool gate, uint64_t tick)
{
    PitChannel *c = &p->ch[ch];
    bool rising = gate && !c->gate;
    c->gate = gate;
    if (!rising)
        return;
    /* Modes 1, 2, 3, 5 (re)start on a rising gate edge. */
    if (c->mode == 1 || c->mode == 5 || c->mode == 2 || c->mode == 3) {
        if (!c->null_count || c->counting) {
            c->start_tick = tick + 1;
            c->counting = true;
        }
    }
}

#define CHANNEL_FIELDS(i) \
    DEVICE_FIELD(Pit, ch[i].mode), DEVICE_FIELD(Pit, ch[i].access), DEVICE_FIELD(Pit, ch[i].bcd), \
    DEVICE_FIELD(Pit, ch[i].gate), DEVICE_FIELD(Pit, ch[i].reload), DEVICE_FIELD(Pit, ch[i].start_tick), \
    DEVICE_FIELD(Pit, ch[i].counting), DEVICE_FIELD(Pit, ch[i].write_msb_next), \
    DEVICE_FIELD(Pit, ch[i].read_msb_next), DEVICE_FIELD(Pit, ch[i].write_lsb), \
    DEVICE_FIELD(Pit, ch[i].latched), DEVICE_FIELD(Pit, ch[i].latch), \
    DEVICE_FIELD(Pit, ch[i].latch_bytes), DEVICE_FIELD(Pit, ch[i].status_latched), \
    DEVICE_FIELD(Pit, ch[i].status), DEVICE_FIELD(Pit, ch[i].null_count)

const DeviceField pit_state_fields[] = {
    CHANNEL_FIELDS(0), CHANNEL_FIELDS(1), CHANNEL_FIELDS(2),
    DEVICE_FIELD(Pit, speaker_data), DEVICE_FIELD(Pit, irq_tick), { 0 },
};

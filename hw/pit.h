/* pit.h — Intel 8254 programmable interval timer (ports 0x40-0x43) and the
 * port 0x61 bits it shares with the speaker (gate 2, output 2). */
#ifndef RZ_PIT_H
#define RZ_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"

#define PIT_HZ 1193182ull

typedef struct PitChannel {
    uint8_t mode, access, bcd;
    bool gate;
    uint32_t reload;      /* 1..65536 (0 written means 65536) */
    uint64_t start_tick;  /* tick at which the count was loaded / triggered */
    bool counting;        /* a count has been loaded (and, for 1/5, triggered) */
    bool write_msb_next, read_msb_next;
    uint8_t write_lsb;
    bool latched;         /* counter latch holds a value */
    uint16_t latch;
    uint8_t latch_bytes;  /* bytes of the latch left to read (1 or 2) */
    bool status_latched;
    uint8_t status;
    bool null_count;
} PitChannel;

typedef struct Pit {
    PitChannel ch[3];
    bool speaker_data;    /* port 0x61 bit 1 */
    /* Channel 0's rising edges up to this tick have been delivered (or
     * belong to an earlier programming of the channel). */
    uint64_t irq_tick;
} Pit;

void pit_init(Pit *p);
uint8_t pit_read(Pit *p, int port, uint64_t tick);     /* port 0..3 */
void pit_write(Pit *p, int port, uint8_t v, uint64_t tick);
bool pit_out(const Pit *p, int ch, uint64_t tick);
/* Tick of the next rising edge of channel ch's output after tick, or
 * UINT64_MAX when none is due. */
uint64_t pit_next_edge(const Pit *p, int ch, uint64_t tick);
/* IRQ0: whether channel 0's output rose after irq_tick and by tick (the
 * edges are computed from the count and its start, so however late the
 * board asks, none is lost; several coalesce into one).  Marks them
 * delivered.  *next: the tick of the next edge (UINT64_MAX: none). */
bool pit_irq0_due(Pit *p, uint64_t tick, uint64_t *next);
/* The same, counting the edges after irq_tick and by tick (at most max):
 * what a board that re-delivers missed ticks one by one owes the guest. */
unsigned pit_irq0_edges(Pit *p, uint64_t tick, uint64_t *next, unsigned max);
void pit_set_gate(Pit *p, int ch, bool gate, uint64_t tick);

/* The timer's state for snapshots (hw/device.h), offsets into Pit. */
extern const DeviceField pit_state_fields[];

#endif

/* pic.h — the 8259A pair (master at 0x20, slave at 0xA0 on the master's
 * IRQ2) with the ELCR at 0x4D0/0x4D1. */
#ifndef RZ_PIC_H
#define RZ_PIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "device.h"

typedef struct Pic8259 {
    uint8_t irr, isr, imr;
    uint8_t icw_step;     /* 0 = operational; 2..4 = next ICW expected */
    bool icw4_needed, single, aeoi, special_mask, poll, read_isr, rotate_aeoi;
    uint8_t vector_base;
    uint8_t priority_base;/* lowest-priority IRQ (rotation); highest is +1 */
    uint8_t elcr;         /* 1 = level triggered */
    uint8_t lines;        /* current input levels */
    uint8_t cascade;      /* ICW3 */
} Pic8259;

typedef struct PicPair {
    Pic8259 chip[2];
    bool intr;            /* the master's INTR output, kept up to date by every change */
    /* Acknowledges per IRQ line (0-7 master, 8-15 slave) since the last
     * reset, for the monitor's info irq; spurious ones are not counted. */
    uint64_t irq_count[16];
} PicPair;

void pic_init(PicPair *p);
/* Drives input line irq (0..15) to level. */
void pic_set_irq(PicPair *p, int irq, bool level);
/* True when the pair asserts INTR to the CPU (asked before every block
 * while IF is set, so it is a stored value). */
static inline bool pic_intr(const PicPair *p) { return p->intr; }
/* The CPU's interrupt acknowledge: returns the vector (spurious 7/15 when the
 * request went away). */
int pic_ack(PicPair *p);
uint64_t pic_io_read(PicPair *p, int chip, uint64_t addr);
/* The monitor's info pic, one line per chip in QEMU's format. */
void pic_print_info(const PicPair *p, FILE *f);
void pic_io_write(PicPair *p, int chip, uint64_t addr, uint8_t val);

/* The pair's state for snapshots (hw/device.h), offsets into PicPair. */
extern const DeviceField pic_state_fields[];

#endif

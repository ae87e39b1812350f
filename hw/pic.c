/* pic.c — Intel 8259A programmable interrupt controller, cascaded pair.
 *
 * Edge mode latches a rising edge into IRR; level mode (ELCR) follows the
 * line.  Priority is rotating from priority_base+1; specific rotation and
 * automatic rotation on AEOI are supported, and so are poll mode and the
 * special mask mode (masked ISR bits do not block lower priorities).
 */
#include "pic.h"

#include <string.h>

static void chip_reset(Pic8259 *c)
{
    uint8_t elcr = c->elcr, lines = c->lines;
    memset(c, 0, sizeof *c);
    c->elcr = elcr;
    c->lines = lines;
    c->priority_base = 7;
}

void pic_init(PicPair *p)
{
    memset(p, 0, sizeof *p);
    chip_reset(&p->chip[0]);
    chip_reset(&p->chip[1]);
}

/* Highest-priority set bit of mask counting from priority_base+1, or -1. */
static int highest(const Pic8259 *c, uint8_t mask)
{
    for (int i = 1; i <= 8; i++) {
        int irq = (c->priority_base + i) & 7;
        if (mask & (1 << irq))
            return irq;
    }
    return -1;
}

/* The IRQ this chip would present, or -1: a request must beat every
 * in-service interrupt of higher priority (unless special mask mode hides
 * them). */
static int chip_pending(const Pic8259 *c)
{
    int req = highest(c, c->irr & ~c->imr);
    if (req < 0)
        return -1;
    uint8_t isr = c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
    int cur = highest(c, isr);
    if (cur < 0)
        return req;
    /* Compare priorities: a smaller distance from the base wins. */
    int dreq = (req - c->priority_base - 1) & 7, dcur = (cur - c->priority_base - 1) & 7;
    return dreq < dcur ? req : -1;
}

static void chip_line(Pic8259 *c, int irq, bool level)
{
    uint8_t bit = (uint8_t)(1 << irq);
    bool was = c->lines & bit;
    if (level)
        c->lines |= bit;
    else
        c->lines &= (uint8_t)~bit;
    /* Both modes drop a request whose line falls before the acknowledge
     * (which then sees a spurious IRQ7); edge mode needs a new rising edge
     * to request again, level mode only a high line. */
    if (!level)
        c->irr &= (uint8_t)~bit;
    else if ((c->elcr & bit) || !was)
        c->irr |= bit;
}

/* The slave's output feeds master IRQ2 as a level; every change of
 * state ends here, so INTR is recomputed here too. */
static void update_cascade(PicPair *p)
{
    chip_line(&p->chip[0], 2, chip_pending(&p->chip[1]) >= 0);
    p->intr = chip_pending(&p->chip[0]) >= 0;
}

void pic_set_irq(PicPair *p, int irq, bool level)
{
    if (irq >= 8)
        chip_line(&p->chip[1], irq - 8, level);
    else
        chip_line(&p->chip[0], irq, level);
    update_cascade(p);
}

/* Acknowledge on one chip: IRR -> ISR (unless AEOI), returns the IRQ. */
static int chip_ack(Pic8259 *c, int irq)
{
    uint8_t bit = (uint8_t)(1 << irq);
    if (!(c->elcr & bit))
        c->irr &= (uint8_t)~bit;
    if (c->aeoi) {
        if (c->rotate_aeoi)
            c->priority_base = (uint8_t)irq;
    } else {
        c->isr |= bit;
    }
    return irq;
}

int pic_ack(PicPair *p)
{
    Pic8259 *m = &p->chip[0], *s = &p->chip[1];
    int irq = chip_pending(m);
    if (irq < 0)
        return m->vector_base | 7;  /* spurious IRQ7 */
    chip_ack(m, irq);
    int vec;
    if (irq == 2 && !m->single) {
        int sirq = chip_pending(s);
        if (sirq < 0) {
            vec = s->vector_base | 7;  /* spurious IRQ15 */
        } else {
            chip_ack(s, sirq);
            p->irq_count[8 + sirq]++;
            vec = s->vector_base | sirq;
        }
    } else {
        p->irq_count[irq]++;
        vec = m->vector_base | irq;
    }
    update_cascade(p);
    return vec;
}

static void eoi(Pic8259 *c, int irq, bool rotate)
{
    if (irq < 0)
        return;
    c->isr &= (uint8_t)~(1 << irq);
    if (rotate)
        c->priority_base = (uint8_t)irq;
}

static void write_ocw2(Pic8259 *c, uint8_t v)
{
    int level = v & 7;
    switch (v >> 5) {
    case 1: eoi(c, highest(c, c->isr), false); break;          /* non-specific EOI */
    case 3: eoi(c, level, false); break;                       /* specific EOI */
    case 5: eoi(c, highest(c, c->isr), true); break;           /* rotate on non-specific EOI */
    case 4: c->rotate_aeoi = true; break;                      /* rotate in AEOI mode (set) */
    case 0: c->rotate_aeoi = false; break;                     /* (clear) */
    case 7: eoi(c, level, true); break;                        /* rotate on specific EOI */
    case 6: c->priority_base = (uint8_t)level; break;          /* set priority */
    default: break;                                            /* 2: no operation */
    }
}

void pic_io_write(PicPair *p, int chip, uint64_t addr, uint8_t v)
{
    Pic8259 *c = &p->chip[chip];
    if (addr == 0) {
        if (v & 0x10) {                         /* ICW1 */
            chip_reset(c);
            c->icw_step = 2;
            c->icw4_needed = v & 1;
            c->single = v & 2;
            if (v & 8)                          /* LTIM: all inputs level */
                c->elcr = 0xff;
        } else if (v & 0x08) {                  /* OCW3 */
            if (v & 0x40)
                c->special_mask = v & 0x20;
            if (v & 0x02)
                c->read_isr = v & 1;
            c->poll = v & 0x04;
        } else {
            write_ocw2(c, v);
        }
    } else {
        switch (c->icw_step) {
        case 2:
            c->vector_base = v & 0xf8;
            c->icw_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
            break;
        case 3:
            c->cascade = v;
            c->icw_step = c->icw4_needed ? 4 : 0;
            break;
        case 4:
            c->aeoi = v & 2;
            c->icw_step = 0;
            break;
        default:
            c->imr = v;                         /* OCW1 */
            break;
        }
    }
    update_cascade(p);
}

uint64_t pic_io_read(PicPair *p, int chip, uint64_t addr)
{
    Pic8259 *c = &p->chip[chip];
    if (c->poll) {
        /* Poll mode: the read is the acknowledge. */
        c->poll = false;
        int irq = chip_pending(c);
        if (irq < 0)
            return 0;
        chip_ack(c, irq);
        update_cascade(p);
        return 0x80 | (unsigned)irq;
    }
    if (addr == 0)
        return c->read_isr ? c->isr : c->irr;
    return c->imr;
}

/* QEMU's fields: hprio is the IRQ of highest priority, rr_sel 1 when a
 * read of the command port returns ISR (OCW3), fnm the special fully
 * nested mode, which this PIC does not have. */
void pic_print_info(const PicPair *p, FILE *f)
{
    for (int i = 0; i < 2; i++) {
        const Pic8259 *c = &p->chip[i];
        fprintf(f, "pic%d: irr=%02x imr=%02x isr=%02x hprio=%d irq_base=%02x rr_sel=%d elcr=%02x fnm=0\n",
                i, c->irr, c->imr, c->isr, (c->priority_base + 1) & 7, c->vector_base, c->read_isr,
                c->elcr);
    }
}

#define CHIP_FIELDS(i) \
    DEVICE_FIELD(PicPair, chip[i].irr), DEVICE_FIELD(PicPair, chip[i].isr), \
    DEVICE_FIELD(PicPair, chip[i].imr), DEVICE_FIELD(PicPair, chip[i].icw_step), \
    DEVICE_FIELD(PicPair, chip[i].icw4_needed), DEVICE_FIELD(PicPair, chip[i].single), \
    DEVICE_FIELD(PicPair, chip[i].aeoi), DEVICE_FIELD(PicPair, chip[i].special_mask), \
    DEVICE_FIELD(PicPair, chip[i].poll), DEVICE_FIELD(PicPair, chip[i].read_isr), \
    DEVICE_FIELD(PicPair, chip[i].rotate_aeoi), DEVICE_FIELD(PicPair, chip[i].vector_base), \
    DEVICE_FIELD(PicPair, chip[i].priority_base), DEVICE_FIELD(PicPair, chip[i].elcr), \
    DEVICE_FIELD(PicPair, chip[i].lines), DEVICE_FIELD(PicPair, chip[i].cascade)

const DeviceField pic_state_fields[] = { CHIP_FIELDS(0), CHIP_FIELDS(1), { 0 } };

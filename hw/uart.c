/* uart.c — 16550A.  Transmission is instantaneous (the byte goes to the
 * backend at once), so THR/TSR are always empty after a write except in
 * loopback, where the byte lands in the receive FIFO. */
#include "uart.h"

#include <string.h>

enum { LSR_DR = 1, LSR_OE = 2, LSR_THRE = 0x20, LSR_TEMT = 0x40, LSR_FIFOERR = 0x80 };
enum { IER_RDA = 1, IER_THRE = 2, IER_RLS = 4, IER_MS = 8 };

static void update_irq(Uart *u)
{
    bool rx_ready = u->rx_count > 0;
    bool level = ((u->ier & IER_RLS) && (u->lsr & LSR_OE)) ||
                 ((u->ier & IER_RDA) && rx_ready) ||
                 ((u->ier & IER_THRE) && u->thr_empty_pending) ||
                 ((u->ier & IER_MS) && (u->msr & 0x0f));
    /* OUT2 gates the interrupt line on PC boards. */
    level = level && (u->mcr & 0x08);
    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->set_irq)
            u->set_irq(u->irq_opaque, level);
    }
}

void uart_init(Uart *u, Chardev *chr, void (*set_irq)(void *, bool), void *irq_opaque)
{
    memset(u, 0, sizeof *u);
    u->chr = chr;
    u->set_irq = set_irq;
    u->irq_opaque = irq_opaque;
    u->lsr = LSR_THRE | LSR_TEMT;
    u->divisor = 12;  /* 9600 baud */
    u->msr = 0xb0;    /* DCD, DSR, CTS asserted by the "modem" */
}

static void rx_push(Uart *u, uint8_t b)
{
    unsigned cap = (u->fcr & 1) ? 16 : 1;
    if (u->rx_count >= cap) {
        u->lsr |= LSR_OE;
        return;
    }
    u->rbr_fifo[(u->rx_head + u->rx_count) % 16] = b;
    u->rx_count++;
    u->lsr |= LSR_DR;
}

/* Loopback ties RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
static void loop_msr(Uart *u)
{
    uint8_t old = u->msr;
    uint8_t m = u->mcr;
    uint8_t nv = (uint8_t)(((m & 2) ? 0x10 : 0) | ((m & 1) ? 0x20 : 0) | ((m & 4) ? 0x40 : 0) | ((m & 8) ? 0x80 : 0));
    uint8_t delta = (uint8_t)(((old ^ nv) & 0x10 ? 1 : 0) | ((old ^ nv) & 0x20 ? 2 : 0) |
                              ((old & 0x40) && !(nv & 0x40) ? 4 : 0) | ((old ^ nv) & 0x80 ? 8 : 0));
    u->msr = (uint8_t)(nv | (old & 0x0f) | delta);
}

uint8_t uart_read(Uart *u, int reg)
{
    uint8_t v = 0;
    bool dlab = u->lcr & 0x80;
    switch (reg) {
    case 0:
        if (dlab)
            return (uint8_t)u->divisor;
        if (u->rx_count) {
            v = u->rbr_fifo[u->rx_head];
            u->rx_head = (uint8_t)((u->rx_head + 1) % 16);
            u->rx_count--;
        }
        if (!u->rx_count)
            u->lsr &= (uint8_t)~LSR_DR;
        break;
    case 1:
        return dlab ? (uint8_t)(u->divisor >> 8) : u->ier;
    case 2: {
        /* Identification, highest priority first. */
        uint8_t id = 1;
        if ((u->ier & IER_RLS) && (u->lsr & LSR_OE)) id = 6;
        else if ((u->ier & IER_RDA) && u->rx_count) id = 4;
        else if ((u->ier & IER_THRE) && u->thr_empty_pending) { id = 2; u->thr_empty_pending = false; }
        else if ((u->ier & IER_MS) && (u->msr & 0x0f)) id = 0;
        v = (uint8_t)(id | ((u->fcr & 1) ? 0xc0 : 0));
        break;
    }
    case 3: return u->lcr;
    case 4: return u->mcr;
    case 5:
        v = u->lsr;
        u->lsr &= (uint8_t)~(LSR_OE | LSR_FIFOERR);
        break;
    case 6:
        v = u->msr;
        u->msr &= 0xf0;
        break;
    default:
        return u->scr;
    }
    update_irq(u);
    return v;
}

void uart_write(Uart *u, int reg, uint8_t v)
{
    bool dlab = u->lcr & 0x80;
    switch (reg) {
    case 0:
        if (dlab) {
            u->divisor = (uint16_t)((u->divisor & 0xff00) | v);
            break;
        }
        if (u->mcr & 0x10)
            rx_push(u, v);
        else if (u->chr)
            chr_write(u->chr, &v, 1);
        u->thr_empty_pending = true;
        break;
    case 1:
        if (dlab) {
            u->divisor = (uint16_t)((u->divisor & 0xff) | v << 8);
            break;
        }
        /* Enabling THRE while the holder is empty raises it at once. */
        if ((v & IER_THRE) && !(u->ier & IER_THRE))
            u->thr_empty_pending = true;
        u->ier = v & 0x0f;
        break;
    case 2:
        if ((v & 1) != (u->fcr & 1) || (v & 2)) {
            u->rx_count = 0;
            u->lsr &= (uint8_t)~LSR_DR;
        }
        u->fcr = v & 0xc9;
        break;
    case 3: u->lcr = v; break;
    case 4:
        u->mcr = v & 0x1f;
        if (u->mcr & 0x10)
            loop_msr(u);
        break;
    case 5: break;  /* LSR is read-only (factory test only) */
    case 6: break;
    default: u->scr = v; break;
    }
    update_irq(u);
}

void uart_poll(Uart *u)
{
    if (!u->chr || (u->mcr & 0x10))
        return;
    unsigned cap = (u->fcr & 1) ? 16 : 1;
    uint8_t b;
    while (u->rx_count < cap && chr_read(u->chr, &b))
        rx_push(u, b);
    update_irq(u);
}

const DeviceField uart_state_fields[] = {
    DEVICE_FIELD(Uart, rbr_fifo), DEVICE_FIELD(Uart, rx_head), DEVICE_FIELD(Uart, rx_count),
    DEVICE_FIELD(Uart, ier), DEVICE_FIELD(Uart, iir_fifo_bits), DEVICE_FIELD(Uart, lcr),
    DEVICE_FIELD(Uart, mcr), DEVICE_FIELD(Uart, lsr), DEVICE_FIELD(Uart, msr), DEVICE_FIELD(Uart, scr),
    DEVICE_FIELD(Uart, fcr), DEVICE_FIELD(Uart, divisor), DEVICE_FIELD(Uart, thr_empty_pending),
    DEVICE_FIELD(Uart, irq_level), { 0 },
};

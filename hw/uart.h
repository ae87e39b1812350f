/* uart.h — 16550A UART with FIFOs, interrupts, divisor latch, scratch,
 * loopback and modem status, over a character device (chardev.h). */
#ifndef RZ_UART_H
#define RZ_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "chardev.h"
#include "device.h"

typedef struct Uart {
    uint8_t rbr_fifo[16], rx_head, rx_count;
    uint8_t ier, iir_fifo_bits, lcr, mcr, lsr, msr, scr, fcr;
    uint16_t divisor;
    bool thr_empty_pending; /* THRE interrupt condition (cleared by IIR read / THR write) */
    bool irq_level;
    Chardev *chr;         /* the host end; NULL: not connected */
    void (*set_irq)(void *opaque, bool level);
    void *irq_opaque;
} Uart;

/* The reset state, connected to chr (which the UART does not own). */
void uart_init(Uart *u, Chardev *chr, void (*set_irq)(void *, bool), void *irq_opaque);
uint8_t uart_read(Uart *u, int reg);
void uart_write(Uart *u, int reg, uint8_t v);
/* Pulls available input from the backend into the receive FIFO. */
void uart_poll(Uart *u);

/* The UART's register state for snapshots (hw/device.h), offsets into
 * Uart; the backend is not state. */
extern const DeviceField uart_state_fields[];

#endif

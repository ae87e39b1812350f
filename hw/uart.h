/* uart.h — 16550A UART with FIFOs, interrupts, divisor latch, scratch,
 * loopback and modem status, over a character backend. */
#ifndef RZ_UART_H
#define RZ_UART_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "device.h"

enum { CHR_NONE, CHR_STDIO, CHR_FILE };

typedef struct Uart {
    uint8_t rbr_fifo[16], rx_head, rx_count;
    uint8_t ier, iir_fifo_bits, lcr, mcr, lsr, msr, scr, fcr;
    uint16_t divisor;
    bool thr_empty_pending; /* THRE interrupt condition (cleared by IIR read / THR write) */
    bool irq_level;
    int backend;          /* CHR_* */
    FILE *out;            /* transmit sink (stdout or a file); NULL for none */
    int in_fd;            /* receive source, -1 for none */
    void (*set_irq)(void *opaque, bool level);
    void *irq_opaque;
    /* Terminal escape, as QEMU's: Ctrl-A x quits, Ctrl-A Ctrl-A sends one
     * Ctrl-A.  quit is called with irq_opaque; NULL disables the escape. */
    void (*quit)(void *opaque);
    bool escape;
} Uart;

void uart_init(Uart *u, int backend, FILE *out, int in_fd,
               void (*set_irq)(void *, bool), void *irq_opaque);
uint8_t uart_read(Uart *u, int reg);
void uart_write(Uart *u, int reg, uint8_t v);
/* Pulls available input from the backend into the receive FIFO. */
void uart_poll(Uart *u);
/* Puts the terminal in raw mode for a stdio backend; restored at exit and on
 * fatal signals. */
void uart_stdio_raw(void);

/* The UART's register state for snapshots (hw/device.h), offsets into
 * Uart; the backend is not state. */
extern const DeviceField uart_state_fields[];

#endif

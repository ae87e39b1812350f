/* i8042.h — the keyboard controller at 0x60/0x64: self-test, command byte,
 * output port (A20 and the reset line), pulse 0xFE, a keyboard that answers
 * the usual commands, IRQ1/IRQ12. */
#ifndef RZ_I8042_H
#define RZ_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"

typedef struct I8042 {
    uint8_t cmd_byte;     /* controller configuration byte */
    uint8_t out_port;     /* bit 0: reset line (1 = run), bit 1: A20 */
    uint8_t status;
    uint8_t queue[16], qhead, qcount;
    uint8_t pending_cmd;  /* controller command waiting for its data byte */
    uint8_t kbd_pending;  /* keyboard command waiting for its data byte */
    bool queue_is_aux[16];
    bool kbd_enabled;
    void (*set_irq)(void *opaque, int irq, bool level);
    void (*set_a20)(void *opaque, bool on);
    void (*reset)(void *opaque);
    void *opaque;
} I8042;

void i8042_init(I8042 *k, void (*set_irq)(void *, int, bool), void (*set_a20)(void *, bool),
                void (*reset)(void *), void *opaque);
uint8_t i8042_read(I8042 *k, int port);          /* port 0 = 0x60, 4 = 0x64 */
void i8042_write(I8042 *k, int port, uint8_t v);

/* The controller's state for snapshots (hw/device.h), offsets into I8042. */
extern const DeviceField i8042_state_fields[];

#endif

/* i8042.c — keyboard controller.  The keyboard behind it has no keys (input
 * comes over the serial console) but answers reset/identify/LED commands,
 * which is what BIOSes and kernels probe. */
#include "i8042.h"

#include <string.h>

enum { ST_OBF = 1, ST_IBF = 2, ST_SYS = 4, ST_CMD = 8, ST_UNLOCKED = 0x10, ST_AUXOBF = 0x20 };
enum { CB_KBD_INT = 1, CB_AUX_INT = 2, CB_SYS = 4, CB_KBD_OFF = 0x10, CB_AUX_OFF = 0x20, CB_XLAT = 0x40 };

static void update(I8042 *k)
{
    k->status &= (uint8_t)~(ST_OBF | ST_AUXOBF);
    bool kbd_irq = false, aux_irq = false;
    if (k->qcount) {
        bool aux = k->queue_is_aux[k->qhead];
        k->status |= ST_OBF | (aux ? ST_AUXOBF : 0);
        kbd_irq = !aux && (k->cmd_byte & CB_KBD_INT);
        aux_irq = aux && (k->cmd_byte & CB_AUX_INT);
    }
    k->set_irq(k->opaque, 1, kbd_irq);
    k->set_irq(k->opaque, 12, aux_irq);
}

static void push(I8042 *k, uint8_t v, bool aux)
{
    if (k->qcount == sizeof k->queue)
        return;
    unsigned i = (k->qhead + k->qcount++) % sizeof k->queue;
    k->queue[i] = v;
    k->queue_is_aux[i] = aux;
    update(k);
}

void i8042_init(I8042 *k, void (*set_irq)(void *, int, bool), void (*set_a20)(void *, bool),
                void (*reset)(void *), void *opaque)
{
    memset(k, 0, sizeof *k);
    k->set_irq = set_irq;
    k->set_a20 = set_a20;
    k->reset = reset;
    k->opaque = opaque;
    k->cmd_byte = CB_KBD_INT | CB_SYS | CB_XLAT;
    k->out_port = 0x03;  /* running, A20 on: what firmware expects after POST */
    k->status = ST_SYS | ST_UNLOCKED;
    k->kbd_enabled = true;
}

static void write_out_port(I8042 *k, uint8_t v)
{
    if ((v ^ k->out_port) & 2)
        k->set_a20(k->opaque, v & 2);
    k->out_port = v;
    if (!(v & 1))
        k->reset(k->opaque);
}

static void keyboard_command(I8042 *k, uint8_t v)
{
    if (k->kbd_pending) {  /* data byte of LEDs / typematic / scancode set */
        uint8_t c = k->kbd_pending;
        k->kbd_pending = 0;
        if (c == 0xf0 && v == 0)
            push(k, 0xfa, false), push(k, 0x02, false);  /* current set: 2 */
        else
            push(k, 0xfa, false);
        return;
    }
    switch (v) {
    case 0xff: push(k, 0xfa, false); push(k, 0xaa, false); break;   /* reset + BAT ok */
    case 0xf2: push(k, 0xfa, false); push(k, 0xab, false); push(k, 0x83, false); break; /* MF2 id */
    case 0xed: case 0xf3: case 0xf0: k->kbd_pending = v; push(k, 0xfa, false); break;
    case 0xee: push(k, 0xee, false); break;                          /* echo */
    case 0xf4: k->kbd_enabled = true; push(k, 0xfa, false); break;
    case 0xf5: k->kbd_enabled = false; push(k, 0xfa, false); break;
    default: push(k, 0xfa, false); break;
    }
}

void i8042_write(I8042 *k, int port, uint8_t v)
{
    if (port == 0) {
        uint8_t c = k->pending_cmd;
        k->pending_cmd = 0;
        switch (c) {
        case 0x60: k->cmd_byte = v; k->status = (uint8_t)((k->status & ~ST_SYS) | (v & CB_SYS)); update(k); break;
        case 0xd1: write_out_port(k, v); break;
        case 0xd2: push(k, v, false); break;   /* write keyboard output buffer */
        case 0xd3: push(k, v, true); break;    /* write aux output buffer */
        case 0xd4: push(k, 0xfe, true); break; /* to the (absent) mouse: resend */
        default: keyboard_command(k, v); break;
        }
        k->status &= (uint8_t)~ST_CMD;
        return;
    }
    k->status |= ST_CMD;
    switch (v) {
    case 0x20: push(k, k->cmd_byte, false); break;
    case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: k->pending_cmd = v; break;
    case 0xa7: k->cmd_byte |= CB_AUX_OFF; break;
    case 0xa8: k->cmd_byte &= (uint8_t)~CB_AUX_OFF; break;
    case 0xa9: push(k, 0x00, false); break;    /* aux interface test: ok */
    case 0xaa: push(k, 0x55, false); break;    /* self-test passed */
    case 0xab: push(k, 0x00, false); break;    /* keyboard interface test: ok */
    case 0xad: k->cmd_byte |= CB_KBD_OFF; break;
    case 0xae: k->cmd_byte &= (uint8_t)~CB_KBD_OFF; break;
    case 0xc0: push(k, 0xbf, false); break;    /* input port */
    case 0xd0: push(k, k->out_port, false); break;
    case 0xdd: write_out_port(k, k->out_port & (uint8_t)~2); break;  /* A20 off */
    case 0xdf: write_out_port(k, k->out_port | 2); break;            /* A20 on */
    default:
        /* 0xF0-0xFF pulse output-port lines low; bit 0 is the reset line. */
        if (v >= 0xf0 && !(v & 1))
            k->reset(k->opaque);
        break;
    }
}

uint8_t i8042_read(I8042 *k, int port)
{
    if (port == 4)
        return k->status;
    uint8_t v = 0;
    if (k->qcount) {
        v = k->queue[k->qhead];
        k->qhead = (uint8_t)((k->qhead + 1) % sizeof k->queue);
        k->qcount--;
    }
    update(k);
    return v;
}

const DeviceField i8042_state_fields[] = {
    DEVICE_FIELD(I8042, cmd_byte), DEVICE_FIELD(I8042, out_port), DEVICE_FIELD(I8042, status),
    DEVICE_FIELD(I8042, queue), DEVICE_FIELD(I8042, qhead), DEVICE_FIELD(I8042, qcount),
    DEVICE_FIELD(I8042, pending_cmd), DEVICE_FIELD(I8042, kbd_pending),
    DEVICE_FIELD(I8042, queue_is_aux), DEVICE_FIELD(I8042, kbd_enabled), { 0 },
};

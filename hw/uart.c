/* uart.c — 16550A.  Transmission is instantaneous (the byte goes to the
 * backend at once), so THR/TSR are always empty after a write except in
 * loopback, where the byte lands in the receive FIFO. */
#include "uart.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

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

void uart_init(Uart *u, int backend, FILE *out, int in_fd,
               void (*set_irq)(void *, bool), void *irq_opaque)
{
    memset(u, 0, sizeof *u);
    u->backend = backend;
    u->out = out;
    u->in_fd = in_fd;
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
        else if (u->out) {
            fputc(v, u->out);
            fflush(u->out);
        }
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
    if (u->in_fd < 0 || (u->mcr & 0x10))
        return;
    unsigned cap = (u->fcr & 1) ? 16 : 1;
    while (u->rx_count < cap) {
        uint8_t b;
        ssize_t n = read(u->in_fd, &b, 1);
        if (n != 1)
            break;
        if (u->quit && (u->escape || b == 0x01)) {
            if (!u->escape) {
                u->escape = true;
                continue;
            }
            u->escape = false;
            if (b == 'x') {
                u->quit(u->irq_opaque);
                break;
            }
            if (b != 0x01)
                continue;  /* unknown escape: dropped */
        }
        rx_push(u, b);
    }
    update_irq(u);
}

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void restore_tty(void)
{
    if (tio_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void restore_and_reraise(int sig)
{
    restore_tty();
    signal(sig, SIG_DFL);
    raise(sig);
}

void uart_stdio_raw(void)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
        return;
    tio_saved = 1;
    atexit(restore_tty);
    int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGFPE };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], restore_and_reraise);
    struct termios raw = saved_tio;
    raw.c_iflag &= (tcflag_t)~(ICRNL | IXON);
    raw.c_lflag &= (tcflag_t)~(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
}

const DeviceField uart_state_fields[] = {
    DEVICE_FIELD(Uart, rbr_fifo), DEVICE_FIELD(Uart, rx_head), DEVICE_FIELD(Uart, rx_count),
    DEVICE_FIELD(Uart, ier), DEVICE_FIELD(Uart, iir_fifo_bits), DEVICE_FIELD(Uart, lcr),
    DEVICE_FIELD(Uart, mcr), DEVICE_FIELD(Uart, lsr), DEVICE_FIELD(Uart, msr), DEVICE_FIELD(Uart, scr),
    DEVICE_FIELD(Uart, fcr), DEVICE_FIELD(Uart, divisor), DEVICE_FIELD(Uart, thr_empty_pending),
    DEVICE_FIELD(Uart, irq_level), DEVICE_FIELD(Uart, escape), { 0 },
};

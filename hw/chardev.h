/* chardev.h — character devices: the host end of the serial port and the
 * debug console.  Backends: stdio (the terminal in raw mode, or plain
 * stdin/stdout when they are not a terminal), file (output only) and none.
 *
 * Output is buffered here and written with write(2) when the buffer fills
 * and at every chr_flush, which the run loop calls at each run-chunk
 * boundary, when the CPU idles and at exit: a killed run loses at most
 * what the guest wrote since the last boundary (nothing for the signals the
 * run loop catches, see chr_signal_pending).  A failed write is kept in
 * the device (chr_error) for the run loop to report; later output is
 * dropped.
 *
 * Input (stdio only) goes through the terminal escape, as QEMU's -nographic
 * console: Ctrl-A x asks to quit, Ctrl-A c asks for the monitor (the run
 * loop switches, vm/console_monitor.c), Ctrl-A Ctrl-A is one Ctrl-A, other
 * Ctrl-A sequences are dropped.  In raw mode Ctrl-C is a byte for the
 * guest, not a signal.
 */
#ifndef RZ_CHARDEV_H
#define RZ_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CHR_NONE, CHR_STDIO, CHR_FILE };

#define CHR_BUF 4096

typedef struct Chardev {
    int kind;               /* CHR_* */
    int out_fd, in_fd;      /* -1: none */
    bool owns_out;          /* file backend: closed by chr_close */
    bool raw;               /* stdin is a terminal this device put in raw mode */
    bool escape;            /* a Ctrl-A was read; the next byte is a command */
    bool quit;              /* Ctrl-A x was typed */
    bool monitor_key;       /* Ctrl-A c was typed; whoever acts on it clears it */
    int error;              /* errno of the first failed write, 0 if none */
    char name[96];          /* for messages: "stdout", "-serial file:PATH" */
    size_t len;             /* bytes pending in buf */
    uint8_t buf[CHR_BUF];
} Chardev;

/* Opens a backend: CHR_STDIO writes to stdout, CHR_FILE creates path,
 * CHR_NONE discards.  0, or -1 with a one-line reason in err. */
int chr_open(Chardev *c, int kind, const char *path, char *err, size_t errlen);
/* A stdio device also reads stdin: a terminal goes to raw mode (restored
 * at exit, on SIGINT/TERM/HUP/QUIT and on crashes); a pipe or file is read
 * as it is, until its end. */
void chr_enable_input(Chardev *c);
/* An output-only device on a descriptor the caller owns (tests). */
void chr_open_fd(Chardev *c, int out_fd, int in_fd, const char *name);
void chr_write(Chardev *c, const void *data, size_t n);
/* Writes out what is buffered; -1 if this device has had a write error. */
int chr_flush(Chardev *c);
/* One byte of input, after the escape: 1 with *b set, 0 when there is
 * none now, or after Ctrl-A x or Ctrl-A c (until monitor_key is
 * cleared).  Never blocks. */
int chr_read(Chardev *c, uint8_t *b);
/* Flushes, restores the terminal, closes what the device opened. */
void chr_close(Chardev *c);
/* "stdout: No space left on device" when a write failed, else NULL. */
const char *chr_error(const Chardev *c, char *buf, size_t len);

/* SIGINT, SIGTERM, SIGHUP and SIGQUIT end a run through the run loop, so
 * that output is flushed and the terminal restored: chr_catch_signals()
 * installs the handlers (once per process; a signal ignored at start stays
 * ignored, as for nohup), chr_signal_pending() is the
 * signal number caught (0 if none), chr_reraise() ends the process with it
 * after the caller's cleanup.  Process-wide, as signals are. */
void chr_catch_signals(void);
int chr_signal_pending(void);
_Noreturn void chr_reraise(int sig);

#endif

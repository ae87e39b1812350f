/* chardev.c — character-device backends (chardev.h). */
#include "chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The terminal is the process's one stdin, and a signal handler has no
 * other way to find it: its saved modes are process-wide. */
static struct termios saved_tio, raw_tio;
static volatile sig_atomic_t tio_saved;
static volatile sig_atomic_t pending_signal;

static void restore_tty(void)
{
    if (tio_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

/* Crashes (and abort): the terminal back, then the previous action —
 * the default, or a sanitizer's report — for the same signal. */
static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
static struct sigaction crash_prev[sizeof crash_sigs / sizeof crash_sigs[0]];

static void on_crash(int sig)
{
    restore_tty();
    for (unsigned i = 0; i < sizeof crash_sigs / sizeof crash_sigs[0]; i++)
        if (crash_sigs[i] == sig)
            sigaction(sig, &crash_prev[i], NULL);
    /* Pending until the handler returns, then taken under the previous
     * action, at the faulting instruction for a real fault. */
    raise(sig);
}

/* kill -TSTP: the shell gets its terminal back while ringzero is stopped,
 * and the raw mode returns with SIGCONT (the raise returns then). */
static void on_tstp(int sig)
{
    restore_tty();
    signal(sig, SIG_DFL);
    /* Unblocked, so the raise stops now rather than re-entering here on
     * return (in an orphaned process group the kernel discards it). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    if (tio_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &raw_tio);
    signal(sig, on_tstp);
}

static void on_stop_signal(int sig)
{
    if (pending_signal) {
        /* A second one while the run loop has not got round to the first
         * (a write blocked on a full pipe, say): go now. */
        restore_tty();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    pending_signal = sig;
}

void chr_catch_signals(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: an idle nanosleep returns at once.  A signal ignored
     * when we started (nohup, a background job of a script) stays so. */
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
}

int chr_signal_pending(void)
{
    return pending_signal;
}

_Noreturn void chr_reraise(int sig)
{
    restore_tty();
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(128 + sig);
}

static void set_name(Chardev *c, const char *name)
{
    snprintf(c->name, sizeof c->name, "%s", name);
}

void chr_open_fd(Chardev *c, int out_fd, int in_fd, const char *name)
{
    memset(c, 0, sizeof *c);
    c->kind = CHR_FILE;
    c->out_fd = out_fd;
    c->in_fd = in_fd;
    set_name(c, name);
}

int chr_open(Chardev *c, int kind, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->out_fd = c->in_fd = -1;
    if (kind == CHR_STDIO) {
        c->out_fd = STDOUT_FILENO;
        set_name(c, "stdout");
    } else if (kind == CHR_FILE) {
        c->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (c->out_fd < 0) {
            snprintf(err, errlen, "-serial file:%s: %s", path, strerror(errno));
            return -1;
        }
        c->owns_out = true;
        snprintf(c->name, sizeof c->name, "-serial file:%s", path);
    } else {
        set_name(c, "none");
    }
    return 0;
}

void chr_enable_input(Chardev *c)
{
    if (c->kind != CHR_STDIO)
        return;
    c->in_fd = STDIN_FILENO;
    if (!isatty(STDIN_FILENO) || tio_saved || tcgetattr(STDIN_FILENO, &saved_tio))
        return;
    tio_saved = 1;
    static bool hooked;
    if (!hooked) {
        hooked = true;
        atexit(restore_tty);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_crash;
        sigemptyset(&sa.sa_mask);
        for (unsigned i = 0; i < sizeof crash_sigs / sizeof crash_sigs[0]; i++)
            sigaction(crash_sigs[i], &sa, &crash_prev[i]);
        sa.sa_handler = on_tstp;
        sigaction(SIGTSTP, &sa, NULL);
    }
    /* Keys go to the guest as they are typed: no line editing, no echo, no
     * signals from Ctrl-C/Ctrl-\/Ctrl-Z, no flow control, CR stays CR.
     * Output processing stays on, so the guest's "\n" is a new line. */
    struct termios raw = saved_tio;
    raw.c_iflag &= (tcflag_t)~(ICRNL | INLCR | IGNCR | IXON);
    raw.c_lflag &= (tcflag_t)~(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    raw_tio = raw;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
        c->raw = true;
}

/* All of buf, however many writes it takes. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* Someone else made the descriptor non-blocking. */
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            poll(&pfd, 1, -1);
            continue;
        }
        if (w <= 0)
            return w < 0 ? errno : EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int chr_flush(Chardev *c)
{
    if (c->len && c->out_fd >= 0 && !c->error)
        c->error = write_all(c->out_fd, c->buf, c->len);
    c->len = 0;
    return c->error ? -1 : 0;
}

void chr_write(Chardev *c, const void *data, size_t n)
{
    if (c->out_fd < 0 || c->error)
        return;
    if (c->len + n > sizeof c->buf)
        chr_flush(c);
    if (n > sizeof c->buf) {
        if (!c->error)
            c->error = write_all(c->out_fd, data, n);
        return;
    }
    memcpy(c->buf + c->len, data, n);
    c->len += n;
}

/* One byte from the descriptor without blocking: 1, 0 for none now. */
static int read_byte(Chardev *c, uint8_t *b)
{
    if (c->in_fd < 0)
        return 0;
    struct pollfd pfd = { .fd = c->in_fd, .events = POLLIN };
    if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
        return 0;
    ssize_t n = read(c->in_fd, b, 1);
    if (n == 1)
        return 1;
    if (n == 0 || (errno != EINTR && errno != EAGAIN))
        c->in_fd = -1;   /* end of input (or a hangup): stop polling */
    return 0;
}

int chr_read(Chardev *c, uint8_t *b)
{
    /* After Ctrl-A c the bytes that follow are the monitor's: none reach
     * the guest until the monitor has taken the request. */
    while (!c->quit && !c->monitor_key && read_byte(c, b)) {
        if (!c->escape && *b != 0x01)
            return 1;
        if (!c->escape) {
            c->escape = true;
            continue;
        }
        c->escape = false;
        if (*b == 'x' || *b == 'X') {
            c->quit = true;
            return 0;
        }
        if (*b == 'c' || *b == 'C') {
            c->monitor_key = true;
            return 0;
        }
        if (*b == 0x01)
            return 1;
        /* any other Ctrl-A sequence: dropped */
    }
    return 0;
}

const char *chr_error(const Chardev *c, char *buf, size_t len)
{
    if (!c->error)
        return NULL;
    snprintf(buf, len, "%s: %s", c->name, strerror(c->error));
    return buf;
}

void chr_close(Chardev *c)
{
    chr_flush(c);
    if (c->raw) {
        restore_tty();
        tio_saved = 0;
        c->raw = false;
    }
    if (c->owns_out && c->out_fd >= 0)
        close(c->out_fd);
    c->out_fd = c->in_fd = -1;
    c->owns_out = false;
}

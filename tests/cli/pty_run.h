/* pty_run.h — ringzero on a pseudo-terminal, for the terminal tests
 * (tests/cli/pty_console.c, tests/debug/pty_monitor.c): start it with the
 * pty as its controlling terminal, type into it, wait for its output (in
 * order: each expect looks after the previous match), collect its exit
 * status.  Every wait is bounded (60 s).  One test program per include. */
#ifndef RZ_PTY_RUN_H
#define RZ_PTY_RUN_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int failed;
#define CHECK(cond, ...) do { if (!(cond)) { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } else { printf("ok: "); printf(__VA_ARGS__); printf("\n"); } } while (0)

typedef struct Run {
    int master, slave;
    pid_t pid;
    char out[65536];
    size_t len;
    size_t mark;            /* expect looks from here */
    struct termios before;  /* the modes before ringzero runs */
} Run;

static bool same_modes(const struct termios *a, const struct termios *b)
{
    return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_cflag == b->c_cflag &&
           a->c_lflag == b->c_lflag && !memcmp(a->c_cc, b->c_cc, sizeof a->c_cc);
}

static void start(Run *r, char **argv)
{
    memset(r, 0, sizeof *r);
    r->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (r->master < 0 || grantpt(r->master) || unlockpt(r->master)) {
        perror("posix_openpt");
        exit(2);
    }
    const char *name = ptsname(r->master);
    r->slave = open(name, O_RDWR | O_NOCTTY);   /* kept open: modes outlive the child */
    tcgetattr(r->slave, &r->before);  /* now: once forked, ringzero may already be in raw mode */
    r->pid = fork();
    if (r->pid == 0) {
        setsid();
        int fd = open(name, O_RDWR);                /* the controlling terminal */
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
}

/* Reads the terminal until its output after the last match holds want
 * (60 s at most); the match is the new mark. */
static bool expect(Run *r, const char *want)
{
    for (int i = 0; i < 600; i++) {
        const char *at = memmem(r->out + r->mark, r->len - r->mark, want, strlen(want));
        if (at) {
            r->mark = (size_t)(at - r->out) + strlen(want);
            return true;
        }
        struct pollfd p = { .fd = r->master, .events = POLLIN };
        if (poll(&p, 1, 100) > 0) {
            ssize_t n = read(r->master, r->out + r->len, sizeof r->out - 1 - r->len);
            if (n <= 0)
                break;
            r->len += (size_t)n;
            r->out[r->len] = 0;
        }
    }
    printf("terminal output so far: '%s'\n", r->out);
    return false;
}

static void type(Run *r, const char *keys, size_t n)
{
    if (write(r->master, keys, n) != (ssize_t)n)
        perror("write to the terminal");
}

static int finish(Run *r)
{
    int st = 0;
    for (int i = 0; i < 600; i++) {
        if (waitpid(r->pid, &st, WNOHANG) == r->pid)
            return st;
        char b[256];
        struct pollfd p = { .fd = r->master, .events = POLLIN };
        if (poll(&p, 1, 100) > 0 && read(r->master, b, sizeof b) < 0 && errno != EIO)
            break;
    }
    kill(r->pid, SIGKILL);
    waitpid(r->pid, &st, 0);
    printf("ringzero did not end: killed\n");
    return -1;
}

static void done(Run *r)
{
    close(r->master);
    close(r->slave);
}

#endif

/* pty_console.c — the serial console on a terminal, through a pseudo-
 * terminal: ringzero puts it in raw mode, keys reach the guest as typed
 * (Enter as CR, Ctrl-C as the byte 0x03, not a SIGINT), Ctrl-A Ctrl-A
 * sends one Ctrl-A, Ctrl-A x quits with status 0, and the terminal's modes
 * are the same afterwards as before — also when ringzero is ended by
 * SIGTERM, SIGHUP, SIGQUIT or SIGSEGV, and while it is stopped by SIGTSTP
 * (raw again after SIGCONT).
 *
 *   pty_console ringzero ARGS...    (the guest: guest/echo.asm) */
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
#include <time.h>
#include <unistd.h>

#include "pty_run.h"

/* The SIGTSTP case, run in a child that leads its own session (see main). */
static int tstp_job(char **argv)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master) || setsid() < 0)
        return 100;
    const char *name = ptsname(master);
    int slave = open(name, O_RDWR);              /* our controlling terminal */
    signal(SIGTTOU, SIG_IGN);
    Run r = { .master = master, .slave = slave };
    struct termios before, during, after;
    tcgetattr(slave, &before);
    r.pid = fork();
    if (r.pid == 0) {
        setpgid(0, 0);
        signal(SIGTTOU, SIG_DFL);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    setpgid(r.pid, r.pid);
    tcsetpgrp(slave, r.pid);                     /* the foreground job */
    CHECK(expect(&r, "READY"), "banner before SIGTSTP");
    kill(r.pid, SIGTSTP);
    int st = 0;
    CHECK(waitpid(r.pid, &st, WUNTRACED) == r.pid && WIFSTOPPED(st), "SIGTSTP stops ringzero (%#x)", st);
    tcgetattr(slave, &after);
    CHECK(same_modes(&before, &after), "terminal modes restored while stopped");
    kill(r.pid, SIGCONT);
    bool raw_again = false;
    for (int i = 0; i < 600 && !raw_again; i++) {
        tcgetattr(slave, &during);
        raw_again = !(during.c_lflag & (ICANON | ECHO | ISIG));
        if (!raw_again)
            nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    }
    CHECK(raw_again, "raw mode again after SIGCONT");
    type(&r, "z", 1);
    CHECK(expect(&r, "[7a]"), "typing works after SIGCONT");
    type(&r, "\001x", 2);
    st = finish(&r);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "then Ctrl-A x: status 0 (%#x)", st);
    tcgetattr(slave, &after);
    CHECK(same_modes(&before, &after), "terminal modes restored at the end");
    fflush(stdout);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pty_console ringzero ARGS...\n");
        return 2;
    }
    Run r;
    struct termios before, during, after;

    start(&r, argv + 1);
    before = r.before;
    CHECK(expect(&r, "READY"), "the guest's banner arrives");
    tcgetattr(r.slave, &during);
    CHECK(!(during.c_lflag & (ICANON | ECHO | ISIG)) && !(during.c_iflag & (ICRNL | IXON)),
          "raw mode while running (lflag %#x iflag %#x)", (unsigned)during.c_lflag,
          (unsigned)during.c_iflag);
    type(&r, "hi\r", 3);
    CHECK(expect(&r, "[68][69][0d]"), "typed 'h', 'i', Enter reach the guest as 68 69 0d");
    type(&r, "\003", 1);
    CHECK(expect(&r, "[03]"), "Ctrl-C reaches the guest as the byte 0x03");
    type(&r, "\001\001", 2);
    CHECK(expect(&r, "[01]"), "Ctrl-A Ctrl-A sends one Ctrl-A");
    type(&r, "\001x", 2);
    CHECK(expect(&r, "quit from the serial console"), "Ctrl-A x says it quits");
    int st = finish(&r);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "Ctrl-A x: exit status 0 (%#x)", st);
    tcgetattr(r.slave, &after);
    CHECK(same_modes(&before, &after), "terminal modes restored after Ctrl-A x");
    CHECK(!memmem(r.out, r.len, "[78]", 4) && !memmem(r.out, r.len, "[01][01]", 8),
          "neither the escape nor the x reached the guest");
    done(&r);

    /* SIGTSTP only stops a process whose group has a parent in its
     * session (else the kernel discards it): as under a shell, a child
     * leads a session on the terminal and runs ringzero as its foreground
     * job.  Its exit status is the number of failed checks. */
    fflush(stdout);
    pid_t leader = fork();
    if (leader == 0)
        _exit(tstp_job(argv + 1));
    st = 0;
    waitpid(leader, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTSTP/SIGCONT checks (%#x)", st);

    static const int sigs[] = { SIGTERM, SIGHUP, SIGQUIT, SIGSEGV };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        start(&r, argv + 1);
        before = r.before;
        bool up = expect(&r, "READY");
        kill(r.pid, sigs[i]);
        st = finish(&r);
        tcgetattr(r.slave, &after);
        /* A crash under AddressSanitizer ends in its report and exit(1). */
        bool ended = st >= 0 && ((WIFSIGNALED(st) && WTERMSIG(st) == sigs[i]) ||
                                 (sigs[i] == SIGSEGV && WIFEXITED(st) && WEXITSTATUS(st) != 0));
        CHECK(up && ended, "SIG%s ends the run (status %#x)", sigabbrev_np(sigs[i]), st);
        CHECK(same_modes(&before, &after), "terminal modes restored after SIG%s",
              sigabbrev_np(sigs[i]));
        done(&r);
    }
    printf("%s\n", failed ? "FAILED" : "all passed");
    return failed != 0;
}

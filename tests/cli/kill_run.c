/* kill_run.c — a run killed by a signal loses nothing the guest wrote:
 *
 *   kill_run SIG FILE TEXT [--stdout] -- ringzero ARGS...
 *
 * starts ringzero (stdout to FILE with --stdout, else to /dev/null),
 * waits until FILE holds TEXT (so the output was written while the guest
 * still ran: the guest never stops and never prints a newline), sends SIG
 * (TERM, INT, HUP or QUIT), and checks that ringzero died of that signal
 * after saying so on stderr and that FILE still starts with TEXT.  A run
 * whose output sits in a buffer never gets past the wait (60 s): fail. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *why)
{
    printf("FAIL: %s\n", why);
    return 1;
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: kill_run SIG FILE TEXT [--stdout] -- ringzero ARGS...\n");
        return 2;
    }
    static const struct { const char *name; int sig; } sigs[] = {
        { "TERM", SIGTERM }, { "INT", SIGINT }, { "HUP", SIGHUP }, { "QUIT", SIGQUIT },
    };
    int sig = 0;
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (!strcmp(argv[1], sigs[i].name))
            sig = sigs[i].sig;
    const char *file = argv[2], *text = argv[3];
    bool to_stdout = !strcmp(argv[4], "--stdout");
    int cmd = to_stdout ? 6 : 5;
    if (!sig || cmd > argc || strcmp(argv[cmd - 1], "--"))
        return fail("bad arguments");
    unlink(file);
    char errpath[] = "/tmp/rz_kill_err_XXXXXX";
    int errfd = mkstemp(errpath);
    pid_t pid = fork();
    if (pid == 0) {
        int out = to_stdout ? open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644) : open("/dev/null", O_WRONLY);
        int in = open("/dev/null", O_RDONLY);
        dup2(out, 1);
        dup2(in, 0);
        dup2(errfd, 2);
        execv(argv[cmd], argv + cmd);
        _exit(127);
    }
    char buf[65536];
    size_t want = strlen(text);
    bool seen = false;
    for (int i = 0; i < 6000 && !seen; i++) {
        seen = read_file(file, buf, sizeof buf) >= want && !memcmp(buf, text, want);
        int st;
        if (!seen && waitpid(pid, &st, WNOHANG) == pid)
            return fail("ringzero ended before being killed");
        if (!seen)
            nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    }
    if (!seen) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        printf("file: '%s'\n", buf);
        return fail("the guest's output never reached the file while it ran");
    }
    kill(pid, sig);
    int st;
    waitpid(pid, &st, 0);
    char err[4096];
    read_file(errpath, err, sizeof err);
    unlink(errpath);
    read_file(file, buf, sizeof buf);
    printf("after SIG%s: status %#x, file '%s', stderr '%s'\n", argv[1], st, buf, err);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != sig)
        return fail("ringzero did not end by the signal it got");
    if (memcmp(buf, text, want))
        return fail("the file lost what the guest wrote");
    if (!strstr(err, "ringzero: stopped by signal"))
        return fail("no 'stopped by signal' line on stderr");
    printf("ok\n");
    return 0;
}

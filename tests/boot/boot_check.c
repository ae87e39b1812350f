/* boot_check.c — runs a Linux boot on ringzero and judges it from outside.
 *
 *   boot_check [options] -- RINGZERO ARGS...
 *
 * The guest's console (ringzero's stdout: -serial stdio on a pipe) is read
 * line by line and each line stamped with the host's monotonic clock, so
 * the in-guest `sleep 2` is timed against the host between the guest's
 * "rz: sleep begin" and "rz: sleep end" lines.  Options:
 *   --log FILE     the stamped console and ringzero's stderr (for humans)
 *   --test boot    expect the results of /etc/rz-tests.sh's rz_test_boot
 *   --sleep-check  time the sleep (host clock; not under -icount)
 *   --twice        run the command twice; the consoles must be identical
 *   --status N     the exit status wanted (default 0)
 * Always: the init marker, "rz: test ... passed" when --test is given, and
 * none of the kernel-log patterns that mean trouble. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <regex.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const bad_patterns[] = {
    "WARNING:", "BUG:", "Oops", "Call Trace", "unchecked MSR access", "clocksource .* unstable",
    "nobody cared", "APIC calibration", "Kernel panic",
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct Run {
    char *console;        /* everything the guest printed */
    size_t len;
    int status;
    double sleep_begin, sleep_end;
} Run;

static int failures;
#define FAIL(...) do { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } while (0)

static void run(char **argv, FILE *log, Run *r)
{
    memset(r, 0, sizeof *r);
    int out[2];
    if (pipe(out)) {
        perror("pipe");
        exit(2);
    }
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        int devnull = open("/dev/null", 0);
        if (devnull >= 0)
            dup2(devnull, 0);
        execv(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        double t = now_s() - t0;
        char *grown = realloc(r->console, r->len + (size_t)n + 1);
        if (!grown)
            exit(2);
        r->console = grown;
        memcpy(r->console + r->len, line, (size_t)n);
        r->len += (size_t)n;
        r->console[r->len] = 0;
        if (log)
            fprintf(log, "[host %9.3f] %s%s", t, line, line[n - 1] == '\n' ? "" : "\n");
        if (strstr(line, "ringzero: init started"))
            printf("boot_check: init marker after %.2f s (host)\n", t);
        if (strstr(line, "rz: sleep begin"))
            r->sleep_begin = t;
        if (strstr(line, "rz: sleep end"))
            r->sleep_end = t;
    }
    free(line);
    fclose(f);
    int st;
    waitpid(pid, &st, 0);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    printf("boot_check: ringzero exited with %d after %.2f s\n", r->status, now_s() - t0);
    if (!r->console)
        r->console = calloc(1, 1);
}

/* The value after "key " on the first line that has it, up to the end of
 * the line. */
static bool field(const char *text, const char *key, char *out, size_t outlen)
{
    const char *p = strstr(text, key);
    if (!p)
        return false;
    p += strlen(key);
    size_t n = strcspn(p, "\r\n");
    snprintf(out, outlen, "%.*s", (int)n, p);
    return true;
}

static void host_sha256_of_zeros(char *out, size_t outlen)
{
    FILE *p = popen("head -c 16777216 /dev/zero | sha256sum", "r");
    if (!p || !fgets(out, (int)outlen, p)) {
        FAIL("cannot run the host's sha256sum");
        out[0] = 0;
    }
    if (p)
        pclose(p);
    out[strcspn(out, " \n")] = 0;
}

static void check_run(const Run *r, const char *test, bool sleep_check, int want_status)
{
    if (r->status != want_status)
        FAIL("exit status %d, wanted %d", r->status, want_status);
    if (!strstr(r->console, "ringzero: init started"))
        FAIL("no 'ringzero: init started' marker on the console");
    for (unsigned i = 0; i < sizeof bad_patterns / sizeof bad_patterns[0]; i++) {
        regex_t re;
        regmatch_t m;
        if (regcomp(&re, bad_patterns[i], REG_EXTENDED | REG_NEWLINE))
            exit(2);
        if (!regexec(&re, r->console, 1, &m, 0)) {
            const char *s = r->console + m.rm_so;
            while (s > r->console && s[-1] != '\n')
                s--;
            FAIL("the console has '%s': %.*s", bad_patterns[i], (int)strcspn(s, "\r\n"), s);
        }
        regfree(&re);
    }
    if (!test)
        return;
    char want[128], got[128];
    snprintf(want, sizeof want, "ringzero: test %s passed", test);
    if (!strstr(r->console, want))
        FAIL("no '%s' line", want);
    if (strcmp(test, "boot"))
        return;
    if (!field(r->console, "rz: uname ", got, sizeof got) || strncmp(got, "Linux ", 6))
        FAIL("uname -a did not print a Linux line");
    if (!strstr(r->console, "processor\t: 0"))
        FAIL("/proc/cpuinfo has no 'processor : 0'");
    host_sha256_of_zeros(want, sizeof want);
    if (!field(r->console, "rz: sha256 ", got, sizeof got) || strcmp(got, want))
        FAIL("sha256sum of 16 MiB of zeros: guest '%s', host '%s'", got, want);
    if (!strstr(r->console, "rz: gzip ok"))
        FAIL("the gzip/gunzip round trip did not give back the original");
    if (!strstr(r->console, "rz: forked 1000\n") && !strstr(r->console, "rz: forked 1000\r"))
        FAIL("the fork/exec loop did not reach 1000");
    if (sleep_check) {
        double d = r->sleep_end - r->sleep_begin;
        if (!r->sleep_begin || !r->sleep_end)
            FAIL("no 'rz: sleep begin/end' lines");
        else if (d < 1.8 || d > 2.2)
            FAIL("'sleep 2' took %.3f s of host time (wanted 2 s +- 10%%)", d);
        else
            printf("boot_check: 'sleep 2' took %.3f s of host time\n", d);
    }
}

int main(int argc, char **argv)
{
    const char *logpath = NULL, *test = NULL;
    bool sleep_check = false, twice = false;
    int want_status = 0, i = 1;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--log") && i + 1 < argc) logpath = argv[++i];
        else if (!strcmp(argv[i], "--test") && i + 1 < argc) test = argv[++i];
        else if (!strcmp(argv[i], "--status") && i + 1 < argc) want_status = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sleep-check")) sleep_check = true;
        else if (!strcmp(argv[i], "--twice")) twice = true;
        else {
            fprintf(stderr, "boot_check: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: boot_check [--log F] [--test NAME] [--sleep-check] [--twice] "
                "[--status N] -- RINGZERO ARGS...\n");
        return 2;
    }
    char **cmd = argv + i + 1;
    if (access(cmd[0], X_OK)) {
        printf("FAIL: %s is not executable\n", cmd[0]);
        return 1;
    }
    for (char **a = cmd + 1; *a; a++)
        if ((!strcmp(a[-1], "-kernel") || !strcmp(a[-1], "-initrd")) && access(*a, R_OK)) {
            printf("FAIL: %s is missing: scripts/guest-images.sh builds it (the boot_images "
                   "test runs it)\n", *a);
            return 1;
        }
    FILE *log = logpath ? fopen(logpath, "w") : NULL;
    if (log)
        setvbuf(log, NULL, _IOLBF, 0);  /* follow a long boot with tail -f */
    Run a, b;
    run(cmd, log, &a);
    check_run(&a, test, sleep_check, want_status);
    if (twice) {
        if (log)
            fprintf(log, "---- second run ----\n");
        run(cmd, log, &b);
        check_run(&b, test, false, want_status);
        if (a.len != b.len || memcmp(a.console, b.console, a.len)) {
            size_t k = 0;
            while (k < a.len && k < b.len && a.console[k] == b.console[k])
                k++;
            size_t ls = k;
            while (ls > 0 && a.console[ls - 1] != '\n')
                ls--;
            FAIL("the two runs' consoles differ (%zu and %zu bytes), first at byte %zu:\n"
                 "  run 1: %.*s\n  run 2: %.*s", a.len, b.len, k,
                 (int)strcspn(a.console + ls, "\n"), a.console + ls,
                 (int)strcspn(b.console + ls, "\n"), b.console + ls);
        } else {
            printf("boot_check: both runs printed the same %zu bytes\n", a.len);
        }
        free(b.console);
    }
    free(a.console);
    if (log)
        fclose(log);
    printf("boot_check: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}

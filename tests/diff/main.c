/* main.c — the differential tester's driver.
 *
 * For every form of the opcode table in scope (A_DIFF, valid in the mode)
 * it generates cases, sends them in batches to a native runner child
 * (runner.c, 64- or 32-bit build), runs the same cases in ringzero
 * meanwhile, in the interpreter (tier 0) and as translated blocks (tier 1),
 * and compares each tier with the host and the two tiers with each other.
 * A runner that dies or hangs is restarted and the case it was on is
 * reported as a failure.
 *
 *   difftest [--mode 64|32|all] [--tier 0|1|both] [--cases N] [--seed S]
 *            [--form NAME[,NAME..]] [--show K] [--verbose]
 *   difftest --print-model   the model chosen (tests/host_model.h), and exit
 *   RZ_DIFF_CASES=N   same as --cases (the large sweep uses >= 1000)
 *   RZ_TEST_CPU=intel|amd  the model (default: the host's, tests/host_model.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"
#include "tests/host_model.h"

#define BATCH 64
#define RUNNER_TIMEOUT_MS 20000

typedef struct Runner {
    pid_t pid;
    int to, from;       /* pipes: cases to the child, results from it */
    DiffHello hello;
    const char *path;
} Runner;

typedef struct Options {
    int modes[2], nmodes;
    bool tier[2];       /* which tiers run the cases */
    unsigned cases;
    uint64_t seed;
    const char *forms;  /* comma-separated names, or NULL for all */
    unsigned show;      /* mismatch reports printed per form */
    bool verbose;
} Options;

typedef struct Totals {
    unsigned forms_pass, forms_fail;
    uint64_t cases, mismatches;
    /* per tier: cases compared, failing; tier 1 also: run as host code,
     * not translated (the fetch or decode faulted: no block) */
    uint64_t tcases[2], tfail[2], t1_ran, t1_untranslated;
} Totals;

static void runner_stop(Runner *r)
{
    if (r->pid <= 0)
        return;
    close(r->to);
    close(r->from);
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    r->pid = -1;
}

static int read_timed(int fd, void *buf, size_t n, int timeout_ms)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) return -2;  /* timeout */
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;   /* the child died */
        got += (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int runner_start(Runner *r)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out))
        return -1;
    fcntl(in[1], F_SETPIPE_SZ, 1 << 20);
    fcntl(out[1], F_SETPIPE_SZ, 1 << 20);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]);
        execl(r->path, r->path, (char *)NULL);
        fprintf(stderr, "difftest: cannot run %s: %s\n", r->path, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    r->pid = pid;
    r->to = in[1];
    r->from = out[0];
    if (read_timed(r->from, &r->hello, sizeof r->hello, RUNNER_TIMEOUT_MS) || r->hello.magic != DIFF_MAGIC) {
        fprintf(stderr, "difftest: runner %s did not start\n", r->path);
        runner_stop(r);
        return -1;
    }
    return 0;
}

/* Runs cases [0, n) natively; results land in res[].  A crash or hang marks
 * that case and restarts the runner for the rest. */
static int run_native(Runner *r, const GenCase *gc, int n, DiffResult *res)
{
    int done = 0;
    while (done < n) {
        if (r->pid <= 0 && runner_start(r))
            return -1;
        for (int i = done; i < n; i++)
            if (write_all(r->to, &gc[i].c, sizeof gc[i].c))
                break;  /* the child died; the read below finds where */
        while (done < n) {
            int rr = read_timed(r->from, &res[done], sizeof res[done], RUNNER_TIMEOUT_MS);
            if (rr == 0 && res[done].magic == DIFF_MAGIC && res[done].id == gc[done].c.id) {
                done++;
                continue;
            }
            memset(&res[done], 0, sizeof res[done]);
            res[done].status = rr == -2 ? ST_TIMEOUT : ST_CRASH;
            res[done].id = gc[done].c.id;
            done++;
            runner_stop(r);
            break;
        }
    }
    return 0;
}

/* Twin cases (the flags-read check) carry this bit in their id. */
#define TWIN_ID 0x80000000u

static void outcome_of(const DiffResult *res, Outcome *o)
{
    memset(o, 0, sizeof *o);
    o->status = res->status;
    o->vector = res->trapno;
    o->err = res->err;
    o->fault_addr = res->fault_addr;
    o->st = res->out;
    o->mem = res->mem;
}

/* The host ran the case twice, the second time with input flags ^ flip,
 * none of which the table lists as read: the outcomes must agree, but for
 * the flipped flags the form does not write (they stay flipped) and the
 * undefined ones.  Returns the number of differences. */
static int compare_twin(const GenCase *gc, int mode, const Outcome *na, const DiffResult *tr,
                        uint32_t flip, const UndefMask *um, bool print)
{
    const FormInfo *fi = &form_info[gc->form];
    Outcome tw;
    outcome_of(tr, &tw);
    /* A fault leaves every flag as it was; a completed form the ones it does not write. */
    tw.st.rflags ^= tw.status == ST_DONE ? flip & ~form_flags_written(fi) : flip;
    UndefMask m = *um;
    m.eflags |= form_flags_undefined(fi);
    int nd = compare_outcomes(gc, mode, na, &tw, &m, NULL);
    if (nd && print) {
        printf("  FLAGS-READ CHECK: the host's outcome changed with input flags ^ %#x, which the "
               "table does not list as read (FR_ %#x); the \"ringzero\" column below is that second "
               "native run, flipped flags restored\n", flip, form_flags_read(fi));
        compare_outcomes(gc, mode, na, &tw, &m, stdout);
    }
    return nd;
}

static bool form_selected(const Options *o, const char *name)
{
    if (!o->forms)
        return true;
    size_t n = strlen(name);
    for (const char *p = o->forms; *p; ) {
        size_t k = strcspn(p, ",");
        if (k == n && !strncmp(p, name, n))
            return true;
        if (k && p[k - 1] == '*' && !strncmp(p, name, k - 1))
            return true;  /* prefix match: SHL_* */
        p += k + (p[k] == ',');
    }
    return false;
}

static void vectors_text(uint32_t mask, char *buf, size_t n)
{
    buf[0] = 0;
    for (int v = 0; v < 32; v++)
        if (mask >> v & 1)
            snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "," : "", vector_name(v));
    if (!buf[0])
        snprintf(buf, n, "-");
}

static int run_mode(const Options *o, const CpuModel *model, int mode, const char *runner_path,
                    Totals *t)
{
    Runner r = { .pid = -1, .path = runner_path };
    if (runner_start(&r))
        return -1;
    char err[256];
    Interp *it[2] = { NULL, NULL };
    for (int k = 0; k < 2; k++)
        if (o->tier[k] && !(it[k] = interp_new(r.hello.have_low != 0, r.hello.sel, model, k == 1, err,
                                               sizeof err))) {
            fprintf(stderr, "difftest: tier %d: %s\n", k, err);
            interp_free(it[0]);
            runner_stop(&r);
            return -1;
        }
    const int bits = mode == CODE64 ? 64 : 32;
    uint64_t t_cases[2] = { t->tcases[0], t->tcases[1] }, t_fail[2] = { t->tfail[0], t->tfail[1] };
    uint64_t t_ran = t->t1_ran, t_untr = t->t1_untranslated;
    printf("== %d-bit mode: runner %s (16-bit addressing window %s), %u cases per form, seed %#" PRIx64
           ", tiers%s%s\n", bits, runner_path, r.hello.have_low ? "mapped" : "unavailable", o->cases, o->seed,
           o->tier[0] ? " 0 (interpreter)" : "", o->tier[1] ? " 1 (translated, threshold 0)" : "");
    printf("%-22s %6s %6s %6s %6s  %s\n", "form", "cases", "fail", "t1fail", "exc", "exceptions seen (native)");

    static GenCase gc[BATCH];
    static DiffResult res[BATCH];
    static Outcome emu[2][BATCH];
    static uint64_t evals[BATCH];
    static InterpTier1 t1info[BATCH];
    static GenCase twin[BATCH];
    static DiffResult twin_res[BATCH];
    for (int f = 0; f < FORM_COUNT; f++) {
        if (!gen_form_in_scope(f, mode) || !form_selected(o, form_info[f].name))
            continue;
        GenCtx g = { .rng = (o->seed ^ (uint64_t)(f + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)mode << 56) | 1,
                     .mode = mode, .have_low = r.hello.have_low != 0, .q = &model->q };
        unsigned cases = 0, fails = 0, shown = 0, excs = 0, genfail = 0, t1fails = 0, t1shown = 0;
        uint32_t vecs = 0;
        char why[160] = "";
        while (cases + genfail < o->cases) {
            int n = 0;
            while (n < BATCH && cases + genfail + (unsigned)n < o->cases) {
                char w[160];
                int k = gen_case(&g, f, (uint32_t)(cases + genfail + (unsigned)n), &gc[n], w, sizeof w);
                if (k == GEN_OK) { n++; continue; }
                if (!genfail) snprintf(why, sizeof why, "%s", w);
                genfail++;
            }
            if (!n) break;
            /* The runner works on the batch while the interpreter does. */
            for (int i = 0; i < n; i++)
                if (write_all(r.to, &gc[i].c, sizeof gc[i].c))
                    break;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < 2; k++)
                    if (it[k]) {
                        interp_run(it[k], mode, &gc[i], &emu[k][i], &evals[i]);
                        if (k == 1)
                            t1info[i] = *interp_tier1(it[1]);
                    }
            int got = 0;
            while (got < n) {
                int rr = read_timed(r.from, &res[got], sizeof res[got], RUNNER_TIMEOUT_MS);
                if (rr == 0 && res[got].magic == DIFF_MAGIC && res[got].id == gc[got].c.id) {
                    got++;
                    continue;
                }
                memset(&res[got], 0, sizeof res[got]);
                res[got].status = rr == -2 ? ST_TIMEOUT : ST_CRASH;
                res[got].id = gc[got].c.id;
                got++;
                runner_stop(&r);
                if (got < n && run_native(&r, gc + got, n - got, res + got))
                    return -1;
                got = n;
            }
            /* Each case again with the flags the table says the form does
             * not read flipped: the host must give the same outcome. */
            const FormInfo *fi = &form_info[f];
            uint32_t flip = (F_OSZAPC | F_DF) & ~form_flags_read(fi);
            for (int i = 0; i < n && flip; i++) {
                twin[i] = gc[i];
                twin[i].c.in.rflags ^= flip;
                twin[i].c.id |= TWIN_ID;
            }
            if (flip && run_native(&r, twin, n, twin_res))
                return -1;
            for (int i = 0; i < n; i++) {
                Outcome na;
                outcome_of(&res[i], &na);
                if (na.status == ST_EXC) {
                    excs++;
                    if (na.vector >= 0 && na.vector < 32) vecs |= 1u << na.vector;
                }
                UndefMask um;
                undef_masks(&gc[i], mode, &gc[i].c.in, evals[i], &um);
                bool print = shown < o->show;
                int nd = 0;
                if (it[0])
                    nd = compare_outcomes(&gc[i], mode, &na, &emu[0][i], &um, print ? stdout : NULL);
                if (flip) {
                    nd += compare_twin(&gc[i], mode, &na, &twin_res[i], flip, &um, print && !nd);
                }
                if (nd) {
                    fails++;
                    shown += print;
                }
                t->tcases[0] += it[0] != NULL;
                t->tfail[0] += it[0] && nd;
                if (it[1]) {
                    /* Tier 1 against the host as tier 0 is, and against tier 0 exactly. */
                    const InterpTier1 *ti = &t1info[i];
                    bool p1 = t1shown < o->show;
                    t->t1_ran += ti->ran;
                    t->t1_untranslated += !ti->translated;
                    /* One report: tier 0 against tier 1 when they differ (the
                     * host's column is then tier 0's), else tier 1 against the host. */
                    int nt = it[0] ? compare_tiers(&gc[i], mode, &emu[0][i], &emu[1][i], NULL) : 0;
                    int nh = compare_outcomes(&gc[i], mode, &na, &emu[1][i], &um, NULL);
                    int n1 = nt + nh + (ti->note[0] != 0);
                    if (p1 && n1) {
                        printf("  TIER 1 FAILS%s%s%s%s\n", ti->note[0] ? ": " : "", ti->note,
                               nt ? ": differs from tier 0" : "",
                               nh ? (nt ? " (and from the host)" : ": differs from the host (the "
                                     "\"ringzero\" column below is tier 1)") : "");
                        if (nt)
                            compare_tiers(&gc[i], mode, &emu[0][i], &emu[1][i], stdout);
                        else if (nh)
                            compare_outcomes(&gc[i], mode, &na, &emu[1][i], &um, stdout);
                    }
                    t->tcases[1]++;
                    if (n1) {
                        t1fails++;
                        t1shown += p1;
                        t->tfail[1]++;
                    }
                }
            }
            cases += (unsigned)n;
        }
        if (genfail)
            printf("  GENERATOR/DECODER MISMATCH %s (%u times): %s\n", form_info[f].name, genfail, why);
        char vt[128];
        vectors_text(vecs, vt, sizeof vt);
        bool bad = fails || genfail || t1fails;
        printf("%-22s %6u %6u %6u %6u  %s%s\n", form_info[f].name, cases, fails + genfail, t1fails, excs, vt,
                   bad ? "   FAIL" : "");
        fflush(stdout);
        t->cases += cases;
        t->mismatches += fails + genfail + t1fails;
        if (bad) t->forms_fail++;
        else t->forms_pass++;
    }
    for (int k = 0; k < 2; k++)
        if (o->tier[k])
            printf("%d-bit tier %d: %" PRIu64 " cases, %" PRIu64 " failing\n", bits, k,
                   t->tcases[k] - t_cases[k], t->tfail[k] - t_fail[k]);
    if (o->tier[1])
        printf("%d-bit tier 1: %" PRIu64 " cases ran as translated blocks, %" PRIu64 " raised in "
               "fetch/decode (no block)\n", bits, t->t1_ran - t_ran, t->t1_untranslated - t_untr);
    if (it[1])
        interp_print_tbstats(it[1], stdout);
    runner_stop(&r);
    interp_free(it[0]);
    interp_free(it[1]);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: difftest [--mode 64|32|all] [--tier 0|1|both] [--cases N] [--seed S]\n"
                    "                [--form NAME[,NAME|PREFIX*]] [--show K] [--verbose]\n"
                    "       difftest --print-model   (the CPU model the host-oracle tests use)\n"
                    "       RZ_DIFF_CASES=N sets the default number of cases per form\n"
                    "       RZ_TEST_CPU=intel|amd overrides the model (default: the host's)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    Options o = { .modes = { CODE64, CODE32 }, .nmodes = 2, .tier = { true, true }, .cases = 200,
                  .seed = 0x5eed2024, .show = 2 };
    const char *env = getenv("RZ_DIFF_CASES");
    if (env && *env)
        o.cases = (unsigned)strtoul(env, NULL, 0);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--mode") && v) {
            i++;
            if (!strcmp(v, "64")) { o.modes[0] = CODE64; o.nmodes = 1; }
            else if (!strcmp(v, "32")) { o.modes[0] = CODE32; o.nmodes = 1; }
            else if (!strcmp(v, "all")) { o.nmodes = 2; }
            else usage();
        } else if (!strcmp(a, "--tier") && v) {
            i++;
            o.tier[0] = strcmp(v, "1") != 0;
            o.tier[1] = strcmp(v, "0") != 0;
            if (strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "both")) usage();
        } else if (!strcmp(a, "--cases") && v) { o.cases = (unsigned)strtoul(v, NULL, 0); i++; }
        else if (!strcmp(a, "--seed") && v) { o.seed = strtoull(v, NULL, 0); i++; }
        else if (!strcmp(a, "--form") && v) { o.forms = v; i++; }
        else if (!strcmp(a, "--show") && v) { o.show = (unsigned)strtoul(v, NULL, 0); i++; }
        else if (!strcmp(a, "--verbose")) { o.verbose = true; o.show = ~0u; }
        else if (!strcmp(a, "--print-model")) { test_host_model(); return 0; }
        else usage();
    }
    if (!o.cases) usage();
    signal(SIGPIPE, SIG_IGN);

    /* The interpreter runs the model of the host's vendor: where the
     * vendors differ, the host is the oracle of that model only
     * (tests/unit/test_quirks.c pins both). */
    if (undef_check_table(stdout)) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    const CpuModel *model = test_host_model();
    Totals t = { 0 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int m = 0; m < o.nmodes; m++) {
        const char *path = o.modes[m] == CODE64 ? DIFF_RUNNER64 : DIFF_RUNNER32;
        if (run_mode(&o, model, o.modes[m], path, &t)) {
            fprintf(stderr, "difftest: %d-bit run could not be set up\n", o.modes[m] == CODE64 ? 64 : 32);
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("total: %" PRIu64 " cases, %" PRIu64 " failing cases, %.1f s\n", t.cases, t.mismatches, secs);
    if (t.forms_pass + t.forms_fail == 0) {
        printf("no form selected\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    printf("%u passed, %u failed\n", t.forms_pass, t.forms_fail);
    return t.forms_fail ? 1 : 0;
}

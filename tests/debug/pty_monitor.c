/* pty_monitor.c — the monitor on the serial console, through a pseudo-
 * terminal: Ctrl-A c switches from the guest to the `(ringzero) ' prompt,
 * where the guest is stopped (its instruction count stands still between
 * two `info registers', the keys typed do not reach it), commands run
 * with echo and Backspace, an unknown one is one line; Ctrl-A c again
 * switches back and the guest gets keys again; after `stop' it stays
 * stopped until `cont'; `quit' and Ctrl-A x end ringzero with status 0
 * and the terminal's modes restored.
 *
 *   pty_monitor ringzero ARGS...    (the guest: tests/cli/guest/echo.asm,
 *   which prints "[xx]" for each byte it receives) */
#include "../cli/pty_run.h"

/* The instruction count in the last `info registers' output before the
 * mark ("icount N"), or -1. */
static long long last_icount(const Run *r)
{
    const char *best = NULL;
    for (const char *p = r->out; (p = memmem(p, (size_t)(r->out + r->mark - p), "icount ", 7)); p += 7)
        best = p;
    return best ? atoll(best + 7) : -1;
}

static bool echoed(const Run *r, const char *hex)
{
    return memmem(r->out, r->len, hex, strlen(hex)) != NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pty_monitor ringzero ARGS...\n");
        return 2;
    }
    Run r;
    struct termios after;
    start(&r, argv + 1);
    CHECK(expect(&r, "READY"), "the guest's banner arrives");
    type(&r, "a", 1);
    CHECK(expect(&r, "[61]"), "a key reaches the guest");

    type(&r, "\001c", 2);
    CHECK(expect(&r, "(ringzero) "), "Ctrl-A c shows the prompt");
    type(&r, "info registers\r", 15);
    CHECK(expect(&r, "info registers"), "what is typed is echoed");
    CHECK(expect(&r, "32-bit protected mode, icount "), "info registers runs");
    CHECK(expect(&r, "(ringzero) "), "the prompt again");
    long long ic1 = last_icount(&r);
    type(&r, "info registers\r", 15);
    CHECK(expect(&r, "icount ") && expect(&r, "(ringzero) "), "info registers again");
    long long ic2 = last_icount(&r);
    CHECK(ic1 > 0 && ic1 == ic2, "the guest is stopped at the prompt (icount %lld, then %lld)", ic1, ic2);
    type(&r, "xp/2xb 0x100000\r", 16);
    CHECK(expect(&r, "0000000000100000: 0xbe 0x"), "xp shows the guest's first byte (mov esi: 0xbe)");
    type(&r, "inof\x7f\x7f" "fo pic\r", 13);
    CHECK(expect(&r, "pic0: irr="), "Backspace edits the line (info pic)");
    type(&r, "bogus\r", 6);
    CHECK(expect(&r, "unknown command: 'bogus' (help lists them)\r\n(ringzero) "),
          "an unknown command: one line, then the prompt");
    CHECK(!echoed(&r, "[62]") && !echoed(&r, "[69]"), "no key typed at the prompt reached the guest");

    type(&r, "\001c", 2);
    type(&r, "d", 1);
    CHECK(expect(&r, "[64]"), "Ctrl-A c again: keys reach the guest");

    type(&r, "\001c", 2);
    CHECK(expect(&r, "(ringzero) "), "the prompt once more");
    type(&r, "stop\r", 5);
    CHECK(expect(&r, "(ringzero) "), "stop");
    type(&r, "\001c", 2);
    CHECK(expect(&r, "(the guest is stopped: Ctrl-A c, then cont, runs it)"),
          "Ctrl-A c after stop: the guest stays stopped");
    type(&r, "q", 1);
    type(&r, "\001c", 2);
    CHECK(expect(&r, "(ringzero) "), "Ctrl-A c: the prompt");
    type(&r, "cont\r", 5);
    type(&r, "e", 1);
    CHECK(expect(&r, "[65]"), "cont: the guest runs and gets keys");
    CHECK(!echoed(&r, "[71]"), "the key typed while it was stopped was dropped");

    type(&r, "\001c", 2);
    CHECK(expect(&r, "(ringzero) "), "the prompt, to quit");
    type(&r, "quit\r", 5);
    CHECK(expect(&r, "quit from the monitor"), "quit says so");
    int st = finish(&r);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "quit: exit status 0 (%#x)", st);
    tcgetattr(r.slave, &after);
    CHECK(same_modes(&r.before, &after), "terminal modes restored after quit");
    done(&r);

    start(&r, argv + 1);
    CHECK(expect(&r, "READY"), "second run: the banner");
    type(&r, "\001c", 2);
    CHECK(expect(&r, "(ringzero) "), "second run: the prompt");
    type(&r, "\001x", 2);
    CHECK(expect(&r, "quit from the serial console"), "Ctrl-A x at the prompt quits");
    st = finish(&r);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "Ctrl-A x: exit status 0 (%#x)", st);
    tcgetattr(r.slave, &after);
    CHECK(same_modes(&r.before, &after), "terminal modes restored after Ctrl-A x");
    done(&r);

    printf("%s\n", failed ? "FAILED" : "all passed");
    return failed != 0;
}

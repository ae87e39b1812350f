/* console_monitor.c — the monitor's prompt on the serial console; see
 * console_monitor.h.
 *
 * The terminal is in raw mode (hw/chardev.c), so the prompt echoes what
 * is typed and does its own line editing: printable characters, Backspace
 * (DEL or BS) erases one, Ctrl-C drops the line, CR or LF ends it (LF
 * right after CR is the same Enter).  Input that is not a terminal (a
 * pipe, a file) is not echoed.  Keys come through chr_read, so the
 * terminal escape works here as on the guest's side: Ctrl-A c leaves,
 * Ctrl-A x quits ringzero.
 */
#include "console_monitor.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define PROMPT "(ringzero) "
#define LINE_MAX_LEN 256

static void put(Chardev *c, const char *s)
{
    chr_write(c, s, strlen(s));
}

/* Blocks until c has input; false on a signal or when input has ended. */
static bool wait_input(Chardev *c)
{
    if (c->in_fd < 0)
        return false;
    chr_flush(c);
    struct pollfd p = { .fd = c->in_fd, .events = POLLIN };
    while (poll(&p, 1, -1) < 0)
        if (errno != EINTR || chr_signal_pending())
            return false;
    return true;
}

/* Runs one line; its output (a memory stream, then the console). */
static int run_line(const MonHost *h, Chardev *c, const char *line)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        put(c, "monitor: out of memory\n");
        return MON_DONE;
    }
    int r = monitor_command(h, line, f);
    fclose(f);
    chr_write(c, text, len);
    free(text);
    return r;
}

/* While the guest is stopped (after `stop') and the terminal shows it:
 * keys are dropped; true when Ctrl-A c asks for the prompt again. */
static bool stopped_console(Chardev *c)
{
    put(c, "(the guest is stopped: Ctrl-A c, then cont, runs it)\n");
    for (;;) {
        uint8_t b;
        while (chr_read(c, &b) == 1)
            ;
        if (c->monitor_key || c->quit)
            break;
        if (!wait_input(c))
            return false;
        if (c->in_fd < 0)
            return false;
    }
    c->monitor_key = false;
    return !c->quit;
}

int console_monitor(const MonHost *h, Chardev *c)
{
    c->monitor_key = false;
    bool stopped = false;  /* `stop': the guest stays stopped after Ctrl-A c */
    char line[LINE_MAX_LEN];
    size_t n = 0;
    bool after_cr = false;
    put(c, "\nringzero monitor - type 'help' for more information\n" PROMPT);
    for (;;) {
        uint8_t b;
        if (chr_read(c, &b) != 1) {
            if (c->quit)
                return MON_CONT;  /* Ctrl-A x: the run loop ends the run */
            if (c->monitor_key) {
                c->monitor_key = false;
                put(c, "\n");
                if (!stopped)
                    return MON_CONT;
                if (!stopped_console(c))
                    return MON_CONT;
                put(c, PROMPT);
                n = 0;
                continue;
            }
            if (!wait_input(c) || c->in_fd < 0) {
                chr_flush(c);
                return MON_CONT;  /* no more input: nobody can type cont */
            }
            continue;
        }
        bool cr = after_cr;
        after_cr = b == '\r';
        if (b == '\n' && cr)
            continue;
        if (b == '\r' || b == '\n') {
            line[n] = 0;
            if (c->raw)
                put(c, "\n");
            int r = run_line(h, c, line);
            n = 0;
            if (r == MON_QUIT)
                return MON_QUIT;
            if (r == MON_CONT)
                return MON_CONT;
            if (r == MON_STOP)
                stopped = true;
            put(c, PROMPT);
        } else if (b == 0x7f || b == 0x08) {
            if (n) {
                n--;
                if (c->raw)
                    put(c, "\b \b");
            }
        } else if (b == 0x03) {
            n = 0;
            put(c, "\n" PROMPT);
        } else if (b >= 0x20 && b < 0x7f && n < sizeof line - 1) {
            line[n++] = (char)b;
            if (c->raw)
                chr_write(c, &b, 1);
        }
    }
}

/* console_monitor.h — the monitor on the serial console (docs/debugging.md):
 * Ctrl-A c switches the terminal from the guest to a `(ringzero) ' prompt
 * running the monitor's commands (debug/monitor.h, the same table gdb's
 * `monitor' uses); Ctrl-A c again or `cont' switches back.  The guest is
 * stopped while the prompt is up; after `stop' it stays stopped when the
 * terminal goes back to it, until `cont'. */
#ifndef RZ_CONSOLE_MONITOR_H
#define RZ_CONSOLE_MONITOR_H

#include "../debug/monitor.h"
#include "../hw/chardev.h"

/* The guest is stopped; c (a stdio device with input) had Ctrl-A c.
 * Returns MON_CONT when the guest runs on (also when the input ended or a
 * signal came: the run loop sees those) or MON_QUIT (quit; Ctrl-A x sets
 * c->quit and returns MON_CONT). */
int console_monitor(const MonHost *h, Chardev *c);

#endif

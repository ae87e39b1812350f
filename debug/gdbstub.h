/* gdbstub.h — the GDB Remote Serial Protocol over TCP (docs/debugging.md).
 *
 * One stub per Machine, one CPU (thread 1).  The machine's run loop asks
 * it, between chunks, whether the guest must stop (gdb_poll: a new
 * connection, or Ctrl-C from gdb), and hands it the stopped guest
 * (gdb_serve), which answers packets until gdb resumes, steps, detaches or
 * kills.  Breakpoints (Z0) live in the stub's table and are checked by the
 * CPU before each instruction through cpu->host_break, which is set only
 * while the table is not empty: without breakpoints the CPU pays nothing.
 *
 * Addresses: m/M/X and breakpoints are linear (virtual) addresses,
 * translated through the guest's paging as it is now, read-only (no A/D
 * bits, no #PF); only RAM and ROM are reached (MMIO and unmapped space
 * answer E14), and ROM is not writable.  $pc (eip/rip) is the linear
 * address of the next instruction, CS.base + rIP, so in real mode it is
 * CS*16 + IP: that is what x/i $pc and break *ADDR need.
 */
#ifndef RZ_GDBSTUB_H
#define RZ_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>

#include "../cpu/cpu.h"

typedef struct GdbStub GdbStub;

/* What the guest does after gdb_serve. */
enum { GDB_CONT, GDB_STEP, GDB_KILL };
/* Why it stopped, for the stop reply. */
enum { GDB_STOP_ATTACH, GDB_STOP_BREAK, GDB_STOP_STEP, GDB_STOP_INTR };

/* Listens on spec: "tcp::PORT" (loopback), "tcp:HOST:PORT" (HOST a
 * numeric IPv4 address or a name; PORT 0: any free port, printed on
 * stderr).  log (may be NULL) gets the guest_errors lines.  NULL with a
 * one-line reason in err. */
GdbStub *gdb_open(const char *spec, CPU *cpu, void (*log)(void *opaque, const char *msg),
                  void *log_opaque, char *err, size_t errlen);
void gdb_close(GdbStub *g);
/* The port it listens on. */
int gdb_port(const GdbStub *g);
/* Non-blocking: true if the guest must stop now (a client connected, or
 * sent Ctrl-C); *why gets the GDB_STOP_* reason. */
bool gdb_poll(GdbStub *g, int *why);
/* The guest is stopped for why: waits for a client if none is connected,
 * reports the stop and answers packets until one resumes the guest.
 * A client that goes away meanwhile is waited for again (the guest stays
 * stopped).  Returns GDB_CONT (also after a detach, or when waiting for a
 * client is interrupted by a signal), GDB_STEP (run one instruction, then
 * call again with GDB_STOP_STEP) or GDB_KILL. */
int gdb_serve(GdbStub *g, int why);
/* The descriptor a client's bytes (or a new connection) arrive on, for
 * the idle loop's ppoll: a guest halted with nothing else to wake it
 * still stops at once on Ctrl-C. */
int gdb_fd(const GdbStub *g);
/* qRcmd (gdb's `monitor CMD') runs mon's commands; mon must outlive g. */
struct MonHost;
void gdb_set_monitor(GdbStub *g, const struct MonHost *mon);
/* The guest ended with status: tells a connected gdb ("W" reply). */
void gdb_exited(GdbStub *g, int status);

/* The longest packet body either side sends (qSupported PacketSize). */
#define GDB_PACKET_MAX 0x4000

#endif

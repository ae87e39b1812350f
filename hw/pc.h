/* pc.h — the PC board: wires the 8259 pair, 8254, RTC, 16550A COM1,
 * i8042, port 0x92, 0xCF9, POST port 0x80, debug console and exit port to
 * the CPU's interrupt hooks and the machine's reset. */
#ifndef RZ_PC_H
#define RZ_PC_H

#include "hw.h"
#include "fw_cfg.h"
#include "i8042.h"
#include "pic.h"
#include "pit.h"
#include "rtc.h"
#include "uart.h"

/* Under -icount the RTC starts at 2026-01-01 00:00:00 UTC, so that runs
 * repeat exactly. */
#define RTC_ICOUNT_BASE 1767225600

typedef struct PcBoard {
    Machine *m;
    PicPair pic;
    Pit pit;
    Rtc rtc;
    Uart com1;
    I8042 kbc;
    FwCfg *fw_cfg;        /* ports 0x510/0x511; the Linux loader adds its items */
    uint8_t port92;
    uint8_t post_code;
    uint8_t port61;       /* speaker / gate-2 bits the guest wrote */
    uint64_t next_deadline_ns;
    unsigned poll_countdown;
} PcBoard;

/* serial: CHR_STDIO, CHR_FILE (with path) or CHR_NONE. */
int pc_init(PcBoard *pc, Machine *m, int serial, const char *serial_path, char *err, size_t errlen);
/* Brings device state up to now (timers, serial input); returns the next
 * time something is due, for a halted CPU to sleep until. */
uint64_t pc_update(PcBoard *pc);
void pc_reset(PcBoard *pc);
void pc_free(PcBoard *pc);

#endif

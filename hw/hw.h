/* hw.h — device models.  Each registers named port/MMIO ranges on the
 * machine's address spaces and talks to the CPU only through the
 * interrupt/reset API. */
#ifndef RZ_HW_H
#define RZ_HW_H

#include <stddef.h>

#include "board.h"
#include "../vm/machine.h"  /* the known back edge hw -> vm, see board.h */

int debugport_init(Machine *m, char *err, size_t errlen);
/* Transmit-only 8250 stand-in on COM1 for the bare-metal demo; the full
 * 16550A arrives with the PC board (issue 3). */
int uart_tx_init(Machine *m, char *err, size_t errlen);

#endif

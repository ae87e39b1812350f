/* hw.h — device models.  Each registers named port/MMIO ranges on the
 * machine's address spaces and reaches the machine only through its Board
 * (board.h). */
#ifndef RZ_HW_H
#define RZ_HW_H

#include <stddef.h>

#include "board.h"

int debugport_init(const Board *b, char *err, size_t errlen);
/* Transmit-only 8250 stand-in on COM1 for the bare-metal demo; the full
 * 16550A arrives with the PC board (issue 3). */
int uart_tx_init(const Board *b, char *err, size_t errlen);

#endif

/* uart_tx.c — COM1 as far as a polling transmitter needs: THR writes go to
 * the console, LSR reports the transmitter empty. */
#include "device.h"
#include "hw.h"

static uint64_t uart_read(void *opaque, uint64_t addr, unsigned size)
{
    (void)opaque; (void)size;
    return addr == 5 ? 0x60 : 0;  /* LSR: THRE | TEMT */
}

static void uart_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    const Board *b = opaque;
    (void)size;
    if (addr == 0) {
        uint8_t byte = (uint8_t)val;
        chr_write(b->console, &byte, 1);
    }
}

static const DeviceDesc uart_tx_device = {
    .name = "com1-tx",
    .regions = (const DeviceRegion[]){ { "com1", false, 0x3f8, 8, 1, IO_SPLIT, uart_read, uart_write }, { 0 } },
};

int uart_tx_init(const Board *b, char *err, size_t errlen)
{
    return device_map(b->mem, &uart_tx_device, (void *)b, err, errlen);
}

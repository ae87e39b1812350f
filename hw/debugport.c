/* debugport.c — the debug console (0xE9) and the exit port (0xF4), as
 * QEMU's debugcon and isa-debug-exit: writing v to 0xF4 ends the run with
 * status (v << 1) | 1. */
#include "device.h"
#include "hw.h"

static uint64_t debugcon_read(void *opaque, uint64_t addr, unsigned size)
{
    (void)opaque; (void)addr; (void)size;
    return 0xe9;  /* lets a guest detect the console */
}

static void debugcon_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    const Board *b = opaque;
    (void)addr; (void)size;
    uint8_t byte = (uint8_t)val;
    chr_write(b->console, &byte, 1);
}

static void exit_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    const Board *b = opaque;
    if (addr != 0)
        return;  /* the value is written at 0xF4 itself */
    b->request_poweroff(b->opaque, (int)(((val & size_mask(size)) << 1) | 1), "isa-debug-exit");
}

/* The console takes bytes (a wider write prints each byte); the exit port
 * takes the value at 0xF4 at any width up to 32 bits, so it spans the four
 * ports a dword write covers. */
static const DeviceDesc debugport_device = {
    .name = "debugport",
    .regions = (const DeviceRegion[]){
        { "debugcon", false, 0xe9, 1, 1, IO_SPLIT, debugcon_read, debugcon_write },
        { "isa-debug-exit", false, 0xf4, 4, 1 | 2 | 4, IO_SPLIT, NULL, exit_write },
        { 0 } },
};

int debugport_init(const Board *b, char *err, size_t errlen)
{
    return device_map(b->mem, &debugport_device, (void *)b, err, errlen);
}

/* debugport.c — the debug console (0xE9) and the exit port (0xF4), as
 * QEMU's debugcon and isa-debug-exit: writing v to 0xF4 ends the run with
 * status (v << 1) | 1. */
#include "hw.h"

static uint64_t debugcon_read(void *opaque, uint64_t addr, unsigned size)
{
    (void)opaque; (void)addr; (void)size;
    return 0xe9;  /* lets a guest detect the console */
}

static void debugcon_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    Machine *m = opaque;
    (void)addr; (void)size;
    uint8_t b = (uint8_t)val;
    chr_write(&m->console, &b, 1);
}

static void exit_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    Machine *m = opaque;
    (void)addr;
    m->exit_status = (int)(((val & size_mask(size)) << 1) | 1);
    m->exit_requested = true;
    m->cpu.stop_request = 1;
}

int debugport_init(Machine *m, char *err, size_t errlen)
{
    if (mem_add_ports(&m->mem, "debugcon", 0xe9, 1, debugcon_read, debugcon_write, m, err, errlen))
        return -1;
    return mem_add_ports(&m->mem, "isa-debug-exit", 0xf4, 1, NULL, exit_write, m, err, errlen);
}

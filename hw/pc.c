/* pc.c — the PC board. */
#include "pc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t pit_tick(PcBoard *pc)
{
    /* 1.193182 MHz from nanoseconds without overflow for centuries. */
    uint64_t ns = machine_now_ns(pc->m);
    return (ns / 1000000000ull) * PIT_HZ + (ns % 1000000000ull) * PIT_HZ / 1000000000ull;
}

static uint64_t tick_to_ns(uint64_t tick)
{
    return (tick / PIT_HZ) * 1000000000ull + (tick % PIT_HZ) * 1000000000ull / PIT_HZ + 1;
}

static void set_irq_line(void *opaque, int irq, bool level)
{
    PcBoard *pc = opaque;
    pic_set_irq(&pc->pic, irq, level);
}

static void com1_irq(void *opaque, bool level) { set_irq_line(opaque, 4, level); }
static void rtc_irq(void *opaque, bool level) { set_irq_line(opaque, 8, level); }

static void set_a20(void *opaque, bool on)
{
    PcBoard *pc = opaque;
    mem_set_a20(&pc->m->mem, on);
}

static void reset_line(void *opaque)
{
    PcBoard *pc = opaque;
    machine_request_reset(pc->m, "keyboard controller reset line");
}

/* Port handlers: each device's range with its offset. */
static uint64_t pic0_rd(void *o, uint64_t a, unsigned s) { (void)s; PcBoard *pc = o; return pic_io_read(&pc->pic, 0, a); }
static void pic0_wr(void *o, uint64_t a, uint64_t v, unsigned s) { (void)s; PcBoard *pc = o; pic_io_write(&pc->pic, 0, a, (uint8_t)v); }
static uint64_t pic1_rd(void *o, uint64_t a, unsigned s) { (void)s; PcBoard *pc = o; return pic_io_read(&pc->pic, 1, a); }
static void pic1_wr(void *o, uint64_t a, uint64_t v, unsigned s) { (void)s; PcBoard *pc = o; pic_io_write(&pc->pic, 1, a, (uint8_t)v); }
static uint64_t elcr_rd(void *o, uint64_t a, unsigned s) { (void)s; PcBoard *pc = o; return pc->pic.chip[a & 1].elcr; }
static void elcr_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)s;
    PcBoard *pc = o;
    /* IRQ0-2 and 8/13 are edge-only on the PIIX. */
    pc->pic.chip[a & 1].elcr = (uint8_t)(v & ((a & 1) ? 0xde : 0xf8));
}

static uint64_t pit_rd(void *o, uint64_t a, unsigned s) { (void)s; PcBoard *pc = o; return pit_read(&pc->pit, (int)a, pit_tick(pc)); }
static void pit_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)s;
    PcBoard *pc = o;
    pit_write(&pc->pit, (int)a, (uint8_t)v, pit_tick(pc));
    if (a == 0 || a == 3)
        pc->pit.irq_tick = 0;
    pc->next_deadline_ns = 0;  /* recompute */
}

/* Port 0x61: bit 0 gate 2, bit 1 speaker data, bit 4 refresh toggle, bit 5 OUT2. */
static uint64_t p61_rd(void *o, uint64_t a, unsigned s)
{
    (void)a; (void)s;
    PcBoard *pc = o;
    uint64_t tick = pit_tick(pc);
    return (pc->port61 & 3) | ((tick >> 4) & 1 ? 0x10 : 0) | (pit_out(&pc->pit, 2, tick) ? 0x20 : 0);
}
static void p61_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)a; (void)s;
    PcBoard *pc = o;
    pc->port61 = (uint8_t)v;
    pit_set_gate(&pc->pit, 2, v & 1, pit_tick(pc));
}

static uint64_t rtc_rd(void *o, uint64_t a, unsigned s) { (void)s; PcBoard *pc = o; return rtc_read(&pc->rtc, (int)a, machine_now_ns(pc->m)); }
static void rtc_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)s;
    PcBoard *pc = o;
    rtc_write(&pc->rtc, (int)a, (uint8_t)v, machine_now_ns(pc->m));
    pc->next_deadline_ns = 0;
}

static uint64_t com_rd(void *o, uint64_t a, unsigned s) { (void)s; PcBoard *pc = o; return uart_read(&pc->com1, (int)a); }
static void com_wr(void *o, uint64_t a, uint64_t v, unsigned s) { (void)s; PcBoard *pc = o; uart_write(&pc->com1, (int)a, (uint8_t)v); }

static uint64_t kbd_rd(void *o, uint64_t a, unsigned s) { (void)a; (void)s; PcBoard *pc = o; return i8042_read(&pc->kbc, 0); }
static void kbd_wr(void *o, uint64_t a, uint64_t v, unsigned s) { (void)a; (void)s; PcBoard *pc = o; i8042_write(&pc->kbc, 0, (uint8_t)v); }
static uint64_t kbc_rd(void *o, uint64_t a, unsigned s) { (void)a; (void)s; PcBoard *pc = o; return i8042_read(&pc->kbc, 4); }
static void kbc_wr(void *o, uint64_t a, uint64_t v, unsigned s) { (void)a; (void)s; PcBoard *pc = o; i8042_write(&pc->kbc, 4, (uint8_t)v); }

/* Port 0x92 (PS/2 system control A): bit 1 A20, bit 0 fast reset (on 0->1). */
static uint64_t p92_rd(void *o, uint64_t a, unsigned s) { (void)a; (void)s; PcBoard *pc = o; return pc->port92; }
static void p92_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)a; (void)s;
    PcBoard *pc = o;
    uint8_t old = pc->port92;
    pc->port92 = (uint8_t)(v & 3);
    if ((old ^ v) & 2)
        mem_set_a20(&pc->m->mem, v & 2);
    if ((v & 1) && !(old & 1))
        machine_request_reset(pc->m, "port 0x92 fast reset");
}

/* Port 0xCF9 (reset control): bit 2 set performs the reset bit 1 selects. */
static uint64_t cf9_rd(void *o, uint64_t a, unsigned s) { (void)o; (void)a; (void)s; return 0; }
static void cf9_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)s;
    PcBoard *pc = o;
    if (a == 0 && (v & 4))
        machine_request_reset(pc->m, "port 0xCF9 reset");
}

/* POST codes: kept for diagnostics; reads return the last code written. */
static uint64_t post_rd(void *o, uint64_t a, unsigned s) { (void)a; (void)s; PcBoard *pc = o; return pc->post_code; }
static void post_wr(void *o, uint64_t a, uint64_t v, unsigned s) { (void)a; (void)s; PcBoard *pc = o; pc->post_code = (uint8_t)v; }

/* fw_cfg: a 16-bit write to 0x510 selects an item; byte reads of either
 * port return its next byte; byte writes (the old write interface) are
 * ignored, as QEMU does. */
static uint64_t fw_cfg_rd(void *o, uint64_t a, unsigned s)
{
    (void)a;
    PcBoard *pc = o;
    uint64_t v = 0;
    for (unsigned i = 0; i < s; i++)
        v |= (uint64_t)fw_cfg_read(pc->fw_cfg) << (8 * i);
    return v;
}
static void fw_cfg_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    PcBoard *pc = o;
    if (a == 0 && s >= 2)
        fw_cfg_select(pc->fw_cfg, (uint16_t)v);
}

/* What firmware asks fw_cfg first: the machine's RAM, CPUs and map. */
static int fw_cfg_setup(PcBoard *pc, Machine *m, char *err, size_t errlen)
{
    pc->fw_cfg = malloc(sizeof *pc->fw_cfg);
    if (!pc->fw_cfg) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    FwCfg *f = pc->fw_cfg;
    fw_cfg_init(f);
    E820Entry map[MACHINE_E820_MAX];
    int n = machine_e820(m, map);
    uint8_t e820[MACHINE_E820_MAX * 20];
    machine_e820_encode(map, n, e820);
    if (fw_cfg_add_i64(f, FW_CFG_RAM_SIZE, m->mem.ram_size) ||
        fw_cfg_add_i16(f, FW_CFG_NB_CPUS, 1) || fw_cfg_add_i16(f, FW_CFG_MAX_CPUS, 1) ||
        fw_cfg_add_i16(f, FW_CFG_NOGRAPHIC, 1) ||
        fw_cfg_add_file(f, "etc/e820", e820, 20 * (size_t)n) < 0) {
        snprintf(err, errlen, "out of memory building fw_cfg");
        return -1;
    }
    return 0;
}

void pc_free(PcBoard *pc)
{
    if (pc->fw_cfg) {
        fw_cfg_free(pc->fw_cfg);
        free(pc->fw_cfg);
        pc->fw_cfg = NULL;
    }
}

static bool intr_pending(CPU *cpu)
{
    PcBoard *pc = ((Machine *)cpu->opaque)->pc;
    /* Reading the clock on every block boundary would cost more than the
     * blocks; timers are checked every few dozen blocks. */
    if (--pc->poll_countdown == 0) {
        pc->poll_countdown = 64;
        pc_update(pc);
    }
    return pic_intr(&pc->pic);
}

static int intr_ack(CPU *cpu)
{
    PcBoard *pc = ((Machine *)cpu->opaque)->pc;
    return pic_ack(&pc->pic);
}

uint64_t pc_update(PcBoard *pc)
{
    uint64_t now = machine_now_ns(pc->m);
    uint64_t tick = pit_tick(pc);
    /* Channel 0's rising edges pulse IRQ0; several missed ones coalesce. */
    uint64_t edge = pit_next_edge(&pc->pit, pc->pit.irq_tick ? pc->pit.irq_tick : tick);
    if (edge != UINT64_MAX && edge <= tick) {
        pic_set_irq(&pc->pic, 0, false);
        pic_set_irq(&pc->pic, 0, true);
        pc->pit.irq_tick = tick;
        edge = pit_next_edge(&pc->pit, tick);
    } else if (!pc->pit.irq_tick) {
        pc->pit.irq_tick = tick;
    }
    uint64_t next = edge == UINT64_MAX ? UINT64_MAX : tick_to_ns(edge);
    uint64_t r = rtc_update(&pc->rtc, now);
    if (r < next)
        next = r;
    uart_poll(&pc->com1);
    if (pc->com1.in_fd >= 0 && next > now + 10000000ull)
        next = now + 10000000ull;  /* poll the terminal at 100 Hz while idle */
    pc->next_deadline_ns = next;
    return next;
}

static void serial_quit(void *opaque)
{
    PcBoard *pc = opaque;
    fprintf(stderr, "\r\nringzero: quit from the serial console (Ctrl-A x)\r\n");
    pc->m->exit_status = 0;
    pc->m->exit_requested = true;
    pc->m->cpu.stop_request |= 1;
}

void pc_reset(PcBoard *pc)
{
    int bk = pc->com1.backend, fd = pc->com1.in_fd;
    FILE *out = pc->com1.out;
    pic_init(&pc->pic);
    pit_init(&pc->pit);
    uart_init(&pc->com1, bk, out, fd, com1_irq, pc);
    if (bk == CHR_STDIO && fd >= 0)
        pc->com1.quit = serial_quit;
    i8042_init(&pc->kbc, set_irq_line, set_a20, reset_line, pc);
    pc->port92 = 2;
    pc->port61 = 0;
    mem_set_a20(&pc->m->mem, true);
}

int pc_init(PcBoard *pc, Machine *m, int serial, const char *serial_path, char *err, size_t errlen)
{
    memset(pc, 0, sizeof *pc);
    pc->m = m;
    pc->poll_countdown = 64;
    FILE *out = NULL;
    int in_fd = -1;
    if (serial == CHR_STDIO) {
        out = m->console;
        in_fd = isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
        if (in_fd >= 0)
            uart_stdio_raw();
    } else if (serial == CHR_FILE) {
        out = fopen(serial_path, "w");
        if (!out) {
            snprintf(err, errlen, "-serial file:%s: %s", serial_path, strerror(errno));
            return -1;
        }
    }
    uart_init(&pc->com1, serial, out, in_fd, com1_irq, pc);
    rtc_init(&pc->rtc, rtc_irq, pc);
    if (m->icount_shift >= 0)
        rtc_set_base(&pc->rtc, RTC_ICOUNT_BASE);
    rtc_set_memory(&pc->rtc, m->mem.ram_below_4g, m->mem.ram_above_4g);
    pc_reset(pc);
    if (fw_cfg_setup(pc, m, err, errlen))
        return -1;

    Mem *mem = &m->mem;
    const struct { const char *name; uint16_t start, count; IoRead rd; IoWrite wr; } ports[] = {
        { "pic-master", 0x20, 2, pic0_rd, pic0_wr },
        { "pic-slave", 0xa0, 2, pic1_rd, pic1_wr },
        { "elcr", 0x4d0, 2, elcr_rd, elcr_wr },
        { "pit", 0x40, 4, pit_rd, pit_wr },
        { "port61", 0x61, 1, p61_rd, p61_wr },
        { "rtc", 0x70, 2, rtc_rd, rtc_wr },
        { "com1", 0x3f8, 8, com_rd, com_wr },
        { "i8042-data", 0x60, 1, kbd_rd, kbd_wr },
        { "i8042-cmd", 0x64, 1, kbc_rd, kbc_wr },
        { "port92", 0x92, 1, p92_rd, p92_wr },
        { "reset-cf9", 0xcf9, 1, cf9_rd, cf9_wr },
        { "post", 0x80, 1, post_rd, post_wr },
        { "fw_cfg", FW_CFG_PORT_SEL, 2, fw_cfg_rd, fw_cfg_wr },
    };
    for (unsigned i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        if (mem_add_ports(mem, ports[i].name, ports[i].start, ports[i].count, ports[i].rd, ports[i].wr, pc, err, errlen))
            return -1;
    }
    m->cpu.intr_pending = intr_pending;
    m->cpu.intr_ack = intr_ack;
    return 0;
}

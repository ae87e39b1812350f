/* pc.c — the PC board. */
#include "pc.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* 1.193182 MHz ticks from nanoseconds, without overflow for centuries. */
static uint64_t ns_to_tick(uint64_t ns)
{
    return (ns / 1000000000ull) * PIT_HZ + (ns % 1000000000ull) * PIT_HZ / 1000000000ull;
}

static uint64_t pit_tick(PcBoard *pc) { return ns_to_tick(machine_now_ns(pc->m)); }

/* The first ns at which tick has been reached. */
static uint64_t tick_to_ns(uint64_t tick)
{
    return (tick / PIT_HZ) * 1000000000ull + (tick % PIT_HZ) * 1000000000ull / PIT_HZ + 1;
}

void pc_set_irq(PcBoard *pc, unsigned isa_irq, bool level)
{
    pic_set_irq(&pc->pic, (int)isa_irq, level);
    ioapic_set_irq(&pc->ioapic, isa_irq == 0 ? 2 : isa_irq, level);
}

static void set_irq_line(void *opaque, int irq, bool level) { pc_set_irq(opaque, (unsigned)irq, level); }

/* Channel 0's rising edges up to tick pulse IRQ0 (several coalesce);
 * returns the tick of the next one. */
static uint64_t pit_irq0(PcBoard *pc, uint64_t tick)
{
    uint64_t next;
    if (pit_irq0_due(&pc->pit, tick, &next)) {
        pc_set_irq(pc, 0, false);
        pc_set_irq(pc, 0, true);
    }
    return next;
}

static void com1_irq(void *opaque, bool level) { pc_set_irq(opaque, 4, level); }
static void rtc_irq(void *opaque, bool level) { pc_set_irq(opaque, 8, level); }

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
    uint64_t tick = pit_tick(pc);
    pit_irq0(pc, tick);  /* edges of the old programming first */
    pit_write(&pc->pit, (int)a, (uint8_t)v, tick);
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

/* The CPU's INTR and INTA: through the local APIC, or straight from the
 * 8259 while IA32_APIC_BASE.EN is clear (a CPU without an APIC). */
static bool intr_pending(CPU *cpu)
{
    PcBoard *pc = ((Machine *)cpu->opaque)->pc;
    /* Reading the clock on every block boundary would cost more than the
     * blocks; timers are checked every few dozen blocks. */
    if (--pc->poll_countdown == 0) {
        pc->poll_countdown = 64;
        pc_update(pc);
    }
    bool pic = pic_intr(&pc->pic);
    return lapic_enabled(&pc->lapic) ? lapic_intr(&pc->lapic, pic) : pic;
}

static int intr_ack(CPU *cpu)
{
    PcBoard *pc = ((Machine *)cpu->opaque)->pc;
    return lapic_enabled(&pc->lapic) ? lapic_ack(&pc->lapic, pic_intr(&pc->pic)) : pic_ack(&pc->pic);
}

/* ---- local APIC and IO-APIC wiring ---- */

static void apic_log(void *opaque, const char *msg)
{
    PcBoard *pc = opaque;
    if (pc->m->mem.log_guest_error)
        pc->m->mem.log_guest_error(pc->m->mem.log_opaque, msg);
}

static int lapic_pic_ack(void *o) { PcBoard *pc = o; return pic_ack(&pc->pic); }
static void lapic_eoi(void *o, uint8_t vector) { PcBoard *pc = o; ioapic_eoi(&pc->ioapic, vector); }
static void lapic_nmi(void *o) { PcBoard *pc = o; cpu_nmi(&pc->m->cpu); }

static bool ioapic_deliver(void *o, bool logical, uint8_t dest, unsigned mode, uint8_t vector, bool level)
{
    PcBoard *pc = o;
    if (!lapic_enabled(&pc->lapic) || !lapic_match_dest(&pc->lapic, logical, dest))
        return false;
    lapic_deliver(&pc->lapic, mode, vector, level);
    return true;
}

/* A globally disabled APIC decodes nothing: the bus reads all-ones. */
static uint64_t lapic_rd(void *o, uint64_t a, unsigned s)
{
    PcBoard *pc = o;
    if (!lapic_enabled(&pc->lapic))
        return s >= 8 ? ~0ull : (1ull << (8 * s)) - 1;
    return lapic_mmio_read(&pc->lapic, a, s, machine_now_ns(pc->m));
}
static void lapic_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    PcBoard *pc = o;
    if (lapic_enabled(&pc->lapic))
        lapic_mmio_write(&pc->lapic, a, v, s, machine_now_ns(pc->m));
}
static uint64_t ioapic_rd(void *o, uint64_t a, unsigned s) { PcBoard *pc = o; return ioapic_mmio_read(&pc->ioapic, a, s); }
static void ioapic_wr(void *o, uint64_t a, uint64_t v, unsigned s) { PcBoard *pc = o; ioapic_mmio_write(&pc->ioapic, a, v, s); }

/* The register page follows IA32_APIC_BASE. */
static void lapic_follow_base(PcBoard *pc)
{
    uint64_t base = lapic_base(&pc->lapic);
    if (!pc->apic_mmio || base == pc->lapic_window)
        return;
    char err[200], msg[300];
    if (mem_move_region(&pc->m->mem, "lapic", base, err, sizeof err)) {
        snprintf(msg, sizeof msg, "lapic: IA32_APIC_BASE %#llx: %s; the registers stay at %#llx",
                 (unsigned long long)base, err, (unsigned long long)pc->lapic_window);
        apic_log(pc, msg);
        return;
    }
    pc->lapic_window = base;
}

static uint64_t cpu_apic_rdmsr(void *o, uint32_t msr)
{
    PcBoard *pc = o;
    return msr == MSR_IA32_APIC_BASE ? pc->lapic.base_msr : lapic_get_tsc_deadline(&pc->lapic);
}

static void cpu_apic_wrmsr(void *o, uint32_t msr, uint64_t v, uint64_t tsc)
{
    PcBoard *pc = o;
    if (msr == MSR_IA32_TSC_DEADLINE) {
        lapic_set_tsc_deadline(&pc->lapic, v, tsc, machine_now_ns(pc->m));
        return;
    }
    lapic_set_base_msr(&pc->lapic, v);
    lapic_follow_base(pc);
}

static uint8_t cpu_apic_get_cr8(void *o) { PcBoard *pc = o; return lapic_get_cr8(&pc->lapic); }
static void cpu_apic_set_cr8(void *o, uint8_t v) { PcBoard *pc = o; lapic_set_cr8(&pc->lapic, v); }

static const CpuApicOps cpu_apic_ops = {
    cpu_apic_rdmsr, cpu_apic_wrmsr, cpu_apic_get_cr8, cpu_apic_set_cr8,
};

uint64_t pc_update(PcBoard *pc)
{
    uint64_t now = machine_now_ns(pc->m);
    /* Every timer is a deadline computed from its programming: one seen
     * late still fires. */
    uint64_t edge = pit_irq0(pc, ns_to_tick(now));
    uint64_t next = edge == UINT64_MAX ? UINT64_MAX : tick_to_ns(edge);
    uint64_t r = rtc_update(&pc->rtc, now);
    if (r < next)
        next = r;
    uint64_t l = lapic_update(&pc->lapic, now);
    if (l < next)
        next = l;
    uart_poll(&pc->com1);
    pc->next_deadline_ns = next;
    return next;
}

int pc_input_fd(const PcBoard *pc)
{
    return pc->com1.in_fd;
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
    lapic_reset(&pc->lapic);
    lapic_follow_base(pc);
    ioapic_reset(&pc->ioapic);
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
    Lapic *l = &pc->lapic;
    l->pic_ack = lapic_pic_ack;
    l->eoi = lapic_eoi;
    l->nmi = lapic_nmi;
    l->log = apic_log;
    l->opaque = pc;
    pc->ioapic.deliver = ioapic_deliver;
    pc->ioapic.log = apic_log;
    pc->ioapic.opaque = pc;
    pc->lapic_window = LAPIC_DEFAULT_BASE;
    rtc_set_memory(&pc->rtc, m->mem.ram_size);
    pc_reset(pc);

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
    };
    for (unsigned i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        if (mem_add_ports(mem, ports[i].name, ports[i].start, ports[i].count, ports[i].rd, ports[i].wr, pc, err, errlen))
            return -1;
    }
    /* Until RAM leaves a hole below 4 GiB, a -m that reaches the APIC
     * pages covers them: the APICs then have no registers to reach. */
    pc->apic_mmio = !mem_phys_ptr(mem, IOAPIC_BASE, 1, false) &&
                    !mem_phys_ptr(mem, LAPIC_DEFAULT_BASE, 1, false);
    if (pc->apic_mmio) {
        Region lr = { .name = "lapic", .start = LAPIC_DEFAULT_BASE, .size = LAPIC_SIZE,
                      .kind = REGION_IO, .read = lapic_rd, .write = lapic_wr, .opaque = pc };
        Region ior = { .name = "ioapic", .start = IOAPIC_BASE, .size = IOAPIC_SIZE,
                       .kind = REGION_IO, .read = ioapic_rd, .write = ioapic_wr, .opaque = pc };
        if (mem_add_region(mem, &lr, err, errlen) || mem_add_region(mem, &ior, err, errlen))
            return -1;
    }
    /* What firmware leaves for the OS it starts: the 8259 through LINT0
     * (a -bios image starts from the reset state instead: pc_reset). */
    lapic_virtual_wire(&pc->lapic);
    m->cpu.apic_ops = &cpu_apic_ops;
    m->cpu.apic_opaque = pc;
    m->cpu.intr_pending = intr_pending;
    m->cpu.intr_ack = intr_ack;
    return 0;
}

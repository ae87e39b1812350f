/* pc.c — the PC board. */
#include "pc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cpu/cpu.h"
#include "../cpu/model.h"

/* 1.193182 MHz ticks from nanoseconds, without overflow for centuries. */
static uint64_t ns_to_tick(uint64_t ns)
{
    return (ns / 1000000000ull) * PIT_HZ + (ns % 1000000000ull) * PIT_HZ / 1000000000ull;
}

static uint64_t now_ns(const PcBoard *pc) { return pc->b->now_ns(pc->b->opaque); }
static uint64_t pit_tick(PcBoard *pc) { return ns_to_tick(now_ns(pc)); }

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

/* At most this many missed ticks are re-delivered (one second at the
 * highest rate Linux programs, 1 kHz); beyond that they are dropped. */
enum { PIT_OWED_MAX = 1000 };

/* Where IRQ0 can go: an unmasked 8259 input or IO-APIC pin 2. */
static bool irq0_unmasked(const PcBoard *pc)
{
    return !(pc->pic.chip[0].imr & 1) || !(pc->ioapic.redir[2] & (1u << 16));
}

/* The last IRQ0 edge has not been taken yet: in the IRR of an 8259 input
 * that is not masked (a masked input's IRR keeps the edge forever), or its
 * vector in the local APIC's IRR. */
static bool irq0_pending(const PcBoard *pc)
{
    if (pc->pic.chip[0].irr & ~pc->pic.chip[0].imr & 1)
        return true;
    uint64_t e = pc->ioapic.redir[2];
    if (e & (1u << 16))
        return false;
    unsigned v = e & 0xff;
    return (pc->lapic.irr[v / 32] >> (v % 32)) & 1;
}

/* Channel 0's rising edges up to tick pulse IRQ0.  Edges that fall while
 * the previous one is still pending (the host did not run the guest for a
 * while) are owed and re-delivered one per update as the guest takes them,
 * as QEMU's "delay" lost-tick policy does: a guest that counts timer
 * interrupts (jiffies, early in a Linux boot) keeps time with the TSC.
 * Returns the tick of the next edge, or tick + 1 while some are owed. */
static uint64_t pit_irq0(PcBoard *pc, uint64_t tick)
{
    uint64_t next;
    unsigned n = pit_irq0_edges(&pc->pit, tick, &next, PIT_OWED_MAX);
    if (!irq0_unmasked(pc)) {
        pc->pit_owed = 0;  /* nobody listens: lost, as on hardware */
        return next;
    }
    pc->pit_owed = pc->pit_owed + n > PIT_OWED_MAX ? PIT_OWED_MAX : pc->pit_owed + n;
    if (pc->pit_owed && !irq0_pending(pc)) {
        pc->pit_owed--;
        pc_set_irq(pc, 0, false);
        pc_set_irq(pc, 0, true);
    }
    return pc->pit_owed && next > tick + 1 ? tick + 1 : next;
}

static void com1_irq(void *opaque, bool level) { pc_set_irq(opaque, 4, level); }
static void rtc_irq(void *opaque, bool level) { pc_set_irq(opaque, 8, level); }

static void set_a20(void *opaque, bool on)
{
    PcBoard *pc = opaque;
    mem_set_a20(pc->b->mem, on);
}

static void reset_line(void *opaque)
{
    PcBoard *pc = opaque;
    pc->b->request_reset(pc->b->opaque, "keyboard controller reset line");
}

static void sci_irq(void *opaque, bool level) { set_irq_line(opaque, ACPI_SCI_IRQ, level); }

static uint64_t pm_now(void *opaque)
{
    return now_ns(opaque);
}

static void pm_power_off(void *opaque)
{
    PcBoard *pc = opaque;
    pc->b->request_poweroff(pc->b->opaque, 0, "ACPI S5 (PM1a_CNT SLP_EN)");
}

/* The PM block's and the APICs' reports of what a guest got wrong. */
static void guest_error(void *opaque, const char *msg)
{
    PcBoard *pc = opaque;
    pc->b->log(pc->b->opaque, "guest_errors", "%s", msg);
}

/* Each device below is a DeviceDesc: its regions (the 8-bit ISA devices
 * decode byte accesses; the bridge splits wider ones into byte cycles),
 * its reset hook and its state fields.  The callbacks get the board. */

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
static void pic_reset_hook(void *o) { PcBoard *pc = o; pic_init(&pc->pic); }

static const DeviceDesc pic_device = {
    .name = "pic",
    .regions = (const DeviceRegion[]){
        { "pic-master", false, 0x20, 2, 1, IO_SPLIT, pic0_rd, pic0_wr },
        { "pic-slave", false, 0xa0, 2, 1, IO_SPLIT, pic1_rd, pic1_wr },
        { "elcr", false, 0x4d0, 2, 1, IO_SPLIT, elcr_rd, elcr_wr },
        { 0 } },
    .reset = pic_reset_hook, .state = pic_state_fields, .state_size = sizeof(PicPair),
};

static uint64_t pit_rd(void *o, uint64_t a, unsigned s) { (void)s; PcBoard *pc = o; return pit_read(&pc->pit, (int)a, pit_tick(pc)); }
static void pit_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)s;
    PcBoard *pc = o;
    uint64_t tick = pit_tick(pc);
    pit_irq0(pc, tick);  /* edges of the old programming first */
    if (a == 0 || (a == 3 && (v >> 6) == 0 && (v & 0x30)))
        pc->pit_owed = 0;  /* channel 0 reprogrammed: none owed from before */
    pit_write(&pc->pit, (int)a, (uint8_t)v, tick);
    pc->next_deadline_ns = 0;  /* recompute */
}
static void pit_reset_hook(void *o)
{
    PcBoard *pc = o;
    pit_init(&pc->pit);
    pc->pit_owed = 0;
    pc->next_deadline_ns = 0;
}

static const DeviceDesc pit_device = {
    .name = "pit",
    .regions = (const DeviceRegion[]){ { "pit", false, 0x40, 4, 1, IO_SPLIT, pit_rd, pit_wr }, { 0 } },
    .reset = pit_reset_hook, .state = pit_state_fields, .state_size = sizeof(Pit),
};

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
static void p61_reset_hook(void *o) { PcBoard *pc = o; pc->port61 = 0; }

static const DeviceDesc port61_device = {
    .name = "port61",
    .regions = (const DeviceRegion[]){ { "port61", false, 0x61, 1, 1, IO_SPLIT, p61_rd, p61_wr }, { 0 } },
    .reset = p61_reset_hook,
    .state = (const DeviceField[]){ DEVICE_FIELD(PcBoard, port61), { 0 } }, .state_size = sizeof(PcBoard),
};

static uint64_t rtc_rd(void *o, uint64_t a, unsigned s) { (void)s; PcBoard *pc = o; return rtc_read(&pc->rtc, (int)a, now_ns(pc)); }
static void rtc_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)s;
    PcBoard *pc = o;
    rtc_write(&pc->rtc, (int)a, (uint8_t)v, now_ns(pc));
    pc->next_deadline_ns = 0;
}

/* No reset: the clock and CMOS are battery-backed. */
static const DeviceDesc rtc_device = {
    .name = "rtc",
    .regions = (const DeviceRegion[]){ { "rtc", false, 0x70, 2, 1, IO_SPLIT, rtc_rd, rtc_wr }, { 0 } },
    .state = rtc_state_fields, .state_size = sizeof(Rtc),
};

static uint64_t com_rd(void *o, uint64_t a, unsigned s) { (void)s; PcBoard *pc = o; return uart_read(&pc->com1, (int)a); }
static void com_wr(void *o, uint64_t a, uint64_t v, unsigned s) { (void)s; PcBoard *pc = o; uart_write(&pc->com1, (int)a, (uint8_t)v); }

/* The registers reset; the backend (and its Ctrl-A handling) stays. */
static void com_reset_hook(void *o)
{
    PcBoard *pc = o;
    uart_init(&pc->com1, pc->com1.chr, com1_irq, pc);
}

static const DeviceDesc com1_device = {
    .name = "com1",
    .regions = (const DeviceRegion[]){ { "com1", false, 0x3f8, 8, 1, IO_SPLIT, com_rd, com_wr }, { 0 } },
    .reset = com_reset_hook, .state = uart_state_fields, .state_size = sizeof(Uart),
};

static uint64_t kbd_rd(void *o, uint64_t a, unsigned s) { (void)a; (void)s; PcBoard *pc = o; return i8042_read(&pc->kbc, 0); }
static void kbd_wr(void *o, uint64_t a, uint64_t v, unsigned s) { (void)a; (void)s; PcBoard *pc = o; i8042_write(&pc->kbc, 0, (uint8_t)v); }
static uint64_t kbc_rd(void *o, uint64_t a, unsigned s) { (void)a; (void)s; PcBoard *pc = o; return i8042_read(&pc->kbc, 4); }
static void kbc_wr(void *o, uint64_t a, uint64_t v, unsigned s) { (void)a; (void)s; PcBoard *pc = o; i8042_write(&pc->kbc, 4, (uint8_t)v); }
static void kbc_reset_hook(void *o) { PcBoard *pc = o; i8042_init(&pc->kbc, set_irq_line, set_a20, reset_line, pc); }

static const DeviceDesc i8042_device = {
    .name = "i8042",
    .regions = (const DeviceRegion[]){
        { "i8042-data", false, 0x60, 1, 1, IO_SPLIT, kbd_rd, kbd_wr },
        { "i8042-cmd", false, 0x64, 1, 1, IO_SPLIT, kbc_rd, kbc_wr },
        { 0 } },
    .reset = kbc_reset_hook, .state = i8042_state_fields, .state_size = sizeof(I8042),
};

/* Port 0x92 (PS/2 system control A): bit 1 A20, bit 0 fast reset (on 0->1). */
static uint64_t p92_rd(void *o, uint64_t a, unsigned s) { (void)a; (void)s; PcBoard *pc = o; return pc->port92; }
static void p92_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)a; (void)s;
    PcBoard *pc = o;
    uint8_t old = pc->port92;
    pc->port92 = (uint8_t)(v & 3);
    if ((old ^ v) & 2)
        mem_set_a20(pc->b->mem, v & 2);
    if ((v & 1) && !(old & 1))
        pc->b->request_reset(pc->b->opaque, "port 0x92 fast reset");
}
static void p92_reset_hook(void *o) { PcBoard *pc = o; pc->port92 = 2; }

static const DeviceDesc port92_device = {
    .name = "port92",
    .regions = (const DeviceRegion[]){ { "port92", false, 0x92, 1, 1, IO_SPLIT, p92_rd, p92_wr }, { 0 } },
    .reset = p92_reset_hook,
    .state = (const DeviceField[]){ DEVICE_FIELD(PcBoard, port92), { 0 } }, .state_size = sizeof(PcBoard),
};

/* Port 0xCF9 (reset control): bit 2 set performs the reset bit 1 selects.
 * It decodes byte accesses only: a wider one belongs to the PCI
 * configuration-address dword at 0xCF8 and resets nothing. */
static uint64_t cf9_rd(void *o, uint64_t a, unsigned s) { (void)o; (void)a; (void)s; return 0; }
static void cf9_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)a; (void)s;
    PcBoard *pc = o;
    if (v & 4)
        pc->b->request_reset(pc->b->opaque, "port 0xCF9 reset");
}

static const DeviceDesc cf9_device = {
    .name = "reset-cf9",
    .regions = (const DeviceRegion[]){ { "reset-cf9", false, 0xcf9, 1, 1, IO_DROP, cf9_rd, cf9_wr }, { 0 } },
};

/* POST codes: kept for diagnostics, over resets too (a POST card's display
 * does not clear); reads return the last code written. */
static uint64_t post_rd(void *o, uint64_t a, unsigned s) { (void)a; (void)s; PcBoard *pc = o; return pc->post_code; }
static void post_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    (void)a; (void)s;
    PcBoard *pc = o;
    pc->post_code = (uint8_t)v;
    pc->b->log(pc->b->opaque, "post", "%#04x", pc->post_code);
}

static const DeviceDesc post_device = {
    .name = "post",
    .regions = (const DeviceRegion[]){ { "post", false, 0x80, 1, 1, IO_SPLIT, post_rd, post_wr }, { 0 } },
    .state = (const DeviceField[]){ DEVICE_FIELD(PcBoard, post_code), { 0 } }, .state_size = sizeof(PcBoard),
};


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
static int fw_cfg_setup(PcBoard *pc, char *err, size_t errlen)
{
    pc->fw_cfg = malloc(sizeof *pc->fw_cfg);
    if (!pc->fw_cfg) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    FwCfg *f = pc->fw_cfg;
    fw_cfg_init(f);
    E820Entry map[E820_MAX];
    int n = e820_map(pc->b->mem, map);
    uint8_t e820[E820_MAX * 20];
    e820_encode(map, n, e820);
    if (fw_cfg_add_i64(f, FW_CFG_RAM_SIZE, pc->b->mem->ram_size) ||
        fw_cfg_add_i16(f, FW_CFG_NB_CPUS, 1) || fw_cfg_add_i16(f, FW_CFG_MAX_CPUS, 1) ||
        fw_cfg_add_i16(f, FW_CFG_NOGRAPHIC, 1) ||
        fw_cfg_add_file(f, "etc/e820", e820, 20 * (size_t)n) < 0) {
        snprintf(err, errlen, "out of memory building fw_cfg");
        return -1;
    }
    return 0;
}

/* Byte and word accesses within 0x510-0x511 reach fw_cfg_rd/wr (a word read
 * is two successive bytes); a wider one is split as on the ISA bus.  No
 * reset: the items describe the machine, not guest state. */
static const DeviceDesc fw_cfg_device = {
    .name = "fw_cfg",
    .regions = (const DeviceRegion[]){
        { "fw_cfg", false, FW_CFG_PORT_SEL, 2, 1 | 2, IO_SPLIT, fw_cfg_rd, fw_cfg_wr }, { 0 } },
};

void pc_free(PcBoard *pc)
{
    if (pc->fw_cfg) {
        fw_cfg_free(pc->fw_cfg);
        free(pc->fw_cfg);
        pc->fw_cfg = NULL;
    }
}

/* The CPU's INTR and INTA: through the local APIC, or straight from the
 * 8259 while IA32_APIC_BASE.EN is clear (a CPU without an APIC). */
static bool intr_pending(CPU *cpu)
{
    PcBoard *pc = cpu->intr_opaque;
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
    PcBoard *pc = cpu->intr_opaque;
    int v = lapic_enabled(&pc->lapic) ? lapic_ack(&pc->lapic, pic_intr(&pc->pic)) : pic_ack(&pc->pic);
    pc->vector_count[v & 0xff]++;
    return v;
}

void pc_print_irq_info(const PcBoard *pc, FILE *f)
{
    fprintf(f, "IRQ statistics for isa-i8259:\n");
    for (int i = 0; i < 16; i++)
        if (pc->pic.irq_count[i])
            fprintf(f, "%2d: %llu\n", i, (unsigned long long)pc->pic.irq_count[i]);
    fprintf(f, "Interrupt vectors taken by the CPU:\n");
    for (int v = 0; v < 256; v++)
        if (pc->vector_count[v])
            fprintf(f, "0x%02x: %llu\n", v, (unsigned long long)pc->vector_count[v]);
}

/* ---- local APIC and IO-APIC wiring ---- */

static int lapic_pic_ack(void *o) { PcBoard *pc = o; return pic_ack(&pc->pic); }
static void lapic_eoi(void *o, uint8_t vector) { PcBoard *pc = o; ioapic_eoi(&pc->ioapic, vector); }
static void lapic_nmi(void *o) { PcBoard *pc = o; cpu_nmi(pc->b->cpu); }

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
    return lapic_mmio_read(&pc->lapic, a, s, now_ns(pc));
}
static void lapic_wr(void *o, uint64_t a, uint64_t v, unsigned s)
{
    PcBoard *pc = o;
    if (lapic_enabled(&pc->lapic))
        lapic_mmio_write(&pc->lapic, a, v, s, now_ns(pc));
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
    if (mem_move_region(pc->b->mem, "lapic", base, err, sizeof err)) {
        snprintf(msg, sizeof msg, "lapic: IA32_APIC_BASE %#llx: %s; the registers stay at %#llx",
                 (unsigned long long)base, err, (unsigned long long)pc->lapic_window);
        guest_error(pc, msg);
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
        lapic_set_tsc_deadline(&pc->lapic, v, tsc, now_ns(pc));
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
    uint64_t now = now_ns(pc);
    /* Every timer is a deadline computed from its programming: one seen
     * late still fires. */
    uint64_t edge = pit_irq0(pc, ns_to_tick(now));
    uint64_t next = edge == UINT64_MAX ? UINT64_MAX : tick_to_ns(edge);
    uint64_t r = rtc_update(&pc->rtc, now);
    if (r < next)
        next = r;
    r = acpi_pm_update(&pc->acpi_pm, now);
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
    return pc->com1.chr ? pc->com1.chr->in_fd : -1;
}

static void apic_reset_hook(void *o)
{
    PcBoard *pc = o;
    lapic_reset(&pc->lapic);
    lapic_follow_base(pc);
    ioapic_reset(&pc->ioapic);
}

/* Both APICs reset together: the LAPIC's window follows its base MSR. */
static const DeviceDesc apic_device = {
    .name = "apic",
    .regions = (const DeviceRegion[]){
        /* The LAPIC and IO-APIC check sizes themselves (aligned dwords;
         * others are logged under guest_errors and read 0). */
        { "lapic", true, LAPIC_DEFAULT_BASE, LAPIC_SIZE, 1 | 2 | 4 | 8, IO_SPLIT, lapic_rd, lapic_wr },
        { "ioapic", true, IOAPIC_BASE, IOAPIC_SIZE, 1 | 2 | 4 | 8, IO_SPLIT, ioapic_rd, ioapic_wr },
        { 0 } },
    .reset = apic_reset_hook,
};

void pc_reset(PcBoard *pc)
{
    device_reset_all(&pc->devices);
    mem_set_a20(pc->b->mem, true);
    memset(pc->vector_count, 0, sizeof pc->vector_count);
}

int pc_install_acpi(PcBoard *pc, char *err, size_t errlen)
{
    AcpiConfig c;
    acpi_config_pc(&c, pc->b->mem->ram_size);
    if (!acpi_build(&c, pc->acpi_rom, sizeof pc->acpi_rom, ACPI_TABLES_BASE)) {
        snprintf(err, errlen, "the ACPI tables do not fit in %u KiB", ACPI_TABLES_SIZE >> 10);
        return -1;
    }
    return acpi_install(pc->b->mem, pc->acpi_rom, sizeof pc->acpi_rom, ACPI_TABLES_BASE, err, errlen);
}

int pc_init(PcBoard *pc, const Board *b, Chardev *serial, char *err, size_t errlen)
{
    memset(pc, 0, sizeof *pc);
    pc->b = b;
    CPU *cpu = b->cpu;
    pc->poll_countdown = 64;
    pc->com1.chr = serial;
    rtc_init(&pc->rtc, rtc_irq, pc);
    Lapic *l = &pc->lapic;
    l->pic_ack = lapic_pic_ack;
    l->eoi = lapic_eoi;
    l->nmi = lapic_nmi;
    l->log = guest_error;
    l->opaque = pc;
    pc->ioapic.deliver = ioapic_deliver;
    pc->ioapic.log = guest_error;
    pc->ioapic.opaque = pc;
    pc->lapic_window = LAPIC_DEFAULT_BASE;
    rtc_set_memory(&pc->rtc, b->mem->ram_below_4g, b->mem->ram_above_4g);
    if (fw_cfg_setup(pc, err, errlen))
        return -1;
    acpi_pm_init(&pc->acpi_pm, pm_now, sci_irq, pm_power_off, guest_error, pc);

    const struct { const DeviceDesc *d; void *state; } devs[] = {
        { &pic_device, &pc->pic }, { &pit_device, &pc->pit }, { &port61_device, pc },
        { &rtc_device, &pc->rtc }, { &com1_device, &pc->com1 }, { &i8042_device, &pc->kbc },
        { &port92_device, pc }, { &cf9_device, NULL }, { &post_device, pc },
        { &fw_cfg_device, NULL },
    };
    for (unsigned i = 0; i < sizeof devs / sizeof devs[0]; i++)
        if (device_add(&pc->devices, b->mem, devs[i].d, pc, devs[i].state, err, errlen))
            return -1;
    if (device_add(&pc->devices, b->mem, &acpi_pm_device, &pc->acpi_pm, &pc->acpi_pm, err, errlen))
        return -1;
    /* Until RAM leaves a hole below 4 GiB, a -m that reaches the APIC
     * pages covers them: the APICs then have no registers to reach. */
    pc->apic_mmio = !mem_phys_ptr(b->mem, IOAPIC_BASE, 1, false) &&
                    !mem_phys_ptr(b->mem, LAPIC_DEFAULT_BASE, 1, false);
    if (pc->apic_mmio && device_add(&pc->devices, b->mem, &apic_device, pc, NULL, err, errlen))
        return -1;
    pc_reset(pc);
    /* What firmware leaves for the OS it starts: the 8259 through LINT0
     * (a -bios image starts from the reset state instead: pc_reset). */
    lapic_virtual_wire(&pc->lapic);
    cpu->apic_ops = &cpu_apic_ops;
    cpu->apic_opaque = pc;
    if (pc->apic_mmio) {
        cpu_features_set(cpu, FEAT_APIC, true);
        cpu_features_set(cpu, FEAT_TSC_DEADLINE, true);
        cpu_features_set(cpu, FEAT_ARAT, true);
    }
    cpu->intr_pending = intr_pending;
    cpu->intr_ack = intr_ack;
    cpu->intr_opaque = pc;
    return 0;
}

/* test_device.c — the device descriptor (hw/device.h): access sizes the
 * softmmu enforces (split through the address space or drop, each logged
 * under guest_errors), on ports and MMIO; the PC board's devices: their
 * state tables and reset hooks, and wrong-size accesses to them; the board
 * and the debug ports on a Board of the test's own, with no Machine. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "hw/acpi_pm.h"
#include "hw/device.h"
#include "hw/hw.h"
#include "hw/pc.h"
#include "hw/uart.h"
#include "vm/machine.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

/* A recording device: every access its callbacks see. */
typedef struct Access {
    uint64_t addr, val;
    unsigned size;
    bool write;
    int region;
} Access;

typedef struct Rec {
    Access log[16];
    int n;
} Rec;

static void note(Rec *r, int region, uint64_t a, uint64_t v, unsigned s, bool w)
{
    if (r->n < 16)
        r->log[r->n++] = (Access){ a, v, s, w, region };
}

#define REC_CALLBACKS(i) \
    static uint64_t rd##i(void *o, uint64_t a, unsigned s) { note(o, i, a, 0, s, false); return 0x1111111111111111ull * (a + 1); } \
    static void wr##i(void *o, uint64_t a, uint64_t v, unsigned s) { note(o, i, a, v, s, true); }
REC_CALLBACKS(0)
REC_CALLBACKS(1)
REC_CALLBACKS(2)
REC_CALLBACKS(3)

/* Port 0x300-0x301: bytes, split (an 8-bit ISA device); 0x302-0x303 the
 * same, another region; 0x310-0x313: dwords only, dropped otherwise;
 * MMIO at 0xFED00000: 16/32-bit, split. */
static const DeviceDesc rec_device = {
    .name = "rec",
    .regions = (const DeviceRegion[]){
        { "byte-a", false, 0x300, 2, 1, IO_SPLIT, rd0, wr0 },
        { "byte-b", false, 0x302, 2, 1, IO_SPLIT, rd1, wr1 },
        { "dword", false, 0x310, 4, 4, IO_DROP, rd2, wr2 },
        { "mmio", true, 0xfed00000, 0x100, 2 | 4, IO_SPLIT, rd3, wr3 },
        { 0 } },
};

static int errors;
static char last_error[256];
static void count_error(void *o, const char *msg)
{
    (void)o;
    errors++;
    snprintf(last_error, sizeof last_error, "%s", msg);
}

static void test_sizes(void)
{
    Machine *m = calloc(1, sizeof *m);
    char err[256];
    if (!m || machine_init(m, 16 << 20, err, sizeof err)) {
        printf("machine_init: %s\n", err);
        exit(2);
    }
    m->mem.log_guest_error = count_error;
    Rec rec = { 0 };
    CHECK(device_map(&m->mem, &rec_device, &rec, err, sizeof err) == 0, "map: %s", err);
    Mem *mem = &m->mem;

    /* Accepted sizes pass as they are, silently. */
    mem_port_write(mem, 0x300, 0xab, 1);
    CHECK(rec.n == 1 && rec.log[0].size == 1 && rec.log[0].val == 0xab && errors == 0, "byte write");

    /* A 32-bit write to the byte device: four byte cycles, the last two
     * reaching the next region by their own addresses. */
    rec.n = 0;
    mem_port_write(mem, 0x300, 0x44332211, 4);
    CHECK(rec.n == 4 && errors == 1, "split into %d pieces, %d errors", rec.n, errors);
    bool ok = true;
    for (int i = 0; i < 4 && i < rec.n; i++)
        ok &= rec.log[i].size == 1 && rec.log[i].val == (uint64_t)(0x11 * (i + 1)) &&
              rec.log[i].region == i / 2 && rec.log[i].addr == (uint64_t)(i & 1);
    CHECK(ok, "pieces in order, to byte-a then byte-b");
    CHECK(strstr(last_error, "32-bit write to port 0x300") && strstr(last_error, "byte-a takes 8-bit")
          && strstr(last_error, "split into bytes"), "logged: %s", last_error);

    /* A 16-bit read assembles the bytes. */
    rec.n = 0;
    uint64_t v = mem_port_read(mem, 0x301, 2);
    CHECK(v == (0x22 | 0x11 << 8) && rec.n == 2 && rec.log[1].region == 1, "split read %#llx",
          (unsigned long long)v);

    /* Dword-only: other sizes are dropped (all-ones, nothing written). */
    rec.n = 0;
    errors = 0;
    CHECK(mem_port_read(mem, 0x310, 2) == 0xffff && rec.n == 0 && errors == 1, "16-bit read dropped");
    CHECK(strstr(last_error, "dropped"), "logged: %s", last_error);
    mem_port_write(mem, 0x310, 1, 1);
    CHECK(rec.n == 0 && errors == 2, "byte write dropped");
    CHECK(mem_port_read(mem, 0x310, 4) == 0x11111111 && rec.n == 1 && errors == 2, "dword read");
    /* A dword that runs past the region's end: split bytewise, and its
     * bytes are not accepted either, so nothing reaches the device. */
    rec.n = 0;
    mem_port_read(mem, 0x312, 4);
    CHECK(rec.n == 0 && strstr(last_error, "runs past its end"), "crossing access: %s", last_error);

    /* MMIO: a byte access is smaller than anything accepted: dropped; a
     * 64-bit one is split into two dwords. */
    rec.n = 0;
    errors = 0;
    CHECK(mem_phys_read(mem, 0xfed00010, 1) == 0xff && rec.n == 0 && errors == 1, "MMIO byte dropped");
    mem_phys_write(mem, 0xfed00010, 0x8877665544332211ull, 8);
    CHECK(rec.n == 2 && rec.log[0].size == 4 && rec.log[0].addr == 0x10 && rec.log[0].val == 0x44332211 &&
          rec.log[1].addr == 0x14 && rec.log[1].val == 0x88776655 && errors == 2, "MMIO qword split");
    mem_phys_write(mem, 0xfed00020, 0x1234, 2);
    CHECK(rec.n == 3 && rec.log[2].size == 2 && errors == 2, "MMIO word accepted");

    /* The old registration call keeps working: any size, as before. */
    rec.n = 0;
    CHECK(mem_add_ports(mem, "old", 0x320, 4, rd0, wr0, &rec, err, sizeof err) == 0, "%s", err);
    mem_port_write(mem, 0x320, 0x1234, 2);
    CHECK(rec.n == 1 && rec.log[0].size == 2 && errors == 2, "old-style region takes a word");
    machine_free(m);
    free(m);
}

/* Every PC device: its state fields lie inside its state struct without
 * overlapping; the reset hook brings registers back. */
static void test_pc_devices(void)
{
    Machine *m = calloc(1, sizeof *m);
    MachineConfig cfg = { .ram_size = 16 << 20, .serial = CHR_NONE, .icount_shift = -1 };
    char err[256];
    if (!m || machine_init_pc(m, &cfg, err, sizeof err)) {
        printf("machine_init_pc: %s\n", err);
        exit(2);
    }
    PcBoard *pc = m->pc;
    const char *expect[] = { "pic", "pit", "port61", "rtc", "com1", "i8042", "port92", "reset-cf9",
                             "post", "acpi-pm" };
    for (unsigned i = 0; i < sizeof expect / sizeof expect[0]; i++)
        CHECK(device_find(&pc->devices, expect[i]) != NULL, "device %s", expect[i]);
    for (int i = 0; i < pc->devices.n; i++) {
        const struct DeviceInstance *d = &pc->devices.dev[i];
        unsigned nf = 0;
        bool inside = true, disjoint = true;
        for (const DeviceField *f = d->desc->state; f && f->name; f++, nf++) {
            inside &= f->size > 0 && f->offset + f->size <= d->desc->state_size;
            for (const DeviceField *g = d->desc->state; g != f; g++)
                disjoint &= f->offset + f->size <= g->offset || g->offset + g->size <= f->offset;
        }
        CHECK(inside && disjoint, "%s: %u state fields inside and disjoint", d->desc->name, nf);
        CHECK(!d->desc->state || d->state, "%s: a state pointer for its fields", d->desc->name);
        CHECK(d->desc->regions && d->desc->regions[0].name, "%s has regions", d->desc->name);
    }
    CHECK(device_find(&pc->devices, "pic")->desc->state[0].offset == 0, "pic fields from chip[0]");

    /* Reset hooks: dirty some registers, reset, read back. */
    Mem *mem = &m->mem;
    mem_port_write(mem, 0x21, 0x5a, 1);           /* IMR (the PIC is not initialised: OCW1) */
    mem_port_write(mem, 0x3ff, 0x77, 1);          /* UART scratch */
    mem_port_write(mem, 0x602, 0x0100, 2);        /* PWRBTN_EN */
    mem_port_write(mem, 0x61, 0x03, 1);
    CHECK(mem_port_read(mem, 0x3ff, 1) == 0x77 && mem_port_read(mem, 0x602, 2) == 0x100, "dirtied");
    mem_port_write(mem, 0x70, 0x40, 1);           /* CMOS NVRAM byte 0x40 */
    mem_port_write(mem, 0x71, 0x99, 1);
    pc_reset(pc);
    CHECK(mem_port_read(mem, 0x21, 1) == 0 && mem_port_read(mem, 0x3ff, 1) == 0 &&
          mem_port_read(mem, 0x602, 2) == 0 && (mem_port_read(mem, 0x61, 1) & 3) == 0,
          "PIC, UART, ACPI PM and port B reset");
    mem_port_write(mem, 0x70, 0x40, 1);
    CHECK(mem_port_read(mem, 0x71, 1) == 0x99, "CMOS kept over a reset");

    /* Wrong sizes on the board: a 16-bit write to the PIC is two byte
     * cycles (OCW3 to 0x20, then OCW1 to 0x21); the PM timer is a dword
     * register; a 16-bit read of COM1's LSR/MSR reads both. */
    int before = errors;
    m->mem.log_guest_error = count_error;
    mem_port_write(mem, 0x20, 0x3c0a, 2);
    CHECK(mem_port_read(mem, 0x21, 1) == 0x3c && errors == before + 1, "outw 0x20 = outb 0x20 + outb 0x21");
    CHECK(mem_port_read(mem, 0x608, 2) == 0xffff && errors == before + 2, "inw of the PM timer dropped");
    CHECK(mem_port_read(mem, 0x3fd, 2) == (mem_port_read(mem, 0x3fd, 1) | mem_port_read(mem, 0x3fe, 1) << 8),
          "inw 0x3fd = LSR | MSR << 8");
    /* The exit port takes 32 bits at once. */
    mem_port_write(mem, 0xf4, 0x100, 4);
    CHECK(m->exit_requested && m->exit_status == 0x201, "outl 0xf4: status %#x", m->exit_status);
    machine_free(m);
    free(m);
}

/* What the devices asked of the machine (hw/board.h), recorded. */
typedef struct Host {
    uint64_t now;
    const char *reset, *poweroff;
    int resets, poweroffs, status;
    char log[128];
} Host;

static uint64_t host_now(void *o) { return ((Host *)o)->now; }
static void host_reset(void *o, const char *why) { Host *h = o; h->resets++; h->reset = why; }
static void host_poweroff(void *o, int status, const char *why)
{
    Host *h = o;
    h->poweroffs++;
    h->status = status;
    h->poweroff = why;
}
static void host_log(void *o, const char *item, const char *fmt, ...)
{
    Host *h = o;
    int n = snprintf(h->log, sizeof h->log, "%s: ", item);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->log + n, sizeof h->log - (size_t)n, fmt, ap);
    va_end(ap);
}

/* A PC board on a test-owned Board (no Machine), its callbacks recorded
 * in h.  Static storage: the Mem keeps the CPU's TLB on its list. */
typedef struct Rig {
    Mem mem;
    CPU cpu;
    PcBoard pc;
    Chardev console;
    Host h;
    Board b;
} Rig;

static void rig_init(Rig *r, char *err, size_t errlen)
{
    if (mem_init(&r->mem, 16 << 20, err, errlen) || chr_open(&r->console, CHR_NONE, NULL, err, errlen)) {
        printf("rig_init: %s\n", err);
        exit(2);
    }
    cpu_init(&r->cpu, &r->mem);
    r->b = (Board){ .mem = &r->mem, .cpu = &r->cpu, .console = &r->console, .opaque = &r->h,
                    .now_ns = host_now, .request_reset = host_reset,
                    .request_poweroff = host_poweroff, .log = host_log };
}

static void rig_free(Rig *r)
{
    chr_close(&r->console);
    mem_free(&r->mem);
}

/* The PC board and the debug ports need nothing of a Machine: their
 * clock, reset lines, power-off and log go through the Board callbacks. */
static void test_board(void)
{
    static Rig r;
    char err[256];
    rig_init(&r, err, sizeof err);
    CHECK(pc_init(&r.pc, &r.b, NULL, err, sizeof err) == 0 && debugport_init(&r.b, err, sizeof err) == 0,
          "pc_init and debugport_init on a bare Board: %s", err);
    CHECK(r.pc.b == &r.b && r.cpu.intr_opaque == &r.pc && r.cpu.intr_pending && r.cpu.intr_ack,
          "the board keeps the Board; the interrupt hooks get the PcBoard");

    /* The PM timer counts 3.579545 MHz of the Board's clock. */
    r.h.now = 1000000000ull;
    CHECK(mem_port_read(&r.mem, 0x608, 4) == ACPI_PM_TIMER_HZ, "PM timer at 1 s: %llu",
          (unsigned long long)mem_port_read(&r.mem, 0x608, 4));
    r.h.now = 2000000000ull;
    CHECK(mem_port_read(&r.mem, 0x608, 4) == 2 * ACPI_PM_TIMER_HZ, "PM timer at 2 s");

    mem_port_write(&r.mem, 0xcf9, 0x06, 1);
    CHECK(r.h.resets == 1 && r.h.reset && strstr(r.h.reset, "0xCF9"), "0xCF9 pulls the reset line: %s", r.h.reset);
    mem_port_write(&r.mem, 0x92, 0x03, 1);
    CHECK(r.h.resets == 2 && strstr(r.h.reset, "0x92"), "port 0x92 fast reset: %s", r.h.reset);

    mem_port_write(&r.mem, 0x80, 0x42, 1);
    CHECK(!strcmp(r.h.log, "post: 0x42"), "POST code logged under \"post\": \"%s\"", r.h.log);
    mem_phys_read(&r.mem, 0xfee00030, 2);  /* the LAPIC takes aligned dwords only */
    CHECK(!strncmp(r.h.log, "guest_errors: lapic", 19), "the LAPIC reports under guest_errors: \"%s\"", r.h.log);

    mem_port_write(&r.mem, 0xf4, 0x10, 1);
    CHECK(r.h.poweroffs == 1 && r.h.status == 0x21 && r.h.poweroff, "exit port: status %#x", r.h.status);
    mem_port_write(&r.mem, 0x604, (ACPI_SLP_TYP_S5 << 10) | PM1_SLP_EN, 2);
    CHECK(r.h.poweroffs == 2 && r.h.status == 0 && strstr(r.h.poweroff, "S5"), "ACPI S5: status %d, %s", r.h.status,
          r.h.poweroff);
    rig_free(&r);
}

/* Ticks the host did not let the guest see are not lost: when the board
 * looks 10 ms late at a 1 kHz PIT, IRQ0 comes once now and again after
 * each time the guest takes it (INTA + EOI), ten in all, and then no more
 * until the next period.  (Coalescing them made an early Linux boot's
 * jiffies fall behind the TSC: "clocksource tsc-early unstable".) */
static void test_pit_lost_ticks(void)
{
    static Rig r;
    char err[256];
    rig_init(&r, err, sizeof err);
    CHECK(pc_init(&r.pc, &r.b, NULL, err, sizeof err) == 0, "pc_init: %s", err);
    /* 8259 master: edge, vector base 0x20, IRQ0 only; PIT mode 2, 1193 (1 kHz). */
    const uint8_t icw[][2] = { { 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 }, { 0x21, 0x01 }, { 0x21, 0xfe } };
    for (unsigned i = 0; i < 5; i++)
        mem_port_write(&r.mem, icw[i][0], icw[i][1], 1);
    mem_port_write(&r.mem, 0x43, 0x34, 1);
    mem_port_write(&r.mem, 0x40, 1193 & 0xff, 1);
    mem_port_write(&r.mem, 0x40, 1193 >> 8, 1);
    r.h.now = 10 * 1000000ull + 500000;  /* 10.5 ms: ten edges due */
    unsigned taken = 0;
    for (unsigned i = 0; i < 50; i++) {
        pc_update(&r.pc);
        if (!r.cpu.intr_pending(&r.cpu))
            break;
        CHECK(r.cpu.intr_ack(&r.cpu) == 0x20, "vector 0x20");
        mem_port_write(&r.mem, 0x20, 0x20, 1);  /* EOI */
        taken++;
    }
    CHECK(taken == 10, "IRQ0 taken %u times for ten periods, expected 10", taken);
    r.h.now += 1000000;
    pc_update(&r.pc);
    CHECK(r.cpu.intr_pending(&r.cpu), "the next period's IRQ0");
    rig_free(&r);
}

int main(void)
{
    test_sizes();
    test_pc_devices();
    test_board();
    test_pit_lost_ticks();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

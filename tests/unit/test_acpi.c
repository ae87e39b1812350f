/* test_acpi.c — the ACPI tables as a kernel finds them (an RSDP scan of
 * 0xE0000-0xFFFFF in guest physical memory, then the pointers), checked
 * field by field against the ACPI 6.0 layouts and, independently, by
 * iasl's disassembler (which knows every table's layout and verifies
 * checksums); the PM block against a fake clock; power-off and the reset
 * register on a running machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/acpi.h"
#include "hw/acpi_pm.h"
#include "hw/pc.h"
#include "hw/uart.h"
#include "vm/machine.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

static Machine *new_pc(bool bios, bool no_reboot)
{
    Machine *m = calloc(1, sizeof *m);
    MachineConfig cfg = { .ram_size = 32 << 20, .serial = CHR_NONE, .icount_shift = -1,
                          .bios = bios, .no_reboot = no_reboot };
    char err[256];
    if (!m || machine_init_pc(m, &cfg, err, sizeof err)) {
        printf("machine_init_pc: %s\n", m ? err : "oom");
        exit(2);
    }
    return m;
}

static void del_pc(Machine *m)
{
    machine_free(m);
    free(m);
}

/* ---- reading guest physical memory as a kernel would ---- */

static uint32_t rd32(Machine *m, uint64_t pa) { return (uint32_t)mem_phys_read(&m->mem, pa, 4); }
static uint64_t rd64(Machine *m, uint64_t pa) { return mem_phys_read(&m->mem, pa, 8); }
static uint8_t rd8(Machine *m, uint64_t pa) { return (uint8_t)mem_phys_read(&m->mem, pa, 1); }
static uint16_t rd16(Machine *m, uint64_t pa) { return (uint16_t)mem_phys_read(&m->mem, pa, 2); }

static bool sig_is(Machine *m, uint64_t pa, const char *sig)
{
    for (size_t i = 0; sig[i]; i++)
        if (rd8(m, pa + i) != (uint8_t)sig[i])
            return false;
    return true;
}

static uint8_t sum(Machine *m, uint64_t pa, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + rd8(m, pa + i));
    return s;
}

/* ACPI 6.0 5.2.5.1: the RSDP is on a 16-byte boundary in the BIOS area
 * 0xE0000-0xFFFFF (or the EBDA), found by signature and checksum. */
static uint64_t scan_rsdp(Machine *m)
{
    for (uint64_t pa = 0xe0000; pa < 0x100000; pa += 16)
        if (sig_is(m, pa, "RSD PTR ") && sum(m, pa, 20) == 0)
            return pa;
    return 0;
}

/* A table at pa with sig: its length is sane, its checksum is right. */
static uint32_t check_table(Machine *m, uint64_t pa, const char *sig, uint32_t min_len)
{
    CHECK(sig_is(m, pa, sig), "%s at %#llx", sig, (unsigned long long)pa);
    uint32_t len = rd32(m, pa + 4);
    CHECK(len >= min_len && len < ACPI_TABLES_SIZE, "%s length %u", sig, len);
    CHECK(sum(m, pa, len) == 0, "%s checksum", sig);
    CHECK(sig_is(m, pa + 10, "RINGZ0"), "%s OEM ID", sig);
    return len;
}

typedef struct Found {
    uint64_t rsdp, rsdt, xsdt, fadt, madt, dsdt, facs;
} Found;

static Found walk(Machine *m)
{
    Found f = { 0 };
    f.rsdp = scan_rsdp(m);
    CHECK(f.rsdp == ACPI_TABLES_BASE, "RSDP found at %#llx", (unsigned long long)f.rsdp);
    if (!f.rsdp)
        return f;
    CHECK(rd8(m, f.rsdp + 15) == 2, "RSDP revision 2");
    CHECK(rd32(m, f.rsdp + 20) == 36, "RSDP length");
    CHECK(sum(m, f.rsdp, 36) == 0, "RSDP extended checksum");
    CHECK(sig_is(m, f.rsdp + 9, "RINGZ0"), "RSDP OEM ID");
    f.rsdt = rd32(m, f.rsdp + 16);
    f.xsdt = rd64(m, f.rsdp + 24);

    uint32_t rlen = check_table(m, f.rsdt, "RSDT", 36);
    uint32_t xlen = check_table(m, f.xsdt, "XSDT", 36);
    CHECK((rlen - 36) % 4 == 0 && (xlen - 36) % 8 == 0, "entry sizes");
    unsigned n = (rlen - 36) / 4;
    CHECK(n == (xlen - 36) / 8 && n == 2, "RSDT %u entries, XSDT %u", n, (xlen - 36) / 8);
    for (unsigned i = 0; i < n; i++) {
        uint64_t r = rd32(m, f.rsdt + 36 + 4 * i), x = rd64(m, f.xsdt + 36 + 8 * i);
        CHECK(r == x, "RSDT and XSDT entry %u agree: %#llx %#llx", i, (unsigned long long)r,
              (unsigned long long)x);
        if (sig_is(m, x, "FACP"))
            f.fadt = x;
        else if (sig_is(m, x, "APIC"))
            f.madt = x;
        else
            CHECK(0, "unexpected table at %#llx", (unsigned long long)x);
    }
    CHECK(f.fadt && f.madt, "FADT and MADT listed");
    if (f.fadt) {
        CHECK(check_table(m, f.fadt, "FACP", 276) == 276, "FADT revision 6 length");
        f.dsdt = rd32(m, f.fadt + 40);
        CHECK(rd64(m, f.fadt + 140) == f.dsdt, "X_DSDT = DSDT");
        f.facs = (uint32_t)rd64(m, f.fadt + 132);
        CHECK(rd32(m, f.fadt + 36) == 0 && f.facs, "X_FIRMWARE_CTRL set, FIRMWARE_CTRL 0 (ACPI 6.0 5.2.9: one of the two)");
        check_table(m, f.dsdt, "DSDT", 36);
        CHECK(sig_is(m, f.facs, "FACS") && rd32(m, f.facs + 4) == 64 && f.facs % 64 == 0,
              "FACS: signature, length 64, 64-byte aligned");
    }
    return f;
}

/* The FADT's PM block, SCI, reset register and flags (5.2.9). */
static void check_fadt(Machine *m, uint64_t t)
{
    CHECK(rd8(m, t + 8) == 6, "FADT revision");
    CHECK(rd16(m, t + 46) == ACPI_SCI_IRQ, "SCI_INT");
    CHECK(rd32(m, t + 48) == 0, "no SMI_CMD: ACPI always enabled");
    struct { unsigned off32, len_off, xoff; uint32_t port; unsigned len; const char *what; } blk[] = {
        { 56, 88, 148, 0x600, 4, "PM1a_EVT" }, { 64, 89, 172, 0x604, 2, "PM1a_CNT" },
        { 76, 91, 208, 0x608, 4, "PM_TMR" },
    };
    for (unsigned i = 0; i < 3; i++) {
        CHECK(rd32(m, t + blk[i].off32) == blk[i].port, "%s", blk[i].what);
        CHECK(rd8(m, t + blk[i].len_off) == blk[i].len, "%s length", blk[i].what);
        /* Linux's ACPICA warns of "32/64X address/length mismatch" unless
         * the X_ block says the same. */
        uint64_t x = t + blk[i].xoff;
        CHECK(rd8(m, x) == 1 && rd8(m, x + 1) == 8 * blk[i].len && rd64(m, x + 4) == blk[i].port,
              "X_%s: SystemIO, %u bits, port %#x", blk[i].what, 8 * blk[i].len, blk[i].port);
    }
    CHECK(rd32(m, t + 80) == 0 && rd8(m, t + 92) == 0, "no GPE0 block");
    CHECK(rd32(m, t + 60) == 0 && rd32(m, t + 68) == 0, "no PM1b");
    CHECK(rd8(m, t + 108) == 0x32, "century byte 0x32");
    uint32_t flags = rd32(m, t + 112);
    CHECK(flags & (1u << 8), "TMR_VAL_EXT (32-bit timer)");
    CHECK(flags & (1u << 10), "RESET_REG_SUP");
    CHECK(!(flags & (1u << 20)), "not hardware-reduced");
    CHECK(rd8(m, t + 116) == 1 && rd64(m, t + 120) == 0xcf9 && rd8(m, t + 117) == 8,
          "RESET_REG: I/O port 0xCF9, 8 bits");
    CHECK(rd8(m, t + 128) == 0x06, "RESET_VALUE 6");
    CHECK((rd16(m, t + 109) & 3) == 3, "IAPC_BOOT_ARCH: legacy devices and an 8042");
}

/* MADT (5.2.12): the processor, the IO-APIC, the overrides, the NMI. */
static void check_madt(Machine *m, uint64_t t)
{
    uint32_t len = rd32(m, t + 4);
    CHECK(rd32(m, t + 36) == 0xfee00000u, "local APIC address");
    CHECK(rd32(m, t + 40) == 1, "PCAT_COMPAT");
    unsigned lapics = 0, ioapics = 0, irq0 = 0, sci = 0, nmi = 0, other = 0;
    uint64_t e = t + 44;
    while (e < t + len) {
        uint8_t type = rd8(m, e), elen = rd8(m, e + 1);
        if (elen < 2 || e + elen > t + len) {
            CHECK(0, "MADT entry at +%llu has length %u", (unsigned long long)(e - t), elen);
            break;
        }
        if (type == 0 && elen == 8) {
            lapics++;
            CHECK(rd8(m, e + 2) == 0 && rd8(m, e + 3) == 0 && (rd32(m, e + 4) & 1),
                  "processor UID 0, APIC ID 0, enabled");
        } else if (type == 1 && elen == 12) {
            ioapics++;
            /* The ID the IO-APIC itself reports (IOREGSEL 0 -> IOWIN). */
            mem_phys_write(&m->mem, 0xfec00000u, 0, 4);
            uint32_t id_reg = (uint32_t)mem_phys_read(&m->mem, 0xfec00010u, 4);
            CHECK(rd8(m, e + 2) == id_reg >> 24 && rd32(m, e + 4) == 0xfec00000u && rd32(m, e + 8) == 0,
                  "IO-APIC at 0xFEC00000 with the ID its register reports, GSI base 0");
        } else if (type == 2 && elen == 10 && rd8(m, e + 2) == 0 && rd8(m, e + 3) == 0) {
            irq0++;
            CHECK(rd32(m, e + 4) == 2 && rd16(m, e + 8) == 0, "IRQ0 -> GSI 2, conforming (ISA edge, high)");
        } else if (type == 2 && elen == 10 && rd8(m, e + 3) == 9) {
            sci++;
            CHECK(rd32(m, e + 4) == 9 && rd16(m, e + 8) == 0x000d, "IRQ9 -> GSI 9 level, active high");
        } else if (type == 4 && elen == 6) {
            nmi++;
            CHECK(rd8(m, e + 2) == 0xff && rd8(m, e + 5) == 1, "NMI on LINT1 of all processors");
        } else {
            other++;
        }
        e += elen;
    }
    CHECK(e == t + len, "MADT entries fill the table exactly");
    CHECK(lapics == 1 && ioapics == 1 && irq0 == 1 && sci == 1 && nmi == 1 && other == 0,
          "MADT entries: %u LAPIC, %u IO-APIC, %u IRQ0, %u SCI, %u NMI, %u other",
          lapics, ioapics, irq0, sci, nmi, other);
}

/* The AML of \_S5: NameOp "_S5_" PackageOp PkgLength NumElements, then the
 * SLP_TYPa value (ACPI 6.0 20.2.5.2, 20.2.3: ZeroOp, OneOp or BytePrefix). */
static int aml_s5_slp_typ(Machine *m, uint64_t dsdt)
{
    uint32_t len = rd32(m, dsdt + 4);
    for (uint64_t p = dsdt + 36; p + 10 < dsdt + len; p++) {
        if (rd8(m, p) != 0x08 || !sig_is(m, p + 1, "_S5_") || rd8(m, p + 5) != 0x12)
            continue;
        uint64_t q = p + 6 + 1 + (rd8(m, p + 6) >> 6) + 1;  /* PkgLength, NumElements */
        uint8_t op = rd8(m, q);
        return op == 0x00 ? 0 : op == 0x01 ? 1 : op == 0x0a ? rd8(m, q + 1) : -2;
    }
    return -1;
}

static void test_tables(void)
{
    Machine *m = new_pc(false, false);
    Found f = walk(m);
    if (f.fadt)
        check_fadt(m, f.fadt);
    if (f.madt)
        check_madt(m, f.madt);
    if (f.dsdt)
        CHECK(aml_s5_slp_typ(m, f.dsdt) == ACPI_SLP_TYP_S5, "\\_S5 SLP_TYPa = %d", aml_s5_slp_typ(m, f.dsdt));
    /* The tables are ROM: a guest write does not change them. */
    mem_phys_write(&m->mem, ACPI_TABLES_BASE, 0, 1);
    CHECK(scan_rsdp(m) == ACPI_TABLES_BASE, "RSDP survives a write");
    del_pc(m);

    /* With -bios the firmware owns the area: nothing of ours is there. */
    m = new_pc(true, false);
    CHECK(scan_rsdp(m) == 0 && rd8(m, ACPI_TABLES_BASE) == 0xff, "no tables with -bios");
    del_pc(m);

    /* The builder refuses a buffer too small, and fills one elsewhere
     * with addresses for where it will be. */
    AcpiConfig c;
    acpi_config_pc(&c, 32 << 20);
    static uint8_t buf[ACPI_TABLES_SIZE];
    CHECK(acpi_build(&c, buf, 512, 0x100000) == 0, "too small a buffer");
    size_t n = acpi_build(&c, buf, sizeof buf, 0x7ff00000);
    uint32_t rsdt = buf[16] | buf[17] << 8 | buf[18] << 16 | (uint32_t)buf[19] << 24;
    CHECK(n > 0 && rsdt - 0x7ff00000u < n, "RSDT pointer %#x inside the blob at its base", rsdt);
}

/* ---- iasl's disassembler as an independent reader of the tables ---- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

/* Dumps len bytes at pa to DIR/name.dat, runs iasl -d, returns the .dsl. */
static char *disassemble(Machine *m, const char *dir, const char *name, uint64_t pa, uint32_t len)
{
    char path[256], cmd[640];
    snprintf(path, sizeof path, "%s/%s.dat", dir, name);
    FILE *f = fopen(path, "wb");
    for (uint32_t i = 0; f && i < len; i++)
        fputc(rd8(m, pa + i), f);
    if (f)
        fclose(f);
    snprintf(cmd, sizeof cmd, "cd %s && %s -d %s.dat > %s.out 2>&1", dir, RZ_IASL, name, name);
    int rc = system(cmd);
    CHECK(rc == 0, "iasl -d %s: status %d", name, rc);
    snprintf(path, sizeof path, "%s/%s.dsl", dir, name);
    char *text = slurp(path);
    CHECK(text != NULL, "iasl wrote %s", path);
    return text ? text : "";
}

static bool has(const char *text, const char *s) { return strstr(text, s) != NULL; }

/* needle within the lines iasl prints for one structure after its title. */
static bool in_block(const char *text, const char *title, const char *needle)
{
    const char *t = strstr(text, title);
    if (!t)
        return false;
    const char *end = strstr(t, "\n\n");
    const char *n = strstr(t, needle);
    return n && (!end || n < end);
}

static void test_iasl(void)
{
    char dir[] = "/tmp/rz_acpi_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    Machine *m = new_pc(false, false);
    Found f = walk(m);
    struct { const char *name; uint64_t pa; } t[] = {
        { "facp", f.fadt }, { "apic", f.madt }, { "rsdt", f.rsdt }, { "xsdt", f.xsdt }, { "dsdt", f.dsdt },
    };
    for (unsigned i = 0; i < 5; i++) {
        char *text = disassemble(m, dir, t[i].name, t[i].pa, rd32(m, t[i].pa + 4));
        CHECK(!has(text, "Incorrect checksum") && !has(text, "rror"), "iasl finds %s clean", t[i].name);
        if (i == 0) {
            CHECK(has(text, "PM1A Event Block Address : 00000600"), "iasl: PM1a_EVT");
            CHECK(has(text, "PM1A Control Block Address : 00000604"), "iasl: PM1a_CNT");
            CHECK(has(text, "PM Timer Block Address : 00000608"), "iasl: PM_TMR");
            CHECK(has(text, "SCI Interrupt : 0009"), "iasl: SCI");
            CHECK(has(text, "RTC Century Index : 32"), "iasl: century");
            CHECK(has(text, "32-bit PM Timer (V1) : 1"), "iasl: TMR_VAL_EXT");
            CHECK(has(text, "Reset Register Supported (V2) : 1"), "iasl: RESET_REG_SUP");
            CHECK(in_block(text, "Reset Register : [Generic", "Address : 0000000000000CF9") &&
                  in_block(text, "Reset Register : [Generic", "[SystemIO]") &&
                  has(text, "Value to cause reset : 06"), "iasl: reset register");
            CHECK(in_block(text, "PM Timer Block : [Generic", "Address : 0000000000000608") &&
                  in_block(text, "PM Timer Block : [Generic", "Bit Width : 20"), "iasl: X_PM_TMR");
            CHECK(in_block(text, "PM1A Event Block : [Generic", "Address : 0000000000000600") &&
                  in_block(text, "PM1A Event Block : [Generic", "Bit Width : 20"), "iasl: X_PM1a_EVT");
            CHECK(in_block(text, "PM1A Control Block : [Generic", "Address : 0000000000000604") &&
                  in_block(text, "PM1A Control Block : [Generic", "Bit Width : 10"), "iasl: X_PM1a_CNT");
            CHECK(has(text, "FACS Address : 00000000000E0040") && has(text, "DSDT Address : 00000000000E0"),
                  "iasl: X_FIRMWARE_CTRL, X_DSDT");
            CHECK(has(text, "8042 Present on ports 60/64 (V2) : 1"), "iasl: 8042");
        } else if (i == 1) {
            CHECK(has(text, "Local Apic Address : FEE00000") && has(text, "PC-AT Compatibility : 1"), "iasl: MADT");
            CHECK(has(text, "Address : FEC00000"), "iasl: IO-APIC");
            CHECK(has(text, "Source : 09") && has(text, "Trigger Mode : 3"), "iasl: SCI override");
            CHECK(has(text, "Interrupt Input LINT : 01"), "iasl: NMI");
        } else if (i == 4) {
            CHECK(has(text, "Name (_S5, Package (0x04)") && has(text, "0x07, \n        0x07,"),
                  "iasl: \\_S5 = {7, 7, ...}");
            CHECK(has(text, "EisaId (\"PNP0501\")") && has(text, "IO (Decode16,\n                    0x03F8"),
                  "iasl: COM1");
            CHECK(!has(text, "PNP0A03") && !has(text, "PNP0A08"), "no PCI host bridge");
        }
    }
    del_pc(m);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
}

/* ---- the PM block against a fake clock ---- */

typedef struct Fake {
    uint64_t ns;
    int sci_changes, power_offs, errors;
    bool sci;
} Fake;

static uint64_t fake_now(void *o) { return ((Fake *)o)->ns; }
static void fake_sci(void *o, bool level) { Fake *f = o; f->sci = level; f->sci_changes++; }
static void fake_off(void *o) { ((Fake *)o)->power_offs++; }
static void fake_err(void *o, const char *msg) { (void)msg; ((Fake *)o)->errors++; }

static uint64_t io_rd(const DeviceDesc *d, void *s, uint16_t port, unsigned size)
{
    for (const DeviceRegion *r = d->regions; r->name; r++)
        if (port - r->start < r->size)
            return r->read(s, port - r->start, size);
    return ~0ull;
}

static void io_wr(const DeviceDesc *d, void *s, uint16_t port, uint64_t v, unsigned size)
{
    for (const DeviceRegion *r = d->regions; r->name; r++)
        if (port - r->start < r->size && r->write)
            r->write(s, port - r->start, v, size);
}

static void test_pm(void)
{
    Fake f = { 0 };
    AcpiPm pm;
    acpi_pm_init(&pm, fake_now, fake_sci, fake_off, fake_err, &f);
    const DeviceDesc *d = &acpi_pm_device;

    /* Rate: 3,579,545 counts per second, exactly, at whole seconds. */
    for (uint64_t s = 1; s <= 1000; s *= 10) {
        f.ns = s * 1000000000ull;
        CHECK(io_rd(d, &pm, 0x608, 4) == (uint32_t)(s * 3579545ull), "timer at %llu s", (unsigned long long)s);
    }
    f.ns = 1000;  /* 1 us = 3.58 counts */
    CHECK(io_rd(d, &pm, 0x608, 4) == 3, "timer at 1 us");
    /* Monotonic across fine steps, never more than one count per 279 ns. */
    uint32_t last = 0;
    bool mono = true;
    for (f.ns = 0; f.ns < 2000000; f.ns += 97) {
        uint32_t t = (uint32_t)io_rd(d, &pm, 0x608, 4);
        mono &= t >= last && t - last <= 1;
        last = t;
    }
    CHECK(mono, "timer monotonic, one count at a time");

    /* Wrap: 2^32 counts after 1199.86 s it reads 0 again.  These are
     * ceil(2^32 * 1e9 / 3579545) and ceil(2^31 * 1e9 / 3579545). */
    const uint64_t wrap_ns = 1199864031882ull, half_ns = 599932015941ull;
    f.ns = wrap_ns - 1;
    CHECK(io_rd(d, &pm, 0x608, 4) == 0xffffffffu, "last count before the wrap");
    f.ns = wrap_ns;
    CHECK(io_rd(d, &pm, 0x608, 4) == 0, "wraps to 0");

    /* TMR_STS: set when bit 31 changes; SCI only with TMR_EN. */
    acpi_pm_init(&pm, fake_now, fake_sci, fake_off, fake_err, &f);
    f.ns = 0;
    acpi_pm_reset(&pm);
    CHECK((io_rd(d, &pm, 0x600, 2) & PM1_TMR) == 0, "TMR_STS clear after reset");
    CHECK(acpi_pm_update(&pm, f.ns) == UINT64_MAX, "no deadline with TMR_EN clear");
    io_wr(d, &pm, 0x602, PM1_TMR, 2);
    uint64_t due = acpi_pm_update(&pm, f.ns);
    CHECK(due == half_ns, "deadline at bit 31's first change: %llu", (unsigned long long)due);
    f.ns = due - 1;
    acpi_pm_update(&pm, f.ns);
    CHECK(!f.sci && (io_rd(d, &pm, 0x608, 4) >> 31) == 0, "bit 31 still clear just before");
    f.ns = due;
    acpi_pm_update(&pm, f.ns);
    CHECK(f.sci && (io_rd(d, &pm, 0x600, 2) & PM1_TMR) && (io_rd(d, &pm, 0x608, 4) >> 31) == 1,
          "TMR_STS and the SCI at bit 31's change");
    io_wr(d, &pm, 0x600, PM1_TMR, 2);  /* write 1 to clear */
    CHECK(!f.sci && !(io_rd(d, &pm, 0x600, 2) & PM1_TMR), "TMR_STS cleared, SCI drops");
    f.ns = wrap_ns;  /* bit 31 changes back (the wrap) */
    CHECK(io_rd(d, &pm, 0x600, 2) & PM1_TMR, "TMR_STS at the wrap");
    CHECK(f.sci, "SCI at the wrap");
    io_wr(d, &pm, 0x602, 0, 2);
    CHECK(!f.sci, "TMR_EN cleared: SCI drops, status stays");
    io_wr(d, &pm, 0x600, 0xffff, 2);

    /* The power button. */
    acpi_pm_power_button(&pm);
    CHECK(!f.sci && (io_rd(d, &pm, 0x600, 2) & PM1_PWRBTN), "PWRBTN_STS without an SCI while disabled");
    io_wr(d, &pm, 0x602, PM1_PWRBTN, 2);
    CHECK(f.sci, "PWRBTN_EN: SCI");
    /* Byte lanes: a dword read is STS | EN << 16; a byte write clears. */
    CHECK(io_rd(d, &pm, 0x600, 4) == (PM1_PWRBTN | (uint32_t)PM1_PWRBTN << 16), "dword PM1_EVT");
    io_wr(d, &pm, 0x601, PM1_PWRBTN >> 8, 1);
    CHECK(!f.sci && io_rd(d, &pm, 0x600, 2) == 0, "byte write clears PWRBTN_STS");
    /* Enable bits stick (the OS's probe for a fixed event). */
    io_wr(d, &pm, 0x602, 0xffff, 2);
    CHECK(io_rd(d, &pm, 0x602, 2) == 0x4721, "PM1_EN writable bits: %#llx", (unsigned long long)io_rd(d, &pm, 0x602, 2));
    io_wr(d, &pm, 0x602, 0, 2);

    /* PM1_CNT: SCI_EN always 1; SLP_TYP holds; S5 powers off. */
    CHECK(io_rd(d, &pm, 0x604, 2) == PM1_SCI_EN, "SCI_EN reads 1");
    io_wr(d, &pm, 0x604, 0, 2);
    CHECK(io_rd(d, &pm, 0x604, 2) & PM1_SCI_EN, "SCI_EN cannot be cleared");
    io_wr(d, &pm, 0x604, ACPI_SLP_TYP_S5 << 10, 2);
    CHECK(f.power_offs == 0 && io_rd(d, &pm, 0x604, 2) == (PM1_SCI_EN | ACPI_SLP_TYP_S5 << 10),
          "SLP_TYP alone does nothing");
    io_wr(d, &pm, 0x604, 3 << 10 | PM1_SLP_EN, 2);
    CHECK(f.power_offs == 0 && f.errors == 1 && (io_rd(d, &pm, 0x600, 2) & PM1_WAK),
          "unsupported sleep type: logged, WAK_STS at once");
    CHECK(!(io_rd(d, &pm, 0x604, 2) & PM1_SLP_EN), "SLP_EN reads 0");
    io_wr(d, &pm, 0x605, (ACPI_SLP_TYP_S5 << 10 | PM1_SLP_EN) >> 8, 1);
    CHECK(f.power_offs == 1, "SLP_EN with S5 (a byte write to the high half) powers off");
}

/* ---- power and reset on a running machine ---- */

/* Runs 32-bit code at 1 MiB (then writes 5 to the exit port: status 11
 * means the code did not stop the machine). */
static int run_code(Machine *m, const uint8_t *code, size_t len)
{
    uint8_t buf[64];
    memcpy(buf, code, len);
    memcpy(buf + len, "\xb0\x05\xe6\xf4\xf4", 5);  /* mov al,5; out 0xf4,al; hlt */
    char path[] = "/tmp/rz_acpi_code_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, buf, len + 5) != (ssize_t)(len + 5)) {
        printf("cannot write %s\n", path);
        exit(2);
    }
    close(fd);
    char err[256];
    int rc = machine_load(m, path, true, 0x100000, CODE32, err, sizeof err);
    unlink(path);
    if (rc) {
        printf("machine_load: %s\n", err);
        exit(2);
    }
    return machine_run(m);
}

static void test_power(void)
{
    /* mov dx, 0x604; mov ax, SLP_TYP=S5 | SLP_EN; out dx, ax */
    const uint8_t s5[] = { 0x66, 0xba, 0x04, 0x06, 0x66, 0xb8, 0x00, 0x3c, 0x66, 0xef };
    Machine *m = new_pc(false, false);
    int st = run_code(m, s5, sizeof s5);
    CHECK(st == 0 && m->poweroff_reason, "S5 powers off with status 0 (got %d)", st);
    del_pc(m);

    /* The FADT's reset register, written with its value, resets the
     * machine (here: -no-reboot ends the run with status 0). */
    m = new_pc(false, true);
    Found f = walk(m);
    uint16_t port = (uint16_t)rd64(m, f.fadt + 120);
    uint8_t val = rd8(m, f.fadt + 128);
    const uint8_t rst[] = { 0x66, 0xba, (uint8_t)port, (uint8_t)(port >> 8), 0xb0, val, 0xee };
    st = run_code(m, rst, sizeof rst);
    CHECK(st == 0 && m->reset_reason && strstr(m->reset_reason, "0xCF9") && !m->poweroff_reason,
          "FADT reset register resets (status %d, %s)", st, m->reset_reason ? m->reset_reason : "no reset");
    del_pc(m);

    /* A word write at 0xCF9 is not decoded: no reset. */
    m = new_pc(false, true);
    const uint8_t wide[] = { 0x66, 0xba, 0xf9, 0x0c, 0x66, 0xb8, 0x06, 0x00, 0x66, 0xef };
    st = run_code(m, wide, sizeof wide);
    CHECK(st == 11 && !m->reset_reason, "16-bit write to 0xCF9 ignored (status %d)", st);
    del_pc(m);
}

int main(void)
{
    test_tables();
    test_iasl();
    test_pm();
    test_power();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

/* acpi.c — building the ACPI tables (ACPI 6.0 chapter 5) into a buffer.
 * Offsets in the writers below are the spec's table layouts. */
#include "acpi.h"
#include "ioapic.h"
#include "lapic.h"

#include <stdio.h>
#include <string.h>

#include "acpi/acpi_defs.h"

#define OEM_ID "RINGZ0"
#define OEM_TABLE_ID "RINGZERO"
#define CREATOR_ID "RZ00"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

/* The common description header (5.2.6); the checksum is filled last. */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, OEM_ID, 6);
    memcpy(t + 16, OEM_TABLE_ID, 8);
    put32(t + 24, 1);                    /* OEM revision */
    memcpy(t + 28, CREATOR_ID, 4);
    put32(t + 32, 1);                    /* creator revision */
}

static void seal(uint8_t *t)
{
    uint32_t len = t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;
    t[9] = 0;
    t[9] = checksum(t, len);
}

/* Generic Address Structure (5.2.3.2) in system I/O space. */
enum { GAS_BYTE = 1, GAS_WORD = 2, GAS_DWORD = 3 };
static void gas_io(uint8_t *p, uint8_t bits, uint8_t access, uint64_t port)
{
    p[0] = 1;  /* SystemIO */
    p[1] = bits;
    p[2] = 0;
    p[3] = access;
    put64(p + 4, port);
}

void acpi_config_pc(AcpiConfig *c, uint64_t ram_size)
{
    c->ram_size = ram_size;
    c->lapic_addr = (uint32_t)LAPIC_DEFAULT_BASE;
    c->ioapic_addr = (uint32_t)IOAPIC_BASE;
    c->ioapic_id = IOAPIC_RESET_ID;
}

/* FADT flags (5.2.9, table 5-35) and IA-PC boot architecture flags (5.2.9.3). */
enum {
    FADT_WBINVD = 1 << 0, FADT_PROC_C1 = 1 << 2, FADT_SLP_BUTTON = 1 << 5, FADT_FIX_RTC = 1 << 6,
    FADT_TMR_VAL_EXT = 1 << 8, FADT_RESET_REG_SUP = 1 << 10,
};
enum { BOOT_LEGACY_DEVICES = 1 << 0, BOOT_8042 = 1 << 1, BOOT_VGA_NOT_PRESENT = 1 << 2,
       BOOT_MSI_NOT_SUPPORTED = 1 << 3 };

#define FADT_LEN 276
#define PM1_EVT_LEN 4
#define PM1_CNT_LEN 2
#define PM_TMR_LEN 4

static void fadt(uint8_t *t, uint32_t facs, uint32_t dsdt)
{
    header(t, "FACP", FADT_LEN, 6);
    /* FIRMWARE_CTRL stays 0: ACPI 6.0 5.2.9 wants only one of it and
     * X_FIRMWARE_CTRL (Linux lists the FACS twice otherwise). */
    put32(t + 40, dsdt);
    t[45] = 0;                           /* preferred PM profile: unspecified */
    put16(t + 46, ACPI_SCI_IRQ);
    /* SMI_CMD, ACPI_ENABLE, ACPI_DISABLE = 0: ACPI is always on. */
    put32(t + 56, ACPI_PM_BASE);         /* PM1a_EVT_BLK */
    put32(t + 64, ACPI_PM_BASE + 4);     /* PM1a_CNT_BLK */
    put32(t + 76, ACPI_PM_BASE + 8);     /* PM_TMR_BLK */
    t[88] = PM1_EVT_LEN;
    t[89] = PM1_CNT_LEN;
    t[91] = PM_TMR_LEN;
    /* No GPE blocks, no PM2, no P_BLK. */
    put16(t + 96, 101);                  /* P_LVL2_LAT > 100: no C2 */
    put16(t + 98, 1001);                 /* P_LVL3_LAT > 1000: no C3 */
    t[108] = 0x32;                       /* CENTURY: the RTC's CMOS index */
    put16(t + 109, BOOT_LEGACY_DEVICES | BOOT_8042 | BOOT_VGA_NOT_PRESENT | BOOT_MSI_NOT_SUPPORTED);
    /* PWR_BUTTON clear: the fixed-feature power button (PWRBTN_STS). */
    put32(t + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC |
                   FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP);
    gas_io(t + 116, 8, GAS_BYTE, 0xcf9);  /* RESET_REG */
    t[128] = 0x06;                       /* RESET_VALUE: RST_CPU | SYS_RST */
    t[131] = 0;                          /* FADT minor version: 6.0 */
    put64(t + 132, facs);                /* X_FIRMWARE_CTRL */
    put64(t + 140, dsdt);                /* X_DSDT */
    gas_io(t + 148, 8 * PM1_EVT_LEN, GAS_WORD, ACPI_PM_BASE);
    gas_io(t + 172, 8 * PM1_CNT_LEN, GAS_WORD, ACPI_PM_BASE + 4);
    gas_io(t + 208, 8 * PM_TMR_LEN, GAS_DWORD, ACPI_PM_BASE + 8);
    seal(t);
}

#define MADT_LEN (44 + 8 + 12 + 10 + 10 + 6)

/* MPS INTI flags: polarity bits 0-1, trigger mode bits 2-3. */
enum { INTI_CONFORMS = 0, INTI_HIGH = 1, INTI_EDGE = 1 << 2, INTI_LEVEL = 3 << 2 };

static void madt(uint8_t *t, const AcpiConfig *c)
{
    header(t, "APIC", MADT_LEN, 3);
    put32(t + 36, c->lapic_addr);
    put32(t + 40, 1);                    /* PCAT_COMPAT: dual 8259s present */
    uint8_t *e = t + 44;
    /* Processor local APIC: ACPI UID 0, APIC ID 0, enabled. */
    e[0] = 0; e[1] = 8; e[2] = 0; e[3] = 0; put32(e + 4, 1); e += 8;
    /* IO-APIC. */
    e[0] = 1; e[1] = 12; e[2] = c->ioapic_id; e[3] = 0; put32(e + 4, c->ioapic_addr); put32(e + 8, 0); e += 12;
    /* ISA IRQ0 (the PIT) is on GSI 2, with the ISA bus's polarity and
     * trigger (active high, edge). */
    e[0] = 2; e[1] = 10; e[2] = 0; e[3] = 0; put32(e + 4, 2); put16(e + 8, INTI_CONFORMS); e += 10;
    /* ISA IRQ9, the SCI: level, active high (the PM block drives it so). */
    e[0] = 2; e[1] = 10; e[2] = 0; e[3] = ACPI_SCI_IRQ; put32(e + 4, ACPI_SCI_IRQ);
    put16(e + 8, INTI_HIGH | INTI_LEVEL); e += 10;
    /* NMI on LINT1 of every processor, edge, active high. */
    e[0] = 4; e[1] = 6; e[2] = 0xff; put16(e + 3, INTI_HIGH | INTI_EDGE); e[5] = 1;
    seal(t);
}

/* The FACS (5.2.10): no checksum; ringzero has no S3 and no firmware that
 * shares the global lock, so it is never written (it is in the ROM). */
static void facs(uint8_t *t)
{
    memcpy(t, "FACS", 4);
    put32(t + 4, 64);
    t[32] = 2;                           /* version */
}

/* The DSDT compiled by iasl -tc at build time (CMakeLists.txt): the file
 * defines a plain array, so it is included here, inside the function, to
 * stay out of the global namespace. */
static size_t dsdt(uint8_t *out, size_t room)
{
#include "dsdt.hex"
    size_t len = sizeof dsdt_aml_code;
    if (len > room)
        return 0;
    memcpy(out, dsdt_aml_code, len);
    return len;
}

static size_t align(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

size_t acpi_build(const AcpiConfig *c, uint8_t *buf, size_t len, uint64_t base_pa)
{
    enum { RSDP = 0, FACS = 0x40, RSDT = 0x80, XSDT = 0xc0, FADT = 0x100 };
    const size_t madt_at = align(FADT + FADT_LEN, 16), dsdt_at = align(madt_at + MADT_LEN, 16);
    if (len < dsdt_at)
        return 0;
    memset(buf, 0, len);
    size_t dsdt_len = dsdt(buf + dsdt_at, len - dsdt_at);
    if (!dsdt_len)
        return 0;
    uint32_t pa = (uint32_t)base_pa;

    facs(buf + FACS);
    fadt(buf + FADT, pa + FACS, pa + (uint32_t)dsdt_at);
    madt(buf + madt_at, c);

    /* RSDT (32-bit entries) and XSDT (64-bit): the FADT, the MADT. */
    header(buf + RSDT, "RSDT", 36 + 2 * 4, 1);
    put32(buf + RSDT + 36, pa + FADT);
    put32(buf + RSDT + 40, pa + (uint32_t)madt_at);
    seal(buf + RSDT);
    header(buf + XSDT, "XSDT", 36 + 2 * 8, 1);
    put64(buf + XSDT + 36, base_pa + FADT);
    put64(buf + XSDT + 44, base_pa + madt_at);
    seal(buf + XSDT);

    /* RSDP (5.2.5.3), revision 2: checksum over the ACPI 1.0 part (20
     * bytes), extended checksum over all 36. */
    uint8_t *r = buf + RSDP;
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, OEM_ID, 6);
    r[15] = 2;
    put32(r + 16, pa + RSDT);
    put32(r + 20, 36);
    put64(r + 24, base_pa + XSDT);
    r[8] = checksum(r, 20);
    r[32] = checksum(r, 36);
    return dsdt_at + dsdt_len;
}

int acpi_install(Mem *mem, uint8_t *rom, size_t len, uint64_t base_pa, char *err, size_t errlen)
{
    Region r = { .name = "acpi-tables", .start = base_pa, .size = len, .kind = REGION_ROM, .host = rom };
    if (mem_add_region(mem, &r, err, errlen))
        return -1;
    mem_map_changed(mem);
    return 0;
}

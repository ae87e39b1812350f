/* acpi.c — what a kernel does with ringzero's ACPI tables: find the RSDP
 * by scanning 0xE0000-0xFFFFF, walk the RSDT and XSDT to the FADT, read the
 * PM timer across a PIT-measured interval (3.579545 MHz against the PIT's
 * 1.193182 MHz), take \_S5's SLP_TYP from the DSDT's AML and power off
 * through PM1a_CNT.  The run must end with status 0 after "PASS". */
#include "common.h"

static uint8_t sum(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    while (len--)
        s = (uint8_t)(s + *p++);
    return s;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static const uint8_t *find_rsdp(void)
{
    for (uintptr_t a = 0xe0000; a < 0x100000; a += 16) {
        const uint8_t *p = (const uint8_t *)a;
        if (!memcmp(p, "RSD PTR ", 8) && sum(p, 20) == 0)
            return p;
    }
    return NULL;
}

static const uint8_t *table(uint32_t pa, const char *sig)
{
    const uint8_t *t = (const uint8_t *)(uintptr_t)pa;
    if (memcmp(t, sig, 4) || sum(t, le32(t + 4)) != 0)
        return NULL;
    return t;
}

/* Channel 2 in mode 0, gated by port 0x61: OUT2 rises after count ticks.
 * Returns the PM timer counts that passed. */
static uint32_t pm_ticks_over_pit(uint16_t pm_tmr, uint16_t count)
{
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
    outb(0x43, 0xb0);                       /* channel 2, lobyte/hibyte, mode 0 */
    outb(0x42, (uint8_t)count);
    uint32_t t0 = inl(pm_tmr);
    outb(0x42, (uint8_t)(count >> 8));      /* counting starts */
    while (!(inb(0x61) & 0x20))
        ;
    return inl(pm_tmr) - t0;
}

int main(void)
{
    const uint8_t *rsdp = find_rsdp();
    CHECK(rsdp != NULL);
    if (!rsdp)
        return 1;
    rt_printf("RSDP at %p, revision %u\n", rsdp, rsdp[15]);
    CHECK_EQ(rsdp[15], 2);
    CHECK_EQ(sum(rsdp, 36), 0);

    /* RSDT and XSDT (its 64-bit entries are below 4 GiB here) list the
     * same FADT. */
    const uint8_t *rsdt = table(le32(rsdp + 16), "RSDT"), *xsdt = table(le32(rsdp + 24), "XSDT");
    CHECK(rsdt && xsdt && le32(rsdp + 28) == 0);
    const uint8_t *fadt = NULL, *xfadt = NULL;
    for (uint32_t i = 0; rsdt && 36 + 4 * i < le32(rsdt + 4); i++)
        if (!fadt)
            fadt = table(le32(rsdt + 36 + 4 * i), "FACP");
    for (uint32_t i = 0; xsdt && 36 + 8 * i < le32(xsdt + 4); i++)
        if (!xfadt && le32(xsdt + 40 + 8 * i) == 0)
            xfadt = table(le32(xsdt + 36 + 8 * i), "FACP");
    CHECK(fadt != NULL && fadt == xfadt);
    if (!fadt)
        return 1;
    uint16_t pm1a_cnt = (uint16_t)le32(fadt + 64), pm_tmr = (uint16_t)le32(fadt + 76);
    rt_printf("FADT at %p: PM1a_CNT %#x, PM_TMR %#x, flags %#x\n", fadt, pm1a_cnt, pm_tmr, le32(fadt + 112));
    CHECK_EQ(le32(fadt + 208 + 4), pm_tmr);     /* X_PM_TMR_BLK agrees */

    /* 11932 PIT ticks are 10 ms: 35,795 PM timer counts (3 per PIT tick). */
    uint32_t a = pm_ticks_over_pit(pm_tmr, 11932), b = pm_ticks_over_pit(pm_tmr, 11932);
    rt_printf("PM timer over 11932 PIT ticks: %u, %u (expect 35795)\n", a, b);
    CHECK(a > 35795 - 360 && a < 35795 + 360);
    CHECK(b > 35795 - 360 && b < 35795 + 360);

    /* \_S5 in the DSDT's AML: NameOp "_S5_" PackageOp PkgLength count,
     * then SLP_TYPa (ZeroOp, OneOp or BytePrefix n). */
    const uint8_t *dsdt = table(le32(fadt + 40), "DSDT");
    CHECK(dsdt != NULL);
    int slp_typ = -1;
    for (uint32_t i = 36; dsdt && i + 10 < le32(dsdt + 4); i++) {
        const uint8_t *p = dsdt + i;
        if (p[0] == 0x08 && !memcmp(p + 1, "_S5_", 4) && p[5] == 0x12) {
            const uint8_t *e = p + 6 + 1 + (p[6] >> 6) + 1;
            slp_typ = e[0] == 0x0a ? e[1] : e[0] == 0x01 ? 1 : e[0] == 0x00 ? 0 : -1;
            break;
        }
    }
    rt_printf("\\_S5 SLP_TYP %d\n", slp_typ);
    CHECK(slp_typ >= 0 && slp_typ < 8);
    CHECK(inw(pm1a_cnt) & 1);                   /* SCI_EN: ACPI mode */
    if (rt_failures || slp_typ < 0)
        return 1;
    rt_puts("PASS\n");
    outw(pm1a_cnt, (uint16_t)(slp_typ << 10 | 1 << 13));   /* SLP_TYP | SLP_EN */
    rt_fail("still running after SLP_EN with \\_S5");
}

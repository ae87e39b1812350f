/* test_devices.c — the PC devices against their datasheets' register
 * behaviour: 8259A, 8254, 16550A, MC146818, i8042. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hw/fw_cfg.h"
#include "hw/i8042.h"
#include "hw/pic.h"
#include "hw/pit.h"
#include "hw/rtc.h"
#include "hw/uart.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

/* The BIOS's standard init: vectors 0x08/0x70, cascade on IRQ2, 8086 mode. */
static void pic_bios_init(PicPair *p)
{
    pic_init(p);
    pic_io_write(p, 0, 0, 0x11); pic_io_write(p, 0, 1, 0x08); pic_io_write(p, 0, 1, 0x04); pic_io_write(p, 0, 1, 0x01);
    pic_io_write(p, 1, 0, 0x11); pic_io_write(p, 1, 1, 0x70); pic_io_write(p, 1, 1, 0x02); pic_io_write(p, 1, 1, 0x01);
    pic_io_write(p, 0, 1, 0x00);
    pic_io_write(p, 1, 1, 0x00);
}

static void test_pic(void)
{
    PicPair p;
    pic_bios_init(&p);
    CHECK(!pic_intr(&p), "no interrupt after init");
    pic_set_irq(&p, 3, true);
    pic_set_irq(&p, 1, true);
    CHECK(pic_intr(&p), "INTR with IRQ1/3 raised");
    CHECK(pic_ack(&p) == 0x09, "IRQ1 has priority over IRQ3");
    CHECK(!pic_intr(&p), "IRQ3 blocked while IRQ1 in service");
    pic_io_write(&p, 0, 0, 0x20);  /* non-specific EOI */
    CHECK(pic_intr(&p) && pic_ack(&p) == 0x0b, "IRQ3 after EOI");
    pic_io_write(&p, 0, 0, 0x63);  /* specific EOI for IRQ3 */
    CHECK(!pic_intr(&p), "idle after specific EOI");
    /* Edge triggered: a held line does not re-request. */
    CHECK(!pic_intr(&p), "held edge line does not retrigger");
    pic_set_irq(&p, 1, false);
    pic_set_irq(&p, 3, false);
    /* Slave through cascade. */
    pic_set_irq(&p, 12, true);
    CHECK(pic_intr(&p) && pic_ack(&p) == 0x74, "IRQ12 via slave -> vector 0x74");
    pic_io_write(&p, 1, 0, 0x20);
    pic_io_write(&p, 0, 0, 0x20);
    pic_set_irq(&p, 12, false);
    /* Masking */
    pic_io_write(&p, 0, 1, 0x01);
    pic_set_irq(&p, 0, true);
    CHECK(!pic_intr(&p), "masked IRQ0 not presented");
    CHECK(pic_io_read(&p, 0, 1) == 0x01, "IMR reads back");
    CHECK(pic_io_read(&p, 0, 0) & 1, "IRR shows masked IRQ0");
    pic_io_write(&p, 0, 1, 0x00);
    CHECK(pic_intr(&p) && pic_ack(&p) == 0x08, "unmasked IRQ0");
    pic_io_write(&p, 0, 0, 0x0b);  /* OCW3: read ISR */
    CHECK(pic_io_read(&p, 0, 0) == 0x01, "ISR shows IRQ0");
    pic_io_write(&p, 0, 0, 0x20);
    pic_set_irq(&p, 0, false);
    /* Level triggered via ELCR: request follows the line. */
    p.chip[1].elcr = 0x08;  /* IRQ11 */
    pic_set_irq(&p, 11, true);
    CHECK(pic_intr(&p) && pic_ack(&p) == 0x73, "level IRQ11");
    pic_io_write(&p, 1, 0, 0x20);
    pic_io_write(&p, 0, 0, 0x20);
    CHECK(pic_intr(&p), "level IRQ11 still asserted requests again");
    pic_set_irq(&p, 11, false);
    CHECK(!pic_intr(&p), "level IRQ11 dropped");
    /* Spurious: request vanishes before acknowledge. */
    CHECK(pic_ack(&p) == 0x0f, "spurious IRQ7 vector");
    /* Poll mode */
    pic_set_irq(&p, 5, true);
    pic_io_write(&p, 0, 0, 0x0c);
    CHECK(pic_io_read(&p, 0, 0) == 0x85, "poll returns 0x80|5");
    pic_io_write(&p, 0, 0, 0x20);
    pic_set_irq(&p, 5, false);
    /* Rotation: after rotate-on-EOI of IRQ4, IRQ5 outranks IRQ0. */
    pic_set_irq(&p, 4, true);
    pic_ack(&p);
    pic_io_write(&p, 0, 0, 0xa0);  /* rotate on non-specific EOI */
    pic_set_irq(&p, 0, true);
    pic_set_irq(&p, 5, true);
    CHECK(pic_ack(&p) == 0x0d, "after rotation IRQ5 beats IRQ0");
    /* Special mask mode lets a lower priority through a masked ISR bit. */
    pic_bios_init(&p);
    pic_set_irq(&p, 2 + 1, true);
    pic_ack(&p);                     /* IRQ3 in service */
    pic_io_write(&p, 0, 1, 0x08);    /* mask IRQ3 */
    pic_io_write(&p, 0, 0, 0x68);    /* set special mask mode */
    pic_set_irq(&p, 6, true);
    CHECK(pic_intr(&p) && pic_ack(&p) == 0x0e, "special mask mode admits IRQ6");
}

static void test_pit(void)
{
    Pit p;
    pit_init(&p);
    /* Channel 0, mode 2, lobyte/hibyte, reload 1000 at tick 100. */
    pit_write(&p, 3, 0x34, 100);
    pit_write(&p, 0, 1000 & 0xff, 100);
    pit_write(&p, 0, 1000 >> 8, 100);
    /* Counting starts on the next tick. */
    pit_write(&p, 3, 0x00, 101 + 10);  /* latch */
    unsigned lo = pit_read(&p, 0, 500), hi = pit_read(&p, 0, 500);
    CHECK((hi << 8 | lo) == 990, "latched count after 10 ticks is 990, got %u", hi << 8 | lo);
    CHECK(pit_next_edge(&p, 0, 101 + 10) == 101 + 1000, "next IRQ0 edge one period after start");
    CHECK(pit_out(&p, 0, 101 + 998) && !pit_out(&p, 0, 101 + 999), "mode 2 output low for the last tick");
    /* Read-back status of channel 0: output, access 3, mode 2. */
    pit_write(&p, 3, 0xe2, 101 + 5);
    unsigned st = pit_read(&p, 0, 101 + 5);
    CHECK((st & 0x3f) == 0x34 && (st & 0x80), "read-back status %#x", st);
    /* Channel 2, mode 0: output rises at terminal count. */
    pit_set_gate(&p, 2, true, 0);
    pit_write(&p, 3, 0xb0, 0);
    pit_write(&p, 2, 100, 0);
    pit_write(&p, 2, 0, 0);
    CHECK(!pit_out(&p, 2, 50), "mode 0 output low while counting");
    CHECK(pit_out(&p, 2, 1 + 100), "mode 0 output high at terminal count");
    /* Mode 3 square wave: high half the period. */
    pit_write(&p, 3, 0x36, 0);
    pit_write(&p, 0, 10, 0);
    pit_write(&p, 0, 0, 0);
    CHECK(pit_out(&p, 0, 1 + 4) && !pit_out(&p, 0, 1 + 5), "mode 3 output halves");
    /* Reload 0 means 65536. */
    pit_write(&p, 3, 0x34, 0);
    pit_write(&p, 0, 0, 0);
    pit_write(&p, 0, 0, 0);
    CHECK(pit_next_edge(&p, 0, 1) == 1 + 65536, "reload 0 is 65536");
}

/* IRQ0 edges from the 8254 datasheet's waveforms, for a count N written
 * (lobyte only) at tick T; modes 1 and 5 wait for a gate trigger at G:
 *   mode 0: OUT rises N+1 CLKs after the write        -> T+1+N
 *   mode 1: OUT low after the trigger, high N later   -> G+1+N
 *   mode 2: low for the CLK at count 1, period N      -> T+1+kN
 *   mode 3: square wave, rises each period            -> T+1+kN
 *   mode 4: low for one CLK N+1 CLKs after the write  -> T+1+N+1
 *   mode 5: the same after the trigger                -> G+1+N+1
 * The board asks long after the edge (IF=0 for a while, a slow host): the
 * edge must still be reported, once for a one-shot. */
static void test_pit_late_irq0(void)
{
    const uint64_t T = 1000, G = 1010, LATE = 5000;
    for (unsigned mode = 0; mode <= 5; mode++) {
        for (unsigned n = 1; n <= 3; n++) {
            Pit p;
            pit_init(&p);
            uint64_t next;
            if ((mode == 2 || mode == 3) && n == 1) {
                /* A count of 1 is illegal in modes 2 and 3: the datasheet
                 * gives no waveform; the interrupt must still not be lost. */
                pit_write(&p, 3, (uint8_t)(0x10 | mode << 1), T);
                pit_write(&p, 0, 1, T);
                CHECK(pit_irq0_due(&p, LATE, &next) && next > LATE && next != UINT64_MAX,
                      "mode %u count 1: an edge, and more to come", mode);
                continue;
            }
            CHECK(!pit_irq0_due(&p, T - 1, &next), "mode %u: nothing before programming", mode);
            pit_write(&p, 3, (uint8_t)(0x10 | mode << 1), T);
            pit_write(&p, 0, (uint8_t)n, T);
            bool gated = mode == 1 || mode == 5;
            uint64_t start = (gated ? G : T) + 1;
            uint64_t edge = start + n + (mode == 4 || mode == 5);
            if (gated) {
                CHECK(!pit_irq0_due(&p, G, &next) && next == UINT64_MAX,
                      "mode %u count %u: no edge before the gate trigger", mode, n);
                pit_set_gate(&p, 0, false, G);
                pit_set_gate(&p, 0, true, G);
            }
            CHECK(!pit_irq0_due(&p, edge - 1, &next) && next == edge,
                  "mode %u count %u: next edge %llu, expected %llu", mode, n,
                  (unsigned long long)next, (unsigned long long)edge);
            CHECK(pit_irq0_due(&p, LATE, &next), "mode %u count %u: edge at %llu seen at %llu",
                  mode, n, (unsigned long long)edge, (unsigned long long)LATE);
            bool periodic = mode == 2 || mode == 3;
            uint64_t want = periodic ? start + ((LATE - start) / n + 1) * n : UINT64_MAX;
            CHECK(next == want, "mode %u count %u: then %llu, expected %llu", mode, n,
                  (unsigned long long)next, (unsigned long long)want);
            CHECK(pit_irq0_due(&p, LATE + 3 * n, &next) == periodic,
                  "mode %u count %u: a one-shot edge is reported once", mode, n);
        }
    }
    /* The same edge seen late but before the channel is reprogrammed: the
     * board delivers due edges before the write (hw/pc.c), so only edges of
     * the new programming count afterwards. */
    Pit p;
    pit_init(&p);
    uint64_t next;
    pit_write(&p, 3, 0x10, T);
    pit_write(&p, 0, 1, T);
    pit_write(&p, 3, 0x10, LATE);
    CHECK(!pit_irq0_due(&p, LATE, &next) && next == UINT64_MAX, "a control word stops mode 0");
    pit_write(&p, 0, 2, LATE);
    CHECK(pit_irq0_due(&p, LATE + 3, &next), "the new count's edge at LATE+3");
}

static void test_uart(void)
{
    Uart u;
    uart_init(&u, NULL, NULL, NULL);
    uart_write(&u, 7, 0x5a);
    CHECK(uart_read(&u, 7) == 0x5a, "scratch register");
    uart_write(&u, 3, 0x80);        /* DLAB */
    uart_write(&u, 0, 0x01);
    uart_write(&u, 1, 0x00);
    CHECK(uart_read(&u, 0) == 1 && uart_read(&u, 1) == 0, "divisor latch");
    uart_write(&u, 3, 0x03);
    CHECK((uart_read(&u, 5) & 0x60) == 0x60, "transmitter empty");
    uart_write(&u, 2, 0x07);        /* FIFO on, clear */
    CHECK((uart_read(&u, 2) & 0xc0) == 0xc0, "IIR shows FIFOs enabled (16550A)");
    uart_write(&u, 4, 0x10);        /* loopback */
    for (int i = 0; i < 3; i++)
        uart_write(&u, 0, (uint8_t)('a' + i));
    CHECK(uart_read(&u, 5) & 1, "loopback data ready");
    CHECK(uart_read(&u, 0) == 'a' && uart_read(&u, 0) == 'b' && uart_read(&u, 0) == 'c', "loopback FIFO order");
    CHECK(!(uart_read(&u, 5) & 1), "FIFO drained");
    uart_write(&u, 4, 0x10 | 0x03); /* DTR, RTS looped to DSR, CTS */
    CHECK((uart_read(&u, 6) & 0x30) == 0x30, "loopback modem lines");
    /* Interrupt identification: RX data beats THRE. */
    uart_write(&u, 1, 0x03);
    uart_write(&u, 0, 'x');
    CHECK((uart_read(&u, 2) & 0x0f) == 0x04, "IIR: received data available");
    uart_read(&u, 0);
    CHECK((uart_read(&u, 2) & 0x0f) == 0x02, "IIR: THR empty");
    CHECK((uart_read(&u, 2) & 0x0f) == 0x01, "IIR read cleared THRE");
    /* Overrun with the FIFO off. */
    uart_write(&u, 2, 0x00);
    uart_write(&u, 0, '1');
    uart_write(&u, 0, '2');
    CHECK(uart_read(&u, 5) & 2, "overrun error");
}

/* The terminal escape: Ctrl-A x quits, Ctrl-A Ctrl-A is one Ctrl-A. */
static void test_uart_escape(void)
{
    int fds[2];
    if (pipe(fds)) {
        CHECK(0, "pipe");
        return;
    }
    Chardev chr;
    chr_open_fd(&chr, -1, fds[0], "pipe");
    Uart u;
    uart_init(&u, &chr, NULL, NULL);
    uart_write(&u, 2, 0x01);  /* FIFO on */
    ssize_t w = write(fds[1], "a\001\001b\001x", 6);
    CHECK(w == 6, "write to pipe");
    uart_poll(&u);
    CHECK(chr.quit, "Ctrl-A x quits");
    CHECK(uart_read(&u, 0) == 'a' && uart_read(&u, 0) == 0x01 && uart_read(&u, 0) == 'b',
          "Ctrl-A Ctrl-A passes one Ctrl-A through");
    CHECK(!(uart_read(&u, 5) & 1), "nothing else received");
    close(fds[0]);
    close(fds[1]);
}

static int rtc_irq_level;
static void rtc_irq(void *o, bool l) { (void)o; rtc_irq_level = l; }

static void test_rtc(void)
{
    Rtc r;
    rtc_init(&r, rtc_irq, NULL);
    rtc_set_memory(&r, 256ull << 20, 0);
    rtc_write(&r, 0, 0x17, 0);
    unsigned ext = rtc_read(&r, 1, 0);
    rtc_write(&r, 0, 0x18, 0);
    ext |= (unsigned)rtc_read(&r, 1, 0) << 8;
    CHECK(ext == 0xfc00, "extended memory capped at 63 MiB: %#x", ext);
    rtc_write(&r, 0, 0x34, 0);
    unsigned hi = rtc_read(&r, 1, 0);
    rtc_write(&r, 0, 0x35, 0);
    hi |= (unsigned)rtc_read(&r, 1, 0) << 8;
    CHECK(hi == (256 - 16) * 16, "memory above 16 MiB in 64 KiB units: %u", hi);
    /* -m 5G on the PC: 3 GiB below the hole, 2 GiB above 4 GiB. */
    rtc_set_memory(&r, 3ull << 30, 2ull << 30);
    unsigned b[5];
    for (unsigned i = 0; i < 5; i++) {
        rtc_write(&r, 0, (uint8_t)(i < 2 ? 0x34 + i : 0x5b + i - 2), 0);
        b[i] = rtc_read(&r, 1, 0);
    }
    CHECK((b[0] | b[1] << 8) == ((3u << 30) - (16u << 20)) >> 16, "0x34/0x35 with 3 GiB low");
    CHECK((b[2] | b[3] << 8 | b[4] << 16) == (2u << 30) >> 16, "0x5b-0x5d: 2 GiB above 4 GiB");
    /* Binary vs BCD: minutes in both encodings agree. */
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    rtc_write(&r, 0, 0x09, 0);
    unsigned year_bcd = rtc_read(&r, 1, 0);
    CHECK(year_bcd == (unsigned)(((tm.tm_year % 100) / 10) << 4 | (tm.tm_year % 10)), "BCD year %#x", year_bcd);
    rtc_write(&r, 0, 0x0b, 0);
    rtc_write(&r, 1, 0x06, 0);  /* binary, 24 h */
    rtc_write(&r, 0, 0x09, 0);
    CHECK(rtc_read(&r, 1, 0) == (unsigned)(tm.tm_year % 100), "binary year");
    /* The clock follows guest time from its base, not the host's clock:
     * 2026-01-01 00:00:00 UTC, then 61 s of guest time later. */
    rtc_set_base(&r, 1767225600);
    rtc_write(&r, 0, 0x00, 0);
    unsigned s0 = rtc_read(&r, 1, 0);
    rtc_write(&r, 0, 0x00, 0);
    unsigned s1 = rtc_read(&r, 1, 61000000000ull);
    rtc_write(&r, 0, 0x02, 0);
    unsigned m1 = rtc_read(&r, 1, 61000000000ull);
    rtc_write(&r, 0, 0x09, 0);
    unsigned y1 = rtc_read(&r, 1, 61000000000ull);
    CHECK(s0 == 0 && s1 == 1 && m1 == 1 && y1 == 26, "wall time from guest time: %u s, then %u:%u, "
          "year %u", s0, m1, s1, y1);
    /* NVRAM */
    rtc_write(&r, 0, 0x40, 0);
    rtc_write(&r, 1, 0xa5, 0);
    rtc_write(&r, 0, 0x40, 0);
    CHECK(rtc_read(&r, 1, 0) == 0xa5, "NVRAM byte");
    /* UIP in the last 244 us of a second. */
    rtc_write(&r, 0, 0x0a, 0);
    CHECK(rtc_read(&r, 1, 999900000ull) & 0x80, "UIP set just before the update");
    rtc_write(&r, 0, 0x0a, 0);
    CHECK(!(rtc_read(&r, 1, 500000000ull) & 0x80), "UIP clear mid-second");
    /* Periodic interrupt at 1024 Hz; register C read acknowledges. */
    rtc_write(&r, 0, 0x0b, 0);
    rtc_write(&r, 1, 0x46, 0);  /* PIE, binary, 24 h */
    uint64_t next = rtc_update(&r, 1000000000ull);
    CHECK(next > 1000000000ull && next - 1000000000ull <= 976562, "periodic period 976.5 us: %llu",
          (unsigned long long)(next - 1000000000ull));
    uint64_t after = rtc_update(&r, next);
    CHECK(after - next == 976562, "consecutive periodic ticks 976.5 us apart: %llu",
          (unsigned long long)(after - next));
    CHECK(rtc_irq_level, "IRQ8 raised");
    rtc_write(&r, 0, 0x0c, 0);
    CHECK(rtc_read(&r, 1, next) & 0xc0, "register C shows IRQF|PF");
    CHECK(!rtc_irq_level, "reading C drops IRQ8");
}

static int kbd_irq, a20_on = 1, resets;
static void k_irq(void *o, int irq, bool l) { (void)o; if (irq == 1) kbd_irq = l; }
static void k_a20(void *o, bool on) { (void)o; a20_on = on; }
static void k_reset(void *o) { (void)o; resets++; }

static void test_i8042(void)
{
    I8042 k;
    i8042_init(&k, k_irq, k_a20, k_reset, NULL);
    i8042_write(&k, 4, 0xaa);
    CHECK((i8042_read(&k, 4) & 1) && i8042_read(&k, 0) == 0x55, "self-test 0x55");
    i8042_write(&k, 4, 0x20);
    CHECK(i8042_read(&k, 0) == 0x45, "command byte default");
    i8042_write(&k, 4, 0xd1);
    i8042_write(&k, 0, 0x01);       /* A20 off, reset line high */
    CHECK(!a20_on && resets == 0, "output port: A20 off");
    i8042_write(&k, 4, 0xdf);
    CHECK(a20_on, "A20 on via 0xDF");
    i8042_write(&k, 0, 0xff);       /* keyboard reset */
    CHECK(kbd_irq, "IRQ1 with a byte for the CPU");
    CHECK(i8042_read(&k, 0) == 0xfa && i8042_read(&k, 0) == 0xaa, "keyboard ACK + BAT");
    CHECK(!kbd_irq, "IRQ1 drops when empty");
    i8042_write(&k, 4, 0xfe);
    CHECK(resets == 1, "pulse 0xFE resets");
}

/* fw_cfg's item semantics (QEMU docs/specs/fw_cfg.rst): selecting
 * restarts an item, reads past its end and absent or arch-local keys give
 * 0, files get keys from 0x20 in order and the directory follows. */
static void test_fw_cfg(void)
{
    FwCfg f;
    fw_cfg_init(&f);
    char sig[5] = { 0 };
    fw_cfg_select(&f, FW_CFG_SIGNATURE);
    for (int i = 0; i < 4; i++)
        sig[i] = (char)fw_cfg_read(&f);
    CHECK(!strcmp(sig, "QEMU") && fw_cfg_read(&f) == 0, "signature then 0: '%s'", sig);
    fw_cfg_select(&f, FW_CFG_SIGNATURE);
    CHECK(fw_cfg_read(&f) == 'Q', "select restarts the item");
    fw_cfg_select(&f, FW_CFG_ID);
    CHECK(fw_cfg_read(&f) == 1 && fw_cfg_read(&f) == 0, "ID: traditional interface, no DMA");
    fw_cfg_select(&f, FW_CFG_UUID);
    CHECK(fw_cfg_read(&f) == 0, "absent item reads 0");
    fw_cfg_add_i16(&f, 0x8000 | FW_CFG_NB_CPUS, 1);
    fw_cfg_add_i16(&f, FW_CFG_NB_CPUS, 0x0201);
    fw_cfg_select(&f, 0x8000 | FW_CFG_NB_CPUS);
    CHECK(fw_cfg_read(&f) == 0, "arch-local keys are not the generic ones");
    fw_cfg_select(&f, FW_CFG_NB_CPUS);
    CHECK(fw_cfg_read(&f) == 1 && fw_cfg_read(&f) == 2, "16-bit items little-endian");
    fw_cfg_select(&f, FW_CFG_FILE_DIR);
    CHECK(fw_cfg_read(&f) == 0 && fw_cfg_read(&f) == 0 && fw_cfg_read(&f) == 0 && fw_cfg_read(&f) == 0,
          "empty directory: count 0");
    CHECK(fw_cfg_add_file(&f, "etc/a", (const uint8_t *)"xy", 2) == 0x20 &&
          fw_cfg_add_file(&f, "etc/b", (const uint8_t *)"z", 1) == 0x21 &&
          fw_cfg_add_file(&f, "etc/a", (const uint8_t *)"new", 3) == 0x20, "file keys");
    uint8_t dir[4 + 128];
    fw_cfg_select(&f, FW_CFG_FILE_DIR);
    for (unsigned i = 0; i < sizeof dir; i++)
        dir[i] = fw_cfg_read(&f);
    CHECK(dir[3] == 2 && dir[7] == 3 && dir[9] == 0x20 && !strcmp((char *)dir + 12, "etc/a") &&
          dir[64 + 7] == 1 && dir[64 + 9] == 0x21 && !strcmp((char *)dir + 64 + 12, "etc/b"),
          "directory: big-endian count, sizes, keys, names");
    char name[80];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    CHECK(fw_cfg_add_file(&f, name, NULL, 0) == -1, "a name over 55 characters is refused");
    int last = 0;
    for (int i = 0; i < FW_CFG_MAX_FILES; i++) {
        snprintf(name, sizeof name, "f%d", i);
        last = fw_cfg_add_file(&f, name, (const uint8_t *)"1", 1);
    }
    CHECK(last == -1, "more than %d files are refused", FW_CFG_MAX_FILES);
    fw_cfg_free(&f);
}

int main(void)
{
    test_pic();
    test_pit();
    test_pit_late_irq0();
    test_uart();
    test_uart_escape();
    test_rtc();
    test_i8042();
    test_fw_cfg();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

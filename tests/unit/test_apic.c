/* test_apic.c — the local APIC and the IO-APIC at register level, against
 * the SDM (Vol. 3A ch. 10) and the 82093AA datasheet, with a fake clock:
 * priorities, TPR/PPR, INTA and EOI, ISR nesting, the spurious vector, LVT
 * masking, software disable, the timer in its three modes and its divider,
 * ESR, self-IPIs, and the IO-APIC's edge/level entries with remote IRR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/model.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"
#include "softmmu/mem.h"
#include "vm/machine.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

/* A board around one LAPIC and one IO-APIC. */
typedef struct ApicRig {
    Lapic l;
    Ioapic io;
    bool pic_out;       /* the 8259's INTR */
    int pic_vector, pic_acks, nmis, logs;
    uint8_t last_eoi;
} ApicRig;

static int b_pic_ack(void *o) { ApicRig *b = o; b->pic_acks++; return b->pic_vector; }
static void b_eoi(void *o, uint8_t v) { ApicRig *b = o; b->last_eoi = v; ioapic_eoi(&b->io, v); }
static void b_nmi(void *o) { ((ApicRig *)o)->nmis++; }
static void b_log(void *o, const char *msg) { (void)msg; ((ApicRig *)o)->logs++; }
static bool b_deliver(void *o, bool logical, uint8_t dest, unsigned mode, uint8_t vector, bool level)
{
    ApicRig *b = o;
    if (!lapic_match_dest(&b->l, logical, dest))
        return false;
    lapic_deliver(&b->l, mode, vector, level);
    return true;
}

static void board_init(ApicRig *b)
{
    memset(b, 0, sizeof *b);
    b->l.pic_ack = b_pic_ack;
    b->l.eoi = b_eoi;
    b->l.nmi = b_nmi;
    b->l.log = b_log;
    b->l.opaque = b;
    lapic_reset(&b->l);
    b->io.deliver = b_deliver;
    b->io.log = b_log;
    b->io.opaque = b;
    ioapic_reset(&b->io);
}

static uint32_t rd(ApicRig *b, unsigned off, uint64_t now) { return (uint32_t)lapic_mmio_read(&b->l, off, 4, now); }
static void wr(ApicRig *b, unsigned off, uint32_t v, uint64_t now) { lapic_mmio_write(&b->l, off, v, 4, now); }
static bool irr(ApicRig *b, unsigned v) { return rd(b, 0x200 + (v / 32) * 16, 0) >> (v % 32) & 1; }
static bool isr(ApicRig *b, unsigned v) { return rd(b, 0x100 + (v / 32) * 16, 0) >> (v % 32) & 1; }
static bool tmr(ApicRig *b, unsigned v) { return rd(b, 0x180 + (v / 32) * 16, 0) >> (v % 32) & 1; }
static void enable(ApicRig *b) { wr(b, 0xf0, 0x1ff, 0); }

static void test_reset(void)
{
    ApicRig b;
    board_init(&b);
    /* SDM 10.4.7.1: LVTs masked, SVR 0xFF, DFR all ones, the rest 0. */
    CHECK(b.l.base_msr == 0xfee00900ull, "IA32_APIC_BASE after reset %#llx", (unsigned long long)b.l.base_msr);
    CHECK(rd(&b, 0xf0, 0) == 0xff, "SVR after reset %#x", rd(&b, 0xf0, 0));
    CHECK(rd(&b, 0xe0, 0) == 0xffffffffu, "DFR after reset");
    for (unsigned i = 0; i < 6; i++)
        CHECK(rd(&b, 0x320 + 16 * i, 0) == 0x10000, "LVT %u after reset %#x", i, rd(&b, 0x320 + 16 * i, 0));
    CHECK(rd(&b, 0x30, 0) == LAPIC_VERSION && (LAPIC_VERSION >> 16 & 0xff) == 5, "version, max LVT 5");
    CHECK(rd(&b, 0x80, 0) == 0 && rd(&b, 0x380, 0) == 0 && rd(&b, 0x3e0, 0) == 0, "TPR, initial count, DCR 0");
    /* Software-disabled: LVT masks cannot be cleared. */
    wr(&b, 0x350, 0x700, 0);
    CHECK(rd(&b, 0x350, 0) == 0x10700, "LVT LINT0 stays masked while software-disabled: %#x", rd(&b, 0x350, 0));
    /* 32-bit aligned accesses only. */
    int logs = b.logs;
    CHECK(lapic_mmio_read(&b.l, 0xf1, 1, 0) == 0 && lapic_mmio_read(&b.l, 0xf0, 2, 0) == 0 &&
          lapic_mmio_read(&b.l, 0xf4, 4, 0) == 0, "sub-word and unaligned reads read 0");
    lapic_mmio_write(&b.l, 0xf0, 0x1ff, 1, 0);
    CHECK(rd(&b, 0xf0, 0) == 0xff && b.logs == logs + 4, "a byte write is dropped; each logged");
}

static void test_priority(void)
{
    ApicRig b;
    board_init(&b);
    enable(&b);
    CHECK(!lapic_intr(&b.l, b.pic_out), "idle");
    lapic_deliver(&b.l, DM_FIXED, 0x41, false);
    lapic_deliver(&b.l, DM_FIXED, 0x62, false);
    CHECK(irr(&b, 0x41) && irr(&b, 0x62), "both in IRR");
    CHECK(lapic_intr(&b.l, b.pic_out) && lapic_ack(&b.l, b.pic_out) == 0x62, "highest vector first");
    CHECK(isr(&b, 0x62) && !irr(&b, 0x62), "IRR -> ISR on INTA");
    CHECK(rd(&b, 0xa0, 0) == 0x60, "PPR = ISRV class: %#x", rd(&b, 0xa0, 0));
    CHECK(!lapic_intr(&b.l, b.pic_out), "0x41 is blocked by 0x62 in service");
    /* A higher class nests. */
    lapic_deliver(&b.l, DM_FIXED, 0x75, false);
    CHECK(lapic_intr(&b.l, b.pic_out) && lapic_ack(&b.l, b.pic_out) == 0x75, "0x75 nests over 0x62");
    /* Same class does not nest. */
    lapic_deliver(&b.l, DM_FIXED, 0x7f, false);
    CHECK(!lapic_intr(&b.l, b.pic_out), "0x7f does not preempt 0x75 (same class)");
    wr(&b, 0xb0, 0, 0);  /* EOI retires 0x75 */
    CHECK(!isr(&b, 0x75) && isr(&b, 0x62), "EOI clears the highest ISR bit only");
    CHECK(lapic_ack(&b.l, b.pic_out) == 0x7f, "0x7f after the EOI");
    wr(&b, 0xb0, 0, 0);
    wr(&b, 0xb0, 0, 0);
    CHECK(lapic_ack(&b.l, b.pic_out) == 0x41 && !isr(&b, 0x62), "0x41 after 0x62 retires");
    wr(&b, 0xb0, 0, 0);
    CHECK(!lapic_intr(&b.l, b.pic_out) && rd(&b, 0xa0, 0) == 0, "all retired, PPR 0");
    wr(&b, 0xb0, 0, 0);  /* EOI with nothing in service: no effect */
    CHECK(rd(&b, 0xa0, 0) == 0, "spare EOI harmless");

    /* TPR masks classes at or below it. */
    wr(&b, 0x80, 0x55, 0);
    lapic_deliver(&b.l, DM_FIXED, 0x5f, false);
    CHECK(!lapic_intr(&b.l, b.pic_out) && rd(&b, 0xa0, 0) == 0x55, "TPR 0x55 holds 0x5f; PPR = TPR");
    lapic_deliver(&b.l, DM_FIXED, 0x60, false);
    CHECK(lapic_intr(&b.l, b.pic_out) && lapic_ack(&b.l, b.pic_out) == 0x60, "0x60 beats TPR 0x55");
    CHECK(rd(&b, 0xa0, 0) == 0x60, "PPR = ISRV class over a lower TPR");
    wr(&b, 0xb0, 0, 0);
    /* CR8 is TPR[7:4]; writing it clears TPR[3:0]. */
    CHECK(lapic_get_cr8(&b.l) == 5, "CR8 reads TPR[7:4]");
    lapic_set_cr8(&b.l, 4);
    CHECK(rd(&b, 0x80, 0) == 0x40, "CR8 = 4 -> TPR 0x40");
    CHECK(lapic_intr(&b.l, b.pic_out) && lapic_ack(&b.l, b.pic_out) == 0x5f, "0x5f released by the lower TPR");
    wr(&b, 0xb0, 0, 0);

    /* Spurious: INTR seen, then the TPR rises before INTA. */
    wr(&b, 0xf0, 0x1ef, 0);
    wr(&b, 0x80, 0, 0);
    lapic_deliver(&b.l, DM_FIXED, 0x33, false);
    CHECK(lapic_intr(&b.l, b.pic_out), "0x33 pending");
    wr(&b, 0x80, 0xf0, 0);
    CHECK(lapic_ack(&b.l, b.pic_out) == 0xef && irr(&b, 0x33) && !isr(&b, 0x33),
          "withdrawn between INTR and INTA: the spurious vector, nothing in service");
    wr(&b, 0x80, 0, 0);
    CHECK(lapic_ack(&b.l, b.pic_out) == 0x33, "delivered once the TPR drops");
    wr(&b, 0xb0, 0, 0);

    /* Level-triggered acceptance sets TMR; its EOI goes to the IO-APIC. */
    lapic_deliver(&b.l, DM_FIXED, 0x90, true);
    CHECK(tmr(&b, 0x90), "TMR set for a level vector");
    lapic_ack(&b.l, b.pic_out);
    b.last_eoi = 0;
    wr(&b, 0xb0, 0, 0);
    CHECK(b.last_eoi == 0x90, "level EOI broadcast (vector %#x)", b.last_eoi);
    lapic_deliver(&b.l, DM_FIXED, 0x91, false);
    lapic_ack(&b.l, b.pic_out);
    b.last_eoi = 0;
    wr(&b, 0xb0, 0, 0);
    CHECK(b.last_eoi == 0 && !tmr(&b, 0x91), "edge EOI not broadcast");

    /* APR per the P6 formula. */
    wr(&b, 0x80, 0x20, 0);
    lapic_deliver(&b.l, DM_FIXED, 0x10 + 0x30, false);  /* IRR 0x40 outside TPR */
    CHECK(rd(&b, 0x90, 0) == 0x40, "APR = IRRV class %#x", rd(&b, 0x90, 0));
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    CHECK(rd(&b, 0x90, 0) == 0x20, "APR = TPR when nothing beats it");
}

static void test_disable_and_extint(void)
{
    ApicRig b;
    board_init(&b);
    /* Software-disabled: IRR kept but nothing delivered; PIC masked out. */
    lapic_deliver(&b.l, DM_FIXED, 0x50, false);
    b.pic_out = true;
    b.pic_vector = 0x20;
    CHECK(!lapic_intr(&b.l, b.pic_out) && irr(&b, 0x50), "software-disabled: held in IRR, INTR low");
    lapic_virtual_wire(&b.l);
    CHECK(lapic_intr(&b.l, b.pic_out), "virtual wire: INTR");
    CHECK(lapic_ack(&b.l, b.pic_out) == 0x50, "the fixed vector before ExtINT");
    wr(&b, 0xb0, 0, 0);
    CHECK(lapic_ack(&b.l, b.pic_out) == 0x20 && b.pic_acks == 1, "LINT0 ExtINT: the 8259's vector via its INTA");
    CHECK(rd(&b, 0xa0, 0) == 0, "ExtINT bypasses ISR/PPR");
    wr(&b, 0x80, 0xf0, 0);
    CHECK(lapic_intr(&b.l, b.pic_out), "ExtINT ignores the TPR");
    wr(&b, 0x80, 0, 0);
    wr(&b, 0x350, 0x10700, 0);
    CHECK(!lapic_intr(&b.l, b.pic_out), "LINT0 masked: the 8259 does not get through");
    b.pic_out = false;
    /* Clearing SVR[8] sets every LVT mask. */
    wr(&b, 0x350, 0x700, 0);
    wr(&b, 0x320, 0x30, 0);
    wr(&b, 0xf0, 0xff, 0);
    CHECK((rd(&b, 0x350, 0) & 0x10000) && (rd(&b, 0x320, 0) & 0x10000), "software disable masks the LVT");
    /* LINT1 as NMI on a rising edge. */
    enable(&b);
    wr(&b, 0x360, 0x400, 0);
    lapic_set_lint(&b.l, 1, true);
    lapic_set_lint(&b.l, 1, true);
    CHECK(b.nmis == 1, "LINT1 NMI once per rising edge (%d)", b.nmis);
    lapic_set_lint(&b.l, 1, false);
    wr(&b, 0x360, 0x10400, 0);
    lapic_set_lint(&b.l, 1, true);
    CHECK(b.nmis == 1, "masked LINT1: no NMI");
    /* Global disable: back to the reset state; re-enable keeps it. */
    wr(&b, 0x80, 0x30, 0);
    lapic_set_base_msr(&b.l, 0xfee00000ull);
    CHECK(!lapic_enabled(&b.l) && b.l.tpr == 0 && b.l.svr == 0xff && (b.l.base_msr & APIC_BASE_BSP),
          "EN cleared: reset state, BSP kept");
    lapic_set_base_msr(&b.l, 0xfee00800ull);
    CHECK(lapic_enabled(&b.l) && b.l.svr == 0xff, "EN set again: still reset state");
}

static void test_timer(void)
{
    ApicRig b;
    board_init(&b);
    enable(&b);
    /* One-shot, divide by 1 (DCR 0xB): 1 tick per ns at LAPIC_TIMER_HZ. */
    CHECK(LAPIC_TIMER_HZ == 1000000000ull, "the timer runs from the 1 GHz TSC clock");
    wr(&b, 0x3e0, 0xb, 0);
    wr(&b, 0x320, 0x40, 0);
    wr(&b, 0x380, 1000, 100);
    CHECK(rd(&b, 0x390, 100) == 1000 && rd(&b, 0x390, 600) == 500, "current count counts down");
    CHECK(lapic_update(&b.l, 1099) == 1100 && !irr(&b, 0x40), "fires at 100 + 1000");
    CHECK(lapic_update(&b.l, 5000) == UINT64_MAX && irr(&b, 0x40), "fired even when seen late; one-shot disarms");
    CHECK(rd(&b, 0x390, 6000) == 0 && rd(&b, 0x380, 0) == 1000, "current 0, initial kept");
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    /* Divide by 2 (DCR 0) and by 128 (DCR 0xA). */
    wr(&b, 0x3e0, 0x0, 0);
    wr(&b, 0x380, 10, 0);
    CHECK(b.l.timer_next_ns == 20, "divide by 2: 10 ticks = 20 ns (%llu)", (unsigned long long)b.l.timer_next_ns);
    wr(&b, 0x3e0, 0xa, 0);
    wr(&b, 0x380, 10, 0);
    CHECK(b.l.timer_next_ns == 1280 && rd(&b, 0x390, 640) == 5, "divide by 128");
    /* Changing the divider goes on from the current count at the new rate. */
    wr(&b, 0x3e0, 0xb, 640);
    CHECK(b.l.timer_next_ns == 645 && rd(&b, 0x390, 642) == 3, "divider change mid-count");
    wr(&b, 0x380, 0, 643);
    CHECK(lapic_update(&b.l, 100000) == UINT64_MAX && !irr(&b, 0x40), "initial count 0 stops it");
    /* Periodic. */
    wr(&b, 0x320, 0x20041, 0);
    wr(&b, 0x380, 100, 1000);
    CHECK(lapic_update(&b.l, 1100) == 1200 && irr(&b, 0x41), "periodic: first at 1100, next 1200");
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    CHECK(rd(&b, 0x390, 1150) == 50, "count reloads: 50 at 1150");
    CHECK(lapic_update(&b.l, 1555) == 1600 && irr(&b, 0x41), "missed periods coalesce, phase kept");
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    /* Masked: counts but does not interrupt. */
    wr(&b, 0x320, 0x30041, 1555);
    CHECK(b.l.timer_next_ns == 1600, "masking does not change the mode or disarm");
    lapic_update(&b.l, 1700);
    CHECK(!irr(&b, 0x41) && b.l.timer_next_ns == 1800, "masked timer: no interrupt, still periodic");
    /* Mode change disarms. */
    wr(&b, 0x320, 0x41, 1700);
    CHECK(b.l.timer_next_ns == UINT64_MAX, "periodic -> one-shot disarms");
    /* TSC-deadline. */
    lapic_set_tsc_deadline(&b.l, 5000, 1000, 2000);
    CHECK(lapic_get_tsc_deadline(&b.l) == 0 && b.l.timer_next_ns == UINT64_MAX,
          "IA32_TSC_DEADLINE ignored outside TSC-deadline mode");
    wr(&b, 0x320, 0x40042, 2000);
    wr(&b, 0x380, 77, 2000);
    CHECK(rd(&b, 0x380, 2000) == 0 && rd(&b, 0x390, 2000) == 0, "initial count ignored, current reads 0");
    /* TSC 1000 at ns 2000: deadline TSC 5000 is ns 6000. */
    lapic_set_tsc_deadline(&b.l, 5000, 1000, 2000);
    CHECK(lapic_get_tsc_deadline(&b.l) == 5000 && lapic_update(&b.l, 5999) == 6000 && !irr(&b, 0x42),
          "armed for TSC 5000");
    CHECK(lapic_update(&b.l, 6000) == UINT64_MAX && irr(&b, 0x42) && lapic_get_tsc_deadline(&b.l) == 0,
          "fires at the deadline and clears the MSR");
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    lapic_set_tsc_deadline(&b.l, 10, 1000, 7000);
    CHECK(lapic_update(&b.l, 7000) == UINT64_MAX && irr(&b, 0x42), "a deadline in the past fires at once");
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    lapic_set_tsc_deadline(&b.l, ~0ull, 1000, 7000);
    CHECK(lapic_update(&b.l, 1ull << 62) != UINT64_MAX && !irr(&b, 0x42), "a deadline of 2^64-1 does not wrap");
    lapic_set_tsc_deadline(&b.l, 9000, 1000, 7000);
    lapic_set_tsc_deadline(&b.l, 0, 1000, 7000);
    CHECK(lapic_update(&b.l, 100000) == UINT64_MAX && !irr(&b, 0x42), "writing 0 disarms");
    lapic_set_tsc_deadline(&b.l, 9000, 1000, 7000);
    wr(&b, 0x320, 0x42, 7000);
    CHECK(b.l.timer_next_ns == UINT64_MAX && lapic_get_tsc_deadline(&b.l) == 0, "leaving deadline mode disarms");
}

static void test_esr_ipi(void)
{
    ApicRig b;
    board_init(&b);
    enable(&b);
    /* An illegal vector (0-15) is refused and logged in ESR, which shows
     * only after a write. */
    lapic_deliver(&b.l, DM_FIXED, 5, false);
    CHECK(!irr(&b, 5) && rd(&b, 0x280, 0) == 0, "ESR reads 0 before the write");
    wr(&b, 0x280, 0, 0);
    CHECK(rd(&b, 0x280, 0) == ESR_RECV_ILLEGAL, "receive illegal vector after the ESR write");
    wr(&b, 0x280, 0, 0);
    CHECK(rd(&b, 0x280, 0) == 0, "the next write clears it");
    /* LVT error interrupt. */
    wr(&b, 0x370, 0xfe, 0);
    wr(&b, 0x300, 0x40003, 0);  /* self-IPI, fixed, vector 3: send illegal */
    wr(&b, 0x280, 0, 0);
    CHECK(rd(&b, 0x280, 0) == ESR_SEND_ILLEGAL && irr(&b, 0xfe), "send illegal vector raises the error vector");
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    rd(&b, 0x2f0, 0);  /* LVT CMCI: reserved with max LVT 5 */
    wr(&b, 0x280, 0, 0);
    CHECK(rd(&b, 0x280, 0) == ESR_ILLEGAL_REG && irr(&b, 0xfe), "reserved register: illegal register address");
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    /* Self-IPIs: shorthand self, all including self, and our own ID. */
    wr(&b, 0x300, 0x40061, 0);
    CHECK(irr(&b, 0x61) && (rd(&b, 0x300, 0) & 0x1000) == 0, "self-IPI fixed; delivery status idle");
    wr(&b, 0x300, 0x80062, 0);
    CHECK(irr(&b, 0x62), "all-including-self fixed");
    wr(&b, 0x310, 0, 0);
    wr(&b, 0x300, 0x00063, 0);
    CHECK(irr(&b, 0x63), "physical destination 0 is us");
    int logs = b.logs;
    wr(&b, 0x310, 0x05000000, 0);
    wr(&b, 0x300, 0x00064, 0);
    CHECK(!irr(&b, 0x64) && b.logs == logs + 1, "destination 5: no such CPU, logged");
    wr(&b, 0x300, 0xc0065, 0);
    CHECK(!irr(&b, 0x65) && b.logs == logs + 2, "all-excluding-self: nobody, logged");
    wr(&b, 0x300, 0x40400, 0);
    CHECK(b.nmis == 1, "NMI to self");
    /* Logical destinations: flat and cluster. */
    wr(&b, 0xd0, 0x04000000, 0);
    CHECK(lapic_match_dest(&b.l, true, 0x06) && !lapic_match_dest(&b.l, true, 0x09), "flat: bit 2");
    wr(&b, 0xe0, 0x0fffffff, 0);
    wr(&b, 0xd0, 0x31000000, 0);
    CHECK(lapic_match_dest(&b.l, true, 0x33) && !lapic_match_dest(&b.l, true, 0x21) &&
          !lapic_match_dest(&b.l, true, 0x32), "cluster 3, member bit 0");
    CHECK(lapic_match_dest(&b.l, false, 0xff) && lapic_match_dest(&b.l, true, 0xff), "broadcast");
}

static uint32_t io_rd(ApicRig *b, unsigned reg) { ioapic_mmio_write(&b->io, 0, reg, 4); return (uint32_t)ioapic_mmio_read(&b->io, 0x10, 4); }
static void io_wr(ApicRig *b, unsigned reg, uint32_t v) { ioapic_mmio_write(&b->io, 0, reg, 4); ioapic_mmio_write(&b->io, 0x10, v, 4); }

static void test_ioapic(void)
{
    ApicRig b;
    board_init(&b);
    enable(&b);
    CHECK(io_rd(&b, 1) == 0x00170011, "version 0x11, 24 entries");
    io_wr(&b, 0, 0x0a000000);
    CHECK(io_rd(&b, 0) == 0x0a000000 && io_rd(&b, 2) == 0x0a000000, "ID and arbitration ID");
    CHECK(io_rd(&b, 0x10) == 0x10000 && io_rd(&b, 0x10 + 2 * 23) == 0x10000, "entries masked at reset");
    /* Edge, pin 2 (the PIT). */
    ioapic_set_irq(&b.io, 2, true);
    ioapic_set_irq(&b.io, 2, false);
    CHECK(!lapic_intr(&b.l, b.pic_out), "masked edge is lost");
    io_wr(&b, 0x15, 0);
    io_wr(&b, 0x14, 0x30);
    CHECK(io_rd(&b, 0x14) == 0x30, "entry reads back");
    ioapic_set_irq(&b.io, 2, true);
    CHECK(irr(&b, 0x30) && !tmr(&b, 0x30), "edge delivered, TMR clear");
    ioapic_set_irq(&b.io, 2, true);
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    CHECK(!irr(&b, 0x30), "a held edge input does not resend");
    ioapic_set_irq(&b.io, 2, false);
    ioapic_set_irq(&b.io, 2, true);
    CHECK(irr(&b, 0x30), "the next rising edge does");
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    /* Level, pin 9 (SCI): remote IRR until the EOI. */
    io_wr(&b, 0x22, 0x18039);
    ioapic_set_irq(&b.io, 9, true);
    CHECK(!irr(&b, 0x39), "masked level entry: nothing");
    io_wr(&b, 0x22, 0x8039);
    CHECK(irr(&b, 0x39) && tmr(&b, 0x39) && (io_rd(&b, 0x22) & 0x4000), "unmasking an asserted level input sends; remote IRR");
    CHECK(lapic_ack(&b.l, b.pic_out) == 0x39, "level vector acknowledged");
    CHECK(!irr(&b, 0x39), "no resend while remote IRR is set");
    wr(&b, 0xb0, 0, 0);
    CHECK(b.last_eoi == 0x39 && irr(&b, 0x39) && (io_rd(&b, 0x22) & 0x4000), "EOI with the line still up: sent again");
    ioapic_set_irq(&b.io, 9, false);
    lapic_ack(&b.l, b.pic_out);
    wr(&b, 0xb0, 0, 0);
    CHECK(!irr(&b, 0x39) && !(io_rd(&b, 0x22) & 0x4000), "EOI with the line down: remote IRR clear, nothing sent");
    /* Active-low polarity: the input is asserted while low. */
    io_wr(&b, 0x24, 0xa03a);  /* pin 10, level, active low, unmasked */
    CHECK(irr(&b, 0x3a), "active-low level input idle-low is asserted");
    lapic_ack(&b.l, b.pic_out);
    ioapic_set_irq(&b.io, 10, true);
    wr(&b, 0xb0, 0, 0);
    CHECK(!irr(&b, 0x3a), "deasserted by driving it high");
    /* Delivery modes: NMI, ExtINT, and a destination nobody has. */
    io_wr(&b, 0x26, 0x400);
    ioapic_set_irq(&b.io, 11, true);
    CHECK(b.nmis == 1, "NMI delivery mode");
    io_wr(&b, 0x10, 0x700);
    b.pic_out = true;
    b.pic_vector = 0x28;
    wr(&b, 0x350, 0x10700, 0);
    ioapic_set_irq(&b.io, 0, true);
    CHECK(lapic_intr(&b.l, b.pic_out) && lapic_ack(&b.l, b.pic_out) == 0x28, "ExtINT through the IO-APIC: the 8259's vector");
    b.pic_out = false;
    int logs = b.logs;
    io_wr(&b, 0x29, 0x07000000);
    io_wr(&b, 0x28, 0x44);
    ioapic_set_irq(&b.io, 12, true);
    CHECK(!irr(&b, 0x44) && b.logs == logs + 1, "physical destination 7: nobody, logged");
    /* Logical destination to our LDR. */
    wr(&b, 0xd0, 0x01000000, 0);
    io_wr(&b, 0x2b, 0x01000000);
    io_wr(&b, 0x2a, 0x845);
    ioapic_set_irq(&b.io, 13, true);
    CHECK(irr(&b, 0x45), "logical destination 1 (flat)");
    /* Remote IRR and delivery status are read-only. */
    io_wr(&b, 0x2c, 0x15046);
    CHECK(io_rd(&b, 0x2c) == 0x10046, "bits 12 and 14 ignore writes");
    CHECK(ioapic_mmio_read(&b.io, 0x10, 1) == 0, "byte access refused");
}

/* IA32_APIC_BASE relocation moves the board's region (mem_move_region):
 * the new page answers, the old one is unmapped, an overlap is refused. */
static uint64_t page_rd(void *o, uint64_t a, unsigned s) { (void)o; (void)s; return 0x1234 + a; }

static void test_move_region(void)
{
    Mem m;
    char err[200];
    CHECK(mem_init(&m, 1 << 20, err, sizeof err) == 0, "mem_init: %s", err);
    Region r = { .name = "lapic", .start = LAPIC_DEFAULT_BASE, .size = LAPIC_SIZE,
                 .kind = REGION_IO, .read = page_rd };
    CHECK(mem_add_region(&m, &r, err, sizeof err) == 0, "add: %s", err);
    CHECK(mem_phys_read(&m, LAPIC_DEFAULT_BASE + 0x30, 4) == 0x1264, "at the default base");
    CHECK(mem_move_region(&m, "lapic", 0xfef00000ull, err, sizeof err) == 0, "move: %s", err);
    CHECK(mem_phys_read(&m, 0xfef00030ull, 4) == 0x1264 &&
          mem_phys_read(&m, LAPIC_DEFAULT_BASE + 0x30, 4) == 0xffffffffu, "moved; old page unmapped");
    CHECK(mem_move_region(&m, "lapic", 0x1000, err, sizeof err) == -1 && strstr(err, "overlaps 'ram'"),
          "onto RAM refused: %s", err);
    CHECK(mem_phys_read(&m, 0xfef00030ull, 4) == 0x1264, "stays where it was");
    CHECK(mem_move_region(&m, "nothing", 0, err, sizeof err) == -1, "unknown region refused");
    mem_free(&m);
}

/* The PC board has a local APIC, so CPUID says so (both models): APIC,
 * the TSC-deadline timer and ARAT, and never x2APIC. */
static void test_cpuid_bits(void)
{
    const char *models[] = { "intel", "amd" };
    for (unsigned i = 0; i < 2; i++) {
        Machine *m = calloc(1, sizeof *m);
        char err[200];
        MachineConfig cfg = { .ram_size = 16 << 20, .serial = CHR_NONE, .icount_shift = -1,
                              .cpu_model = cpu_model_find(models[i]) };
        CHECK(m && machine_init_pc(m, &cfg, err, sizeof err) == 0, "machine_init_pc: %s", err);
        CPU *cpu = &m->cpu;
        CHECK(cpuid_has(cpu, 1, CPUID_EDX, 9) && cpuid_has(cpu, 1, CPUID_ECX, 24) &&
              cpuid_has(cpu, 6, CPUID_EAX, 2) && !cpuid_has(cpu, 1, CPUID_ECX, 21),
              "%s: APIC, TSC-deadline, ARAT advertised, x2APIC not", models[i]);
        machine_free(m);
        free(m);
    }
}

int main(void)
{
    test_cpuid_bits();
    test_reset();
    test_priority();
    test_disable_and_extint();
    test_timer();
    test_esr_ipi();
    test_ioapic();
    test_move_region();
    printf("test_apic: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}

/* lapic.h — the local APIC of the one CPU, in xAPIC mode (SDM Vol. 3A
 * ch. 10 / "Advanced Programmable Interrupt Controller").
 *
 * Times are passed in (ns of the board's clock), so the model has no
 * clock of its own and the unit tests drive it with a fake one.  The board
 * (hw/pc.c) maps the registers at the IA32_APIC_BASE address, forwards the
 * CPU's IA32_APIC_BASE / IA32_TSC_DEADLINE / CR8 accesses, and asks it for
 * the CPU's INTR line.
 */
#ifndef RZ_LAPIC_H
#define RZ_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "../cpu/cpu.h"

/* The timer's input clock before the divide configuration: the TSC's
 * 1 GHz, which CPUID leaf 0x15 advertises as the crystal clock. */
#define LAPIC_TIMER_HZ ((uint64_t)CPU_TSC_HZ)
#define LAPIC_DEFAULT_BASE 0xfee00000ull
#define LAPIC_SIZE 0x1000u
/* Version 0x14 (an integrated xAPIC), max LVT entry 5: timer, thermal,
 * performance, LINT0, LINT1, error.  No CMCI, no EOI-broadcast suppression. */
#define LAPIC_VERSION 0x00050014u

enum { MSR_IA32_APIC_BASE = 0x1b, MSR_IA32_TSC_DEADLINE = 0x6e0 };
enum { APIC_BASE_BSP = 1u << 8, APIC_BASE_EXTD = 1u << 10, APIC_BASE_EN = 1u << 11 };

/* Local vector table entries, in register order from 0x320. */
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

/* Delivery modes (LVT, ICR and IO-APIC redirection entries, bits 10:8). */
enum { DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_STARTUP = 6, DM_EXTINT = 7 };

/* ESR bits (Pentium 4 and later). */
enum { ESR_SEND_ILLEGAL = 1u << 5, ESR_RECV_ILLEGAL = 1u << 6, ESR_ILLEGAL_REG = 1u << 7 };

typedef struct Lapic {
    uint64_t base_msr;      /* IA32_APIC_BASE */
    uint32_t id, tpr, ldr, dfr, svr;
    uint32_t esr, esr_pending; /* visible ESR; errors since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    uint32_t dcr;           /* divide configuration */
    uint32_t initial_count;
    uint32_t irr[8], isr[8], tmr[8];   /* 256-bit sets, vector v in word v/32 */
    uint8_t irr_words;      /* bit i: irr[i] != 0 (INTR is polled per block) */
    /* Timer: the count was timer_count at timer_base_ns; it fires at
     * timer_next_ns (UINT64_MAX: not armed). */
    uint64_t timer_base_ns, timer_next_ns;
    uint32_t timer_count;
    uint64_t tsc_deadline;  /* IA32_TSC_DEADLINE as written (0: disarmed) */
    bool lint[2];           /* LINT0/LINT1 pin levels */
    bool extint_req;        /* an ExtINT message (IO-APIC) awaits INTA */

    /* The board: the 8259's acknowledge (ExtINT), the EOI of a
     * level-triggered vector (to the IO-APIC), NMI to the CPU, and
     * guest_errors logging. */
    int (*pic_ack)(void *opaque);
    void (*eoi)(void *opaque, uint8_t vector);
    void (*nmi)(void *opaque);
    void (*log)(void *opaque, const char *msg);
    void *opaque;
} Lapic;

/* Power-up: hooks kept, IA32_APIC_BASE = LAPIC_DEFAULT_BASE | BSP | EN. */
void lapic_reset(Lapic *l);
/* INIT / global re-enable: registers to their reset values; IA32_APIC_BASE
 * and the APIC ID are kept. */
void lapic_init_state(Lapic *l);
/* What firmware leaves before it starts an OS ("virtual wire" mode through
 * the local APIC, as MP spec 3.6.2.2): software-enabled, LINT0 ExtINT,
 * LINT1 NMI, so the 8259 reaches the CPU. */
void lapic_virtual_wire(Lapic *l);

static inline bool lapic_enabled(const Lapic *l) { return l->base_msr & APIC_BASE_EN; }
static inline uint64_t lapic_base(const Lapic *l) { return l->base_msr & ~0xfffull; }

/* Register access at offset in the 4 KiB page: 32-bit aligned accesses to
 * bytes 0-3 of a 16-byte register; anything else is logged and reads 0. */
uint64_t lapic_mmio_read(Lapic *l, uint64_t offset, unsigned size, uint64_t now_ns);
void lapic_mmio_write(Lapic *l, uint64_t offset, uint64_t val, unsigned size, uint64_t now_ns);

/* IA32_APIC_BASE: false for a value the CPU refuses (#GP). */
bool lapic_set_base_msr(Lapic *l, uint64_t v);
/* IA32_TSC_DEADLINE with the TSC at this moment (1 GHz, like now_ns). */
uint64_t lapic_get_tsc_deadline(const Lapic *l);
void lapic_set_tsc_deadline(Lapic *l, uint64_t v, uint64_t tsc, uint64_t now_ns);
/* CR8 in 64-bit mode: TPR[7:4]. */
static inline uint8_t lapic_get_cr8(const Lapic *l) { return (uint8_t)(l->tpr >> 4); }
static inline void lapic_set_cr8(Lapic *l, uint8_t v) { l->tpr = (uint32_t)(v & 15) << 4; }

/* An interrupt message (IO-APIC, self-IPI): delivery mode, vector and
 * trigger (true: level), already matched to this APIC. */
void lapic_deliver(Lapic *l, unsigned mode, uint8_t vector, bool level);
/* Whether a message's destination (physical ID or logical MDA) is us. */
bool lapic_match_dest(const Lapic *l, bool logical, uint8_t dest);
/* LINT0/LINT1 pin edges in fixed/NMI modes (ExtINT on LINT0 is the
 * 8259's output, pic_intr below). */
void lapic_set_lint(Lapic *l, int pin, bool level);

/* The CPU's INTR: a fixed vector whose class beats the PPR, or ExtINT
 * (LINT0 or an IO-APIC message) with the 8259's output pic_intr high. */
bool lapic_intr(const Lapic *l, bool pic_intr);
/* INTA: the vector, moved from IRR to ISR (the 8259's vector for ExtINT);
 * the spurious vector when the request went away in between. */
int lapic_ack(Lapic *l, bool pic_intr);
uint32_t lapic_ppr(const Lapic *l);

/* A guest_errors line "prefix: ..." through log (the IO-APIC uses it too). */
void apic_logf(void (*log)(void *, const char *), void *opaque, const char *prefix,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fires the timer if due; returns the next time it is due (UINT64_MAX:
 * none). */
uint64_t lapic_update(Lapic *l, uint64_t now_ns);

#endif

/* lapic.c — local APIC: priorities, the LVT, the timer, self-IPIs.
 *
 * Interrupts are accepted into IRR and reach the CPU when their priority
 * class (vector[7:4]) beats the PPR; INTA moves them to ISR, EOI retires
 * the highest in service.  Nothing ticks: the timer's count follows from
 * the count it had at timer_base_ns, and it fires at timer_next_ns.
 */
#include "lapic.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { LVT_MASKED = 1u << 16, SVR_ENABLE = 1u << 8 };
enum { TIMER_ONESHOT, TIMER_PERIODIC, TIMER_DEADLINE };

/* Register numbers: offset / 16 (SDM Table "Local APIC Register Address Map"). */
enum {
    R_ID = 0x02, R_VERSION = 0x03, R_TPR = 0x08, R_APR = 0x09, R_PPR = 0x0a, R_EOI = 0x0b,
    R_RRD = 0x0c, R_LDR = 0x0d, R_DFR = 0x0e, R_SVR = 0x0f, R_ISR = 0x10, R_TMR = 0x18,
    R_IRR = 0x20, R_ESR = 0x28, R_ICR_LO = 0x30, R_ICR_HI = 0x31, R_LVT = 0x32,
    R_INITIAL = 0x38, R_CURRENT = 0x39, R_DCR = 0x3e,
};

/* Writable bits of each LVT entry (delivery status and remote IRR are
 * read-only; the timer has no delivery mode, the error entry neither). */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = 0x700ff, [LVT_THERMAL] = 0x107ff, [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff, [LVT_LINT1] = 0x1a7ff, [LVT_ERROR] = 0x100ff,
};

void apic_logf(void (*log)(void *, const char *), void *opaque, const char *prefix,
               const char *fmt, ...)
{
    if (!log)
        return;
    char msg[160];
    int n = snprintf(msg, sizeof msg, "%s: ", prefix);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    log(opaque, msg);
}

#define guest_error(l, ...) apic_logf((l)->log, (l)->opaque, "lapic", __VA_ARGS__)

static bool bit_test(const uint32_t *set, unsigned v) { return set[v >> 5] >> (v & 31) & 1; }
static void bit_set(uint32_t *set, unsigned v) { set[v >> 5] |= 1u << (v & 31); }
static void bit_clear(uint32_t *set, unsigned v) { set[v >> 5] &= ~(1u << (v & 31)); }

/* The highest vector in a 256-bit set, or -1. */
static int highest(const uint32_t *set)
{
    for (int i = 7; i >= 0; i--)
        if (set[i])
            return i * 32 + 31 - __builtin_clz(set[i]);
    return -1;
}

static bool sw_enabled(const Lapic *l) { return l->svr & SVR_ENABLE; }

static unsigned timer_mode(const Lapic *l)
{
    unsigned m = (l->lvt[LVT_TIMER] >> 17) & 3;
    return m == 3 ? TIMER_ONESHOT : m;  /* 11b is reserved */
}

void lapic_init_state(Lapic *l)
{
    uint32_t id = l->id;
    memset(l->irr, 0, sizeof l->irr);
    memset(l->isr, 0, sizeof l->isr);
    memset(l->tmr, 0, sizeof l->tmr);
    l->irr_words = 0;
    l->id = id;
    l->tpr = l->ldr = l->esr = l->esr_pending = l->icr_lo = l->icr_hi = 0;
    l->dfr = 0xffffffffu;
    l->svr = 0xff;
    for (int i = 0; i < LVT_COUNT; i++)
        l->lvt[i] = LVT_MASKED;
    l->dcr = l->initial_count = l->timer_count = 0;
    l->timer_base_ns = 0;
    l->timer_next_ns = UINT64_MAX;
    l->tsc_deadline = 0;
    l->extint_req = false;
}

void lapic_reset(Lapic *l)
{
    l->id = 0;
    l->base_msr = LAPIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_EN;
    lapic_init_state(l);
    l->lint[0] = l->lint[1] = false;
}

void lapic_virtual_wire(Lapic *l)
{
    l->svr = SVR_ENABLE | 0xff;
    l->lvt[LVT_LINT0] = DM_EXTINT << 8;
    l->lvt[LVT_LINT1] = DM_NMI << 8;
}

uint32_t lapic_ppr(const Lapic *l)
{
    int isrv = highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

/* P6-style arbitration priority; with one CPU it only reads back. */
static uint32_t apr(const Lapic *l)
{
    int irrv = highest(l->irr), isrv = highest(l->isr);
    uint32_t tc = l->tpr & 0xf0, ic = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    uint32_t rc = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0;
    if (tc >= rc && tc > ic)
        return l->tpr & 0xff;
    uint32_t m = tc > ic ? tc : ic;
    return m > rc ? m : rc;
}

static void accept(Lapic *l, uint8_t vector, bool level);

/* An error: logged in the internal ESR, and the LVT error interrupt unless
 * masked (its own illegal vector is not reported again). */
static void apic_error(Lapic *l, uint32_t bit)
{
    l->esr_pending |= bit;
    uint32_t e = l->lvt[LVT_ERROR];
    if (!(e & LVT_MASKED) && (e & 0xff) >= 16)
        accept(l, (uint8_t)e, false);
}

static void accept(Lapic *l, uint8_t vector, bool level)
{
    if (vector < 16) {
        apic_error(l, ESR_RECV_ILLEGAL);
        return;
    }
    bit_set(l->irr, vector);
    l->irr_words |= (uint8_t)(1u << (vector >> 5));
    if (level)
        bit_set(l->tmr, vector);
    else
        bit_clear(l->tmr, vector);
}

void lapic_deliver(Lapic *l, unsigned mode, uint8_t vector, bool level)
{
    switch (mode) {
    case DM_FIXED:
    case DM_LOWEST:  /* one CPU: it is the lowest priority one */
        accept(l, vector, level);
        break;
    case DM_NMI:
        if (l->nmi)
            l->nmi(l->opaque);
        break;
    case DM_EXTINT:
        l->extint_req = true;
        break;
    default:
        guest_error(l, "delivery mode %u (SMI/INIT/start-up) is not modelled; ignored", mode);
        break;
    }
}

bool lapic_match_dest(const Lapic *l, bool logical, uint8_t dest)
{
    if (!logical)
        return dest == 0xff || dest == (l->id >> 24);
    uint8_t ldr = (uint8_t)(l->ldr >> 24);
    if (dest == 0xff)
        return true;
    if ((l->dfr >> 28) == 0xf)  /* flat model: a bit per APIC */
        return (dest & ldr) != 0;
    /* cluster model: cluster in bits 7:4, a bit per APIC in 3:0 */
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

void lapic_set_lint(Lapic *l, int pin, bool level)
{
    bool rising = level && !l->lint[pin];
    l->lint[pin] = level;
    uint32_t e = l->lvt[LVT_LINT0 + pin];
    unsigned mode = (e >> 8) & 7;
    /* ExtINT is not latched: INTR follows the 8259's output (lapic_intr). */
    if (!rising || (e & LVT_MASKED) || mode == DM_EXTINT)
        return;
    lapic_deliver(l, mode, (uint8_t)e, false);
}

/* The fixed vector the CPU would get, or -1. */
static int deliverable(const Lapic *l)
{
    if (!l->irr_words || !sw_enabled(l))
        return -1;
    int v = highest(l->irr);
    return v >= 0 && ((uint32_t)v & 0xf0) > (lapic_ppr(l) & 0xf0) ? v : -1;
}

static bool extint(const Lapic *l, bool pic_intr)
{
    uint32_t e = l->lvt[LVT_LINT0];
    bool wire = (e & (LVT_MASKED | 0x700)) == DM_EXTINT << 8;
    return pic_intr && (wire || l->extint_req);
}

bool lapic_intr(const Lapic *l, bool pic_intr)
{
    return extint(l, pic_intr) || deliverable(l) >= 0;
}

int lapic_ack(Lapic *l, bool pic_intr)
{
    int v = deliverable(l);
    if (v >= 0) {
        bit_clear(l->irr, (unsigned)v);
        if (!l->irr[v >> 5])
            l->irr_words &= (uint8_t)~(1u << (v >> 5));
        bit_set(l->isr, (unsigned)v);
        return v;
    }
    if (extint(l, pic_intr)) {
        l->extint_req = false;
        return l->pic_ack(l->opaque);
    }
    /* INTR went away (TPR raised, request withdrawn) before the INTA. */
    return (int)(l->svr & 0xff);
}

static void eoi(Lapic *l)
{
    int v = highest(l->isr);
    if (v < 0)
        return;
    bit_clear(l->isr, (unsigned)v);
    if (bit_test(l->tmr, (unsigned)v) && l->eoi)
        l->eoi(l->opaque, (uint8_t)v);
}

/* ---- timer ---- */

static unsigned divisor(const Lapic *l)
{
    unsigned v = (l->dcr & 3) | ((l->dcr >> 1) & 4);
    return v == 7 ? 1 : 2u << v;
}

static uint64_t ticks_to_ns(const Lapic *l, uint64_t ticks)
{
    unsigned __int128 ns = (unsigned __int128)ticks * divisor(l) * 1000000000ull / LAPIC_TIMER_HZ;
    return ns ? (uint64_t)ns : 1;
}

static uint64_t ns_to_ticks(const Lapic *l, uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * LAPIC_TIMER_HZ / 1000000000ull / divisor(l));
}

static uint32_t current_count(const Lapic *l, uint64_t now)
{
    if (timer_mode(l) == TIMER_DEADLINE || !l->timer_count)
        return 0;
    uint64_t e = now > l->timer_base_ns ? ns_to_ticks(l, now - l->timer_base_ns) : 0;
    if (e < l->timer_count)
        return (uint32_t)(l->timer_count - e);
    if (timer_mode(l) == TIMER_PERIODIC && l->initial_count)
        return (uint32_t)(l->initial_count - (e - l->timer_count) % l->initial_count);
    return 0;
}

/* Counting from count at now (0: stopped). */
static void timer_start(Lapic *l, uint32_t count, uint64_t now)
{
    l->timer_base_ns = now;
    l->timer_count = count;
    l->timer_next_ns = count ? now + ticks_to_ns(l, count) : UINT64_MAX;
}

static void timer_disarm(Lapic *l)
{
    l->timer_count = 0;
    l->timer_next_ns = UINT64_MAX;
    l->tsc_deadline = 0;
}

uint64_t lapic_update(Lapic *l, uint64_t now)
{
    if (l->timer_next_ns > now)
        return l->timer_next_ns;
    uint32_t e = l->lvt[LVT_TIMER];
    if (!(e & LVT_MASKED))
        accept(l, (uint8_t)e, false);
    if (timer_mode(l) == TIMER_PERIODIC && l->initial_count) {
        /* Missed periods coalesce into this one interrupt. */
        uint64_t period = ticks_to_ns(l, l->initial_count);
        uint64_t base = l->timer_next_ns;
        base += (now - base) / period * period;
        l->timer_base_ns = base;
        l->timer_count = l->initial_count;
        l->timer_next_ns = base + period;
    } else {
        timer_disarm(l);
    }
    return l->timer_next_ns;
}

uint64_t lapic_get_tsc_deadline(const Lapic *l)
{
    return timer_mode(l) == TIMER_DEADLINE ? l->tsc_deadline : 0;
}

void lapic_set_tsc_deadline(Lapic *l, uint64_t v, uint64_t tsc, uint64_t now_ns)
{
    if (timer_mode(l) != TIMER_DEADLINE)
        return;  /* ignored in the other modes */
    l->tsc_deadline = v;
    /* The TSC runs at 1 GHz from the same clock as now_ns. */
    uint64_t d = v - tsc;
    if (!v)
        l->timer_next_ns = UINT64_MAX;
    else if (v <= tsc)
        l->timer_next_ns = now_ns;
    else  /* a deadline centuries away must not wrap to "now" */
        l->timer_next_ns = d < UINT64_MAX - 1 - now_ns ? now_ns + d : UINT64_MAX - 1;
}

bool lapic_set_base_msr(Lapic *l, uint64_t v)
{
    bool was = lapic_enabled(l);
    l->base_msr = (v & ~(uint64_t)APIC_BASE_BSP) | (l->base_msr & APIC_BASE_BSP);
    if (was && !lapic_enabled(l))
        lapic_init_state(l);  /* "prior initialization ... may be lost" */
    return true;
}

/* ---- ICR ---- */

static void send_ipi(Lapic *l)
{
    uint32_t lo = l->icr_lo;
    unsigned mode = (lo >> 8) & 7, shorthand = (lo >> 18) & 3;
    uint8_t vector = (uint8_t)lo;
    bool to_self;
    switch (shorthand) {
    case 0: to_self = lapic_match_dest(l, lo & (1u << 11), (uint8_t)(l->icr_hi >> 24));
        if (!to_self || (l->icr_hi >> 24) == 0xff)
            guest_error(l, "IPI to destination %#x: there is no other CPU", l->icr_hi >> 24);
        break;
    case 1: to_self = true; break;
    case 2: to_self = true; guest_error(l, "IPI to all: there is no other CPU"); break;
    default: guest_error(l, "IPI to all but self: there is no other CPU"); return;
    }
    if (!to_self)
        return;
    if (mode == DM_INIT && !(lo & (1u << 14)))
        return;  /* INIT level de-assert: nothing on an xAPIC */
    if ((mode == DM_FIXED || mode == DM_LOWEST) && vector < 16) {
        apic_error(l, ESR_SEND_ILLEGAL);
        return;
    }
    if (mode == DM_LOWEST && shorthand) {
        guest_error(l, "lowest-priority IPI with a shorthand is invalid; not sent");
        return;
    }
    lapic_deliver(l, mode, vector, false);
}

/* ---- registers ---- */

static uint32_t reg_read(Lapic *l, unsigned r, uint64_t now)
{
    if (r >= R_ISR && r < R_ISR + 8) return l->isr[r - R_ISR];
    if (r >= R_TMR && r < R_TMR + 8) return l->tmr[r - R_TMR];
    if (r >= R_IRR && r < R_IRR + 8) return l->irr[r - R_IRR];
    if (r >= R_LVT && r < R_LVT + LVT_COUNT) return l->lvt[r - R_LVT];
    switch (r) {
    case R_ID: return l->id;
    case R_VERSION: return LAPIC_VERSION;
    case R_TPR: return l->tpr;
    case R_APR: return apr(l);
    case R_PPR: return lapic_ppr(l);
    case R_EOI: return 0;  /* write-only */
    case R_RRD: return 0;
    case R_LDR: return l->ldr;
    case R_DFR: return l->dfr;
    case R_SVR: return l->svr;
    case R_ESR: return l->esr;
    case R_ICR_LO: return l->icr_lo;  /* delivery status: always idle */
    case R_ICR_HI: return l->icr_hi;
    case R_INITIAL: return timer_mode(l) == TIMER_DEADLINE ? 0 : l->initial_count;
    case R_CURRENT: return current_count(l, now);
    case R_DCR: return l->dcr;
    default:
        apic_error(l, ESR_ILLEGAL_REG);
        guest_error(l, "read of reserved register %#x", r << 4);
        return 0;
    }
}

/* Delivery status and remote IRR read 0: messages are delivered at once
 * and level-triggered LINT inputs are not modelled. */
static void write_lvt(Lapic *l, unsigned i, uint32_t v)
{
    if (!sw_enabled(l))
        v |= LVT_MASKED;  /* software-disabled: masks stay set */
    uint32_t old = l->lvt[i];
    l->lvt[i] = v & lvt_writable[i];
    if (i != LVT_TIMER)
        return;
    if (((v >> 17) & 3) == 3)
        guest_error(l, "LVT timer mode 11b is reserved; counting as one-shot");
    if (((old ^ v) >> 17) & 3)
        timer_disarm(l);  /* a mode change disarms the timer */
}

static void reg_write(Lapic *l, unsigned r, uint32_t v, uint64_t now)
{
    if (r >= R_LVT && r < R_LVT + LVT_COUNT) {
        write_lvt(l, r - R_LVT, v);
        return;
    }
    switch (r) {
    case R_ID: l->id = v & 0xff000000u; break;
    case R_TPR: l->tpr = v & 0xff; break;
    case R_EOI: eoi(l); break;
    case R_LDR: l->ldr = v & 0xff000000u; break;
    case R_DFR: l->dfr = v | 0x0fffffffu; break;
    case R_SVR:
        l->svr = v & 0x3ff;
        if (!sw_enabled(l))
            for (int i = 0; i < LVT_COUNT; i++)
                l->lvt[i] |= LVT_MASKED;
        break;
    case R_ESR:
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        break;
    case R_ICR_LO:
        l->icr_lo = v & 0x000cdfffu;
        send_ipi(l);
        break;
    case R_ICR_HI: l->icr_hi = v & 0xff000000u; break;
    case R_INITIAL:
        if (timer_mode(l) == TIMER_DEADLINE)
            break;  /* ignored in TSC-deadline mode */
        l->initial_count = v;
        timer_start(l, v, now);
        break;
    case R_DCR: {
        /* The count goes on from where it is at the new rate. */
        uint32_t c = current_count(l, now);
        l->dcr = v & 0xb;
        if (timer_mode(l) != TIMER_DEADLINE)
            timer_start(l, c, now);
        break;
    }
    case R_VERSION: case R_APR: case R_PPR: case R_RRD: case R_CURRENT:
        guest_error(l, "write %#x to read-only register %#x ignored", v, r << 4);
        break;
    default:
        if ((r >= R_ISR && r < R_IRR + 8))
            guest_error(l, "write %#x to read-only register %#x ignored", v, r << 4);
        else {
            apic_error(l, ESR_ILLEGAL_REG);
            guest_error(l, "write %#x to reserved register %#x", v, r << 4);
        }
        break;
    }
}

/* SDM: registers are 32 bits on 16-byte boundaries, accessed only with
 * aligned 32-bit loads and stores. */
static bool access_ok(Lapic *l, uint64_t offset, unsigned size, const char *what)
{
    if (size == 4 && !(offset & 15))
        return true;
    guest_error(l, "%u-byte %s at offset %#llx: only aligned 32-bit accesses are supported",
                size, what, (unsigned long long)offset);
    return false;
}

uint64_t lapic_mmio_read(Lapic *l, uint64_t offset, unsigned size, uint64_t now_ns)
{
    if (!access_ok(l, offset, size, "read"))
        return 0;
    lapic_update(l, now_ns);
    return reg_read(l, (unsigned)(offset >> 4) & 0xff, now_ns);
}

void lapic_mmio_write(Lapic *l, uint64_t offset, uint64_t val, unsigned size, uint64_t now_ns)
{
    if (!access_ok(l, offset, size, "write"))
        return;
    lapic_update(l, now_ns);
    reg_write(l, (unsigned)(offset >> 4) & 0xff, (uint32_t)val, now_ns);
}

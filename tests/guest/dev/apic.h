/* apic.h — the local APIC and IO-APIC registers for the device guests
 * (SDM Vol. 3A ch. 10; 82093AA).  Both pages are below 4 GiB, identity
 * mapped in 32-bit mode; 64-bit guests map them with apic_map64(). */
#ifndef DEV_APIC_H
#define DEV_APIC_H

#include "common.h"

#define LAPIC_BASE 0xfee00000u
#define IOAPIC_BASE 0xfec00000u

enum {
    LAPIC_ID = 0x20, LAPIC_VER = 0x30, LAPIC_TPR = 0x80, LAPIC_PPR = 0xa0, LAPIC_EOI = 0xb0,
    LAPIC_SVR = 0xf0, LAPIC_ISR = 0x100, LAPIC_IRR = 0x200, LAPIC_ESR = 0x280,
    LAPIC_ICR_LO = 0x300, LAPIC_ICR_HI = 0x310, LAPIC_LVT_TIMER = 0x320, LAPIC_LVT_LINT0 = 0x350,
    LAPIC_LVT_LINT1 = 0x360, LAPIC_LVT_ERROR = 0x370, LAPIC_TIMER_INIT = 0x380,
    LAPIC_TIMER_CUR = 0x390, LAPIC_TIMER_DCR = 0x3e0,
};
enum { LVT_MASKED = 1u << 16, LVT_PERIODIC = 1u << 17, LVT_TSC_DEADLINE = 2u << 17 };
enum { MSR_APIC_BASE = 0x1b, MSR_TSC_DEADLINE = 0x6e0 };

static inline volatile uint32_t *apic_reg(uintptr_t base, unsigned off)
{
    return (volatile uint32_t *)(base + off);
}
static inline uint32_t lapic_rd(unsigned off) { return *apic_reg(LAPIC_BASE, off); }
static inline void lapic_wr(unsigned off, uint32_t v) { *apic_reg(LAPIC_BASE, off) = v; }
static inline void lapic_eoi(void) { lapic_wr(LAPIC_EOI, 0); }
/* Bit v of the 256-bit ISR/IRR/TMR at off. */
static inline bool lapic_bit(unsigned off, unsigned v) { return lapic_rd(off + (v / 32) * 16) >> (v % 32) & 1; }
static inline void lapic_self_ipi(uint8_t vector) { lapic_wr(LAPIC_ICR_LO, 0x40000u | vector); }

static inline uint32_t ioapic_rd(unsigned reg)
{
    *apic_reg(IOAPIC_BASE, 0) = reg;
    return *apic_reg(IOAPIC_BASE, 0x10);
}
static inline void ioapic_wr(unsigned reg, uint32_t v)
{
    *apic_reg(IOAPIC_BASE, 0) = reg;
    *apic_reg(IOAPIC_BASE, 0x10) = v;
}
/* Redirection entry for a GSI: vector, flags (bit 15 level, 13 active low,
 * 16 masked), physical destination APIC ID 0. */
static inline void ioapic_route(unsigned gsi, uint8_t vector, uint32_t flags)
{
    ioapic_wr(0x11 + 2 * gsi, 0);
    ioapic_wr(0x10 + 2 * gsi, vector | flags);
}

#ifdef __x86_64__
/* The 2 MiB pages holding both APICs, uncached. */
static inline void apic_map64(void)
{
    rt_map64(rt_pml4, 0xfec00000u, 0xfec00000u, PTE_W | PTE_PCD, true);
    rt_map64(rt_pml4, 0xfee00000u, 0xfee00000u, PTE_W | PTE_PCD, true);
}
#endif

#endif

/* common.h — shared bits of the device guests: PIC setup and the TSC. */
#ifndef DEV_COMMON_H
#define DEV_COMMON_H

#include "../rt/rt.h"

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* The BIOS-style 8259 setup: master at vector 0x20, slave at 0x28. */
static inline void pic_setup(uint8_t master_mask, uint8_t slave_mask)
{
    outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
    outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
    outb(0x21, master_mask);
    outb(0xa1, slave_mask);
}

static inline void pic_eoi(int irq)
{
    if (irq >= 8)
        outb(0xa0, 0x20);
    outb(0x20, 0x20);
}

#endif

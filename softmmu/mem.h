/* mem.h — guest physical address space, port I/O space, and linear access.
 *
 * The physical space is a list of named regions (RAM, ROM, MMIO); the port
 * space is built the same way.  Devices register regions with callbacks;
 * overlaps are an error naming both devices.  Unmapped physical memory reads
 * as all-ones and ignores writes; unclaimed ports likewise.
 *
 * Linear-to-physical translation (paging) lives here too: the CPU core calls
 * mmu_* with its MmuCtx (mmu.h) after applying segmentation, and raises the
 * page faults they report.
 */
#ifndef RZ_MEM_H
#define RZ_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmu.h"

typedef struct Mem Mem;

typedef uint64_t (*IoRead)(void *opaque, uint64_t addr, unsigned size);
typedef void (*IoWrite)(void *opaque, uint64_t addr, uint64_t val, unsigned size);

enum { REGION_RAM, REGION_ROM, REGION_IO };

/* What an I/O region does with an access of a size it does not decode
 * (Region.sizes), as the device's datasheet says.  Either way the access
 * is logged under guest_errors. */
enum {
    IO_SPLIT,  /* broken into the largest accepted size, each piece sent
                * through the address space at its own address (an ISA
                * bridge running a 16-bit access to an 8-bit device as two
                * byte cycles); a piece smaller than any accepted size is
                * dropped */
    IO_DROP,   /* not decoded: reads all-ones, writes are ignored */
};

typedef struct Region {
    const char *name;
    uint64_t start, size;
    int kind;
    uint8_t *host;        /* RAM/ROM backing */
    IoRead read;
    IoWrite write;
    void *opaque;
    /* REGION_IO: accepted access sizes as a mask of byte counts (1|2|4|8;
     * 0 accepts every size), and the IO_* rule for the others.  An access
     * that runs past the region's end is split bytewise. */
    uint8_t sizes, misfit;
} Region;

#define MEM_MAX_REGIONS 64

struct Mem {
    Region phys[MEM_MAX_REGIONS];
    int nphys;
    Region ports[MEM_MAX_REGIONS];
    int nports;
    /* RAM: ram_below_4g bytes at physical 0 and ram_above_4g bytes at 4 GiB
     * (mem_init_split); host memory for physical pa is ram + pa, and
     * [0, ram_end) covers both.  ram_size is the total. */
    uint8_t *ram;
    uint64_t ram_size;
    uint64_t ram_below_4g, ram_above_4g, ram_end;
    uint64_t a20_mask;    /* ~0 with A20 enabled, ~(1<<20) with it masked */
    /* Code-page tracking for self-modifying code: one byte per 4 KiB page
     * of [0, ram_end), non-zero when a decoded block was built from that page. */
    uint8_t *code_pages;
    void (*code_write)(void *opaque, uint64_t paddr, unsigned size);
    void *code_opaque;
    void (*log_guest_error)(void *opaque, const char *msg);
    void *log_opaque;
    struct Tlb *tlbs;     /* every CPU's TLB (softmmu/tlb.h), for flushes */
    /* [ram_hole_start, ram_hole_end): RAM addresses that do not reach RAM
     * (the PC's legacy area, mem_ram_hole); empty when both are 0. */
    uint64_t ram_hole_start, ram_hole_end;
};

#define MEM_4G 0x100000000ull

/* Returns 0, or -1 with a message in err (naming both devices on overlap).
 * mem_init: ram_size bytes of RAM from physical 0.  mem_init_split: RAM
 * below 4 GiB and the rest from 4 GiB up (the PC's 32-bit MMIO hole lies
 * between). */
int mem_init(Mem *m, uint64_t ram_size, char *err, size_t errlen);
int mem_init_split(Mem *m, uint64_t below_4g, uint64_t above_4g, char *err, size_t errlen);
/* Whether physical pa is RAM (not the legacy hole, not the 32-bit hole). */
bool mem_is_ram(const Mem *m, uint64_t pa);
void mem_free(Mem *m);
int mem_add_region(Mem *m, const Region *r, char *err, size_t errlen);
/* Moves the region called name to start (a relocatable window such as the
 * local APIC's); refuses an overlap, naming both, and leaves it where it
 * was. */
int mem_move_region(Mem *m, const char *name, uint64_t start, char *err, size_t errlen);
int mem_add_ports(Mem *m, const char *name, uint16_t start, uint16_t count,
                  IoRead rd, IoWrite wr, void *opaque, char *err, size_t errlen);
/* A port region with access sizes (r->kind is ignored: ports are I/O). */
int mem_add_port_region(Mem *m, const Region *r, char *err, size_t errlen);
/* Takes [start, end) out of RAM, as the PC's chipset does with the
 * 640 KiB - 1 MiB legacy area: the RAM behind it stays allocated but no
 * physical address reaches it; regions (ROM aliases, MMIO) may be added
 * there, and what none claims is unmapped.  One hole per Mem; repeating the
 * same hole is a no-op. */
int mem_ram_hole(Mem *m, uint64_t start, uint64_t end, char *err, size_t errlen);

/* Physical access (after A20 masking).  size 1, 2, 4, 8. */
uint64_t mem_phys_read(Mem *m, uint64_t pa, unsigned size);
void mem_phys_write(Mem *m, uint64_t pa, uint64_t val, unsigned size);
/* Host pointer to size bytes of RAM/ROM at pa, or NULL (MMIO, unmapped,
 * crossing a region end).  for_write returns NULL for ROM. */
uint8_t *mem_phys_ptr(Mem *m, uint64_t pa, unsigned size, bool for_write);

uint64_t mem_port_read(Mem *m, uint16_t port, unsigned size);
void mem_port_write(Mem *m, uint16_t port, uint64_t val, unsigned size);

/* A20 gate (port 0x92, the keyboard controller): with A20 disabled,
 * physical bit 20 reads as 0.  Flushes every TLB on a change. */
void mem_set_a20(Mem *m, bool enabled);
/* A device that changes what a physical range maps to (shadow RAM, moving
 * an MMIO window) calls this so no TLB keeps a stale host pointer. */
void mem_map_changed(Mem *m);
/* Marks the RAM page holding pa as holding decoded code: from now on,
 * writes to it take the slow path and reach code_write.  mem_fetch does it
 * for every page it reads; the code cache may too (idempotent, cheap when
 * the page is already marked). */
void mem_mark_code(Mem *m, uint64_t pa);

/* Linear -> physical through c's paging mode and TLB (filled on a miss).
 * access: ACC_* | ACC_SUPER, or with ACC_PROBE a walk around the TLB without
 * accessed/dirty updates.  Returns false with *pf on a page fault. */
bool mmu_translate(MmuCtx *c, uint64_t lin, int access, uint64_t *pa, PageFault *pf);
/* Linear access of size (1..8) bytes, any case (the inline hit path is the
 * CPU's, softmmu/tlb.h): misses, MMIO, code pages, page crossing.  A
 * page-crossing access translates and checks both pages before touching
 * either.  Returns false with *pf on a page fault, nothing written. */
bool mmu_read(MmuCtx *c, uint64_t lin, unsigned size, int access, uint64_t *val, PageFault *pf);
bool mmu_write(MmuCtx *c, uint64_t lin, uint64_t val, unsigned size, int access, PageFault *pf);
/* Fetches up to max code bytes at lin into buf; returns how many are
 * readable (stops at the first page that faults, without reporting it). */
int mem_fetch(MmuCtx *c, uint64_t lin, uint8_t *buf, int max);

#endif

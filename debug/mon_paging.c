/* mon_paging.c — the monitor's `info tlb' and `info mem': every mapping
 * of the guest's page tables as they are in memory now (Intel SDM vol. 3
 * ch. 4), in QEMU's output formats.
 *
 * The walk only reads: entries come from RAM or ROM through mem_phys_ptr
 * (a table in MMIO or unmapped space counts as not present, so no device
 * register is read), no accessed or dirty bit is set, the TLB is neither
 * used nor filled.  An entry with a reserved physical-address bit is left
 * out, as the CPU would fault on it; so is a PS bit where this CPU has no
 * large page (a PML4E, a PDPTE: no 1 GiB pages).  In PAE mode the four
 * PDPTEs are the CPU's registers when it has loaded them, as for the CPU.
 */
#include "monitor.h"

#include <string.h>

#include "../softmmu/ctlregs.h"
#include "../softmmu/mem.h"
#include "../softmmu/paging.h"
#include "../softmmu/tlb.h"

#define PHYS_MASK ((1ull << PAGING_PHYS_BITS) - 1)

/* One level of a paging mode: entry size, number of entries, the linear
 * address bit its index starts at, and whether PS makes a leaf there. */
typedef struct Level {
    uint8_t entry_bytes;
    uint16_t entries;
    uint8_t shift;
    bool large;
} Level;

static const Level levels32[] = { { 4, 1024, 22, true }, { 4, 1024, 12, false } };
static const Level levels_pae[] = { { 8, 4, 30, false }, { 8, 512, 21, true }, { 8, 512, 12, false } };
static const Level levels_4l[] = { { 8, 512, 39, false }, { 8, 512, 30, false },
                                   { 8, 512, 21, true }, { 8, 512, 12, false } };

/* What the walk reports, leaf by leaf, in ascending linear order. */
typedef struct Walker {
    CPU *cpu;
    const Level *lv;
    unsigned nlevels;
    bool lma;
    /* lin: canonical; size: the page's; pa: its frame; entry: the leaf;
     * prot: P, RW and U/S ANDed along the walk. */
    void (*leaf)(struct Walker *w, uint64_t lin, uint64_t size, uint64_t pa, uint64_t entry,
                 unsigned prot);
    FILE *f;
    /* info mem's open range */
    uint64_t start, end;
    unsigned prot;
} Walker;

static uint64_t canonical(const Walker *w, uint64_t lin)
{
    return w->lma && (lin & (1ull << 47)) ? lin | ~((1ull << 48) - 1) : lin;
}

/* Reads an entry; false when the table is not in RAM or ROM. */
static bool read_entry(CPU *cpu, uint64_t pa, unsigned bytes, uint64_t *e)
{
    const uint8_t *p = mem_phys_ptr(cpu->mem, pa, bytes, false);
    if (!p)
        return false;
    *e = 0;
    for (unsigned i = 0; i < bytes; i++)
        *e |= (uint64_t)p[i] << (8 * i);
    return true;
}

static void walk_table(Walker *w, unsigned depth, uint64_t table, uint64_t lin_base, unsigned prot)
{
    const Level *l = &w->lv[depth];
    bool pse = w->cpu->cr4 & CR4_PSE;
    for (unsigned i = 0; i < l->entries; i++) {
        uint64_t e, lin = lin_base + ((uint64_t)i << l->shift);
        if (depth == 0 && l->entries == 4 && w->cpu->tlb && w->cpu->tlb->pdptes_valid)
            e = w->cpu->tlb->pdpte[i];  /* PAE: the PDPTE registers */
        else if (!read_entry(w->cpu, table + (uint64_t)i * l->entry_bytes, l->entry_bytes, &e))
            continue;
        if (!(e & PTE_P))
            continue;
        uint64_t frame = e & (l->entry_bytes == 4 ? 0xfffff000ull : PHYS_MASK & ~0xfffull);
        if (l->entry_bytes == 8 && (e & ((1ull << 52) - 1) & ~PHYS_MASK))
            continue;  /* a reserved address bit: the CPU faults there */
        /* PDPTEs carry no RW or U/S (PAE); their bits there are reserved. */
        unsigned p = l->entries == 4 ? prot : prot & (unsigned)(e & (PTE_P | PTE_RW | PTE_US));
        bool leaf = depth + 1 == w->nlevels;
        if (!leaf && (e & PTE_PS) && l->large && (l->entry_bytes == 8 || pse)) {
            uint64_t size = 1ull << l->shift;
            uint64_t pa = l->entry_bytes == 4
                ? (e & 0xffc00000ull) | ((e >> 13) & 0xff) << 32  /* PSE-36 */
                : frame & ~(size - 1);
            w->leaf(w, canonical(w, lin), size, pa, e, p);
        } else if (leaf) {
            w->leaf(w, canonical(w, lin), 1ull << l->shift, frame, e & ~(uint64_t)PTE_PS, p);
        } else if (!(e & PTE_PS) || l->entry_bytes == 4) {
            walk_table(w, depth + 1, frame, lin, p);
        }
    }
}

/* false: paging is off (QEMU's "PG disabled"). */
static bool walk(Walker *w)
{
    CPU *cpu = w->cpu;
    if (!(cpu->cr0 & CR0_PG))
        return false;
    w->lma = cpu->efer & EFER_LMA;
    if (!(cpu->cr4 & CR4_PAE)) {
        w->lv = levels32, w->nlevels = 2;
        walk_table(w, 0, cpu->cr3 & 0xfffff000ull, 0, PTE_P | PTE_RW | PTE_US);
    } else if (!w->lma) {
        w->lv = levels_pae, w->nlevels = 3;
        walk_table(w, 0, cpu->cr3 & 0xffffffe0ull, 0, PTE_P | PTE_RW | PTE_US);
    } else {
        w->lv = levels_4l, w->nlevels = 4;
        walk_table(w, 0, cpu->cr3 & PHYS_MASK & ~0xfffull, 0, PTE_P | PTE_RW | PTE_US);
    }
    return true;
}

/* "VADDR: PADDR XGPDACTUW": NX, global, large page, dirty, accessed,
 * cache disable, write-through, user, writable, from the leaf entry. */
static void tlb_leaf(Walker *w, uint64_t lin, uint64_t size, uint64_t pa, uint64_t e, unsigned prot)
{
    (void)size, (void)prot;
    fprintf(w->f, "%016llx: %016llx %c%c%c%c%c%c%c%c%c\n", (unsigned long long)lin,
            (unsigned long long)pa, e & PTE_XD ? 'X' : '-', e & PTE_G ? 'G' : '-',
            e & PTE_PS ? 'P' : '-', e & PTE_D ? 'D' : '-', e & PTE_A ? 'A' : '-',
            e & PTE_PCD ? 'C' : '-', e & PTE_PWT ? 'T' : '-', e & PTE_US ? 'U' : '-',
            e & PTE_RW ? 'W' : '-');
}

void mon_info_tlb(CPU *cpu, FILE *f)
{
    Walker w = { .cpu = cpu, .leaf = tlb_leaf, .f = f };
    if (!walk(&w))
        fprintf(f, "PG disabled\n");
}

/* "START-END SIZE urw": END exclusive; u for user pages, w for writable. */
static void mem_flush(Walker *w)
{
    if (w->prot)
        fprintf(w->f, "%016llx-%016llx %016llx %cr%c\n", (unsigned long long)w->start,
                (unsigned long long)w->end, (unsigned long long)(w->end - w->start),
                w->prot & PTE_US ? 'u' : '-', w->prot & PTE_RW ? 'w' : '-');
    w->prot = 0;
}

/* Pages with the same protection that follow each other make one range
 * (whatever their physical addresses, as in QEMU). */
static void mem_leaf(Walker *w, uint64_t lin, uint64_t size, uint64_t pa, uint64_t e, unsigned prot)
{
    (void)pa, (void)e;
    if (!w->prot || prot != w->prot || lin != w->end) {
        mem_flush(w);
        w->start = lin;
        w->prot = prot;
    }
    w->end = lin + size;
}

void mon_info_mem(CPU *cpu, FILE *f)
{
    Walker w = { .cpu = cpu, .leaf = mem_leaf, .f = f };
    if (!walk(&w)) {
        fprintf(f, "PG disabled\n");
        return;
    }
    mem_flush(&w);
}

/* mem.c — physical and port address spaces built from named regions. */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../cpu/cpu.h"
#include "tlb.h"

static int add(Region *tab, int *n, const Region *r, const char *space,
               char *err, size_t errlen)
{
    for (int i = 0; i < *n; i++) {
        const Region *o = &tab[i];
        if (r->start < o->start + o->size && o->start < r->start + r->size) {
            snprintf(err, errlen, "%s region '%s' [%#llx+%#llx) overlaps '%s' [%#llx+%#llx)",
                     space, r->name, (unsigned long long)r->start, (unsigned long long)r->size,
                     o->name, (unsigned long long)o->start, (unsigned long long)o->size);
            return -1;
        }
    }
    if (*n >= MEM_MAX_REGIONS) {
        snprintf(err, errlen, "too many %s regions adding '%s'", space, r->name);
        return -1;
    }
    tab[(*n)++] = *r;
    return 0;
}

int mem_init(Mem *m, uint64_t ram_size, char *err, size_t errlen)
{
    return mem_init_split(m, ram_size, 0, err, errlen);
}

/* One host reservation covers physical [0, ram_end): RAM is reached at
 * ram + pa wherever it is, so both RAM regions share one code-page map and
 * the TLB's host pointers need no per-region offset.  The part behind the
 * 32-bit hole stays PROT_NONE: it costs address space only. */
int mem_init_split(Mem *m, uint64_t below_4g, uint64_t above_4g, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->a20_mask = ~0ull;
    uint64_t ram_size = below_4g + above_4g;
    uint64_t end = above_4g ? MEM_4G + above_4g : below_4g;
    if (above_4g && below_4g > MEM_4G) {
        snprintf(err, errlen, "RAM below 4 GiB (%#llx bytes) overlaps RAM above it",
                 (unsigned long long)below_4g);
        return -1;
    }
    void *p = mmap(NULL, end, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED ||
        mprotect(p, below_4g, PROT_READ | PROT_WRITE) ||
        (above_4g && mprotect((uint8_t *)p + MEM_4G, above_4g, PROT_READ | PROT_WRITE))) {
        if (p != MAP_FAILED)
            munmap(p, end);
        snprintf(err, errlen, "cannot allocate %llu MiB of guest RAM",
                 (unsigned long long)(ram_size >> 20));
        return -1;
    }
    m->ram = p;
    m->ram_size = ram_size;
    m->ram_below_4g = below_4g;
    m->ram_above_4g = above_4g;
    m->ram_end = end;
    m->code_pages = calloc((end + 4095) >> 12, 1);
    if (!m->code_pages) {
        snprintf(err, errlen, "cannot allocate the code-page map");
        return -1;
    }
    Region r = { .name = "ram", .start = 0, .size = below_4g, .kind = REGION_RAM, .host = m->ram };
    Region hi = { .name = "ram-above-4g", .start = MEM_4G, .size = above_4g, .kind = REGION_RAM,
                  .host = m->ram + MEM_4G };
    if (mem_add_region(m, &r, err, errlen))
        return -1;
    return above_4g ? mem_add_region(m, &hi, err, errlen) : 0;
}

bool mem_is_ram(const Mem *m, uint64_t pa)
{
    if (pa < m->ram_below_4g)
        return pa < m->ram_hole_start || pa >= m->ram_hole_end;
    return pa - MEM_4G < m->ram_above_4g;
}

void mem_free(Mem *m)
{
    while (m->tlbs)
        tlb_detach(m->tlbs->cpu);
    if (m->ram)
        munmap(m->ram, m->ram_end);
    free(m->code_pages);
    m->ram = NULL;
    m->code_pages = NULL;
}

int mem_add_region(Mem *m, const Region *r, char *err, size_t errlen)
{
    return add(m->phys, &m->nphys, r, "memory", err, errlen);
}

int mem_add_ports(Mem *m, const char *name, uint16_t start, uint16_t count,
                  IoRead rd, IoWrite wr, void *opaque, char *err, size_t errlen)
{
    Region r = { .name = name, .start = start, .size = count, .kind = REGION_IO,
                 .read = rd, .write = wr, .opaque = opaque };
    return add(m->ports, &m->nports, &r, "port", err, errlen);
}

int mem_ram_hole(Mem *m, uint64_t start, uint64_t end, char *err, size_t errlen)
{
    if (end > m->ram_below_4g)
        end = m->ram_below_4g;
    if (m->ram_hole_end) {
        if (start == m->ram_hole_start && end == m->ram_hole_end)
            return 0;
        snprintf(err, errlen, "RAM already has a hole at [%#llx, %#llx)",
                 (unsigned long long)m->ram_hole_start, (unsigned long long)m->ram_hole_end);
        return -1;
    }
    if (start >= end)
        return 0;
    int i = 0;
    while (i < m->nphys && !(m->phys[i].host == m->ram && m->phys[i].start == 0))
        i++;
    if (i == m->nphys) {
        snprintf(err, errlen, "no RAM region to take [%#llx, %#llx) out of",
                 (unsigned long long)start, (unsigned long long)end);
        return -1;
    }
    Region high = { .name = "ram-high", .start = end, .size = m->ram_below_4g - end,
                    .kind = REGION_RAM, .host = m->ram + end };
    m->phys[i].size = start;
    if (high.size && mem_add_region(m, &high, err, errlen)) {
        m->phys[i].size = m->ram_below_4g;
        return -1;
    }
    m->ram_hole_start = start;
    m->ram_hole_end = end;
    mem_map_changed(m);
    return 0;
}

static Region *find(Region *tab, int n, uint64_t a)
{
    for (int i = 0; i < n; i++)
        if (a - tab[i].start < tab[i].size)
            return &tab[i];
    return NULL;
}

static void guest_error(Mem *m, const char *fmt, uint64_t a, unsigned size)
{
    if (m->log_guest_error) {
        char msg[128];
        snprintf(msg, sizeof msg, fmt, (unsigned long long)a, size);
        m->log_guest_error(m->log_opaque, msg);
    }
}

uint8_t *mem_phys_ptr(Mem *m, uint64_t pa, unsigned size, bool for_write)
{
    pa &= m->a20_mask;
    /* RAM below 4 GiB first, inline; RAM above 4 GiB is a region like any
     * other (the TLB caches what this finds).  pa < ram_below_4g first:
     * pa + size may wrap for addresses near 2^64. */
    if (pa < m->ram_below_4g && size <= m->ram_below_4g - pa &&
        (pa >= m->ram_hole_end || pa + size <= m->ram_hole_start))
        return m->ram + pa;
    Region *r = find(m->phys, m->nphys, pa);
    if (!r || r->kind == REGION_IO || pa + size - r->start > r->size)
        return NULL;
    if (for_write && r->kind == REGION_ROM)
        return NULL;
    return r->host + (pa - r->start);
}

static void note_code_write(Mem *m, uint64_t pa, unsigned size)
{
    if (pa < m->ram_end && m->code_write &&
        (m->code_pages[pa >> 12] ||
         (pa + size - 1 < m->ram_end && m->code_pages[(pa + size - 1) >> 12])))
        m->code_write(m->code_opaque, pa, size);
}

uint64_t mem_phys_read(Mem *m, uint64_t pa, unsigned size)
{
    pa &= m->a20_mask;
    uint8_t *p = mem_phys_ptr(m, pa, size, false);
    if (p) {
        uint64_t v = 0;
        memcpy(&v, p, size);
        return v;
    }
    Region *r = find(m->phys, m->nphys, pa);
    if (r && r->kind == REGION_IO && pa + size - r->start <= r->size)
        return r->read ? r->read(r->opaque, pa - r->start, size) : size_mask(size);
    if (r) {  /* straddles a region end: assemble bytewise */
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= mem_phys_read(m, pa + i, 1) << (8 * i);
        return v;
    }
    guest_error(m, "read of unmapped physical memory %#llx size %u", pa, size);
    return size_mask(size);
}

void mem_phys_write(Mem *m, uint64_t pa, uint64_t val, unsigned size)
{
    pa &= m->a20_mask;
    uint8_t *p = mem_phys_ptr(m, pa, size, true);
    if (p) {
        note_code_write(m, pa, size);
        memcpy(p, &val, size);
        return;
    }
    Region *r = find(m->phys, m->nphys, pa);
    if (r && r->kind == REGION_IO && pa + size - r->start <= r->size) {
        if (r->write)
            r->write(r->opaque, pa - r->start, val, size);
        return;
    }
    if (r && r->kind == REGION_ROM)
        return;  /* writes to ROM are ignored, as on the real board */
    if (r) {
        for (unsigned i = 0; i < size; i++)
            mem_phys_write(m, pa + i, val >> (8 * i), 1);
        return;
    }
    guest_error(m, "write to unmapped physical memory %#llx size %u", pa, size);
}

uint64_t mem_port_read(Mem *m, uint16_t port, unsigned size)
{
    Region *r = find(m->ports, m->nports, port);
    if (r && r->read)
        return r->read(r->opaque, port - r->start, size) & size_mask(size);
    return size_mask(size);
}

void mem_port_write(Mem *m, uint16_t port, uint64_t val, unsigned size)
{
    Region *r = find(m->ports, m->nports, port);
    if (r && r->write)
        r->write(r->opaque, port - r->start, val & size_mask(size), size);
}

void mem_map_changed(Mem *m)
{
    for (Tlb *t = m->tlbs; t; t = t->next)
        tlb_flush(t, true);
}

void mem_set_a20(Mem *m, bool enabled)
{
    uint64_t mask = enabled ? ~0ull : ~(1ull << 20);
    if (mask == m->a20_mask)
        return;
    m->a20_mask = mask;
    mem_map_changed(m);
}

void mem_mark_code(Mem *m, uint64_t pa)
{
    pa &= m->a20_mask;
    if (!mem_is_ram(m, pa) || m->code_pages[pa >> 12])
        return;
    m->code_pages[pa >> 12] = 1;
    for (Tlb *t = m->tlbs; t; t = t->next)
        tlb_note_code_page(t, pa);
}

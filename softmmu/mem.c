/* mem.c — physical and port address spaces built from named regions. */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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
        tlb_detach(m->tlbs->owner);
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

int mem_move_region(Mem *m, const char *name, uint64_t start, char *err, size_t errlen)
{
    int i = 0;
    while (i < m->nphys && strcmp(m->phys[i].name, name))
        i++;
    if (i == m->nphys) {
        snprintf(err, errlen, "no memory region '%s' to move", name);
        return -1;
    }
    /* Checked as a new region against all the others. */
    Region r = m->phys[i];
    m->phys[i] = m->phys[m->nphys - 1];
    m->nphys--;
    Region moved = r;
    moved.start = start;
    int ret = add(m->phys, &m->nphys, &moved, "memory", err, errlen);
    if (ret)
        m->phys[m->nphys++] = r;
    mem_map_changed(m);
    return ret;
}

int mem_add_ports(Mem *m, const char *name, uint16_t start, uint16_t count,
                  IoRead rd, IoWrite wr, void *opaque, char *err, size_t errlen)
{
    Region r = { .name = name, .start = start, .size = count, .kind = REGION_IO,
                 .read = rd, .write = wr, .opaque = opaque };
    return add(m->ports, &m->nports, &r, "port", err, errlen);
}

int mem_add_port_region(Mem *m, const Region *r, char *err, size_t errlen)
{
    Region p = *r;
    p.kind = REGION_IO;
    if (p.start > 0xffff || p.size > 0x10000 - p.start) {
        snprintf(err, errlen, "port region '%s' [%#llx+%#llx) is outside the 64 KiB port space",
                 p.name, (unsigned long long)p.start, (unsigned long long)p.size);
        return -1;
    }
    return add(m->ports, &m->nports, &p, "port", err, errlen);
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

/* ---- I/O regions: access sizes ---- */

static bool io_fits(const Region *r, uint64_t a, unsigned size)
{
    return (!r->sizes || (r->sizes & size)) && a - r->start + size <= r->size;
}

/* The piece size an access the region cannot take is split into, or 0 to
 * drop it: bytewise when it runs past the region's end, else the largest
 * accepted size below it. */
static unsigned piece_size(const Region *r, uint64_t a, unsigned size)
{
    if (r->misfit == IO_DROP)
        return 0;
    if (a - r->start + size > r->size)
        return 1;
    for (unsigned s = size >> 1; s; s >>= 1)
        if (r->sizes & s)
            return s;
    return 0;
}

static void io_misfit(Mem *m, const Region *r, const char *what, uint64_t a, unsigned size,
                      unsigned piece)
{
    if (!m->log_guest_error)
        return;
    char takes[32] = "";
    for (unsigned s = 1; s <= 8; s <<= 1)
        if (!r->sizes || (r->sizes & s))
            snprintf(takes + strlen(takes), sizeof takes - strlen(takes), "%s%u", *takes ? "/" : "", 8 * s);
    char msg[192];
    snprintf(msg, sizeof msg, "%u-bit %s %#llx (%s takes %s-bit accesses%s): %s", 8 * size, what,
             (unsigned long long)a, r->name, takes,
             a - r->start + size > r->size ? ", and the access runs past its end" : "",
             piece ? (piece == 1 ? "split into bytes" : piece == 2 ? "split into 16-bit pieces"
                      : "split into 32-bit pieces") : "dropped");
    m->log_guest_error(m->log_opaque, msg);
}

typedef uint64_t (*SpaceRead)(Mem *m, uint64_t a, unsigned size);
typedef void (*SpaceWrite)(Mem *m, uint64_t a, uint64_t val, unsigned size);

/* An access to I/O region r at address a of its space; pieces of a split
 * access go back through the space (again), so they reach whatever decodes
 * their own address. */
static uint64_t io_read(Mem *m, const Region *r, uint64_t a, unsigned size, SpaceRead again,
                        const char *what)
{
    if (io_fits(r, a, size))
        return r->read ? r->read(r->opaque, a - r->start, size) & size_mask(size) : size_mask(size);
    unsigned piece = piece_size(r, a, size);
    io_misfit(m, r, what, a, size, piece);
    if (!piece)
        return size_mask(size);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i += piece)
        v |= again(m, a + i, piece) << (8 * i);
    return v;
}

static void io_write(Mem *m, const Region *r, uint64_t a, uint64_t val, unsigned size,
                     SpaceWrite again, const char *what)
{
    if (io_fits(r, a, size)) {
        if (r->write)
            r->write(r->opaque, a - r->start, val & size_mask(size), size);
        return;
    }
    unsigned piece = piece_size(r, a, size);
    io_misfit(m, r, what, a, size, piece);
    for (unsigned i = 0; piece && i < size; i += piece)
        again(m, a + i, val >> (8 * i), piece);
}

static uint64_t port_again_read(Mem *m, uint64_t a, unsigned size)
{
    return mem_port_read(m, (uint16_t)a, size);
}

static void port_again_write(Mem *m, uint64_t a, uint64_t val, unsigned size)
{
    mem_port_write(m, (uint16_t)a, val, size);
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
    if (r && r->kind == REGION_IO)
        return io_read(m, r, pa, size, mem_phys_read, "read of MMIO");
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
    if (r && r->kind == REGION_IO) {
        io_write(m, r, pa, val, size, mem_phys_write, "write to MMIO");
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
    return r ? io_read(m, r, port, size, port_again_read, "read of port") : size_mask(size);
}

void mem_port_write(Mem *m, uint16_t port, uint64_t val, unsigned size)
{
    Region *r = find(m->ports, m->nports, port);
    if (r)
        io_write(m, r, port, val, size, port_again_write, "write to port");
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

/* multiboot.c — -kernel for Multiboot v1 images (the Multiboot
 * Specification 0.6.96): the kernel per its header (ELF, or the a.out-kludge
 * address fields), -initrd files as modules, the information structure,
 * and the 32-bit protected-mode entry state the specification defines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "../hw/e820.h"

#define MB_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_SEARCH 8192          /* the header lies within the first 8 KiB */

/* Header flags: bits 0-15 are requirements a loader must honour or refuse,
 * bits 16-31 optional features it may ignore. */
#define MBH_PAGE_ALIGN (1u << 0)   /* modules on 4 KiB boundaries */
#define MBH_MEMINFO (1u << 1)      /* mem_* (and mmap) in the info */
#define MBH_VIDEO (1u << 2)        /* a video mode table, fields 32-44 */
#define MBH_AOUT_KLUDGE (1u << 16) /* fields 12-28 say where to load */
#define MBH_KNOWN_REQ (MBH_PAGE_ALIGN | MBH_MEMINFO)

/* Information-structure flags. */
#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

#define MBI_SIZE 120               /* fields up to the framebuffer ones (116), 8-aligned */
#define MOD_ENTRY 16
#define MMAP_ENTRY 24              /* size field + 20 bytes */

#define PAGE_UP(x) (((x) + 4095) & ~(uint64_t)4095)

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Guest RAM stores, little-endian whatever the host is. */
static void put32(Machine *m, uint64_t pa, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        m->mem.ram[pa + i] = (uint8_t)(v >> (8 * i));
}

static void put64(Machine *m, uint64_t pa, uint64_t v)
{
    put32(m, pa, (uint32_t)v);
    put32(m, pa + 4, (uint32_t)(v >> 32));
}

/* Stores a string at *at and moves *at past it; returns where it went. */
static uint64_t put_str(Machine *m, uint64_t *at, const char *s)
{
    uint64_t where = *at;
    size_t n = strlen(s) + 1;
    memcpy(m->mem.ram + where, s, n);
    *at += n;
    return where;
}

long multiboot_find(const char *path, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    size_t limit = len < MB_SEARCH ? len : MB_SEARCH;
    long bad = -1;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        if (rd32(buf + off) != MB_MAGIC)
            continue;
        uint32_t sum = MB_MAGIC + rd32(buf + off + 4) + rd32(buf + off + 8);
        if (sum == 0)
            return (long)off;
        if (bad < 0) {
            bad = (long)off;
            snprintf(err, errlen, "%s: Multiboot header at offset %#zx has a bad checksum "
                     "(magic + flags + checksum = %#x, not 0)", path, off, sum);
        }
    }
    return bad < 0 ? -1 : -2;
}

/* The a.out kludge: the header's address fields say which part of the
 * file goes where, whatever format the file is. */
static int load_aout(Machine *m, const char *path, const uint8_t *buf, size_t len, size_t off,
                     uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
    const uint8_t *h = buf + off;
    uint32_t header_addr = rd32(h + 12), load_addr = rd32(h + 16);
    uint32_t load_end = rd32(h + 20), bss_end = rd32(h + 24);
    if (load_addr > header_addr || header_addr - load_addr > off) {
        snprintf(err, errlen, "%s: Multiboot address fields are inconsistent: load_addr %#x, "
                 "header_addr %#x, header at file offset %#zx", path, load_addr, header_addr, off);
        return -1;
    }
    size_t file_off = off - (header_addr - load_addr);
    if (load_end && load_end < load_addr) {
        snprintf(err, errlen, "%s: Multiboot load_end_addr %#x is below load_addr %#x",
                 path, load_end, load_addr);
        return -1;
    }
    uint64_t n = load_end ? (uint64_t)(load_end - load_addr) : (uint64_t)(len - file_off);
    if (n > len - file_off) {
        snprintf(err, errlen, "%s: truncated Multiboot image: the header loads %#llx bytes from "
                 "file offset %#zx but the file has %zu", path, (unsigned long long)n, file_off, len);
        return -1;
    }
    uint64_t memsz = n;
    if (bss_end) {
        if (bss_end < load_addr + n) {
            snprintf(err, errlen, "%s: Multiboot bss_end_addr %#x is below the end of the "
                     "loaded image %#llx", path, bss_end, (unsigned long long)(load_addr + n));
            return -1;
        }
        memsz = bss_end - load_addr;
    }
    if (loader_place(m, path, "the image (Multiboot address fields)", load_addr,
                     buf + file_off, n, memsz, err, errlen))
        return -1;
    *entry = rd32(h + 28);
    *end = load_addr + memsz;
    return 0;
}

typedef struct Module {
    char *name;
    uint64_t start, end;
} Module;

/* Loads each file of the comma-separated list on its own page from *cur. */
static int load_modules(Machine *m, const char *list, Module **out, unsigned *count,
                        uint64_t *cur, char *err, size_t errlen)
{
    *out = NULL;
    *count = 0;
    if (!list)
        return 0;
    unsigned n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    Module *mods = calloc(n, sizeof *mods);
    if (!mods) {
        snprintf(err, errlen, "out of memory loading Multiboot modules");
        return -1;
    }
    *out = mods;
    const char *p = list;
    for (unsigned i = 0; i < n; i++) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        mods[i].name = strndup(p, l);
        *count = i + 1;
        if (!mods[i].name) {
            snprintf(err, errlen, "out of memory loading Multiboot modules");
            return -1;
        }
        if (!l) {
            snprintf(err, errlen, "-initrd '%s': empty module name in the list", list);
            return -1;
        }
        size_t len;
        char why[256];
        uint8_t *data = loader_read_file(m, mods[i].name, &len, why, sizeof why);
        if (!data) {
            snprintf(err, errlen, "%s (Multiboot module %u)", why, i + 1);
            return -1;
        }
        int rc = loader_place(m, mods[i].name, "module", *cur, data, len, len, err, errlen);
        free(data);
        if (rc)
            return -1;
        mods[i].start = *cur;
        mods[i].end = *cur + len;
        *cur = PAGE_UP(mods[i].end);
        p += l + 1;
    }
    return 0;
}

/* The information structure and everything it points to, in one block. */
static int build_info(Machine *m, const char *path, uint64_t at, const char *cmdline,
                      const Module *mods, unsigned nmods, uint64_t *mbi, char *err, size_t errlen)
{
    static const char loader_name[] = "ringzero";
    E820Entry map[E820_MAX];
    unsigned nmap = (unsigned)e820_map(&m->mem, map);
    uint64_t mods_at = at + MBI_SIZE;
    uint64_t mmap_at = mods_at + (uint64_t)nmods * MOD_ENTRY;
    uint64_t str = mmap_at + (uint64_t)nmap * MMAP_ENTRY;
    uint64_t size = str - at + strlen(cmdline) + 1 + sizeof loader_name;
    for (unsigned i = 0; i < nmods; i++)
        size += strlen(mods[i].name) + 1;
    if (!loader_ram_ok(m, path, "the Multiboot information", at, size, err, errlen))
        return -1;
    if (at + size > 0xffffffffull) {
        snprintf(err, errlen, "%s: the Multiboot information would lie above 4 GiB (at %#llx)",
                 path, (unsigned long long)at);
        return -1;
    }
    memset(m->mem.ram + at, 0, size);
    put32(m, at + 0, MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME);
    put32(m, at + 4, 0x9fc00 >> 10);
    uint64_t below = m->mem.ram_below_4g;
    uint64_t upper = below > 0x100000 ? (below - 0x100000) >> 10 : 0;
    put32(m, at + 8, upper > 0xffffffffull ? 0xffffffffu : (uint32_t)upper);
    put32(m, at + 16, (uint32_t)put_str(m, &str, cmdline));
    put32(m, at + 20, nmods);
    put32(m, at + 24, (uint32_t)mods_at);
    for (unsigned i = 0; i < nmods; i++) {
        uint64_t e = mods_at + (uint64_t)i * MOD_ENTRY;
        put32(m, e + 0, (uint32_t)mods[i].start);
        put32(m, e + 4, (uint32_t)mods[i].end);
        put32(m, e + 8, (uint32_t)put_str(m, &str, mods[i].name));
    }
    put32(m, at + 44, nmap * MMAP_ENTRY);
    put32(m, at + 48, (uint32_t)mmap_at);
    for (unsigned i = 0; i < nmap; i++) {
        uint64_t e = mmap_at + (uint64_t)i * MMAP_ENTRY;
        put32(m, e + 0, MMAP_ENTRY - 4);
        put64(m, e + 4, map[i].addr);
        put64(m, e + 12, map[i].size);
        put32(m, e + 20, map[i].type);
    }
    put32(m, at + 64, (uint32_t)put_str(m, &str, loader_name));
    *mbi = at;
    return 0;
}

int multiboot_load(Machine *m, const char *path, const uint8_t *buf, size_t len, size_t hdr_off,
                   const char *cmdline, const char *initrd, char *err, size_t errlen)
{
    const uint8_t *h = buf + hdr_off;
    uint32_t flags = rd32(h + 4);
    uint32_t req = flags & 0xffff;
    if (req & MBH_VIDEO) {
        snprintf(err, errlen, "%s: the Multiboot header requires a video mode (flag bit 2), "
                 "which ringzero cannot provide (no display)", path);
        return -1;
    }
    if (req & ~MBH_KNOWN_REQ) {
        snprintf(err, errlen, "%s: the Multiboot header requires features ringzero does not "
                 "know (flag bits %#x)", path, req & ~MBH_KNOWN_REQ);
        return -1;
    }
    size_t hdr_len = (flags & MBH_AOUT_KLUDGE) ? 32 : 12;
    if (hdr_off + hdr_len > len || hdr_off + hdr_len > MB_SEARCH) {
        snprintf(err, errlen, "%s: truncated Multiboot header at offset %#zx (%zu bytes needed)",
                 path, hdr_off, hdr_len);
        return -1;
    }
    uint64_t entry, end;
    if (flags & MBH_AOUT_KLUDGE) {
        if (load_aout(m, path, buf, len, hdr_off, &entry, &end, err, errlen))
            return -1;
    } else {
        int mode;
        if (len < 4 || memcmp(buf, "\177ELF", 4)) {
            snprintf(err, errlen, "%s: Multiboot image without address fields (flag bit 16) "
                     "must be ELF", path);
            return -1;
        }
        if (loader_elf(m, path, buf, len, &entry, &end, &mode, err, errlen))
            return -1;
    }
    if (entry > 0xffffffffull) {
        snprintf(err, errlen, "%s: Multiboot entry point %#llx is above 4 GiB",
                 path, (unsigned long long)entry);
        return -1;
    }

    /* Modules and then the information go above everything loaded and
     * above 1 MiB, so neither overlaps the kernel nor the legacy hole. */
    uint64_t cur = PAGE_UP(end > 0x100000 ? end : 0x100000);
    Module *mods;
    unsigned nmods;
    int rc = load_modules(m, initrd, &mods, &nmods, &cur, err, errlen);
    uint64_t mbi = 0;
    /* The kernel's file name, as given, is the command line's first word,
     * as GRUB and QEMU's -kernel give it: kernels take it for argv[0]. */
    char *full = NULL;
    if (!rc && asprintf(&full, "%s%s%s", path, cmdline && *cmdline ? " " : "",
                        cmdline ? cmdline : "") < 0) {
        full = NULL;
        snprintf(err, errlen, "out of memory building the Multiboot command line");
        rc = -1;
    }
    if (!rc)
        rc = build_info(m, path, cur, full, mods, nmods, &mbi, err, errlen);
    free(full);
    for (unsigned i = 0; i < nmods; i++)
        free(mods[i].name);
    free(mods);
    if (rc)
        return -1;

    /* The specification's machine state: 32-bit flat segments, CR0.PE
     * without PG, IF and VM clear, A20 on; ESP, GDTR and IDTR are the
     * kernel's business. */
    CPU *cpu = &m->cpu;
    cpu_reset_flat(cpu, CODE32, entry);
    cpu->cr4 = 0;
    cpu->regs[R_AX] = MB_BOOT_MAGIC;
    cpu->regs[R_BX] = mbi;
    cpu->regs[R_SP] = 0x7c00;
    mem_set_a20(&m->mem, true);
    return 0;
}

/* linux.c — -kernel for Linux bzImages, as a boot loader does it under the
 * 32-bit and 64-bit boot protocols (Documentation/arch/x86/boot.rst): the
 * protected-mode kernel goes into RAM, boot_params (the "zero page") is
 * built from the image's setup header plus the memory map, command line and
 * initrd, and the CPU starts at the kernel's 32-bit or 64-bit entry.  The
 * real-mode setup code is never run, so there is no BIOS to ask. */
#include "linux.h"

#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "../hw/fw_cfg.h"
#include "../hw/pc.h"

#define MIB (1024ull * 1024)

/* Offsets in the setup header (in the image and in boot_params alike). */
enum {
    HDR_SETUP_SECTS = 0x1f1, HDR_SYSSIZE = 0x1f4, HDR_BOOT_FLAG = 0x1fe, HDR_JUMP = 0x200,
    HDR_MAGIC = 0x202, HDR_VERSION = 0x206, HDR_TYPE_OF_LOADER = 0x210, HDR_LOADFLAGS = 0x211,
    HDR_CODE32_START = 0x214, HDR_RAMDISK_IMAGE = 0x218, HDR_RAMDISK_SIZE = 0x21c,
    HDR_HEAP_END_PTR = 0x224, HDR_CMD_LINE_PTR = 0x228, HDR_INITRD_ADDR_MAX = 0x22c,
    HDR_KERNEL_ALIGNMENT = 0x230, HDR_RELOCATABLE = 0x234, HDR_XLOADFLAGS = 0x236,
    HDR_CMDLINE_SIZE = 0x238, HDR_PAYLOAD_OFFSET = 0x248, HDR_PAYLOAD_LENGTH = 0x24c,
    HDR_PREF_ADDRESS = 0x258, HDR_INIT_SIZE = 0x260,
};
/* Fields of boot_params outside the header. */
enum {
    BP_ACPI_RSDP_ADDR = 0x070, BP_EXT_RAMDISK_IMAGE = 0x0c0, BP_EXT_RAMDISK_SIZE = 0x0c4,
    BP_EXT_CMD_LINE_PTR = 0x0c8, BP_ALT_MEM_K = 0x1e0, BP_E820_ENTRIES = 0x1e8,
    BP_E820_TABLE = 0x2d0,
};
enum { LOADED_HIGH = 1 << 0, CAN_USE_HEAP = 1 << 7 };
/* boot.rst: type_of_loader 0xFF is "undefined", for loaders without an id. */
#define TYPE_OF_LOADER 0xff

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

bool linux_is_bzimage(const uint8_t *buf, size_t len)
{
    return len >= HDR_MAGIC + 4 && !memcmp(buf + HDR_MAGIC, "HdrS", 4);
}

int linux_parse_header(const char *path, const uint8_t *buf, size_t len, LinuxHeader *h,
                       char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    if (!linux_is_bzimage(buf, len) || len < HDR_VERSION + 2) {
        snprintf(err, errlen, "%s: not a Linux bzImage (no \"HdrS\" at offset 0x202; %zu bytes)",
                 path, len);
        return -1;
    }
    h->version = rd16(buf + HDR_VERSION);
    if (h->version < LINUX_MIN_VERSION) {
        snprintf(err, errlen, "%s: Linux boot protocol %u.%02u is older than %u.%02u, the oldest "
                 "ringzero loads (the first with cmdline_size)", path, h->version >> 8,
                 h->version & 0xff, LINUX_MIN_VERSION >> 8, LINUX_MIN_VERSION & 0xff);
        return -1;
    }
    h->hdr_end = HDR_JUMP + 2 + (size_t)buf[HDR_JUMP + 1];
    size_t need = h->version >= 0x020a ? HDR_INIT_SIZE + 4 : HDR_CMDLINE_SIZE + 4;
    if (len < need || len < h->hdr_end) {
        snprintf(err, errlen, "%s: truncated bzImage: %zu bytes, the protocol %u.%02u setup "
                 "header alone needs %zu", path, len, h->version >> 8, h->version & 0xff,
                 need > h->hdr_end ? need : h->hdr_end);
        return -1;
    }
    if (rd16(buf + HDR_BOOT_FLAG) != 0xaa55 || h->hdr_end < need) {
        snprintf(err, errlen, "%s: corrupt bzImage setup header (boot_flag %#x, header end "
                 "%#zx; want 0xaa55 and at least %#zx)", path, rd16(buf + HDR_BOOT_FLAG),
                 h->hdr_end, need);
        return -1;
    }
    h->setup_sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] : 4;
    h->setup_size = ((size_t)h->setup_sects + 1) * 512;
    h->loadflags = buf[HDR_LOADFLAGS];
    h->code32_start = rd32(buf + HDR_CODE32_START);
    h->initrd_addr_max = rd32(buf + HDR_INITRD_ADDR_MAX);
    h->kernel_alignment = rd32(buf + HDR_KERNEL_ALIGNMENT);
    h->relocatable = buf[HDR_RELOCATABLE];
    h->cmdline_size = rd32(buf + HDR_CMDLINE_SIZE);
    h->xloadflags = h->version >= 0x020c ? rd16(buf + HDR_XLOADFLAGS) : 0;
    h->pref_address = h->version >= 0x020a ? rd64(buf + HDR_PREF_ADDRESS) : 0x100000;
    h->init_size = h->version >= 0x020a ? rd32(buf + HDR_INIT_SIZE) : 0;
    if (!(h->loadflags & LOADED_HIGH)) {
        snprintf(err, errlen, "%s: a zImage (loadflags %#x without LOADED_HIGH): only bzImages "
                 "loaded at 1 MiB or above are supported", path, h->loadflags);
        return -1;
    }
    if (h->hdr_end > h->setup_size || len <= h->setup_size) {
        snprintf(err, errlen, "%s: truncated bzImage: %zu bytes, but its %u setup sectors end at "
                 "%#zx and the kernel comes after them", path, len, h->setup_sects, h->setup_size);
        return -1;
    }
    h->kernel_size = len - h->setup_size;
    uint64_t syssize = (uint64_t)rd32(buf + HDR_SYSSIZE) * 16;
    if (syssize > h->kernel_size) {
        snprintf(err, errlen, "%s: truncated bzImage: the header's syssize says %llu bytes of "
                 "protected-mode kernel, the file has %zu after the setup code", path,
                 (unsigned long long)syssize, h->kernel_size);
        return -1;
    }
    if (h->version >= 0x0208) {
        uint64_t off = rd32(buf + HDR_PAYLOAD_OFFSET), plen = rd32(buf + HDR_PAYLOAD_LENGTH);
        if (off + plen > h->kernel_size) {
            snprintf(err, errlen, "%s: truncated bzImage: the compressed payload (%#llx+%#llx) "
                     "runs past the end of the kernel (%zu bytes)", path, (unsigned long long)off,
                     (unsigned long long)plen, h->kernel_size);
            return -1;
        }
    }
    if (h->relocatable && (h->kernel_alignment == 0 || (h->kernel_alignment & (h->kernel_alignment - 1)))) {
        snprintf(err, errlen, "%s: corrupt bzImage setup header: kernel_alignment %#x is not a "
                 "power of two", path, h->kernel_alignment);
        return -1;
    }
    return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* boot.rst, init_size: a relocatable kernel runs at its load address
 * raised to pref_address and aligned; another one at pref_address. */
uint64_t linux_runtime_start(const LinuxHeader *h, uint64_t load)
{
    if (!h->relocatable)
        return h->pref_address;
    if (load < h->pref_address)
        load = h->pref_address;
    return align_up(load, h->kernel_alignment);
}

/* Identity map of the low 4 GiB with 2 MiB pages: the 64-bit entry needs
 * the kernel, boot_params and the command line mapped 1:1. */
static void build_page_tables(Machine *m)
{
    uint8_t *pt = m->mem.ram + LINUX_PAGE_TABLES;
    memset(pt, 0, 6 * 4096);
    const uint64_t P_RW = 0x3, PS = 0x80;
    wr64(pt, (LINUX_PAGE_TABLES + 0x1000) | P_RW);                            /* PML4[0] */
    for (unsigned i = 0; i < 4; i++) {
        uint64_t pd = LINUX_PAGE_TABLES + 0x2000 + 0x1000ull * i;
        wr64(pt + 0x1000 + 8 * i, pd | P_RW);                                 /* PDPT[i] */
        for (unsigned j = 0; j < 512; j++)
            wr64(m->mem.ram + pd + 8 * j, ((uint64_t)i << 30 | (uint64_t)j << 21) | P_RW | PS);
    }
}

/* The entry state both protocols share: flat __BOOT_CS (0x10) and
 * __BOOT_DS (0x18) from a GDT the loader provides, interrupts off,
 * ESI/RSI = boot_params, the other general registers 0. */
static void start_kernel(Machine *m, bool long_mode, uint64_t entry)
{
    uint8_t *gdt = m->mem.ram + LINUX_GDT;
    memset(gdt, 0, 32);
    wr64(gdt + 0x10, long_mode ? 0x00af9b000000ffffull : 0x00cf9b000000ffffull);
    wr64(gdt + 0x18, 0x00cf93000000ffffull);
    CPU *cpu = &m->cpu;
    cpu_reset_flat(cpu, long_mode ? CODE64 : CODE32, entry);
    for (int i = 0; i < 6; i++)
        cpu->seg[i].sel = i == S_CS ? 0x10 : 0x18;
    cpu->gdtr.base = LINUX_GDT;
    cpu->gdtr.limit = 32 - 1;
    cpu->idtr.base = 0;
    cpu->idtr.limit = 0;
    memset(cpu->regs, 0, sizeof cpu->regs);
    cpu->regs[R_SI] = LINUX_ZERO_PAGE;
    cpu->regs[R_SP] = LINUX_STACK;
    cpu->eflags = 2;
    if (long_mode) {
        build_page_tables(m);
        cpu->cr3 = LINUX_PAGE_TABLES;
        cpu->cr4 = 0x20;                 /* PAE */
        cpu->cr0 = 0x80000011;           /* PG, ET, PE */
        cpu->efer = 0x500;               /* LMA, LME */
    } else {
        cpu->cr4 = 0;
        cpu->cr0 = 0x11;                 /* ET, PE */
        cpu->efer = 0;
    }
    mem_set_a20(&m->mem, true);
}

static int read_initrd(Machine *m, const char *initrd, uint8_t **data, size_t *len, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    if (!initrd || !*initrd)
        return 0;
    if (strchr(initrd, ',')) {
        snprintf(err, errlen, "%s: a Linux kernel takes one -initrd file (concatenate cpio "
                 "archives into one)", initrd);
        return -1;
    }
    *data = loader_read_file(m, initrd, len, err, errlen);
    return *data ? 0 : -1;
}

/* fw_cfg's kernel items, as QEMU provides them to firmware-side loaders. */
static void describe_in_fw_cfg(Machine *m, const uint8_t *zp, const uint8_t *buf,
                               const LinuxHeader *h, uint64_t load, const uint8_t *initrd,
                               size_t initrd_len, uint64_t initrd_at, const char *cmdline)
{
    FwCfg *fw = m->pc ? m->pc->fw_cfg : NULL;
    if (!fw)
        return;
    uint8_t *setup = malloc(h->setup_size);
    if (setup) {
        memcpy(setup, buf, h->setup_size);
        memcpy(setup + HDR_SETUP_SECTS, zp + HDR_SETUP_SECTS, h->hdr_end - HDR_SETUP_SECTS);
    }
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, (uint32_t)load);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, (uint32_t)h->kernel_size);
    fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, buf + h->setup_size, h->kernel_size);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, (uint32_t)initrd_at);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, (uint32_t)initrd_len);
    fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, initrd, initrd_len);
    size_t cl = strlen(cmdline) + 1;
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, LINUX_CMDLINE);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, (uint32_t)cl);
    fw_cfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, (const uint8_t *)cmdline, cl);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, LINUX_ZERO_PAGE);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, setup ? (uint32_t)h->setup_size : 0);
    fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, setup, setup ? h->setup_size : 0);
    free(setup);
}

int linux_load(Machine *m, const char *path, const uint8_t *buf, size_t len,
               const char *cmdline, const char *initrd, char *err, size_t errlen)
{
    LinuxHeader h;
    if (linux_parse_header(path, buf, len, &h, err, errlen))
        return -1;
    if (!cmdline)
        cmdline = "";
    size_t cl = strlen(cmdline);
    if (cl > h.cmdline_size || cl > LINUX_CMDLINE_MAX) {
        snprintf(err, errlen, "%s: -append is %zu bytes; this kernel takes at most %u "
                 "(cmdline_size)%s", path, cl, h.cmdline_size,
                 cl > LINUX_CMDLINE_MAX ? " and ringzero at most 65535" : "");
        return -1;
    }
    const Mem *mem = &m->mem;
    bool long_mode = h.xloadflags & XLF_KERNEL_64;
    /* A relocatable kernel goes where it will run (no copy before it
     * decompresses); another one at 1 MiB, from where it moves itself. */
    uint64_t load = h.relocatable ? linux_runtime_start(&h, h.pref_address) : 0x100000;
    uint64_t start = linux_runtime_start(&h, load);
    if (load < 0x100000 || start < 0x100000 || start > UINT32_MAX) {
        snprintf(err, errlen, "%s: corrupt bzImage setup header: the kernel would run at %#llx "
                 "(pref_address %#llx, kernel_alignment %#x), not between 1 MiB and 4 GiB", path,
                 (unsigned long long)start, (unsigned long long)h.pref_address, h.kernel_alignment);
        return -1;
    }
    uint64_t kernel_end = load + h.kernel_size;
    if (start + h.init_size > kernel_end)
        kernel_end = start + h.init_size;
    uint64_t ram_top = mem->ram_below_4g;
    if (kernel_end > ram_top) {
        snprintf(err, errlen, "%s: -m %llu MiB is too small: the kernel (%zu bytes, init_size "
                 "%#x) needs RAM from %#llx to %#llx; use -m %lluM or more", path,
                 (unsigned long long)(mem->ram_size >> 20), h.kernel_size, h.init_size,
                 (unsigned long long)load, (unsigned long long)kernel_end,
                 (unsigned long long)((kernel_end + MIB - 1) >> 20) + 1);
        return -1;
    }
    uint8_t *rd;
    size_t rd_len;
    if (read_initrd(m, initrd, &rd, &rd_len, err, errlen))
        return -1;
    uint64_t rd_at = 0;
    if (rd) {
        /* The top of RAM, under initrd_addr_max and 4 GiB, page-aligned. */
        uint64_t limit = (uint64_t)h.initrd_addr_max + 1;
        uint64_t top = ram_top < limit ? ram_top : limit;
        uint64_t room = top > kernel_end ? top - kernel_end : 0;
        if (rd_len > room) {
            if (limit < ram_top)
                snprintf(err, errlen, "%s: initrd of %zu bytes does not fit between the kernel "
                         "(ends %#llx) and its initrd_addr_max %#x (%llu bytes free)", initrd,
                         rd_len, (unsigned long long)kernel_end, h.initrd_addr_max,
                         (unsigned long long)room);
            else
                snprintf(err, errlen, "%s: -m %llu MiB is too small for kernel and initrd: the "
                         "kernel needs RAM up to %#llx and the initrd %zu bytes more; use -m %lluM "
                         "or more", initrd, (unsigned long long)(mem->ram_size >> 20),
                         (unsigned long long)kernel_end, rd_len,
                         (unsigned long long)((kernel_end + rd_len + MIB - 1) >> 20) + 1);
            free(rd);
            return -1;
        }
        rd_at = (top - rd_len) & ~0xfffull;
    }
    if (loader_place(m, path, "the kernel", load, buf + h.setup_size, h.kernel_size,
                     h.kernel_size, err, errlen) ||
        (rd && loader_place(m, initrd, "the initrd", rd_at, rd, rd_len, rd_len, err, errlen))) {
        free(rd);
        return -1;
    }
    memcpy(m->mem.ram + LINUX_CMDLINE, cmdline, cl + 1);

    /* boot_params: zero, the image's setup header, then what the loader
     * fills in. */
    uint8_t *zp = m->mem.ram + LINUX_ZERO_PAGE;
    memset(zp, 0, 4096);
    memcpy(zp + HDR_SETUP_SECTS, buf + HDR_SETUP_SECTS, h.hdr_end - HDR_SETUP_SECTS);
    zp[HDR_TYPE_OF_LOADER] = TYPE_OF_LOADER;
    zp[HDR_LOADFLAGS] = (uint8_t)(h.loadflags & ~CAN_USE_HEAP);  /* no real-mode heap: setup does not run */
    wr32(zp + HDR_CODE32_START, (uint32_t)load);
    wr32(zp + HDR_RAMDISK_IMAGE, (uint32_t)rd_at);
    wr32(zp + HDR_RAMDISK_SIZE, (uint32_t)rd_len);
    wr32(zp + HDR_CMD_LINE_PTR, LINUX_CMDLINE);
    wr32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(rd_at >> 32));
    wr32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)rd_len >> 32));
    wr32(zp + BP_EXT_CMD_LINE_PTR, 0);
    if (h.version >= 0x020e && m->acpi_rsdp)
        wr64(zp + BP_ACPI_RSDP_ADDR, m->acpi_rsdp);
    uint64_t ext_k = mem->ram_below_4g > MIB ? (mem->ram_below_4g - MIB) >> 10 : 0;
    wr32(zp + BP_ALT_MEM_K, ext_k > 0xffffffffu ? 0xffffffffu : (uint32_t)ext_k);
    E820Entry map[E820_MAX];
    int n = e820_map(&m->mem, map);
    zp[BP_E820_ENTRIES] = (uint8_t)n;
    e820_encode(map, n, zp + BP_E820_TABLE);
    describe_in_fw_cfg(m, zp, buf, &h, load, rd, rd_len, rd_at, cmdline);
    free(rd);
    start_kernel(m, long_mode, long_mode ? load + 0x200 : load);
    return 0;
}

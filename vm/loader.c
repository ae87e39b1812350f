/* loader.c — guest images: ELF32/ELF64, flat binaries, the -bios firmware
 * ROM, and -kernel (Multiboot in multiboot.c, plain ELF here). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "linux.h"

#include "../hw/pc.h"

#define KIB 1024ull
#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)

int loader_open(const char *path, uint64_t *size, char *err, size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer before the
     * fstat below can refuse it. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (%s); an image must be a file of known size",
                 path, S_ISDIR(st.st_mode) ? "a directory" : S_ISCHR(st.st_mode) ? "a character device"
                 : S_ISBLK(st.st_mode) ? "a block device" : S_ISFIFO(st.st_mode) ? "a pipe"
                 : "a socket or special file");
        close(fd);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

uint8_t *loader_read_fd(int fd, const char *path, uint64_t size, char *err, size_t errlen)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory reading its %llu bytes", path,
                 (unsigned long long)size);
        close(fd);
        return NULL;
    }
    uint64_t n = 0;
    while (n < size) {
        ssize_t got = read(fd, buf + n, size - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got < 0)
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
            else
                snprintf(err, errlen, "%s: %llu bytes read of %llu (the file shrank while loading?)",
                         path, (unsigned long long)n, (unsigned long long)size);
            free(buf);
            close(fd);
            return NULL;
        }
        n += (uint64_t)got;
    }
    close(fd);
    return buf;
}

uint8_t *loader_read_file(Machine *m, const char *path, size_t *len, char *err, size_t errlen)
{
    uint64_t size;
    int fd = loader_open(path, &size, err, errlen);
    if (fd < 0)
        return NULL;
    /* Nothing larger than guest RAM can be loaded: refuse before reading. */
    if (size > m->mem.ram_size) {
        snprintf(err, errlen, "%s: the file is %llu bytes, more than guest RAM (%llu bytes, -m %lluM)",
                 path, (unsigned long long)size, (unsigned long long)m->mem.ram_size,
                 (unsigned long long)(m->mem.ram_size >> 20));
        close(fd);
        return NULL;
    }
    uint8_t *buf = loader_read_fd(fd, path, size, err, errlen);
    if (buf)
        *len = (size_t)size;
    return buf;
}

bool loader_ram_ok(Machine *m, const char *path, const char *what, uint64_t pa,
                   uint64_t len, char *err, size_t errlen)
{
    const Mem *mem = &m->mem;
    bool low = pa < mem->ram_below_4g && len <= mem->ram_below_4g - pa;
    bool high = pa >= MEM_4G && pa - MEM_4G < mem->ram_above_4g &&
                len <= mem->ram_above_4g - (pa - MEM_4G);
    if (!low && !high && !(len == 0 && pa == mem->ram_below_4g)) {
        if (mem->ram_above_4g)
            snprintf(err, errlen, "%s: %s at %#llx+%#llx lies outside guest RAM (%llu MiB: "
                     "below %#llx and from 4 GiB to %#llx)", path, what, (unsigned long long)pa,
                     (unsigned long long)len, (unsigned long long)(mem->ram_size >> 20),
                     (unsigned long long)mem->ram_below_4g, (unsigned long long)mem->ram_end);
        else
            snprintf(err, errlen, "%s: %s at %#llx+%#llx lies outside guest RAM (%llu MiB)",
                     path, what, (unsigned long long)pa, (unsigned long long)len,
                     (unsigned long long)(mem->ram_size >> 20));
        return false;
    }
    if (len && pa < mem->ram_hole_end && pa + len > mem->ram_hole_start) {
        snprintf(err, errlen, "%s: %s at %#llx+%#llx overlaps %#llx-%#llx, which is not RAM "
                 "(the VGA window and ROM area)", path, what, (unsigned long long)pa,
                 (unsigned long long)len, (unsigned long long)mem->ram_hole_start,
                 (unsigned long long)mem->ram_hole_end - 1);
        return false;
    }
    return true;
}

int loader_place(Machine *m, const char *path, const char *what, uint64_t pa,
                 const uint8_t *src, uint64_t filesz, uint64_t memsz, char *err, size_t errlen)
{
    if (!loader_ram_ok(m, path, what, pa, memsz, err, errlen))
        return -1;
    memcpy(m->mem.ram + pa, src, filesz);
    memset(m->mem.ram + pa + filesz, 0, memsz - filesz);
    return 0;
}

/* An ELF file's header fields and program headers are read with memcpy
 * into the host structures: e_phoff and the file's layout need not be
 * aligned, and both classes widen to the ELF64 forms. */
typedef struct ElfInfo {
    bool is64;
    uint64_t entry, phoff;
    unsigned phnum, phentsize;
} ElfInfo;

static void elf_header(const uint8_t *buf, bool is64, ElfInfo *e)
{
    e->is64 = is64;
    if (is64) {
        Elf64_Ehdr h;
        memcpy(&h, buf, sizeof h);
        e->entry = h.e_entry;
        e->phoff = h.e_phoff;
        e->phnum = h.e_phnum;
        e->phentsize = h.e_phentsize;
    } else {
        Elf32_Ehdr h;
        memcpy(&h, buf, sizeof h);
        e->entry = h.e_entry;
        e->phoff = h.e_phoff;
        e->phnum = h.e_phnum;
        e->phentsize = h.e_phentsize;
    }
}

static Elf64_Phdr elf_phdr(const uint8_t *buf, const ElfInfo *e, unsigned i)
{
    const uint8_t *p = buf + e->phoff + (uint64_t)i * e->phentsize;
    Elf64_Phdr ph;
    if (e->is64) {
        memcpy(&ph, p, sizeof ph);
    } else {
        Elf32_Phdr h;
        memcpy(&h, p, sizeof h);
        ph = (Elf64_Phdr){ .p_type = h.p_type, .p_flags = h.p_flags, .p_offset = h.p_offset,
                           .p_vaddr = h.p_vaddr, .p_paddr = h.p_paddr, .p_filesz = h.p_filesz,
                           .p_memsz = h.p_memsz, .p_align = h.p_align };
    }
    return ph;
}

static int load_elf(Machine *m, const char *path, const uint8_t *buf, size_t len, bool is64,
                    uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
    size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    ElfInfo e;
    if (len < ehsize) {
        snprintf(err, errlen, "%s: truncated ELF file: its headers run past the end (%zu bytes)",
                 path, len);
        return -1;
    }
    elf_header(buf, is64, &e);
    if (e.phnum && e.phentsize != phsize) {
        snprintf(err, errlen, "%s: ELF program header entries of %u bytes (expected %zu)",
                 path, e.phentsize, phsize);
        return -1;
    }
    if (e.phoff > len || (uint64_t)e.phnum * phsize > len - e.phoff) {
        snprintf(err, errlen, "%s: truncated ELF file: its headers run past the end (%zu bytes)",
                 path, len);
        return -1;
    }
    uint64_t top = 0;
    for (unsigned i = 0; i < e.phnum; i++) {
        Elf64_Phdr ph = elf_phdr(buf, &e, i);
        if (ph.p_type != PT_LOAD)
            continue;
        char what[32];
        snprintf(what, sizeof what, "segment %u", i);
        if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset) {
            snprintf(err, errlen, "%s: truncated ELF file: segment %u needs bytes %#llx-%#llx "
                     "but the file has %zu", path, i, (unsigned long long)ph.p_offset,
                     (unsigned long long)ph.p_offset + ph.p_filesz, len);
            return -1;
        }
        if (ph.p_filesz > ph.p_memsz) {
            snprintf(err, errlen, "%s: ELF segment %u has more file bytes than memory bytes",
                     path, i);
            return -1;
        }
        if (loader_place(m, path, what, ph.p_paddr, buf + ph.p_offset, ph.p_filesz, ph.p_memsz,
                         err, errlen))
            return -1;
        if (ph.p_paddr + ph.p_memsz > top)
            top = ph.p_paddr + ph.p_memsz;
    }
    *entry = e.entry;
    *end = top;
    return 0;
}

int loader_elf(Machine *m, const char *path, const uint8_t *buf, size_t len,
               uint64_t *entry, uint64_t *end, int *mode, char *err, size_t errlen)
{
    if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG)) {
        snprintf(err, errlen, "%s: not a recognised guest image (expected ELF; use -bin for flat binaries)", path);
        return -1;
    }
    if (len < EI_NIDENT + 4) {
        snprintf(err, errlen, "%s: truncated ELF file: its headers run past the end (%zu bytes)", path, len);
        return -1;
    }
    uint16_t machine;
    memcpy(&machine, buf + EI_NIDENT + 2, 2);
    if (buf[EI_CLASS] == ELFCLASS32 && machine == EM_386) {
        *mode = CODE32;
        return load_elf(m, path, buf, len, false, entry, end, err, errlen);
    }
    if (buf[EI_CLASS] == ELFCLASS64 && machine == EM_X86_64) {
        *mode = CODE64;
        return load_elf(m, path, buf, len, true, entry, end, err, errlen);
    }
    snprintf(err, errlen, "%s: ELF for an unsupported machine or class (want ELF32 i386 or ELF64 x86-64)", path);
    return -1;
}

/* The flat start: see docs/machine.md. */
static void start_flat(Machine *m, int mode, uint64_t entry)
{
    CPU *cpu = &m->cpu;
    cpu_reset_flat(cpu, mode, entry);
    if (mode == CODE16) {
        /* CS:IP = entry as segment:offset with the smallest offset. */
        cpu->seg[S_CS].sel = (uint16_t)(entry >> 4);
        cpu->seg[S_CS].base = entry & ~0xfull;
        cpu->rip = entry & 0xf;
        cpu->regs[R_SP] = 0x7c00;
    } else {
        cpu->regs[R_SP] = m->mem.ram_below_4g - 16;
    }
}

int machine_load(Machine *m, const char *path, bool is_flat, uint64_t load_addr,
                 int flat_mode, char *err, size_t errlen)
{
    if (is_flat && flat_mode == CODE16 && load_addr >= 1 * MIB) {
        /* CS:IP reaches at most 0x10FFEF, and RAM from 0xA0000 to 1 MiB is
         * the legacy hole: no real-mode entry exists at or above 1 MiB. */
        snprintf(err, errlen, "%s: -mode 16 starts in real mode, which cannot start at %#llx "
                 "(at or above 1 MiB); load the image below 0xA0000 or use -mode 32 or 64",
                 path, (unsigned long long)load_addr);
        return -1;
    }
    size_t len;
    uint8_t *buf = loader_read_file(m, path, &len, err, errlen);
    if (!buf)
        return -1;
    int rc, mode = flat_mode;
    uint64_t entry = load_addr, end;
    if (is_flat && !len) {
        snprintf(err, errlen, "%s: the file is empty: a flat binary needs at least one instruction",
                 path);
        rc = -1;
    } else if (is_flat) {
        rc = loader_place(m, path, "the image", load_addr, buf, len, len, err, errlen);
    } else {
        rc = loader_elf(m, path, buf, len, &entry, &end, &mode, err, errlen);
    }
    free(buf);
    if (rc)
        return rc;
    start_flat(m, mode, entry);
    return 0;
}

/* -bios.  The image appears twice, as on a PC: just below 4 GiB (where the
 * reset vector 0xFFFFFFF0 lands) and, its last 128 KiB (or all of a
 * smaller image), just below 1 MiB for real-mode code.  Both aliases are
 * ROM: reads come from the image, writes are ignored — there is no
 * chipset shadow-RAM control (PAM), so a BIOS that copies itself to
 * 0xE0000-0xFFFFF finds its copy already in place and read-only. */
int machine_load_bios(Machine *m, const char *path, char *err, size_t errlen)
{
    uint64_t size;
    int fd = loader_open(path, &size, err, errlen);
    if (fd < 0)
        return -1;
    if (size < 64 * KIB || size > 16 * MIB || size % (64 * KIB)) {
        snprintf(err, errlen, "%s: ROM image is %llu bytes; -bios needs a multiple of 64 KiB "
                 "from 64 KiB to 16 MiB", path, (unsigned long long)size);
        close(fd);
        return -1;
    }
    /* No overlap with RAM to check: RAM below 4 GiB ends at
     * PC_RAM_BELOW_4G_MAX, under the lowest ROM base (4 GiB - 16 MiB). */
    uint64_t base = 4 * GIB - size;
    uint8_t *rom = loader_read_fd(fd, path, size, err, errlen);
    if (!rom)
        return -1;
    if (m->bios_rom) {
        snprintf(err, errlen, "%s: a firmware ROM is already loaded", path);
        free(rom);
        return -1;
    }
    uint64_t low = size < 128 * KIB ? size : 128 * KIB;
    Region high = { .name = "bios", .start = base, .size = size, .kind = REGION_ROM, .host = rom };
    Region alias = { .name = "bios-low-alias", .start = 1 * MIB - low, .size = low,
                     .kind = REGION_ROM, .host = rom + size - low };
    char why[200];
    if (mem_ram_hole(&m->mem, 0xa0000, 1 * MIB, why, sizeof why) ||
        mem_add_region(&m->mem, &high, why, sizeof why) ||
        mem_add_region(&m->mem, &alias, why, sizeof why)) {
        snprintf(err, errlen, "%s: cannot map the ROM: %s", path, why);
        /* A region that made it in keeps pointing at rom: keep it alive. */
        m->bios_rom = rom;
        return -1;
    }
    m->bios_rom = rom;
    mem_map_changed(&m->mem);
    codecache_flush(m->cc);
    /* Firmware starts from the board's reset state (local APIC masked,
     * not the virtual wire pc_init leaves for direct-boot guests). */
    if (m->pc)
        pc_reset(m->pc);
    cpu_reset(&m->cpu);
    return 0;
}

int machine_load_kernel(Machine *m, const char *path, const char *cmdline,
                        const char *initrd, char *err, size_t errlen)
{
    size_t len;
    uint8_t *buf = loader_read_file(m, path, &len, err, errlen);
    if (!buf)
        return -1;
    int rc;
    long hdr = linux_is_bzimage(buf, len) ? -1 : multiboot_find(path, buf, len, err, errlen);
    if (linux_is_bzimage(buf, len)) {
        rc = linux_load(m, path, buf, len, cmdline, initrd, err, errlen);
    } else if (hdr >= 0) {
        rc = multiboot_load(m, path, buf, len, (size_t)hdr, cmdline, initrd, err, errlen);
    } else if (hdr == -2) {
        rc = -1;
    } else if ((cmdline && *cmdline) || initrd) {
        snprintf(err, errlen, "%s: -append and -initrd need a Linux bzImage or a Multiboot "
                 "kernel, and this image is neither (no \"HdrS\" at 0x202, no Multiboot header "
                 "in its first 8 KiB)", path);
        rc = -1;
    } else {
        int mode;
        uint64_t entry, end;
        rc = loader_elf(m, path, buf, len, &entry, &end, &mode, err, errlen);
        if (!rc)
            start_flat(m, mode, entry);
    }
    free(buf);
    return rc;
}

/* loader.c — guest images: ELF32/ELF64, flat binaries, the -bios firmware
 * ROM, and -kernel (Multiboot in multiboot.c, plain ELF here). */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loader.h"
#include "linux.h"

#define KIB 1024ull
#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)

uint8_t *loader_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    bool bad = buf && ferror(f);
    int e = errno;
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory reading the file", path);
    } else if (bad) {
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        free(buf);
        return NULL;
    }
    *len = n;
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

#define LOAD_ELF(EHDR, PHDR, BITS)                                                        \
static int load_elf##BITS(Machine *m, const char *path, const uint8_t *buf, size_t len,  \
                          uint64_t *entry, uint64_t *end, char *err, size_t errlen)       \
{                                                                                         \
    const EHDR *eh = (const EHDR *)buf;                                                   \
    if (len < sizeof *eh || eh->e_phoff > len ||                                          \
        (uint64_t)eh->e_phnum * sizeof(PHDR) > len - eh->e_phoff) {                      \
        snprintf(err, errlen, "%s: truncated ELF file: its headers run past the end (%zu bytes)", \
                 path, len);                                                              \
        return -1;                                                                        \
    }                                                                                     \
    if (eh->e_phnum && eh->e_phentsize != sizeof(PHDR)) {                                 \
        snprintf(err, errlen, "%s: ELF program header entries of %u bytes (expected %zu)", \
                 path, (unsigned)eh->e_phentsize, sizeof(PHDR));                          \
        return -1;                                                                        \
    }                                                                                     \
    const PHDR *ph = (const PHDR *)(buf + eh->e_phoff);                                   \
    uint64_t top = 0;                                                                     \
    for (unsigned i = 0; i < eh->e_phnum; i++) {                                          \
        if (ph[i].p_type != PT_LOAD)                                                      \
            continue;                                                                     \
        char what[32];                                                                    \
        snprintf(what, sizeof what, "segment %u", i);                                     \
        if (ph[i].p_offset > len || ph[i].p_filesz > len - ph[i].p_offset) {             \
            snprintf(err, errlen, "%s: truncated ELF file: segment %u needs bytes "       \
                     "%#llx-%#llx but the file has %zu", path, i,                         \
                     (unsigned long long)ph[i].p_offset,                                  \
                     (unsigned long long)ph[i].p_offset + ph[i].p_filesz, len);           \
            return -1;                                                                    \
        }                                                                                 \
        if (ph[i].p_filesz > ph[i].p_memsz) {                                             \
            snprintf(err, errlen, "%s: ELF segment %u has more file bytes than memory bytes", \
                     path, i);                                                            \
            return -1;                                                                    \
        }                                                                                 \
        if (loader_place(m, path, what, ph[i].p_paddr, buf + ph[i].p_offset,              \
                         ph[i].p_filesz, ph[i].p_memsz, err, errlen))                     \
            return -1;                                                                    \
        if (ph[i].p_paddr + ph[i].p_memsz > top)                                          \
            top = ph[i].p_paddr + ph[i].p_memsz;                                          \
    }                                                                                     \
    *entry = eh->e_entry;                                                                 \
    *end = top;                                                                           \
    return 0;                                                                             \
}
LOAD_ELF(Elf32_Ehdr, Elf32_Phdr, 32)
LOAD_ELF(Elf64_Ehdr, Elf64_Phdr, 64)

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
        return load_elf32(m, path, buf, len, entry, end, err, errlen);
    }
    if (buf[EI_CLASS] == ELFCLASS64 && machine == EM_X86_64) {
        *mode = CODE64;
        return load_elf64(m, path, buf, len, entry, end, err, errlen);
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
    size_t len;
    uint8_t *buf = loader_read_file(path, &len, err, errlen);
    if (!buf)
        return -1;
    int rc, mode = flat_mode;
    uint64_t entry = load_addr, end;
    if (is_flat)
        rc = loader_place(m, path, "the image", load_addr, buf, len, len, err, errlen);
    else
        rc = loader_elf(m, path, buf, len, &entry, &end, &mode, err, errlen);
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
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (!S_ISREG(st.st_mode) || size < 64 * KIB || size > 16 * MIB || size % (64 * KIB)) {
        if (!S_ISREG(st.st_mode))
            snprintf(err, errlen, "%s: not a regular file; -bios needs a ROM image", path);
        else
            snprintf(err, errlen, "%s: ROM image is %llu bytes; -bios needs a multiple of 64 KiB "
                     "from 64 KiB to 16 MiB", path, (unsigned long long)size);
        fclose(f);
        return -1;
    }
    /* No overlap with RAM to check: RAM below 4 GiB ends at
     * PC_RAM_BELOW_4G_MAX, under the lowest ROM base (4 GiB - 16 MiB). */
    uint64_t base = 4 * GIB - size;
    uint8_t *rom = malloc(size);
    if (!rom || fread(rom, 1, size, f) != size) {
        snprintf(err, errlen, "%s: %s", path, rom ? "short read (file changed while loading?)"
                 : "out of memory");
        free(rom);
        fclose(f);
        return -1;
    }
    fclose(f);
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
    cpu_reset(&m->cpu);
    return 0;
}

int machine_load_kernel(Machine *m, const char *path, const char *cmdline,
                        const char *initrd, char *err, size_t errlen)
{
    size_t len;
    uint8_t *buf = loader_read_file(path, &len, err, errlen);
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

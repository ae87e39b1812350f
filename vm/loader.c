/* loader.c — guest images: ELF32/ELF64 and flat binaries. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"

static uint8_t *read_file(const char *path, size_t *len, char *err, size_t errlen)
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
    fclose(f);
    if (!buf)
        snprintf(err, errlen, "%s: out of memory reading the file", path);
    *len = n;
    return buf;
}

static int place(Machine *m, const char *path, uint64_t pa, const uint8_t *src, uint64_t filesz,
                 uint64_t memsz, char *err, size_t errlen)
{
    if (pa + memsz > m->mem.ram_size || pa + memsz < pa) {
        snprintf(err, errlen, "%s: segment at %#llx+%#llx lies outside guest RAM (%llu MiB)",
                 path, (unsigned long long)pa, (unsigned long long)memsz,
                 (unsigned long long)(m->mem.ram_size >> 20));
        return -1;
    }
    memcpy(m->mem.ram + pa, src, filesz);
    memset(m->mem.ram + pa + filesz, 0, memsz - filesz);
    return 0;
}

#define LOAD_ELF(EHDR, PHDR, BITS)                                                        \
static int load_elf##BITS(Machine *m, const char *path, const uint8_t *buf, size_t len,  \
                          uint64_t *entry, char *err, size_t errlen)                      \
{                                                                                         \
    const EHDR *eh = (const EHDR *)buf;                                                   \
    if (len < sizeof *eh || eh->e_phoff > len ||                                          \
        (uint64_t)eh->e_phnum * sizeof(PHDR) > len - eh->e_phoff) {                      \
        snprintf(err, errlen, "%s: truncated ELF header", path);                         \
        return -1;                                                                        \
    }                                                                                     \
    const PHDR *ph = (const PHDR *)(buf + eh->e_phoff);                                   \
    for (unsigned i = 0; i < eh->e_phnum; i++) {                                          \
        if (ph[i].p_type != PT_LOAD)                                                      \
            continue;                                                                     \
        if (ph[i].p_offset > len || ph[i].p_filesz > len - ph[i].p_offset ||             \
            ph[i].p_filesz > ph[i].p_memsz) {                                             \
            snprintf(err, errlen, "%s: segment %u runs past the end of the file", path, i); \
            return -1;                                                                    \
        }                                                                                 \
        if (place(m, path, ph[i].p_paddr, buf + ph[i].p_offset, ph[i].p_filesz,           \
                  ph[i].p_memsz, err, errlen))                                            \
            return -1;                                                                    \
    }                                                                                     \
    *entry = eh->e_entry;                                                                 \
    return 0;                                                                             \
}
LOAD_ELF(Elf32_Ehdr, Elf32_Phdr, 32)
LOAD_ELF(Elf64_Ehdr, Elf64_Phdr, 64)

int machine_load(Machine *m, const char *path, bool is_flat, uint64_t load_addr,
                 int flat_mode, char *err, size_t errlen)
{
    size_t len;
    uint8_t *buf = read_file(path, &len, err, errlen);
    if (!buf)
        return -1;
    int rc = -1, mode = flat_mode;
    uint64_t entry = load_addr;
    bool elf = len >= 20 && !memcmp(buf, ELFMAG, SELFMAG);
    if (is_flat) {
        rc = place(m, path, load_addr, buf, len, len, err, errlen);
    } else if (!elf) {
        snprintf(err, errlen, "%s: not a recognised guest image (expected ELF; use -bin for flat binaries)", path);
    } else if (buf[EI_CLASS] == ELFCLASS32 && ((Elf32_Ehdr *)buf)->e_machine == EM_386) {
        mode = CODE32;
        rc = load_elf32(m, path, buf, len, &entry, err, errlen);
    } else if (buf[EI_CLASS] == ELFCLASS64 && ((Elf64_Ehdr *)buf)->e_machine == EM_X86_64) {
        mode = CODE64;
        rc = load_elf64(m, path, buf, len, &entry, err, errlen);
    } else {
        snprintf(err, errlen, "%s: ELF for an unsupported machine or class", path);
    }
    free(buf);
    if (rc)
        return rc;
    CPU *cpu = &m->cpu;
    cpu_reset_flat(cpu, mode, entry);
    if (mode == CODE16) {
        /* CS:IP = entry as segment:offset with the smallest offset. */
        cpu->seg[S_CS].sel = (uint16_t)(entry >> 4);
        cpu->seg[S_CS].base = entry & ~0xfull;
        cpu->rip = entry & 0xf;
        cpu->regs[R_SP] = 0x7c00;
    } else {
        uint64_t top = m->mem.ram_size < (1ull << 32) ? m->mem.ram_size : (1ull << 32);
        cpu->regs[R_SP] = top - 16;
    }
    return 0;
}

/* Until the firmware and Multiboot loaders land: refuse clearly. */
int machine_load_bios(Machine *m, const char *path, char *err, size_t errlen)
{
    (void)m;
    snprintf(err, errlen, "%s: -bios is not implemented yet", path);
    return -1;
}

int machine_load_kernel(Machine *m, const char *path, const char *cmdline,
                        const char *initrd, char *err, size_t errlen)
{
    (void)cmdline; (void)initrd;
    return machine_load(m, path, false, 0, CODE32, err, errlen);
}

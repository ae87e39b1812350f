/* test_loader.c — the -bios, Multiboot and ELF loaders, called directly:
 * every bad input gives one line naming the file and the problem; good
 * input lands where the PC memory map and the Multiboot specification
 * say.  Inputs are small files written into a temporary directory. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/options.h"

#include "loader_files.h"

static uint32_t rd32(Machine *m, uint64_t pa) { return (uint32_t)mem_phys_read(&m->mem, pa, 4); }
static uint64_t rd64(Machine *m, uint64_t pa) { return mem_phys_read(&m->mem, pa, 8); }

/* ---- -bios ---- */

/* Differs between any two 64 KiB pieces, so a misplaced alias shows. */
static uint8_t rom_byte(size_t i) { return (uint8_t)(i * 7 + (i >> 16) * 13); }

static const char *rom_file(const char *name, size_t size)
{
    uint8_t *b = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++)
        b[i] = rom_byte(i);
    const char *p = write_file(name, b, size);
    free(b);
    return p;
}

static void test_bios_bad_sizes(void)
{
    static const size_t sizes[] = { 0, 1000, 32 << 10, (64 << 10) - 1, (64 << 10) + 4096,
                                    (16 << 20) + (64 << 10) };
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "rom%u.bin", i);
        const char *p = rom_file(name, sizes[i]);
        Machine *m = new_bios_pc(16 << 20);
        char err[256] = "";
        int rc = machine_load_bios(m, p, err, sizeof err);
        CHECK(one_line_error(rc, err, p, "multiple of 64 KiB from 64 KiB to 16 MiB"),
              "ROM of %zu bytes refused", sizes[i]);
        del_pc(m);
    }
    Machine *m = new_bios_pc(16 << 20);
    char err[256] = "";
    const char *missing = tpath("no-such-rom.bin");
    CHECK(one_line_error(machine_load_bios(m, missing, err, sizeof err), err, missing,
                         "No such file"), "missing ROM file");
    del_pc(m);
    /* A 16 MiB ROM sits at 0xFF000000; with -m 4081M the RAM that would
     * reach it is above 4 GiB instead (3 GiB below the 32-bit hole). */
    const char *big = rom_file("rom16m.bin", 16 << 20);
    m = new_bios_pc(4081ull << 20);
    CHECK(machine_load_bios(m, big, err, sizeof err) == 0, "16 MiB ROM with -m 4081M: %s", err);
    CHECK(m->mem.ram_below_4g == 3ull << 30 && m->mem.ram_above_4g == 4081ull * 1048576 - (3ull << 30),
          "RAM split at 3 GiB");
    mem_phys_write(&m->mem, 0xbffffff8u, 0x1122334455667788ull, 8);
    mem_phys_write(&m->mem, 0x100000000ull + m->mem.ram_above_4g - 8, 0x8877665544332211ull, 8);
    CHECK(mem_phys_read(&m->mem, 0xbffffff8u, 8) == 0x1122334455667788ull &&
          mem_phys_read(&m->mem, 0x100000000ull + m->mem.ram_above_4g - 8, 8) == 0x8877665544332211ull,
          "RAM at both ends of the hole");
    CHECK(mem_phys_read(&m->mem, 0xc0000000u, 4) == 0xffffffffu &&
          mem_phys_read(&m->mem, 0x100000000ull + m->mem.ram_above_4g, 4) == 0xffffffffu,
          "the hole and the end of RAM above 4 GiB are unmapped");
    CHECK(mem_phys_read(&m->mem, 0xff000000u, 1) == rom_byte(0), "ROM readable in the hole");
    del_pc(m);
    m = new_bios_pc(4080ull << 20);
    CHECK(machine_load_bios(m, big, err, sizeof err) == 0, "16 MiB ROM with -m 4080M: %s", err);
    CHECK(mem_phys_read(&m->mem, 0xff000000u, 1) == rom_byte(0) &&
          mem_phys_read(&m->mem, 0xff000000u + 0x123457, 1) == rom_byte(0x123457),
          "16 MiB ROM starts at 0xFF000000");
    del_pc(m);
}

static void test_bios_map(size_t size)
{
    char name[32];
    snprintf(name, sizeof name, "good%zuk.rom", size >> 10);
    const char *p = rom_file(name, size);
    uint8_t *img = malloc(size);
    FILE *f = fopen(p, "rb");
    if (!f || fread(img, 1, size, f) != size)
        exit(2);
    fclose(f);
    Machine *m = new_bios_pc(32 << 20);
    CPU *cpu = &m->cpu;
    /* Disturb the CPU so the load has to put the reset state back. */
    cpu->rip = 0x1234;
    cpu->cr0 = 0x11;
    cpu->regs[R_DX] = 0;
    char err[256] = "";
    CHECK(machine_load_bios(m, p, err, sizeof err) == 0, "load %zu KiB ROM: %s", size >> 10, err);
    uint64_t base = 0x100000000ull - size, low = size < (128 << 10) ? size : (128 << 10);
    bool hi_ok = true, lo_ok = true;
    for (uint64_t off = 0; off < size; off += 4) {
        uint32_t want;
        memcpy(&want, img + off, 4);
        hi_ok &= rd32(m, base + off) == want;
        if (off >= size - low)
            lo_ok &= rd32(m, 0x100000 - size + off) == want;
    }
    CHECK(hi_ok, "%zu KiB ROM visible at %#llx", size >> 10, (unsigned long long)base);
    CHECK(lo_ok, "last %llu KiB of the ROM visible below 1 MiB", (unsigned long long)(low >> 10));
    if (low < (128 << 10))
        CHECK(rd32(m, 0x100000 - low - 4) == 0xffffffffu, "below the low alias: unmapped");
    CHECK(rd32(m, 0xa0000) == 0xffffffffu && rd32(m, 0xb8000) == 0xffffffffu &&
          rd32(m, 0xc0000) == 0xffffffffu, "VGA window and 0xC0000 read all-ones");
    mem_phys_write(&m->mem, 0xb8000, 0x07410741, 4);
    CHECK(rd32(m, 0xb8000) == 0xffffffffu, "VGA window ignores writes");
    uint32_t before = rd32(m, 0xffff0);
    mem_phys_write(&m->mem, 0xffff0, ~before, 4);
    mem_phys_write(&m->mem, 0xfffffff0u, ~before, 4);
    CHECK(rd32(m, 0xffff0) == before && rd32(m, 0xfffffff0u) == before, "ROM ignores writes");
    mem_phys_write(&m->mem, 0x9fffc, 0xdeadbeef, 4);
    mem_phys_write(&m->mem, 0x100000, 0xcafef00d, 4);
    CHECK(rd32(m, 0x9fffc) == 0xdeadbeef && rd32(m, 0x100000) == 0xcafef00d,
          "RAM below 0xA0000 and from 1 MiB");
    CHECK(cpu->seg[S_CS].sel == 0xf000 && cpu->seg[S_CS].base == 0xffff0000u && cpu->rip == 0xfff0 &&
          cpu->cr0 == 0x60000010 && cpu->code_mode == CODE16 && cpu->regs[R_DX] != 0,
          "reset state: CS %04x base %#llx IP %#llx CR0 %#llx EDX %#llx", cpu->seg[S_CS].sel,
          (unsigned long long)cpu->seg[S_CS].base, (unsigned long long)cpu->rip,
          (unsigned long long)cpu->cr0, (unsigned long long)cpu->regs[R_DX]);
    CHECK(machine_load_bios(m, p, err, sizeof err) == -1 && strstr(err, "already"),
          "a second -bios is refused: %s", err);
    del_pc(m);
    free(img);
}

/* ---- ELF and Multiboot images ---- */

typedef struct Seg32 { uint32_t paddr, filesz, memsz; const void *data; } Seg32;

/* An ELF32 i386 executable: headers, then each segment's bytes. */
static size_t make_elf32(uint8_t *out, uint32_t entry, const Seg32 *segs, unsigned n)
{
    Elf32_Ehdr eh = { 0 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_entry = entry;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = (uint16_t)n;
    memcpy(out, &eh, sizeof eh);
    size_t off = sizeof eh + n * sizeof(Elf32_Phdr);
    for (unsigned i = 0; i < n; i++) {
        Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = (uint32_t)off, .p_vaddr = segs[i].paddr,
                          .p_paddr = segs[i].paddr, .p_filesz = segs[i].filesz,
                          .p_memsz = segs[i].memsz, .p_flags = PF_R | PF_W | PF_X };
        memcpy(out + sizeof eh + i * sizeof ph, &ph, sizeof ph);
        memcpy(out + off, segs[i].data, segs[i].filesz);
        off += segs[i].filesz;
    }
    return off;
}

/* A Multiboot header (12 bytes, or 32 with the address fields). */
static size_t mb_header(uint8_t *at, uint32_t flags, bool good_sum, const uint32_t *addr)
{
    uint32_t h[8] = { 0x1badb002u, flags, -(0x1badb002u + flags) + (good_sum ? 0 : 1) };
    size_t n = 12;
    if (addr) {
        memcpy(h + 3, addr, 5 * 4);
        n = 32;
    }
    memcpy(at, h, n);
    return n;
}

/* A Multiboot ELF kernel: its text segment starts with the header. */
static const char *mb_elf(const char *name, uint32_t flags, bool good_sum, uint32_t paddr,
                          uint32_t memsz)
{
    static uint8_t text[256], file[4096];
    memset(text, 0x90, sizeof text);
    mb_header(text, flags, good_sum, NULL);
    Seg32 s = { paddr, sizeof text, memsz, text };
    size_t n = make_elf32(file, paddr + 64, &s, 1);
    return write_file(name, file, n);
}

static void test_elf_bad(void)
{
    Machine *m = new_pc(16 << 20);
    char err[256];
    uint8_t file[4096], data[64] = { 0 };
    const char *p;

    Seg32 far = { 0x20000000, sizeof data, sizeof data, data };
    p = write_file("far.elf", file, make_elf32(file, 0x20000000, &far, 1));
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "lies outside guest RAM"), "ELF segment above RAM");
    Seg32 bss = { 0xff0000, sizeof data, 0x20000, data };  /* file part fits, bss does not */
    p = write_file("bss.elf", file, make_elf32(file, 0xff0000, &bss, 1));
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "lies outside guest RAM"), "ELF bss past the end of RAM");
    Seg32 vga = { 0xb8000, sizeof data, sizeof data, data };
    p = write_file("vga.elf", file, make_elf32(file, 0xb8000, &vga, 1));
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "which is not RAM"), "ELF segment in the legacy hole");
    p = mb_elf("mbfar.elf", 0x3, true, 0x7f000000, 256);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "lies outside guest RAM"), "Multiboot ELF segment above RAM");

    Seg32 ok = { 0x100000, sizeof data, sizeof data, data };
    size_t n = make_elf32(file, 0x100000, &ok, 1);
    p = write_file("trunc_hdr.elf", file, 30);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "truncated ELF"), "ELF cut inside its header");
    p = write_file("trunc_ph.elf", file, sizeof(Elf32_Ehdr) + 10);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "truncated ELF"), "ELF cut inside its program headers");
    p = write_file("trunc_seg.elf", file, n - 1);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "truncated ELF"), "ELF cut inside its segment");
    p = write_file("trunc_mb.elf", file, 3);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "not a recognised guest image"), "three bytes are no image");
    p = write_file("plain.elf", file, n);
    CHECK(one_line_error(machine_load_kernel(m, p, "quiet", NULL, err, sizeof err), err, p,
                         "no Multiboot header"), "-append on a plain ELF is refused");
    const char *missing = tpath("missing.elf");
    CHECK(one_line_error(machine_load_kernel(m, missing, "", NULL, err, sizeof err), err, missing,
                         "No such file"), "missing kernel");
    del_pc(m);
}

static void test_multiboot_bad(void)
{
    Machine *m = new_pc(16 << 20);
    char err[256];
    const char *p = mb_elf("badsum.elf", 0x3, false, 0x100000, 256);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "bad checksum"), "Multiboot checksum");
    p = mb_elf("video.elf", 0x7, true, 0x100000, 256);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "video mode"), "required video mode refused");
    p = mb_elf("req8.elf", 0x8 | 0x3, true, 0x100000, 256);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "flag bits 0x8"), "unknown required flag refused");
    p = mb_elf("opt.elf", 0x00f00003, true, 0x100000, 256);
    CHECK(machine_load_kernel(m, p, "", NULL, err, sizeof err) == 0,
          "unknown optional flags (bits 20-23) are ignored: %s", err);

    p = mb_elf("mods.elf", 0x3, true, 0x100000, 256);
    const char *a = write_file("a.mod", "module a\n", 9);
    const char *missing = tpath("no-such.mod");
    char list[600];
    snprintf(list, sizeof list, "%s,%s", a, missing);
    CHECK(one_line_error(machine_load_kernel(m, p, "", list, err, sizeof err), err, missing,
                         "No such file"), "missing module");
    CHECK(strstr(err, "module 2") != NULL, "the error says which module: %s", err);
    snprintf(list, sizeof list, "%s,,%s", a, a);
    CHECK(one_line_error(machine_load_kernel(m, p, "", list, err, sizeof err), err, list,
                         "empty module name"), "empty module name");

    /* The a.out kludge asking for more bytes than the file has. */
    uint8_t img[512] = { 0 };
    uint32_t addr[5] = { 0x100000, 0x100000, 0x100000 + 4096, 0, 0x100020 };
    mb_header(img, 0x10003, true, addr);
    p = write_file("aout_trunc.bin", img, sizeof img);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "truncated Multiboot image"), "a.out kludge past the end of the file");
    uint32_t bad[5] = { 0x100000, 0x100010, 0, 0, 0x100020 };  /* load_addr > header_addr */
    mb_header(img, 0x10003, true, bad);
    p = write_file("aout_bad.bin", img, sizeof img);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "inconsistent"), "a.out kludge with load_addr above header_addr");
    mb_header(img, 0x3, true, NULL);
    p = write_file("mb_notelf.bin", img, sizeof img);
    CHECK(one_line_error(machine_load_kernel(m, p, "", NULL, err, sizeof err), err, p,
                         "must be ELF"), "Multiboot without address fields must be ELF");
    del_pc(m);
}

/* A good Multiboot ELF with two modules: registers, the information
 * structure, the modules, the memory map. */
static void test_multiboot_elf(void)
{
    Machine *m = new_pc(48 << 20);
    char err[256] = "";
    const char *p = mb_elf("good.elf", 0x3, true, 0x100000, 0x3000);  /* bss to 0x103000 */
    uint8_t big[5000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i % 251);
    const char *a = write_file("first.mod", "first module\n", 13);
    const char *b = write_file("second.mod", big, sizeof big);
    char list[600];
    snprintf(list, sizeof list, "%s,%s", a, b);
    int rc = machine_load_kernel(m, p, "console=ttyS0 quiet", list, err, sizeof err);
    CHECK(rc == 0, "load Multiboot ELF: %s", err);
    if (rc)
        goto out;
    CPU *cpu = &m->cpu;
    CHECK(cpu->regs[R_AX] == 0x2badb002u, "EAX = %#llx", (unsigned long long)cpu->regs[R_AX]);
    CHECK(cpu->rip == 0x100040 && cpu->code_mode == CODE32 && (cpu->cr0 & 0x80000001) == 1 &&
          !(cpu->eflags & (F_IF | F_VM)) && cpu->seg[S_CS].base == 0 && cpu->seg[S_CS].limit == 0xffffffffu &&
          cpu->seg[S_DS].limit == 0xffffffffu && cpu->seg[S_SS].base == 0 && m->mem.a20_mask == ~0ull,
          "32-bit flat protected mode, paging and interrupts off, A20 on");
    uint64_t mbi = cpu->regs[R_BX];
    CHECK(mbi >= 0x103000 && !(mbi & 0xfff), "info above the kernel, page-aligned: %#llx", (unsigned long long)mbi);
    CHECK(rd32(m, mbi) == (1u | 4u | 8u | 64u | 512u), "info flags %#x", rd32(m, mbi));
    CHECK(rd32(m, mbi + 4) == 639 && rd32(m, mbi + 8) == 47 * 1024, "mem_lower %u, mem_upper %u",
          rd32(m, mbi + 4), rd32(m, mbi + 8));
    char s[300];
    uint32_t cl = rd32(m, mbi + 16);
    char want_cl[300];
    snprintf(want_cl, sizeof want_cl, "%s console=ttyS0 quiet", p);
    CHECK(cl && !strcmp((char *)m->mem.ram + cl, want_cl), "cmdline: the kernel's path, then -append");
    CHECK(rd32(m, mbi + 64) && !strcmp((char *)m->mem.ram + rd32(m, mbi + 64), "ringzero"), "loader name");
    CHECK(rd32(m, mbi + 20) == 2, "two modules");
    uint32_t mods = rd32(m, mbi + 24);
    uint32_t s0 = rd32(m, mods), e0 = rd32(m, mods + 4), s1 = rd32(m, mods + 16), e1 = rd32(m, mods + 20);
    CHECK(s0 == 0x103000 && e0 == s0 + 13, "module 1 at %#x-%#x, right after the kernel's bss", s0, e0);
    CHECK(s1 == 0x104000 && e1 == s1 + sizeof big, "module 2 at %#x-%#x, next page", s1, e1);
    CHECK(!memcmp(m->mem.ram + s0, "first module\n", 13) && !memcmp(m->mem.ram + s1, big, sizeof big),
          "module contents");
    snprintf(s, sizeof s, "%s", (char *)m->mem.ram + rd32(m, mods + 8));
    CHECK(!strcmp(s, a), "module 1 string '%s'", s);
    snprintf(s, sizeof s, "%s", (char *)m->mem.ram + rd32(m, mods + 24));
    CHECK(!strcmp(s, b), "module 2 string '%s'", s);
    CHECK(mbi >= ((e1 + 4095) & ~4095u), "info after the modules");
    static const uint64_t want[4][3] = {
        { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xa0000, 0x60000, 2 }, { 0x100000, (48 << 20) - 0x100000, 1 },
    };
    uint32_t len = rd32(m, mbi + 44), at = rd32(m, mbi + 48);
    CHECK(len == 4 * 24, "mmap_length %u", len);
    for (unsigned i = 0; i < 4; i++, at += 24)
        CHECK(rd32(m, at) == 20 && rd64(m, at + 4) == want[i][0] && rd64(m, at + 12) == want[i][1] &&
              rd32(m, at + 20) == want[i][2], "mmap entry %u", i);
out:
    del_pc(m);
}

/* The a.out kludge: a flat image, bss zeroed up to bss_end_addr. */
static void test_multiboot_aout(void)
{
    Machine *m = new_pc(16 << 20);
    uint8_t img[0x1800];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i ^ 0x5a);
    /* Loaded at 0x200000 with the header 0x40 bytes in; only the first
     * 0x1000 bytes are text+data, the rest of the file is ignored. */
    uint32_t addr[5] = { 0x200040, 0x200000, 0x201000, 0x203000, 0x200100 };
    mb_header(img + 0x40, 0x10002, true, addr);
    const char *p = write_file("aout.bin", img, sizeof img);
    memset(m->mem.ram + 0x200000, 0xcc, 0x4000);
    char err[256] = "";
    int rc = machine_load_kernel(m, p, "", NULL, err, sizeof err);
    CHECK(rc == 0, "load a.out-kludge image: %s", err);
    CHECK(!memcmp(m->mem.ram + 0x200000, img, 0x1000), "text+data at load_addr");
    bool zero = true;
    for (unsigned i = 0x1000; i < 0x3000; i++)
        zero &= m->mem.ram[0x200000 + i] == 0;
    CHECK(zero, "bss zeroed to bss_end_addr (and the file's bytes past load_end_addr not loaded)");
    CHECK(m->cpu.rip == 0x200100 && m->cpu.regs[R_AX] == 0x2badb002u, "entry_addr and EAX");
    CHECK(m->cpu.regs[R_BX] == 0x203000, "info right after the bss: %#llx",
          (unsigned long long)m->cpu.regs[R_BX]);
    CHECK(rd32(m, m->cpu.regs[R_BX] + 20) == 0, "no modules");
    uint32_t cl = rd32(m, m->cpu.regs[R_BX] + 16);
    CHECK(cl && !strcmp((char *)m->mem.ram + cl, p), "without -append the command line is the path");
    del_pc(m);
}

/* Without a Multiboot header: ELF32 flat 32-bit, ELF64 flat 64-bit. */
static void test_plain_elf(void)
{
    Machine *m = new_pc(16 << 20);
    char err[256] = "";
    uint8_t file[4096], data[32];
    memset(data, 0x90, sizeof data);
    Seg32 s = { 0x100000, sizeof data, sizeof data, data };
    const char *p = write_file("p32.elf", file, make_elf32(file, 0x100010, &s, 1));
    CHECK(machine_load_kernel(m, p, "", NULL, err, sizeof err) == 0 && m->cpu.code_mode == CODE32 &&
          m->cpu.rip == 0x100010, "plain ELF32: %s", err);
    Elf64_Ehdr eh = { 0 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_machine = EM_X86_64;
    eh.e_entry = 0x200000;
    eh.e_phoff = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 1;
    Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = sizeof eh + sizeof ph, .p_paddr = 0x200000,
                      .p_filesz = sizeof data, .p_memsz = sizeof data };
    memcpy(file, &eh, sizeof eh);
    memcpy(file + sizeof eh, &ph, sizeof ph);
    memcpy(file + sizeof eh + sizeof ph, data, sizeof data);
    p = write_file("p64.elf", file, sizeof eh + sizeof ph + sizeof data);
    CHECK(machine_load_kernel(m, p, "", NULL, err, sizeof err) == 0 && m->cpu.code_mode == CODE64 &&
          m->cpu.rip == 0x200000, "plain ELF64: %s", err);
    del_pc(m);
}


/* ELF header fields are read whatever their alignment: program headers at
 * an odd offset load as well as aligned ones (UBSan's alignment check
 * caught the old pointer casts). */
static void test_elf_unaligned(void)
{
    Machine *m = new_pc(16 << 20);
    char err[256] = "";
    uint8_t file[4096], data[32];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(0xa0 + i);
    /* ELF32: phdr at 0x35, segment bytes right after it. */
    Elf32_Ehdr e32 = { 0 };
    memcpy(e32.e_ident, ELFMAG, SELFMAG);
    e32.e_ident[EI_CLASS] = ELFCLASS32;
    e32.e_machine = EM_386;
    e32.e_entry = 0x100004;
    e32.e_phoff = 0x35;
    e32.e_phentsize = sizeof(Elf32_Phdr);
    e32.e_phnum = 1;
    Elf32_Phdr p32 = { .p_type = PT_LOAD, .p_offset = 0x35 + sizeof p32, .p_paddr = 0x100000,
                       .p_filesz = sizeof data, .p_memsz = sizeof data + 16 };
    memset(file, 0, sizeof file);
    memcpy(file, &e32, sizeof e32);
    memcpy(file + 0x35, &p32, sizeof p32);
    memcpy(file + 0x35 + sizeof p32, data, sizeof data);
    const char *p = write_file("odd32.elf", file, 0x35 + sizeof p32 + sizeof data);
    CHECK(machine_load_kernel(m, p, "", NULL, err, sizeof err) == 0 && m->cpu.rip == 0x100004 &&
          !memcmp(m->mem.ram + 0x100000, data, sizeof data) && m->mem.ram[0x100000 + sizeof data] == 0,
          "ELF32 with e_phoff 0x35: %s", err);
    /* ELF64: phdr at 0x43. */
    Elf64_Ehdr e64 = { 0 };
    memcpy(e64.e_ident, ELFMAG, SELFMAG);
    e64.e_ident[EI_CLASS] = ELFCLASS64;
    e64.e_machine = EM_X86_64;
    e64.e_entry = 0x300008;
    e64.e_phoff = 0x43;
    e64.e_phentsize = sizeof(Elf64_Phdr);
    e64.e_phnum = 1;
    Elf64_Phdr p64 = { .p_type = PT_LOAD, .p_offset = 0x43 + sizeof p64, .p_paddr = 0x300000,
                       .p_filesz = sizeof data, .p_memsz = sizeof data };
    memset(file, 0, sizeof file);
    memcpy(file, &e64, sizeof e64);
    memcpy(file + 0x43, &p64, sizeof p64);
    memcpy(file + 0x43 + sizeof p64, data, sizeof data);
    p = write_file("odd64.elf", file, 0x43 + sizeof p64 + sizeof data);
    CHECK(machine_load_kernel(m, p, "", NULL, err, sizeof err) == 0 && m->cpu.rip == 0x300008 &&
          m->cpu.code_mode == CODE64 && !memcmp(m->mem.ram + 0x300000, data, sizeof data),
          "ELF64 with e_phoff 0x43: %s", err);
    del_pc(m);
}

/* Files are checked before they are read: anything but a regular file, or
 * a file larger than guest RAM, is refused with its name and the sizes. */
static void test_file_checks(void)
{
    Machine *m = new_pc(16 << 20);
    char err[256] = "";
    CHECK(one_line_error(machine_load_kernel(m, "/dev/zero", "", NULL, err, sizeof err), err,
                         "/dev/zero", "not a regular file (a character device)"), "-kernel /dev/zero");
    CHECK(one_line_error(machine_load_bios(m, "/dev/zero", err, sizeof err), err, "/dev/zero",
                         "not a regular file"), "-bios /dev/zero");
    CHECK(one_line_error(machine_load(m, "/dev/zero", true, 0x7c00, CODE16, err, sizeof err), err,
                         "/dev/zero", "not a regular file"), "-bin /dev/zero");
    CHECK(one_line_error(machine_load_kernel(m, tmpdir, "", NULL, err, sizeof err), err, tmpdir,
                         "a directory"), "-kernel DIR");
    const char *fifo = tpath("fifo");
    if (mkfifo(fifo, 0600) == 0)   /* opening it must not wait for a writer */
        CHECK(one_line_error(machine_load_kernel(m, fifo, "", NULL, err, sizeof err), err, fifo,
                             "a pipe"), "-kernel FIFO");
    /* 17 MiB (sparse) against 16 MiB of RAM. */
    const char *big = tpath("big.img");
    FILE *f = fopen(big, "wb");
    CHECK(f && ftruncate(fileno(f), 17 << 20) == 0, "make a sparse file");
    if (f)
        fclose(f);
    CHECK(one_line_error(machine_load_kernel(m, big, "", NULL, err, sizeof err), err, big,
                         "the file is 17825792 bytes, more than guest RAM (16777216 bytes, -m 16M)"),
          "-kernel larger than RAM");
    CHECK(one_line_error(machine_load(m, big, true, 0x100000, CODE32, err, sizeof err), err, big,
                         "more than guest RAM"), "-bin larger than RAM");
    const char *k = mb_elf("mbk.elf", 0x3, true, 0x100000, 256);
    CHECK(one_line_error(machine_load_kernel(m, k, "", big, err, sizeof err), err, big,
                         "more than guest RAM"), "-initrd larger than RAM");
    CHECK(one_line_error(machine_load_kernel(m, k, "", "/dev/zero", err, sizeof err), err,
                         "/dev/zero", "not a regular file"), "-initrd /dev/zero");
    /* -bin: empty files, and real mode at or above 1 MiB. */
    const char *empty = write_file("empty.bin", "", 0);
    CHECK(one_line_error(machine_load(m, empty, true, 0x7c00, CODE16, err, sizeof err), err, empty,
                         "the file is empty"), "empty -bin");
    const char *one = write_file("hlt.bin", "\xf4", 1);
    CHECK(one_line_error(machine_load(m, one, true, 0x100000, CODE16, err, sizeof err), err, one,
                         "-mode 16 starts in real mode, which cannot start at 0x100000"),
          "-bin @1 MiB in real mode refused");
    CHECK(one_line_error(machine_load(m, one, true, 0xffff0, CODE16, err, sizeof err), err, one,
                         "which is not RAM"), "-bin in the legacy hole refused");
    CHECK(machine_load(m, one, true, 0x9fff0, CODE16, err, sizeof err) == 0 &&
          m->cpu.seg[S_CS].sel == 0x9fff && m->cpu.rip == 0 && m->mem.ram[0x9fff0] == 0xf4,
          "-bin at 0x9FFF0 in real mode: CS:IP 9fff:0000: %s", err);
    CHECK(machine_load(m, one, true, 0x100000, CODE32, err, sizeof err) == 0 &&
          m->cpu.rip == 0x100000, "-bin at 1 MiB in 32-bit mode: %s", err);
    del_pc(m);
}

/* -m and -bin values (vm/options.c). */
static void test_options(void)
{
    static const struct { const char *s; uint64_t host, want; const char *why; } sizes[] = {
        { "128M", 0, 128ull << 20, NULL },
        { "64", 0, 64ull << 20, NULL },
        { "0x10", 0, 16ull << 20, NULL },
        { "4096K", 0, 4ull << 20, NULL },
        { "2G", 0, 2ull << 30, NULL },
        { "64G", 0, 64ull << 30, NULL },
        { "1M", 1ull << 20, 1ull << 20, NULL },
        { "17592186044417", 0, 0, "larger than the supported 64G" },   /* wrapped to 1M */
        { "17179869184G", 0, 0, "larger than the supported 64G" },     /* 2^34 G wraps to 0 */
        { "18446744073709551617", 0, 0, "not a size (too large)" },
        { "65537M", 0, 0, "larger than the supported 64G" },
        { "1T", 0, 0, "larger than the supported 64G" },
        { "-1", 0, 0, "not a size (negative)" },
        { "-128M", 0, 0, "not a size (negative)" },
        { " 12", 0, 0, "not a size" },
        { "12x", 0, 0, "not a size" },
        { "", 0, 0, "not a size" },
        { "4K", 0, 0, "too small" },
        { "0", 0, 0, "too small" },
        { "2G", 1ull << 30, 0, "larger than this host's memory (1024 MiB)" },
    };
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char err[160] = "";
        uint64_t v = 0;
        int rc = parse_ram_size(sizes[i].s, sizes[i].host, &v, err, sizeof err);
        if (sizes[i].why)
            CHECK(rc == -1 && strstr(err, sizes[i].why) && strstr(err, sizes[i].s),
                  "-m '%s' refused: '%s'", sizes[i].s, err);
        else
            CHECK(rc == 0 && v == sizes[i].want, "-m '%s' = %llu: %s", sizes[i].s,
                  (unsigned long long)v, err);
    }
    CHECK(host_memory_bytes() >= (64ull << 20), "host memory is known");
    char err[160] = "", *file = NULL;
    uint64_t addr = 0;
    CHECK(parse_bin_spec("a@b.bin@0x7c00", &file, &addr, err, sizeof err) == 0 && file &&
          !strcmp(file, "a@b.bin") && addr == 0x7c00, "the last '@' separates: %s", err);
    free(file);
    static const struct { const char *s, *why; } bad[] = {
        { "@0x100000", "no file name before the '@'" },
        { "f.bin", "should be FILE@ADDR" },
        { "f.bin@", "should be FILE@ADDR" },
        { "f.bin@0x10z", "bad address" },
        { "f.bin@-16", "bad address" },
        { "f.bin@99999999999999999999", "bad address" },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        file = NULL;
        CHECK(parse_bin_spec(bad[i].s, &file, &addr, err, sizeof err) == -1 && !file &&
              strstr(err, bad[i].why), "-bin '%s' refused: '%s'", bad[i].s, err);
    }
}

int main(void)
{
    if (make_tmpdir())
        return 2;
    test_bios_bad_sizes();
    test_bios_map(64 << 10);
    test_bios_map(256 << 10);
    test_elf_bad();
    test_multiboot_bad();
    test_multiboot_elf();
    test_multiboot_aout();
    test_plain_elf();
    test_elf_unaligned();
    test_file_checks();
    test_options();
    remove_tmpdir();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

/* test_linux.c — the Linux boot-protocol loader (vm/linux.c) with synthetic
 * bzImages: the setup header's checks, where kernel, initrd, command line
 * and boot_params land, the e820 map for small and large -m, the 64-bit
 * and 32-bit entry states (run for two instructions to see the page
 * tables, GDT and RSI work), and fw_cfg's view of the same machine. */
#include "loader_files.h"
#include "hw/fw_cfg.h"
#include "hw/pc.h"

#define MIB (1024ull * 1024)
#define SETUP_SECTS 2
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define KSIZE 0x3000            /* bytes of protected-mode "kernel" */
#define PREF 0x1000000ull
#define INIT_SIZE 0x400000u
#define ZP 0x7000               /* LINUX_ZERO_PAGE */

/* n bytes of the selected fw_cfg item, little-endian: the data port is
 * a byte port, as in QEMU. */
static uint64_t fw_cfg_bytes(Mem *mem, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= mem_port_read(mem, 0x511, 1) << (8 * i);
    return v;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static uint64_t rdp(Machine *m, uint64_t pa, unsigned n) { return mem_phys_read(&m->mem, pa, n); }

static uint8_t image[SETUP_SIZE + KSIZE];

/* mov eax, [esi/rsi + 0x210] (type_of_loader and the next bytes); hlt.
 * The same bytes in 32- and 64-bit code. */
static const uint8_t entry_code[] = { 0x8b, 0x86, 0x10, 0x02, 0x00, 0x00, 0xf4 };

/* A bzImage with protocol `version`, 64-bit entry when k64. */
static const char *make_bzimage(const char *name, uint16_t version, bool k64, size_t len)
{
    memset(image, 0, sizeof image);
    image[0x1f1] = SETUP_SECTS;
    put32(image + 0x1f4, KSIZE / 16);           /* syssize */
    put16(image + 0x1fe, 0xaa55);
    image[0x200] = 0xeb;                         /* jmp short over the header */
    image[0x201] = 0x66;                         /* header ends at 0x268 */
    memcpy(image + 0x202, "HdrS", 4);
    put16(image + 0x206, version);
    image[0x211] = 0x01;                         /* LOADED_HIGH */
    put32(image + 0x214, 0x100000);
    put32(image + 0x22c, 0x7fffffff);            /* initrd_addr_max */
    put32(image + 0x230, 0x200000);              /* kernel_alignment */
    image[0x234] = 1;                            /* relocatable */
    put16(image + 0x236, k64 ? 0x1 : 0);         /* XLF_KERNEL_64 */
    put32(image + 0x238, 255);                   /* cmdline_size */
    put32(image + 0x258, (uint32_t)PREF);        /* pref_address */
    put32(image + 0x260, INIT_SIZE);
    for (unsigned i = 0; i < KSIZE; i++)
        image[SETUP_SIZE + i] = (uint8_t)(i * 13 + 5);
    memcpy(image + SETUP_SIZE + (k64 ? 0x200 : 0), entry_code, sizeof entry_code);
    return write_file(name, image, len);
}

static int load(Machine *m, const char *k, const char *cmdline, const char *initrd, char *err)
{
    err[0] = 0;
    return machine_load_kernel(m, k, cmdline, initrd, err, 256);
}

static void test_header_errors(void)
{
    char err[256];
    Machine *m = new_pc(128 * MIB);
    const char *p = make_bzimage("old.bz", 0x0205, false, sizeof image);
    CHECK(one_line_error(load(m, p, "", NULL, err), err, p, "2.05 is older than 2.06"), "old protocol");
    p = make_bzimage("cut.bz", 0x020f, true, 0x230);
    CHECK(one_line_error(load(m, p, "", NULL, err), err, p, "truncated"), "header cut short");
    p = make_bzimage("cut2.bz", 0x020f, true, SETUP_SIZE + KSIZE / 2);
    CHECK(one_line_error(load(m, p, "", NULL, err), err, p, "syssize"), "kernel cut short");
    p = make_bzimage("nosetup.bz", 0x020f, true, SETUP_SIZE);
    CHECK(one_line_error(load(m, p, "", NULL, err), err, p, "truncated"), "no kernel after setup");
    make_bzimage("flag.bz", 0x020f, true, sizeof image);
    put16(image + 0x1fe, 0x1234);
    p = write_file("flag.bz", image, sizeof image);
    CHECK(one_line_error(load(m, p, "", NULL, err), err, p, "corrupt"), "boot_flag not 0xAA55");
    make_bzimage("zimage.bz", 0x020f, true, sizeof image);
    image[0x211] = 0;
    p = write_file("zimage.bz", image, sizeof image);
    CHECK(one_line_error(load(m, p, "", NULL, err), err, p, "zImage"), "not LOADED_HIGH");
    make_bzimage("align.bz", 0x020f, true, sizeof image);
    put32(image + 0x230, 0x300000);
    p = write_file("align.bz", image, sizeof image);
    CHECK(one_line_error(load(m, p, "", NULL, err), err, p, "power of two"), "kernel_alignment");

    make_bzimage("pref.bz", 0x020f, true, sizeof image);
    memset(image + 0x258, 0xff, 8);             /* pref_address near 2^64 */
    p = write_file("pref.bz", image, sizeof image);
    CHECK(one_line_error(load(m, p, "", NULL, err), err, p, "pref_address"), "pref_address wraps");

    p = make_bzimage("good.bz", 0x020f, true, sizeof image);
    char longline[300];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = 0;
    CHECK(one_line_error(load(m, p, longline, NULL, err), err, p, "cmdline_size"),
          "-append longer than cmdline_size");
    longline[255] = 0;
    CHECK(load(m, p, longline, NULL, err) == 0, "-append of exactly cmdline_size: %s", err);
    del_pc(m);

    /* Kernel from 16 MiB with init_size 4 MiB: -m 16M cannot hold it. */
    m = new_pc(16 * MIB);
    CHECK(one_line_error(load(m, p, "", NULL, err), err, p, "-m 16 MiB is too small"), "-m too small");
    del_pc(m);
    /* 20 MiB for the kernel, 4 MiB left: a 5 MiB initrd does not fit. */
    m = new_pc(24 * MIB);
    static uint8_t big[5 * MIB];
    const char *rd = write_file("big.cpio", big, sizeof big);
    CHECK(one_line_error(load(m, p, "", rd, err), err, rd, "too small for kernel and initrd"),
          "-m too small for the initrd");
    del_pc(m);
    /* initrd_addr_max 24 MiB - 1 with 64 MiB of RAM: same initrd, the
     * limit is the kernel's. */
    make_bzimage("lowmax.bz", 0x020f, true, sizeof image);
    put32(image + 0x22c, 24 * MIB - 1);
    p = write_file("lowmax.bz", image, sizeof image);
    m = new_pc(64 * MIB);
    CHECK(one_line_error(load(m, p, "", rd, err), err, rd, "initrd_addr_max"),
          "initrd above initrd_addr_max");
    del_pc(m);
}

/* boot_params and memory after a good load. */
static void test_load(bool k64)
{
    char err[256];
    Machine *m = new_pc(128 * MIB);
    m->acpi_rsdp = 0xe0000;
    const char *p = make_bzimage(k64 ? "k64.bz" : "k32.bz", 0x020f, k64, sizeof image);
    static uint8_t rd_data[10000];
    for (unsigned i = 0; i < sizeof rd_data; i++)
        rd_data[i] = (uint8_t)(i ^ (i >> 8));
    const char *rd = write_file("rd.cpio", rd_data, sizeof rd_data);
    CHECK(load(m, p, "console=ttyS0 rz.run=boot", rd, err) == 0, "load: %s", err);
    CHECK(!memcmp(m->mem.ram + PREF, image + SETUP_SIZE, KSIZE), "kernel at pref_address");
    CHECK(rdp(m, ZP + 0x202, 4) == 0x53726448, "the setup header copied into boot_params");
    CHECK(rdp(m, ZP + 0x210, 1) == 0xff, "type_of_loader 0xff");
    CHECK(rdp(m, ZP + 0x214, 4) == PREF, "code32_start is the load address");
    uint64_t cl = rdp(m, ZP + 0x228, 4);
    CHECK(cl && !strcmp((char *)m->mem.ram + cl, "console=ttyS0 rz.run=boot"), "cmd_line_ptr");
    uint64_t rd_at = rdp(m, ZP + 0x218, 4);
    CHECK(rdp(m, ZP + 0x21c, 4) == sizeof rd_data && !(rd_at & 0xfff) &&
          rd_at + sizeof rd_data <= 128 * MIB && rd_at + sizeof rd_data + 4096 > 128 * MIB &&
          !memcmp(m->mem.ram + rd_at, rd_data, sizeof rd_data), "initrd at the top of RAM: %#llx",
          (unsigned long long)rd_at);
    CHECK(rdp(m, ZP + 0x70, 8) == 0xe0000, "acpi_rsdp_addr (protocol 2.15)");
    /* e820: conventional, EBDA, legacy area, RAM from 1 MiB. */
    static const uint64_t want[][3] = {
        { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xa0000, 0x60000, 2 },
        { 0x100000, 127 * MIB, 1 },
    };
    CHECK(rdp(m, ZP + 0x1e8, 1) == 4, "e820_entries %llu", (unsigned long long)rdp(m, ZP + 0x1e8, 1));
    for (unsigned i = 0; i < 4; i++)
        CHECK(rdp(m, ZP + 0x2d0 + 20 * i, 8) == want[i][0] && rdp(m, ZP + 0x2d8 + 20 * i, 8) == want[i][1] &&
              rdp(m, ZP + 0x2e0 + 20 * i, 4) == want[i][2], "e820 entry %u", i);

    CPU *cpu = &m->cpu;
    CHECK(cpu->code_mode == (k64 ? CODE64 : CODE32) && cpu->rip == PREF + (k64 ? 0x200 : 0) &&
          cpu->regs[R_SI] == ZP && cpu->seg[S_CS].sel == 0x10 && cpu->seg[S_DS].sel == 0x18 &&
          cpu->seg[S_SS].sel == 0x18 && !(cpu->eflags & F_IF) && cpu->regs[R_BX] == 0 &&
          cpu->regs[R_BP] == 0 && cpu->regs[R_DI] == 0, "entry state");
    CHECK(k64 ? (cpu->cr0 & 0x80000001u) == 0x80000001u && (cpu->efer & 0x500) == 0x500
              : (cpu->cr0 & 0x80000001u) == 1, "CR0 %#llx EFER %#llx", (unsigned long long)cpu->cr0,
          (unsigned long long)cpu->efer);
    /* The entry's first instruction reads boot_params through the loader's
     * page tables (64-bit) and segments. */
    cpu_step(cpu);
    CHECK((cpu->regs[R_AX] & 0xff) == 0xff, "mov eax, [rsi+0x210] at the entry read type_of_loader "
          "(rax %#llx, rip %#llx)", (unsigned long long)cpu->regs[R_AX], (unsigned long long)cpu->rip);

    /* fw_cfg, through its ports. */
    Mem *mem = &m->mem;
    mem_port_write(mem, 0x510, FW_CFG_SIGNATURE, 2);
    char sig[5] = { 0 };
    for (int i = 0; i < 4; i++)
        sig[i] = (char)mem_port_read(mem, 0x511, 1);
    CHECK(!strcmp(sig, "QEMU"), "fw_cfg signature '%s'", sig);
    uint64_t v = 0;
    mem_port_write(mem, 0x510, FW_CFG_RAM_SIZE, 2);
    for (int i = 0; i < 8; i++)
        v |= mem_port_read(mem, 0x511, 1) << (8 * i);
    CHECK(v == 128 * MIB, "fw_cfg RAM size %#llx", (unsigned long long)v);
    mem_port_write(mem, 0x510, FW_CFG_NB_CPUS, 2);
    CHECK(mem_port_read(mem, 0x511, 1) == 1 && mem_port_read(mem, 0x511, 1) == 0, "fw_cfg CPU count");
    mem_port_write(mem, 0x510, FW_CFG_KERNEL_SIZE, 2);
    CHECK(fw_cfg_bytes(mem, 4) == KSIZE, "fw_cfg kernel size");
    mem_port_write(mem, 0x510, FW_CFG_CMDLINE_DATA, 2);
    char cmd[40] = { 0 };
    for (int i = 0; i < 39; i++)
        cmd[i] = (char)mem_port_read(mem, 0x511, 1);
    CHECK(!strcmp(cmd, "console=ttyS0 rz.run=boot"), "fw_cfg command line '%s'", cmd);
    mem_port_write(mem, 0x510, FW_CFG_INITRD_ADDR, 2);
    CHECK(fw_cfg_bytes(mem, 4) == rd_at, "fw_cfg initrd address");
    /* The directory (big-endian) lists etc/e820; its file is the e820 map. */
    mem_port_write(mem, 0x510, FW_CFG_FILE_DIR, 2);
    uint8_t dir[4 + 64];
    for (unsigned i = 0; i < sizeof dir; i++)
        dir[i] = (uint8_t)mem_port_read(mem, 0x511, 1);
    unsigned key = (unsigned)dir[8] << 8 | dir[9];
    uint32_t fsize = (uint32_t)dir[4] << 24 | (uint32_t)dir[5] << 16 | (uint32_t)dir[6] << 8 | dir[7];
    CHECK(dir[3] == 1 && !strcmp((char *)dir + 12, "etc/e820") && fsize == 4 * 20 && key == 0x20,
          "fw_cfg directory: %u files, '%s', %u bytes, key %#x", dir[3], (char *)dir + 12, fsize, key);
    mem_port_write(mem, 0x510, key, 2);
    bool same = true;
    for (unsigned i = 0; i < 4 * 20; i++)
        same &= mem_port_read(mem, 0x511, 1) == m->mem.ram[ZP + 0x2d0 + i];
    CHECK(same && mem_port_read(mem, 0x511, 1) == 0, "etc/e820 is boot_params' e820 table, then 0s");
    del_pc(m);
}

/* -m 5G: 3 GiB below the 32-bit hole, 2 GiB from 4 GiB; the initrd stays
 * under initrd_addr_max (2 GiB). */
static void test_large_memory(void)
{
    char err[256];
    Machine *m = new_pc(5ull << 30);
    const char *p = make_bzimage("big.bz", 0x020d, true, sizeof image);
    static uint8_t rd_data[8192];
    const char *rd = write_file("rd2.cpio", rd_data, sizeof rd_data);
    m->acpi_rsdp = 0xe0000;
    CHECK(load(m, p, "", rd, err) == 0, "load with -m 5G: %s", err);
    CHECK(rdp(m, ZP + 0x1e8, 1) == 5, "five e820 entries");
    CHECK(rdp(m, ZP + 0x2d0 + 60, 8) == 0x100000 && rdp(m, ZP + 0x2d8 + 60, 8) == (3ull << 30) - MIB &&
          rdp(m, ZP + 0x2d0 + 80, 8) == 1ull << 32 && rdp(m, ZP + 0x2d8 + 80, 8) == 2ull << 30 &&
          rdp(m, ZP + 0x2e0 + 80, 4) == 1, "RAM to 3 GiB and 2 GiB above 4 GiB");
    CHECK(rdp(m, ZP + 0x218, 4) == 0x80000000u - sizeof rd_data, "initrd below initrd_addr_max");
    CHECK(rdp(m, ZP + 0x70, 8) == 0, "no acpi_rsdp_addr before protocol 2.14");
    /* Code in RAM above 4 GiB that patches its next instruction: the page
     * tables gain 4-5 GiB (PDPT[4]), and the code-page map and the code
     * cache must see the store.  mov byte [rip+1], 2; mov al, 1; hlt */
    static const uint8_t smc[] = { 0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02, 0xb0, 0x01, 0xf4 };
    const uint64_t code = (1ull << 32) + 0x1000, pd = 0x40000;
    for (unsigned j = 0; j < 512; j++)
        mem_phys_write(&m->mem, pd + 8 * j, ((1ull << 32) | (uint64_t)j << 21) | 0x83, 8);
    mem_phys_write(&m->mem, 0x31000 + 8 * 4, pd | 3, 8);  /* LINUX_PAGE_TABLES PDPT */
    memcpy(m->mem.ram + code, smc, sizeof smc);
    m->cpu.rip = code;
    for (int i = 0; i < 3 && !m->cpu.halted; i++)
        cpu_step(&m->cpu);
    CHECK((m->cpu.regs[R_AX] & 0xff) == 2 && m->mem.code_pages[code >> 12],
          "self-modifying code above 4 GiB runs the new bytes (al %#llx)",
          (unsigned long long)(m->cpu.regs[R_AX] & 0xff));
    /* The local APIC's page is not RAM any more. */
    mem_phys_write(&m->mem, 0xfee00000u, 0x12345678, 4);
    CHECK(mem_phys_read(&m->mem, 0xfee00000u, 4) != 0x12345678, "0xFEE00000 is not RAM with -m 5G");
    del_pc(m);
}

int main(void)
{
    if (make_tmpdir())
        return 2;
    test_header_errors();
    test_load(true);
    test_load(false);
    test_large_memory();
    remove_tmpdir();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

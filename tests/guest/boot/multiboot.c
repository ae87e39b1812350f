/* boot/multiboot.c — a Multiboot v1 kernel checks what ringzero -kernel
 * handed it: EAX magic, the entry state, the information structure's flags,
 * mem_lower/mem_upper against -m (RZ_RAM_MB, the same number boot.cmake
 * passes as -m), the command line (the kernel's path, MB_KERNEL_PATH in
 * kernel_path.h, then the -append string), two modules (contents, strings, page
 * alignment, placement), the memory map and the boot loader name.
 * boot_params.h, written by boot.cmake, has RZ_RAM_MB, MB_CMDLINE (the
 * -append string) and MOD_B_LINE / MOD_B_LINES (how it generated module B),
 * so the test's inputs are stated once. */
#include "boot_params.h"
#include "kernel_path.h"
#include "rt.h"

extern uint32_t mb_eax, mb_ebx, mb_cr0, mb_cr4, mb_eflags;

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
    uint32_t boot_loader_name, apm_table;
};
struct mb_mod { uint32_t start, end, string, reserved; };
struct mb_mmap { uint32_t size; uint64_t base, len; uint32_t type; } __attribute__((packed));

static const char mod_a[] = "ringzero Multiboot module A\n";   /* boot/mod_a.txt */

static bool streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && streq(s + n - t, tail);
}

static bool overlaps(uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
    return a0 < b1 && b0 < a1;
}

static uint8_t cmos(uint8_t i)
{
    outb(0x70, i);
    return inb(0x71);
}

int main(void)
{
    rt_printf("entry: EAX=%#x EBX=%#x CR0=%#x CR4=%#x EFLAGS=%#x\n", mb_eax, mb_ebx, mb_cr0,
              mb_cr4, mb_eflags);
    CHECK_EQ(mb_eax, 0x2badb002);
    CHECK(mb_cr0 & CR0_PE);
    CHECK(!(mb_cr0 & CR0_PG));
    CHECK(!(mb_eflags & (1u << 9)));    /* IF */
    CHECK(!(mb_eflags & (1u << 17)));   /* VM */
    volatile uint32_t *lo = (uint32_t *)0x600000, *hi = (uint32_t *)0x700000;
    *lo = 0x11111111;
    *hi = 0x22222222;
    CHECK_EQ(*lo, 0x11111111);          /* 0x700000 would alias 0x600000 with A20 off */

    const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)mb_ebx;
    rt_printf("info at %p: flags %#x mem_lower %u KiB mem_upper %u KiB\n", (void *)mbi,
              mbi->flags, mbi->mem_lower, mbi->mem_upper);
    /* mem (0), cmdline (2), mods (3), mmap (6), boot_loader_name (9). */
    CHECK_EQ(mbi->flags, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
    CHECK_EQ(mbi->mem_lower, 639);
    CHECK_EQ(mbi->mem_upper, RZ_RAM_MB * 1024 - 1024);
    /* The board's CMOS says the same (extended memory in KiB, capped). */
    uint32_t ext = cmos(0x30) | (uint32_t)cmos(0x31) << 8;
    CHECK_EQ(ext, mbi->mem_upper < 0xfc00 ? mbi->mem_upper : 0xfc00);
    CHECK(!overlaps(mb_ebx, mb_ebx + sizeof *mbi, (uint32_t)(uintptr_t)__image_start,
                    (uint32_t)(uintptr_t)__image_end));

    const char *cl = (const char *)(uintptr_t)mbi->cmdline;
    rt_printf("cmdline '%s'\n", cl);
    /* "<kernel path> <-append>": the file name first, as GRUB and QEMU
     * give it (kernels take it for argv[0]). */
    size_t kl = strlen(MB_KERNEL_PATH);
    CHECK(!memcmp(cl, MB_KERNEL_PATH, kl) && cl[kl] == ' ' && streq(cl + kl + 1, MB_CMDLINE));
    const char *name = (const char *)(uintptr_t)mbi->boot_loader_name;
    rt_printf("boot loader '%s'\n", name);
    CHECK(streq(name, "ringzero"));

    CHECK_EQ(mbi->mods_count, 2);
    const struct mb_mod *mods = (const struct mb_mod *)(uintptr_t)mbi->mods_addr;
    uint32_t prev_end = (uint32_t)(uintptr_t)__image_end;
    for (unsigned i = 0; i < mbi->mods_count && i < 2; i++) {
        const char *s = (const char *)(uintptr_t)mods[i].string;
        rt_printf("module %u: %#x-%#x '%s'\n", i, mods[i].start, mods[i].end, s);
        CHECK_EQ(mods[i].start & 0xfff, 0);        /* header flag bit 0 asked for this */
        CHECK(mods[i].start >= prev_end);          /* above the kernel, in order */
        CHECK(!overlaps(mods[i].start, mods[i].end, mb_ebx, mb_ebx + sizeof *mbi));
        prev_end = mods[i].end;
    }
    CHECK(ends_with((const char *)(uintptr_t)mods[0].string, "/boot/mod_a.txt"));
    CHECK(ends_with((const char *)(uintptr_t)mods[1].string, "/boot_mod_b.txt"));
    CHECK_EQ(mods[0].end - mods[0].start, sizeof mod_a - 1);
    CHECK(!memcmp((void *)(uintptr_t)mods[0].start, mod_a, sizeof mod_a - 1));
    size_t line = strlen(MOD_B_LINE);
    CHECK_EQ(mods[1].end - mods[1].start, line * MOD_B_LINES);
    unsigned bad = 0;
    for (unsigned i = 0; i < MOD_B_LINES; i++)
        bad += memcmp((char *)(uintptr_t)mods[1].start + i * line, MOD_B_LINE, line) != 0;
    CHECK_EQ(bad, 0);

    /* A BIOS-like e820 map: conventional memory, the EBDA, the legacy area,
     * then everything from 1 MiB to the end of RAM. */
    static const struct { uint64_t base, len; uint32_t type; } want[] = {
        { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xa0000, 0x60000, 2 },
        { 0x100000, (uint64_t)RZ_RAM_MB * 1024 * 1024 - 0x100000, 1 },
    };
    unsigned n = 0;
    for (uint32_t at = mbi->mmap_addr; at < mbi->mmap_addr + mbi->mmap_length; n++) {
        const struct mb_mmap *e = (const struct mb_mmap *)(uintptr_t)at;
        rt_printf("mmap: %#llx +%#llx type %u\n", (unsigned long long)e->base,
                  (unsigned long long)e->len, e->type);
        CHECK_EQ(e->size, 20);
        if (n < 4) {
            CHECK_EQ(e->base, want[n].base);
            CHECK_EQ(e->len, want[n].len);
            CHECK_EQ(e->type, want[n].type);
        }
        at += e->size + 4;
    }
    CHECK_EQ(n, 4);

    /* No firmware with -kernel: the legacy area reads all-ones. */
    CHECK_EQ(*(volatile uint32_t *)0xb8000, 0xffffffff);
    CHECK_EQ(*(volatile uint32_t *)0xffff0, 0xffffffff);
    return 0;
}

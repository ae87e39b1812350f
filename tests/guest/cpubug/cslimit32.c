/* cpubug/cslimit32.c — the CS limit in protected mode, 32- and 16-bit code:
 * straight-line code that runs off the limit and an instruction straddling
 * it raise #GP(0) at that instruction; a near JMP/Jcc/CALL/RET/JMP r/m/
 * LOOP/JECXZ, a far JMP, RETF or IRET to an offset past the limit raise
 * #GP(0) at the branch; the last byte at the limit runs; a 16-bit near
 * branch wraps IP; one decoded block is not reused under a smaller limit.
 * Expand-down data segments are checked alongside for comparison.  Every
 * byte past the limit is INT3, so code that runs on shows up as #BP. */
#include "rt.h"

void enter_v86(void *frame);

#define CODE 0x800000u
enum { C32 = 0x50, C16 = 0x58, C16BIG = 0x60, C32BIG = 0x68, XD32 = 0x70, XD16 = 0x78 };

static uint64_t gdt[16];

static uint64_t desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)flags << 52 |
           (uint64_t)(base >> 24) << 56;
}

static struct { uint32_t off; uint16_t sel; } __attribute__((packed)) target;

static void do_call(void *p)
{
    (void)p;
    __asm__ volatile("lcall *%0" ::"m"(target) : "eax", "ecx", "edx", "memory", "cc");
}

struct tcase {
    const char *name;
    uint16_t sel;
    uint32_t at;
    const char *code;   /* bytes */
    unsigned len;
    int vec;            /* -1: returns normally */
    uint32_t ip;        /* checked for #GP unless ~0 */
};
#define T(name, sel, at, bytes, vec, ip) { name, sel, at, bytes, sizeof bytes - 1, vec, ip }
#define NOP16 "\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90"
#define CC13 "\xcc\xcc\xcc\xcc\xcc\xcc\xcc\xcc\xcc\xcc\xcc\xcc\xcc"

static const struct tcase cases[] = {
    /* 32-bit code, limit 0xFF */
    T("last byte at the limit", C32, 0xff, "\xcb", -1, 0),
    T("straight line off the limit", C32, 0xf0, NOP16, 13, 0x100),
    T("instruction straddling the limit", C32, 0xfc, "\xb8\x01\x02\x03\x04", 13, 0xfc),
    T("JMP rel8 past", C32, 0xf0, "\xeb\x0e", 13, 0xf0),
    T("JMP rel8 to the last byte", C32, 0xf0, "\xeb\x0d" CC13 "\xcb", -1, 0),
    T("JMP rel32 past", C32, 0x00, "\xe9\xfb\x00\x00\x00", 13, 0),
    T("Jcc taken past", C32, 0xf0, "\xf9\x72\x0d", 13, 0xf1),
    T("Jcc not taken", C32, 0xf0, "\xf8\x72\x0d\xcb", -1, 0),
    T("CALL rel32 past", C32, 0xf0, "\xe8\x0b\x00\x00\x00", 13, 0xf0),
    T("RET past", C32, 0xf0, "\x68\x00\x01\x00\x00\xc3", 13, 0xf5),
    T("JMP r/m past", C32, 0xf0, "\xb8\x00\x01\x00\x00\xff\xe0", 13, 0xf5),
    T("LOOP past", C32, 0xf0, "\xb9\x02\x00\x00\x00\xe2\x09", 13, 0xf5),
    T("JECXZ past", C32, 0xf0, "\x31\xc9\xe3\x0c", 13, 0xf2),
    T("far JMP past", C32, 0xf0, "\xea\x00\x01\x00\x00\x50\x00", 13, 0xf0),
    T("far JMP to the last byte", C32, 0xf0, "\xea\xff\x00\x00\x00\x50\x00" "\xcc\xcc\xcc\xcc\xcc\xcc\xcc\xcc" "\xcb", -1, 0),
    T("RETF past", C32, 0xf0, "\x6a\x50\x68\x00\x01\x00\x00\xcb", 13, 0xf7),
    T("IRET past", C32, 0xf0, "\x9c\x6a\x50\x68\x00\x01\x00\x00\xcf", 13, 0xf8),
    /* 16-bit code, limit 0xFF; returns are o32 RETF */
    T("16-bit: last bytes at the limit", C16, 0xfe, "\x66\xcb", -1, 0),
    T("16-bit: straight line off the limit", C16, 0xf0, NOP16, 13, 0x100),
    T("16-bit: JMP rel8 past", C16, 0xf0, "\xeb\x0e", 13, 0xf0),
    T("16-bit: CALL rel16 past", C16, 0xf0, "\xe8\x0d\x00", 13, 0xf0),
    /* 16-bit code, limit 0xFFFF: o16 wraps IP, o32 does not */
    T("16-bit: JMP rel8 wraps IP to 0x10", C16BIG, 0xfff0, "\xeb\x1e", -1, 0),
    T("16-bit: o32 JMP rel32 past 0xFFFF", C16BIG, 0xfff0, "\x66\xe9\x1a\x00\x00\x00", 13, 0xfff0),
    T("16-bit: straight line past 0xFFFF", C16BIG, 0xfffe, "\x90\x90", 13, ~0u),
};

static void place(const struct tcase *t)
{
    memset((void *)CODE, 0xcc, 0x220);
    memset((void *)(CODE + 0xffe0), 0xcc, 0x40);
    memcpy((void *)(CODE + 0x10), "\x66\xcb", 2);  /* where a 16-bit wrap lands */
    memcpy((void *)(CODE + t->at), t->code, t->len);
}

static void check(const struct tcase *t, uint16_t sel)
{
    struct rt_fault f;
    target.off = t->at;
    target.sel = sel;
    int v = rt_try(do_call, 0, &f);
    if (v != t->vec) {
        rt_printf("FAIL: %s (sel %#x): vector %d, expected %d (at %#x:%#llx)\n", t->name, sel, v,
                  t->vec, f.cs, (unsigned long long)f.ip);
        CHECK(0);
        return;
    }
    if (v == 13) {
        CHECK_EQ(f.error, 0);
        if (t->ip != ~0u && f.ip != t->ip) {
            rt_printf("FAIL: %s: #GP at %#llx, expected %#x\n", t->name, (unsigned long long)f.ip,
                      t->ip);
            CHECK(0);
        }
        CHECK_EQ(f.cs, sel);  /* far transfers too: checked before CS changes */
    }
}

struct xd { uint16_t sel; uint32_t off; };

static void xd_read(void *p)
{
    struct xd *x = p;
    __asm__ volatile("push %%es\n mov %0, %%es\n mov %%es:(%1), %%eax\n pop %%es"
                     ::"r"(x->sel), "r"(x->off) : "eax", "memory");
}

static int xd_try(uint16_t sel, uint32_t off)
{
    struct xd x = { sel, off };
    return rt_try(xd_read, &x, 0);
}

static uint32_t v86frame[9];
static void go_v86(void *p) { (void)p; enter_v86(v86frame); }

int main(void)
{
    memcpy(gdt, rt_gdt, sizeof rt_gdt);
    gdt[C32 / 8] = desc(CODE, 0xff, 0x9a, 0x4);
    gdt[C16 / 8] = desc(CODE, 0xff, 0x9a, 0x0);
    gdt[C16BIG / 8] = desc(CODE, 0xffff, 0x9a, 0x0);
    gdt[C32BIG / 8] = desc(CODE, 0x1ff, 0x9a, 0x4);
    gdt[XD32 / 8] = desc(CODE, 0xff, 0x96, 0x4);
    gdt[XD16 / 8] = desc(CODE, 0xff, 0x96, 0x0);
    struct { uint16_t l; uint32_t b; } __attribute__((packed)) d = { sizeof gdt - 1, (uint32_t)(uintptr_t)gdt };
    __asm__ volatile("lgdt %0" ::"m"(d));

    rt_puts("CS limit: fetch, near and far branches, 32- and 16-bit code\n");
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        place(&cases[i]);
        check(&cases[i], cases[i].sel);
    }

    rt_puts("CS limit: the same decoded code under a larger, then a smaller limit\n");
    static const struct tcase big = T("NOPs then RETF at 0x100, limit 0x1FF", C32BIG, 0xf0, NOP16 "\xcb", -1, 0);
    static const struct tcase small = T("the same code, limit 0xFF", C32, 0xf0, NOP16 "\xcb", 13, 0x100);
    place(&big);
    check(&big, C32BIG);
    check(&small, C32);
    check(&big, C32BIG);
    check(&small, C32);

    rt_puts("IRETD to v8086 mode with EIP past 0xFFFF: #GP(0) at the IRETD\n");
    {
        uint32_t frame[9] = { 0x10000, 0x0800, 0x23002u, 0xfff0, 0x0800, 0x0800, 0x0800, 0, 0 };
        struct rt_fault f;
        memcpy(v86frame, frame, sizeof frame);
        CHECK_EQ(rt_try(go_v86, 0, &f), 13);
        CHECK_EQ(f.error, 0);
        CHECK_EQ(f.cs, SEL_CODE32);
    }

    rt_puts("expand-down data segments, for comparison\n");
    CHECK_EQ(xd_try(XD32, 0xfc), 13);          /* below limit + 1 */
    CHECK_EQ(xd_try(XD32, 0xff), 13);
    CHECK_EQ(xd_try(XD32, 0x100), -1);
    CHECK_EQ(xd_try(XD32, 0xfffffffc), -1);
    CHECK_EQ(xd_try(XD32, 0xfffffffd), 13);    /* past the 4 GiB upper bound */
    CHECK_EQ(xd_try(XD16, 0x100), -1);
    CHECK_EQ(xd_try(XD16, 0xfffc), -1);
    CHECK_EQ(xd_try(XD16, 0xfffd), 13);        /* past the 64 KiB upper bound */
    CHECK_EQ(xd_try(XD16, 0x10000), 13);
    return 0;
}

/* cpubug/sysdesc64.c — the 16-byte system descriptors of IA-32e mode and
 * canonical addresses: LLDT and LTR refuse a descriptor whose 64-bit base
 * is not canonical with #GP(selector) (and LTR leaves it not busy), accept
 * a canonical one; a call gate whose target offset is not canonical gives
 * #GP(0) at the far JMP/CALL; an IDT gate with a non-canonical offset
 * gives #GP(0) at the INT n (no EXT: a software interrupt). */
#include "rt.h"

enum { LDT = 0x50, TSS = 0x60, GATE = 0x70 };
static uint64_t gdt[18] __attribute__((aligned(16)));
static uint8_t ldt[16] __attribute__((aligned(16)));

static void sys16(unsigned sel, uint64_t base, uint32_t limit, unsigned access)
{
    gdt[sel / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)access << 40 |
                   (uint64_t)((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
    gdt[sel / 8 + 1] = base >> 32;
}

static void call_gate(uint64_t target)
{
    gdt[GATE / 8] = (target & 0xffff) | (uint64_t)SEL_CODE64 << 16 | 0x8cull << 40 |
                    ((target >> 16) & 0xffff) << 48;
    gdt[GATE / 8 + 1] = target >> 32;
}

static uint16_t sel_arg;
static void do_lldt(void *p) { (void)p; __asm__ volatile("lldt %0" ::"m"(sel_arg)); }
static void do_ltr(void *p) { (void)p; __asm__ volatile("ltr %0" ::"m"(sel_arg)); }
static struct { uint64_t off; uint16_t sel; } __attribute__((packed)) fp = { 0, GATE };
static void do_jmp(void *p) { (void)p; __asm__ volatile("rex.w ljmp *%0" ::"m"(fp)); }
static void do_call(void *p) { (void)p; __asm__ volatile("rex.w lcall *%0" ::"m"(fp)); }
static void do_int(void *p) { (void)p; __asm__ volatile("int $0x42"); }

static unsigned type_of(unsigned sel) { return (unsigned)(gdt[sel / 8] >> 40) & 0xf; }

static void expect_gp(const char *what, void (*fn)(void *), uint64_t error)
{
    struct rt_fault f;
    rt_printf("  %s\n", what);
    CHECK_EQ(rt_try(fn, 0, &f), 13);
    CHECK_EQ(f.error, error);
}

int main(void)
{
    memcpy(gdt, rt_gdt, sizeof rt_gdt);
    struct { uint16_t l; uint64_t b; } __attribute__((packed)) d = { sizeof gdt - 1, (uint64_t)(uintptr_t)gdt };
    __asm__ volatile("lgdt %0" ::"m"(d));
    uint64_t tss_base = (gdt[7] >> 16 & 0xffffff) | (gdt[7] >> 56) << 24 | gdt[8] << 32;
    uint32_t tss_limit = (uint32_t)(gdt[7] & 0xffff);
    struct rt_fault f;

    rt_puts("LLDT: non-canonical base -> #GP(sel); canonical -> loaded\n");
    sel_arg = LDT;
    sys16(LDT, 0x0000800000000000ull, 15, 0x82);
    expect_gp("LLDT base 0x0000800000000000", do_lldt, LDT);
    sys16(LDT, (uintptr_t)ldt, 15, 0x82);
    CHECK_EQ(rt_try(do_lldt, 0, &f), -1);
    uint16_t s;
    __asm__ volatile("sldt %0" : "=r"(s));
    CHECK_EQ(s, LDT);
    sys16(LDT, 0xffff800000000000ull, 15, 0x82);       /* canonical, high half */
    CHECK_EQ(rt_try(do_lldt, 0, &f), -1);
    sys16(LDT, 0xffff7fffffff0000ull, 15, 0x82);       /* bit 47 clear, 63..48 set */
    expect_gp("LLDT base 0xffff7fffffff0000", do_lldt, LDT);
    __asm__ volatile("lldt %w0" ::"r"(0));

    rt_puts("LTR: non-canonical base -> #GP(sel), not made busy; canonical -> loaded\n");
    sel_arg = TSS;
    sys16(TSS, tss_base | 0x0001000000000000ull, tss_limit, 0x89);
    expect_gp("LTR base with bit 48 set", do_ltr, TSS);
    CHECK_EQ(type_of(TSS), 9);
    sys16(TSS, tss_base, tss_limit, 0x89);
    CHECK_EQ(rt_try(do_ltr, 0, &f), -1);
    CHECK_EQ(type_of(TSS), 0xb);
    __asm__ volatile("str %0" : "=r"(s));
    CHECK_EQ(s, TSS);
    gdt[7] &= ~(2ull << 40);                          /* back to the runtime's TSS */
    __asm__ volatile("ltr %w0" ::"r"((uint16_t)SEL_TSS));

    rt_puts("a call gate to a non-canonical offset -> #GP(0)\n");
    call_gate(0x0000800000000000ull);
    expect_gp("JMP far through it", do_jmp, 0);
    expect_gp("CALL far through it", do_call, 0);

    rt_puts("an IDT gate with a non-canonical offset -> #GP(0)\n");
    struct { uint16_t l; uint64_t b; } __attribute__((packed)) idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    uint64_t *idt = (uint64_t *)(uintptr_t)idtr.b;
    uint64_t save[2] = { idt[0x42 * 2], idt[0x42 * 2 + 1] };
    idt[0x42 * 2] = (uint64_t)SEL_CODE64 << 16 | 0x8eull << 40;
    idt[0x42 * 2 + 1] = 0x00008000u;                  /* offset 0x0000800000000000 */
    expect_gp("INT 0x42", do_int, 0);
    idt[0x42 * 2] = save[0];
    idt[0x42 * 2 + 1] = save[1];
    return 0;
}

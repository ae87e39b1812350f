/* sys/task32.c — hardware task switches: CALL to a TSS and IRET with NT,
 * an interrupt through a task gate, JMP to a TSS and back; busy bits, the
 * back link, CR0.TS and register save/restore. */
#include "rt.h"

#define SPARE 0x48

static uint32_t tssb[26] __attribute__((aligned(16)));
static uint8_t stackb[4096] __attribute__((aligned(16)));
volatile uint32_t b_runs, b_flags, b_tr, a_esi_after;

__asm__(".text\n"
        "task_b:\n"
        "  incl b_runs\n"
        "  pushf\n  pop %eax\n  mov %eax, b_flags\n"
        "  str b_tr\n"
        "  mov $0x9999, %esi\n"
        "  test $0x4000, %eax\n"
        "  jz 1f\n"
        "  iret\n"
        "  jmp task_b\n"
        "1: ljmp $0x38, $0\n"
        "  jmp task_b\n");
extern char task_b[];

static unsigned type_of(unsigned slot) { return (unsigned)(rt_gdt[slot] >> 40) & 0xf; }

int main(void)
{
    memset(tssb, 0, sizeof tssb);
    tssb[0x1c / 4] = (uint32_t)read_cr3();
    tssb[0x20 / 4] = (uint32_t)(uintptr_t)task_b;
    tssb[0x24 / 4] = 2;
    tssb[0x38 / 4] = (uint32_t)(uintptr_t)stackb + sizeof stackb;   /* ESP */
    tssb[0x48 / 4] = SEL_DATA;   /* ES */
    tssb[0x4c / 4] = SEL_CODE32; /* CS */
    tssb[0x50 / 4] = SEL_DATA;   /* SS */
    tssb[0x54 / 4] = SEL_DATA;   /* DS */
    tssb[0x58 / 4] = SEL_DATA;
    tssb[0x5c / 4] = SEL_DATA;
    tssb[0x64 / 4] = 104u << 16;
    uint32_t b = (uint32_t)(uintptr_t)tssb, lim = sizeof tssb - 1;
    rt_gdt[9] = (lim & 0xffff) | (uint64_t)(b & 0xffffff) << 16 | 0x89ull << 40 |
                (uint64_t)(b >> 24) << 56;

    rt_puts("CALL to a TSS, IRET with NT back\n");
    __asm__ volatile("mov $0x1234, %%esi\n lcall $0x48, $0\n mov %%esi, a_esi_after"
                     ::: "eax", "esi", "memory", "cc");
    CHECK_EQ(b_runs, 1);
    CHECK(b_flags & 0x4000);               /* NT in the called task */
    CHECK_EQ(b_tr, SPARE);
    CHECK_EQ(a_esi_after, 0x1234);         /* restored from our TSS */
    CHECK_EQ(tssb[0] & 0xffff, SEL_TSS);   /* back link */
    CHECK_EQ(tssb[0x40 / 4], 0x9999);      /* B's ESI saved at its IRET */
    CHECK_EQ(type_of(9), 0x9);             /* B available again */
    CHECK_EQ(type_of(7), 0xb);             /* we are busy */
    CHECK(read_cr0() & 8);                 /* CR0.TS set by the switch */
    __asm__ volatile("clts");
    uint16_t tr;
    __asm__ volatile("str %0" : "=r"(tr));
    CHECK_EQ(tr, SEL_TSS);

    rt_puts("INT through a task gate\n");
    uint64_t *idt;
    struct { uint16_t l; uint32_t b; } __attribute__((packed)) d;
    __asm__ volatile("sidt %0" : "=m"(d));
    idt = (uint64_t *)(uintptr_t)d.b;
    uint64_t save = idt[0x41];
    idt[0x41] = (uint64_t)SPARE << 16 | 0x85ull << 40;
    __asm__ volatile("int $0x41" ::: "eax", "esi", "memory", "cc");
    idt[0x41] = save;
    CHECK_EQ(b_runs, 2);
    CHECK(b_flags & 0x4000);
    CHECK_EQ(type_of(9), 0x9);

    rt_puts("JMP to a TSS and JMP back\n");
    __asm__ volatile("ljmp $0x48, $0" ::: "eax", "esi", "memory", "cc");
    CHECK_EQ(b_runs, 3);
    CHECK(!(b_flags & 0x4000));            /* JMP does not nest */
    CHECK_EQ(type_of(9), 0x9);             /* B left by JMP: not busy */
    CHECK_EQ(type_of(7), 0xb);
    __asm__ volatile("clts");

    rt_puts("switching to a busy TSS: #GP(sel)\n");
    struct rt_fault f;
    rt_gdt[9] |= 2ull << 40;
    extern void do_ljmp_b(void *);
    CHECK_EQ(rt_try(do_ljmp_b, 0, &f), 13);
    CHECK_EQ(f.error, SPARE);
    return 0;
}

__asm__(".text\n.globl do_ljmp_b\ndo_ljmp_b:\n ljmp $0x48, $0\n ret\n");

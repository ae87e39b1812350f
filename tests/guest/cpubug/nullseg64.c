/* cpubug/nullseg64.c — segment registers nulled by a return to an outer
 * privilege level (IRETQ, RETFQ to ring 3) keep their base and limit: only
 * the selector becomes null and the segment unusable (measured on Intel
 * hardware, which QEMU follows), so in 64-bit code FS and GS still address
 * through their bases; a data segment the outer level may use stays as it
 * was.  A MOV or POP of a null selector into FS in 64-bit mode clears the
 * base (Intel, and AMD with CPUID 8000_0021 EAX[6] "null selector clears
 * base"). */
#include "rt.h"

#define SEL_BASED 0x48    /* ring-0 data segment with a base, slot 9 */
#define FS_DESC_BASE 0x12345000u

static uint64_t gsbuf[4] __attribute__((aligned(16))) = { 0x6773206261736521ull };
volatile uint16_t user_fs, user_gs, user_ds;
volatile uint64_t user_gs0;
static uint8_t ustack[1024] __attribute__((aligned(16)));

static void user_fn(void *p)
{
    (void)p;
    uint16_t v;
    __asm__ volatile("mov %%fs, %0" : "=r"(v)); user_fs = v;
    __asm__ volatile("mov %%gs, %0" : "=r"(v)); user_gs = v;
    __asm__ volatile("mov %%ds, %0" : "=r"(v)); user_ds = v;
    uint64_t g;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(g));  /* through the kept base */
    user_gs0 = g;
}

/* RETFQ to ring 3, which records the same and leaves through INT 0x30. */
__asm__(".text\n"
        "retf_user:\n"
        "  mov %fs, user_fs\n  mov %gs, user_gs\n  mov %ds, user_ds\n"
        "  mov %gs:0, %rax\n  mov %rax, user_gs0\n"
        "  int $0x30\n  ud2\n");
extern char retf_user[];
static void via_retf(void *p)
{
    (void)p;
    __asm__ volatile("mov %%rsp, %%rax\n"
                     "pushq $0x2b\n push %0\n pushq $0x33\n push %1\n lretq"
                     ::"r"((uint64_t)(uintptr_t)ustack + sizeof ustack), "r"((uint64_t)(uintptr_t)retf_user)
                     : "rax", "memory");
}

static void set_ring0_segments(uint16_t fs)
{
    __asm__ volatile("mov %0, %%fs" ::"r"(fs));
    __asm__ volatile("mov %0, %%gs" ::"r"((uint16_t)SEL_DATA));
    wrmsr(0xc0000101u, (uint64_t)(uintptr_t)gsbuf);   /* GS base */
    __asm__ volatile("mov %0, %%ds" ::"r"((uint16_t)SEL_DATA));
    user_fs = user_gs = user_ds = 0xffff;
    user_gs0 = 0;
}

static void check_after(const char *how, uint16_t fs_sel, uint64_t fs_base)
{
    rt_printf("  %s\n", how);
    CHECK_EQ(user_gs, 0);                              /* DPL 0: nulled */
    CHECK_EQ(user_ds, 0);
    CHECK_EQ(user_fs, fs_sel);
    CHECK_EQ(user_gs0, gsbuf[0]);                      /* GS base kept */
    CHECK_EQ(rdmsr(0xc0000101u), (uint64_t)(uintptr_t)gsbuf);
    CHECK_EQ(rdmsr(0xc0000100u), fs_base);
    __asm__ volatile("mov %0, %%ds" ::"r"((uint16_t)SEL_DATA));
}

int main(void)
{
    struct rt_fault f;
    rt_identity_user64();
    rt_gdt[9] = 0x00cf92000000ffffull | (uint64_t)(FS_DESC_BASE & 0xffffff) << 16 |
                (uint64_t)(FS_DESC_BASE >> 24) << 56;

    rt_puts("IRETQ and RETFQ to ring 3 null DPL-0 data segments, keeping their bases\n");
    set_ring0_segments(SEL_BASED);
    CHECK_EQ(rdmsr(0xc0000100u), FS_DESC_BASE);       /* MOV FS loaded the base */
    CHECK_EQ(rt_run_user(user_fn, 0, (uintptr_t)ustack + sizeof ustack, &f), -1);
    check_after("IRETQ", 0, FS_DESC_BASE);
    set_ring0_segments(SEL_BASED);
    CHECK_EQ(rt_try(via_retf, 0, &f), -1);
    check_after("RETFQ", 0, FS_DESC_BASE);

    rt_puts("a DPL-3 data segment is left alone\n");
    set_ring0_segments(SEL_UDATA);
    CHECK_EQ(rt_run_user(user_fn, 0, (uintptr_t)ustack + sizeof ustack, &f), -1);
    check_after("IRETQ with FS = the user data segment", SEL_UDATA, 0);

    rt_puts("MOV and POP of a null selector into FS clear the base\n");
    set_ring0_segments(SEL_BASED);
    __asm__ volatile("mov %0, %%fs" ::"r"((uint16_t)0));
    CHECK_EQ(rdmsr(0xc0000100u), 0);
    set_ring0_segments(SEL_BASED);
    __asm__ volatile("pushq $0\n popq %%fs" ::: "memory");
    CHECK_EQ(rdmsr(0xc0000100u), 0);
    __asm__ volatile("mov %0, %%fs" ::"r"((uint16_t)0));
    __asm__ volatile("mov %0, %%gs" ::"r"((uint16_t)0));
    return 0;
}

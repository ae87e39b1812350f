/* smc.c — self-modifying code as the TLB and the code cache see it:
 * an instruction patched just before it runs (in a hot loop), and code
 * written through a second mapping of its page, also across a page
 * boundary. */
#include "common.h"

#define NOINL __attribute__((noinline, noclone))

/* Stores v into the immediate of the MOV right after the store, then runs
 * it: the new value must come out. */
static NOINL uint32_t patch_next(uint32_t v)
{
    uint32_t r;
#ifdef __x86_64__
    __asm__ volatile("movl %1, 1f+1(%%rip)\n"
                     "1: .byte 0xb8\n .long 0xffffffff\n" : "=a"(r) : "r"(v) : "memory");
#else
    __asm__ volatile("movl %1, 1f+1\n"
                     "1: .byte 0xb8\n .long 0xffffffff\n" : "=a"(r) : "r"(v) : "memory");
#endif
    return r;
}

/* The patched MOV sits several instructions after the store, in the same
 * straight-line run. */
static NOINL uint32_t patch_later(uint32_t v)
{
    uint32_t r;
#ifdef __x86_64__
    __asm__ volatile("movl %1, 1f+1(%%rip)\n nop\n add $0, %1\n nop\n"
                     "1: .byte 0xb8\n .long 0xffffffff\n" : "=a"(r), "+r"(v) :: "memory", "cc");
#else
    __asm__ volatile("movl %1, 1f+1\n nop\n add $0, %1\n nop\n"
                     "1: .byte 0xb8\n .long 0xffffffff\n" : "=a"(r), "+r"(v) :: "memory", "cc");
#endif
    return r;
}

typedef uint32_t (*fn_t)(void);

static void put_mov_ret(volatile uint8_t *p, uint32_t imm)
{
    p[0] = 0xb8;                 /* MOV EAX, imm32 */
    p[1] = (uint8_t)imm;
    p[2] = (uint8_t)(imm >> 8);
    p[3] = (uint8_t)(imm >> 16);
    p[4] = (uint8_t)(imm >> 24);
    p[5] = 0xc3;                 /* RET */
}

int main(void)
{
    rt_puts("patching the next instruction, 300 times in a hot loop\n");
    for (uint32_t i = 0; i < 300; i++) {
        uint32_t want = i * 0x01010101u + 1;
        uint32_t got = patch_next(want);
        if (got != want) {
            CHECK_EQ(got, want);
            break;
        }
        got = patch_later(want ^ 0x5a5a5a5a);
        if (got != (want ^ 0x5a5a5a5a)) {
            CHECK_EQ(got, want ^ 0x5a5a5a5a);
            break;
        }
    }

#ifdef __x86_64__
    const uintptr_t exe = 0x40000000, alias = 0x40400000;   /* above the runtime's 1 GiB */
    for (unsigned i = 0; i < 2; i++) {
        rt_map64(rt_pml4, exe + i * 4096, frame(10 + i), PTE_W, false);
        rt_map64(rt_pml4, alias + i * 4096, frame(10 + i), PTE_W, false);
    }
    write_cr3(read_cr3());
#else
    uint32_t *pd = rt_alloc_page();
    write_cr4(read_cr4() | CR4_PSE);
    rt_identity32(pd, 64u << 20, PTE_W, true);
    const uintptr_t exe = 0x40000000, alias = 0x40400000;
    for (unsigned i = 0; i < 2; i++) {
        rt_map32(pd, exe + i * 4096, frame(10 + i), PTE_W);
        rt_map32(pd, alias + i * 4096, frame(10 + i), PTE_W);
    }
    write_cr3((uintptr_t)pd);
    write_cr0(read_cr0() | CR0_PG);
#endif
    rt_puts("code rewritten through a second mapping of its page\n");
    fn_t f = (fn_t)exe;
    for (uint32_t i = 0; i < 200; i++) {
        uint32_t want = 0x10000 + i * 7;
        /* alternate between the executing mapping and the alias, so write
         * entries made before and after the page held code are both used */
        put_mov_ret((volatile uint8_t *)((i & 1) ? alias : exe), want);
        uint32_t got = f();
        if (got != want) {
            CHECK_EQ(got, want);
            break;
        }
    }
    rt_puts("an instruction spanning two pages, patched on the second page\n");
    fn_t g = (fn_t)(exe + 0xffd);
    put_mov_ret((volatile uint8_t *)(alias + 0xffd), 0x11223344);
    CHECK_EQ(g(), 0x11223344);
    for (uint32_t i = 0; i < 100; i++) {
        volatile uint8_t *second = (volatile uint8_t *)(alias + 0x1000);
        second[0] = (uint8_t)i;          /* immediate bytes 2 and 3 */
        second[1] = (uint8_t)(i * 3);
        uint32_t want = 0x3344 | (i & 0xff) << 16 | ((i * 3) & 0xff) << 24;
        uint32_t got = g();
        if (got != want) {
            CHECK_EQ(got, want);
            break;
        }
    }
    return 0;
}

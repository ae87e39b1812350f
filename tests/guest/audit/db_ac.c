/* db_ac.c — the two exception sources docs/architecture.md lists as not
 * implemented yet: #DB from EFLAGS.TF single-stepping and from a DR0
 * instruction breakpoint, and #AC(0) for a misaligned access at CPL 3 with
 * CR0.AM and EFLAGS.AC.  Expected values follow the SDM (Vol. 3 17.3.1.4
 * single-step: a trap after the instruction following the POPF that set
 * TF, DR6.BS; 17.3.1.1 instruction breakpoint: a fault, DR6.B0; 6.15
 * #AC: error code 0, the faulting instruction). */
#include "rt.h"

#define NOINL __attribute__((noinline, noclone))

static volatile unsigned db_hits;
static volatile uintptr_t db_ip, db_dr6;

static uintptr_t read_dr6(void) { uintptr_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static void write_dr6(uintptr_t v) { __asm__ volatile("mov %0, %%dr6" :: "r"(v)); }
static void write_dr7(uintptr_t v) { __asm__ volatile("mov %0, %%dr7" :: "r"(v)); }
static void write_dr0(uintptr_t v) { __asm__ volatile("mov %0, %%dr0" :: "r"(v)); }

static void on_db(struct rt_regs *r)
{
    if (db_hits++ == 0) {
        db_ip = r->ip;
        db_dr6 = read_dr6();
    }
    r->flags &= ~0x100ull;        /* stop stepping */
    r->flags |= 0x10000;          /* RF: don't re-hit an instruction breakpoint */
    write_dr7(0x400);
}

extern char tf_first[], tf_after[], bp_target[];
static NOINL void single_step(void)
{
#ifdef __x86_64__
    __asm__ volatile("pushfq\n orq $0x100, (%%rsp)\n popfq\n"
                     "tf_first: nop\n tf_after: nop\n nop" ::: "memory", "cc");
#else
    __asm__ volatile("pushfl\n orl $0x100, (%%esp)\n popfl\n"
                     "tf_first: nop\n tf_after: nop\n nop" ::: "memory", "cc");
#endif
}
static NOINL void run_bp(void) { __asm__ volatile("nop\n bp_target: nop\n nop" ::: "memory"); }

extern char ac_at[];
static NOINL void user_misaligned(void *p)
{
    uint32_t v;
#ifdef __x86_64__
    __asm__ volatile("pushfq\n orq $0x40000, (%%rsp)\n popfq\n ac_at: movl 1(%1), %0"
                     : "=r"(v) : "r"(p) : "memory", "cc");
#else
    __asm__ volatile("pushfl\n orl $0x40000, (%%esp)\n popfl\n ac_at: movl 1(%1), %0"
                     : "=r"(v) : "r"(p) : "memory", "cc");
#endif
    (void)v;
}
static uint32_t ac_data[4] __attribute__((aligned(16)));
static uint8_t ustack[4096] __attribute__((aligned(16)));

int main(void)
{
#ifdef __x86_64__
    /* ring 3 runs the runtime's code: open the 1 GiB identity map to it */
    uint64_t *pdpt = (uint64_t *)(uintptr_t)(rt_pml4[0] & 0xffffffffff000ull);
    uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[0] & 0xffffffffff000ull);
    rt_pml4[0] |= PTE_U;
    pdpt[0] |= PTE_U;
    for (int i = 0; i < 512; i++)
        pd[i] |= PTE_U;
    write_cr3(read_cr3());
#endif
    rt_set_handler(1, on_db);
    rt_puts("#DB from EFLAGS.TF: one trap, after the instruction following POPF\n");
    write_dr6(0);
    single_step();
    rt_printf("  hits %u, EIP %#lx (expect %#lx), DR6 %#lx\n", db_hits, (unsigned long)db_ip,
              (unsigned long)(uintptr_t)tf_after, (unsigned long)db_dr6);
    CHECK_EQ(db_hits, 1);
    CHECK_EQ(db_ip, (uintptr_t)tf_after);
    CHECK_EQ(db_dr6 & 0x4000, 0x4000);          /* BS */

    rt_puts("#DB from a DR0 instruction breakpoint: a fault at the instruction, DR6.B0\n");
    db_hits = 0;
    db_ip = db_dr6 = 0;
    write_dr6(0);
    write_dr0((uintptr_t)bp_target);
    write_dr7(0x400 | 1);                        /* L0, execute, length 1 */
    run_bp();
    write_dr7(0x400);
    rt_printf("  hits %u, EIP %#lx (expect %#lx), DR6 %#lx\n", db_hits, (unsigned long)db_ip,
              (unsigned long)(uintptr_t)bp_target, (unsigned long)db_dr6);
    CHECK_EQ(db_hits, 1);
    CHECK_EQ(db_ip, (uintptr_t)bp_target);
    CHECK_EQ(db_dr6 & 0xf, 1);                   /* B0 */
    rt_set_handler(1, 0);

    rt_puts("#AC (17): misaligned load at CPL 3 with CR0.AM and EFLAGS.AC\n");
    struct rt_fault f;
    write_cr0(read_cr0() | (1u << 18));          /* AM */
    int v = rt_run_user(user_misaligned, ac_data, (uintptr_t)ustack + sizeof ustack, &f);
    rt_printf("  vector %d error %#llx at %#llx\n", v, (unsigned long long)f.error,
              (unsigned long long)f.ip);
    CHECK_EQ(v, 17);
    CHECK_EQ(f.error, 0);
    CHECK_EQ(f.ip, (uintptr_t)ac_at);
    write_cr0(read_cr0() & ~(uintptr_t)(1u << 18));
    /* without CR0.AM the same access is fine */
    CHECK_EQ(rt_run_user(user_misaligned, ac_data, (uintptr_t)ustack + sizeof ustack, &f), -1);
    return 0;
}

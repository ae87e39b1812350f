/* syscall64.c — SYSCALL/SYSRET with 4-level paging on: ring-3 code on user
 * pages enters ring 0 through LSTAR, the kernel side (which can read a
 * supervisor-only page the user side cannot) returns with SYSRET to 64-bit
 * and to compatibility-mode code; STAR/SFMASK semantics, RCX/R11, and the
 * #UD/#GP cases. */
#include "rt.h"

#define SUP_VA 0x0000008000000000ull   /* PML4 slot 1, supervisor only */
#define SUP_FRAME 0x01800000ull

extern uint64_t k_cs, k_ss, k_rcx, k_r11, k_rflags, k_rsp, k_sup_read, u_cs, u_ss, u_rflags,
    u_rsp, u_rsp_before, ret_kind, c_cs, u_ds;
extern char kernel_entry[], user_syscall_ret[], user_syscall_nosce_at[], user_sysret_at[],
    kernel_sysret_nc_at[];
void user_syscall(void *), user_syscall_nosce(void *), user_sysret(void *),
    kernel_sysret_noncanonical(void *);
uint64_t sup_va = SUP_VA;

static uint8_t ustack[8192] __attribute__((aligned(16)));
#define USTACK ((uintptr_t)ustack + sizeof ustack)

enum { MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082, MSR_SFMASK = 0xc0000084 };
#define F_DF 0x400ull
#define F_AC 0x40000ull
#define F_IF 0x200ull

static void user_read_sup(void *a) { (void)a; (void)*(volatile uint64_t *)SUP_VA; }

int main(void)
{
    struct rt_fault f;
    rt_identity_user64();
    *(volatile uint64_t *)SUP_FRAME = 0x5eca11ed5eca11edull;
    rt_map64(rt_pml4, SUP_VA, SUP_FRAME, PTE_W, false);   /* no PTE_U */
    write_cr3(read_cr3());
    CHECK(read_cr0() & CR0_PG);

    rt_puts("paging on: ring 3 cannot read the supervisor page\n");
    CHECK_EQ(rt_run_user(user_read_sup, 0, USTACK, &f), 14);
    CHECK_EQ(f.error, 0x5);                               /* P | U, read */
    CHECK_EQ(f.cr2, SUP_VA);

    rt_puts("SYSCALL with EFER.SCE = 0: #UD\n");
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_SCE);
    CHECK_EQ(rt_run_user(user_syscall_nosce, 0, USTACK, &f), 6);
    CHECK_EQ(f.ip, (uintptr_t)user_syscall_nosce_at);

    rt_puts("SYSCALL from ring 3 (user pages) to LSTAR, SYSRET back to 64-bit code\n");
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* kernel CS 0x08 (SS 0x10); user base 0x20: SYSRET CS 0x33, SS 0x2b,
     * and to compatibility mode CS 0x23 -- the runtime's GDT layout */
    wrmsr(MSR_STAR, (uint64_t)0x0020 << 48 | (uint64_t)SEL_CODE32 << 32);
    wrmsr(MSR_LSTAR, (uintptr_t)kernel_entry);
    wrmsr(MSR_SFMASK, F_DF | F_AC);
    ret_kind = 0;
    CHECK_EQ(rt_run_user(user_syscall, 0, USTACK, &f), -1);
    rt_printf("  kernel: CS %#llx SS %#llx RCX %#llx R11 %#llx RFLAGS %#llx\n",
              (unsigned long long)k_cs, (unsigned long long)k_ss, (unsigned long long)k_rcx,
              (unsigned long long)k_r11, (unsigned long long)k_rflags);
    CHECK_EQ(k_cs, SEL_CODE32);               /* STAR[47:32], RPL 0 */
    CHECK_EQ(k_ss, SEL_CODE32 + 8);
    CHECK_EQ(k_rcx, (uintptr_t)user_syscall_ret);
    CHECK_EQ(k_r11 & (F_DF | F_AC), F_DF | F_AC);   /* the user's RFLAGS */
    CHECK_EQ(k_r11 & F_IF, 0);                      /* ring 3 ran with IF = 0 here */
    CHECK_EQ(k_rflags & (F_DF | F_AC), 0);          /* SFMASK applied */
    CHECK_EQ(k_rsp, u_rsp_before);                  /* no stack switch */
    CHECK_EQ(k_sup_read, 0x5eca11ed5eca11edull);    /* CPL 0 reads the supervisor page */
    rt_printf("  user after SYSRET: CS %#llx SS %#llx RFLAGS %#llx\n",
              (unsigned long long)u_cs, (unsigned long long)u_ss, (unsigned long long)u_rflags);
    CHECK_EQ(u_cs, 0x33);                     /* STAR[63:48] + 16, RPL 3 */
    CHECK_EQ(u_ss, 0x2b);                     /* STAR[63:48] + 8, RPL 3 */
    CHECK_EQ(u_rflags & (F_DF | F_AC), F_DF | F_AC);   /* RFLAGS = R11 */
    CHECK_EQ(u_rsp, u_rsp_before);
    CHECK_EQ((uint16_t)u_ds, 0);    /* (a 16-bit store) IRETQ to ring 3 nulled the DPL-0 DS */

    rt_puts("SYSRET without REX.W: to compatibility mode, CS = STAR[63:48] | 3\n");
    ret_kind = 1;
    c_cs = 0;
    CHECK_EQ(rt_run_user(user_syscall, 0, USTACK, &f), -1);
    if (f.vector != -1)
        rt_printf("  got vector %d error %#llx at %04x:%#llx\n", f.vector,
                  (unsigned long long)f.error, f.cs, (unsigned long long)f.ip);
    CHECK_EQ(c_cs, 0x23);
    ret_kind = 0;

    rt_puts("SYSRET at CPL 3: #GP(0); SYSRET to a non-canonical RCX: #GP(0) at CPL 0\n");
    CHECK_EQ(rt_run_user(user_sysret, 0, USTACK, &f), 13);
    CHECK_EQ(f.error, 0);
    CHECK_EQ(f.ip, (uintptr_t)user_sysret_at);
    CHECK_EQ(f.cs, SEL_UCODE64);
    CHECK_EQ(rt_try(kernel_sysret_noncanonical, 0, &f), 13);
    CHECK_EQ(f.error, 0);
    CHECK_EQ(f.ip, (uintptr_t)kernel_sysret_nc_at);
    CHECK_EQ(f.cs, SEL_CODE64);                /* still ring 0 */
    return 0;
}

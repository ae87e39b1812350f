/* sys/ring32.c — ring 3 <-> ring 0: INT/IRET, call gates with parameters,
 * SYSENTER/SYSEXIT, privileged instructions and IOPL/I/O-bitmap checks at
 * CPL 3. */
#include "rt.h"

#define NOINL __attribute__((noinline, noclone))
#define SPARE 0x48

extern uint32_t k_cs, k_ss, k_param, k_esp_user, u_cs_after, u_ss_after;
extern char k_stack_top[], gate_ring0[], sysenter_ring0[];
extern uint16_t gate_sel;
void user_call_gate(void *), user_sysenter(void *);

static uint8_t ustack[8192] __attribute__((aligned(16)));
#define USTACK ((uintptr_t)ustack + sizeof ustack)

extern char u_cli_at[];
static NOINL void u_cli(void *a) { (void)a; __asm__ volatile("u_cli_at: cli"); }
static NOINL void u_sti(void *a) { (void)a; __asm__ volatile("sti"); }
static NOINL void u_hlt(void *a) { (void)a; __asm__ volatile("hlt"); }
static NOINL void u_rdcr0(void *a) { (void)a; (void)read_cr0(); }
static NOINL void u_wrcr3(void *a) { (void)a; write_cr3(0); }
static NOINL void u_rdmsr(void *a) { (void)a; (void)rdmsr(0x10); }
static NOINL void u_lgdt(void *a) { (void)a; uint8_t d[6] = { 0 }; __asm__ volatile("lgdt %0" :: "m"(d)); }
static NOINL void u_lidt(void *a) { (void)a; uint8_t d[6] = { 0 }; __asm__ volatile("lidt %0" :: "m"(d)); }
static NOINL void u_ltr(void *a) { (void)a; __asm__ volatile("ltr %w0" :: "r"(SEL_TSS)); }
static NOINL void u_lldt(void *a) { (void)a; __asm__ volatile("lldt %w0" :: "r"(0)); }
static NOINL void u_clts(void *a) { (void)a; __asm__ volatile("clts"); }
static NOINL void u_invlpg(void *a) { (void)a; invlpg(0); }
static NOINL void u_wbinvd(void *a) { (void)a; __asm__ volatile("wbinvd"); }
static NOINL void u_movdr(void *a) { (void)a; uint32_t v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); }
static NOINL void u_lmsw(void *a) { (void)a; __asm__ volatile("lmsw %w0" :: "r"(1)); }
static NOINL void u_rdpmc(void *a) { (void)a; __asm__ volatile("xor %%ecx,%%ecx\n rdpmc" ::: "eax", "ecx", "edx"); }
static NOINL void u_sysexit(void *a) { (void)a; __asm__ volatile("sysexit"); }
static NOINL void u_int31(void *a) { (void)a; __asm__ volatile("int $0x31"); }
static NOINL void u_load_kdata(void *a) { (void)a; __asm__ volatile("mov %w0, %%fs" :: "r"(SEL_DATA)); }
static NOINL void u_ok(void *a) { (void)a; }
static NOINL void u_smsw_str(void *a)
{
    uint32_t *out = a, m, t;
    __asm__ volatile("smsw %0\n str %1" : "=r"(m), "=r"(t));
    out[0] = m;
    out[1] = t;
}
static NOINL void u_out_e9(void *a) { (void)a; outb(0xe9, '\n'); }
static NOINL void u_out_80(void *a) { (void)a; outb(0x80, 0); }
static NOINL void u_outw_e8(void *a) { (void)a; outw(0xe8, 0); }
static NOINL void u_in_e9(void *a) { *(uint8_t *)a = inb(0xe9); }

static void test_privileged(void)
{
    struct rt_fault f;
    static const struct { const char *name; void (*fn)(void *); } priv[] = {
        { "cli", u_cli }, { "sti", u_sti }, { "hlt", u_hlt }, { "mov cr0", u_rdcr0 },
        { "mov cr3", u_wrcr3 }, { "rdmsr", u_rdmsr }, { "lgdt", u_lgdt }, { "lidt", u_lidt },
        { "ltr", u_ltr }, { "lldt", u_lldt }, { "clts", u_clts }, { "invlpg", u_invlpg },
        { "wbinvd", u_wbinvd }, { "mov dr7", u_movdr }, { "lmsw", u_lmsw }, { "rdpmc", u_rdpmc },
        { "sysexit", u_sysexit }, { "out 0x80", u_out_80 },
    };
    rt_puts("ring 3: privileged instructions raise #GP(0)\n");
    for (unsigned i = 0; i < sizeof priv / sizeof priv[0]; i++) {
        int v = rt_run_user(priv[i].fn, 0, USTACK, &f);
        if (v != 13 || f.error != 0) {
            rt_printf("FAIL %s at CPL 3: vector %d error %#llx\n", priv[i].name, v,
                      (unsigned long long)f.error);
            rt_failures++;
        }
    }
    CHECK_EQ(rt_run_user(u_cli, 0, USTACK, &f), 13);
    CHECK_EQ(f.ip, (uintptr_t)u_cli_at);
    CHECK_EQ(f.cs, SEL_UCODE32);
    /* SMSW and STR are not privileged (no UMIP) */
    uint32_t out[2] = { 0, 0 };
    CHECK_EQ(rt_run_user(u_smsw_str, out, USTACK, &f), -1);
    CHECK_EQ(out[0], (uint32_t)read_cr0());
    CHECK_EQ(out[1], SEL_TSS);
    /* gate DPL 0 from ring 3 */
    CHECK_EQ(rt_run_user(u_int31, 0, USTACK, &f), 13);
    CHECK_EQ(f.error, 0x31 * 8 + 2);
    /* DPL 0 data segment from CPL 3 */
    CHECK_EQ(rt_run_user(u_load_kdata, 0, USTACK, &f), 13);
    CHECK_EQ(f.error, SEL_DATA);
}

/* State pushed by an interrupt from ring 3 */
static struct rt_regs seen;
static void grab(struct rt_regs *r)
{
    seen = *r;
}
static NOINL void u_int40(void *a) { (void)a; __asm__ volatile("int $0x40"); }

static void test_int_frame(void)
{
    struct rt_fault f;
    rt_puts("ring 3 -> ring 0 through a DPL 3 interrupt gate: SS:ESP on the frame\n");
    extern uintptr_t rt_isr_table[];
    rt_set_gate(0x40, rt_isr_table[0x40], SEL_CODE32, 0xe, 3);
    rt_set_handler(0x40, grab);
    CHECK_EQ(rt_run_user(u_int40, 0, USTACK, &f), -1);
    rt_set_handler(0x40, 0);
    CHECK_EQ(seen.vector, 0x40);
    CHECK_EQ(seen.cs, SEL_UCODE32);
    CHECK_EQ(seen.ss, SEL_UDATA);
    CHECK(seen.sp > USTACK - 256 && seen.sp <= USTACK);
    CHECK(seen.flags & 2);
}

static void test_call_gate(void)
{
    struct rt_fault f;
    rt_puts("ring 3 -> ring 0 through a 32-bit call gate with one parameter, RETF 4 back\n");
    uint32_t off = (uint32_t)(uintptr_t)gate_ring0;
    rt_gdt[9] = (off & 0xffff) | (uint64_t)SEL_CODE32 << 16 | (0xecull << 40) | 1ull << 32 |
                (uint64_t)(off >> 16) << 48;       /* DPL 3, 1 dword parameter */
    gate_sel = SPARE | 3;
    k_param = 0;
    CHECK_EQ(rt_run_user(user_call_gate, 0, USTACK, &f), -1);
    CHECK_EQ(k_cs, SEL_CODE32);
    CHECK_EQ(k_ss, SEL_DATA);            /* the TSS ring-0 stack */
    CHECK_EQ(k_param, 0x5a5a1234);
    CHECK(k_esp_user > USTACK - 256 && k_esp_user <= USTACK);
    CHECK_EQ(u_cs_after, SEL_UCODE32);
    CHECK_EQ(u_ss_after, SEL_UDATA);
}

static void test_sysenter(void)
{
    struct rt_fault f;
    rt_puts("SYSENTER / SYSEXIT\n");
    wrmsr(0x174, SEL_CODE32);
    wrmsr(0x175, (uintptr_t)k_stack_top);
    wrmsr(0x176, (uintptr_t)sysenter_ring0);
    u_cs_after = u_ss_after = 0;
    CHECK_EQ(rt_run_user(user_sysenter, 0, USTACK, &f), -1);
    CHECK_EQ(k_cs, SEL_CODE32);
    CHECK_EQ(k_ss, SEL_CODE32 + 8);
    CHECK_EQ(k_esp_user, (uintptr_t)k_stack_top);
    CHECK_EQ(u_cs_after, (SEL_CODE32 + 16) | 3);
    CHECK_EQ(u_ss_after, (SEL_CODE32 + 24) | 3);
    wrmsr(0x174, 0);
    CHECK_EQ(rt_run_user(user_sysenter, 0, USTACK, &f), 13);  /* SYSENTER_CS null */
}

/* Our own TSS with an I/O permission bitmap: ports 0xE9 allowed only. */
static uint8_t iotss[104 + 8192 + 1] __attribute__((aligned(16)));

static void test_io_bitmap(void)
{
    struct rt_fault f;
    rt_puts("I/O permission bitmap and IOPL at CPL 3\n");
    uint32_t esp0 = (uint32_t)(uintptr_t)k_stack_top, ss0 = SEL_DATA;
    memset(iotss, 0xff, sizeof iotss);
    memset(iotss, 0, 104);
    memcpy(iotss + 4, &esp0, 4);
    memcpy(iotss + 8, &ss0, 4);
    uint16_t base = 104;
    memcpy(iotss + 102, &base, 2);
    iotss[104 + 0xe9 / 8] &= (uint8_t)~(1u << (0xe9 & 7));
    uint32_t b = (uint32_t)(uintptr_t)iotss, lim = sizeof iotss - 1;
    rt_gdt[9] = (lim & 0xffff) | (uint64_t)(b & 0xffffff) << 16 | 0x89ull << 40 |
                (uint64_t)(lim >> 16) << 48 | (uint64_t)(b >> 24) << 56;
    __asm__ volatile("ltr %w0" :: "r"(SPARE));
    CHECK_EQ(rt_run_user(u_out_e9, 0, USTACK, &f), -1);
    uint8_t in = 0;
    CHECK_EQ(rt_run_user(u_in_e9, &in, USTACK, &f), -1);
    CHECK_EQ(in, 0xe9);
    CHECK_EQ(rt_run_user(u_out_80, 0, USTACK, &f), 13);
    CHECK_EQ(rt_run_user(u_outw_e8, 0, USTACK, &f), 13);   /* 0xE8 not allowed */
    /* bitmap base beyond the limit: everything refused */
    base = 0xfff0;
    memcpy(iotss + 102, &base, 2);
    CHECK_EQ(rt_run_user(u_out_e9, 0, USTACK, &f), 13);
    /* IOPL 3: no bitmap check, CLI/STI allowed */
    uint32_t fl;
    __asm__ volatile("pushf\n pop %0" : "=r"(fl));
    __asm__ volatile("push %0\n popf" :: "r"(fl | 0x3000) : "cc");
    CHECK_EQ(rt_run_user(u_out_80, 0, USTACK, &f), -1);
    CHECK_EQ(rt_run_user(u_cli, 0, USTACK, &f), -1);
    CHECK_EQ(rt_run_user(u_ok, 0, USTACK, &f), -1);
    __asm__ volatile("push %0\n popf" :: "r"(fl & ~0x3000u) : "cc");
    /* back to the runtime's TSS (clear its busy bit first) */
    rt_gdt[7] &= ~(2ull << 40);
    __asm__ volatile("ltr %w0" :: "r"(SEL_TSS));
}

int main(void)
{
    test_privileged();
    test_int_frame();
    test_call_gate();
    test_sysenter();
    test_io_bitmap();
    return 0;
}

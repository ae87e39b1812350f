/* cpubug/task16.c — hardware task switches into a 16-bit and a 32-bit TSS
 * from protected mode at CPL 0 (JMP, CALL, INT through a task gate, IRET
 * with NT), at CPL 3 (JMP, CALL, INT) and from virtual-8086 mode (INT):
 * the new task runs in protected mode at the CPL of its CS (it reads CR0,
 * which faults in v8086 mode or at CPL 3), with the segments of its TSS
 * (a marker read through DS proves the base) and NT as the SDM gives it
 * (set by CALL and INT, clear after JMP and IRET); EFLAGS.VM comes only
 * from a 32-bit TSS (a 16-bit TSS has no upper flag word: VM clears; a
 * 32-bit image with VM starts a v8086 task).  The origin resumes in its
 * own mode afterwards. */
#include "rt.h"

void enter_v86(void *frame);
extern char v86_catch_13[], v86_catch_0x30[];

enum { TSS16 = 0x50, TSS32 = 0x58, CODE16 = 0x60, DATA16 = 0x68 };
#define V86CODE 0x8000u   /* v8086 code at 0800:0000 */

static uint64_t gdt[16];
static uint16_t tss16[0x2c / 2] __attribute__((aligned(16)));
static uint32_t tss32[26] __attribute__((aligned(16)));
static uint8_t stack32[1024] __attribute__((aligned(16)));
static uint8_t ustack[1024] __attribute__((aligned(16)));
/* What the task saw: CR0, EFLAGS, CS SS DS ES, TR, the DS marker; [20] how
 * to leave (0 IRET, 1 JMP back), [22] runs.  Also the 16-bit task's data
 * and stack segment (DATA16). */
struct seen { uint32_t cr0, eflags; uint16_t cs, ss, ds, es, tr, how, runs, marker; };
static uint8_t data16[4096] __attribute__((aligned(16)));
struct seen seen32 __attribute__((used));
uint16_t marker32 __attribute__((used)) = 0x3232;

/* The 16-bit task: code segment CODE16 based at task16_code. */
__asm__(".text\n.code16\n"
        "task16_code:\n"
        "  mov %cr0, %eax\n  mov %eax, 0\n"
        "  pushfl\n  pop %eax\n  mov %eax, 4\n"
        "  mov %cs, 8\n  mov %ss, 10\n  mov %ds, 12\n  mov %es, 14\n  str 16\n"
        "  mov 100, %ax\n  mov %ax, 22\n"
        "  incw 20\n"
        "  cmpw $0, 18\n  jne 1f\n"
        "  iret\n  jmp task16_code\n"
        "1: ljmp $0x38, $0\n  jmp task16_code\n"
        ".code32\n"
        "task32_code:\n"
        "  mov %cr0, %eax\n  mov %eax, seen32\n"
        "  pushfl\n  pop %eax\n  mov %eax, seen32+4\n"
        "  mov %cs, seen32+8\n  mov %ss, seen32+10\n  mov %ds, seen32+12\n  mov %es, seen32+14\n"
        "  str seen32+16\n"
        "  mov marker32, %ax\n  mov %ax, seen32+22\n"
        "  incw seen32+20\n"
        "  cmpw $0, seen32+18\n  jne 1f\n"
        "  iret\n  jmp task32_code\n"
        "1: ljmp $0x38, $0\n  jmp task32_code\n");
extern char task16_code[], task32_code[];

/* The 16-bit task's struct seen is at DS:0 (offsets cr0 0, eflags 4, cs 8,
 * ss 10, ds 12, es 14, tr 16, how 18, runs 20, marker 22); it reads the
 * marker from DS:100.  PUSHFD never shows VM: that the task ran its code
 * with these segments and read CR0 is what proves protected mode. */
static struct seen *seen16(void) { return (struct seen *)data16; }

static uint64_t desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)flags << 52 |
           (uint64_t)(base >> 24) << 56;
}

static void reset_tasks(unsigned how)
{
    memset(tss16, 0, sizeof tss16);
    tss16[0x0e / 2] = 0;                 /* IP */
    tss16[0x10 / 2] = 0x0002;            /* FLAGS */
    tss16[0x1a / 2] = 0xff0;             /* SP */
    tss16[0x22 / 2] = DATA16;            /* ES CS SS DS */
    tss16[0x24 / 2] = CODE16;
    tss16[0x26 / 2] = DATA16;
    tss16[0x28 / 2] = DATA16;
    memset(data16, 0, 64);
    *(uint16_t *)(data16 + 100) = 0x1616;
    seen16()->how = (uint16_t)how;
    memset(tss32, 0, sizeof tss32);
    tss32[0x1c / 4] = (uint32_t)read_cr3();
    tss32[0x20 / 4] = (uint32_t)(uintptr_t)task32_code;
    tss32[0x24 / 4] = 2;
    tss32[0x38 / 4] = (uint32_t)(uintptr_t)stack32 + sizeof stack32;
    for (unsigned o = 0x48; o <= 0x5c; o += 4)
        tss32[o / 4] = SEL_DATA;
    tss32[0x4c / 4] = SEL_CODE32;
    tss32[0x64 / 4] = 104u << 16;
    memset(&seen32, 0, sizeof seen32);
    seen32.how = (uint16_t)how;
    /* both TSSs available, DPL 3 so ring 3 may CALL/JMP them */
    gdt[TSS16 / 8] = desc((uint32_t)(uintptr_t)tss16, sizeof tss16 - 1, 0xe1, 0);
    gdt[TSS32 / 8] = desc((uint32_t)(uintptr_t)tss32, sizeof tss32 - 1, 0xe9, 0);
}

static void set_task_gate(unsigned vec, uint16_t tss)
{
    struct { uint16_t l; uint32_t b; } __attribute__((packed)) d;
    __asm__ volatile("sidt %0" : "=m"(d));
    uint64_t *idt = (uint64_t *)(uintptr_t)d.b;
    idt[vec] = (uint64_t)tss << 16 | 0xe5ull << 40;   /* task gate, DPL 3 */
}

/* The ways in; each returns to the caller's context. */
static volatile uint16_t target_sel;
static volatile uint16_t after_cs;
static void via_call(void *p)
{
    (void)p;
    struct { uint32_t off; uint16_t sel; } __attribute__((packed)) fp = { 0, target_sel };
    __asm__ volatile("lcall *%0" ::"m"(fp) : "eax", "memory", "cc");
    __asm__ volatile("mov %%cs, %0" : "=m"(after_cs));
}
static void via_jmp(void *p)
{
    (void)p;
    struct { uint32_t off; uint16_t sel; } __attribute__((packed)) fp = { 0, target_sel };
    __asm__ volatile("ljmp *%0" ::"m"(fp) : "eax", "memory", "cc");
    __asm__ volatile("mov %%cs, %0" : "=m"(after_cs));
}
static void via_int(void *p)
{
    (void)p;
    __asm__ volatile("int $0x41" ::: "eax", "memory", "cc");
    __asm__ volatile("mov %%cs, %0" : "=m"(after_cs));
}
/* IRET with NT: our TSS's back link names the target, marked busy. */
static void via_iret(void *p)
{
    (void)p;
    uint8_t *tss = (uint8_t *)(uintptr_t)((gdt[7] >> 16 & 0xffffff) | (gdt[7] >> 56) << 24);
    memcpy(tss, (const void *)&target_sel, 2);
    gdt[target_sel / 8] |= 2ull << 40;  /* busy */
    __asm__ volatile("pushf\n orl $0x4000, (%%esp)\n popf\n iret" ::: "memory", "cc");
}

static void user_trampoline(void *fn) { ((void (*)(void *))fn)(0); }

static uint32_t v86frame[9];
static void go_v86(void *p) { (void)p; enter_v86(v86frame); }

static void check_task(const char *what, uint16_t tss, bool nested)
{
    const struct seen *s = tss == TSS16 ? seen16() : &seen32;
    rt_printf("  %s into the %s TSS\n", what, tss == TSS16 ? "16-bit" : "32-bit");
    CHECK_EQ(s->runs, 1);
    CHECK(s->cr0 & 1);                                     /* read it: CPL 0, not v8086 */
    CHECK_EQ(s->cs, tss == TSS16 ? CODE16 : SEL_CODE32);
    CHECK_EQ(s->ss, tss == TSS16 ? DATA16 : SEL_DATA);
    CHECK_EQ(s->ds, tss == TSS16 ? DATA16 : SEL_DATA);
    CHECK_EQ(s->es, tss == TSS16 ? DATA16 : SEL_DATA);
    CHECK_EQ(s->tr, tss);
    CHECK_EQ(s->marker, tss == TSS16 ? 0x1616 : 0x3232);  /* DS base from the descriptor */
    CHECK_EQ((s->eflags >> 14) & 1, nested);
}

int main(void)
{
    memcpy(gdt, rt_gdt, sizeof rt_gdt);
    gdt[CODE16 / 8] = desc((uint32_t)(uintptr_t)task16_code, 0xffff, 0x9a, 0);
    gdt[DATA16 / 8] = desc((uint32_t)(uintptr_t)data16, 0xffff, 0x92, 0);
    struct { uint16_t l; uint32_t b; } __attribute__((packed)) d = { sizeof gdt - 1, (uint32_t)(uintptr_t)gdt };
    __asm__ volatile("lgdt %0" ::"m"(d));
    rt_set_gate(13, (uintptr_t)v86_catch_13, SEL_CODE32, 0xe, 0);
    rt_set_gate(0x30, (uintptr_t)v86_catch_0x30, SEL_CODE32, 0xe, 3);
    struct rt_fault f;
    static const uint16_t targets[2] = { TSS16, TSS32 };

    rt_puts("from protected mode at CPL 0\n");
    for (int t = 0; t < 2; t++) {
        static void (*const ways[4])(void *) = { via_call, via_jmp, via_int, via_iret };
        static const char *const names[4] = { "CALL", "JMP", "INT", "IRET with NT" };
        for (int w = 0; w < 4; w++) {
            bool jmp_back = w == 1 || w == 3;
            reset_tasks(jmp_back);
            target_sel = targets[t];
            set_task_gate(0x41, targets[t]);
            after_cs = 0;
            CHECK_EQ(rt_try(ways[w], 0, &f), -1);
            check_task(names[w], targets[t], w == 0 || w == 2);
            if (w != 3)
                CHECK_EQ(after_cs, SEL_CODE32);
            uint16_t tr;
            __asm__ volatile("str %0" : "=r"(tr));
            CHECK_EQ(tr, SEL_TSS);
            uint32_t fl;
            __asm__ volatile("pushf\n pop %0" : "=r"(fl));
            CHECK_EQ(fl & 0x4000, 0);
        }
    }

    rt_puts("from protected mode at CPL 3\n");
    for (int t = 0; t < 2; t++) {
        static void (*const ways[3])(void *) = { via_call, via_jmp, via_int };
        static const char *const names[3] = { "CALL", "JMP", "INT" };
        for (int w = 0; w < 3; w++) {
            reset_tasks(w == 1);
            target_sel = targets[t];
            set_task_gate(0x41, targets[t]);
            after_cs = 0;
            CHECK_EQ(rt_run_user(user_trampoline, (void *)ways[w], (uintptr_t)ustack + sizeof ustack, &f), -1);
            check_task(names[w], targets[t], w != 1);
            CHECK_EQ(after_cs, SEL_UCODE32);                /* back in ring 3 */
        }
    }

    rt_puts("from virtual-8086 mode (IOPL 3)\n");
    for (int t = 0; t < 2; t++) {
        static const uint8_t prog[] = {
            0xcd, 0x41,                       /* int 0x41: the task gate */
            0x8c, 0xc8, 0xa3, 0x00, 0x01,     /* mov ax, cs; mov [0x100], ax */
            0xcd, 0x30,                       /* int 0x30: out */
        };
        reset_tasks(0);
        set_task_gate(0x41, targets[t]);
        memcpy((void *)V86CODE, prog, sizeof prog);
        *(volatile uint16_t *)(V86CODE + 0x100) = 0;
        uint32_t init[9] = { 0, 0x0800, 0x23002u, 0xfff0, 0x0800, 0x0800, 0x0800, 0, 0 };
        memcpy(v86frame, init, sizeof v86frame);
        CHECK_EQ(rt_try(go_v86, 0, &f), -1);
        check_task("INT", targets[t], true);
        CHECK_EQ(*(volatile uint16_t *)(V86CODE + 0x100), 0x0800);  /* v8086 again after IRET */
    }
    rt_puts("CALL into a 32-bit TSS whose EFLAGS image has VM: the task runs in v8086 mode\n");
    {
        static const uint8_t prog[] = {
            0x8c, 0xc8, 0xa3, 0x00, 0x01,     /* mov ax, cs; mov [0x100], ax (DS base 0x8000) */
            0xcd, 0x30,                       /* int 0x30: out, in this task */
        };
        reset_tasks(0);
        memcpy((void *)V86CODE, prog, sizeof prog);
        *(volatile uint16_t *)(V86CODE + 0x100) = 0;
        tss32[0x20 / 4] = 0;                  /* EIP */
        tss32[0x24 / 4] = 0x23002u;           /* VM, IOPL 3 */
        tss32[0x38 / 4] = 0xfff0;             /* ESP */
        tss32[0x04 / 4] = (uint32_t)(uintptr_t)stack32 + sizeof stack32;  /* ESP0, SS0 for INT 0x30 */
        tss32[0x08 / 4] = SEL_DATA;
        for (unsigned o = 0x48; o <= 0x5c; o += 4)
            tss32[o / 4] = 0x0800;
        target_sel = TSS32;
        CHECK_EQ(rt_try(via_call, 0, &f), -1);
        CHECK_EQ(*(volatile uint16_t *)(V86CODE + 0x100), 0x0800);
        uint16_t tr;
        __asm__ volatile("str %0" : "=r"(tr));
        CHECK_EQ(tr, TSS32);                  /* INT 0x30 left v8086 mode, not the task */
        gdt[7] &= ~(2ull << 40);              /* back to the runtime's task */
        __asm__ volatile("ltr %w0" ::"r"((uint16_t)SEL_TSS));
    }
    return 0;
}

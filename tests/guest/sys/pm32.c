/* sys/pm32.c — 32-bit protected mode: exceptions with their error codes and
 * saved state, segment loads and their checks, descriptor instructions,
 * control registers, MSRs, #DF escalation. */
#include "rt.h"

#define NOINL __attribute__((noinline, noclone))
#define SPARE 0x48   /* GDT slot 9, free for tests */

static uint64_t mkdesc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
           (uint64_t)(base >> 24) << 56;
}

struct dtr { uint16_t limit; uint32_t base; } __attribute__((packed));

extern char ud_at[], int3_after[], gp_at[], de_at[];
static NOINL void do_ud(void *a) { (void)a; __asm__ volatile("ud_at: ud2"); }
static NOINL void do_int3(void *a) { (void)a; __asm__ volatile("int3\nint3_after: nop"); }
static NOINL void do_de(void *a)
{
    (void)a;
    __asm__ volatile("xor %%edx, %%edx\n mov $1, %%eax\n xor %%ecx, %%ecx\nde_at: div %%ecx"
                     ::: "eax", "ecx", "edx");
}
static NOINL void do_into(void *a)
{
    (void)a;
    __asm__ volatile("mov $0x7fffffff, %%eax\n add $1, %%eax\n into" ::: "eax", "cc");
}
static NOINL void load_ds(void *a)
{
    uint16_t s = (uint16_t)(uintptr_t)a;
    __asm__ volatile("gp_at: mov %0, %%ds\n mov %1, %%ds" :: "r"(s), "r"((uint16_t)SEL_DATA));
}
static NOINL void load_ss(void *a)
{
    uint16_t s = (uint16_t)(uintptr_t)a;
    __asm__ volatile("mov %%ss, %%dx\n mov %0, %%ss\n mov %%dx, %%ss" :: "r"(s) : "edx");
}
static NOINL void load_fs(void *a)
{
    uint16_t s = (uint16_t)(uintptr_t)a;
    __asm__ volatile("mov %0, %%fs" :: "r"(s));
}
static uint32_t fs_off;
static NOINL void read_fs(void *a)
{
    (void)a;
    uint32_t v;
    __asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(fs_off));
}
static NOINL void write_fs(void *a)
{
    (void)a;
    __asm__ volatile("movl $1, %%fs:(%0)" :: "r"(fs_off) : "memory");
}
static NOINL void null_ds_read(void *a)
{
    (void)a;
    uint32_t v;
    __asm__ volatile("mov %2, %%fs\n mov %%fs:(%1), %0"
                     : "=r"(v) : "r"(0x1000), "r"((uint16_t)0));
}
static unsigned soft_vec;
static NOINL void do_int41(void *a) { (void)a; __asm__ volatile("int $0x41"); }
static NOINL void do_int80(void *a) { (void)a; __asm__ volatile("int $0x80"); }
static NOINL void wr_cr4(void *a) { write_cr4((uintptr_t)a); }
static NOINL void wr_cr0(void *a) { write_cr0((uintptr_t)a); }
static NOINL void rd_msr(void *a) { (void)rdmsr((uint32_t)(uintptr_t)a); }
static uint64_t msr_val;
static NOINL void wr_msr(void *a) { wrmsr((uint32_t)(uintptr_t)a, msr_val); }
static NOINL void mov_cr5(void *a) { (void)a; __asm__ volatile(".byte 0x0f, 0x20, 0xe8"); }
static NOINL void lcall_spare(void *a) { (void)a; __asm__ volatile("lcall $0x48, $0" ::: "memory"); }
static NOINL void lcall_spare3(void *a) { (void)a; __asm__ volatile("lcall $0x4b, $0" ::: "memory"); }

static uint64_t *idt_base(void)
{
    struct dtr d;
    __asm__ volatile("sidt %0" : "=m"(d));
    return (uint64_t *)(uintptr_t)d.base;
}

static void test_vectors(void)
{
    struct rt_fault f;
    rt_puts("exceptions: #UD #DE #BP #OF\n");
    CHECK_EQ(rt_try(do_ud, 0, &f), 6);
    CHECK_EQ(f.ip, (uintptr_t)ud_at);
    CHECK_EQ(f.cs, SEL_CODE32);
    CHECK_EQ(rt_try(do_de, 0, &f), 0);
    CHECK_EQ(f.ip, (uintptr_t)de_at);
    CHECK_EQ(rt_try(do_int3, 0, &f), 3);
    CHECK_EQ(f.ip, (uintptr_t)int3_after);   /* a trap: the next instruction */
    CHECK_EQ(rt_try(do_into, 0, &f), 4);
}

static void test_seg_loads(void)
{
    struct rt_fault f;
    rt_puts("segment loads: #GP/#NP/#SS with selector error codes\n");
    /* beyond the GDT limit */
    CHECK_EQ(rt_try(load_ds, (void *)0x50, &f), 13);
    CHECK_EQ(f.error, 0x50);
    CHECK_EQ(f.ip, (uintptr_t)gp_at);
    /* LDT selector without an LDT */
    CHECK_EQ(rt_try(load_ds, (void *)0x0c, &f), 13);
    CHECK_EQ(f.error, 0x0c);
    /* not-present data segment: #NP(sel), RPL dropped */
    rt_gdt[9] = mkdesc(0, 0xfffff, 0x72, 0xc);
    CHECK_EQ(rt_try(load_ds, (void *)(SPARE | 1), &f), 11);
    CHECK_EQ(f.error, SPARE);
    /* RPL above DPL is checked before presence */
    rt_gdt[9] = mkdesc(0, 0xfffff, 0x12, 0xc);
    CHECK_EQ(rt_try(load_ds, (void *)(SPARE | 1), &f), 13);
    CHECK_EQ(f.error, SPARE);
    /* not-present stack: #SS(sel) */
    CHECK_EQ(rt_try(load_ss, (void *)SPARE, &f), 12);
    CHECK_EQ(f.error, SPARE);
    /* code segment into SS, null SS: #GP */
    CHECK_EQ(rt_try(load_ss, (void *)SEL_CODE32, &f), 13);
    CHECK_EQ(f.error, SEL_CODE32);
    CHECK_EQ(rt_try(load_ss, (void *)0, &f), 13);
    CHECK_EQ(f.error, 0);
    /* SS with RPL != CPL, and a DPL 3 data segment as ring-0 SS */
    CHECK_EQ(rt_try(load_ss, (void *)(SEL_DATA | 3), &f), 13);
    CHECK_EQ(f.error, SEL_DATA);
    CHECK_EQ(rt_try(load_ss, (void *)SEL_UDATA, &f), 13);
    CHECK_EQ(f.error, SEL_UDATA & ~3);
    /* execute-only code is not readable data */
    rt_gdt[9] = mkdesc(0, 0xfffff, 0x98, 0xc);
    CHECK_EQ(rt_try(load_ds, (void *)SPARE, &f), 13);
    CHECK_EQ(f.error, SPARE);
    /* readable code is fine in DS; a null selector is fine until used */
    CHECK_EQ(rt_try(load_ds, (void *)SEL_CODE32, &f), -1);
    CHECK_EQ(rt_try(null_ds_read, 0, &f), 13);
    CHECK_EQ(f.error, 0);
    /* system descriptor (the TSS) into a data register */
    CHECK_EQ(rt_try(load_ds, (void *)SEL_TSS, &f), 13);
    CHECK_EQ(f.error, SEL_TSS);

    rt_puts("segment limits: normal and expand-down; accessed bit\n");
    rt_gdt[9] = mkdesc(0x200000, 0xfff, 0x92, 0x4);   /* byte granular, 4 KiB */
    CHECK_EQ(rt_try(load_fs, (void *)SPARE, &f), -1);
    CHECK((rt_gdt[9] >> 40) & 1);   /* accessed set by the load */
    fs_off = 0xffc;
    CHECK_EQ(rt_try(read_fs, 0, &f), -1);
    fs_off = 0xffd;
    CHECK_EQ(rt_try(read_fs, 0, &f), 13);
    CHECK_EQ(f.error, 0);
    rt_gdt[9] = mkdesc(0x200000, 0xfff, 0x96, 0x4);   /* expand-down, B=1 */
    rt_try(load_fs, (void *)SPARE, &f);
    fs_off = 0x1000;
    CHECK_EQ(rt_try(read_fs, 0, &f), -1);
    fs_off = 0xfff;
    CHECK_EQ(rt_try(read_fs, 0, &f), 13);
    rt_gdt[9] = mkdesc(0x200000, 0xfff, 0x90, 0x4);   /* read-only data */
    rt_try(load_fs, (void *)SPARE, &f);
    fs_off = 0x10;
    CHECK_EQ(rt_try(read_fs, 0, &f), -1);
    CHECK_EQ(rt_try(write_fs, 0, &f), 13);
    __asm__ volatile("mov %0, %%fs" :: "r"((uint16_t)SEL_DATA));
}

static void test_descriptor_insns(void)
{
    rt_puts("LAR LSL VERR VERW ARPL STR SLDT SGDT\n");
    uint32_t v = 0;
    uint8_t zf;
    __asm__ volatile("lar %2, %0\n setz %1" : "=r"(v), "=q"(zf) : "r"((uint32_t)SEL_CODE32));
    CHECK_EQ(zf, 1);
    CHECK_EQ(v, (uint32_t)(rt_gdt[1] >> 32) & 0x00f0ff00u);
    __asm__ volatile("lsl %2, %0\n setz %1" : "=r"(v), "=q"(zf) : "r"((uint32_t)SEL_DATA));
    CHECK_EQ(zf, 1);
    CHECK_EQ(v, 0xffffffffu);
    __asm__ volatile("lsl %2, %0\n setz %1" : "=r"(v), "=q"(zf) : "r"((uint32_t)SEL_TSS));
    CHECK_EQ(zf, 1);
    CHECK_EQ(v, 103);
    __asm__ volatile("mov $0x1234, %0\n lar %2, %0\n setz %1" : "=r"(v), "=q"(zf) : "r"(0x50u));
    CHECK_EQ(zf, 0);
    CHECK_EQ(v, 0x1234);   /* unchanged when ZF = 0 */
    __asm__ volatile("verr %1\n setz %0" : "=q"(zf) : "r"((uint16_t)SEL_CODE32));
    CHECK_EQ(zf, 1);
    __asm__ volatile("verw %1\n setz %0" : "=q"(zf) : "r"((uint16_t)SEL_CODE32));
    CHECK_EQ(zf, 0);
    __asm__ volatile("verw %1\n setz %0" : "=q"(zf) : "r"((uint16_t)SEL_UDATA));
    CHECK_EQ(zf, 1);
    uint16_t sel = 0x10;
    __asm__ volatile("arpl %2, %0\n setz %1" : "+r"(sel), "=q"(zf) : "r"((uint16_t)0x2b));
    CHECK_EQ(sel, 0x13);
    CHECK_EQ(zf, 1);
    __asm__ volatile("arpl %2, %0\n setz %1" : "+r"(sel), "=q"(zf) : "r"((uint16_t)0x2a));
    CHECK_EQ(sel, 0x13);
    CHECK_EQ(zf, 0);
    uint32_t tr = 0xffffffff, ldt = 0xffffffff;
    __asm__ volatile("str %0" : "=r"(tr));
    __asm__ volatile("sldt %0" : "=r"(ldt));
    CHECK_EQ(tr, SEL_TSS);   /* register forms zero-extend */
    CHECK_EQ(ldt, 0);
    struct dtr g;
    __asm__ volatile("sgdt %0" : "=m"(g));
    CHECK_EQ(g.base, (uintptr_t)rt_gdt);
    CHECK_EQ(g.limit, RT_GDT_ENTRIES * 8 - 1);
    /* LTR marked the TSS busy */
    CHECK_EQ((rt_gdt[7] >> 40) & 0xf, 0xb);
}

static void test_idt_errors(void)
{
    struct rt_fault f;
    uint64_t *idt = idt_base();
    rt_puts("IDT: not-present gate, bad gate type, IDT limit, EXT bit, #DF\n");
    uint64_t save41 = idt[0x41];
    idt[0x41] &= ~(1ull << 47);
    CHECK_EQ(rt_try(do_int41, 0, &f), 11);
    CHECK_EQ(f.error, 0x41 * 8 + 2);
    idt[0x41] = save41 & ~(0x1full << 40);   /* type 0: not a gate */
    idt[0x41] |= 0x80ull << 40;
    CHECK_EQ(rt_try(do_int41, 0, &f), 13);
    CHECK_EQ(f.error, 0x41 * 8 + 2);
    idt[0x41] = save41;
    CHECK_EQ(rt_try(do_int41, 0, &f), 0x41);

    struct dtr d, small;
    __asm__ volatile("sidt %0" : "=m"(d));
    small = d;
    small.limit = 0x80 * 8 - 1;
    __asm__ volatile("lidt %0" :: "m"(small));
    CHECK_EQ(rt_try(do_int80, 0, &f), 13);
    __asm__ volatile("lidt %0" :: "m"(d));
    CHECK_EQ(f.error, 0x80 * 8 + 2);

    /* #UD whose gate points at a selector beyond the GDT: the #GP raised
     * while delivering it carries EXT (bit 0). */
    uint64_t save6 = idt[6];
    idt[6] = (save6 & ~(0xffffull << 16)) | (0x50ull << 16);
    CHECK_EQ(rt_try(do_ud, 0, &f), 13);
    idt[6] = save6;
    CHECK_EQ(f.error, 0x50 | 1);

    /* #GP whose own gate is not present: contributory twice -> #DF(0) */
    uint64_t save13 = idt[13];
    idt[13] &= ~(1ull << 47);
    CHECK_EQ(rt_try(load_ds, (void *)0x50, &f), 8);
    idt[13] = save13;
    CHECK_EQ(f.error, 0);
    /* #NP whose gate is not present: #NP while delivering #NP -> #DF */
    save41 = idt[11];
    idt[11] &= ~(1ull << 47);
    idt[0x41] &= ~(1ull << 47);
    CHECK_EQ(rt_try(do_int41, 0, &f), 8);
    idt[11] = save41;
    idt[0x41] |= 1ull << 47;
    (void)soft_vec;
}

static void test_cr_msr(void)
{
    struct rt_fault f;
    rt_puts("CR0/CR4 rules, MOV CR5, MSRs\n");
    uintptr_t cr0 = read_cr0(), cr4 = read_cr4();
    CHECK(cr0 & 0x10);                          /* ET */
    CHECK_EQ(rt_try(wr_cr4, (void *)(cr4 | 1), &f), 13);   /* VME not offered */
    CHECK_EQ(rt_try(wr_cr4, (void *)(cr4 | (1u << 11)), &f), 13);
    CHECK_EQ(rt_try(wr_cr0, (void *)((cr0 | CR0_PG) & ~(uintptr_t)CR0_PE), &f), 13);
    CHECK_EQ(rt_try(wr_cr0, (void *)(cr0 | (1u << 29)) , &f), cr0 & (1u << 30) ? -1 : 13);
    write_cr0(cr0);
    CHECK_EQ(rt_try(mov_cr5, 0, &f), 6);
    /* CR0.TS: CLTS clears it */
    write_cr0(cr0 | 8);
    CHECK(read_cr0() & 8);
    __asm__ volatile("clts");
    CHECK(!(read_cr0() & 8));
    /* SMSW, LMSW cannot clear PE */
    uint32_t msw;
    __asm__ volatile("smsw %0" : "=r"(msw));
    CHECK_EQ(msw, (uint32_t)read_cr0());
    __asm__ volatile("lmsw %0" :: "r"((uint16_t)0));
    CHECK(read_cr0() & CR0_PE);
    write_cr0(cr0);
    /* MSRs read back what was written; unknown ones and bad values #GP */
    wrmsr(0x174, 0x08);
    CHECK_EQ(rdmsr(0x174), 0x08);
    wrmsr(0xc0000081, 0x0023001000000000ull);
    CHECK_EQ(rdmsr(0xc0000081), 0x0023001000000000ull);
    CHECK_EQ(rdmsr(0xfe), 0x508);
    CHECK_EQ(rdmsr(0x277), 0x0007040600070406ull);   /* PAT reset value */
    wrmsr(0x200, 0x80000006);
    CHECK_EQ(rdmsr(0x200), 0x80000006);
    CHECK_EQ(rt_try(rd_msr, (void *)0x12345, &f), 13);
    CHECK_EQ(f.error, 0);
    msr_val = 0x0202020202020202ull;
    CHECK_EQ(rt_try(wr_msr, (void *)0x277, &f), 13);
    msr_val = 1ull << 63;
    CHECK_EQ(rt_try(wr_msr, (void *)0xc0000100, &f), 13);   /* FS base non-canonical */
    CHECK_EQ(rt_try(wr_msr, (void *)0xfe, &f), 13);         /* MTRRcap is read-only */
    CHECK_EQ(rdmsr(0x17), 0);                                /* IA32_PLATFORM_ID: platform 0 */
    CHECK_EQ(rt_try(wr_msr, (void *)0x17, &f), 13);         /* and read-only */
    /* TSC writes move the counter */
    wrmsr(0x10, 1ull << 40);
    uint64_t t = rdmsr(0x10);
    CHECK(t >= (1ull << 40) && t < (1ull << 40) + 1000000);
    /* EFER.LME may not change with paging off? It may; LMA stays clear */
    wrmsr(MSR_EFER, EFER_LME);
    CHECK_EQ(rdmsr(MSR_EFER), EFER_LME);
    wrmsr(MSR_EFER, 0);
}

/* A far call to a 32-bit ring-0 call gate, then RETF */
extern char gate_target[];
static volatile uint32_t gate_hits, gate_cs;
__asm__(".text\n gate_target:\n incl gate_hits\n movw %cs, gate_cs\n lret\n");

static void test_call_gate(void)
{
    struct rt_fault f;
    rt_puts("far CALL through a same-level call gate, far JMP/CALL to a code segment\n");
    uint32_t off = (uint32_t)(uintptr_t)gate_target;
    rt_gdt[9] = (off & 0xffff) | (uint64_t)SEL_CODE32 << 16 | 0x8cull << 40 |
                (uint64_t)(off >> 16) << 48;
    CHECK_EQ(rt_try(lcall_spare, 0, &f), -1);
    CHECK_EQ(gate_hits, 1);
    CHECK_EQ(gate_cs, SEL_CODE32);
    /* gate DPL 0 with RPL 3 in the selector: #GP(gate) */
    CHECK_EQ(rt_try(lcall_spare3, 0, &f), 13);
    CHECK_EQ(f.error, SPARE);
    /* not-present gate: #NP(gate) */
    rt_gdt[9] &= ~(1ull << 47);
    CHECK_EQ(rt_try(lcall_spare, 0, &f), 11);
    CHECK_EQ(f.error, SPARE);
    CHECK_EQ(gate_hits, 1);
}

int main(void)
{
    test_vectors();
    test_seg_loads();
    test_descriptor_insns();
    test_idt_errors();
    test_cr_msr();
    test_call_gate();
    return 0;
}

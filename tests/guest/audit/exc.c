/* exc.c — every exception vector an instruction can raise, in 32-bit
 * protected mode (audit_exc32) and 64-bit mode (audit_exc64), each raised
 * by a real instruction and checked against the SDM: vector, error code
 * (present or not), the saved CS:EIP (the faulting instruction for faults,
 * the next one for traps), the saved EFLAGS and the general registers as
 * they were before the faulting instruction.
 *
 * A probe is an asm block with two labels: NAME_at (the instruction that
 * raises) and NAME_next (the one after it).  While probing, every vector
 * 0..31 goes to capture(), which copies the frame and resumes at
 * NAME_next, so a fault is not retried. */
#include "rt.h"

#define NOINL __attribute__((noinline, noclone))
#define SPARE 0x48   /* GDT slot 9, free for tests */

#ifdef __x86_64__
#define AX rax
#define DX rdx
#define CX rcx
#define ASM_PTR ".quad"
#else
#define AX eax
#define DX edx
#define CX ecx
#define ASM_PTR ".long"
#endif

static struct rt_regs seen;
static volatile int seen_vec;
static uintptr_t resume_at;

static void capture(struct rt_regs *r)
{
    seen = *r;
    seen_vec = (int)r->vector;
    r->ip = resume_at;
}

/* Runs fn with vectors 0..31 captured; resume is where a fault continues. */
static int probe(void (*fn)(void), const char *resume)
{
    seen_vec = -1;
    memset(&seen, 0, sizeof seen);
    resume_at = (uintptr_t)resume;
    for (unsigned v = 0; v < 32; v++)
        rt_set_handler(v, capture);
    fn();
    for (unsigned v = 0; v < 32; v++)
        rt_set_handler(v, 0);
    return seen_vec;
}

#define LBL(n) extern char n##_at[], n##_next[]
#define PROBE(n, body) LBL(n); static NOINL void n(void) { __asm__ volatile(body ::: \
    "memory", "cc", "eax", "ecx", "edx"); }

/* Checks the common part: vector, error code, CS:IP, and flags bit 1. */
static void expect(const char *what, int vec, int want_vec, uint64_t want_err,
                   uintptr_t want_ip)
{
    rt_printf("  %s: vector %d error %#llx at %#llx\n", what, vec,
              (unsigned long long)seen.error, (unsigned long long)seen.ip);
    if (vec != want_vec) {
        rt_printf("FAIL %s: vector %d, expected %d\n", what, vec, want_vec);
        rt_failures++;
        return;
    }
    if (seen.error != want_err) {
        rt_printf("FAIL %s: error code %#llx, expected %#llx\n", what,
                  (unsigned long long)seen.error, (unsigned long long)want_err);
        rt_failures++;
    }
    if (want_ip && seen.ip != want_ip) {
        rt_printf("FAIL %s: saved IP %#llx, expected %#llx\n", what,
                  (unsigned long long)seen.ip, (unsigned long long)want_ip);
        rt_failures++;
    }
    if (seen.cs != read_cs()) {
        rt_printf("FAIL %s: saved CS %#x, expected %#x\n", what, (unsigned)seen.cs, read_cs());
        rt_failures++;
    }
    if (!(seen.flags & 2)) {
        rt_printf("FAIL %s: saved EFLAGS %#llx lacks bit 1\n", what, (unsigned long long)seen.flags);
        rt_failures++;
    }
}

/* ---- #DE: DIV by zero and IDIV overflow; EAX/EDX untouched ---- */
PROBE(de, "mov $0x1234, %%eax\n mov $0x77, %%edx\n xor %%ecx, %%ecx\n"
          "de_at: div %%ecx\n de_next:")
PROBE(de2, "mov $0x80000000, %%eax\n mov $0xffffffff, %%edx\n mov $-1, %%ecx\n"
           "de2_at: idiv %%ecx\n de2_next:")
/* ---- #DB from INT1 (ICEBP), a trap ---- */
PROBE(db, "db_at: .byte 0xf1\n db_next:")
/* ---- #BP: INT3 is a trap; the pushed IP is the next instruction ---- */
PROBE(bp, "mov $0x5150, %%eax\n bp_at: int3\n bp_next:")
/* ---- #UD ---- */
PROBE(ud, "ud_at: ud2\n ud_next:")
/* ---- #NM: x87 with CR0.TS, x87 with CR0.EM, WAIT with TS and MP ---- */
PROBE(nm, "nm_at: fld1\n nm_next:")
PROBE(nm_wait, "nm_wait_at: fwait\n nm_wait_next:")
PROBE(nm_sse, "nm_sse_at: xorps %%xmm0, %%xmm0\n nm_sse_next:")
/* ---- #MF: unmasked x87 zero-divide, reported at the next FWAIT ---- */
/* globals: the probes name them from asm */
uint16_t fcw_zm_clear = 0x037b;   /* all masked except ZE */
uint8_t fenv[28];
PROBE(mf, "fninit\n fldcw fcw_zm_clear\n fld1\n fldz\n"
          ".globl mf_fdiv\n mf_fdiv: .byte 0xde, 0xf9\n"   /* FDIVP ST(1), ST(0): 1 / 0 */
          "mov $0x4d46, %%eax\n mf_at: fwait\n mf_next:\n fnstenv fenv\n fninit")
extern char mf_fdiv[];
/* ---- #XM: unmasked SSE zero-divide with CR4.OSXMMEXCPT (#UD without) ---- */
uint32_t mxcsr_zm_clear = 0x1f80 & ~0x200u, mxcsr_default = 0x1f80, mxcsr_after;
const float one_f = 1.0f, zero_f = 0.0f;
PROBE(xm, "ldmxcsr mxcsr_zm_clear\n movss one_f, %%xmm0\n movss zero_f, %%xmm1\n"
          "xm_at: divss %%xmm1, %%xmm0\n xm_next:\n stmxcsr mxcsr_after\n ldmxcsr mxcsr_default")
/* ---- #GP(0): a privileged MSR that does not exist ---- */
PROBE(gp, "mov $0x12345, %%ecx\n gp_at: rdmsr\n gp_next:")
/* ---- #NP / #GP through a gate: INT 0x41 with its gate changed ---- */
PROBE(np, "np_at: int $0x41\n np_next:")

#ifndef __x86_64__
/* ---- #OF: INTO with OF = 1 is a trap; with OF = 0 nothing ---- */
PROBE(of, "mov $0x7fffffff, %%eax\n add $1, %%eax\n of_at: into\n of_next:")
PROBE(of0, "xor %%eax, %%eax\n of0_at: into\n of0_next:")
/* ---- #BR: BOUND with the index above the upper bound ---- */
int32_t bounds[2] = { 10, 20 };
PROBE(br, "mov $21, %%eax\n br_at: bound %%eax, bounds\n br_next:")
PROBE(br_ok, "mov $20, %%eax\n br_ok_at: bound %%eax, bounds\n br_ok_next:")
/* ---- #TS: CALL to a TSS whose limit is below 0x67 ---- */
PROBE(ts, "ts_at: lcall $0x48, $0\n ts_next:")
/* ---- #NP: loading a not-present data segment ---- */
PROBE(np_seg, "mov $0x48, %%eax\n np_seg_at: mov %%eax, %%fs\n np_seg_next:\n"
              "mov $0x10, %%eax\n mov %%eax, %%fs")
/* ---- #SS(0): an ESP-based access beyond the stack segment's limit (a
 * base-0 SS with a 16 MiB limit, so the frame itself still fits) ---- */
PROBE(ss, "mov %%ss, %%ecx\n mov $0x48, %%eax\n mov %%eax, %%ss\n"
          "ss_at: mov 0x2000000(%%esp), %%eax\n ss_next:\n mov %%ecx, %%ss")
/* ---- #SS(sel): loading a not-present stack segment ---- */
PROBE(ss_np, "mov %%ss, %%ecx\n mov $0x48, %%eax\n ss_np_at: mov %%eax, %%ss\n ss_np_next:")
#else
/* ---- 64-bit: INTO and BOUND are #UD ---- */
PROBE(of, "of_at: .byte 0xce\n of_next:")
PROBE(br, "br_at: .byte 0x62, 0x00\n br_next:")
/* ---- #SS(0): a non-canonical address through RSP/RBP ---- */
PROBE(ss, "push %%rbp\n mov $0x8000000000000000, %%rbp\n ss_at: mov (%%rbp), %%rax\n ss_next:\n"
          "pop %%rbp")
/* ---- #GP(0): a non-canonical address through another base ---- */
PROBE(gp_nc, "mov $0x8000000000000000, %%rcx\n gp_nc_at: mov (%%rcx), %%rax\n gp_nc_next:")
/* ---- #PF: a not-present page (above the runtime's 1 GiB map) ---- */
PROBE(pf, "mov $0x40000010, %%rcx\n pf_at: movl $1, (%%rcx)\n pf_next:")
#endif
/* ---- #DF: #GP whose gate is not present (#NP on the way: contributory) ---- */
PROBE(df, "mov $0x12345, %%ecx\n df_at: rdmsr\n df_next:")

static uint64_t *idt_base(void)
{
    struct __attribute__((packed)) { uint16_t limit; uintptr_t base; } d;
    __asm__ volatile("sidt %0" : "=m"(d));
    return (uint64_t *)d.base;
}
/* The 8-byte gate word that holds P (bit 47) for vec (16-byte gates in
 * long mode keep it in the low quadword). */
static uint64_t *gate(unsigned vec)
{
#ifdef __x86_64__
    return &idt_base()[vec * 2];
#else
    return &idt_base()[vec];
#endif
}

int main(void)
{
    uintptr_t cr0 = read_cr0();
    rt_puts("#DE (0): DIV by zero, IDIV overflow -- faults, EAX/EDX unchanged\n");
    expect("#DE div", probe(de, de_next), 0, 0, (uintptr_t)de_at);
    CHECK_EQ(seen.AX, 0x1234);
    CHECK_EQ(seen.DX, 0x77);
    expect("#DE idiv", probe(de2, de2_next), 0, 0, (uintptr_t)de2_at);
    CHECK_EQ((uint32_t)seen.AX, 0x80000000u);

    rt_puts("#DB (1): INT1 -- a trap\n");
    expect("#DB int1", probe(db, db_next), 1, 0, (uintptr_t)db_next);

    rt_puts("#BP (3): INT3 -- a trap, registers as before\n");
    expect("#BP", probe(bp, bp_next), 3, 0, (uintptr_t)bp_next);
    CHECK_EQ(seen.AX, 0x5150);

#ifndef __x86_64__
    rt_puts("#OF (4): INTO with OF -- a trap with OF in the saved EFLAGS; no event without OF\n");
    expect("#OF", probe(of, of_next), 4, 0, (uintptr_t)of_next);
    CHECK(seen.flags & 0x800);
    CHECK_EQ(probe(of0, of0_next), -1);
    rt_puts("#BR (5): BOUND out of range -- a fault; in range nothing\n");
    expect("#BR", probe(br, br_next), 5, 0, (uintptr_t)br_at);
    CHECK_EQ(seen.AX, 21);
    CHECK_EQ(probe(br_ok, br_ok_next), -1);
#else
    rt_puts("INTO, BOUND in 64-bit mode: #UD (6)\n");
    expect("INTO", probe(of, of_next), 6, 0, (uintptr_t)of_at);
    expect("BOUND", probe(br, br_next), 6, 0, (uintptr_t)br_at);
#endif

    rt_puts("#UD (6): UD2\n");
    expect("#UD", probe(ud, ud_next), 6, 0, (uintptr_t)ud_at);

    rt_puts("#NM (7): x87 with CR0.TS, x87 with CR0.EM, FWAIT with TS+MP, SSE with TS\n");
    write_cr0(cr0 | 8);                         /* TS */
    expect("#NM fld1 TS", probe(nm, nm_next), 7, 0, (uintptr_t)nm_at);
    expect("#NM xorps TS", probe(nm_sse, nm_sse_next), 7, 0, (uintptr_t)nm_sse_at);
    CHECK_EQ(probe(nm_wait, nm_wait_next), -1);   /* WAIT ignores TS while MP = 0 */
    write_cr0(cr0 | 8 | 2);                     /* TS, MP */
    expect("#NM fwait TS+MP", probe(nm_wait, nm_wait_next), 7, 0, (uintptr_t)nm_wait_at);
    write_cr0((cr0 & ~(uintptr_t)8) | 4);       /* EM */
    expect("#NM fld1 EM", probe(nm, nm_next), 7, 0, (uintptr_t)nm_at);
    CHECK_EQ(probe(nm_wait, nm_wait_next), -1);   /* WAIT ignores EM */
    write_cr0(cr0);
    CHECK_EQ(probe(nm, nm_next), -1);

    rt_puts("#MF (16): unmasked x87 zero-divide, taken at the next FWAIT; FIP = the FDIV\n");
    CHECK(cr0 & 0x20);                          /* NE: native #MF reporting */
    expect("#MF", probe(mf, mf_next), 16, 0, (uintptr_t)mf_at);
    CHECK_EQ(seen.AX, 0x4d46);
    uint16_t fsw;
    memcpy(&fsw, fenv + 4, 2);
    rt_printf("  FSW %#x\n", fsw);
    /* B, ES, ZE; an unmasked #Z leaves the operands alone and does not
     * pop: TOP stays 6, R7 = 1.0 (valid), R6 = 0.0 (zero) */
    CHECK_EQ(fsw, 0xb084);
    uint16_t ftw;
    memcpy(&ftw, fenv + 8, 2);
    CHECK_EQ(ftw, 0x1fff);
    uint32_t fip;
    memcpy(&fip, fenv + 12, 4);
    CHECK_EQ(fip, (uint32_t)(uintptr_t)mf_fdiv);

    rt_puts("#XM (19): unmasked SSE zero-divide with CR4.OSXMMEXCPT; #UD without it\n");
    uintptr_t cr4 = read_cr4();
    write_cr4(cr4 | (1u << 9) | (1u << 10));
    expect("#XM", probe(xm, xm_next), 19, 0, (uintptr_t)xm_at);
    CHECK_EQ(mxcsr_after & 0x3f, 0x04);         /* ZE flagged, nothing else */
    write_cr4((cr4 | (1u << 9)) & ~(uintptr_t)(1u << 10));
    expect("#XM without OSXMMEXCPT", probe(xm, xm_next), 6, 0, (uintptr_t)xm_at);
    write_cr4(cr4);

    rt_puts("#GP (13): RDMSR of a missing MSR -- error code 0\n");
    expect("#GP", probe(gp, gp_next), 13, 0, (uintptr_t)gp_at);

    rt_puts("#NP (11) / #GP (13) through the IDT: error code = vector << 3 | IDT\n");
    uint64_t *g = gate(0x41), save = *g;
    *g &= ~(1ull << 47);
    expect("#NP gate", probe(np, np_next), 11, 0x41 * 8 + 2, (uintptr_t)np_at);
    *g = save & ~(0xfull << 40);                /* type 0: not a gate */
    expect("#GP gate type", probe(np, np_next), 13, 0x41 * 8 + 2, (uintptr_t)np_at);
    *g = save;

#ifndef __x86_64__
    rt_puts("#TS (10): CALL to a TSS with limit 0x60\n");
    static uint8_t short_tss[0x68] __attribute__((aligned(16)));
    uint32_t tb = (uint32_t)(uintptr_t)short_tss;
    rt_gdt[9] = 0x60 | (uint64_t)(tb & 0xffffff) << 16 | 0x89ull << 40 | (uint64_t)(tb >> 24) << 56;
    expect("#TS", probe(ts, ts_next), 10, SPARE, (uintptr_t)ts_at);
    CHECK_EQ((rt_gdt[9] >> 40) & 0xf, 0x9);     /* not marked busy */

    rt_puts("#NP (11): loading a not-present data segment -- error = selector\n");
    rt_gdt[9] = 0xffff | 0x00cf12ull << 40;      /* data, P = 0 */
    expect("#NP seg", probe(np_seg, np_seg_next), 11, SPARE, (uintptr_t)np_seg_at);

    rt_puts("#SS (12): ESP-based access beyond the SS limit -- #SS(0); not-present SS -- #SS(sel)\n");
    rt_gdt[9] = 0xfff | 0x92ull << 40 | 0xcull << 52;   /* base 0, limit 16 MiB (G) */
    CHECK((uintptr_t)&cr0 < 0x1000000);          /* our stack is inside it */
    expect("#SS(0)", probe(ss, ss_next), 12, 0, (uintptr_t)ss_at);
    rt_gdt[9] &= ~(1ull << 47);
    expect("#SS(sel)", probe(ss_np, ss_np_next), 12, SPARE, (uintptr_t)ss_np_at);
    __asm__ volatile("mov %0, %%ss" :: "r"((uint32_t)SEL_DATA));
#else
    rt_puts("#SS (12): non-canonical address through RBP -- #SS(0); #GP(0) through RCX\n");
    expect("#SS(0)", probe(ss, ss_next), 12, 0, (uintptr_t)ss_at);
    expect("#GP non-canonical", probe(gp_nc, gp_nc_next), 13, 0, (uintptr_t)gp_nc_at);

    rt_puts("#PF (14): write to a not-present page -- error W, CR2\n");
    expect("#PF", probe(pf, pf_next), 14, 2, (uintptr_t)pf_at);
    CHECK_EQ(read_cr2(), 0x40000010);
#endif

    rt_puts("#DF (8): #GP while its own gate is not present -- #DF(0)\n");
    g = gate(13);
    save = *g;
    *g &= ~(1ull << 47);
    int v = probe(df, df_next);
    *g = save;
    expect("#DF", v, 8, 0, 0);   /* the saved CS:EIP of #DF is undefined */
    return 0;
}

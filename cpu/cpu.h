/* cpu.h — x86 architectural state and the CPU core's API.
 *
 * Layout matters for the translator: the GPR array sits at offset 0 so
 * translated code reaches any register with one small displacement from the
 * CPU pointer it keeps in a fixed host register.
 */
#ifndef RZ_CPU_H
#define RZ_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../softmmu/ctlregs.h"
#include "../softmmu/mmu.h"

typedef struct CPU CPU;
typedef struct Insn Insn;
typedef struct Mem Mem;
typedef struct CodeCache CodeCache;
typedef struct CpuModel CpuModel;
struct Block;

/* The local APIC as the CPU sees it (the board installs it; NULL: no APIC,
 * IA32_APIC_BASE is plain storage and CR8 a register of its own).  tsc is
 * the TSC at the access, for IA32_TSC_DEADLINE. */
typedef struct CpuApicOps {
    uint64_t (*rdmsr)(void *opaque, uint32_t msr);           /* 0x1B, 0x6E0 */
    void (*wrmsr)(void *opaque, uint32_t msr, uint64_t v, uint64_t tsc);
    uint8_t (*get_cr8)(void *opaque);                         /* TPR[7:4] */
    void (*set_cr8)(void *opaque, uint8_t v);
} CpuApicOps;

/* Tier 1, the translator (dbt/), as the tier-0 loop sees it: the machine
 * installs it (cpu->tier1; NULL: tier 0 only).  The loop counts how often a
 * block runs, asks translate() once the count reaches threshold, runs what
 * was translated through run(), and offers link() the block it found next
 * so the translator may chain the exit it left through to it. */
typedef struct CpuTier1 {
    void (*translate)(void *opaque, CPU *cpu, struct Block *b);
    /* Runs b's host code (b->host set) and whatever it chains to; returns
     * the block whose code exited, or NULL when nothing ran (b needs more
     * instructions than icount_end allows: tier 0 runs it). */
    struct Block *(*run)(void *opaque, CPU *cpu, struct Block *b);
    void (*link)(void *opaque, CPU *cpu, struct Block *from, struct Block *next);
    void *opaque;
    uint32_t threshold;   /* 0: translate before the first run */
} CpuTier1;

/* The TSC's constant rate: one tick per ns of the board's clock.  CPUID
 * leaves 15h/16h advertise it, and the local APIC's timer input (hw/lapic.h)
 * is the same clock, as Linux assumes of the leaf-15h crystal. */
#define CPU_TSC_HZ 1000000000u

enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };

enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_NONE = 7 };

/* EFLAGS bits */
enum {
    F_CF = 1u << 0, F_PF = 1u << 2, F_AF = 1u << 4, F_ZF = 1u << 6,
    F_SF = 1u << 7, F_TF = 1u << 8, F_IF = 1u << 9, F_DF = 1u << 10,
    F_OF = 1u << 11, F_IOPL = 3u << 12, F_NT = 1u << 14, F_RF = 1u << 16,
    F_VM = 1u << 17, F_AC = 1u << 18, F_VIF = 1u << 19, F_VIP = 1u << 20,
    F_ID = 1u << 21,
    F_OSZAPC = F_OF | F_SF | F_ZF | F_AF | F_PF | F_CF,
};

/* Exception vectors */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
    EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
    EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
};

/* Lazy flags: arithmetic records its operands; OSZAPC are computed only when
 * read.  With op == LF_NONE the OSZAPC bits of eflags are authoritative.
 * For LF_INC/LF_DEC, CF lives in eflags (INC/DEC preserve it).  LF_HOST is
 * tier 1's: the host's flags as LAHF and SETO left them in AX, stored with
 * two writes where native code hands the flags back (an exit, a helper). */
enum { LF_NONE, LF_ADD, LF_SUB, LF_LOGIC, LF_INC, LF_DEC, LF_HOST };
typedef struct LazyFlags {
    uint64_t res, a, b;   /* result and operands, already truncated to size */
    uint8_t op, size;     /* LF_*, operand size in bytes */
    uint16_t host;        /* LF_HOST: SF ZF - AF - PF - CF << 8 | OF */
} LazyFlags;

/* Segment register with its descriptor cache. */
typedef struct Seg {
    uint64_t base;
    uint32_t limit;       /* byte granular, already scaled */
    uint16_t sel;
    uint16_t attr;        /* descriptor bits 40..47 and 52..55 as in VMX: type|S|DPL|P|AVL|L|D/B|G */
} Seg;
enum { SA_P = 1 << 7, SA_S = 1 << 4, SA_L = 1 << 13, SA_DB = 1 << 14, SA_G = 1 << 15 };

typedef struct DescTable { uint64_t base; uint32_t limit; } DescTable;

/* x87 register file.  Values are kept as the 80-bit format (64-bit
 * significand with explicit integer bit, 15-bit exponent, sign). */
typedef struct F80 { uint64_t mant; uint16_t se; } F80;

typedef struct X87 {
    F80 st[8];            /* physical registers R0..R7 */
    uint16_t fcw, fsw;    /* fsw includes TOP in bits 11..13 */
    uint16_t ftw;         /* full 2-bit tags per physical register */
    uint16_t fop;
    uint64_t fip, fdp;
    uint16_t fcs, fds;
} X87;

typedef union XMM {
    uint8_t b[16]; uint16_t w[8]; uint32_t d[4]; uint64_t q[2];
    float f[4]; double fd[2];
} XMM;

struct CPU {
    uint64_t regs[16];    /* offset 0: GPRs by register number */
    uint64_t rip;
    uint64_t next_rip;    /* set by the loop before a handler runs; branches overwrite it */
    uint32_t eflags;      /* see LazyFlags for which bits are current */
    LazyFlags lf;
    Seg seg[6];
    /* What the softmmu reads (softmmu/mmu.h): CR0, CR3, CR4, EFER, the
     * TLB, the memory, stop_request, code_mode (CODE16/32/64, derived from
     * CS and EFER.LMA), CPL and debug_active, by their names here and as
     * one MmuCtx (&cpu->mmu) for the softmmu calls. */
    union {
        MmuCtx mmu;
        struct { MMU_CTX_FIELDS };
    };
    uint8_t halted;

    XMM xmm[16];
    uint32_t mxcsr;
    X87 fpu;              /* MMX registers alias fpu.st[i].mant */

    /* System state (issue 3 extends its use) */
    uint64_t cr2, cr8;    /* CR0, CR3, CR4 and EFER are in mmu */
    uint64_t dr[8];
    DescTable gdtr, idtr;
    Seg ldtr, tr;
    uint64_t tsc_offset;
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t apic_base, pat;
    uint64_t misc_enable, mtrr_def_type, mtrr_fixed[11], mtrr_var[16];
    uint64_t mcg_status;  /* IA32_MCG_STATUS (cpu/mce.c) */

    /* Event state (cpu/interrupt.c, cpu/exec.c) */
    uint8_t intr_shadow;  /* STI / MOV SS / POP SS: no interrupt before the next insn */
    uint8_t nmi_pending, nmi_blocked;  /* NMI latched; blocked until the next IRET */
    /* Debug exceptions and #AC (cpu/debug.h): debug_active (DBG_STEP /
     * DBG_DATA, in mmu) is non-zero only while one is armed, so the loop
     * pays one test per block for them. */
    uint8_t dbg_ss;       /* the boundary after MOV SS / POP SS: #DB held */
    uint8_t dbg_hits;     /* B0-B3 of data breakpoints hit by this insn */
    uint16_t dbg_held;    /* DR6 trap bits held over that boundary */
    uint32_t dbg_block;   /* bytes of a block access checked as a whole */
    uint8_t event_ext;    /* EXT bit for error codes raised while delivering an event */
    uint8_t triple_fault; /* set when cpu_run returns RUN_TRIPLE_FAULT */
    uint8_t exc_chain_len;
    /* The exceptions of the last delivery, first to last, including the
     * #DF escalation (a triple fault's chain, e.g. #GP -> #GP -> #DF -> #PF),
     * for the board's report. */
    struct { int16_t vector; bool has_error; uint32_t error; } exc_chain[6];

    /* Execution bookkeeping */
    uint64_t icount;      /* instructions retired */
    /* cpu_run's end; and where translated code, going from block to block
     * without the loop, stops to let the loop poll interrupts (tier 1 sets
     * it a little ahead of icount on each entry): a block is entered only
     * while icount plus its length stays within it. */
    uint64_t icount_end, icount_yield;
    const CpuTier1 *tier1;
    /* What translated code leaves for the loop when it returns: the exit
     * it took (dbt/'s record, NULL: not chainable). */
    void *tier1_exit;
    int exc_vector;       /* last raised exception, -1 if none */
    uint32_t exc_error;
    bool exc_has_error;
    jmp_buf *fault_jmp;   /* where cpu_raise() unwinds to */
    const CpuModel *model; /* vendor, CPUID and quirks (cpu/model.h) */
    uint64_t features;    /* FEAT_* bits advertised in CPUID (starts as the model's) */
    CodeCache *cc;        /* decoded blocks (tier 0); mem, tlb and
                             stop_request are in mmu */
    /* Hooks the board installs (issue 3): external interrupt delivery. */
    bool (*intr_pending)(CPU *cpu);
    int (*intr_ack)(CPU *cpu);
    void *intr_opaque;    /* for the two hooks: the board (one load per poll) */
    const CpuApicOps *apic_ops;
    void *apic_opaque;
    /* The board's clock in ns (host time or -icount); the TSC runs at
     * CPU_TSC_HZ (1 GHz)
     * from it.  NULL: the TSC counts instructions. */
    uint64_t (*clock_ns)(CPU *cpu);
    /* Tracing hooks for -d (vm/log.c installs them; NULL when off, so the
     * loop pays one test per block):  in_asm when a block is decoded, exec /
     * cpu before a block runs, int when an exception or interrupt is
     * delivered (vector, error code or -1, TRACE_* kind). */
    void (*trace_block_built)(CPU *cpu, const struct Block *b);
    void (*trace_block_exec)(CPU *cpu, const struct Block *b);
    void (*trace_event)(CPU *cpu, int vector, int64_t error, int kind);
    void *opaque;         /* owner (the Machine) */
    /* A host debugger's breakpoints (debug/gdbstub.c): while set, the loop
     * runs one instruction at a time (DBG_STEP) and asks before each one;
     * true makes cpu_run return RUN_BREAK with RIP at it, not executed.
     * NULL (no breakpoints): nothing is asked. */
    bool (*host_break)(CPU *cpu);
    /* Its watchpoints: while set, every data access of the guest's own
     * (not the CPU's implicit supervisor ones) is shown to it from the
     * softmmu slow path (DBG_DATA), before the access is made; it stops
     * the guest through host_break before the next instruction. */
    void (*host_watch)(CPU *cpu, uint64_t lin, unsigned size, int access);
    /* host_watch needs to see writes only: reads that hit the TLB stay
     * inline (DBG_WRITES_ONLY; tier 1's lockstep). */
    bool host_watch_writes;
    void *host_break_opaque;
};

/* trace_event kinds.  An exception's chain is reported in order: the first
 * (TRACE_EXC), each one raised while delivering the previous (TRACE_NESTED),
 * the #DF escalation (TRACE_DOUBLE), and the one raised while delivering
 * #DF (TRACE_TRIPLE: the CPU shuts down).  RIP is the interrupted insn. */
enum { TRACE_EXC, TRACE_NESTED, TRACE_DOUBLE, TRACE_TRIPLE,
       TRACE_SOFT /* INT n, INT3, INTO */, TRACE_EXT /* from the PIC */, TRACE_NMI };

/* Exit reasons from cpu_run */
enum { RUN_OK = 0, RUN_HALT, RUN_EXCEPTION, RUN_STOP, RUN_LIMIT,
       RUN_TRIPLE_FAULT /* shutdown: exc_chain holds the exceptions, rip the insn */,
       RUN_BREAK /* cpu->host_break said stop before the insn at rip */ };

void cpu_init(CPU *cpu, Mem *mem);
void cpu_reset_flat(CPU *cpu, int code_mode, uint64_t entry);
/* Power-on/RESET state as the SDM's table: F000:FFF0, CS base 0xFFFF0000. */
void cpu_reset(CPU *cpu);
/* Raises NMI (edge): taken before the next instruction unless blocked. */
void cpu_nmi(CPU *cpu);
/* Runs until halt, an undeliverable exception, a stop request, or max_insns. */
int cpu_run(CPU *cpu, uint64_t max_insns);
/* Lockstep (dbt/): runs the first n (>= 1) instructions of b in tier 0 as
 * the loop would, without polling interrupts or delivering an exception;
 * returns the vector raised (the state as at the raise) or -1. */
int cpu_replay_block(CPU *cpu, struct Block *b, uint64_t n);
/* Executes exactly one instruction; returns RUN_OK or RUN_EXCEPTION. */
int cpu_step(CPU *cpu);

/* Leaves the current instruction by longjmp to the execution loop.  The
 * faulting instruction's RIP and the state before it are preserved. */
_Noreturn void cpu_raise(CPU *cpu, int vector, uint32_t error, bool has_error);
static inline _Noreturn void cpu_ud(CPU *cpu) { cpu_raise(cpu, EXC_UD, 0, false); }
static inline _Noreturn void cpu_gp0(CPU *cpu) { cpu_raise(cpu, EXC_GP, 0, true); }

/* Flags */
uint32_t cpu_get_eflags(CPU *cpu);
void cpu_set_eflags(CPU *cpu, uint32_t value, uint32_t writable_mask);
bool cpu_get_cf(CPU *cpu);
bool cpu_cond(CPU *cpu, unsigned cc);   /* Jcc/SETcc/CMOVcc condition 0..15 */

/* Guest memory through segments.  size is 1, 2, 4, 8 (or 10/16 via the block
 * calls).  Faults raise through cpu_raise(). */
uint64_t cpu_lin(CPU *cpu, int seg, uint64_t off, unsigned size, int access);
uint64_t cpu_read(CPU *cpu, int seg, uint64_t off, unsigned size);
void cpu_write(CPU *cpu, int seg, uint64_t off, unsigned size, uint64_t val);
void cpu_read_block(CPU *cpu, int seg, uint64_t off, void *dst, unsigned size);
void cpu_write_block(CPU *cpu, int seg, uint64_t off, const void *src, unsigned size);
/* Checks a write of size bytes is possible (both pages), without writing. */
void cpu_check_write(CPU *cpu, int seg, uint64_t off, unsigned size);

/* Guest memory by linear address (after segmentation): the softmmu's
 * accesses (softmmu/mem.h) with its page faults raised as #PF (CR2 set).
 * access: ACC_* | ACC_SUPER.  cpu_translate returns the physical address. */
uint64_t cpu_translate(CPU *cpu, uint64_t lin, int access);
uint64_t cpu_lin_read(CPU *cpu, uint64_t lin, unsigned size);
void cpu_lin_write(CPU *cpu, uint64_t lin, uint64_t val, unsigned size);
/* The same as implicit supervisor accesses (ACC_SUPER). */
uint64_t cpu_lin_read_super(CPU *cpu, uint64_t lin, unsigned size);
void cpu_lin_write_super(CPU *cpu, uint64_t lin, uint64_t val, unsigned size);
/* Raises the #PF the softmmu reported: CR2 = pf->lin. */
_Noreturn void cpu_page_fault(CPU *cpu, const PageFault *pf);

/* The linear address of code at CS:rip: CS base + rip, wrapping at 4 GiB
 * outside 64-bit mode (where CS base is 0 and rip is the address).  The one
 * place fetch, debug checks, traces and error lines compute it. */
static inline uint64_t cpu_code_lin(const CPU *cpu, uint64_t rip)
{
    if (cpu->code_mode == CODE64)
        return rip;
    return (cpu->seg[S_CS].base + rip) & 0xffffffffull;
}
/* 16, 32 or 64: the code size, for the disassembler. */
static inline unsigned cpu_code_bits(const CPU *cpu) { return 16u << cpu->code_mode; }

/* "#DE", "#GP", "NMI", ... (SDM vol. 3 table 6-1) for vectors 0..31; NULL
 * for other vectors. */
const char *exc_name(int vector);

/* A code cache for the interpreter's blocks (cpu/block.h) of size_bytes in
 * all (0: the default; codecache_new), or NULL with one line in err. */
CodeCache *cpu_codecache_new(Mem *mem, size_t size_bytes, char *err, size_t errlen);

/* Stack */
void cpu_push(CPU *cpu, uint64_t val, unsigned size);
uint64_t cpu_pop(CPU *cpu, unsigned size);
unsigned cpu_stack_size(CPU *cpu);  /* 2, 4 or 8: SS.B / long mode */

/* Register access by size; byte register numbers 16..19 are AH,CH,DH,BH. */
uint64_t cpu_get_reg(CPU *cpu, unsigned r, unsigned size);
void cpu_set_reg(CPU *cpu, unsigned r, unsigned size, uint64_t val);

/* CR8: the local APIC's TPR[7:4] when there is one. */
static inline uint64_t cpu_get_cr8(CPU *cpu)
{
    return cpu->apic_ops ? cpu->apic_ops->get_cr8(cpu->apic_opaque) : cpu->cr8;
}

/* size_mask(size), the mask of the low size bytes: softmmu/mmu.h. */
static inline uint64_t sign_bit(unsigned size) { return 1ull << (size * 8 - 1); }
/* Bits 63..47 all equal (48-bit linear addresses).  The shift is done on
 * the unsigned value: shifting a negative int64_t left is undefined. */
static inline bool is_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}
static inline int64_t sext(uint64_t v, unsigned size)
{
    unsigned sh = 64 - size * 8;
    return (int64_t)(v << sh) >> sh;
}

#endif

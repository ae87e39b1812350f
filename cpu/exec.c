/* exec.c — tier 0: run pre-decoded blocks from the code cache.
 *
 * Contract for handlers: the loop sets cpu->next_rip to the following
 * instruction before calling a handler; a branch overwrites it; cpu->rip is
 * the executing instruction's address until the handler returns, so a fault
 * raised anywhere inside leaves RIP pointing at the faulting instruction.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "debug.h"
#include "insn.h"
#include "interrupt.h"
#include "operand.h"
#include "spec.h"
#include "block.h"
#include "../softmmu/mem.h"
#include "../softmmu/paging.h"
#include "../softmmu/tlb.h"
#include "cpuid.h"
#include "model.h"

const Handler form_handler[FORM_COUNT] = {
#define FORM(name, map, opc, pfx, ext, rmx, modrm, osz, imm, attrs, ops, fl, handler) handler,
#include "opcodes.def"
#undef FORM
};

void cpu_init(CPU *cpu, Mem *mem)
{
    memset(cpu, 0, sizeof *cpu);
    cpu->mem = mem;
    cpu->model = &cpu_model_intel;
    cpu->features = cpu_model_intel.features;
    cpu_reset(cpu);
    cpu->fpu.fcw = 0x037f;
}

static void set_flat_seg(Seg *s, uint16_t sel, uint16_t type, bool code, int code_mode)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = (uint16_t)(type | SA_S | SA_P | SA_G);
    if (code && code_mode == CODE64)
        s->attr |= SA_L;
    else if (code_mode != CODE16)
        s->attr |= SA_DB;
}

void cpu_reset_flat(CPU *cpu, int code_mode, uint64_t entry)
{
    for (int i = 0; i < 6; i++)
        set_flat_seg(&cpu->seg[i], i == S_CS ? 0x08 : 0x10, i == S_CS ? 0xb : 0x3,
                     i == S_CS, code_mode);
    if (code_mode == CODE16) {
        for (int i = 0; i < 6; i++) {
            cpu->seg[i].sel = 0;
            cpu->seg[i].limit = 0xffff;
            cpu->seg[i].attr = (uint16_t)((i == S_CS ? 0xb : 0x3) | SA_S | SA_P);
        }
        cpu->cr0 = 0x60000010;
    } else {
        cpu->cr0 = 0x00000011 | 0x20;  /* PE, ET, NE */
    }
    if (code_mode == CODE64) {
        cpu->efer = 0x500;  /* LME | LMA; paging is set up by the board */
        cpu->cr4 = 0x20 | 0x200 | 0x400;  /* PAE, OSFXSR, OSXMMEXCPT */
    } else if (code_mode == CODE32) {
        cpu->cr4 = 0x200 | 0x400;
    }
    cpu->code_mode = (uint8_t)code_mode;
    cpu->cpl = 0;
    cpu->rip = entry;
    cpu->eflags = 2;
    cpu->lf.op = LF_NONE;
}

/* RESET/INIT state (SDM Vol. 3 "Processor State Following Power-up, Reset,
 * or INIT").  The board's hooks and the memory/cache pointers survive. */
void cpu_reset(CPU *cpu)
{
    CPU keep = *cpu;
    memset(cpu, 0, sizeof *cpu);
    cpu->mem = keep.mem;
    cpu->cc = keep.cc;
    cpu->tlb = keep.tlb;
    cpu->intr_pending = keep.intr_pending;
    cpu->intr_ack = keep.intr_ack;
    cpu->intr_opaque = keep.intr_opaque;
    cpu->apic_ops = keep.apic_ops;
    cpu->apic_opaque = keep.apic_opaque;
    cpu->opaque = keep.opaque;
    cpu->host_break = keep.host_break;
    cpu->tier1 = keep.tier1;
    cpu->host_watch = keep.host_watch;
    cpu->host_watch_writes = keep.host_watch_writes;
    cpu->host_break_opaque = keep.host_break_opaque;
    cpu->icount = keep.icount;
    cpu->tsc_offset = keep.tsc_offset;
    cpu->model = keep.model;
    cpu->features = keep.features;
    cpu->exc_vector = -1;
    cpu->eflags = 2;
    cpu->lf.op = LF_NONE;
    cpu->rip = 0xfff0;
    for (int i = 0; i < 6; i++) {
        cpu->seg[i].limit = 0xffff;
        cpu->seg[i].attr = (uint16_t)(0x3 | SA_S | SA_P);
    }
    cpu->seg[S_CS].sel = 0xf000;
    cpu->seg[S_CS].base = 0xffff0000ull;
    cpu->seg[S_CS].attr = (uint16_t)(0xb | SA_S | SA_P);
    cpu->gdtr.limit = cpu->idtr.limit = 0xffff;
    cpu->ldtr.limit = 0xffff;
    cpu->ldtr.attr = 0x2 | SA_P;
    cpu->tr.limit = 0xffff;
    cpu->tr.attr = 0xb | SA_P;
    cpu->cr0 = 0x60000010;  /* CD, NW, ET */
    cpu->dr[6] = 0xffff0ff0;
    cpu->dr[7] = 0x400;
    cpu->regs[R_DX] = cpuid_signature(cpu->model);  /* family/model/stepping */
    cpu->mxcsr = 0x1f80;
    cpu->fpu.fcw = 0x0040;
    cpu->fpu.ftw = 0xffff;
    cpu->apic_base = 0xfee00900ull;  /* BSP, enabled */
    cpu->pat = 0x0007040600070406ull;
    cpu->misc_enable = 1;            /* fast strings */
    cpu->code_mode = CODE16;
    if (cpu->tlb)
        paging_flush(&cpu->mmu, true);
}

_Noreturn void cpu_raise(CPU *cpu, int vector, uint32_t error, bool has_error)
{
    cpu->exc_vector = vector;
    cpu->exc_error = error;
    cpu->exc_has_error = has_error;
    longjmp(*cpu->fault_jmp, 1);
}

/* Outside 64-bit code: CS, DS, ES and SS all start at 0 and reach 4 GiB,
 * the data ones writable and expand-up (block.h, MODE_KEY_FLAT). */
static inline bool flat_segments(const CPU *cpu)
{
    if (cpu->code_mode == CODE64)
        return false;
    uint64_t odd = cpu->seg[S_CS].base | (cpu->seg[S_CS].limit ^ 0xffffffffu);
    static const int data[3] = { S_DS, S_ES, S_SS };
    for (int i = 0; i < 3; i++) {
        const Seg *s = &cpu->seg[data[i]];
        odd |= s->base | (s->limit ^ 0xffffffffu) | ((s->attr & 0x9e) ^ 0x92);
    }
    return odd == 0;
}

/* Every bit that changes how code decodes or what a handler does.  Only
 * equality matters, so the bits stay where they are (no tests, few shifts):
 * code_mode 0..1, CPL 2..3, CR0.PE/WP/PG 4/20/35, EFLAGS.VM 40, SS.B 41,
 * EFER.LMA 42, flat segments 43. */
static inline uint64_t mode_key(const CPU *cpu)
{
    return (uint64_t)cpu->code_mode | (uint64_t)cpu->cpl << 2 |
           (cpu->cr0 & 0x80010001ull) << 4 | (uint64_t)(cpu->eflags & F_VM) << (40 - 17) |
           (uint64_t)(cpu->seg[S_SS].attr & SA_DB) << (41 - 14) |
           (cpu->efer & (1u << 10)) << (42 - 10) | (flat_segments(cpu) ? MODE_KEY_FLAT : 0);
}

/* How many instruction bytes may be fetched at CS offset off: 15, fewer
 * near CS.limit, 0 past it.  In real mode the limit is 0xFFFF too: IP does
 * not run on into the next 64 KiB.  64-bit code has no limit, but the
 * bytes must be canonical: the low half ends at 2^47 - 1. */
static inline unsigned fetch_max(const CPU *cpu, uint64_t off)
{
    uint64_t lim = cpu->seg[S_CS].limit;
    if (cpu->code_mode == CODE64) {
        if (!is_canonical(off))
            return 0;
        lim = (1ull << 47) - 1;
        if (off > lim)
            return 15;  /* the high half */
    }
    if (lim >= off && lim - off >= 14)
        return 15;
    return off > lim ? 0 : (unsigned)(lim - off + 1);
}

/* Raises what a failed decode of the bytes at lin (CS offset off) means:
 * #GP(0) when the instruction needs a byte past CS.limit (checked before
 * paging), #PF when it needs one from a page that does not translate,
 * else #UD or #GP(0) (longer than 15 bytes). */
static _Noreturn void fetch_fault(CPU *cpu, int r, uint64_t lin, uint64_t off, int avail)
{
    if (r == DEC_SHORT) {
        if ((unsigned)avail == fetch_max(cpu, off))
            cpu_gp0(cpu);
        cpu_translate(cpu, lin + (uint64_t)avail, ACC_EXEC);  /* raises #PF */
    }
    cpu_raise(cpu, r == DEC_UD ? EXC_UD : EXC_GP, 0, r != DEC_UD);
}

/* Decodes a block at cpu->rip.  Only a failure at the first instruction
 * raises: later ones end the block before them, so they fault when (and if)
 * execution reaches them.  That includes the CS limit: the block stops
 * before the first instruction that would cross it, and records its last
 * byte's offset (cs_last) for find_block to check on every later use. */
static __attribute__((noinline)) Block *build_block(CPU *cpu, uint64_t pa, uint64_t key)
{
    Insn insns[BLOCK_MAX_INSNS];
    Handler fn[BLOCK_MAX_INSNS];
    uint64_t lin = cpu_code_lin(cpu, cpu->rip), start_page = lin >> 12;
    uint64_t pa_last = pa, off = cpu->rip, cs_last = 0;
    unsigned n = 0;
    bool plain = true;
    while (n < BLOCK_MAX_INSNS) {
        uint8_t buf[15];
        int avail = mem_fetch(&cpu->mmu, lin, buf, fetch_max(cpu, off));
        Insn *in = &insns[n];
        int r = decode(buf, avail, cpu->code_mode, &cpu->model->q, in);
        if (r < 0) {
            if (n > 0)
                break;
            fetch_fault(cpu, r, lin, off, avail);
        }
        uint64_t last = lin + (uint64_t)r - 1;
        if ((last >> 12) > start_page + 1)
            break;  /* would need a third page */
        if ((last >> 12) != start_page)
            pa_last = cpu_translate(cpu, last, ACC_EXEC);
        cs_last = cpu->code_mode == CODE64 ? 0 : off + (uint64_t)r - 1;
        fn[n] = insn_handler(in);
        plain &= fn[n] != form_handler[in->form];  /* a hot instance */
        n++;
        if (form_info[in->form].attrs & A_END)
            break;
        lin += (uint64_t)r;
        off += (uint64_t)r;
    }
    /* Allocated only now, at its size: nothing above raised after a block
     * was taken, and a flush here (the cache full) loses nothing decoded. */
    void *payload;
    Block *b = (Block *)codecache_alloc(cpu->cc, pa, key, BLOCK_PAYLOAD_SIZE(n), &payload);
    b->insns = payload;
    b->fn = (Handler *)(b->insns + n);
    memcpy(b->insns, insns, n * sizeof *insns);
    memcpy(b->fn, fn, n * sizeof *fn);
    b->rip = cpu->rip;
    b->cs_last = cs_last;
    b->ninsns = (uint16_t)n;
    b->plain = plain;
    codecache_commit(cpu->cc, &b->head, pa_last);
    if (cpu->trace_block_built)
        cpu->trace_block_built(cpu, b);
    return b;
}

/* A fetch past CS.limit faults before paging is asked (a block that does
 * fit is checked against the limit by find_block). */
static __attribute__((noinline)) uint64_t code_pa_slow(CPU *cpu, uint64_t lin)
{
    if (fetch_max(cpu, cpu->rip) == 0)
        cpu_gp0(cpu);
    return cpu_translate(cpu, lin, ACC_EXEC);
}

/* Physical address of code at lin: the TLB's execute tag inline (as
 * cpu_translate's own lookup does, slow-path bits ignored), the walk out of
 * line. */
static inline uint64_t code_pa(CPU *cpu, uint64_t lin)
{
    const Tlb *t = cpu->tlb;
    if (__builtin_expect(t != NULL, 1)) {
        bool user = cpu->cpl == 3;
        unsigned idx = (lin >> 12) & (TLB_ENTRIES - 1);
        if ((t->e[user][idx].tag[ACC_EXEC] & ~(uint64_t)TLB_SLOW) == (lin & TLB_PAGE_MASK))
            return t->info[user][idx].pa | (lin & 0xfff);
    }
    return code_pa_slow(cpu, lin);
}

/* The block for cpu->rip.  prev (the block that ran just before, or NULL)
 * remembers its successors: a hint is used only when it passes the same
 * checks a hash lookup makes, so hints never change what runs.
 *
 * Short cut: after a plain block (codecache.h) the mode key is prev->key,
 * and a hint last checked in the current TLB generation still has the
 * physical address (and second page) it was checked with — as if that
 * translation were still cached, which hardware may do until a flush or
 * INVLPG, and those bump the generation.  Then neither the key nor the
 * translation needs computing. */
static inline __attribute__((always_inline)) Block *find_block(CPU *cpu, Block *prev)
{
    CodeCache *cc = cpu->cc;
    const Tlb *t = cpu->tlb;
    if (prev && prev->plain && t) {
        for (int i = 0; i < 2; i++) {
            Block *s = prev->succ[i];
            if (s && s->rip == cpu->rip && s->key == prev->key && prev->succ_gen[i] == t->gen &&
                s->valid && s->cs_last <= cpu->seg[S_CS].limit) {
                cc->stats.chained++;  /* also a lookup and a hit (codecache_stats) */
                return s;
            }
        }
    }
    /* Read first: a flush while translating or decoding makes it stale. */
    uint64_t gen = t ? t->gen : ~0ull;
    uint64_t lin = cpu_code_lin(cpu, cpu->rip);
    uint64_t pa = code_pa(cpu, lin);
    uint64_t key = mode_key(cpu);
    Block *b = NULL;
    if (prev) {
        for (int i = 0; i < 2; i++) {
            Block *s = prev->succ[i];
            if (s && s->pa == pa && s->rip == cpu->rip && s->key == key && s->valid) {
                b = s;
                cc->stats.chained++;  /* also a lookup and a hit (codecache_stats) */
                break;
            }
        }
    }
    if (!b) {
        b = (Block *)codecache_lookup(cc, pa, key);
        if (b && b->rip != cpu->rip)
            b = NULL;
    }
    if (b && b->cs_last > cpu->seg[S_CS].limit)
        b = NULL;  /* built for a larger limit: decode it again up to this one */
    if (b && (b->pa_end >> 12) != (pa >> 12)) {
        /* Spanning block: the second page must still map where it did. */
        uint64_t second = code_pa(cpu, (lin | 4095) + 1);
        if ((second >> 12) != (b->pa_end >> 12))
            b = NULL;
    }
    if (!b)
        b = build_block(cpu, pa, key);
    if (prev) {
        if (prev->succ[0] != b) {
            prev->succ[1] = prev->succ[0];
            prev->succ_gen[1] = prev->succ_gen[0];
            prev->succ[0] = b;
        }
        prev->succ_gen[0] = gen;
    }
    return b;
}

/* Runs up to budget (>= 1) instructions of b.  After each one a single
 * word says whether to leave early: stop_request, which devices set and the
 * code cache sets (CC_STOP_CODE) when a store invalidated decoded code.
 * HLT ends its block (A_END), so halted needs no test here. */
static inline void run_block(CPU *cpu, Block *b, uint64_t budget)
{
    const Insn *in = b->insns;
    const Insn *end = in + (b->ninsns < budget ? b->ninsns : budget);
    const Handler *fn = b->fn;
    b->exec_count++;
    if (cpu->trace_block_exec)
        cpu->trace_block_exec(cpu, b);
    /* Handlers read icount (RDTSC) but never write it: keep it here. */
    uint64_t rip = cpu->rip, icount = cpu->icount;
    do {
        cpu->next_rip = rip + in->len;
        (*fn++)(cpu, in);
        rip = cpu->next_rip;
        cpu->rip = rip;
        cpu->icount = ++icount;
        in++;
    } while (in != end && !cpu->stop_request);
}

/* cpu_poll_interrupts without the call when it has nothing to do: it acts
 * only on an NMI or, with IF set, on the board's pending line. */
static inline bool poll_interrupts(CPU *cpu)
{
    if (!cpu->nmi_pending && !((cpu->eflags & F_IF) && cpu->intr_pending))
        return false;
    return cpu_poll_interrupts(cpu);
}

/* With DBG_STEP (debug.h): one instruction between the #DB checks, which
 * raise from here (a fault before it, a trap after it).  Out of line, so
 * the loop keeps nothing of it across its setjmp. */
static __attribute__((noinline)) void run_debug(CPU *cpu)
{
    const uint8_t shadow = cpu->intr_shadow;
    unsigned pending = debug_before(cpu);
    Block *b = find_block(cpu, NULL);
    run_block(cpu, b, 1);
    if (shadow)
        cpu->intr_shadow = 0;
    debug_after(cpu, b->insns, b->rip, pending);
}

/* Out of line: the loop's registers stay the loop's. */
static __attribute__((noinline)) void tier1_offer(CPU *cpu, Block *b)
{
    cpu->tier1->translate(cpu->tier1->opaque, cpu, b);
}

/* Runs blocks until end or a reason to return.  Out of line from cpu_run's
 * setjmp, so the CPU pointer and the loop's state stay in registers; an
 * exception unwinds through it, and cpu_run delivers it and calls it again
 * (with no previous block). */
static __attribute__((noinline)) int run_loop(CPU *cpu, uint64_t end)
{
    Block *prev = NULL;
    cpu->icount_end = end;
    cpu->tier1_exit = NULL;
    while (cpu->icount < end) {
        if (cpu->stop_request) {
            if (cpu->stop_request & ~CC_STOP_CODE)
                return RUN_STOP;
            /* Only code changed: the lookup below sees the new bytes. */
            __atomic_fetch_and(&cpu->stop_request, ~CC_STOP_CODE, __ATOMIC_RELAXED);
        }
        /* STI, MOV SS and POP SS end their block and hold off interrupts
         * (and NMI) until the one instruction after them has run. */
        if (!cpu->intr_shadow && poll_interrupts(cpu)) {
            prev = NULL;
            continue;
        }
        if (cpu->halted)
            return RUN_HALT;
        if (__builtin_expect(cpu->debug_active & DBG_STEP, 0)) {
            if (cpu->host_break && cpu->host_break(cpu))
                return RUN_BREAK;
            run_debug(cpu);
            prev = NULL;
            continue;
        }
        Block *b = find_block(cpu, prev);
        if (cpu->tier1 && !b->host_info && b->exec_count >= cpu->tier1->threshold)
            tier1_offer(cpu, b);  /* sets host_info, and host if it translated b */
        if (cpu->intr_shadow) {
            run_block(cpu, b, 1);
            cpu->intr_shadow = 0;
        } else if (b->host && !cpu->trace_block_exec) {
            const CpuTier1 *t1 = cpu->tier1;
            if (prev && cpu->tier1_exit)
                t1->link(t1->opaque, cpu, prev, b);
            cpu->tier1_exit = NULL;
            Block *last = t1->run(t1->opaque, cpu, b);
            if (last) {
                prev = last;
                continue;
            }
            run_block(cpu, b, end - cpu->icount);
        } else {
            run_block(cpu, b, end - cpu->icount);
        }
        cpu->tier1_exit = NULL;
        prev = b;
    }
    return RUN_LIMIT;
}

int cpu_run(CPU *cpu, uint64_t max_insns)
{
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    int ret;
    const uint64_t end = cpu->icount + max_insns;
    cpu->fault_jmp = &jb;
    if (cpu->triple_fault) {
        /* Shutdown: nothing runs until the board resets the CPU. */
        cpu->fault_jmp = saved;
        return RUN_TRIPLE_FAULT;
    }
    debug_update(cpu);  /* the caller may have set TF, DR7, ... directly */
    if (setjmp(jb)) {
        if (!cpu_deliver_exception(cpu)) {
            ret = cpu->triple_fault ? RUN_TRIPLE_FAULT : RUN_EXCEPTION;
            goto out;
        }
    }
    ret = run_loop(cpu, end);
out:
    cpu->fault_jmp = saved;
    return ret;
}

int cpu_replay_block(CPU *cpu, struct Block *b, uint64_t n)
{
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    int r = -1;
    cpu->fault_jmp = &jb;
    if (setjmp(jb))
        r = cpu->exc_vector;
    else
        run_block(cpu, b, n);
    cpu->fault_jmp = saved;
    return r;
}

int cpu_step(CPU *cpu)
{
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    int ret = RUN_OK;
    cpu->fault_jmp = &jb;
    cpu->exc_vector = -1;
    const uint8_t shadow = cpu->intr_shadow;
    if (setjmp(jb)) {
        cpu->event_ext = 0;
        ret = RUN_EXCEPTION;
        goto out;
    }
    uint8_t buf[15];
    Insn in;
    uint64_t lin = cpu_code_lin(cpu, cpu->rip);
    int avail = mem_fetch(&cpu->mmu, lin, buf, fetch_max(cpu, cpu->rip));
    int r = decode(buf, avail, cpu->code_mode, &cpu->model->q, &in);
    if (r < 0)
        fetch_fault(cpu, r, lin, cpu->rip, avail);
    cpu->next_rip = cpu->rip + in.len;
    form_handler[in.form](cpu, &in);
    cpu->rip = cpu->next_rip;
    cpu->icount++;
    if (shadow)
        cpu->intr_shadow = 0;  /* the shadowed instruction has run */
out:
    cpu->fault_jmp = saved;
    return ret;
}

CodeCache *cpu_codecache_new(Mem *mem, size_t size_bytes, char *err, size_t errlen)
{
    return codecache_new(mem, sizeof(Block), size_bytes, err, errlen);
}

/* The anonymous copies of the lower layers' structs are those structs. */
_Static_assert(offsetof(Block, plain) == offsetof(Block, head.plain), "Block head layout");
_Static_assert(offsetof(CPU, debug_active) == offsetof(CPU, mmu.debug_active), "CPU.mmu layout");

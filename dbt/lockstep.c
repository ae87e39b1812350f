/* lockstep.c — -accel dbt,lockstep: every translated block is checked
 * against tier 0, the single source of truth.
 *
 * Per block: the CPU state is copied; the guest's data writes are
 * journaled (the softmmu shows every data write to cpu->host_watch, as
 * for a debugger's watchpoints, with the old bytes read before the write;
 * reads that hit the TLB stay on tier 1's inline path, so it is checked
 * too, while reads of devices and misses reach the slow path and the hook);
 * the translated code runs.  Then its result (registers, flags, the
 * journaled bytes) is put aside, memory and CPU are put back, the
 * interpreter runs the same instructions, and the two results are
 * compared.  The interpreter's result is the one kept.  At the first
 * difference ringzero stops with one line: the guest CS:RIP, the
 * instruction, the register or memory byte, expected (tier 0) and got.
 *
 * A block that touched a device (port I/O, MMIO) or read the clock cannot
 * run twice: its tier-1 result is kept unchecked and counted.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lockstep.h"
#include "../cpu/debug.h"
#include "../disasm/disasm.h"
#include "../softmmu/mem.h"
#include "../softmmu/paging.h"

#define JOURNAL_MAX 4096

typedef struct JEntry {
    uint64_t pa;
    uint8_t size;
    uint8_t old[8], got[8];
} JEntry;

struct Lockstep {
    bool active;
    bool device;          /* a device or the clock was touched */
    unsigned n, n1;       /* entries; of them, tier 1's */
    CPU s0, t;            /* the state before; tier 1's result */
    JEntry j[JOURNAL_MAX];
};

static bool lin_to_pa(CPU *cpu, uint64_t lin, uint64_t *pa)
{
    if (!(cpu->cr0 & CR0_PG)) {
        *pa = lin;
        return true;
    }
    return paging_probe(&cpu->mmu, lin, ACC_READ | ACC_SUPER | ACC_PROBE, pa);
}

static void watch(CPU *cpu, uint64_t lin, unsigned size, int access)
{
    Dbt *d = cpu->tier1->opaque;
    Lockstep *ls = d->lockstep;
    if (!ls || !ls->active)
        return;
    for (unsigned k = 0; k < size; k++) {
        uint64_t pa;
        if (!lin_to_pa(cpu, lin + k, &pa) || !mem_is_ram(cpu->mem, pa)) {
            ls->device = true;   /* MMIO, or a fault the run will raise */
            return;
        }
        if ((access & ACC_TYPE_MASK) != ACC_WRITE)
            continue;
        if (ls->n == JOURNAL_MAX) {
            ls->device = true;   /* too much to check: keep it unchecked */
            return;
        }
        JEntry *e = &ls->j[ls->n++];
        e->pa = pa;
        e->size = 1;
        e->old[0] = (uint8_t)mem_phys_read(cpu->mem, pa, 1);
    }
}

/* Forms whose result depends on when they run, or that reach devices, and
 * the sensitive ones: they run as the interpreter's own handler in both
 * tiers anyway, and some write memory implicitly as the supervisor (a TSS
 * busy bit, a descriptor's accessed bit), which the journal does not see. */
static bool replayable(const DbtBlock *db)
{
    for (unsigned i = 0; i < db->ninsns; i++) {
        uint64_t rip;
        const Insn *in = dbt_trace_insn(db, i, &rip);
        const FormInfo *f = &form_info[in->form];
        if (f->attrs & A_SENS)
            return false;
        if (f->map == MAP_1B && ((f->opc >= 0xe4 && f->opc <= 0xe7) || f->opc >= 0xec ||
                                 (f->opc >= 0x6c && f->opc <= 0x6f)) &&
            !(f->opc >= 0xf0))
            return false;   /* IN, OUT, INS, OUTS */
        if (f->map == MAP_0F && (f->opc == 0x31 || f->opc == 0x01 || f->opc == 0xc7 ||
                                 f->opc == 0xa2 || f->opc == 0x32 || f->opc == 0x30))
            return false;   /* RDTSC(P), RDRAND/RDSEED, CPUID, RDMSR/WRMSR */
    }
    return true;
}

static const char *const gpr_name[16] = {
    "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
    "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
};

/* The instruction of the trace most likely to have made the difference:
 * the last one that writes what differs (gpr >= 0, or flags, or memory). */
static unsigned culprit(const DbtBlock *db, unsigned n, int gpr, uint32_t flags, bool memory)
{
    unsigned best = 0;
    for (unsigned i = 0; i < n && i < db->ninsns; i++) {
        uint64_t rip;
        const Insn *in = dbt_trace_insn(db, i, &rip);
        const FormInfo *f = &form_info[in->form];
        bool w = false;
        if (gpr >= 0) {
            unsigned rr = form_reg_role(f), rm = form_rm_role(f);
            w |= (rr == OR_W || rr == OR_RW) && form_reg_kind(f) == OK_GPR && (in->reg & 15) == gpr;
            w |= (rm == OR_W || rm == OR_RW) && !(in->flags & IF_MEM) && (in->rm & 15) == gpr;
            w |= (form_gprs_written(f) >> gpr) & 1;
        }
        w |= (form_flags_written(f) & flags) != 0;
        w |= memory && (((in->flags & IF_MEM) && (form_rm_role(f) == OR_W || form_rm_role(f) == OR_RW)) ||
                        form_writes_mem(f));
        if (w)
            best = i;
    }
    return best;
}

static void report(Dbt *d, CPU *cpu, const DbtBlock *db, unsigned n, int gpr, uint32_t flags,
                   bool memory, const char *what, uint64_t expected, uint64_t got)
{
    const Block *b = db->b;
    uint64_t rip;
    const Insn *ik = dbt_trace_insn(db, culprit(db, n, gpr, flags, memory), &rip);
    uint8_t bytes[15];
    char text[96];
    int avail = mem_fetch(&cpu->mmu, cpu_code_lin(cpu, rip), bytes, 15);
    if (avail <= 0 || !disasm_one(bytes, (size_t)avail, 16u << ik->code_mode, rip, text, sizeof text))
        snprintf(text, sizeof text, "%s", form_info[ik->form].name);
    fprintf(stderr, "ringzero: lockstep: tier 1 differs from tier 0 at %04x:%llx (%s), block at "
            "%llx: %s expected %#llx, got %#llx\n", cpu->seg[S_CS].sel, (unsigned long long)rip,
            text, (unsigned long long)b->rip, what, (unsigned long long)expected,
            (unsigned long long)got);
    if (getenv("RZ_DBT_DEBUG")) {
        Lockstep *ls = d->lockstep;
        fprintf(stderr, "lockstep: %u of %u instructions, %u journal entries (%u tier 1's); before:",
                n, db->ninsns, ls->n, ls->n1);
        for (int r = 0; r < 8; r++)
            fprintf(stderr, " %s=%llx", gpr_name[r], (unsigned long long)ls->s0.regs[r]);
        fprintf(stderr, "\n");
        for (unsigned i = 0; i < db->ninsns; i++) {
            uint64_t at;
            const Insn *in = dbt_trace_insn(db, i, &at);
            fprintf(stderr, "lockstep:  %llx %s len %u reg %d rm %d seg %d base %d index %d disp %#llx\n",
                    (unsigned long long)at, form_info[in->form].name, in->len, in->reg, in->rm, in->seg, in->base,
                    in->index, (unsigned long long)in->disp);
        }
    }
    d->diverged = true;
    cpu->stop_request |= 1;
}

/* Compares t (tier 1's result) with the CPU (tier 0's); reports the first
 * difference.  n: instructions the block ran. */
static void compare(Dbt *d, CPU *cpu, CPU *t, const DbtBlock *b, unsigned n, int vec_t, int vec_i)
{
    char what[64];
    if (vec_t != vec_i) {
        report(d, cpu, b, n, -1, 0, false, "exception vector", (uint64_t)(int64_t)vec_i,
               (uint64_t)(int64_t)vec_t);
        return;
    }
    for (int r = 0; r < 16; r++)
        if (t->regs[r] != cpu->regs[r]) {
            report(d, cpu, b, n, r, 0, false, gpr_name[r], cpu->regs[r], t->regs[r]);
            return;
        }
    uint32_t fi = cpu_get_eflags(cpu), ft = cpu_get_eflags(t);
    if (fi != ft) {
        report(d, cpu, b, n, -1, fi ^ ft, false, "EFLAGS", fi, ft);
        return;
    }
    if (t->rip != cpu->rip || t->icount != cpu->icount) {
        report(d, cpu, b, n, -1, 0, false, t->rip != cpu->rip ? "RIP" : "icount",
               t->rip != cpu->rip ? cpu->rip : cpu->icount, t->rip != cpu->rip ? t->rip : t->icount);
        return;
    }
    for (int s = 0; s < 6; s++)
        if (memcmp(&t->seg[s], &cpu->seg[s], sizeof t->seg[s])) {
            static const char *const sn[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };
            snprintf(what, sizeof what, "%s selector (or its cached descriptor)", sn[s]);
            report(d, cpu, b, n, -1, 0, false, what, cpu->seg[s].sel, t->seg[s].sel);
            return;
        }
    for (int x = 0; x < 16; x++)
        for (int q = 0; q < 2; q++)
            if (t->xmm[x].q[q] != cpu->xmm[x].q[q]) {
                snprintf(what, sizeof what, "XMM%d[%d]", x, q);
                report(d, cpu, b, n, -1, 0, false, what, cpu->xmm[x].q[q], t->xmm[x].q[q]);
                return;
            }
    if (t->mxcsr != cpu->mxcsr || t->cr0 != cpu->cr0 || t->cr3 != cpu->cr3 || t->cr4 != cpu->cr4 ||
        t->efer != cpu->efer || t->halted != cpu->halted || memcmp(&t->fpu, &cpu->fpu, sizeof t->fpu)) {
        report(d, cpu, b, n, -1, 0, false, "MXCSR/CRn/EFER/x87 state", 0, 1);
        return;
    }
    /* Entries [0, n1) are tier 1's writes, the rest tier 0's: a byte only
     * tier 0 wrote should still hold, after tier 1, what it held before. */
    Lockstep *ls = d->lockstep;
    for (unsigned k = 0; k < ls->n; k++) {
        uint8_t now = (uint8_t)mem_phys_read(cpu->mem, ls->j[k].pa, 1);
        uint8_t tier1 = ls->j[k].got[0];
        if (k >= ls->n1) {
            bool seen = false;
            for (unsigned m = 0; m < k && !seen; m++)
                seen = ls->j[m].pa == ls->j[k].pa;
            if (seen)
                continue;
            tier1 = ls->j[k].old[0];
        }
        if (now != tier1) {
            snprintf(what, sizeof what, "memory byte at physical %#llx",
                     (unsigned long long)ls->j[k].pa);
            report(d, cpu, b, n, -1, 0, true, what, now, tier1);
            return;
        }
    }
}

/* Runs b's code; returns the vector it raised (state as at the raise) or
 * -1.  Apart, so nothing of the caller lives across the setjmp. */
static __attribute__((noinline)) int run_caught(Dbt *d, CPU *cpu, Block *b)
{
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    int vec = -1;
    cpu->fault_jmp = &jb;
    if (setjmp(jb) == 0)
        (void)d->enter(cpu, b->host);
    else
        vec = cpu->exc_vector;
    cpu->fault_jmp = saved;
    return vec;
}

/* Tier 0 runs n instructions along db's trace: the blocks in order as
 * long as each one leads to the next, and from the head again where the
 * trace loops (lockstep_run lets it go round twice at most); the vector
 * raised, or -1. */
static int replay_trace(CPU *cpu, const DbtBlock *db, unsigned n)
{
    int vec = -1;
    for (unsigned j = 0, step = 0; n && vec < 0; step++) {
        if (step) {
            if (j + 1 < db->ntrace && cpu->rip == db->trace[j + 1]->rip)
                j++;
            else if (cpu->rip == db->trace[0]->rip)
                j = 0;
            else
                break;   /* a side exit: tier 1 left here too, or the compare says */
        }
        uint64_t before = cpu->icount;
        vec = cpu_replay_block(cpu, db->trace[j], n);
        uint64_t ran = cpu->icount - before;
        n = ran < n ? n - (unsigned)ran : 0;
    }
    return vec;
}

Block *lockstep_run(Dbt *d, CPU *cpu, Block *b)
{
    Lockstep *ls = d->lockstep;
    const DbtBlock *db = b->host_info;
    bool check = replayable(db);
    CPU *s0 = &ls->s0, *t = &ls->t;
    if (check)
        *s0 = *cpu;
    jmp_buf *saved = cpu->fault_jmp;
    ls->n = 0;
    ls->device = false;
    ls->active = check;
    /* A loop goes round inside the translation until the budget says: twice
     * at most here, so the journal and the replay stay short. */
    uint64_t two = cpu->icount + 2u * db->ninsns;
    if (cpu->icount_yield > two)
        cpu->icount_yield = two;
    int vec_t = run_caught(d, cpu, b);
    ls->active = false;
    if (!check || ls->device) {
        d->stats.lockstep_skipped++;
        if (vec_t >= 0)
            longjmp(*saved, 1);
        return b;
    }
    /* Tier 1's result aside; memory and the CPU back as they were. */
    *t = *cpu;
    for (unsigned k = 0; k < ls->n; k++)
        ls->j[k].got[0] = (uint8_t)mem_phys_read(cpu->mem, ls->j[k].pa, 1);
    for (unsigned k = ls->n; k-- > 0;) {
        uint8_t *p = mem_phys_ptr(cpu->mem, ls->j[k].pa, 1, true);
        if (p)
            *p = ls->j[k].old[0];
    }
    unsigned n = (unsigned)(t->icount - s0->icount) + (vec_t >= 0);
    *cpu = *s0;
    cpu->fault_jmp = saved;
    ls->n1 = ls->n;
    ls->active = true;
    int vec_i = n ? replay_trace(cpu, db, n) : -1;
    ls->active = false;
    compare(d, cpu, t, db, n, vec_t, vec_i);
    d->stats.lockstep_blocks++;
    if (vec_i >= 0)
        longjmp(*saved, 1);
    return b;
}

int lockstep_init(Dbt *d, CPU *cpu, char *err, size_t errlen)
{
    if (cpu->host_watch) {
        snprintf(err, errlen, "-accel dbt,lockstep: cannot run beside the debugger's watchpoints");
        return -1;
    }
    d->lockstep = calloc(1, sizeof *d->lockstep);
    if (!d->lockstep) {
        snprintf(err, errlen, "tier 1: out of memory");
        return -1;
    }
    cpu->host_watch = watch;
    cpu->host_watch_writes = true;   /* reads that hit stay inline in tier 1 */
    debug_update(cpu);
    return 0;
}

void lockstep_free(Dbt *d)
{
    if (d->lockstep && d->cpu->host_watch == watch) {
        d->cpu->host_watch = NULL;
        d->cpu->host_watch_writes = false;
    }
    free(d->lockstep);
    d->lockstep = NULL;
}

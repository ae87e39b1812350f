/* string.c — MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with REP/REPE/REPNE.
 *
 * Every iteration finishes its memory accesses before it updates rSI, rDI
 * and rCX, so a fault in the middle of a REP leaves the registers as of the
 * completed iterations and the instruction restarts from there.  A REP runs
 * at most STRING_CHUNK iterations per call and then resumes itself by
 * leaving next_rip at the instruction (its forms end blocks, so the loop
 * sees that); interrupts and stop requests are taken in between.
 */
#include "debug.h"
#include "operand.h"
#include "../softmmu/mem.h"

enum { STRING_CHUNK = 4096 };

static bool has_rep(const Insn *in)
{
    return (in->flags & (IF_REP | IF_REPNE)) != 0;
}

/* Element step: +size, or -size with DF set */
static uint64_t step(CPU *cpu, unsigned size)
{
    return (cpu->eflags & F_DF) ? (uint64_t)-(int64_t)size : size;
}

static void advance(CPU *cpu, unsigned r, unsigned asz, uint64_t delta)
{
    set_areg(cpu, r, asz, get_areg(cpu, r, asz) + delta);
}

/* Runs body() once, or rCX times with a REP prefix.  body returns false
 * when a REPE/REPNE termination condition ends the loop. */
typedef bool (*StringBody)(CPU *cpu, const Insn *in);

/* REP with a 32-bit address size in 64-bit mode and ECX = 0: Intel still
 * writes the 32-bit registers the instruction would have advanced, which
 * clears their upper halves — RCX always, RDI for the stores (MOVS, STOS;
 * INS like STOS), RSI for MOVS.  AMD leaves all three (model.c:
 * rep_a32_zero_clears). */
static void rep_zero_count(CPU *cpu, const Insn *in)
{
    cpu->regs[R_CX] = (uint32_t)cpu->regs[R_CX];
    unsigned op = in->opc & 0xfe;
    if (op == 0xa4 || op == 0xaa || op == 0x6c)
        cpu->regs[R_DI] = (uint32_t)cpu->regs[R_DI];
    if (op == 0xa4)
        cpu->regs[R_SI] = (uint32_t)cpu->regs[R_SI];
}

static void string_loop(CPU *cpu, const Insn *in, StringBody body)
{
    if (!has_rep(in)) {
        body(cpu, in);
        return;
    }
    unsigned asz = in->asz;
    if (asz == 4 && cpu->code_mode == CODE64 && (uint32_t)cpu->regs[R_CX] == 0 &&
        cpu->model->q.rep_a32_zero_clears) {
        rep_zero_count(cpu, in);
        return;
    }
    /* Single-step and data-breakpoint traps come after each iteration. */
    const unsigned chunk = (cpu->debug_active & DBG_STEP) ? 1 : STRING_CHUNK;
    for (unsigned n = 0; n < chunk; n++) {
        uint64_t count = get_areg(cpu, R_CX, asz);
        if (count == 0)
            return;
        bool go_on = body(cpu, in);
        set_areg(cpu, R_CX, asz, count - 1);
        if (!go_on || count == 1)
            return;
    }
    cpu->next_rip = cpu->rip;  /* more to do: run this instruction again */
}

static bool movs_body(CPU *cpu, const Insn *in)
{
    unsigned sz = in->osz, asz = in->asz;
    uint64_t v = cpu_read(cpu, in->seg, get_areg(cpu, R_SI, asz), sz);
    cpu_write(cpu, S_ES, get_areg(cpu, R_DI, asz), sz, v);
    uint64_t d = step(cpu, sz);
    advance(cpu, R_SI, asz, d);
    advance(cpu, R_DI, asz, d);
    return true;
}

static bool stos_body(CPU *cpu, const Insn *in)
{
    unsigned sz = in->osz, asz = in->asz;
    cpu_write(cpu, S_ES, get_areg(cpu, R_DI, asz), sz, get_reg(cpu, R_AX, sz));
    advance(cpu, R_DI, asz, step(cpu, sz));
    return true;
}

static bool lods_body(CPU *cpu, const Insn *in)
{
    unsigned sz = in->osz, asz = in->asz;
    uint64_t v = cpu_read(cpu, in->seg, get_areg(cpu, R_SI, asz), sz);
    set_reg(cpu, R_AX, sz, v);
    advance(cpu, R_SI, asz, step(cpu, sz));
    return true;
}

/* CMPS/SCAS flags are those of CMP first, second; REPE continues while
 * equal, REPNE while unequal. */
static bool compare_done(CPU *cpu, const Insn *in, uint64_t a, uint64_t b)
{
    unsigned sz = in->osz;
    lf_set(cpu, LF_SUB, sz, a, b, a - b);
    bool equal = ((a - b) & size_mask(sz)) == 0;
    if (in->flags & IF_REPNE)
        return !equal;
    return equal;
}

static bool cmps_body(CPU *cpu, const Insn *in)
{
    unsigned sz = in->osz, asz = in->asz;
    uint64_t a = cpu_read(cpu, in->seg, get_areg(cpu, R_SI, asz), sz);
    uint64_t b = cpu_read(cpu, S_ES, get_areg(cpu, R_DI, asz), sz);
    uint64_t d = step(cpu, sz);
    advance(cpu, R_SI, asz, d);
    advance(cpu, R_DI, asz, d);
    return compare_done(cpu, in, a, b);
}

static bool scas_body(CPU *cpu, const Insn *in)
{
    unsigned sz = in->osz, asz = in->asz;
    uint64_t b = cpu_read(cpu, S_ES, get_areg(cpu, R_DI, asz), sz);
    advance(cpu, R_DI, asz, step(cpu, sz));
    return compare_done(cpu, in, get_reg(cpu, R_AX, sz), b);
}

/* Port I/O never uses 8-byte elements: REX.W still moves 32 bits. */
static unsigned io_elem(const Insn *in) { return in->osz > 4 ? 4 : in->osz; }

static bool ins_body(CPU *cpu, const Insn *in)
{
    unsigned sz = io_elem(in), asz = in->asz;
    uint64_t di = get_areg(cpu, R_DI, asz);
    /* The port read has side effects: the store must be known to succeed. */
    cpu_check_write(cpu, S_ES, di, sz);
    uint64_t v = mem_port_read(cpu->mem, (uint16_t)cpu->regs[R_DX], sz);
    cpu_write(cpu, S_ES, di, sz, v);
    advance(cpu, R_DI, asz, step(cpu, sz));
    return true;
}

static bool outs_body(CPU *cpu, const Insn *in)
{
    unsigned sz = io_elem(in), asz = in->asz;
    uint64_t v = cpu_read(cpu, in->seg, get_areg(cpu, R_SI, asz), sz);
    mem_port_write(cpu->mem, (uint16_t)cpu->regs[R_DX], v, sz);
    advance(cpu, R_SI, asz, step(cpu, sz));
    return true;
}

/* REPE/REPNE only end CMPS and SCAS early; with the other forms either
 * prefix repeats unconditionally (their bodies always return true). */
void MOVS(CPU *cpu, const Insn *in) { string_loop(cpu, in, movs_body); }
void STOS(CPU *cpu, const Insn *in) { string_loop(cpu, in, stos_body); }
void LODS(CPU *cpu, const Insn *in) { string_loop(cpu, in, lods_body); }
void CMPS(CPU *cpu, const Insn *in) { string_loop(cpu, in, cmps_body); }
void SCAS(CPU *cpu, const Insn *in) { string_loop(cpu, in, scas_body); }

void INS(CPU *cpu, const Insn *in)
{
    if (has_rep(in) && get_areg(cpu, R_CX, in->asz) == 0)
        return;  /* no iteration, so no permission check either */
    io_check(cpu, (uint16_t)cpu->regs[R_DX], io_elem(in));
    string_loop(cpu, in, ins_body);
}

void OUTS(CPU *cpu, const Insn *in)
{
    if (has_rep(in) && get_areg(cpu, R_CX, in->asz) == 0)
        return;
    io_check(cpu, (uint16_t)cpu->regs[R_DX], io_elem(in));
    string_loop(cpu, in, outs_body);
}

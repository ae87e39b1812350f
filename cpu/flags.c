/* flags.c — lazy EFLAGS: materialisation and condition evaluation.
 *
 * ADD/ADC share LF_ADD and SUB/SBB/CMP/NEG share LF_SUB: with res and both
 * operands known, the carry-in is recoverable (res == a happens with a carry
 * only when b is all-ones), so no separate record is needed.
 */
#include "cpu.h"
#include "debug.h"
#include "operand.h"

/* lf_cf and lf_of (operand.h) are shared with the inline hot paths. */
static uint32_t lazy_af(const LazyFlags *lf)
{
    if (lf->op == LF_LOGIC)
        return 0;  /* AMD and Intel both clear AF for logic ops */
    return ((lf->a ^ lf->b ^ lf->res) & 0x10) ? F_AF : 0;
}

uint32_t cpu_get_eflags(CPU *cpu)
{
    const LazyFlags *lf = &cpu->lf;
    if (lf->op == LF_NONE)
        return cpu->eflags;
    uint32_t f = cpu->eflags & ~F_OSZAPC;
    if (lf->op == LF_HOST)
        f |= lf_host_flags(lf);
    else
        f |= (lf_cf(lf, cpu->eflags) ? F_CF : 0) | lf_of(lf) | lazy_af(lf) | szp_flags(lf->res, lf->size);
    cpu->eflags = f;
    cpu->lf.op = LF_NONE;
    return f | 2;
}

void flags_put(CPU *cpu, uint32_t mask, uint32_t value)
{
    uint32_t f = cpu_get_eflags(cpu);
    cpu->eflags = (f & ~mask) | (value & mask) | 2;
}

void cpu_set_eflags(CPU *cpu, uint32_t value, uint32_t writable)
{
    flags_put(cpu, writable, value);
    debug_update(cpu);  /* TF, RF or AC may have changed */
}

bool cpu_get_cf(CPU *cpu)
{
    return get_cf(cpu);
}

/* Evaluates a condition straight from the lazy record: only the flags the
 * condition needs are computed, and nothing is materialised. */
bool cpu_cond(CPU *cpu, unsigned cc)
{
    return cond_eval(cpu, cc);
}

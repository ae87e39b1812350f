/* flags.c — lazy EFLAGS: materialisation and condition evaluation.
 *
 * ADD/ADC share LF_ADD and SUB/SBB/CMP/NEG share LF_SUB: with res and both
 * operands known, the carry-in is recoverable (res == a happens with a carry
 * only when b is all-ones), so no separate record is needed.
 */
#include "cpu.h"
#include "operand.h"

static inline uint32_t lazy_cf(const LazyFlags *lf, uint32_t eflags)
{
    switch (lf->op) {
    case LF_ADD: return lf->res < lf->a || (lf->res == lf->a && lf->b != 0);
    case LF_SUB: return lf->res > lf->a || (lf->res == lf->a && lf->b != 0);
    case LF_LOGIC: return 0;
    default: return eflags & F_CF;
    }
}

static inline uint32_t lazy_of(const LazyFlags *lf)
{
    uint64_t sb = sign_bit(lf->size);
    switch (lf->op) {
    case LF_ADD: return ((lf->a ^ lf->res) & (lf->b ^ lf->res) & sb) ? F_OF : 0;
    case LF_SUB: return ((lf->a ^ lf->b) & (lf->a ^ lf->res) & sb) ? F_OF : 0;
    case LF_INC: return lf->res == sb ? F_OF : 0;
    case LF_DEC: return lf->res == sb - 1 ? F_OF : 0;
    default: return 0;
    }
}

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
    f |= lazy_cf(lf, cpu->eflags) ? F_CF : 0;
    f |= lazy_of(lf) | lazy_af(lf) | szp_flags(lf->res, lf->size);
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
}

bool cpu_get_cf(CPU *cpu)
{
    return lazy_cf(&cpu->lf, cpu->eflags) != 0;
}

/* Evaluates a condition straight from the lazy record: only the flags the
 * condition needs are computed, and nothing is materialised. */
bool cpu_cond(CPU *cpu, unsigned cc)
{
    const LazyFlags *lf = &cpu->lf;
    bool r;
    if (lf->op == LF_NONE) {
        uint32_t f = cpu->eflags;
        switch (cc >> 1) {
        case 0: r = f & F_OF; break;
        case 1: r = f & F_CF; break;
        case 2: r = f & F_ZF; break;
        case 3: r = f & (F_CF | F_ZF); break;
        case 4: r = f & F_SF; break;
        case 5: r = f & F_PF; break;
        case 6: r = !(f & F_SF) != !(f & F_OF); break;
        default: r = (f & F_ZF) || (!(f & F_SF) != !(f & F_OF)); break;
        }
    } else {
        bool zf = lf->res == 0, sf = (lf->res & sign_bit(lf->size)) != 0;
        switch (cc >> 1) {
        case 0: r = lazy_of(lf); break;
        case 1: r = lazy_cf(lf, cpu->eflags); break;
        case 2: r = zf; break;
        case 3: r = zf || lazy_cf(lf, cpu->eflags); break;
        case 4: r = sf; break;
        case 5: r = parity_flag(lf->res); break;
        case 6: r = sf != (lazy_of(lf) != 0); break;
        default: r = zf || sf != (lazy_of(lf) != 0); break;
        }
    }
    return (cc & 1) ? !r : r;
}

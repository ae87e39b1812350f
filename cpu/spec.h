/* spec.h — specialised instances of the hot handlers (private to cpu/).
 *
 * A hot handler is written once, as a template whose operation ("sub":
 * e.g. the ALU op or the Jcc condition), operand size and ModRM kind
 * (register or memory) are parameters:
 *
 *     HOT_HANDLER(ALU_EI, 8, (in->modrm >> 3) & 7, 2)
 *     {
 *         ... body using cpu, in, sub, osz, mem ...
 *     }
 *
 * The macro instantiates the body for every (sub, osz, mem) — the compiler
 * folds the constants, so an instance has no size or operand-kind dispatch
 * and a register instance usually makes no call at all — and defines
 *   NAME_select(in): the instance for a decoded instruction, which the
 *       tier-0 loop stores in its block when the block is decoded
 *       (insn_handler, spec.c), and
 *   NAME(cpu, in): the table's handler (form_handler), which runs the
 *       selected instance, so every caller runs the same code.
 * NSUB is 1, 8 or 16 and SUBEXPR (in terms of in) must stay below it;
 * NMEM is 1 (the form has no memory operand: mem is always false) or 2.
 * Which handlers are specialised is SPEC_FAMILIES below.
 */
#ifndef RZ_SPEC_H
#define RZ_SPEC_H

#include "operand.h"

/* A template need not use every parameter. */
#define SPEC_UNUSED __attribute__((unused))
#define SPEC_FN(n, s, z, m) n##_s##s##_##z##m
#define SPEC_DEF(n, s, z, m) \
    static void SPEC_FN(n, s, z, m)(CPU *cpu, const Insn *in) { n##_t(cpu, in, s, z, m); }
#define SPEC_REF(n, s, z, m) SPEC_FN(n, s, z, m),

#define SPEC_M1(F, n, s, z) F(n, s, z, 0)
#define SPEC_M2(F, n, s, z) F(n, s, z, 0) F(n, s, z, 1)
#define SPEC_Z(F, n, s, M) M(F, n, s, 1) M(F, n, s, 2) M(F, n, s, 4) M(F, n, s, 8)
#define SPEC_S1(F, n, M) SPEC_Z(F, n, 0, M)
#define SPEC_S8(F, n, M) SPEC_Z(F, n, 0, M) SPEC_Z(F, n, 1, M) SPEC_Z(F, n, 2, M) \
    SPEC_Z(F, n, 3, M) SPEC_Z(F, n, 4, M) SPEC_Z(F, n, 5, M) SPEC_Z(F, n, 6, M) SPEC_Z(F, n, 7, M)
#define SPEC_S16(F, n, M) SPEC_S8(F, n, M) SPEC_Z(F, n, 8, M) SPEC_Z(F, n, 9, M) \
    SPEC_Z(F, n, 10, M) SPEC_Z(F, n, 11, M) SPEC_Z(F, n, 12, M) SPEC_Z(F, n, 13, M) \
    SPEC_Z(F, n, 14, M) SPEC_Z(F, n, 15, M)

#define HOT_HANDLER(name, nsub, subexpr, nmem)                                        \
    static inline __attribute__((always_inline)) void name##_t(                      \
        CPU *cpu, const Insn *in, unsigned sub, unsigned osz, bool mem);              \
    SPEC_S##nsub(SPEC_DEF, name, SPEC_M##nmem)                                        \
    static const Handler name##_tab[(nsub) * 4 * (nmem)] = {                          \
        SPEC_S##nsub(SPEC_REF, name, SPEC_M##nmem) };                                 \
    Handler name##_select(const Insn *in)                                             \
    {                                                                                 \
        unsigned s_ = (subexpr), m_ = (nmem) == 2 && (in->flags & IF_MEM);            \
        return name##_tab[(s_ * 4 + (unsigned)__builtin_ctz(in->osz)) * (nmem) + m_]; \
    }                                                                                 \
    void name(CPU *cpu, const Insn *in) { name##_select(in)(cpu, in); }              \
    static inline __attribute__((always_inline)) void name##_t(                      \
        CPU *cpu SPEC_UNUSED, const Insn *in SPEC_UNUSED, unsigned sub SPEC_UNUSED,   \
        unsigned osz SPEC_UNUSED, bool mem SPEC_UNUSED)

/* The hot handlers (spec.c turns a form's handler into its selector).
 * None may change anything in the mode key (exec.c): a block made only of
 * their instances is "plain" and the loop relies on its key not changing. */
#define SPEC_FAMILIES(X) \
    X(ALU_EG) X(ALU_EI) X(ALU_GE) X(ALU_AI) X(TEST_EG) X(TEST_EI) X(TEST_AI) \
    X(INC_Ev) X(DEC_Ev) X(MOV_EG) X(MOV_GE) X(MOV_EI) X(MOV_ZI) X(LEA_GvM)   \
    X(Jcc_J) X(JMP_J) X(PUSH_Zv) X(POP_Zv) X(CALL_J) X(RET_near)
#define X(name) Handler name##_select(const Insn *in);
SPEC_FAMILIES(X)
#undef X

/* The function the tier-0 loop runs for in: its specialised instance, or
 * the table's handler. */
Handler insn_handler(const Insn *in);

#endif

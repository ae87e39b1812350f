/* insn.h — the opcode table's vocabulary and the decoded-instruction struct.
 *
 * cpu/opcodes.def is the single source for instruction forms.  Each line is
 *   FORM(name, map, opcode, pfx, ext, rmx, modrm, osz, imm, attrs, ops, flags, handler)
 * and everything else — the form enum, the decoder's dispatch, the handler
 * table, names for traces, the differential test generator's form list — is
 * derived from it by expanding FORM differently.
 */
#ifndef RZ_INSN_H
#define RZ_INSN_H

#include <stdint.h>
#include "cpu.h"

/* Opcode maps */
enum { MAP_1B, MAP_0F, MAP_0F38, MAP_0F3A, MAP_COUNT };

/* Mandatory prefix column.  P_ANY: legacy form, 66/F2/F3 keep their normal
 * meaning.  Otherwise the form exists only with exactly that prefix (SSE
 * style); 66 used as a mandatory prefix does not change the operand size. */
enum { P_ANY, P_NP, P_66, P_F3, P_F2 };

/* ModRM column */
enum {
    M_NONE,   /* no ModRM byte */
    M_ANY,    /* ModRM, register or memory */
    M_REG,    /* ModRM with mod == 3 only */
    M_MEM,    /* ModRM with mod != 3 only */
    M_OPREG,  /* register number in opcode bits 0..2 (+REX.B); covers 8 opcodes */
    M_REGX,   /* ModRM whose r/m is a register whatever mod says (MOV CRn/DRn:
                 SDM "the mod bits are ignored"; no SIB/displacement follows) */
};

/* Operand-size column: how the decoder computes Insn.osz */
enum {
    OS_B,     /* byte */
    OS_W,     /* always 16 */
    OS_D,     /* always 32 */
    OS_Q,     /* always 64 */
    OS_V,     /* 16/32, 64 with REX.W */
    OS_D64,   /* like V, but 64 by default in 64-bit mode (66 gives 16) */
    OS_BR,    /* near branch: like D64, but whether 66 gives 16 in 64-bit mode
                 is the model's (Quirks.branch_o16; Intel ignores it) */
    OS_Y,     /* 32, or 64 with REX.W in 64-bit mode (SSE<->GPR moves) */
    OS_X,     /* not a GPR size (x87/SSE): decoder sets osz from 66/REX.W
                 as for OS_V for handlers that care */
};

/* Immediate column */
enum {
    I_NONE,
    I_B,      /* imm8, zero-extended */
    I_BS,     /* imm8 sign-extended to the operand size */
    I_W,      /* imm16 */
    I_Z,      /* imm16 with osz 2, else imm32 sign-extended to osz */
    I_V,      /* imm of the full operand size (MOV r64, imm64) */
    I_JB,     /* rel8, stored sign-extended in imm */
    I_JZ,     /* rel16/rel32 (osz), stored sign-extended in imm */
    I_AP,     /* far pointer: offset (osz) in imm, selector in imm2 */
    I_O,      /* moffs of the address size, stored in disp64 */
    I_WB,     /* ENTER: imm16 in imm, imm8 in imm2 */
};

/* Attribute bits */
enum {
    A_LOCK = 1u << 0,   /* LOCK prefix allowed (with a memory destination) */
    A_I64  = 1u << 1,   /* invalid in 64-bit mode */
    A_O64  = 1u << 2,   /* valid only in 64-bit mode */
    A_END  = 1u << 3,   /* ends a block (control transfer or mode change) */
    A_SENS = 1u << 4,   /* sensitive: the translator must not run it directly */
    A_PRIV = 1u << 5,   /* requires CPL 0 */
    A_REP  = 1u << 6,   /* string form, honours REP/REPE/REPNE */
    A_DIFF = 1u << 7,   /* user-level, differentially testable on the host */
    A_FPU  = 1u << 8,   /* x87 (checks CR0.EM/TS) */
    A_SSE  = 1u << 9,   /* SSE/SSE2 (checks CR0.EM/TS, CR4.OSFXSR) */
    A_MMX  = 1u << 10,  /* MMX (checks CR0.EM/TS) */
    A_BRANCH = 1u << 11,/* control transfer (diff tests run it specially) */
    A_REXW_SENS = 1u << 12, /* mnemonic changes with REX.W (e.g. CMPXCHG16B) */
    A_RESNOP = 1u << 13,/* reserved-NOP only on models with Quirks.prefetch_reg_nop, else #UD */
    A_DIRECT = 1u << 14,/* the translator may run it as the same host instruction (re-encoded,
                           memory operands through the TLB); never with A_SENS */
    A_SEGLD = 1u << 15, /* loads a data segment register without ending its block: the
                           translator's flat-segment assumption (MODE_KEY_FLAT) ends there */
};

/* Operand column (FormInfo.ops): OR-ed tokens O_<role><operand>.
 *   role  r read, w written, m read and written, a address only (the EA is
 *         formed, nothing accessed: LEA, prefetches, INVLPG, CLFLUSH).  A GPR
 *         "w" is at the operand size: a 1- or 2-byte write keeps the other
 *         bits, a 4-byte one in 64-bit mode zero-extends, as the SDM says.
 *   ModRM.rm  E GPR or memory, R GPR register (mod=3, or the opcode's
 *             register for M_OPREG), M memory, W XMM or memory, U XMM register,
 *             Q MMX or memory, N MMX register, ST x87 ST(i)
 *   ModRM.reg G GPR, V XMM, P MMX, S segment register, C control, D debug
 *   implicit  AX CX DX BX SP BP SI DI R11: GPRs the form names without an
 *             operand field (r: read, w: written, m: both; a form that may
 *             write one conditionally lists it as m); MEM: memory not
 *             addressed by ModRM (stack, strings, moffs, XLAT, MASKMOV*);
 *             STATE: the x87/SSE register file as a whole (FXRSTOR, FRSTOR)
 * MSZ(n): the memory operand's size in bytes where the operand-size column
 * does not give it (SIMD).  SUBOP(x): which operation of a handler that
 * serves several forms (SSE_FP_VW: FOP_*, SIMD_INT: IOP_*, cpu/simd_ops.h). */
enum { OR_NONE, OR_R, OR_W, OR_RW, OR_A };                 /* roles */
enum { OK_NONE, OK_GPR, OK_XMM, OK_MMX, OK_MEM, OK_ST,     /* kinds */
       OK_SEG, OK_CR, OK_DR };
#define O_RM_(role, kind)  ((uint64_t)(role) | (uint64_t)(kind) << 3)
#define O_REG_(role, kind) ((uint64_t)(role) << 8 | (uint64_t)(kind) << 11)
#define O_IMP_(r, w, reg)  ((uint64_t)(r) << (16 + (reg)) | (uint64_t)(w) << (32 + (reg)))
#define O_rE  O_RM_(OR_R, OK_GPR)
#define O_wE  O_RM_(OR_W, OK_GPR)
#define O_mE  O_RM_(OR_RW, OK_GPR)
#define O_rR  O_rE
#define O_wR  O_wE
#define O_mR  O_mE
#define O_rM  O_RM_(OR_R, OK_MEM)
#define O_wM  O_RM_(OR_W, OK_MEM)
#define O_mM  O_RM_(OR_RW, OK_MEM)
#define O_aM  O_RM_(OR_A, OK_MEM)
#define O_rW  O_RM_(OR_R, OK_XMM)
#define O_wW  O_RM_(OR_W, OK_XMM)
#define O_mW  O_RM_(OR_RW, OK_XMM)
#define O_rU  O_rW
#define O_mU  O_mW
#define O_rQ  O_RM_(OR_R, OK_MMX)
#define O_wQ  O_RM_(OR_W, OK_MMX)
#define O_rN  O_rQ
#define O_mN  O_RM_(OR_RW, OK_MMX)
#define O_rST O_RM_(OR_R, OK_ST)
#define O_wST O_RM_(OR_W, OK_ST)
#define O_mST O_RM_(OR_RW, OK_ST)
#define O_rG  O_REG_(OR_R, OK_GPR)
#define O_wG  O_REG_(OR_W, OK_GPR)
#define O_mG  O_REG_(OR_RW, OK_GPR)
#define O_rV  O_REG_(OR_R, OK_XMM)
#define O_wV  O_REG_(OR_W, OK_XMM)
#define O_mV  O_REG_(OR_RW, OK_XMM)
#define O_rP  O_REG_(OR_R, OK_MMX)
#define O_wP  O_REG_(OR_W, OK_MMX)
#define O_mP  O_REG_(OR_RW, OK_MMX)
#define O_rS  O_REG_(OR_R, OK_SEG)
#define O_wS  O_REG_(OR_W, OK_SEG)
#define O_rC  O_REG_(OR_R, OK_CR)
#define O_wC  O_REG_(OR_W, OK_CR)
#define O_rD  O_REG_(OR_R, OK_DR)
#define O_wD  O_REG_(OR_W, OK_DR)
#define O_rAX O_IMP_(1, 0, R_AX)
#define O_wAX O_IMP_(0, 1, R_AX)
#define O_mAX O_IMP_(1, 1, R_AX)
#define O_rCX O_IMP_(1, 0, R_CX)
#define O_wCX O_IMP_(0, 1, R_CX)
#define O_mCX O_IMP_(1, 1, R_CX)
#define O_rDX O_IMP_(1, 0, R_DX)
#define O_wDX O_IMP_(0, 1, R_DX)
#define O_mDX O_IMP_(1, 1, R_DX)
#define O_rBX O_IMP_(1, 0, R_BX)
#define O_wBX O_IMP_(0, 1, R_BX)
#define O_mBX O_IMP_(1, 1, R_BX)
#define O_rSP O_IMP_(1, 0, R_SP)
#define O_wSP O_IMP_(0, 1, R_SP)
#define O_mSP O_IMP_(1, 1, R_SP)
#define O_rBP O_IMP_(1, 0, R_BP)
#define O_wBP O_IMP_(0, 1, R_BP)
#define O_mBP O_IMP_(1, 1, R_BP)
#define O_rSI O_IMP_(1, 0, R_SI)
#define O_wSI O_IMP_(0, 1, R_SI)
#define O_mSI O_IMP_(1, 1, R_SI)
#define O_rDI O_IMP_(1, 0, R_DI)
#define O_wDI O_IMP_(0, 1, R_DI)
#define O_mDI O_IMP_(1, 1, R_DI)
#define O_rR11 O_IMP_(1, 0, R_R11)
#define O_wR11 O_IMP_(0, 1, R_R11)
#define O_mR11 O_IMP_(1, 1, R_R11)
#define O_rMEM (1ull << 48)
#define O_wMEM (1ull << 49)
#define O_wSTATE (1ull << 55)            /* writes the x87/SSE register file as a whole */
#define MSZ(n)   ((uint64_t)(n) << 50)   /* 5 bits */
#define SUBOP(x) ((uint64_t)(x) << 56)   /* 8 bits */

/* Flags column (FormInfo.fl): OR-ed FR_x (read), FW_x (written: may change),
 * FU_x (written, and the SDM leaves the value undefined — always or under a
 * condition tests/diff/undefined_flags.c spells out; FU implies FW).  x is a
 * flag or a set of them (OSZAPC = OF SF ZF AF PF CF, ...); ALL is every
 * EFLAGS bit, IOPL the privilege field.  Undefined flags are arithmetic ones. */
#define FR_(m) ((uint64_t)(m))
#define FW_(m) ((uint64_t)(m) << 22)
#define FU_(m) (FW_(m) | (uint64_t)(m) << 44)
#define F_ALL_ 0x3f7fd5u   /* CF PF AF ZF SF TF IF DF OF IOPL NT RF VM AC VIF VIP ID */
#define FR_CF FR_(F_CF)
#define FW_CF FW_(F_CF)
#define FU_CF FU_(F_CF)
#define FR_PF FR_(F_PF)
#define FW_PF FW_(F_PF)
#define FU_PF FU_(F_PF)
#define FR_AF FR_(F_AF)
#define FW_AF FW_(F_AF)
#define FU_AF FU_(F_AF)
#define FR_ZF FR_(F_ZF)
#define FW_ZF FW_(F_ZF)
#define FU_ZF FU_(F_ZF)
#define FR_SF FR_(F_SF)
#define FW_SF FW_(F_SF)
#define FU_SF FU_(F_SF)
#define FR_OF FR_(F_OF)
#define FW_OF FW_(F_OF)
#define FU_OF FU_(F_OF)
#define FR_DF FR_(F_DF)
#define FW_DF FW_(F_DF)
#define FU_DF FU_(F_DF)
#define FR_IF FR_(F_IF)
#define FW_IF FW_(F_IF)
#define FU_IF FU_(F_IF)
#define FR_IOPL FR_(F_IOPL)
#define FW_IOPL FW_(F_IOPL)
#define FU_IOPL FU_(F_IOPL)
#define FR_ALL FR_(F_ALL_)
#define FW_ALL FW_(F_ALL_)
#define FU_ALL FU_(F_ALL_)
#define FR_OSZAPC FR_(F_OSZAPC)
#define FW_OSZAPC FW_(F_OSZAPC)
#define FU_OSZAPC FU_(F_OSZAPC)
#define FR_OSZAP FR_(F_OF | F_SF | F_ZF | F_AF | F_PF)
#define FW_OSZAP FW_(F_OF | F_SF | F_ZF | F_AF | F_PF)
#define FU_OSZAP FU_(F_OF | F_SF | F_ZF | F_AF | F_PF)
#define FR_SZAPC FR_(F_SF | F_ZF | F_AF | F_PF | F_CF)
#define FW_SZAPC FW_(F_SF | F_ZF | F_AF | F_PF | F_CF)
#define FU_SZAPC FU_(F_SF | F_ZF | F_AF | F_PF | F_CF)
#define FR_SZAP FR_(F_SF | F_ZF | F_AF | F_PF)
#define FW_SZAP FW_(F_SF | F_ZF | F_AF | F_PF)
#define FU_SZAP FU_(F_SF | F_ZF | F_AF | F_PF)
#define FR_OSAP FR_(F_OF | F_SF | F_AF | F_PF)
#define FW_OSAP FW_(F_OF | F_SF | F_AF | F_PF)
#define FU_OSAP FU_(F_OF | F_SF | F_AF | F_PF)
#define FR_OSAPC FR_(F_OF | F_SF | F_AF | F_PF | F_CF)
#define FW_OSAPC FW_(F_OF | F_SF | F_AF | F_PF | F_CF)
#define FU_OSAPC FU_(F_OF | F_SF | F_AF | F_PF | F_CF)
#define FR_OSZP FR_(F_OF | F_SF | F_ZF | F_PF)
#define FW_OSZP FW_(F_OF | F_SF | F_ZF | F_PF)
#define FU_OSZP FU_(F_OF | F_SF | F_ZF | F_PF)
#define FR_OAC FR_(F_OF | F_AF | F_CF)
#define FW_OAC FW_(F_OF | F_AF | F_CF)
#define FU_OAC FU_(F_OF | F_AF | F_CF)

#define RZ_EXT_ANY 0xff

/* The form enum: FORM_ADD_EbGb, ... */
enum {
#define FORM(name, map, opc, pfx, ext, rmx, modrm, osz, imm, attrs, ops, fl, handler) FORM_##name,
#include "opcodes.def"
#undef FORM
    FORM_COUNT
};

/* Insn.flags */
enum {
    IF_MEM    = 1 << 0,  /* ModRM operand is memory */
    IF_RIPREL = 1 << 1,  /* address is RIP-relative (disp is from next RIP) */
    IF_REX    = 1 << 2,  /* a REX prefix was present */
    IF_LOCK   = 1 << 3,
    IF_REP    = 1 << 4,  /* F3 as REP/REPE */
    IF_REPNE  = 1 << 5,  /* F2 as REPNE */
    IF_REXW   = 1 << 6,
    IF_SEGOVR = 1 << 7,  /* explicit segment override */
};

#define REG_NONE 0xff

/* A decoded instruction.  Compact: blocks hold arrays of these. */
struct Insn {
    uint16_t form;       /* FORM_* */
    uint8_t len;         /* bytes */
    uint8_t osz;         /* operand size in bytes: 1, 2, 4, 8 */
    uint8_t asz;         /* address size in bytes: 2, 4, 8 */
    uint8_t seg;         /* segment for the memory operand (S_*) */
    uint8_t flags;       /* IF_* */
    uint8_t opc;         /* last opcode byte */
    uint8_t modrm;       /* raw ModRM byte */
    uint8_t reg;         /* ModRM.reg + REX.R (GPR/XMM number); byte regs: 16..19 = AH..BH */
    uint8_t rm;          /* ModRM.rm + REX.B when IF_MEM is clear; byte regs as reg */
    uint8_t base;        /* memory: base register or REG_NONE */
    uint8_t index;       /* memory: index register or REG_NONE */
    uint8_t scale;       /* memory: shift 0..3 */
    uint8_t reg8;        /* reg as a byte register: 16..19 = AH..BH without REX */
    uint8_t rm8;         /* rm as a byte register, likewise */
    uint8_t code_mode;   /* CODE16/32/64 it was decoded in */
    int64_t disp;        /* displacement (moffs for I_O) */
    uint64_t imm;        /* immediate, extended as the imm column says */
    uint32_t imm2;       /* second immediate (ENTER level, far selector) */
};

/* Static description of a form, derived from the table. */
typedef struct FormInfo {
    const char *name;
    uint8_t map, opc, pfx, ext, rmx, modrm, osz, imm;
    uint32_t attrs;
    uint64_t ops;   /* O_* tokens */
    uint64_t fl;    /* FR_/FW_/FU_ tokens */
} FormInfo;
extern const FormInfo form_info[FORM_COUNT];

/* The columns unpacked.  Flags are EFLAGS masks (F_*). */
static inline uint32_t form_flags_read(const FormInfo *f) { return (uint32_t)(f->fl & 0x3fffff); }
static inline uint32_t form_flags_written(const FormInfo *f) { return (uint32_t)(f->fl >> 22 & 0x3fffff); }
static inline uint32_t form_flags_undefined(const FormInfo *f) { return (uint32_t)(f->fl >> 44 & 0xfff); }
static inline unsigned form_rm_role(const FormInfo *f) { return f->ops & 7; }
static inline unsigned form_rm_kind(const FormInfo *f) { return f->ops >> 3 & 15; }
static inline unsigned form_reg_role(const FormInfo *f) { return f->ops >> 8 & 7; }
static inline unsigned form_reg_kind(const FormInfo *f) { return f->ops >> 11 & 15; }
/* Implicit GPRs read / written, bit n = R_n */
static inline unsigned form_gprs_read(const FormInfo *f) { return f->ops >> 16 & 0xffff; }
static inline unsigned form_gprs_written(const FormInfo *f) { return f->ops >> 32 & 0xffff; }
static inline bool form_reads_mem(const FormInfo *f) { return f->ops >> 48 & 1; }   /* implicit */
static inline bool form_writes_mem(const FormInfo *f) { return f->ops >> 49 & 1; }  /* implicit */
static inline bool form_writes_state(const FormInfo *f) { return f->ops >> 55 & 1; }
static inline unsigned form_msz(const FormInfo *f) { return f->ops >> 50 & 31; }
static inline unsigned form_subop(const FormInfo *f) { return (unsigned)(f->ops >> 56); }

typedef void (*Handler)(CPU *cpu, const Insn *in);
extern const Handler form_handler[FORM_COUNT];

/* Decoding.  Returns the length (1..15) on success, or a negative DEC_*
 * error.  avail is how many bytes of buf are readable; DEC_SHORT means the
 * instruction runs past them (the caller raises the fetch fault).  On
 * DEC_UD/DEC_GP, out->len is still the length decoded so far. */
enum { DEC_UD = -1, DEC_GP = -2, DEC_SHORT = -3 };
struct Quirks;
int decode(const uint8_t *buf, int avail, int code_mode, const struct Quirks *q, Insn *out);

/* The memory operand's effective address (offset within in->seg). */
uint64_t insn_ea(CPU *cpu, const Insn *in);

#endif

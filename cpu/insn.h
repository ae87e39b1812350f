/* insn.h — the opcode table's vocabulary and the decoded-instruction struct.
 *
 * cpu/opcodes.def is the single source for instruction forms.  Each line is
 *   FORM(name, map, opcode, pfx, ext, rmx, modrm, osz, imm, attrs, handler)
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
};

#define RZ_EXT_ANY 0xff

/* The form enum: FORM_ADD_EbGb, ... */
enum {
#define FORM(name, map, opc, pfx, ext, rmx, modrm, osz, imm, attrs, handler) FORM_##name,
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
} FormInfo;
extern const FormInfo form_info[FORM_COUNT];

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

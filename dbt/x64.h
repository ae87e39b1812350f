/* x64.h — the x86-64 host-code emitter the translator writes blocks with.
 *
 * Code is written through a writable view of the code buffer while it runs
 * from another (W^X: one memfd mapped twice).  exec_delta is the execute
 * view's address minus the write view's, so x64_pc() and every rel32 are
 * computed against execute addresses.
 *
 * Errors never write wrong code: an instruction that does not fit in
 * [p, end) writes nothing and sets overflow, and so does one whose operands
 * cannot be encoded (AH..BH with a register needing REX, RSP as an index, a
 * rel32 out of reach, a bad size).  The caller checks overflow once, after
 * the block, and drops the block if it is set.
 *
 * Every instruction goes through one encoder, x64_insn_r / x64_insn_m
 * (legacy prefixes, REX, opcode map, opcode, ModRM/SIB/displacement,
 * immediate); the named functions below only pick the encoding.
 *
 * Sizes are in bytes: 1, 2, 4, 8.  Immediates are sign-extended to the
 * operand size, as the hardware does, except x64_mov_ri.
 */
#ifndef RZ_DBT_X64_H
#define RZ_DBT_X64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct X64 {
    uint8_t *p, *start, *end;   /* write view: next byte, buffer start, end */
    intptr_t exec_delta;        /* execute address - write address */
    bool overflow;              /* out of room or unencodable: discard */
} X64;

/* General registers; 16..19 name AH, CH, DH, BH for size-1 operands (as in
 * cpu/insn.h), which exist only in instructions without a REX prefix.  For
 * size 1, 4..7 are SPL, BPL, SIL, DIL (these force a REX). */
enum {
    X64_RAX, X64_RCX, X64_RDX, X64_RBX, X64_RSP, X64_RBP, X64_RSI, X64_RDI,
    X64_R8, X64_R9, X64_R10, X64_R11, X64_R12, X64_R13, X64_R14, X64_R15,
    X64_AH = 16, X64_CH, X64_DH, X64_BH,
};
/* XMM registers are plain numbers 0..15. */

/* A memory operand: [base + index*scale + disp].  base/index X64_NOREG for
 * none; base X64_RIP for RIP-relative, disp counted from the end of the
 * instruction (index must then be none).  scale 1, 2, 4 or 8. */
#define X64_NOREG (-1)
#define X64_RIP   (-2)
typedef struct X64Mem {
    int8_t base;
    int8_t index;
    uint8_t scale;
    int32_t disp;
} X64Mem;

static inline X64Mem x64_mem(int base, int32_t disp)
{
    return (X64Mem){ (int8_t)base, X64_NOREG, 1, disp };
}
static inline X64Mem x64_mem_idx(int base, int index, unsigned scale, int32_t disp)
{
    return (X64Mem){ (int8_t)base, (int8_t)index, (uint8_t)scale, disp };
}

/* ---- buffer ---------------------------------------------------------- */

void x64_init(X64 *e, void *write, size_t size, intptr_t exec_delta);
/* Execute address of the next byte. */
static inline uintptr_t x64_pc(const X64 *e) { return (uintptr_t)e->p + (uintptr_t)e->exec_delta; }
/* Bytes written so far (offsets below are from start). */
static inline size_t x64_len(const X64 *e) { return (size_t)(e->p - e->start); }
void x64_bytes(X64 *e, const void *bytes, size_t n);   /* raw bytes */

/* ---- the generic encoder ---------------------------------------------- */

/* An encoding: opcode byte, map, mandatory/size prefix, REX.W, and which
 * ModRM fields hold byte registers (for the SPL..DIL / AH..BH rules). */
typedef uint32_t X64Enc;
#define X64E_0F    (1u << 8)     /* opcode map 0F */
#define X64E_0F38  (2u << 8)     /* 0F 38 */
#define X64E_0F3A  (3u << 8)     /* 0F 3A */
#define X64E_66    (1u << 10)    /* prefix 66 (operand size or mandatory) */
#define X64E_F2    (1u << 11)    /* mandatory prefix F2 (after any 66) */
#define X64E_F3    (2u << 11)    /* mandatory prefix F3 */
#define X64E_W     (1u << 13)    /* REX.W */
#define X64E_BREG  (1u << 14)    /* ModRM.reg is a byte register */
#define X64E_BRM   (1u << 15)    /* ModRM.rm (or the opcode's register) is a byte register */
#define X64E_RO    (1u << 16)    /* no ModRM: rm goes in opcode bits 0..2 (+REX.B) */

/* reg: a register or a /digit opcode extension; rm: a register.  imm_size
 * 0, 1, 2 or 4 bytes of imm follow (8 only with X64E_RO: movabs). */
void x64_insn_r(X64 *e, X64Enc enc, int reg, int rm, unsigned imm_size, int64_t imm);
void x64_insn_m(X64 *e, X64Enc enc, int reg, X64Mem m, unsigned imm_size, int64_t imm);

/* ---- integer instructions --------------------------------------------- */

typedef enum { X64_ADD, X64_OR, X64_ADC, X64_SBB, X64_AND, X64_SUB, X64_XOR, X64_CMP } X64Alu;
/* dst op= src; _ri/_mi use imm8 when the value fits. */
void x64_alu_rr(X64 *e, X64Alu op, unsigned size, int dst, int src);
void x64_alu_rm(X64 *e, X64Alu op, unsigned size, int dst, X64Mem src);
void x64_alu_mr(X64 *e, X64Alu op, unsigned size, X64Mem dst, int src);
void x64_alu_ri(X64 *e, X64Alu op, unsigned size, int dst, int32_t imm);
void x64_alu_mi(X64 *e, X64Alu op, unsigned size, X64Mem dst, int32_t imm);

void x64_test_rr(X64 *e, unsigned size, int a, int b);
void x64_test_mr(X64 *e, unsigned size, X64Mem a, int b);
void x64_test_ri(X64 *e, unsigned size, int a, int32_t imm);
void x64_test_mi(X64 *e, unsigned size, X64Mem a, int32_t imm);

void x64_mov_rr(X64 *e, unsigned size, int dst, int src);
void x64_mov_rm(X64 *e, unsigned size, int dst, X64Mem src);   /* load */
void x64_mov_mr(X64 *e, unsigned size, X64Mem dst, int src);   /* store */
/* The shortest form giving dst = imm truncated to size: for size 8,
 * mov r32,imm32 (zero-extends), mov r/m64,simm32, or movabs. */
void x64_mov_ri(X64 *e, unsigned size, int dst, uint64_t imm);
void x64_mov_mi(X64 *e, unsigned size, X64Mem dst, int32_t imm);

/* Zero/sign extension from ssize (1, 2; movsx also 4 = MOVSXD) to dsize.
 * movzx with ssize 4, dsize 8 is mov r32, r/m32. */
void x64_movzx_rr(X64 *e, unsigned dsize, int dst, unsigned ssize, int src);
void x64_movzx_rm(X64 *e, unsigned dsize, int dst, unsigned ssize, X64Mem src);
void x64_movsx_rr(X64 *e, unsigned dsize, int dst, unsigned ssize, int src);
void x64_movsx_rm(X64 *e, unsigned dsize, int dst, unsigned ssize, X64Mem src);

void x64_lea(X64 *e, unsigned size, int dst, X64Mem m);        /* size 2, 4, 8 */

/* One-operand groups FE/FF (INC DEC) and F6/F7 (the rest; MUL..IDIV use
 * rAX:rDX implicitly). */
typedef enum { X64_INC, X64_DEC, X64_NOT, X64_NEG, X64_MUL, X64_IMUL1, X64_DIV, X64_IDIV } X64Unary;
void x64_unary_r(X64 *e, X64Unary op, unsigned size, int r);
void x64_unary_m(X64 *e, X64Unary op, unsigned size, X64Mem m);

/* Shift/rotate group (the ModRM /digit); by 1 uses D0/D1, else C0/C1 ib. */
typedef enum { X64_ROL, X64_ROR, X64_RCL, X64_RCR, X64_SHL, X64_SHR, X64_SAL, X64_SAR } X64Shift;
void x64_shift_ri(X64 *e, X64Shift op, unsigned size, int r, uint8_t count);
void x64_shift_mi(X64 *e, X64Shift op, unsigned size, X64Mem m, uint8_t count);
void x64_shift_rcl(X64 *e, X64Shift op, unsigned size, int r);     /* by CL */
void x64_shift_mcl(X64 *e, X64Shift op, unsigned size, X64Mem m);

/* IMUL dst, src [, imm] (sizes 2, 4, 8; imm8 form when it fits). */
void x64_imul_rr(X64 *e, unsigned size, int dst, int src);
void x64_imul_rm(X64 *e, unsigned size, int dst, X64Mem src);
void x64_imul_rri(X64 *e, unsigned size, int dst, int src, int32_t imm);
void x64_imul_rmi(X64 *e, unsigned size, int dst, X64Mem src, int32_t imm);

/* SHLD/SHRD dst, src, count (imm8) or CL. */
typedef enum { X64_SHLD, X64_SHRD } X64Shd;
void x64_shd_rri(X64 *e, X64Shd op, unsigned size, int dst, int src, uint8_t count);
void x64_shd_mri(X64 *e, X64Shd op, unsigned size, X64Mem dst, int src, uint8_t count);
void x64_shd_rrcl(X64 *e, X64Shd op, unsigned size, int dst, int src);
void x64_shd_mrcl(X64 *e, X64Shd op, unsigned size, X64Mem dst, int src);

/* BT/BTS/BTR/BTC (values are the 0F BA /digit); sizes 2, 4, 8. */
typedef enum { X64_BT = 4, X64_BTS, X64_BTR, X64_BTC } X64Bt;
void x64_bt_rr(X64 *e, X64Bt op, unsigned size, int base, int bit);
void x64_bt_mr(X64 *e, X64Bt op, unsigned size, X64Mem base, int bit);
void x64_bt_ri(X64 *e, X64Bt op, unsigned size, int base, uint8_t bit);
void x64_bt_mi(X64 *e, X64Bt op, unsigned size, X64Mem base, uint8_t bit);

/* dst = scan(src); sizes 2, 4, 8. */
typedef enum { X64_BSF, X64_BSR, X64_TZCNT, X64_LZCNT, X64_POPCNT } X64Bitscan;
void x64_bitscan_rr(X64 *e, X64Bitscan op, unsigned size, int dst, int src);
void x64_bitscan_rm(X64 *e, X64Bitscan op, unsigned size, int dst, X64Mem src);

void x64_bswap(X64 *e, unsigned size, int r);                    /* size 4, 8 */
void x64_xchg_rr(X64 *e, unsigned size, int a, int b);
void x64_xchg_mr(X64 *e, unsigned size, X64Mem a, int b);        /* locked by itself */
void x64_cmpxchg_rr(X64 *e, unsigned size, int dst, int src);
void x64_cmpxchg_mr(X64 *e, unsigned size, X64Mem dst, int src);
void x64_xadd_rr(X64 *e, unsigned size, int dst, int src);
void x64_xadd_mr(X64 *e, unsigned size, X64Mem dst, int src);
void x64_lock(X64 *e);      /* F0 before the next (memory-destination) instruction */

/* Conditions: the low nibble of Jcc/SETcc/CMOVcc. */
typedef enum {
    X64_CC_O, X64_CC_NO, X64_CC_B, X64_CC_AE, X64_CC_E, X64_CC_NE, X64_CC_BE, X64_CC_A,
    X64_CC_S, X64_CC_NS, X64_CC_P, X64_CC_NP, X64_CC_L, X64_CC_GE, X64_CC_LE, X64_CC_G,
} X64Cond;
void x64_setcc_r(X64 *e, X64Cond cc, int r8);
void x64_setcc_m(X64 *e, X64Cond cc, X64Mem m);
void x64_cmov_rr(X64 *e, X64Cond cc, unsigned size, int dst, int src);  /* 2, 4, 8 */
void x64_cmov_rm(X64 *e, X64Cond cc, unsigned size, int dst, X64Mem src);

/* size = the result: CBW (2), CWDE (4), CDQE (8); CWD (2), CDQ (4), CQO (8). */
void x64_cbw(X64 *e, unsigned size);
void x64_cwd(X64 *e, unsigned size);

void x64_push_r(X64 *e, int r);
void x64_pop_r(X64 *e, int r);
void x64_push_m(X64 *e, X64Mem m);
void x64_pop_m(X64 *e, X64Mem m);
void x64_push_i(X64 *e, int32_t imm);   /* sign-extended to 64 */

/* Instructions without operands. */
typedef enum {
    X64_PUSHFQ, X64_POPFQ, X64_LAHF, X64_SAHF, X64_CLC, X64_STC, X64_CMC,
    X64_CLD, X64_STD, X64_RET, X64_UD2, X64_INT3, X64_MFENCE, X64_LFENCE, X64_SFENCE,
    X64_PAUSE,
} X64Plain;
void x64_plain(X64 *e, X64Plain op);
void x64_nop(X64 *e, unsigned n);       /* n bytes of the recommended NOPs */

/* ---- control transfer -------------------------------------------------- */

/* rel32 branches to an execute address (x64_pc(e) as a placeholder when
 * the target is not known yet); they return the offset (from start) of the
 * rel32 field, for x64_bind32 / x64_patch_rel32 later. */
size_t x64_jcc(X64 *e, X64Cond cc, uintptr_t target);
size_t x64_jmp(X64 *e, uintptr_t target);
size_t x64_call(X64 *e, uintptr_t target);
/* rel8 forms for short skips inside a block, bound with x64_bind8. */
size_t x64_jcc8(X64 *e, X64Cond cc);
size_t x64_jmp8(X64 *e);
/* Point the rel8/rel32 field at `field` (an offset from start) to x64_pc(). */
void x64_bind8(X64 *e, size_t field);
void x64_bind32(X64 *e, size_t field);
/* Rewrite a rel32 field (write address) to reach exec_target; false (and
 * nothing written) when it is out of reach. */
bool x64_patch_rel32(uint8_t *field, intptr_t exec_delta, uintptr_t exec_target);

void x64_jmp_r(X64 *e, int r);
void x64_jmp_m(X64 *e, X64Mem m);
void x64_call_r(X64 *e, int r);
void x64_call_m(X64 *e, X64Mem m);
/* Call/jump to a host function: rel32 when it reaches, else
 * mov r11, imm64; call/jmp r11 (R11 is clobbered either way by the ABI). */
void x64_call_abs(X64 *e, const void *fn);
void x64_jmp_abs(X64 *e, const void *fn);

/* ---- SSE --------------------------------------------------------------- */

/* MOVD (size 4) / MOVQ (size 8) between an XMM register and a GPR/memory. */
void x64_movd_xr(X64 *e, unsigned size, int xmm, int r);
void x64_movd_rx(X64 *e, unsigned size, int r, int xmm);
void x64_movd_xm(X64 *e, unsigned size, int xmm, X64Mem m);
void x64_movd_mx(X64 *e, unsigned size, X64Mem m, int xmm);

/* Whole-register or scalar moves; _xm loads, _mx stores, _xx copies. */
typedef enum { X64_MOVDQU, X64_MOVDQA, X64_MOVUPS, X64_MOVAPS, X64_MOVSD, X64_MOVSS, X64_MOVQ } X64SseMov;
void x64_ssemov_xx(X64 *e, X64SseMov op, int dst, int src);
void x64_ssemov_xm(X64 *e, X64SseMov op, int dst, X64Mem src);
void x64_ssemov_mx(X64 *e, X64SseMov op, X64Mem dst, int src);

/* Any other SSE op "xmm, xmm/m": an X64Enc with its mandatory prefix, map
 * and opcode, e.g. X64_PADDD.  reg/rm may be GPRs where the instruction
 * says so (CVTSI2SD with X64E_W, ...).  _i variants add an imm8. */
#define X64_SSE(pfx, map, opc) ((X64Enc)(pfx) | (map) | (opc))
#define X64_PADDD   X64_SSE(X64E_66, X64E_0F, 0xFE)
#define X64_PSUBD   X64_SSE(X64E_66, X64E_0F, 0xFA)
#define X64_PXOR    X64_SSE(X64E_66, X64E_0F, 0xEF)
#define X64_PAND    X64_SSE(X64E_66, X64E_0F, 0xDB)
#define X64_POR     X64_SSE(X64E_66, X64E_0F, 0xEB)
#define X64_PSHUFD  X64_SSE(X64E_66, X64E_0F, 0x70)
#define X64_PSHUFB  X64_SSE(X64E_66, X64E_0F38, 0x00)
#define X64_ADDPS   X64_SSE(0, X64E_0F, 0x58)
#define X64_MULPS   X64_SSE(0, X64E_0F, 0x59)
#define X64_XORPS   X64_SSE(0, X64E_0F, 0x57)
#define X64_ADDSD   X64_SSE(X64E_F2, X64E_0F, 0x58)
#define X64_MULSD   X64_SSE(X64E_F2, X64E_0F, 0x59)
#define X64_SUBSS   X64_SSE(X64E_F3, X64E_0F, 0x5C)
#define X64_UCOMISD X64_SSE(X64E_66, X64E_0F, 0x2E)
void x64_sse_xx(X64 *e, X64Enc op, int dst, int src);
void x64_sse_xm(X64 *e, X64Enc op, int dst, X64Mem src);
void x64_sse_xxi(X64 *e, X64Enc op, int dst, int src, uint8_t imm);
void x64_sse_xmi(X64 *e, X64Enc op, int dst, X64Mem src, uint8_t imm);

void x64_ldmxcsr(X64 *e, X64Mem m);
void x64_stmxcsr(X64 *e, X64Mem m);

#endif

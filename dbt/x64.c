/* x64.c — the x86-64 host-code emitter (dbt/x64.h).
 *
 * encode() is the only place that knows the instruction format (SDM vol. 2
 * ch. 2: legacy prefixes, REX, opcode, ModRM, SIB, displacement,
 * immediate); everything else chooses an X64Enc and the operands.  An
 * instruction is assembled in a local buffer and copied out whole, so a
 * refused or overflowing one leaves the buffer as it was.
 */
#include "x64.h"

#include <string.h>

#define X64E_BAD   (1u << 31)    /* private: the size has no encoding */

/* Internal: whether a register needs or forbids a REX prefix. */
enum { NEED_REX = 1, NO_REX = 2 };

void x64_init(X64 *e, void *write, size_t size, intptr_t exec_delta)
{
    e->start = e->p = write;
    e->end = e->start + size;
    e->exec_delta = exec_delta;
    e->overflow = false;
}

void x64_bytes(X64 *e, const void *bytes, size_t n)
{
    /* Once overflowed the block is garbage: nothing more is written. */
    if (e->overflow || n > (size_t)(e->end - e->p)) {
        e->overflow = true;
        return;
    }
    memcpy(e->p, bytes, n);
    e->p += n;
}

static bool fits8(int64_t v) { return v >= -128 && v <= 127; }
static bool fits32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* A register's ModRM/opcode code (low3) and REX extension bit.  byte: it is
 * a byte register, where 4..7 mean SPL..DIL only with a REX and 16..19 mean
 * AH..BH (codes 4..7) only without one. */
static bool gpr(int r, bool byte, unsigned *low3, unsigned *ext, unsigned *rexflags)
{
    if (byte && r >= 16 && r <= 19) {
        *low3 = (unsigned)r - 12;
        *ext = 0;
        *rexflags |= NO_REX;
        return true;
    }
    if (r < 0 || r > 15)
        return false;
    *low3 = (unsigned)r & 7;
    *ext = (unsigned)r >> 3;
    if (byte && r >= 4 && r <= 7)
        *rexflags |= NEED_REX;
    return true;
}

/* ModRM (reg field reg3), SIB and displacement for a memory operand into
 * out; returns their length, 0 if the operand cannot be encoded. */
static unsigned modrm_mem(uint8_t *out, unsigned reg3, X64Mem m, unsigned *rex)
{
    unsigned n = 0, ss = 0, idx3 = 4, mod, b3, disp_size;
    bool sib;
    if (m.index != X64_NOREG) {
        /* Index 4 without REX.X is "no index": RSP cannot be one. */
        if (m.index < 0 || m.index > 15 || m.index == X64_RSP || m.base == X64_RIP)
            return 0;
        switch (m.scale) {
        case 1: ss = 0; break;
        case 2: ss = 1; break;
        case 4: ss = 2; break;
        case 8: ss = 3; break;
        default: return 0;
        }
        idx3 = (unsigned)m.index & 7;
        *rex |= ((unsigned)m.index >> 3) << 1;
    }
    if (m.base == X64_RIP) {
        /* mod 00 rm 101 is RIP-relative in 64-bit mode. */
        mod = 0, b3 = 5, sib = false, disp_size = 4;
    } else if (m.base == X64_NOREG) {
        /* Absolute: SIB with base 101 and mod 00 means disp32, no base. */
        mod = 0, b3 = 5, sib = true, disp_size = 4;
    } else if (m.base >= 0 && m.base <= 15) {
        b3 = (unsigned)m.base & 7;
        *rex |= (unsigned)m.base >> 3;
        /* Base code 101 with mod 00 is taken (RIP/no base): RBP and R13
         * need a displacement; code 100 (RSP, R12) means "SIB follows". */
        if (m.disp == 0 && b3 != 5)
            mod = 0, disp_size = 0;
        else if (fits8(m.disp))
            mod = 1, disp_size = 1;
        else
            mod = 2, disp_size = 4;
        sib = m.index != X64_NOREG || b3 == 4;
    } else {
        return 0;
    }
    out[n++] = (uint8_t)(mod << 6 | reg3 << 3 | (sib ? 4 : b3));
    if (sib)
        out[n++] = (uint8_t)(ss << 6 | idx3 << 3 | b3);
    for (unsigned i = 0; i < disp_size; i++)
        out[n++] = (uint8_t)((uint32_t)m.disp >> (8 * i));
    return n;
}

static void refuse(X64 *e) { e->overflow = true; }

/* The encoder: m NULL for a register operand rm. */
static void encode(X64 *e, X64Enc enc, int reg, int rm, const X64Mem *m,
                   unsigned imm_size, int64_t imm)
{
    uint8_t b[24], tail[8];
    unsigned n = 0, tn = 0, rex = enc & X64E_W ? 8 : 0, rexflags = 0;
    unsigned opc = enc & 0xff, low3, ext;
    if (enc & X64E_BAD)
        return refuse(e);
    if (!(imm_size <= 2 || imm_size == 4 || (imm_size == 8 && (enc & X64E_RO))))
        return refuse(e);
    if (enc & X64E_RO) {
        if (!gpr(rm, enc & X64E_BRM, &low3, &ext, &rexflags))
            return refuse(e);
        opc += low3;
        rex |= ext;
    } else {
        unsigned reg3, rm3;
        if (!gpr(reg, enc & X64E_BREG, &reg3, &ext, &rexflags))
            return refuse(e);
        rex |= ext << 2;
        if (m) {
            if (!(tn = modrm_mem(tail, reg3, *m, &rex)))
                return refuse(e);
        } else {
            if (!gpr(rm, enc & X64E_BRM, &rm3, &ext, &rexflags))
                return refuse(e);
            rex |= ext;
            tail[tn++] = (uint8_t)(0xC0 | reg3 << 3 | rm3);
        }
    }
    bool want_rex = rex || (rexflags & NEED_REX);
    if (want_rex && (rexflags & NO_REX))
        return refuse(e);   /* e.g. mov ah, r8b: no such instruction */

    if (enc & X64E_66)
        b[n++] = 0x66;
    if ((enc >> 11 & 3) == 1)
        b[n++] = 0xF2;
    else if ((enc >> 11 & 3) == 2)
        b[n++] = 0xF3;
    if (want_rex)
        b[n++] = (uint8_t)(0x40 | rex);
    switch (enc >> 8 & 3) {
    case 1: b[n++] = 0x0F; break;
    case 2: b[n++] = 0x0F; b[n++] = 0x38; break;
    case 3: b[n++] = 0x0F; b[n++] = 0x3A; break;
    }
    b[n++] = (uint8_t)opc;
    memcpy(b + n, tail, tn);
    n += tn;
    for (unsigned i = 0; i < imm_size; i++)
        b[n++] = (uint8_t)((uint64_t)imm >> (8 * i));
    if (n > 15)
        return refuse(e);
    x64_bytes(e, b, n);
}

void x64_insn_r(X64 *e, X64Enc enc, int reg, int rm, unsigned imm_size, int64_t imm)
{
    encode(e, enc, reg, rm, NULL, imm_size, imm);
}

void x64_insn_m(X64 *e, X64Enc enc, int reg, X64Mem m, unsigned imm_size, int64_t imm)
{
    encode(e, enc, reg, 0, &m, imm_size, imm);
}

/* The common pattern: the byte form's opcode is one below the full-size
 * one (00/01, 88/89, F6/F7, 0F B0/B1, ...); bflags says which ModRM fields
 * are then byte registers. */
static X64Enc sized(unsigned size, X64Enc full, X64Enc bflags)
{
    switch (size) {
    case 1: return (full - 1) | bflags;
    case 2: return full | X64E_66;
    case 4: return full;
    case 8: return full | X64E_W;
    default: return X64E_BAD;
    }
}

/* Instructions with no byte form. */
static X64Enc sized_v(unsigned size, X64Enc full)
{
    return size == 1 ? X64E_BAD : sized(size, full, 0);
}

/* imm as the hardware will see it at this operand size, sign-extended. */
static int64_t sext(unsigned size, int64_t imm)
{
    switch (size) {
    case 1: return (int8_t)imm;
    case 2: return (int16_t)imm;
    default: return (int32_t)imm;
    }
}

/* Bytes of a full-size immediate (iz): 1, 2, or 4 for 4 and 8. */
static unsigned iz(unsigned size) { return size < 4 ? size : 4; }

/* ---- ALU, TEST, MOV ---------------------------------------------------- */

void x64_alu_rr(X64 *e, X64Alu op, unsigned size, int dst, int src)
{
    encode(e, sized(size, op * 8 + 1, X64E_BREG | X64E_BRM), src, dst, NULL, 0, 0);
}

void x64_alu_mr(X64 *e, X64Alu op, unsigned size, X64Mem dst, int src)
{
    encode(e, sized(size, op * 8 + 1, X64E_BREG), src, 0, &dst, 0, 0);
}

void x64_alu_rm(X64 *e, X64Alu op, unsigned size, int dst, X64Mem src)
{
    encode(e, sized(size, op * 8 + 3, X64E_BREG), dst, 0, &src, 0, 0);
}

/* 80/81/83 /op: the imm8 form 83 when the value fits, else iz. */
static void alu_imm(X64 *e, X64Alu op, unsigned size, int r, const X64Mem *m, int32_t imm)
{
    int64_t v = sext(size, imm);
    if (size == 1)
        encode(e, 0x80 | X64E_BRM, op, r, m, 1, v);
    else if (fits8(v))
        encode(e, sized(size, 0x83, 0), op, r, m, 1, v);
    else if (!m && r == X64_RAX)
        encode(e, sized(size, op * 8 + 5, 0) | X64E_RO, 0, 0, NULL, iz(size), v);
    else
        encode(e, sized(size, 0x81, 0), op, r, m, iz(size), v);
}

void x64_alu_ri(X64 *e, X64Alu op, unsigned size, int dst, int32_t imm)
{
    alu_imm(e, op, size, dst, NULL, imm);
}

void x64_alu_mi(X64 *e, X64Alu op, unsigned size, X64Mem dst, int32_t imm)
{
    alu_imm(e, op, size, 0, &dst, imm);
}

void x64_test_rr(X64 *e, unsigned size, int a, int b)
{
    encode(e, sized(size, 0x85, X64E_BREG | X64E_BRM), b, a, NULL, 0, 0);
}

void x64_test_mr(X64 *e, unsigned size, X64Mem a, int b)
{
    encode(e, sized(size, 0x85, X64E_BREG), b, 0, &a, 0, 0);
}

void x64_test_ri(X64 *e, unsigned size, int a, int32_t imm)
{
    if (a == X64_RAX)   /* A8/A9: no ModRM */
        encode(e, sized(size, 0xA9, 0) | X64E_RO, 0, 0, NULL, iz(size), imm);
    else
        encode(e, sized(size, 0xF7, X64E_BRM), 0, a, NULL, iz(size), imm);
}

void x64_test_mi(X64 *e, unsigned size, X64Mem a, int32_t imm)
{
    encode(e, sized(size, 0xF7, 0), 0, 0, &a, iz(size), imm);
}

void x64_mov_rr(X64 *e, unsigned size, int dst, int src)
{
    encode(e, sized(size, 0x89, X64E_BREG | X64E_BRM), src, dst, NULL, 0, 0);
}

void x64_mov_rm(X64 *e, unsigned size, int dst, X64Mem src)
{
    encode(e, sized(size, 0x8B, X64E_BREG), dst, 0, &src, 0, 0);
}

void x64_mov_mr(X64 *e, unsigned size, X64Mem dst, int src)
{
    encode(e, sized(size, 0x89, X64E_BREG), src, 0, &dst, 0, 0);
}

void x64_mov_ri(X64 *e, unsigned size, int dst, uint64_t imm)
{
    if (size == 8 && imm > UINT32_MAX) {
        if (fits32((int64_t)imm))   /* C7 /0: simm32 sign-extended */
            encode(e, 0xC7 | X64E_W, 0, dst, NULL, 4, (int64_t)imm);
        else                        /* movabs */
            encode(e, 0xB8 | X64E_W | X64E_RO, 0, dst, NULL, 8, (int64_t)imm);
        return;
    }
    /* B0+r / B8+r; a 32-bit write zero-extends, so it does size 8 too. */
    if (size == 8)
        size = 4;
    encode(e, size == 1 ? 0xB0 | X64E_RO | X64E_BRM : sized(size, 0xB8, 0) | X64E_RO,
           0, dst, NULL, size, (int64_t)imm);
}

void x64_mov_mi(X64 *e, unsigned size, X64Mem dst, int32_t imm)
{
    encode(e, sized(size, 0xC7, 0), 0, 0, &dst, iz(size), imm);
}

/* ---- extension, LEA ---------------------------------------------------- */

/* 0F B6/B7 (zx) or 0F BE/BF (sx) by source size; MOVSXD is 63 /r. */
static X64Enc movx_enc(bool sx, unsigned dsize, unsigned ssize)
{
    if (dsize <= ssize || (dsize != 2 && dsize != 4 && dsize != 8))
        return X64E_BAD;
    switch (ssize) {
    case 1: return sized_v(dsize, X64E_0F | (sx ? 0xBE : 0xB6)) | X64E_BRM;
    case 2: return dsize == 2 ? X64E_BAD : sized_v(dsize, X64E_0F | (sx ? 0xBF : 0xB7));
    case 4: return sx ? 0x63 | X64E_W : 0x8B;   /* zx: mov r32, r/m32 */
    default: return X64E_BAD;
    }
}

void x64_movzx_rr(X64 *e, unsigned dsize, int dst, unsigned ssize, int src)
{
    encode(e, movx_enc(false, dsize, ssize), dst, src, NULL, 0, 0);
}

void x64_movzx_rm(X64 *e, unsigned dsize, int dst, unsigned ssize, X64Mem src)
{
    encode(e, movx_enc(false, dsize, ssize), dst, 0, &src, 0, 0);
}

void x64_movsx_rr(X64 *e, unsigned dsize, int dst, unsigned ssize, int src)
{
    encode(e, movx_enc(true, dsize, ssize), dst, src, NULL, 0, 0);
}

void x64_movsx_rm(X64 *e, unsigned dsize, int dst, unsigned ssize, X64Mem src)
{
    encode(e, movx_enc(true, dsize, ssize), dst, 0, &src, 0, 0);
}

void x64_lea(X64 *e, unsigned size, int dst, X64Mem m)
{
    encode(e, sized_v(size, 0x8D), dst, 0, &m, 0, 0);
}

/* ---- one-operand groups, shifts --------------------------------------- */

static const uint8_t unary_opc[8] = { 0xFF, 0xFF, 0xF7, 0xF7, 0xF7, 0xF7, 0xF7, 0xF7 };
static const uint8_t unary_ext[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };

void x64_unary_r(X64 *e, X64Unary op, unsigned size, int r)
{
    encode(e, sized(size, unary_opc[op & 7], X64E_BRM), unary_ext[op & 7], r, NULL, 0, 0);
}

void x64_unary_m(X64 *e, X64Unary op, unsigned size, X64Mem m)
{
    encode(e, sized(size, unary_opc[op & 7], 0), unary_ext[op & 7], 0, &m, 0, 0);
}

static void shift(X64 *e, X64Shift op, unsigned size, int r, const X64Mem *m, int count)
{
    if (count < 0)          /* by CL */
        encode(e, sized(size, 0xD3, X64E_BRM), op & 7, r, m, 0, 0);
    else if (count == 1)
        encode(e, sized(size, 0xD1, X64E_BRM), op & 7, r, m, 0, 0);
    else
        encode(e, sized(size, 0xC1, X64E_BRM), op & 7, r, m, 1, count);
}

void x64_shift_ri(X64 *e, X64Shift op, unsigned size, int r, uint8_t count) { shift(e, op, size, r, NULL, count); }
void x64_shift_mi(X64 *e, X64Shift op, unsigned size, X64Mem m, uint8_t count) { shift(e, op, size, 0, &m, count); }
void x64_shift_rcl(X64 *e, X64Shift op, unsigned size, int r) { shift(e, op, size, r, NULL, -1); }
void x64_shift_mcl(X64 *e, X64Shift op, unsigned size, X64Mem m) { shift(e, op, size, 0, &m, -1); }

/* ---- IMUL, SHLD/SHRD, BT, bit scans ------------------------------------ */

void x64_imul_rr(X64 *e, unsigned size, int dst, int src)
{
    encode(e, sized_v(size, X64E_0F | 0xAF), dst, src, NULL, 0, 0);
}

void x64_imul_rm(X64 *e, unsigned size, int dst, X64Mem src)
{
    encode(e, sized_v(size, X64E_0F | 0xAF), dst, 0, &src, 0, 0);
}

static void imul3(X64 *e, unsigned size, int dst, int src, const X64Mem *m, int32_t imm)
{
    int64_t v = sext(size, imm);
    if (fits8(v))
        encode(e, sized_v(size, 0x6B), dst, src, m, 1, v);
    else
        encode(e, sized_v(size, 0x69), dst, src, m, iz(size), v);
}

void x64_imul_rri(X64 *e, unsigned size, int dst, int src, int32_t imm) { imul3(e, size, dst, src, NULL, imm); }
void x64_imul_rmi(X64 *e, unsigned size, int dst, X64Mem src, int32_t imm) { imul3(e, size, dst, 0, &src, imm); }

/* 0F A4/A5 (SHLD), 0F AC/AD (SHRD): the +1 opcode takes CL. */
static void shd(X64 *e, X64Shd op, unsigned size, int dst, const X64Mem *m, int src, int count)
{
    unsigned opc = (op == X64_SHRD ? 0xAC : 0xA4) + (count < 0);
    encode(e, sized_v(size, X64E_0F | opc), src, dst, m, count < 0 ? 0 : 1, count);
}

void x64_shd_rri(X64 *e, X64Shd op, unsigned size, int dst, int src, uint8_t count) { shd(e, op, size, dst, NULL, src, count); }
void x64_shd_mri(X64 *e, X64Shd op, unsigned size, X64Mem dst, int src, uint8_t count) { shd(e, op, size, 0, &dst, src, count); }
void x64_shd_rrcl(X64 *e, X64Shd op, unsigned size, int dst, int src) { shd(e, op, size, dst, NULL, src, -1); }
void x64_shd_mrcl(X64 *e, X64Shd op, unsigned size, X64Mem dst, int src) { shd(e, op, size, 0, &dst, src, -1); }

/* Register forms 0F A3/AB/B3/BB: BT + 8 * (digit - 4). */
void x64_bt_rr(X64 *e, X64Bt op, unsigned size, int base, int bit)
{
    encode(e, sized_v(size, X64E_0F | (0xA3 + 8 * ((op - 4) & 3))), bit, base, NULL, 0, 0);
}

void x64_bt_mr(X64 *e, X64Bt op, unsigned size, X64Mem base, int bit)
{
    encode(e, sized_v(size, X64E_0F | (0xA3 + 8 * ((op - 4) & 3))), bit, 0, &base, 0, 0);
}

void x64_bt_ri(X64 *e, X64Bt op, unsigned size, int base, uint8_t bit)
{
    encode(e, sized_v(size, X64E_0F | 0xBA), 4 | (op & 3), base, NULL, 1, bit);
}

void x64_bt_mi(X64 *e, X64Bt op, unsigned size, X64Mem base, uint8_t bit)
{
    encode(e, sized_v(size, X64E_0F | 0xBA), 4 | (op & 3), 0, &base, 1, bit);
}

static const X64Enc bitscan_enc[5] = {
    X64E_0F | 0xBC, X64E_0F | 0xBD, X64E_F3 | X64E_0F | 0xBC, X64E_F3 | X64E_0F | 0xBD,
    X64E_F3 | X64E_0F | 0xB8,
};

void x64_bitscan_rr(X64 *e, X64Bitscan op, unsigned size, int dst, int src)
{
    encode(e, (unsigned)op <= X64_POPCNT ? sized_v(size, bitscan_enc[op]) : X64E_BAD, dst, src, NULL, 0, 0);
}

void x64_bitscan_rm(X64 *e, X64Bitscan op, unsigned size, int dst, X64Mem src)
{
    encode(e, (unsigned)op <= X64_POPCNT ? sized_v(size, bitscan_enc[op]) : X64E_BAD, dst, 0, &src, 0, 0);
}

/* ---- exchanges, conditions, conversions -------------------------------- */

void x64_bswap(X64 *e, unsigned size, int r)
{
    /* With a 16-bit operand BSWAP is undefined. */
    encode(e, size == 2 ? X64E_BAD : sized_v(size, X64E_0F | X64E_RO | 0xC8), 0, r, NULL, 0, 0);
}

void x64_xchg_rr(X64 *e, unsigned size, int a, int b)
{
    encode(e, sized(size, 0x87, X64E_BREG | X64E_BRM), b, a, NULL, 0, 0);
}

void x64_xchg_mr(X64 *e, unsigned size, X64Mem a, int b)
{
    encode(e, sized(size, 0x87, X64E_BREG), b, 0, &a, 0, 0);
}

void x64_cmpxchg_rr(X64 *e, unsigned size, int dst, int src)
{
    encode(e, sized(size, X64E_0F | 0xB1, X64E_BREG | X64E_BRM), src, dst, NULL, 0, 0);
}

void x64_cmpxchg_mr(X64 *e, unsigned size, X64Mem dst, int src)
{
    encode(e, sized(size, X64E_0F | 0xB1, X64E_BREG), src, 0, &dst, 0, 0);
}

void x64_xadd_rr(X64 *e, unsigned size, int dst, int src)
{
    encode(e, sized(size, X64E_0F | 0xC1, X64E_BREG | X64E_BRM), src, dst, NULL, 0, 0);
}

void x64_xadd_mr(X64 *e, unsigned size, X64Mem dst, int src)
{
    encode(e, sized(size, X64E_0F | 0xC1, X64E_BREG), src, 0, &dst, 0, 0);
}

void x64_lock(X64 *e) { x64_bytes(e, "\xF0", 1); }

void x64_setcc_r(X64 *e, X64Cond cc, int r8)
{
    encode(e, X64E_0F | X64E_BRM | (0x90 + (cc & 15)), 0, r8, NULL, 0, 0);
}

void x64_setcc_m(X64 *e, X64Cond cc, X64Mem m)
{
    encode(e, X64E_0F | (0x90 + (cc & 15)), 0, 0, &m, 0, 0);
}

void x64_cmov_rr(X64 *e, X64Cond cc, unsigned size, int dst, int src)
{
    encode(e, sized_v(size, X64E_0F | (0x40 + (cc & 15))), dst, src, NULL, 0, 0);
}

void x64_cmov_rm(X64 *e, X64Cond cc, unsigned size, int dst, X64Mem src)
{
    encode(e, sized_v(size, X64E_0F | (0x40 + (cc & 15))), dst, 0, &src, 0, 0);
}

/* 98/99 with the operand size giving the mnemonic; RO with RAX = no ModRM. */
void x64_cbw(X64 *e, unsigned size) { encode(e, sized_v(size, X64E_RO | 0x98), 0, X64_RAX, NULL, 0, 0); }
void x64_cwd(X64 *e, unsigned size) { encode(e, sized_v(size, X64E_RO | 0x99), 0, X64_RAX, NULL, 0, 0); }

/* ---- stack, plain ------------------------------------------------------- */

/* PUSH/POP default to 64 bits: no REX.W. */
void x64_push_r(X64 *e, int r) { encode(e, X64E_RO | 0x50, 0, r, NULL, 0, 0); }
void x64_pop_r(X64 *e, int r) { encode(e, X64E_RO | 0x58, 0, r, NULL, 0, 0); }
void x64_push_m(X64 *e, X64Mem m) { encode(e, 0xFF, 6, 0, &m, 0, 0); }
void x64_pop_m(X64 *e, X64Mem m) { encode(e, 0x8F, 0, 0, &m, 0, 0); }

void x64_push_i(X64 *e, int32_t imm)
{
    if (fits8(imm))
        encode(e, X64E_RO | 0x6A, 0, 0, NULL, 1, imm);
    else
        encode(e, X64E_RO | 0x68, 0, 0, NULL, 4, imm);
}

/* Opcode and, for the fences, the ModRM byte's reg field (mod 11, rm 0). */
static const struct { X64Enc enc; int8_t reg; } plain_tab[] = {
    [X64_PUSHFQ] = { X64E_RO | 0x9C, -1 }, [X64_POPFQ] = { X64E_RO | 0x9D, -1 },
    [X64_LAHF] = { X64E_RO | 0x9F, -1 },   [X64_SAHF] = { X64E_RO | 0x9E, -1 },
    [X64_CLC] = { X64E_RO | 0xF8, -1 },    [X64_STC] = { X64E_RO | 0xF9, -1 },
    [X64_CMC] = { X64E_RO | 0xF5, -1 },    [X64_CLD] = { X64E_RO | 0xFC, -1 },
    [X64_STD] = { X64E_RO | 0xFD, -1 },    [X64_RET] = { X64E_RO | 0xC3, -1 },
    [X64_UD2] = { X64E_RO | X64E_0F | 0x0B, -1 }, [X64_INT3] = { X64E_RO | 0xCC, -1 },
    [X64_MFENCE] = { X64E_0F | 0xAE, 6 },  [X64_LFENCE] = { X64E_0F | 0xAE, 5 },
    [X64_SFENCE] = { X64E_0F | 0xAE, 7 },  [X64_PAUSE] = { X64E_RO | X64E_F3 | 0x90, -1 },
};

void x64_plain(X64 *e, X64Plain op)
{
    if ((unsigned)op >= sizeof plain_tab / sizeof plain_tab[0])
        return refuse(e);
    encode(e, plain_tab[op].enc, plain_tab[op].reg < 0 ? 0 : plain_tab[op].reg, 0, NULL, 0, 0);
}

void x64_nop(X64 *e, unsigned n)
{
    /* The recommended multi-byte NOPs (SDM vol. 2B, NOP, table 4-12). */
    static const uint8_t nops[9][9] = {
        { 0x90 },
        { 0x66, 0x90 },
        { 0x0F, 0x1F, 0x00 },
        { 0x0F, 0x1F, 0x40, 0x00 },
        { 0x0F, 0x1F, 0x44, 0x00, 0x00 },
        { 0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00 },
        { 0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00 },
        { 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
        { 0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    };
    while (n) {
        unsigned k = n < 9 ? n : 9;
        x64_bytes(e, nops[k - 1], k);
        n -= k;
    }
}

/* ---- control transfer --------------------------------------------------- */

/* A rel32 branch of len bytes (its last four the rel32) to target. */
static size_t branch32(X64 *e, X64Enc enc, unsigned len, uintptr_t target)
{
    int64_t rel = (int64_t)(target - (x64_pc(e) + len));
    size_t field = x64_len(e) + len - 4;
    if (!fits32(rel))
        refuse(e);
    else
        encode(e, enc | X64E_RO, 0, 0, NULL, 4, rel);
    return field;
}

size_t x64_jcc(X64 *e, X64Cond cc, uintptr_t target) { return branch32(e, X64E_0F | (0x80 + (cc & 15)), 6, target); }
size_t x64_jmp(X64 *e, uintptr_t target) { return branch32(e, 0xE9, 5, target); }
size_t x64_call(X64 *e, uintptr_t target) { return branch32(e, 0xE8, 5, target); }

size_t x64_jcc8(X64 *e, X64Cond cc)
{
    encode(e, X64E_RO | (0x70 + (cc & 15)), 0, 0, NULL, 1, 0);
    return x64_len(e) - 1;
}

size_t x64_jmp8(X64 *e)
{
    encode(e, X64E_RO | 0xEB, 0, 0, NULL, 1, 0);
    return x64_len(e) - 1;
}

void x64_bind8(X64 *e, size_t field)
{
    int64_t rel = (int64_t)x64_len(e) - (int64_t)(field + 1);
    if (e->overflow || field + 1 > x64_len(e) || !fits8(rel))
        return refuse(e);
    e->start[field] = (uint8_t)rel;
}

void x64_bind32(X64 *e, size_t field)
{
    if (e->overflow || field + 4 > x64_len(e) ||
        !x64_patch_rel32(e->start + field, e->exec_delta, x64_pc(e)))
        refuse(e);
}

bool x64_patch_rel32(uint8_t *field, intptr_t exec_delta, uintptr_t exec_target)
{
    uintptr_t next = (uintptr_t)field + 4 + (uintptr_t)exec_delta;
    int64_t rel = (int64_t)(exec_target - next);
    if (!fits32(rel))
        return false;
    int32_t v = (int32_t)rel;
    memcpy(field, &v, 4);
    return true;
}

/* FF /4 (JMP) and FF /2 (CALL): 64-bit by default. */
void x64_jmp_r(X64 *e, int r) { encode(e, 0xFF, 4, r, NULL, 0, 0); }
void x64_jmp_m(X64 *e, X64Mem m) { encode(e, 0xFF, 4, 0, &m, 0, 0); }
void x64_call_r(X64 *e, int r) { encode(e, 0xFF, 2, r, NULL, 0, 0); }
void x64_call_m(X64 *e, X64Mem m) { encode(e, 0xFF, 2, 0, &m, 0, 0); }

static void far_branch(X64 *e, bool call, const void *fn)
{
    uintptr_t t = (uintptr_t)fn;
    if (fits32((int64_t)(t - (x64_pc(e) + 5)))) {
        branch32(e, call ? 0xE8 : 0xE9, 5, t);
        return;
    }
    x64_mov_ri(e, 8, X64_R11, t);
    encode(e, 0xFF, call ? 2 : 4, X64_R11, NULL, 0, 0);
}

void x64_call_abs(X64 *e, const void *fn) { far_branch(e, true, fn); }
void x64_jmp_abs(X64 *e, const void *fn) { far_branch(e, false, fn); }

/* ---- SSE ----------------------------------------------------------------- */

/* 66 0F 6E (to XMM) / 7E (from XMM); REX.W makes it MOVQ. */
static X64Enc movd_enc(unsigned size, unsigned opc)
{
    return size == 4 ? X64E_66 | X64E_0F | opc
         : size == 8 ? X64E_66 | X64E_W | X64E_0F | opc : X64E_BAD;
}

void x64_movd_xr(X64 *e, unsigned size, int xmm, int r) { encode(e, movd_enc(size, 0x6E), xmm, r, NULL, 0, 0); }
void x64_movd_rx(X64 *e, unsigned size, int r, int xmm) { encode(e, movd_enc(size, 0x7E), xmm, r, NULL, 0, 0); }
void x64_movd_xm(X64 *e, unsigned size, int xmm, X64Mem m) { encode(e, movd_enc(size, 0x6E), xmm, 0, &m, 0, 0); }
void x64_movd_mx(X64 *e, unsigned size, X64Mem m, int xmm) { encode(e, movd_enc(size, 0x7E), xmm, 0, &m, 0, 0); }

static const X64Enc ssemov_tab[7][2] = {   /* { load, store } */
    [X64_MOVDQU] = { X64E_F3 | X64E_0F | 0x6F, X64E_F3 | X64E_0F | 0x7F },
    [X64_MOVDQA] = { X64E_66 | X64E_0F | 0x6F, X64E_66 | X64E_0F | 0x7F },
    [X64_MOVUPS] = { X64E_0F | 0x10, X64E_0F | 0x11 },
    [X64_MOVAPS] = { X64E_0F | 0x28, X64E_0F | 0x29 },
    [X64_MOVSD] = { X64E_F2 | X64E_0F | 0x10, X64E_F2 | X64E_0F | 0x11 },
    [X64_MOVSS] = { X64E_F3 | X64E_0F | 0x10, X64E_F3 | X64E_0F | 0x11 },
    [X64_MOVQ] = { X64E_F3 | X64E_0F | 0x7E, X64E_66 | X64E_0F | 0xD6 },
};

static X64Enc ssemov(X64SseMov op, bool store)
{
    return (unsigned)op < 7 ? ssemov_tab[op][store] : X64E_BAD;
}

void x64_ssemov_xx(X64 *e, X64SseMov op, int dst, int src) { encode(e, ssemov(op, false), dst, src, NULL, 0, 0); }
void x64_ssemov_xm(X64 *e, X64SseMov op, int dst, X64Mem src) { encode(e, ssemov(op, false), dst, 0, &src, 0, 0); }
void x64_ssemov_mx(X64 *e, X64SseMov op, X64Mem dst, int src) { encode(e, ssemov(op, true), src, 0, &dst, 0, 0); }

void x64_sse_xx(X64 *e, X64Enc op, int dst, int src) { encode(e, op, dst, src, NULL, 0, 0); }
void x64_sse_xm(X64 *e, X64Enc op, int dst, X64Mem src) { encode(e, op, dst, 0, &src, 0, 0); }
void x64_sse_xxi(X64 *e, X64Enc op, int dst, int src, uint8_t imm) { encode(e, op, dst, src, NULL, 1, imm); }
void x64_sse_xmi(X64 *e, X64Enc op, int dst, X64Mem src, uint8_t imm) { encode(e, op, dst, 0, &src, 1, imm); }

void x64_ldmxcsr(X64 *e, X64Mem m) { encode(e, X64E_0F | 0xAE, 2, 0, &m, 0, 0); }
void x64_stmxcsr(X64 *e, X64Mem m) { encode(e, X64E_0F | 0xAE, 3, 0, &m, 0, 0); }

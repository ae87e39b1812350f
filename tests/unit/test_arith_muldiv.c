/* test_arith_muldiv.c — group 3 (TEST NOT NEG MUL IMUL DIV IDIV) and the
 * IMUL Gv forms against the host CPU, including #DE cases. */
#include "test_arith_oracle.h"

static const char *const names[8] = { "TEST", "TEST/1", "NOT", "NEG", "MUL", "IMUL", "DIV", "IDIV" };
static const uint32_t undef[8] = {
    0, 0, 0, 0,
    F_SF | F_ZF | F_AF | F_PF, F_SF | F_ZF | F_AF | F_PF,
    F_OSZAPC, F_OSZAPC,
};

static void group3(int mode, unsigned size)
{
    for (unsigned op = 0; op < 8; op++) {
        for (unsigned vi = 0; vi < 200; vi++) {
            XState s;
            random_state(&s);
            bool mem = vi & 1;
            int reg, rm;
            pick_pair(mode, size, &reg, &rm, mem);
            uint64_t e = edge_value(vi, size);
            if (mem)
                preset_mem(MEM_OPERAND_OFF, size, e);
            else
                put_operand(&s, rm, size, e);
            if (!mem && (rm == R_AX || rm == 16 || (rm == R_DX && size > 1)))
                e = 0;  /* the operand doubles as the accumulator: leave it */
            else
                put_operand(&s, R_AX, size, edge_value(vi / 12, size));
            if (op >= 6 && size > 1 && !(rm == R_DX && !mem)) {
                /* Mostly dividends whose quotient fits, some that overflow */
                uint64_t hi = (vi % 5 == 0) ? rnd() : (e ? (rnd() % (e | 1)) : 0);
                if (op == 7 && vi % 3 == 1)
                    hi = (sext(s.r[R_AX], size) < 0) ? ~0ull : 0;
                put_operand(&s, R_DX, size, hi);
            } else if (op >= 6 && size == 1 && !(rm == 16 && !mem)) {
                put_operand(&s, 16, 1, (vi % 5 == 0) ? rnd() : (vi % 3 == 1 ? 0 : rnd() % ((e & 0xff) | 1)));
            }
            uint8_t opc = (uint8_t)(0xf6 + (size > 1));
            unsigned nimm = op < 2 ? (size == 1 ? 1 : size == 2 ? 2 : 4) : 0;
            uint8_t insn[16];
            unsigned n = encode(insn, size, 0, &opc, 1, EXT((int)op), rm, true, rnd(), nimm);
            char what[48];
            snprintf(what, sizeof what, "%s size %u", names[op], size);
            check(what, mode, insn, n, &s, undef[op]);
        }
    }
}

static void imul_forms(int mode, unsigned size)
{
    static const uint8_t opcs[3][2] = { { 0x0f, 0xaf }, { 0x69 }, { 0x6b } };
    for (unsigned f = 0; f < 3; f++) {
        for (unsigned vi = 0; vi < 150; vi++) {
            XState s;
            random_state(&s);
            bool mem = vi & 1;
            int reg, rm;
            pick_pair(mode, size, &reg, &rm, mem);
            uint64_t a = edge_value(vi, size), b = edge_value(vi / 12 + 5, size);
            put_operand(&s, reg, size, b);
            if (mem)
                preset_mem(MEM_OPERAND_OFF, size, a);
            else
                put_operand(&s, rm, size, a);
            unsigned nimm = f == 0 ? 0 : f == 2 ? 1 : size == 2 ? 2 : 4;
            uint64_t imm = vi % 4 == 0 ? edge_value(vi / 4, nimm ? nimm : 1) : rnd();
            uint8_t insn[16];
            unsigned n = encode(insn, size, 0, opcs[f], f == 0 ? 2 : 1, reg, rm, true, imm, nimm);
            check(f == 0 ? "IMUL_GvEv" : f == 1 ? "IMUL_GvEvIz" : "IMUL_GvEvIb", mode, insn, n, &s,
                  F_SF | F_ZF | F_AF | F_PF);
        }
    }
}

int main(void)
{
    oracle_init();
    for (int mode = CODE32; mode <= CODE64; mode++) {
        for (unsigned size = 1; size <= (mode == CODE64 ? 8u : 4u); size *= 2) {
            group3(mode, size);
            if (size > 1)
                imul_forms(mode, size);
        }
    }
    return oracle_finish("test_arith_muldiv");
}

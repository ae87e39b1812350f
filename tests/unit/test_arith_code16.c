/* test_arith_code16.c — the arithmetic forms in 16-bit code.  There is no
 * native 16-bit oracle, so each instruction runs natively as 32-bit code and
 * in the interpreter as 16-bit code with the operand-size prefix flipped
 * (the same operation).  Register operands only: 16-bit addressing differs. */
#include "test_arith_oracle.h"

static uint32_t shift_undef(unsigned op, unsigned size, unsigned count)
{
    unsigned masked = count & 31;
    if (masked == 0)
        return 0;
    uint32_t u = masked > 1 ? F_OF : 0;
    if (op >= 4)
        u |= F_AF | (op != 7 && masked >= size * 8 ? F_CF : 0);
    return u;
}

static void one(unsigned family, unsigned size, bool amd)
{
    XState s;
    random_state(&s);
    int reg, rm;
    pick_pair(CODE32, size, &reg, &rm, false);
    put_operand(&s, rm, size, edge_value((unsigned)rnd(), size));
    put_operand(&s, reg, size, edge_value((unsigned)rnd(), size));
    uint8_t insn[16];
    unsigned n = 0;
    uint32_t undef = 0;
    const char *what = "?";
    unsigned zsize = size == 2 ? 2 : 4;
    switch (family) {
    case 0: {  /* group 2 */
        unsigned op = (unsigned)rnd() & 7, src = (unsigned)rnd() % 3;
        unsigned count = src == 1 ? 1 : (unsigned)rnd() % 40;
        if (src == 2 && (rm == R_CX || rm == 16 + R_CX))
            return;
        put_operand(&s, R_CX, 1, count);
        uint8_t opc = (uint8_t)((src == 0 ? 0xc0 : src == 1 ? 0xd0 : 0xd2) + (size > 1));
        n = encode(insn, size, 0, &opc, 1, EXT((int)op), rm, true, count, src == 0);
        undef = shift_undef(op, size, count);
        what = "group 2";
        break;
    }
    case 1: {  /* SHLD/SHRD */
        if (size == 1 || rm == R_CX || reg == R_CX)
            return;
        unsigned count = (unsigned)rnd() % 40, masked = count & 31;
        if (masked > size * 8 && !amd)
            return;
        put_operand(&s, R_CX, 1, count);
        uint8_t opc[2] = { 0x0f, (uint8_t)(0xa4 + 8 * (rnd() & 1) + (rnd() & 1)) };
        n = encode(insn, size, 0, opc, 2, reg, rm, true, count, !(opc[1] & 1));
        undef = masked == 0 ? 0 : masked > size * 8 ? F_OSZAPC : F_AF | (masked > 1 ? F_OF : 0);
        what = "SHLD/SHRD";
        break;
    }
    case 2: {  /* group 3 */
        static const uint32_t u3[8] = { 0, 0, 0, 0, 0xd4, 0xd4, F_OSZAPC, F_OSZAPC };
        unsigned op = (unsigned)rnd() & 7;
        if (op >= 6)
            put_operand(&s, size == 1 ? 16 : R_DX, size, rnd() & 1 ? 0 : rnd());
        uint8_t opc = (uint8_t)(0xf6 + (size > 1));
        n = encode(insn, size, 0, &opc, 1, EXT((int)op), rm, true, rnd(), op < 2 ? (size == 1 ? 1 : zsize) : 0);
        undef = u3[op];
        what = "group 3";
        break;
    }
    case 3: {  /* IMUL Gv forms */
        if (size == 1)
            return;
        unsigned f = (unsigned)rnd() % 3;
        static const uint8_t opcs[3][2] = { { 0x0f, 0xaf }, { 0x69 }, { 0x6b } };
        n = encode(insn, size, 0, opcs[f], f == 0 ? 2 : 1, reg, rm, true, rnd(), f == 0 ? 0 : f == 2 ? 1 : zsize);
        undef = F_SF | F_ZF | F_AF | F_PF;
        what = "IMUL";
        break;
    }
    case 4: {  /* BT family, scans and counts */
        if (size == 1)
            return;
        static const uint8_t ops[] = { 0xa3, 0xab, 0xb3, 0xbb, 0xba, 0xbc, 0xbd, 0xb8, 0xbc, 0xbd };
        unsigned k = (unsigned)rnd() % 10;
        uint8_t opc[2] = { 0x0f, ops[k] };
        if (k == 4)
            n = encode(insn, size, 0, opc, 2, EXT(4 + (int)(rnd() & 3)), rm, true, rnd(), 1);
        else
            n = encode(insn, size, k >= 7 ? 0xf3 : 0, opc, 2, reg, rm, true, 0, 0);
        undef = k < 5 ? F_OF | F_SF | F_AF | F_PF : k < 7 ? F_CF | F_OF | F_SF | F_AF | F_PF
                : k == 7 ? 0 : F_OF | F_SF | F_AF | F_PF;
        what = "bit ops";
        break;
    }
    default: {  /* SETcc / CMOVcc / CBW / CWD / BCD */
        unsigned k = (unsigned)rnd() % 4;
        if (k == 0) {
            uint8_t opc[2] = { 0x0f, (uint8_t)(0x90 + (rnd() & 15)) };
            pick_pair(CODE32, 1, &reg, &rm, false);
            n = encode(insn, 1, 0, opc, 2, EXT(0), rm, true, 0, 0);
        } else if (k == 1 && size > 1) {
            uint8_t opc[2] = { 0x0f, (uint8_t)(0x40 + (rnd() & 15)) };
            n = encode(insn, size, 0, opc, 2, reg, rm, true, 0, 0);
        } else if (k == 2 && size > 1) {
            uint8_t opc = (uint8_t)(0x98 + (rnd() & 1));
            n = encode(insn, size, 0, &opc, 1, 0, 0, false, 0, 0);
        } else {
            static const uint8_t bcd[] = { 0x27, 0x2f, 0x37, 0x3f };
            static const uint32_t ub[] = { F_OF, F_OF, 0xc4 | F_OF, 0xc4 | F_OF };
            unsigned b = (unsigned)rnd() & 3;
            insn[0] = bcd[b];
            n = 1;
            undef = ub[b];
        }
        what = "setcc/cmov/cbw/bcd";
        break;
    }
    }
    check16(what, insn, n, &s, undef);
}

int main(void)
{
    oracle_init();
    bool amd = host_vendor_is_amd();
    for (unsigned i = 0; i < 6000; i++)
        one(i % 6, 1u << (rnd() % 3), amd);
    return oracle_finish("test_arith_code16");
}

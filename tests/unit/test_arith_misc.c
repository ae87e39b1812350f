/* test_arith_misc.c — BCD adjusts and SALC (32-bit code: they are invalid
 * in 64-bit mode, which is checked too), SETcc, CMOVcc, CBW/CWD families,
 * LAHF/SAHF, against the host CPU. */
#include "test_arith_oracle.h"

static void bcd(void)
{
    static const struct { const char *name; uint8_t opc; uint32_t undef; } f[] = {
        { "DAA", 0x27, F_OF }, { "DAS", 0x2f, F_OF },
        { "AAA", 0x37, F_OF | F_SF | F_ZF | F_PF }, { "AAS", 0x3f, F_OF | F_SF | F_ZF | F_PF },
    };
    for (unsigned k = 0; k < 4; k++) {
        for (unsigned al = 0; al < 256; al++) {
            for (unsigned fl = 0; fl < 4; fl++) {
                XState s;
                random_state(&s);
                s.r[R_AX] = (s.r[R_AX] & ~0xffull) | al;
                if (al % 16 == 0)
                    s.r[R_AX] |= 0xff00;   /* AH wrap-around for AAA/AAS */
                s.fl = (s.fl & ~(uint64_t)(F_AF | F_CF)) | (fl & 1 ? F_CF : 0) | (fl & 2 ? F_AF : 0);
                check(f[k].name, CODE32, &f[k].opc, 1, &s, f[k].undef);
            }
        }
        XState s;
        random_state(&s);
        check(f[k].name, CODE64, &f[k].opc, 1, &s, 0);   /* #UD in 64-bit mode */
    }
    static const unsigned bases[] = { 0, 1, 2, 7, 10, 16, 255 };
    for (unsigned k = 0; k < 2; k++) {
        for (unsigned i = 0; i < 7 * 80; i++) {
            uint8_t insn[2] = { (uint8_t)(0xd4 + k), (uint8_t)(i < 7 * 64 ? bases[i % 7] : rnd()) };
            XState s;
            random_state(&s);
            if (i % 8 == 0)
                s.r[R_AX] &= ~0xffffull;
            check(k ? "AAD" : "AAM", CODE32, insn, 2, &s, F_OF | F_AF | F_CF);
        }
        uint8_t insn[2] = { (uint8_t)(0xd4 + k), 10 };
        XState s;
        random_state(&s);
        check(k ? "AAD 64" : "AAM 64", CODE64, insn, 2, &s, 0);
    }
    for (unsigned i = 0; i < 8; i++) {
        uint8_t salc = 0xd6;
        XState s;
        random_state(&s);
        check("SALC", i < 6 ? CODE32 : CODE64, &salc, 1, &s, 0);
    }
}

static void setcc_cmov(int mode)
{
    for (unsigned cc = 0; cc < 16; cc++) {
        for (unsigned i = 0; i < 48; i++) {
            XState s;
            random_state(&s);
            bool mem = i & 1;
            int reg, rm;
            uint8_t insn[16];
            unsigned n;
            if (i < 16) {
                pick_pair(mode, 1, &reg, &rm, mem);
                uint8_t opc[2] = { 0x0f, (uint8_t)(0x90 + cc) };
                n = encode(insn, 1, 0, opc, 2, EXT((int)(rnd() & 7)), rm, true, 0, 0);
                check("SETcc", mode, insn, n, &s, 0);
            } else {
                unsigned size = 2u << (i % (mode == CODE64 ? 3 : 2));
                pick_pair(mode, size, &reg, &rm, mem);
                uint8_t opc[2] = { 0x0f, (uint8_t)(0x40 + cc) };
                n = encode(insn, size, 0, opc, 2, reg, rm, true, 0, 0);
                check("CMOVcc", mode, insn, n, &s, 0);
            }
        }
    }
}

static void accumulator(int mode)
{
    for (unsigned i = 0; i < 96; i++) {
        XState s;
        random_state(&s);
        unsigned size = 2u << (i % (mode == CODE64 ? 3 : 2));
        put_operand(&s, R_AX, size, edge_value(i / 3, size));
        uint8_t op = (i / 2) % 4 == 0 ? 0x98 : (i / 2) % 4 == 1 ? 0x99 : (i / 2) % 4 == 2 ? 0x9e : 0x9f;
        uint8_t insn[16];
        unsigned n = encode(insn, op >= 0x9e ? 1 : size, 0, &op, 1, 0, 0, false, 0, 0);
        check(op == 0x98 ? "CBW" : op == 0x99 ? "CWD" : op == 0x9e ? "SAHF" : "LAHF", mode, insn, n, &s, 0);
    }
}

int main(void)
{
    oracle_init();
    bcd();
    for (int mode = CODE32; mode <= CODE64; mode++) {
        setcc_cmov(mode);
        accumulator(mode);
    }
    return oracle_finish("test_arith_misc");
}

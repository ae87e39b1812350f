/* test_arith_shift.c — group 2 shifts/rotates and SHLD/SHRD against the
 * host CPU, in 64-bit and 32-bit code, register and memory operands. */
#include "test_arith_oracle.h"

static const unsigned counts[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 63, 64, 65, 255 };
#define NCOUNTS (sizeof counts / sizeof counts[0])
static const char *const names[8] = { "ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR" };

static uint32_t shift_undef(unsigned op, unsigned size, unsigned count)
{
    unsigned masked = count & (size == 8 ? 63 : 31), bits = size * 8;
    if (masked == 0)
        return 0;
    uint32_t u = masked > 1 ? F_OF : 0;
    if (op >= 4) {
        u |= F_AF;
        if (op != 7 && masked >= bits)
            u |= F_CF;
    }
    return u;
}

static void group2(int mode, unsigned size)
{
    for (unsigned op = 0; op < 8; op++) {
        for (unsigned src = 0; src < 3; src++) {   /* imm8, 1, CL */
            for (unsigned ci = 0; ci < NCOUNTS + 4; ci++) {
                unsigned count = ci < NCOUNTS ? counts[ci] : (unsigned)(rnd() & 0xff);
                if (src == 1 && ci > 0)
                    break;
                if (src == 1)
                    count = 1;
                for (unsigned vi = 0; vi < 12; vi++) {
                    XState s;
                    random_state(&s);
                    bool mem = vi & 1;
                    int reg, rm;
                    pick_pair(mode, size, &reg, &rm, mem);
                    uint64_t a = edge_value(vi, size);
                    if (mem)
                        preset_mem(MEM_OPERAND_OFF, size, a);
                    else
                        put_operand(&s, rm, size, a);
                    uint8_t opc = (uint8_t)((src == 0 ? 0xc0 : src == 1 ? 0xd0 : 0xd2) + (size > 1));
                    if (src == 2) {
                        /* CL may also be the shifted operand */
                        if (rm == R_CX)
                            count = (unsigned)a & 0xff;
                        else
                            put_operand(&s, R_CX, 1, count);
                    }
                    uint8_t insn[16];
                    unsigned n = encode(insn, size, 0, &opc, 1, EXT((int)op), rm, true, count, src == 0);
                    char what[48];
                    snprintf(what, sizeof what, "%s size %u count %u", names[op], size, count);
                    check(what, mode, insn, n, &s, shift_undef(op, size, count));
                }
            }
        }
    }
}

static void shxd(int mode, unsigned size, bool amd)
{
    for (unsigned right = 0; right < 2; right++) {
        for (unsigned cl = 0; cl < 2; cl++) {
            for (unsigned ci = 0; ci < NCOUNTS + 4; ci++) {
                unsigned count = ci < NCOUNTS ? counts[ci] : (unsigned)(rnd() & 0xff);
                unsigned masked = count & (size == 8 ? 63 : 31);
                /* Beyond the operand size the SDM leaves the result
                 * undefined; the interpreter follows AMD. */
                if (masked > size * 8 && !amd)
                    continue;
                uint32_t undef = masked == 0 ? 0 : masked > size * 8 ? F_OSZAPC
                                 : F_AF | (masked > 1 ? F_OF : 0);
                for (unsigned vi = 0; vi < 12; vi++) {
                    XState s;
                    random_state(&s);
                    bool mem = vi & 1;
                    int reg, rm;
                    pick_pair(mode, size, &reg, &rm, mem);
                    uint64_t a = edge_value(vi, size), b = edge_value(vi * 7 + 3, size);
                    if (mem)
                        preset_mem(MEM_OPERAND_OFF, size, a);
                    else
                        put_operand(&s, rm, size, a);
                    put_operand(&s, reg, size, b);
                    if (cl) {
                        if (reg == R_CX || rm == R_CX)
                            continue;
                        put_operand(&s, R_CX, 1, count);
                    }
                    uint8_t opc[2] = { 0x0f, (uint8_t)((right ? 0xac : 0xa4) + cl) };
                    uint8_t insn[16];
                    unsigned n = encode(insn, size, 0, opc, 2, reg, rm, true, count, !cl);
                    char what[48];
                    snprintf(what, sizeof what, "%s size %u count %u", right ? "SHRD" : "SHLD", size, count);
                    check(what, mode, insn, n, &s, undef);
                }
            }
        }
    }
}

int main(void)
{
    oracle_init();
    bool amd = host_vendor_is_amd();
    for (int mode = CODE32; mode <= CODE64; mode++) {
        for (unsigned size = 1; size <= (mode == CODE64 ? 8u : 4u); size *= 2) {
            group2(mode, size);
            if (size > 1)
                shxd(mode, size, amd);
        }
    }
    return oracle_finish("test_arith_shift");
}

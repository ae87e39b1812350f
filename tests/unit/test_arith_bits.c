/* test_arith_bits.c — BT/BTS/BTR/BTC (register, memory with far bit
 * offsets, imm8), BSF/BSR, POPCNT/TZCNT/LZCNT, LOCK forms, against the
 * host CPU. */
#include "test_arith_oracle.h"

#define BT_BASE (DATA_ADDR + DATA_SIZE / 2)
static const char *const bt_names[4] = { "BT", "BTS", "BTR", "BTC" };

static int64_t bit_offset(unsigned i, unsigned size)
{
    static const int64_t edges[] = { 0, 1, -1, 7, 8, 15, 16, 31, 32, 63, 64, -64, -65, 0x7fff, -0x8000, 1000, -1000 };
    const unsigned ne = sizeof edges / sizeof edges[0];
    if (i < ne)
        return edges[i];
    int64_t r = (int64_t)(rnd() % 0xfe000) - 0x7f000;
    return size == 2 ? (int16_t)r : r;
}

static void bt_reg_offset(int mode, unsigned size)
{
    for (unsigned op = 0; op < 4; op++) {
        for (unsigned vi = 0; vi < 120; vi++) {
            XState s;
            random_state(&s);
            s.r[R_BX] = BT_BASE;
            bool mem = vi & 1;
            int reg, rm;
            pick_pair(mode, size, &reg, &rm, mem);
            int64_t off = bit_offset(vi / 2, size);
            if (!mem) {
                put_operand(&s, rm, size, edge_value(vi / 3, size));
                off = (int64_t)rnd();   /* only the low bits count */
            }
            put_operand(&s, reg, size, (uint64_t)off);
            uint8_t opc[3] = { 0xf0, 0x0f, (uint8_t)(0xa3 + 8 * op) };
            bool lock = op && mem && vi % 4 == 1;
            uint8_t insn[16];
            unsigned n = encode(insn + lock, size, 0, opc + 1, 2, reg, rm, true, 0, 0);
            if (lock)
                insn[0] = 0xf0;
            char what[48];
            snprintf(what, sizeof what, "%s_EvGv size %u%s", bt_names[op], size, lock ? " lock" : "");
            check(what, mode, insn, n + lock, &s, F_OF | F_SF | F_AF | F_PF);
        }
    }
}

static void bt_imm(int mode, unsigned size)
{
    for (unsigned op = 0; op < 4; op++) {
        for (unsigned vi = 0; vi < 60; vi++) {
            XState s;
            random_state(&s);
            bool mem = vi & 1;
            int reg, rm;
            pick_pair(mode, size, &reg, &rm, mem);
            uint64_t v = edge_value(vi / 2, size);
            if (mem)
                preset_mem(MEM_OPERAND_OFF, size, v);
            else
                put_operand(&s, rm, size, v);
            uint8_t opc[2] = { 0x0f, 0xba };
            uint8_t insn[16];
            unsigned n = encode(insn, size, 0, opc, 2, EXT(4 + (int)op), rm, true, rnd(), 1);
            char what[48];
            snprintf(what, sizeof what, "%s_EvIb size %u", bt_names[op], size);
            check(what, mode, insn, n, &s, F_OF | F_SF | F_AF | F_PF);
        }
    }
}

/* BSF BSR POPCNT TZCNT LZCNT: the source is mostly a single bit or zero */
static void scans(int mode, unsigned size)
{
    static const struct { const char *name; uint8_t pfx, opc; uint32_t undef; } f[] = {
        { "BSF", 0, 0xbc, F_CF | F_OF | F_SF | F_AF | F_PF },
        { "BSR", 0, 0xbd, F_CF | F_OF | F_SF | F_AF | F_PF },
        { "POPCNT", 0xf3, 0xb8, 0 },
        { "TZCNT", 0xf3, 0xbc, F_OF | F_SF | F_AF | F_PF },
        { "LZCNT", 0xf3, 0xbd, F_OF | F_SF | F_AF | F_PF },
    };
    for (unsigned k = 0; k < 5; k++) {
        for (unsigned vi = 0; vi < 100; vi++) {
            XState s;
            random_state(&s);
            bool mem = vi & 1;
            int reg, rm;
            pick_pair(mode, size, &reg, &rm, mem);
            uint64_t v = vi % 5 == 0 ? 0 : vi % 5 == 1 ? 1ull << (rnd() % (size * 8))
                       : edge_value(vi / 2, size) & (vi % 5 == 2 ? rnd() : ~0ull);
            if (mem)
                preset_mem(MEM_OPERAND_OFF, size, v);
            else
                put_operand(&s, rm, size, v);
            uint8_t opc[2] = { 0x0f, f[k].opc };
            uint8_t insn[16];
            unsigned n = encode(insn, size, f[k].pfx, opc, 2, reg, rm, true, 0, 0);
            char what[48];
            snprintf(what, sizeof what, "%s size %u", f[k].name, size);
            check(what, mode, insn, n, &s, f[k].undef);
        }
    }
}

/* LOCK on a register destination is #UD on both */
static void lock_reg(int mode)
{
    static const uint8_t forms[][5] = {
        { 0xf0, 0xf7, 0xd0 },        /* lock not eax */
        { 0xf0, 0xf7, 0xd9 },        /* lock neg ecx */
        { 0xf0, 0x0f, 0xab, 0xc8 },  /* lock bts eax, ecx */
        { 0xf0, 0x0f, 0xba, 0xe8, 3 },
    };
    static const unsigned lens[] = { 3, 3, 4, 5 };
    for (unsigned i = 0; i < 4; i++) {
        XState s;
        random_state(&s);
        check("LOCK reg", mode, forms[i], lens[i], &s, 0);
    }
    for (unsigned i = 0; i < 20; i++) {
        XState s;
        random_state(&s);
        uint8_t insn[4] = { 0xf0, 0xf7, (uint8_t)(i & 1 ? 0x53 : 0x5b), 0x40 };  /* lock not/neg [rbx+0x40] */
        check("LOCK mem", mode, insn, 4, &s, 0);
    }
}

int main(void)
{
    oracle_init();
    for (int mode = CODE32; mode <= CODE64; mode++) {
        for (unsigned size = 2; size <= (mode == CODE64 ? 8u : 4u); size *= 2) {
            bt_reg_offset(mode, size);
            bt_imm(mode, size);
            scans(mode, size);
        }
        lock_reg(mode);
    }
    return oracle_finish("test_arith_bits");
}

/* test_x64.c — the host-code emitter (dbt/x64.c) against Capstone and the
 * host CPU.
 *
 * Every emitter function is called for every operand size, every register
 * in each operand position (AH..BH included) and memory operands covering
 * every base/index/scale/displacement case; Capstone disassembles the bytes
 * and its text must equal the one built here from the arguments, and it
 * must decode exactly the bytes emitted.  Combinations the ISA cannot
 * encode must be refused (overflow set, nothing written).  A few encodings
 * are checked byte for byte, and emitted functions run on the host from a
 * W^X double mapping (the translator's layout), so exec_delta is real.
 */
#include "dbt/x64.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static csh cs;
static int passed, failed;

/* Disassembly addresses are the write addresses plus this: branch targets
 * come out right only if the emitter computes them against exec_delta. */
#define DELTA ((intptr_t)0x40000000)
static uint8_t code[128];
#define PC0 ((uint64_t)(uintptr_t)code + (uint64_t)DELTA)

/* ---- text ----------------------------------------------------------------- */

/* printf into one of a ring of buffers (expected strings are short-lived). */
static const char *S(const char *fmt, ...)
{
    static char ring[16][256];
    static unsigned next;
    char *b = ring[next++ % 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof ring[0], fmt, ap);
    va_end(ap);
    return b;
}

static const char *const names64[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const names32[16] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const names16[16] = {
    "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const names8[20] = {
    "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b", "ah", "ch", "dh", "bh" };

static const char *R(unsigned size, int r)
{
    switch (size) {
    case 1: return names8[r];
    case 2: return names16[r];
    case 4: return names32[r];
    default: return names64[r];
    }
}

static const char *X(int x) { return S("xmm%d", x); }

/* Canonical immediate: hex of the value at w bytes (Capstone prints some
 * signed, some unsigned; check() rewrites its text the same way). */
static const char *I(int64_t v, unsigned w)
{
    uint64_t u = w >= 8 ? (uint64_t)v : (uint64_t)v & ((1ull << (8 * w)) - 1);
    return S("0x%" PRIx64, u);
}

/* Capstone's number in a memory operand: decimal up to 9, else hex. */
static const char *num(uint64_t v) { return v > 9 ? S("0x%" PRIx64, v) : S("%" PRIu64, v); }

static const char *ptrword(unsigned size)
{
    switch (size) {
    case 1: return "byte ptr ";
    case 2: return "word ptr ";
    case 4: return "dword ptr ";
    case 8: return "qword ptr ";
    case 16: return "xmmword ptr ";
    default: return "";   /* LEA */
    }
}

/* Capstone's text for a memory operand of size bytes. */
static const char *M(unsigned size, X64Mem m)
{
    char in[96];
    int n = 0;
    bool plus = false;
    if (m.base == X64_RIP)
        n += snprintf(in + n, sizeof in - n, "rip"), plus = true;
    else if (m.base >= 0)
        n += snprintf(in + n, sizeof in - n, "%s", names64[m.base]), plus = true;
    if (m.index >= 0) {
        n += snprintf(in + n, sizeof in - n, "%s%s", plus ? " + " : "", names64[m.index]);
        if (m.scale != 1)
            n += snprintf(in + n, sizeof in - n, "*%u", m.scale);
        plus = true;
    }
    if (m.disp != 0 || !plus) {
        if (!plus)          /* absolute: the disp32 field as Capstone shows it */
            snprintf(in + n, sizeof in - n, "%s", num((uint32_t)m.disp));
        else if (m.disp < 0)
            snprintf(in + n, sizeof in - n, " - %s", num((uint64_t)-(int64_t)m.disp));
        else
            snprintf(in + n, sizeof in - n, " + %s", num((uint64_t)m.disp));
    }
    return S("%s[%s]", ptrword(size), in);
}

/* ---- the check ------------------------------------------------------------ */

#define REFUSED "(refused)"

/* The last operand of an instruction's text rewritten as I() would write
 * it, when it is a number and immw is nonzero. */
static void canon_imm(char *ops, size_t cap, unsigned immw)
{
    char *last = strrchr(ops, ',');
    last = last ? last + 2 : ops;
    char *end;
    if (!immw || !*last)
        return;
    uint64_t v = strtoull(last, &end, 0);   /* "-1" too: negated, as wanted */
    if (*end)
        return;
    snprintf(last, cap - (size_t)(last - ops), "%s", I((int64_t)v, immw));
}

static void check(int line, const X64 *e, const char *expect, unsigned immw)
{
    char got[512] = "", hex[3 * sizeof code + 1] = "";
    size_t len = x64_len(e);
    for (size_t i = 0; i < len && i < sizeof code; i++)
        snprintf(hex + 3 * i, 4, "%02x ", code[i]);
    if (e->overflow) {
        snprintf(got, sizeof got, len ? "(refused after writing)" : REFUSED);
    } else {
        cs_insn *ci = NULL;
        size_t n = cs_disasm(cs, code, len, PC0, 0, &ci), used = 0;
        int g = 0;
        for (size_t i = 0; i < n; i++) {
            char ops[160];
            snprintf(ops, sizeof ops, "%s", ci[i].op_str);
            canon_imm(ops, sizeof ops, immw);
            g += snprintf(got + g, sizeof got - (size_t)g, "%s%s%s%s", i ? "; " : "",
                          ci[i].mnemonic, *ops ? " " : "", ops);
            used += ci[i].size;
        }
        if (n)
            cs_free(ci, n);
        if (used != len || !len)
            snprintf(got + g, sizeof got - (size_t)g, " (decoded %zu of %zu bytes)", used, len);
    }
    if (strcmp(got, expect)) {
        if (failed++ < 40)
            printf("FAIL line %d: expected \"%s\"\n                got \"%s\" [%s]\n", line, expect, got, hex);
    } else {
        passed++;
    }
}

/* Emits with E (a fresh emitter on code[]) and checks the result. */
#define EMIT(immw, expect, stmt)                        \
    do {                                                \
        X64 e_, *E = &e_;                               \
        memset(code, 0xCC, sizeof code);                \
        x64_init(E, code, sizeof code, DELTA);          \
        stmt;                                           \
        check(__LINE__, E, expect, immw);               \
    } while (0)

static const unsigned sizes[4] = { 1, 2, 4, 8 };
static unsigned nregs(unsigned size) { return size == 1 ? 20 : 16; }

/* Encodability, as the SDM gives it (vol. 2A 2.1.5, 2.2.1): AH..BH only
 * without REX, which R8..R15, SPL..DIL and REX.W all need; no RSP index and
 * no index with RIP-relative. */
static bool high8(unsigned size, int r) { return size == 1 && r >= 16; }
static bool wants_rex(unsigned size, int r) { return (r >= 8 && r < 16) || (size == 1 && r >= 4 && r < 8); }
static bool mem_rex(X64Mem m) { return m.base >= 8 || m.index >= 8; }
static bool mem_bad(X64Mem m) { return m.index == X64_RSP || (m.base == X64_RIP && m.index >= 0); }
static bool rr_bad(unsigned size, int a, int b)
{
    return (high8(size, a) || high8(size, b)) && (wants_rex(size, a) || wants_rex(size, b));
}
static bool rm_bad(unsigned size, int r, X64Mem m) { return mem_bad(m) || (high8(size, r) && mem_rex(m)); }

/* Every base (none, RIP, 16 registers) x index (none, 16 registers: RSP is
 * refused) x displacement class, scales cycling. */
static X64Mem mems[18 * 17 * 11];
static unsigned nmems;

static void make_mems(void)
{
    static const int32_t disps[] = { 0, 1, -1, 9, 10, 127, 128, -128, -129, 0x12345678, INT32_MIN };
    static const uint8_t scales[4] = { 1, 2, 4, 8 };
    for (int b = -2; b < 16; b++)
        for (int x = -1; x < 16; x++)
            for (unsigned d = 0; d < sizeof disps / sizeof disps[0]; d++) {
                /* Capstone 4 misprints a negative absolute address in some
                 * forms (masked to the operand size): the golden bytes
                 * check those. */
                int32_t disp = b == X64_NOREG && x == X64_NOREG && disps[d] < 0 ? ~disps[d] : disps[d];
                mems[nmems] = x64_mem_idx(b, x, scales[nmems % 4], disp), nmems++;
            }
}

/* Memory-operand tests walk mems with a stride (the full set for the
 * moves and ALU ops); the offset varies the subset between callers. */
#define FOR_MEMS(i, stride, off) for (unsigned i = (off) % (stride); i < nmems; i += (stride))

static const int32_t imms[] = { 0, 1, -1, 0x7f, 0x80, -0x80, -0x81, 0xff, 0x7fff, -0x8000,
                                0x12345678, INT32_MIN, INT32_MAX };
#define NIMMS (sizeof imms / sizeof imms[0])

/* ---- integer ---------------------------------------------------------------- */

static const char *const alu_names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };

static void test_alu(void)
{
    for (unsigned op = 0; op < 8; op++)
        for (unsigned si = 0; si < 4; si++) {
            unsigned s = sizes[si];
            const char *nm = alu_names[op];
            for (int a = 0; a < (int)nregs(s); a++)
                for (int b = 0; b < (int)nregs(s); b++)
                    EMIT(0, rr_bad(s, a, b) ? REFUSED : S("%s %s, %s", nm, R(s, a), R(s, b)),
                         x64_alu_rr(E, op, s, a, b));
            FOR_MEMS(i, op ? 3 : 1, op + si) {
                int r = (int)(i % nregs(s));
                X64Mem m = mems[i];
                EMIT(0, rm_bad(s, r, m) ? REFUSED : S("%s %s, %s", nm, M(s, m), R(s, r)),
                     x64_alu_mr(E, op, s, m, r));
                EMIT(0, rm_bad(s, r, m) ? REFUSED : S("%s %s, %s", nm, R(s, r), M(s, m)),
                     x64_alu_rm(E, op, s, r, m));
                int32_t v = imms[i % NIMMS];
                EMIT(s, mem_bad(m) ? REFUSED : S("%s %s, %s", nm, M(s, m), I(v, s)),
                     x64_alu_mi(E, op, s, m, v));
            }
            for (int a = 0; a < (int)nregs(s); a++)
                for (unsigned k = 0; k < NIMMS; k++)
                    EMIT(s, S("%s %s, %s", nm, R(s, a), I(imms[k], s)), x64_alu_ri(E, op, s, a, imms[k]));
        }
    EMIT(0, REFUSED, x64_alu_rr(E, X64_ADD, 3, 0, 1));
    EMIT(0, REFUSED, x64_alu_rr(E, X64_ADD, 4, 16, 1));   /* AH is a byte register only */
}

static void test_test_mov(void)
{
    for (unsigned si = 0; si < 4; si++) {
        unsigned s = sizes[si];
        for (int a = 0; a < (int)nregs(s); a++) {
            for (int b = 0; b < (int)nregs(s); b++) {
                const char *bad = rr_bad(s, a, b) ? REFUSED : NULL;
                EMIT(0, bad ? bad : S("test %s, %s", R(s, a), R(s, b)), x64_test_rr(E, s, a, b));
                EMIT(0, bad ? bad : S("mov %s, %s", R(s, a), R(s, b)), x64_mov_rr(E, s, a, b));
                EMIT(0, bad ? bad : S("xchg %s, %s", R(s, a), R(s, b)), x64_xchg_rr(E, s, a, b));
                EMIT(0, bad ? bad : S("cmpxchg %s, %s", R(s, a), R(s, b)), x64_cmpxchg_rr(E, s, a, b));
                EMIT(0, bad ? bad : S("xadd %s, %s", R(s, a), R(s, b)), x64_xadd_rr(E, s, a, b));
            }
            for (unsigned k = 0; k < NIMMS; k++)
                EMIT(s, S("test %s, %s", R(s, a), I(imms[k], s)), x64_test_ri(E, s, a, imms[k]));
        }
        FOR_MEMS(i, 1, 0) {
            int r = (int)(i % nregs(s));
            X64Mem m = mems[i];
            const char *bad = rm_bad(s, r, m) ? REFUSED : NULL;
            EMIT(0, bad ? bad : S("mov %s, %s", R(s, r), M(s, m)), x64_mov_rm(E, s, r, m));
            EMIT(0, bad ? bad : S("mov %s, %s", M(s, m), R(s, r)), x64_mov_mr(E, s, m, r));
            EMIT(s, mem_bad(m) ? REFUSED : S("mov %s, %s", M(s, m), I(imms[i % NIMMS], s)),
                 x64_mov_mi(E, s, m, imms[i % NIMMS]));
            if (i % 5)
                continue;
            EMIT(0, bad ? bad : S("test %s, %s", M(s, m), R(s, r)), x64_test_mr(E, s, m, r));
            EMIT(s, mem_bad(m) ? REFUSED : S("test %s, %s", M(s, m), I(imms[i % NIMMS], s)),
                 x64_test_mi(E, s, m, imms[i % NIMMS]));
            EMIT(0, bad ? bad : S("xchg %s, %s", M(s, m), R(s, r)), x64_xchg_mr(E, s, m, r));
            EMIT(0, bad ? bad : S("cmpxchg %s, %s", M(s, m), R(s, r)), x64_cmpxchg_mr(E, s, m, r));
            EMIT(0, bad ? bad : S("xadd %s, %s", M(s, m), R(s, r)), x64_xadd_mr(E, s, m, r));
            /* The prefix is written before the instruction is refused. */
            EMIT(0, bad ? "(refused after writing)" : S("lock xadd %s, %s", M(s, m), R(s, r)),
                 (x64_lock(E), x64_xadd_mr(E, s, m, r)));
        }
    }
    /* MOV r, imm: the form says whether the value survives at size 8. */
    static const uint64_t v64[] = { 0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
                                    0x100000000, 0xffffffff80000000, 0xfffffffffffffff0,
                                    0x123456789abcdef0, 0x8000000000000000, 0x7fffffffffffffff };
    for (unsigned si = 0; si < 4; si++) {
        unsigned s = sizes[si];
        for (int r = 0; r < (int)nregs(s); r++)
            for (unsigned k = 0; k < sizeof v64 / sizeof v64[0]; k++) {
                uint64_t v = v64[k];
                const char *want =
                    s < 8 ? S("mov %s, %s", R(s, r), I((int64_t)v, s))
                    : v <= UINT32_MAX ? S("mov %s, %s", R(4, r), I((int64_t)v, 4))
                    : (int64_t)v >= INT32_MIN && (int64_t)v < 0 ? S("mov %s, %s", R(8, r), I((int64_t)v, 8))
                    : S("movabs %s, %s", R(8, r), I((int64_t)v, 8));
                EMIT(s < 8 ? s : 8, want, x64_mov_ri(E, s, r, v));
            }
    }
}

static void test_movx_lea(void)
{
    for (unsigned sx = 0; sx < 2; sx++)
        for (unsigned ss = 1; ss <= 4; ss *= 2)
            for (unsigned ds = 1; ds <= 8; ds *= 2) {
                bool ok = ds > ss && ds > 1 && (ss < 4 || ds == 8);
                const char *nm = ss == 4 ? (sx ? "movsxd" : "mov") : sx ? "movsx" : "movzx";
                unsigned shown = !sx && ss == 4 ? 4 : ds;   /* movzx 4->8 is mov r32, r/m32 */
                for (int d = 0; d < 16; d++)
                    for (int s = 0; s < (int)nregs(ss); s++) {
                        bool bad = !ok || (high8(ss, s) && (d >= 8 || ds == 8));
                        const char *want = bad ? REFUSED : S("%s %s, %s", nm, R(shown, d), R(ss, s));
                        if (sx)
                            EMIT(0, want, x64_movsx_rr(E, ds, d, ss, s));
                        else
                            EMIT(0, want, x64_movzx_rr(E, ds, d, ss, s));
                    }
                FOR_MEMS(i, 5, sx + ss + ds) {
                    int d = (int)(i % 16);
                    const char *want = !ok || mem_bad(mems[i]) ? REFUSED
                                     : S("%s %s, %s", nm, R(shown, d), M(ss, mems[i]));
                    if (sx)
                        EMIT(0, want, x64_movsx_rm(E, ds, d, ss, mems[i]));
                    else
                        EMIT(0, want, x64_movzx_rm(E, ds, d, ss, mems[i]));
                }
            }
    for (unsigned si = 0; si < 4; si++) {
        unsigned s = sizes[si];
        FOR_MEMS(i, 1, 0) {
            int d = (int)(i % 16);
            EMIT(0, s == 1 || mem_bad(mems[i]) ? REFUSED : S("lea %s, %s", R(s, d), M(0, mems[i])),
                 x64_lea(E, s, d, mems[i]));
        }
    }
}

static const char *const unary_names[8] = { "inc", "dec", "not", "neg", "mul", "imul", "div", "idiv" };
static const char *const shift_names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };

static void test_groups(void)
{
    static const uint8_t counts[] = { 0, 1, 2, 7, 31, 63, 0x80, 0xff };
    for (unsigned op = 0; op < 8; op++)
        for (unsigned si = 0; si < 4; si++) {
            unsigned s = sizes[si];
            for (int r = 0; r < (int)nregs(s); r++) {
                EMIT(0, S("%s %s", unary_names[op], R(s, r)), x64_unary_r(E, op, s, r));
                EMIT(0, S("%s %s, cl", shift_names[op], R(s, r)), x64_shift_rcl(E, op, s, r));
                for (unsigned k = 0; k < sizeof counts; k++)
                    EMIT(1, S("%s %s, %s", shift_names[op], R(s, r), I(counts[k], 1)),
                         x64_shift_ri(E, op, s, r, counts[k]));
            }
            FOR_MEMS(i, 11, op * 4 + si) {
                X64Mem m = mems[i];
                uint8_t c = counts[i % sizeof counts];
                const char *bad = mem_bad(m) ? REFUSED : NULL;
                EMIT(0, bad ? bad : S("%s %s", unary_names[op], M(s, m)), x64_unary_m(E, op, s, m));
                EMIT(0, bad ? bad : S("%s %s, cl", shift_names[op], M(s, m)), x64_shift_mcl(E, op, s, m));
                EMIT(1, bad ? bad : S("%s %s, %s", shift_names[op], M(s, m), I(c, 1)),
                     x64_shift_mi(E, op, s, m, c));
            }
        }
}

static const char *const bt_names[4] = { "bt", "bts", "btr", "btc" };
static const char *const scan_names[5] = { "bsf", "bsr", "tzcnt", "lzcnt", "popcnt" };

/* Instructions with no byte form: IMUL, SHLD/SHRD, BT*, scans, CMOVcc. */
static void test_wide(void)
{
    static const char *const cc[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                        "s", "ns", "p", "np", "l", "ge", "le", "g" };
    for (unsigned si = 0; si < 4; si++) {
        unsigned s = sizes[si];
        bool no = s == 1;   /* refused: R() is only for the text */
        for (int a = 0; a < 16; a++)
            for (int b = 0; b < 16; b++) {
                unsigned k = (unsigned)(a * 16 + b);
                int32_t v = imms[k % NIMMS];
                uint8_t c = (uint8_t)(k * 7);
                EMIT(0, no ? REFUSED : S("imul %s, %s", R(s, a), R(s, b)), x64_imul_rr(E, s, a, b));
                EMIT(s, no ? REFUSED : S("imul %s, %s, %s", R(s, a), R(s, b), I(v, s)),
                     x64_imul_rri(E, s, a, b, v));
                for (unsigned op = 0; op < 2; op++) {
                    const char *nm = op ? "shrd" : "shld";
                    EMIT(1, no ? REFUSED : S("%s %s, %s, %s", nm, R(s, a), R(s, b), I(c, 1)),
                         x64_shd_rri(E, op, s, a, b, c));
                    EMIT(0, no ? REFUSED : S("%s %s, %s, cl", nm, R(s, a), R(s, b)),
                         x64_shd_rrcl(E, op, s, a, b));
                }
                EMIT(0, no ? REFUSED : S("%s %s, %s", bt_names[k % 4], R(s, a), R(s, b)),
                     x64_bt_rr(E, X64_BT + k % 4, s, a, b));
                EMIT(1, no ? REFUSED : S("%s %s, %s", bt_names[k % 4], R(s, a), I(c, 1)),
                     x64_bt_ri(E, X64_BT + k % 4, s, a, c));
                EMIT(0, no ? REFUSED : S("%s %s, %s", scan_names[k % 5], R(s, a), R(s, b)),
                     x64_bitscan_rr(E, k % 5, s, a, b));
                EMIT(0, no ? REFUSED : S("cmov%s %s, %s", cc[k % 16], R(s, a), R(s, b)),
                     x64_cmov_rr(E, k % 16, s, a, b));
            }
        FOR_MEMS(i, 3, si) {
            X64Mem m = mems[i];
            int r = (int)(i % 16);
            int32_t v = imms[i % NIMMS];
            uint8_t c = (uint8_t)(i * 5);
            bool bad = no || mem_bad(m);
            EMIT(0, bad ? REFUSED : S("imul %s, %s", R(s, r), M(s, m)), x64_imul_rm(E, s, r, m));
            EMIT(s, bad ? REFUSED : S("imul %s, %s, %s", R(s, r), M(s, m), I(v, s)), x64_imul_rmi(E, s, r, m, v));
            EMIT(1, bad ? REFUSED : S("%s %s, %s, %s", i & 1 ? "shrd" : "shld", M(s, m), R(s, r), I(c, 1)),
                 x64_shd_mri(E, i & 1, s, m, r, c));
            EMIT(0, bad ? REFUSED : S("%s %s, %s, cl", i & 1 ? "shrd" : "shld", M(s, m), R(s, r)),
                 x64_shd_mrcl(E, i & 1, s, m, r));
            EMIT(0, bad ? REFUSED : S("%s %s, %s", bt_names[i % 4], M(s, m), R(s, r)),
                 x64_bt_mr(E, X64_BT + i % 4, s, m, r));
            EMIT(1, bad ? REFUSED : S("%s %s, %s", bt_names[i % 4], M(s, m), I(c, 1)),
                 x64_bt_mi(E, X64_BT + i % 4, s, m, c));
            EMIT(0, bad ? REFUSED : S("%s %s, %s", scan_names[i % 5], R(s, r), M(s, m)),
                 x64_bitscan_rm(E, i % 5, s, r, m));
            EMIT(0, bad ? REFUSED : S("cmov%s %s, %s", cc[i % 16], R(s, r), M(s, m)),
                 x64_cmov_rm(E, i % 16, s, r, m));
        }
        for (int r = 0; r < 16; r++)
            EMIT(0, s < 4 ? REFUSED : S("bswap %s", R(s, r)), x64_bswap(E, s, r));
    }
    for (unsigned k = 0; k < 16; k++) {
        for (int r = 0; r < 20; r++)
            EMIT(0, S("set%s %s", cc[k], R(1, r)), x64_setcc_r(E, k, r));
        FOR_MEMS(i, 37, k)
            EMIT(0, mem_bad(mems[i]) ? REFUSED : S("set%s %s", cc[k], M(1, mems[i])), x64_setcc_m(E, k, mems[i]));
        EMIT(8, S("j%s %s", cc[k], I((int64_t)PC0 + 0x1234, 8)), x64_jcc(E, k, PC0 + 0x1234));
        EMIT(8, S("j%s %s", cc[k], I((int64_t)PC0 - 0x7ffffff0, 8)), x64_jcc(E, k, PC0 - 0x7ffffff0));
        EMIT(8, S("j%s %s; nop", cc[k], I((int64_t)PC0 + 2, 8)),
             (x64_bind8(E, x64_jcc8(E, k)), x64_nop(E, 1)));
    }
}

static void test_misc(void)
{
    static const char *const cbw[3] = { "cbw", "cwde", "cdqe" }, *const cwd[3] = { "cwd", "cdq", "cqo" };
    for (unsigned si = 0; si < 4; si++) {
        EMIT(0, si ? cbw[si - 1] : REFUSED, x64_cbw(E, sizes[si]));
        EMIT(0, si ? cwd[si - 1] : REFUSED, x64_cwd(E, sizes[si]));
    }
    for (int r = 0; r < 16; r++) {
        EMIT(0, S("push %s", R(8, r)), x64_push_r(E, r));
        EMIT(0, S("pop %s", R(8, r)), x64_pop_r(E, r));
        EMIT(0, S("jmp %s", R(8, r)), x64_jmp_r(E, r));
        EMIT(0, S("call %s", R(8, r)), x64_call_r(E, r));
    }
    FOR_MEMS(i, 2, 0) {
        X64Mem m = mems[i];
        const char *bad = mem_bad(m) ? REFUSED : NULL;
        EMIT(0, bad ? bad : S("push %s", M(8, m)), x64_push_m(E, m));
        EMIT(0, bad ? bad : S("pop %s", M(8, m)), x64_pop_m(E, m));
        EMIT(0, bad ? bad : S("jmp %s", M(8, m)), x64_jmp_m(E, m));
        EMIT(0, bad ? bad : S("call %s", M(8, m)), x64_call_m(E, m));
        EMIT(0, bad ? bad : S("ldmxcsr %s", M(4, m)), x64_ldmxcsr(E, m));
        EMIT(0, bad ? bad : S("stmxcsr %s", M(4, m)), x64_stmxcsr(E, m));
    }
    for (unsigned k = 0; k < NIMMS; k++)
        EMIT(8, S("push %s", I(imms[k], 8)), x64_push_i(E, imms[k]));
    static const char *const plain[] = {
        "pushfq", "popfq", "lahf", "sahf", "clc", "stc", "cmc", "cld", "std", "ret",
        "ud2", "int3", "mfence", "lfence", "sfence", "pause" };
    for (unsigned k = 0; k < sizeof plain / sizeof plain[0]; k++)
        EMIT(0, plain[k], x64_plain(E, k));
    EMIT(0, REFUSED, x64_plain(E, (X64Plain)99));

    /* Branches: rel32 against the execute address; out of reach refused. */
    EMIT(8, S("jmp %s", I((int64_t)PC0 + 0x10, 8)), x64_jmp(E, PC0 + 0x10));
    EMIT(8, S("call %s", I((int64_t)PC0 - 0x100, 8)), x64_call(E, PC0 - 0x100));
    EMIT(0, REFUSED, x64_jmp(E, PC0 + 0x100000000ull));
    EMIT(0, REFUSED, x64_jcc(E, X64_CC_E, PC0 - 0x80000010ull));
    EMIT(8, S("call %s", I((int64_t)PC0 + 0x7fff0000, 8)), x64_call_abs(E, (void *)(uintptr_t)(PC0 + 0x7fff0000)));
    EMIT(8, S("movabs r11, %s; call r11", I((int64_t)PC0 + 0x200000000, 8)),
         x64_call_abs(E, (void *)(uintptr_t)(PC0 + 0x200000000)));
    EMIT(8, S("movabs r11, %s; jmp r11", I((int64_t)PC0 - 0x200000000, 8)),
         x64_jmp_abs(E, (void *)(uintptr_t)(PC0 - 0x200000000)));
    EMIT(8, S("jmp %s", I((int64_t)PC0 + 0x40, 8)), x64_jmp_abs(E, (void *)(uintptr_t)(PC0 + 0x40)));
    /* Placeholders bound later. */
    EMIT(8, S("jmp %s; nop dword ptr [rax]", I((int64_t)PC0 + 8, 8)),
         { size_t f = x64_jmp(E, x64_pc(E)); x64_nop(E, 3); x64_bind32(E, f); });
    EMIT(8, S("jne %s; nop dword ptr [rax + rax]", I((int64_t)PC0 + 11, 8)),
         { size_t f = x64_jcc(E, X64_CC_NE, x64_pc(E)); x64_nop(E, 5); x64_bind32(E, f); });
    EMIT(8, S("jmp %s; nop word ptr [rax + rax]", I((int64_t)PC0 + 11, 8)),
         { size_t f = x64_jmp8(E); x64_nop(E, 9); x64_bind8(E, f); });
    EMIT(0, "(refused after writing)", { size_t f = x64_jmp8(E); x64_nop(E, 128); x64_bind8(E, f); });
    EMIT(8, S("call %s", I((int64_t)PC0 + 0x5000, 8)), {
        size_t f = x64_call(E, x64_pc(E));
        if (!x64_patch_rel32(E->start + f, E->exec_delta, PC0 + 0x5000)) E->overflow = true;
    });
    /* Out of reach: false, and the field is left as it was. */
    EMIT(8, S("call %s", I((int64_t)PC0, 8)), {
        size_t f = x64_call(E, x64_pc(E));
        if (x64_patch_rel32(E->start + f, E->exec_delta, PC0 + 0x80000005ull)) E->overflow = true;
    });

    /* NOPs: the recommended forms, each one instruction of its length. */
    static const char *const nop_text[9] = {
        "nop", "nop", "nop dword ptr [rax]", "nop dword ptr [rax]", "nop dword ptr [rax + rax]",
        "nop word ptr [rax + rax]", "nop dword ptr [rax]", "nop dword ptr [rax + rax]",
        "nop word ptr [rax + rax]" };
    for (unsigned n = 1; n <= 30; n++) {
        char want[512] = "";
        int w = 0;
        for (unsigned left = n; left; left -= left < 9 ? left : 9)
            w += snprintf(want + w, sizeof want - (size_t)w, "%s%s", w ? "; " : "", nop_text[(left < 9 ? left : 9) - 1]);
        EMIT(0, want, x64_nop(E, n));
    }
}

/* ---- SSE ------------------------------------------------------------------------ */

static void test_sse(void)
{
    for (int x = 0; x < 16; x++)
        for (int r = 0; r < 16; r++) {
            EMIT(0, S("movd %s, %s", X(x), R(4, r)), x64_movd_xr(E, 4, x, r));
            EMIT(0, S("movq %s, %s", X(x), R(8, r)), x64_movd_xr(E, 8, x, r));
            EMIT(0, S("movd %s, %s", R(4, r), X(x)), x64_movd_rx(E, 4, r, x));
            EMIT(0, S("movq %s, %s", R(8, r), X(x)), x64_movd_rx(E, 8, r, x));
            EMIT(0, REFUSED, x64_movd_xr(E, 2, x, r));
        }
    static const struct { X64SseMov op; const char *name; unsigned msize; } movs[] = {
        { X64_MOVDQU, "movdqu", 16 }, { X64_MOVDQA, "movdqa", 16 }, { X64_MOVUPS, "movups", 16 },
        { X64_MOVAPS, "movaps", 16 }, { X64_MOVSD, "movsd", 8 }, { X64_MOVSS, "movss", 4 },
        { X64_MOVQ, "movq", 8 } };
    static const struct { X64Enc op; const char *name; unsigned msize; bool gpr64; } ops[] = {
        { X64_PADDD, "paddd", 16, 0 }, { X64_PSUBD, "psubd", 16, 0 }, { X64_PXOR, "pxor", 16, 0 },
        { X64_PAND, "pand", 16, 0 }, { X64_POR, "por", 16, 0 }, { X64_PSHUFB, "pshufb", 16, 0 },
        { X64_ADDPS, "addps", 16, 0 }, { X64_MULPS, "mulps", 16, 0 }, { X64_XORPS, "xorps", 16, 0 },
        { X64_ADDSD, "addsd", 8, 0 }, { X64_MULSD, "mulsd", 8, 0 }, { X64_SUBSS, "subss", 4, 0 },
        { X64_UCOMISD, "ucomisd", 8, 0 },
        { X64_SSE(X64E_F2 | X64E_W, X64E_0F, 0x2A), "cvtsi2sd", 8, 1 } };
    for (int a = 0; a < 16; a++)
        for (int b = 0; b < 16; b++) {
            unsigned k = (unsigned)(a * 16 + b);
            unsigned mi = k % (sizeof movs / sizeof movs[0]), oi = k % (sizeof ops / sizeof ops[0]);
            EMIT(0, S("%s %s, %s", movs[mi].name, X(a), X(b)), x64_ssemov_xx(E, movs[mi].op, a, b));
            EMIT(0, S("%s %s, %s", ops[oi].name, X(a), ops[oi].gpr64 ? R(8, b) : X(b)),
                 x64_sse_xx(E, ops[oi].op, a, b));
            EMIT(1, S("pshufd %s, %s, %s", X(a), X(b), I(k & 0xff, 1)), x64_sse_xxi(E, X64_PSHUFD, a, b, (uint8_t)k));
            EMIT(1, S("palignr %s, %s, %s", X(a), X(b), I(k & 0xff, 1)),
                 x64_sse_xxi(E, X64_SSE(X64E_66, X64E_0F3A, 0x0F), a, b, (uint8_t)k));
        }
    FOR_MEMS(i, 2, 1) {
        X64Mem m = mems[i];
        int x = (int)(i % 16);
        bool bad = mem_bad(m);
        unsigned mi = i % (sizeof movs / sizeof movs[0]), oi = i % (sizeof ops / sizeof ops[0]);
        EMIT(0, bad ? REFUSED : S("movd %s, %s", X(x), M(4, m)), x64_movd_xm(E, 4, x, m));
        EMIT(0, bad ? REFUSED : S("movq %s, %s", M(8, m), X(x)), x64_movd_mx(E, 8, m, x));
        EMIT(0, bad ? REFUSED : S("%s %s, %s", movs[mi].name, X(x), M(movs[mi].msize, m)),
             x64_ssemov_xm(E, movs[mi].op, x, m));
        EMIT(0, bad ? REFUSED : S("%s %s, %s", movs[mi].name, M(movs[mi].msize, m), X(x)),
             x64_ssemov_mx(E, movs[mi].op, m, x));
        EMIT(0, bad ? REFUSED : S("%s %s, %s", ops[oi].name, X(x), M(ops[oi].msize, m)),
             x64_sse_xm(E, ops[oi].op, x, m));
        EMIT(1, bad ? REFUSED : S("pshufd %s, %s, %s", X(x), M(16, m), I(i & 0xff, 1)),
             x64_sse_xmi(E, X64_PSHUFD, x, m, (uint8_t)i));
    }
}

/* ---- golden bytes, overflow ------------------------------------------------------ */

static void golden(int line, void (*emit)(X64 *), const char *hex)
{
    uint8_t buf[32], want[32];
    size_t n = 0;
    for (const char *p = hex; *p; p += 2 + (p[2] == ' '))
        want[n++] = (uint8_t)strtoul((char[3]){ p[0], p[1], 0 }, NULL, 16);
    X64 e;
    x64_init(&e, buf, sizeof buf, 0);
    emit(&e);
    if (e.overflow || x64_len(&e) != n || memcmp(buf, want, n)) {
        failed++;
        printf("FAIL line %d: golden %s, got", line, hex);
        for (size_t i = 0; i < x64_len(&e); i++)
            printf(" %02x", buf[i]);
        printf("%s\n", e.overflow ? " (overflow)" : "");
    } else {
        passed++;
    }
}

static void g1(X64 *e) { x64_alu_mi(e, X64_ADD, 8, x64_mem_idx(X64_R13, X64_RAX, 4, 8), 0x7f); }
static void g2(X64 *e) { x64_mov_rm(e, 8, X64_RAX, x64_mem(X64_RSP, 0)); }
static void g3(X64 *e) { x64_mov_rm(e, 4, X64_RAX, x64_mem(X64_RBP, 0)); }
static void g4(X64 *e) { x64_mov_rm(e, 4, X64_RAX, x64_mem(X64_R13, 0)); }
static void g5(X64 *e) { x64_mov_rm(e, 4, X64_RAX, x64_mem(X64_R12, 0)); }
static void g6(X64 *e) { x64_mov_ri(e, 8, X64_RAX, 0x123456789abcdef0); }
static void g7(X64 *e) { x64_mov_ri(e, 8, X64_RCX, 0xffffffff); }
static void g8(X64 *e) { x64_mov_ri(e, 8, X64_RCX, ~0ull); }
static void g9(X64 *e) { x64_mov_rr(e, 1, X64_RSI, X64_RAX); }          /* mov sil, al */
static void g10(X64 *e) { x64_mov_rr(e, 1, X64_AH, X64_RAX); }          /* mov ah, al */
static void g11(X64 *e) { x64_lea(e, 8, X64_RAX, x64_mem(X64_RIP, 0x10)); }
static void g12(X64 *e) { x64_mov_rm(e, 4, X64_RAX, x64_mem(X64_NOREG, 0x10)); }
static void g13(X64 *e) { x64_jmp(e, x64_pc(e)); }
static void g14(X64 *e) { x64_mov_mi(e, 2, x64_mem(X64_RIP, -4), 0x1234); }
static void g15(X64 *e) { x64_alu_ri(e, X64_SUB, 4, X64_RAX, 0x1000); }
static void g16(X64 *e) { x64_nop(e, 9); }
static void g17(X64 *e) { x64_lock(e); x64_cmpxchg_mr(e, 2, x64_mem_idx(X64_NOREG, X64_R9, 8, -8), X64_R8); }

static void test_golden(void)
{
    golden(__LINE__, g1, "49 83 44 85 08 7f");
    golden(__LINE__, g2, "48 8b 04 24");
    golden(__LINE__, g3, "8b 45 00");
    golden(__LINE__, g4, "41 8b 45 00");
    golden(__LINE__, g5, "41 8b 04 24");
    golden(__LINE__, g6, "48 b8 f0 de bc 9a 78 56 34 12");
    golden(__LINE__, g7, "b9 ff ff ff ff");
    golden(__LINE__, g8, "48 c7 c1 ff ff ff ff");
    golden(__LINE__, g9, "40 88 c6");
    golden(__LINE__, g10, "88 c4");
    golden(__LINE__, g11, "48 8d 05 10 00 00 00");
    golden(__LINE__, g12, "8b 04 25 10 00 00 00");
    golden(__LINE__, g13, "e9 fb ff ff ff");
    golden(__LINE__, g14, "66 c7 05 fc ff ff ff 34 12");
    golden(__LINE__, g15, "2d 00 10 00 00");
    golden(__LINE__, g16, "66 0f 1f 84 00 00 00 00 00");
    golden(__LINE__, g17, "f0 66 46 0f b1 04 cd f8 ff ff ff");

    /* Out of room: nothing written, and nothing after either. */
    uint8_t buf[4] = { 0xAA, 0xAA, 0xAA, 0xAA };
    X64 e;
    x64_init(&e, buf, 3, 0);
    x64_mov_rm(&e, 8, X64_RAX, x64_mem(X64_RSP, 0));   /* 4 bytes */
    x64_plain(&e, X64_RET);
    bool ok = e.overflow && x64_len(&e) == 0 && buf[0] == 0xAA && buf[3] == 0xAA;
    x64_init(&e, buf, 4, 0);
    x64_mov_rm(&e, 8, X64_RAX, x64_mem(X64_RSP, 0));   /* exactly fits */
    ok = ok && !e.overflow && x64_len(&e) == 4;
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL: overflow handling\n");
    }
}

/* ---- running emitted code ---------------------------------------------------------- */

static uint64_t helper(uint64_t x) { return x * 3 + 1; }

typedef struct { uint8_t *w, *x; size_t size; } Dual;

/* One memfd mapped RW (written) and RX (run), as the code cache does. */
static bool dual_map(Dual *d, size_t size)
{
    int fd = memfd_create("test_x64", 0);
    if (fd < 0 || ftruncate(fd, (off_t)size)) {
        perror("memfd");
        return false;
    }
    d->w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    d->x = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    d->size = size;
    close(fd);
    return d->w != MAP_FAILED && d->x != MAP_FAILED;
}

static void expect_eq(const char *what, uint64_t got, uint64_t want)
{
    if (got == want) {
        passed++;
    } else {
        failed++;
        printf("FAIL run %s: got %#" PRIx64 ", want %#" PRIx64 "\n", what, got, want);
    }
}

static void test_run(void)
{
    Dual d;
    if (!dual_map(&d, 1 << 16)) {
        failed++;
        return;
    }
    X64 e;
    x64_init(&e, d.w, d.size, d.x - d.w);
    typedef uint64_t (*Fn2)(uint64_t, uint64_t);

    /* a + b*4 through LEA. */
    Fn2 lea = (Fn2)(uintptr_t)x64_pc(&e);
    x64_lea(&e, 8, X64_RAX, x64_mem_idx(X64_RDI, X64_RSI, 4, 0));
    x64_plain(&e, X64_RET);

    /* RFLAGS after a + b, read back with PUSHFQ. */
    Fn2 addf = (Fn2)(uintptr_t)x64_pc(&e);
    x64_mov_rr(&e, 8, X64_RAX, X64_RDI);
    x64_alu_rr(&e, X64_ADD, 8, X64_RAX, X64_RSI);
    x64_plain(&e, X64_PUSHFQ);
    x64_pop_r(&e, X64_RAX);
    x64_plain(&e, X64_RET);

    /* sum of 1..n: a short forward skip and a rel32 loop back. */
    Fn2 sum = (Fn2)(uintptr_t)x64_pc(&e);
    x64_alu_rr(&e, X64_XOR, 4, X64_RAX, X64_RAX);
    x64_test_rr(&e, 8, X64_RDI, X64_RDI);
    size_t skip = x64_jcc8(&e, X64_CC_E);
    uintptr_t loop = x64_pc(&e);
    x64_alu_rr(&e, X64_ADD, 8, X64_RAX, X64_RDI);
    x64_unary_r(&e, X64_DEC, 8, X64_RDI);
    x64_jcc(&e, X64_CC_NE, loop);
    x64_bind8(&e, skip);
    x64_plain(&e, X64_RET);

    /* A host function through x64_call_abs (the stack kept 16-aligned). */
    Fn2 call = (Fn2)(uintptr_t)x64_pc(&e);
    x64_push_r(&e, X64_RBX);
    x64_call_abs(&e, (const void *)helper);
    x64_alu_ri(&e, X64_ADD, 8, X64_RAX, 1000);
    x64_pop_r(&e, X64_RBX);
    x64_plain(&e, X64_RET);

    /* Packed 32-bit adds through XMM registers. */
    Fn2 paddd = (Fn2)(uintptr_t)x64_pc(&e);
    x64_movd_xr(&e, 8, 3, X64_RDI);
    x64_movd_xr(&e, 8, 12, X64_RSI);
    x64_sse_xx(&e, X64_PADDD, 3, 12);
    x64_movd_rx(&e, 8, X64_RAX, 3);
    x64_plain(&e, X64_RET);

    /* AH and a 64-bit constant: ((a & 0xff) << 8 | b's byte) ^ movabs. */
    Fn2 bytes = (Fn2)(uintptr_t)x64_pc(&e);
    x64_mov_rr(&e, 8, X64_RAX, X64_RSI);
    x64_mov_rr(&e, 1, X64_AH, X64_RDI);   /* mov ah, dil: refused */
    bool refused = e.overflow;
    e.overflow = false;
    x64_mov_rr(&e, 8, X64_RDX, X64_RDI);
    x64_mov_rr(&e, 1, X64_AH, X64_RDX);   /* mov ah, dl */
    x64_movzx_rr(&e, 4, X64_RAX, 2, X64_RAX);
    x64_mov_ri(&e, 8, X64_R10, 0x123456789abcdef0);
    x64_alu_rr(&e, X64_XOR, 8, X64_RAX, X64_R10);
    x64_plain(&e, X64_RET);
    expect_eq("mov ah, dil refused", refused, 1);

    if (e.overflow) {
        failed++;
        printf("FAIL run: overflow\n");
        return;
    }
    expect_eq("lea", lea(5, 7), 33);
    expect_eq("lea wrap", lea(~0ull, 1), 3);
    static const uint64_t vals[] = { 0, 1, 0x7fffffffffffffff, 0x8000000000000000, ~0ull, 0x0f, 0x123 };
    for (unsigned i = 0; i < 7; i++)
        for (unsigned j = 0; j < 7; j++) {
            uint64_t a = vals[i], b = vals[j], r = a + b;
            uint64_t want = (r < a) | (uint64_t)!(__builtin_popcount(r & 0xff) & 1) << 2 |
                            ((a ^ b ^ r) & 0x10) | (uint64_t)(r == 0) << 6 | (r >> 63) << 7 |
                            (((a ^ r) & (b ^ r)) >> 63) << 11;
            expect_eq(S("add flags %#" PRIx64 "+%#" PRIx64, a, b), addf(a, b) & 0x8d5, want);
        }
    expect_eq("sum 0", sum(0, 0), 0);
    expect_eq("sum 100", sum(100, 0), 5050);
    expect_eq("call_abs", call(0, 0), helper(0) + 1000);
    expect_eq("paddd", paddd(0x00000001ffffffff, 0x0000000200000001), 0x0000000300000000);
    expect_eq("ah", bytes(0x1234, 0xabcd), (0x34cd) ^ 0x123456789abcdef0);
    munmap(d.w, d.size);
    munmap(d.x, d.size);

    /* The far form of x64_call_abs, from code placed over 2 GiB away. */
    uintptr_t far = ((uintptr_t)helper + (1ull << 36)) & ~(uintptr_t)0xfff;
    uint8_t *page = mmap((void *)far, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        failed++;
        return;
    }
    x64_init(&e, page, 4096, 0);
    x64_push_r(&e, X64_RBX);
    x64_call_abs(&e, (const void *)helper);
    size_t n = x64_len(&e);
    x64_pop_r(&e, X64_RBX);
    x64_plain(&e, X64_RET);
    mprotect(page, 4096, PROT_READ | PROT_EXEC);
    bool reach = (intptr_t)((uintptr_t)helper - (uintptr_t)page) == (int32_t)((uintptr_t)helper - (uintptr_t)page);
    expect_eq("call_abs form", n, reach ? 6 : 14);
    expect_eq("call_abs far", ((Fn2)(uintptr_t)page)(7, 0), helper(7));
    munmap(page, 4096);
}

int main(void)
{
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        fprintf(stderr, "cs_open failed\n");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);   /* the report survives a crash */
    make_mems();
    test_alu();
    test_test_mov();
    test_movx_lea();
    test_groups();
    test_wide();
    test_misc();
    test_sse();
    test_golden();
    /* Code from a broken encoder may crash: run it only on good encodings. */
    if (!failed)
        test_run();
    else
        printf("FAIL: encodings wrong, emitted code not run\n");
    cs_close(&cs);
    printf("test_x64: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

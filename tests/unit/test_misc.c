/* test_misc.c — strings, CMPXCHG/XADD/CMPXCHG8B/16B, MOVZX/MOVSX/MOVSXD,
 * BSWAP, XLAT, ENTER/LEAVE, PUSHF/POPF, LOOP/JrCXZ, Jcc Jz, NOPs and UD*,
 * each run natively on this host and in the interpreter from identical
 * random states (see test_misc_harness.h). */
#if !defined(__x86_64__) || !defined(__linux__)
#include <stdio.h>
/* The oracle is the host CPU: nothing to compare against elsewhere. */
int main(void)
{
    printf("0 passed, 0 failed (not an x86-64 Linux host: native oracle unavailable)\n");
    return 0;
}
#else
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test_misc_harness.h"

typedef struct Code {
    uint8_t b[16];
    size_t n;
} Code;

static void put(Code *c, unsigned byte) { c->b[c->n++] = (uint8_t)byte; }

/* Operand-size prefix/REX for a size, plus extra REX bits (R, X, B).
 * Returns whether a REX byte was emitted. */
static bool size_prefix(Code *c, unsigned osz, unsigned rex_extra, int force_rex)
{
    if (osz == 2)
        put(c, 0x66);
    unsigned rex = (osz == 8 ? 8 : 0) | rex_extra;
    if (rex || force_rex)
        put(c, 0x40 | rex);
    return rex || force_rex;
}

static const unsigned sizes[4] = { 1, 2, 4, 8 };
static const uint32_t flag_choices[] = { 0, F_CF, F_ZF, F_OSZAPC, F_SF | F_OF, F_PF | F_AF };

static uint64_t random_flags(Harness *h)
{
    return flag_choices[h_rand(h) % 6] | ((h_rand(h) & 1) ? F_DF : 0);
}

/* ---- strings ---------------------------------------------------------- */

static void test_strings(Harness *h)
{
    static const uint8_t ops[5] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };  /* MOVS CMPS STOS LODS SCAS */
    static const char *const names[5] = { "movs", "cmps", "stos", "lods", "scas" };
    static const uint64_t counts[] = { 0, 1, 2, 3, 17, 64, 5000 };
    static const unsigned segs[] = { 0, 0x26, 0x2e, 0x36, 0x3e, 0x65 };
    for (int iter = 0; iter < 1500; iter++) {
        unsigned op = (unsigned)(h_rand(h) % 5);
        unsigned osz = sizes[h_rand(h) % 4];
        unsigned rep = (unsigned)(h_rand(h) % 3);   /* none, F3, F2 */
        bool a32 = h_rand(h) % 3 == 0;
        unsigned seg = segs[h_rand(h) % 6];
        Code c = { .n = 0 };
        if (seg)
            put(&c, seg);
        if (a32)
            put(&c, 0x67);
        if (rep)
            put(&c, rep == 1 ? 0xf3 : 0xf2);
        size_prefix(&c, osz, 0, 0);
        put(&c, ops[op] + (osz > 1));

        HRegs in;
        h_random_regs(h, &in, random_flags(h));
        bool df = in.fl & F_DF;
        uint64_t cnt = counts[h_rand(h) % 7];
        if (cnt == 17)
            cnt = h_rand(h) % 100;
        /* rSI/rDI and their opposite ends both stay inside the window */
        uint64_t span = (cnt + 2) * osz;
        uint64_t si = H_WINDOW + 0x1000 + (h_rand(h) & 63) + (df ? span : 0);
        uint64_t di = H_WINDOW + 0x80000 + (h_rand(h) & 63) + (df ? span : 0);
        in.r[R_SI] = si;
        in.r[R_DI] = di;
        in.r[R_CX] = rep ? cnt : in.r[R_CX];
        if (a32) {  /* upper halves must be ignored, and cleared by writes */
            in.r[R_SI] |= h_rand(h) << 32;
            in.r[R_DI] |= h_rand(h) << 32;
            if (rep)
                in.r[R_CX] |= h_rand(h) << 32;
        }
        /* Comparisons: make the destination a copy of the source with a
         * few differences, and SCAS data drawn from a tiny alphabet. */
        h_random_window(h);
        uint64_t lo_si = si - (df ? span : 0) - 16, lo_di = di - (df ? span : 0) - 16;
        size_t bytes = (size_t)(span + 32);
        if (bytes > 0x40000)
            bytes = 0x40000;
        memcpy(h->init + (lo_di - H_WINDOW), h->init + (lo_si - H_WINDOW), bytes);
        unsigned ndiff = (unsigned)(h_rand(h) % 4);
        for (unsigned i = 0; i < ndiff; i++)
            h->init[lo_di - H_WINDOW + h_rand(h) % bytes] ^= (uint8_t)(1 + h_rand(h) % 255);
        if (op == 4) {
            for (size_t i = 0; i < bytes; i++)
                h->init[lo_di - H_WINDOW + i] = (uint8_t)(h_rand(h) % 9 == 0);
            in.r[R_AX] = (h_rand(h) & 1) ? 0 : 0x0101010101010101ull;
        }
        char name[64];
        snprintf(name, sizeof name, "%s%s osz %u a%d seg %#x df %d cnt %llu",
                 rep == 1 ? "rep " : rep == 2 ? "repne " : "", names[op], osz, a32 ? 32 : 64,
                 seg, df, (unsigned long long)cnt);
        h_check(h, name, c.b, c.n, &in, H_FLAGS_ALL);
    }
}

/* ---- ModRM helpers ---------------------------------------------------- */

/* Emits [pfx] opcode bytes with ModRM reg=reg and either register rm or
 * memory [base + disp8]; base is never RSP/RBP/R12/R13 (no SIB/disp
 * quirks needed).  Sets base in *in to point into the window. */
static bool emit_rm(Harness *h, Code *c, unsigned osz, const uint8_t *opc, size_t nopc,
                    unsigned reg, int rm, bool mem, HRegs *in, uint64_t *ea)
{
    static const unsigned bases[] = { 0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 14, 15 };
    unsigned base = bases[h_rand(h) % 12];
    unsigned b = mem ? base : (unsigned)rm;
    unsigned rex = ((reg & 8) ? 4 : 0) | ((b & 8) ? 1 : 0);
    bool has_rex = size_prefix(c, osz, rex, h_rand(h) & 1);
    for (size_t i = 0; i < nopc; i++)
        put(c, opc[i]);
    if (mem) {
        int8_t d = (int8_t)(h_rand(h) & 0x7f);
        put(c, 0x40 | ((reg & 7) << 3) | (b & 7));
        put(c, (uint8_t)d);
        uint64_t addr = H_WINDOW + 0x40000 + (h_rand(h) & 0xff8) + (h_rand(h) % 3 ? 0 : h_rand(h) & 7);
        in->r[base] = addr - (uint64_t)d;
        *ea = addr;
    } else {
        put(c, 0xc0 | ((reg & 7) << 3) | (b & 7));
    }
    return has_rex;
}

static void test_cmpxchg_xadd(Harness *h)
{
    for (int iter = 0; iter < 3000; iter++) {
        bool xadd = iter & 1;
        unsigned osz = sizes[h_rand(h) % 4];
        uint8_t opc[2] = { 0x0f, (uint8_t)((xadd ? 0xc0 : 0xb0) + (osz > 1)) };
        bool mem = h_rand(h) & 1;
        bool lock = mem && h_rand(h) % 3 == 0;
        HRegs in;
        h_random_regs(h, &in, random_flags(h) & ~(uint64_t)F_DF);
        h_random_window(h);
        Code c = { .n = 0 };
        if (lock)
            put(&c, 0xf0);
        unsigned reg = (unsigned)(h_rand(h) % 16), rm = (unsigned)(h_rand(h) % 16);
        uint64_t ea = 0;
        bool rex = emit_rm(h, &c, osz, opc, 2, reg, (int)rm, mem, &in, &ea);
        /* Half the time make the comparison succeed. */
        if (!xadd && (h_rand(h) & 1)) {
            if (mem)
                memcpy(h->init + (ea - H_WINDOW), &in.r[R_AX], osz);
            else if (osz == 1 && !rex && rm >= 4 && rm < 8)  /* AH..BH */
                in.r[R_AX] = (in.r[R_AX] & ~0xffull) | ((in.r[rm - 4] >> 8) & 0xff);
            else
                in.r[R_AX] = in.r[rm];
        }
        char name[64];
        snprintf(name, sizeof name, "%s%s osz %u %s", lock ? "lock " : "",
                 xadd ? "xadd" : "cmpxchg", osz, mem ? "mem" : "reg");
        h_check(h, name, c.b, c.n, &in, H_FLAGS_ALL);
    }
}

static void test_cmpxchg8b16b(Harness *h)
{
    for (int iter = 0; iter < 600; iter++) {
        bool wide = iter & 1;
        HRegs in;
        h_random_regs(h, &in, random_flags(h));
        h_random_window(h);
        Code c = { .n = 0 };
        if (h_rand(h) & 1)
            put(&c, 0xf0);
        if (wide)
            put(&c, 0x48);
        put(&c, 0x0f);
        put(&c, 0xc7);
        put(&c, 0x0f);  /* mod 0, reg 1, rm 7: [rdi] */
        uint64_t addr = H_WINDOW + 0x20000 + (h_rand(h) & 0xff0);
        if (h_rand(h) % 4 == 0)
            addr += 8;  /* misaligned for CMPXCHG16B: #GP */
        in.r[R_DI] = addr;
        unsigned half = wide ? 8 : 4;
        if (h_rand(h) & 1) {
            memcpy(h->init + (addr - H_WINDOW), &in.r[R_AX], half);
            memcpy(h->init + (addr - H_WINDOW) + half, &in.r[R_DX], half);
        } else if (h_rand(h) & 1) {
            memcpy(h->init + (addr - H_WINDOW), &in.r[R_AX], half);  /* low half only */
        }
        h_check(h, wide ? "cmpxchg16b" : "cmpxchg8b", c.b, c.n, &in, H_FLAGS_ALL);
    }
}

/* ---- moves ------------------------------------------------------------ */

static void test_movx(Harness *h)
{
    static const uint8_t ops[5][2] = { { 0x0f, 0xb6 }, { 0x0f, 0xb7 }, { 0x0f, 0xbe }, { 0x0f, 0xbf }, { 0x63 } };
    static const char *const names[5] = { "movzx Eb", "movzx Ew", "movsx Eb", "movsx Ew", "movsxd" };
    for (int iter = 0; iter < 2000; iter++) {
        unsigned k = (unsigned)(h_rand(h) % 5);
        unsigned osz = sizes[1 + h_rand(h) % 3];
        bool mem = h_rand(h) & 1;
        HRegs in;
        h_random_regs(h, &in, random_flags(h));
        h_random_window(h);
        Code c = { .n = 0 };
        uint64_t ea;
        emit_rm(h, &c, osz, ops[k], k == 4 ? 1 : 2, (unsigned)(h_rand(h) % 16), (int)(h_rand(h) % 16),
                mem, &in, &ea);
        char name[64];
        snprintf(name, sizeof name, "%s osz %u %s", names[k], osz, mem ? "mem" : "reg");
        h_check(h, name, c.b, c.n, &in, H_FLAGS_ALL);
    }
}

static void test_bswap(Harness *h)
{
    for (unsigned r = 0; r < 16; r++) {
        for (unsigned s = 1; s < 4; s++) {
            HRegs in;
            h_random_regs(h, &in, random_flags(h));
            in.r[R_SP] = h_rand(h);  /* BSWAP ESP is fine too */
            Code c = { .n = 0 };
            size_prefix(&c, sizes[s], (r & 8) ? 1 : 0, 0);
            put(&c, 0x0f);
            put(&c, 0xc8 + (r & 7));
            h_check(h, "bswap", c.b, c.n, &in, H_FLAGS_ALL);
        }
    }
}

static void test_xlat(Harness *h)
{
    static const unsigned segs[] = { 0, 0x26, 0x36, 0x3e, 0x65 };
    for (int iter = 0; iter < 300; iter++) {
        HRegs in;
        h_random_regs(h, &in, random_flags(h));
        h_random_window(h);
        Code c = { .n = 0 };
        unsigned seg = segs[h_rand(h) % 5];
        bool a32 = h_rand(h) & 1;
        if (seg)
            put(&c, seg);
        if (a32)
            put(&c, 0x67);
        if (h_rand(h) & 1)
            put(&c, 0x48);  /* REX.W does not change XLAT */
        put(&c, 0xd7);
        in.r[R_BX] = H_WINDOW + 0x3000 + (h_rand(h) & 0xfff);
        if (a32)
            in.r[R_BX] |= h_rand(h) << 32;
        h_check(h, "xlat", c.b, c.n, &in, H_FLAGS_ALL);
    }
}

/* ---- stack ------------------------------------------------------------ */

static void test_enter_leave(Harness *h)
{
    for (int iter = 0; iter < 800; iter++) {
        HRegs in;
        h_random_regs(h, &in, random_flags(h));
        h_random_window(h);
        in.r[R_SP] = H_WINDOW + 0x80000 + (h_rand(h) & 0xfff);
        in.r[R_BP] = H_WINDOW + 0x90000 + (h_rand(h) & 0xfff);
        if (h_rand(h) % 3 == 0)  /* old display overlapping the new frame */
            in.r[R_BP] = in.r[R_SP] + (h_rand(h) & 0xff);
        Code c = { .n = 0 };
        bool o16 = h_rand(h) % 4 == 0;
        if (o16)
            put(&c, 0x66);
        if (iter % 3 == 0) {
            put(&c, 0xc9);  /* LEAVE */
            in.r[R_BP] = H_WINDOW + 0x80000 + (h_rand(h) & 0xfff);
            h_check(h, o16 ? "leave o16" : "leave", c.b, c.n, &in, H_FLAGS_ALL);
            continue;
        }
        unsigned alloc = (unsigned)(h_rand(h) % 3 == 0 ? 0 : h_rand(h) & 0x3ff);
        unsigned level = (unsigned)(h_rand(h) % 40);  /* above 31 wraps */
        if (h_rand(h) & 1)
            level &= 3;
        put(&c, 0xc8);
        put(&c, alloc & 0xff);
        put(&c, alloc >> 8);
        put(&c, level);
        char name[64];
        snprintf(name, sizeof name, "enter %u,%u%s", alloc, level, o16 ? " o16" : "");
        h_check(h, name, c.b, c.n, &in, H_FLAGS_ALL);
    }
}

static void test_pushf_popf(Harness *h)
{
    /* Every bit that exists, so POPF's masking is compared in full (TF is
     * left out: it would trap on the host). */
    const uint64_t all = F_OSZAPC | F_DF | F_IF | F_IOPL | F_NT | F_RF | F_VM | F_AC |
                         F_VIF | F_VIP | F_ID;
    for (int iter = 0; iter < 600; iter++) {
        HRegs in;
        h_random_regs(h, &in, random_flags(h) | ((h_rand(h) & 1) ? F_ID : 0) |
                                  ((h_rand(h) & 1) ? F_AC : 0));
        h_random_window(h);
        Code c = { .n = 0 };
        bool pop = iter & 1;
        bool o16 = h_rand(h) % 4 == 0;
        if (o16)
            put(&c, 0x66);
        if (h_rand(h) % 3 == 0)
            put(&c, 0x48);  /* REX.W: still 64-bit */
        put(&c, pop ? 0x9d : 0x9c);
        uint64_t img = h_rand(h) & ~(uint64_t)F_TF & ~(uint64_t)(F_AC);
        if (h_rand(h) & 1)
            img |= F_AC;
        memcpy(h->init + (in.r[R_SP] - H_WINDOW), &img, 8);
        h_check(h, pop ? (o16 ? "popf o16" : "popf") : (o16 ? "pushf o16" : "pushf"), c.b, c.n,
                &in, (uint32_t)all);
    }
}

/* ---- branches --------------------------------------------------------- */

static void test_loops(Harness *h)
{
    static const uint64_t counts[] = { 0, 1, 2, 3, 0x100000000ull, 0x10001, 0xffffffffull };
    for (int iter = 0; iter < 1500; iter++) {
        HRegs in;
        h_random_regs(h, &in, random_flags(h));
        Code c = { .n = 0 };
        bool a32 = h_rand(h) & 1;
        unsigned op = 0xe0 + (unsigned)(h_rand(h) % 4);
        if (a32)
            put(&c, 0x67);
        if (h_rand(h) & 1)
            put(&c, 0x48);
        put(&c, op);
        put(&c, 7);
        uint64_t cnt = h_rand(h) % 3 ? counts[h_rand(h) % 7] : h_rand(h);
        in.r[R_CX] = cnt;
        char name[64];
        snprintf(name, sizeof name, "%s a%d cnt %#llx",
                 op == 0xe0 ? "loopne" : op == 0xe1 ? "loope" : op == 0xe2 ? "loop" : "jrcxz",
                 a32 ? 32 : 64, (unsigned long long)cnt);
        h_check(h, name, c.b, c.n, &in, H_FLAGS_ALL);
    }
    for (unsigned cc = 0; cc < 16; cc++) {
        for (int k = 0; k < 16; k++) {
            HRegs in;
            h_random_regs(h, &in, (uint64_t)(k * 0x8d5) & F_OSZAPC);
            uint8_t code[6] = { 0x0f, (uint8_t)(0x80 + cc), 7, 0, 0, 0 };
            h_check(h, "jcc jz", code, 6, &in, H_FLAGS_ALL);
        }
    }
}

/* ---- no-ops and invalid opcodes --------------------------------------- */

static void test_nops_ud(Harness *h)
{
    for (unsigned op = 0x18; op <= 0x1f; op++) {
        for (unsigned modrm = 0; modrm < 256; modrm += 7) {
            HRegs in;
            h_random_regs(h, &in, random_flags(h));  /* random bases: nothing is accessed */
            /* SIB (if any) and displacement bytes are zero */
            unsigned mod = modrm >> 6, rm = modrm & 7;
            size_t len = 3 + (mod != 3 && rm == 4) +
                         (mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 5) ? 4 : 0);
            uint8_t code[8] = { 0x0f, (uint8_t)op, (uint8_t)modrm, 0, 0, 0, 0, 0 };
            h_check(h, "hint nop", code, len, &in, H_FLAGS_ALL);
        }
    }
    /* 0F 0D: prefetch with memory, #UD with a register operand */
    for (unsigned reg = 0; reg < 8; reg++) {
        HRegs in;
        h_random_regs(h, &in, 0);
        uint8_t m[3] = { 0x0f, 0x0d, (uint8_t)(reg << 3 | 3) };
        h_check(h, "prefetch m", m, 3, &in, H_FLAGS_ALL);
        uint8_t r[3] = { 0x0f, 0x0d, (uint8_t)(0xc0 | reg << 3 | 3) };
        h_check(h, "0f 0d reg", r, 3, &in, H_FLAGS_ALL);
    }
    HRegs in;
    h_random_regs(h, &in, F_CF);
    uint8_t ud2[2] = { 0x0f, 0x0b }, ud1[3] = { 0x0f, 0xb9, 0xc1 }, ud0[3] = { 0x0f, 0xff, 0x01 };
    uint8_t ud1m[4] = { 0x48, 0x0f, 0xb9, 0x00 };
    h_check(h, "ud2", ud2, 2, &in, H_FLAGS_ALL);
    h_check(h, "ud1 reg", ud1, 3, &in, H_FLAGS_ALL);
    h_check(h, "ud1 mem", ud1m, 4, &in, H_FLAGS_ALL);
    h_check(h, "ud0", ud0, 3, &in, H_FLAGS_ALL);
    uint8_t cx8reg[3] = { 0x0f, 0xc7, 0xc9 };
    h_check(h, "cmpxchg8b reg", cx8reg, 3, &in, H_FLAGS_ALL);
}

int main(void)
{
    Harness *h = calloc(1, sizeof *h);
    if (!h || h_init(h))
        return 1;
    /* Give the guest the host's GS base so GS overrides mean the same. */
    unsigned long gsbase = 0;
    syscall(SYS_arch_prctl, ARCH_GET_GS, &gsbase);
    h->gs_base = gsbase;
    test_strings(h);
    test_cmpxchg_xadd(h);
    test_cmpxchg8b16b(h);
    test_movx(h);
    test_bswap(h);
    test_xlat(h);
    test_enter_leave(h);
    test_pushf_popf(h);
    test_loops(h);
    test_nops_ud(h);
    return h_finish(h);
}
#endif

/* test_enter.c — ENTER against the SDM's pseudo-code, run step by step in
 * a reference model: nesting levels 0, 1, 2 and 31, operand sizes 16/32/64,
 * stack sizes 16/32/64, upper halves of ESP/EBP that a 16-bit stack keeps;
 * then a fault at each of its writes (#SS through an expand-down SS whose
 * limit sits at that write, and #PF at CPL 3 for the last push and for the
 * final stack pointer), which must leave registers and memory unchanged.
 * The upper-half behaviour (FrameTemp is all of ESP after the first push,
 * not SP) was measured on the host: a 32-bit process with a 16-bit LDT
 * stack segment gives EBP 0x0002FFFC from ESP 0x00020000 (ENTER 0,1). */
#include "test_mmu.h"

#define WIN 0x100000u   /* the stack window: linear [WIN, WIN + WINSZ) */
#define WINSZ 0x20000u
static uint8_t ref[WINSZ];

static uint64_t mask(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }
/* Register r of size bytes replaced in full (64-bit mode zero-extends 32). */
static uint64_t put(uint64_t r, uint64_t v, unsigned size)
{
    return size == 4 ? (uint32_t)v : (r & ~mask(size)) | (v & mask(size));
}

/* The SDM's ENTER, one push at a time, on ref[] (SS base WIN, or 0 in
 * 64-bit mode where the window is at WIN anyway). */
struct rstate { uint64_t sp, bp; unsigned ss, osz; uint64_t base; };
static uint8_t *at(struct rstate *s, uint64_t off) { return ref + (s->base + off - WIN); }
static void rpush(struct rstate *s, uint64_t v, unsigned size)
{
    s->sp = put(s->sp, s->sp - size, s->ss);
    memcpy(at(s, s->sp & mask(s->ss)), &v, size);
}
static void ref_enter(struct rstate *s, unsigned alloc, unsigned level)
{
    unsigned osz = s->osz;
    level %= 32;
    rpush(s, s->bp & mask(osz), osz);
    uint64_t frame_temp = s->sp;
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            /* EBP/BP (by the stack size) steps down; the read is at SS:it */
            s->bp = put(s->bp, s->bp - osz, s->ss);
            uint64_t v = 0;
            memcpy(&v, at(s, s->bp & mask(s->ss)), osz);
            rpush(s, v, osz);
        }
        rpush(s, frame_temp & mask(osz), osz);
    }
    s->bp = put(s->bp, frame_temp, osz);
    s->sp = put(s->sp, s->sp - alloc, s->ss);
}

static void setup(int mode, unsigned ss, uint64_t sp, uint64_t bp)
{
    cpu_reset_flat(cpu, mode == CODE64 ? CODE64 : CODE32, 0x1000);
    if (mode == CODE16) {
        cpu->seg[S_CS].attr &= (uint16_t)~SA_DB;
        cpu->code_mode = CODE16;
    }
    if (mode != CODE64) {
        cpu->seg[S_SS].base = WIN;
        if (ss == 2) {
            cpu->seg[S_SS].attr &= (uint16_t)~SA_DB;
            cpu->seg[S_SS].limit = 0xffff;
        }
    }
    cpu->regs[R_SP] = sp;
    cpu->regs[R_BP] = bp;
    for (unsigned i = 0; i < WINSZ; i++)
        M->mem.ram[WIN + i] = (uint8_t)(i * 7 + (i >> 8));
}

static int step_enter(int mode, unsigned osz, unsigned alloc, unsigned level)
{
    uint8_t code[5] = { 0x66, 0xc8, (uint8_t)alloc, (uint8_t)(alloc >> 8), (uint8_t)level };
    bool pfx = mode == CODE64 ? osz == 2 : (mode == CODE16) != (osz == 2);
    memcpy(M->mem.ram + 0x1000, pfx ? code : code + 1, pfx ? 5 : 4);
    cpu->rip = 0x1000;
    return cpu_step(cpu) == RUN_OK ? -1 : cpu->exc_vector;
}

static int cases;

/* One ENTER against the model: registers and the whole window. */
static void check_one(int mode, unsigned ss, unsigned osz, unsigned alloc, unsigned level,
                      uint64_t sp, uint64_t bp)
{
    setup(mode, ss, sp, bp);
    struct rstate s = { sp, bp, ss, osz, mode == CODE64 ? 0 : WIN };
    memcpy(ref, M->mem.ram + WIN, WINSZ);
    ref_enter(&s, alloc, level);
    int v = step_enter(mode, osz, alloc, level);
    cases++;
    bool ok = v == -1 && cpu->regs[R_SP] == s.sp && cpu->regs[R_BP] == s.bp &&
              memcmp(ref, M->mem.ram + WIN, WINSZ) == 0;
    CHECK(ok);
    if (!ok)
        printf("  mode %d ss %u osz %u ENTER %#x,%u from sp %#llx bp %#llx: vec %d sp %#llx bp %#llx,"
               " expected sp %#llx bp %#llx, memory %s\n",
               mode, ss, osz, alloc, level, (unsigned long long)sp, (unsigned long long)bp, v,
               (unsigned long long)cpu->regs[R_SP], (unsigned long long)cpu->regs[R_BP],
               (unsigned long long)s.sp, (unsigned long long)s.bp,
               memcmp(ref, M->mem.ram + WIN, WINSZ) ? "differs" : "same");
}

/* Faults: the k-th store (k = n: the final stack pointer check) made to
 * fail by an expand-down SS whose limit is that store's offset. */
static void check_faults(int mode, unsigned ss, unsigned osz, unsigned alloc, unsigned level,
                         uint64_t sp, uint64_t bp)
{
    unsigned n = level == 0 ? 1 : level + 1;
    uint64_t sm = mask(ss), frame = (sp - osz) & sm;
    for (unsigned k = 0; k <= n; k++) {
        if (k == n && !alloc)
            break;
        uint64_t off = k < n ? (frame - (uint64_t)k * osz) & sm
                             : (frame - (uint64_t)(n - 1) * osz - alloc) & sm;
        setup(mode, ss, sp, bp);
        cpu->seg[S_SS].attr = (uint16_t)((cpu->seg[S_SS].attr & ~0xf) | 0x7);  /* RW, expand-down */
        cpu->seg[S_SS].limit = (uint32_t)off;
        memcpy(ref, M->mem.ram + WIN, WINSZ);
        int v = step_enter(mode, osz, alloc, level);
        cases++;
        bool ok = v == EXC_SS && cpu->exc_error == 0 && cpu->regs[R_SP] == sp &&
                  cpu->regs[R_BP] == bp && cpu->rip == 0x1000 &&
                  memcmp(ref, M->mem.ram + WIN, WINSZ) == 0;
        CHECK(ok);
        if (!ok)
            printf("  fault at store %u of ENTER %#x,%u (ss %u osz %u): vec %d sp %#llx bp %#llx\n", k,
                   alloc, level, ss, osz, v, (unsigned long long)cpu->regs[R_SP],
                   (unsigned long long)cpu->regs[R_BP]);
    }
}

static const unsigned levels[] = { 0, 1, 2, 31, 33 };
static const unsigned allocs[] = { 0, 8, 0x1234 };

/* #PF at CPL 3: the stack page is user-writable, the page below it
 * supervisor-only.  ENTER 1,0 pushes EBP on the user page; its final ESP
 * is on the other (SDM: a write there would fault, so ENTER faults). */
static void check_user_pf(void)
{
    machine_setup();
    uint64_t pd = new_table();
    for (uint32_t a = 0; a < 0x400000; a += 4096)
        map32_in(pd, a, a, 7, a == 0x1ff000 ? 3 : 7);
    set_mode(32, pd, 0, 0, true);
    cpu->cpl = 3;
    struct { unsigned alloc, level; uint32_t sp, cr2; } t[] = {
        { 1, 0, 0x200004, 0x1fffff },   /* the final ESP */
        { 0, 1, 0x200004, 0x1ffffc },   /* the frame pointer push */
        { 0, 2, 0x200008, 0x1ffffc },   /* the display copy */
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        cpu->regs[R_SP] = t[i].sp;
        cpu->regs[R_BP] = 0x200100;
        uint32_t before = rd32(0x200000);
        int v = step_enter(CODE32, 4, t[i].alloc, t[i].level);
        CHECK_PF(v, 7, t[i].cr2);
        CHECK_EQ(cpu->regs[R_SP], t[i].sp);
        CHECK_EQ(cpu->regs[R_BP], 0x200100);
        CHECK_EQ(rd32(0x200000), before);
    }
    cpu->regs[R_SP] = 0x200005;  /* the same ENTER 1,0 with room: runs */
    CHECK_EQ(step_enter(CODE32, 4, 1, 0), -1);
    CHECK_EQ(cpu->regs[R_SP], 0x200000);
}

int main(void)
{
    machine_setup();
    static const struct { int mode; unsigned ss, osz; uint64_t sp, bp; } cfg[] = {
        { CODE16, 2, 2, 0x00012340, 0x5566a000 },
        { CODE16, 2, 4, 0x00012340, 0x5566a000 },
        { CODE16, 2, 4, 0x00020000, 0x5566a000 },  /* SP wraps at the first push */
        { CODE16, 2, 4, 0x00010004, 0x55660090 },  /* ... at the second; BP wraps too */
        { CODE32, 2, 4, 0x00020000, 0x5566a000 },
        { CODE32, 2, 2, 0x00012340, 0x5566a000 },
        { CODE32, 4, 4, 0x00012340, 0x00014000 },
        { CODE32, 4, 2, 0x00012340, 0x00014000 },
        { CODE16, 4, 2, 0x00012340, 0x00014000 },
        { CODE16, 4, 4, 0x00012340, 0x00014000 },
        { CODE64, 8, 8, WIN + 0x12340, WIN + 0x14000 },
        { CODE64, 8, 2, WIN + 0x12340, WIN + 0x14000 },
    };
    for (unsigned c = 0; c < sizeof cfg / sizeof cfg[0]; c++)
        for (unsigned l = 0; l < sizeof levels / sizeof levels[0]; l++)
            for (unsigned a = 0; a < sizeof allocs / sizeof allocs[0]; a++) {
                check_one(cfg[c].mode, cfg[c].ss, cfg[c].osz, allocs[a], levels[l], cfg[c].sp, cfg[c].bp);
                if (cfg[c].mode != CODE64 && levels[l] != 33 && cfg[c].sp == 0x12340)
                    check_faults(cfg[c].mode, cfg[c].ss, cfg[c].osz, allocs[a], levels[l],
                                 cfg[c].sp, cfg[c].bp);
            }
    printf("%d ENTER cases against the model\n", cases);
    check_user_pf();
    return finish();
}

/* difftest.h — what the differential tester's driver (64-bit, links the
 * emulator) and its native runners (64-bit and -m32 builds of runner.c, no
 * emulator code) share: the fixed guest/host layout, the wire format of a
 * case and a result, and the deterministic memory fill both sides use.
 *
 * Only fixed-width fields, so the i386 and x86-64 builds agree on layout.
 */
#ifndef RZ_DIFFTEST_H
#define RZ_DIFFTEST_H

#include <stdint.h>
#include <string.h>

/* The same addresses in the native process and in guest RAM (flat modes:
 * guest-physical == linear), so absolute, RIP-relative and branch targets
 * agree.  The low window exists for 16-bit addressing (67 prefix in 32-bit
 * code); it needs vm.mmap_min_addr <= WIN_LO and is optional. */
#define WIN_HI       0x10000000u
#define WIN_LO       0x00008000u
#define WIN_SIZE     0x4000u
#define CODE_PAGE    0x18000000u
#define CODE_SIZE    0x1000u
#define CODE_INSN    (CODE_PAGE + 0x800u)
#define FILL_BYTE    0xcc   /* INT3 everywhere but the instruction: any landing traps */

#define DIFF_MAGIC   0x525a4446u  /* "FDZR" */
#define MAX_PATCH    6
#define MEMSPAN_MAX  1024

/* Architectural state in the FXSAVE image layout (x87 registers in ST(i)
 * order, abridged tags), plus GPRs, RIP and RFLAGS.  32-bit mode uses
 * gpr[0..7] and xmm0..7. */
typedef struct DiffState {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t rflags;
    uint8_t fx[512];
} DiffState;

/* Offsets inside DiffState.fx (FXSAVE format) */
enum {
    FX_FCW = 0, FX_FSW = 2, FX_FTW = 4, FX_FOP = 6, FX_FIP = 8, FX_FDP = 16,
    FX_MXCSR = 24, FX_MXCSR_MASK = 28, FX_ST = 32, FX_XMM = 160, FX_USED = 416,
};

typedef struct DiffPatch {
    uint32_t addr;
    uint16_t len;
    uint16_t pad;
    uint8_t bytes[16];
} DiffPatch;

typedef struct DiffCase {
    uint32_t magic;
    uint32_t id;
    uint8_t insn_len;
    uint8_t npatch;
    uint8_t pad[6];
    uint8_t insn[16];
    uint64_t seed;            /* generator seed of this case (for reports) */
    DiffPatch patch[MAX_PATCH];
    DiffState in;
} DiffCase;

/* Result status */
enum {
    ST_DONE = 1,      /* completed; out.rip is where execution went next */
    ST_EXC = 2,       /* the instruction raised trapno (err) */
    ST_TIMEOUT = 3,   /* did not finish within the runner's time limit */
    ST_CRASH = 4,     /* the runner process died (set by the driver) */
    ST_BADRUN = 5,    /* the tier-1 run did not end as a case can (set by the driver) */
};

typedef struct MemSummary {
    uint32_t lo, hi;          /* first/last changed address; lo > hi: nothing changed */
    uint64_t hash;            /* FNV-1a of both windows' final contents */
    uint8_t bytes[MEMSPAN_MAX]; /* final contents from lo on */
} MemSummary;

typedef struct DiffResult {
    uint32_t magic;
    uint32_t id;
    int32_t status;
    int32_t signo;
    int32_t trapno;
    uint32_t err;
    uint64_t fault_addr;
    DiffState out;
    MemSummary mem;
} DiffResult;

/* Sent once by a runner when it starts. */
typedef struct DiffHello {
    uint32_t magic;
    uint32_t bits;            /* 32 or 64 */
    uint32_t have_low;        /* the WIN_LO window could be mapped */
    uint32_t pad;
    /* The runner's segment selectors (ES CS SS DS FS GS): the guest's are
     * set to the same values so reading a selector (MOV Ev,Sw, PUSH Sreg)
     * gives what the host gives. */
    uint16_t sel[6];
    uint32_t pad2;
} DiffHello;

_Static_assert(sizeof(DiffState) == 656, "DiffState layout");
_Static_assert(sizeof(DiffCase) % 8 == 0, "DiffCase layout");
_Static_assert(sizeof(DiffResult) % 8 == 0, "DiffResult layout");

static inline uint64_t diff_rng_next(uint64_t *s)
{
    /* xorshift64*: the same stream in both builds */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* A data window: w is the live memory (host mapping or guest RAM), pristine
 * its fixed background, init the background plus this case's patches.
 * The background is the same for every case (only the patches vary), so a
 * case costs a patch and the repair of what it changed, not a refill. */
typedef struct DiffWin {
    uint8_t *w, *pristine, *init;
    uint32_t base;
    uint32_t lo, hi;          /* changed offsets of the last case; lo > hi: none */
} DiffWin;

static inline void diffwin_init(DiffWin *d, uint8_t *w, uint32_t base, uint8_t *pristine, uint8_t *init)
{
    d->w = w;
    d->base = base;
    d->pristine = pristine;
    d->init = init;
    uint64_t s = 0x6a09e667f3bcc908ull ^ base;
    for (uint32_t i = 0; i < WIN_SIZE; i += 8) {
        uint64_t v = diff_rng_next(&s);
        memcpy(pristine + i, &v, 8);
    }
    memcpy(w, pristine, WIN_SIZE);
    memcpy(init, pristine, WIN_SIZE);
}

static inline void diffwin_patch(DiffWin *d, const DiffCase *c, uint8_t *dst)
{
    for (unsigned i = 0; i < c->npatch && i < MAX_PATCH; i++) {
        const DiffPatch *p = &c->patch[i];
        for (unsigned j = 0; j < p->len && j < 16; j++) {
            uint32_t a = p->addr + j;
            if (a >= d->base && a < d->base + WIN_SIZE)
                dst[a - d->base] = p->bytes[j];
        }
    }
}

/* Before a case: the window holds exactly pristine + patches. */
static inline void diffwin_prepare(DiffWin *d, const DiffCase *c)
{
    diffwin_patch(d, c, d->w);
    diffwin_patch(d, c, d->init);
}

/* After a case: finds what changed (d->lo/hi). */
static inline void diffwin_scan(DiffWin *d)
{
    d->lo = 1;
    d->hi = 0;
    for (uint32_t blk = 0; blk < WIN_SIZE; blk += 256) {
        if (!memcmp(d->w + blk, d->init + blk, 256))
            continue;
        for (uint32_t i = blk; i < blk + 256; i++)
            if (d->w[i] != d->init[i]) {
                if (d->lo > d->hi) d->lo = i;
                d->hi = i;
            }
    }
}

/* Puts the window back to pristine for the next case. */
static inline void diffwin_restore(DiffWin *d, const DiffCase *c)
{
    if (d->lo <= d->hi)
        memcpy(d->w + d->lo, d->pristine + d->lo, d->hi - d->lo + 1);
    for (unsigned i = 0; i < c->npatch && i < MAX_PATCH; i++) {
        const DiffPatch *p = &c->patch[i];
        for (unsigned j = 0; j < p->len && j < 16; j++) {
            uint32_t a = p->addr + j;
            if (a >= d->base && a < d->base + WIN_SIZE) {
                d->w[a - d->base] = d->pristine[a - d->base];
                d->init[a - d->base] = d->pristine[a - d->base];
            }
        }
    }
}

static inline uint8_t diffwin_byte(const DiffWin *hi, const DiffWin *lo, uint32_t a)
{
    if (a >= hi->base && a < hi->base + WIN_SIZE) return hi->w[a - hi->base];
    if (lo && a >= lo->base && a < lo->base + WIN_SIZE) return lo->w[a - lo->base];
    return 0;
}

/* Summarises the changes of both windows (lo may be NULL); call after
 * diffwin_scan on each.  The hash covers every changed span's final bytes. */
static inline void diff_summarise(MemSummary *m, DiffWin *hi, DiffWin *lo)
{
    uint64_t h = 0xcbf29ce484222325ull;
    DiffWin *ws[2] = { lo, hi };  /* ascending addresses */
    m->lo = 1;
    m->hi = 0;
    for (int k = 0; k < 2; k++) {
        DiffWin *d = ws[k];
        if (!d || d->lo > d->hi)
            continue;
        for (uint32_t i = d->lo; i <= d->hi; i++)
            h = (h ^ d->w[i]) * 0x100000001b3ull;
        if (m->lo > m->hi) m->lo = d->base + d->lo;
        m->hi = d->base + d->hi;
    }
    m->hash = h;
    memset(m->bytes, 0, sizeof m->bytes);
    for (uint32_t k = 0; m->lo <= m->hi && k < MEMSPAN_MAX && m->lo + k <= m->hi; k++)
        m->bytes[k] = diffwin_byte(hi, lo, m->lo + k);
}

#endif

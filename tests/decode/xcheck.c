/* xcheck.c — decoder cross-check: ringzero's decode() against Capstone 4.
 *
 *   decode_xcheck [--mode 16|32|64] [--count N] [--seed S] [--verbose]
 *   (env: RZ_DECODE_COUNT, RZ_DECODE_SEED)
 *
 * Every sequence is decoded by both.  Rules (see docs/decoder.md):
 *   both accept             -> lengths must agree;
 *   Capstone only accepts   -> ringzero rejects a valid instruction, unless
 *                              the class is excluded, the instruction is a
 *                              pending system one, or a documented quirk;
 *   ringzero only accepts   -> ringzero accepts an invalid one, unless quirk;
 *   longer than 15 bytes    -> ringzero must say DEC_GP.
 * Anything outside known.c's lists is a failure: exit status 1.
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "known.h"

enum { BUFLEN = 24 };

/* splitmix64: small, seedable, good enough to spread test cases. */
typedef struct Rng { uint64_t s; } Rng;
static uint64_t rnd(Rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static unsigned rndn(Rng *r, unsigned n) { return (unsigned)(rnd(r) % n); }

/* ---- tallies: counts keyed by a short string ---- */

enum { TALLY_SLOTS = 8192, KEYLEN = 64 };
typedef struct Entry { char key[KEYLEN]; char example[2 * KEYLEN]; long n; } Entry;
typedef struct Tally { Entry *e; long total, distinct; } Tally;

static void tally_add(Tally *t, const char *key, const char *example)
{
    if (!t->e)
        t->e = calloc(TALLY_SLOTS, sizeof *t->e);
    uint32_t h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    t->total++;
    for (unsigned i = 0; i < TALLY_SLOTS; i++) {
        Entry *e = &t->e[(h + i) % TALLY_SLOTS];
        if (e->n && strcmp(e->key, key) != 0)
            continue;
        if (!e->n) {
            if (t->distinct >= TALLY_SLOTS - 1)
                return;  /* full: still counted in total */
            snprintf(e->key, KEYLEN, "%.60s", key);
            snprintf(e->example, sizeof e->example, "%.120s", example ? example : "");
            t->distinct++;
        }
        e->n++;
        return;
    }
}

static void tally_free(Tally *t)
{
    free(t->e);
    t->e = NULL;
}

static int by_count(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? 1 : -1;
    return strcmp(x->key, y->key);
}

static void tally_print(const char *title, Tally *t, int top)
{
    printf("  %-34s %8ld", title, t->total);
    if (!t->total) { printf("\n"); return; }
    printf("  (%ld distinct)\n", t->distinct);
    Entry *v = malloc(sizeof *v * (size_t)t->distinct);
    long k = 0;
    for (unsigned i = 0; i < TALLY_SLOTS; i++)
        if (t->e[i].n) v[k++] = t->e[i];
    qsort(v, (size_t)k, sizeof *v, by_count);
    for (long i = 0; i < k && i < top; i++)
        printf("      %8ld  %-28s e.g. %s\n", v[i].n, v[i].key, v[i].example);
    if (k > top) printf("      ... %ld more\n", k - top);
    free(v);
}

/* ---- sequences ---- */

static const uint8_t legacy_pfx[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

static void hex(char *out, size_t cap, const uint8_t *b, int n)
{
    size_t k = 0;
    for (int i = 0; i < n && k + 3 < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%02x", b[i]);
    out[k] = 0;
}

/* Prefix mix: none, a few legacy prefixes (repeats and conflicts allowed),
 * and in 64-bit mode REX right before the opcode, REX followed by legacy
 * prefixes (which cancels it), or two REX bytes. */
static int gen_prefixes(Rng *r, int bits, uint8_t *p)
{
    int n = 0;
    unsigned k = rndn(r, 10);
    int count = k < 4 ? 0 : k < 7 ? 1 : k < 9 ? 2 : 2 + (int)rndn(r, 4);
    for (int i = 0; i < count; i++)
        p[n++] = legacy_pfx[rndn(r, sizeof legacy_pfx)];
    if (bits == 64 && rndn(r, 2)) {
        unsigned where = rndn(r, 10);
        uint8_t rex = (uint8_t)(0x40 | rndn(r, 16));
        if (where < 7 || n == 0) {
            if (where == 9) p[n++] = (uint8_t)(0x40 | rndn(r, 16));
            p[n++] = rex;
        } else {
            int at = (int)rndn(r, (unsigned)n);
            memmove(p + at + 1, p + at, (size_t)(n - at));
            p[at] = rex;
            n++;
        }
    }
    return n;
}

static const uint8_t map_escape[MAP_COUNT][2] = { {0}, {0x0f}, {0x0f, 0x38}, {0x0f, 0x3a} };
static const int map_escape_len[MAP_COUNT] = { 0, 1, 2, 2 };

/* Structured: the k-th (map, opcode) with a ModRM that walks all 256 values
 * over successive passes; SIB, displacement and immediates come from the
 * random tail. */
static int gen_structured(Rng *r, int bits, uint64_t k, uint8_t *b)
{
    int n = gen_prefixes(r, bits, b);
    unsigned map = (unsigned)(k % 1024) / 256, opc = (unsigned)(k % 256);
    uint8_t modrm = (uint8_t)((k / 1024) * 0x9d + 0x11);
    memcpy(b + n, map_escape[map], (size_t)map_escape_len[map]);
    n += map_escape_len[map];
    b[n++] = (uint8_t)opc;
    b[n++] = modrm;
    for (int i = n; i < BUFLEN; i++)
        b[i] = (uint8_t)rnd(r);
    return n;
}

static void gen_random(Rng *r, uint8_t *b)
{
    for (int i = 0; i < BUFLEN; i++)
        b[i] = (uint8_t)rnd(r);
}

/* The prefix scan the checker trusts: no ringzero code involved. */
static void scan(Case *c)
{
    int i = 0;
    c->lock = c->rep = c->repne = c->p66 = c->p67 = false;
    c->rex = 0;
    c->any_rex = false;
    for (; i < c->n; i++) {
        uint8_t x = c->b[i];
        if (c->bits == 64 && (x & 0xf0) == 0x40) { c->rex = x; c->any_rex = true; continue; }
        if (!memchr(legacy_pfx, x, sizeof legacy_pfx)) break;
        c->rex = 0;
        if (x == 0xf0) c->lock = true;
        if (x == 0xf3) c->rep = true, c->repne = false;
        if (x == 0xf2) c->repne = true, c->rep = false;
        if (x == 0x66) c->p66 = true;
        if (x == 0x67) c->p67 = true;
    }
    c->opc_off = i;
    c->map = MAP_1B;
    if (i < c->n && c->b[i] == 0x0f) {
        c->map = MAP_0F;
        i++;
        if (i < c->n && (c->b[i] == 0x38 || c->b[i] == 0x3a)) {
            c->map = c->b[i] == 0x38 ? MAP_0F38 : MAP_0F3A;
            i++;
        }
    }
    c->opc = i < c->n ? c->b[i] : 0;
}

/* ---- the check ---- */

typedef struct Stats {
    long seqs, cs_ok, rz_ok, both, len_agree, long_checks, failed;
    Tally len_mismatch, rejects_valid, accepts_invalid, long_fail, short_fail;
    Tally excluded, pending, pending_ok, quirks;
} Stats;

typedef struct Ctx {
    csh h;
    int bits;
    bool verbose;
    const Quirks *q;         /* the model whose decoder is checked */
    Stats st;
} Ctx;

static const char *cs_text(const cs_insn *i, char *buf, size_t cap)
{
    /* Truncation is fine here: the text only labels a report line. */
    return snprintf(buf, cap, "%s %s", i->mnemonic, i->op_str) >= 0 ? buf : "?";
}

/* Decodes one sequence with both; returns true if it passed. */
static bool check(Ctx *x, const uint8_t *b, int n, bool over15)
{
    Stats *s = &x->st;
    cs_insn *ci = NULL;
    size_t got = cs_disasm(x->h, b, (size_t)n, 0x1000, 1, &ci);
    Insn in;
    int rz = decode(b, n, x->bits == 16 ? CODE16 : x->bits == 32 ? CODE32 : CODE64, x->q, &in);
    Case c = { .bits = x->bits, .b = b, .n = n, .cs = got ? ci : NULL, .rz = rz, .in = &in, .q = x->q };
    scan(&c);
    char hb[3 * BUFLEN], txt[160], t2[96];
    bool ok = true;
    s->seqs++;
    if (got) s->cs_ok++;
    if (rz > 0) s->rz_ok++;

    if (over15) {
        /* A valid instruction padded past 15 bytes: #GP, not #UD. */
        s->long_checks++;
        hex(hb, sizeof hb, b, 17);
        if (got || rz != DEC_GP) {
            snprintf(txt, sizeof txt, "cs=%s rz=%d", got ? "accepts" : "rejects", rz);
            tally_add(&s->long_fail, hb, txt);
            ok = false;
        }
    } else if (got && rz > 0) {
        s->both++;
        if ((int)ci->size == rz) {
            s->len_agree++;
            /* The same bytes cut short must be a fetch shortfall, and
             * exactly enough bytes must decode to the same length. */
            Insn t;
            int cm = x->bits == 16 ? CODE16 : x->bits == 32 ? CODE32 : CODE64;
            int r1 = decode(b, rz - 1, cm, x->q, &t), r2 = decode(b, rz, cm, x->q, &t);
            if (r1 != DEC_SHORT || r2 != rz) {
                hex(hb, sizeof hb, b, rz);
                snprintf(txt, sizeof txt, "avail %d -> %d, avail %d -> %d", rz - 1, r1, rz, r2);
                tally_add(&s->short_fail, hb, txt);
                ok = false;
            }
        } else {
            const char *q = known_quirk(x->h, &c);
            hex(hb, sizeof hb, b, (int)(ci->size > (unsigned)rz ? ci->size : (unsigned)rz));
            if (q) {
                tally_add(&s->quirks, q, hb);
            } else {
                snprintf(txt, sizeof txt, "%s: cs %d rz %d (%s)", hb, ci->size, rz,
                         form_info[in.form].name);
                tally_add(&s->len_mismatch, known_mnemonic(ci), txt);
                ok = false;
            }
        }
        const char *p = known_pending(x->h, &c);
        if (p) tally_add(&s->pending_ok, p, NULL);
    } else if (got) {
        const char *why;
        hex(hb, sizeof hb, b, (int)ci->size);
        if ((why = known_quirk(x->h, &c))) {
            tally_add(&s->quirks, why, hb);
        } else if ((why = known_excluded(x->h, &c))) {
            tally_add(&s->excluded, why, hb);
        } else if ((why = known_pending(x->h, &c))) {
            tally_add(&s->pending, why, hb);
        } else {
            snprintf(txt, sizeof txt, "%.50s  %.90s", hb, cs_text(ci, t2, sizeof t2));
            tally_add(&s->rejects_valid, known_mnemonic(ci), txt);
            ok = false;
        }
    } else if (rz > 0) {
        hex(hb, sizeof hb, b, rz);
        const char *q = known_quirk(x->h, &c);
        if (q) {
            tally_add(&s->quirks, q, hb);
        } else {
            tally_add(&s->accepts_invalid, form_info[in.form].name, hb);
            ok = false;
        }
    }
    if (!ok) s->failed++;
    if (!ok && x->verbose) {
        hex(hb, sizeof hb, b, 15);
        printf("FAIL %s cs=%s rz=%d\n", hb, got ? cs_text(ci, txt, sizeof txt) : "-", rz);
    }
    if (got) cs_free(ci, got);
    return ok;
}

/* Long: a structured instruction Capstone accepts, padded at the front with
 * copies of a segment prefix to 15, 16 or 17 bytes. */
static bool check_long(Ctx *x, Rng *r, uint64_t k)
{
    uint8_t core[BUFLEN], b[BUFLEN + 16];
    gen_structured(r, x->bits, k, core);
    cs_insn *ci = NULL;
    if (!cs_disasm(x->h, core, BUFLEN, 0x1000, 1, &ci))
        return check(x, core, BUFLEN, false);
    int len = (int)ci->size;
    cs_free(ci, 1);
    /* Only a core ringzero decodes has a known length to pad: for one it
     * rejects, #UD and #GP are both a rejection (checked as usual). */
    Insn in;
    if (decode(core, BUFLEN, x->bits == 16 ? CODE16 : x->bits == 32 ? CODE32 : CODE64, x->q, &in) != len)
        return check(x, core, BUFLEN, false);
    int target = 15 + (int)rndn(r, 3);
    int pad = target - len;
    if (pad < 0)
        return check(x, core, BUFLEN, false);
    uint8_t seg = (uint8_t)(x->bits == 64 ? 0x2e + 8 * rndn(r, 2) : 0x3e);
    memset(b, seg, (size_t)pad);
    memcpy(b + pad, core, BUFLEN);
    return check(x, b, BUFLEN, target > 15);
}

static void report(Ctx *x)
{
    Stats *s = &x->st;
    int verbose_top = x->verbose ? 1000 : 40;
    printf("== %d-bit mode ==\n", x->bits);
    printf("  sequences %ld, capstone accepts %ld, ringzero accepts %ld\n", s->seqs, s->cs_ok, s->rz_ok);
    printf("  both accept %ld, length agrees %ld\n", s->both, s->len_agree);
    printf("  15-byte limit checks %ld\n", s->long_checks);
    tally_print("FAIL length mismatch (mnemonic)", &s->len_mismatch, 25);
    tally_print("FAIL ringzero rejects valid", &s->rejects_valid, verbose_top);
    tally_print("FAIL ringzero accepts invalid (form)", &s->accepts_invalid, 40);
    tally_print("FAIL 15-byte limit not #GP", &s->long_fail, 10);
    tally_print("FAIL cut short not DEC_SHORT", &s->short_fail, 10);
    tally_print("excluded by class", &s->excluded, 60);
    tally_print("PENDING system (rejected)", &s->pending, 80);
    tally_print("known Capstone quirks", &s->quirks, 40);
    /* A pending name seen only accepted can leave the pending list. */
    long ready = 0;
    for (unsigned i = 0; s->pending_ok.e && i < TALLY_SLOTS; i++) {
        Entry *e = &s->pending_ok.e[i];
        if (!e->n) continue;
        bool rejected = false;
        for (unsigned j = 0; s->pending.e && j < TALLY_SLOTS; j++)
            if (s->pending.e[j].n && !strcmp(s->pending.e[j].key, e->key)) rejected = true;
        if (!rejected) {
            if (!ready++) printf("  pending entries now always accepted (remove from known.c):");
            printf(" %s", e->key);
        }
    }
    if (ready) printf("\n");
    printf("  %d-bit: %ld passed, %ld failed\n", x->bits, s->seqs - s->failed, s->failed);
}

int main(int argc, char **argv)
{
    int modes[3] = { 16, 32, 64 }, nmodes = 3;
    long count = 200000;
    uint64_t seed = 1;
    bool verbose = false;
    const CpuModel *model = &cpu_model_intel;
    if (getenv("RZ_DECODE_COUNT")) count = atol(getenv("RZ_DECODE_COUNT"));
    if (getenv("RZ_DECODE_SEED")) seed = strtoull(getenv("RZ_DECODE_SEED"), NULL, 0);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            modes[0] = atoi(argv[++i]);
            nmodes = 1;
        } else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
            count = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) {
            model = cpu_model_find(argv[++i]);
            if (!model) {
                fprintf(stderr, "unknown model %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--verbose")) {
            verbose = true;
        } else if (!strcmp(argv[i], "--quirks")) {
            known_print_quirks();
            return 0;
        } else {
            fprintf(stderr, "usage: %s [--mode 16|32|64] [--cpu intel|amd] [--count N] [--seed S] [--verbose] [--quirks]\n",
                    argv[0]);
            return 2;
        }
    }
    long passed = 0, failed = 0;
    for (int m = 0; m < nmodes; m++) {
        Ctx x = { .bits = modes[m], .verbose = verbose, .q = &model->q };
        if (x.bits != 16 && x.bits != 32 && x.bits != 64) {
            fprintf(stderr, "bad mode %d\n", x.bits);
            return 2;
        }
        cs_mode cm = x.bits == 16 ? CS_MODE_16 : x.bits == 32 ? CS_MODE_32 : CS_MODE_64;
        if (cs_open(CS_ARCH_X86, cm, &x.h) != CS_ERR_OK) {
            fprintf(stderr, "cs_open failed\n");
            return 2;
        }
        cs_option(x.h, CS_OPT_DETAIL, CS_OPT_ON);
        Rng r = { seed * 0x100000001b3ull + (uint64_t)x.bits };
        printf("decode_xcheck: %d-bit, model %s, %ld sequences, seed %" PRIu64 "\n", x.bits, model->name, count, seed);
        uint64_t sk = 0;
        for (long i = 0; i < count; i++) {
            uint8_t b[BUFLEN];
            unsigned kind = (unsigned)(i % 20);
            if (kind < 5) {
                gen_random(&r, b);
                check(&x, b, BUFLEN, false);
            } else if (kind < 17) {
                gen_structured(&r, x.bits, sk++, b);
                check(&x, b, BUFLEN, false);
            } else {
                check_long(&x, &r, sk++);
            }
        }
        report(&x);
        passed += x.st.seqs - x.st.failed;
        failed += x.st.failed;
        Tally *all[] = { &x.st.len_mismatch, &x.st.rejects_valid, &x.st.accepts_invalid,
                         &x.st.long_fail, &x.st.short_fail, &x.st.excluded, &x.st.pending,
                         &x.st.pending_ok, &x.st.quirks };
        for (unsigned k = 0; k < sizeof all / sizeof all[0]; k++)
            tally_free(all[k]);
        cs_close(&x.h);
    }
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}

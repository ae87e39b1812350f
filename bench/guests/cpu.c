/* cpu.c — the CPU-bound workloads of bench/cpu.sh (see cpu.h): SHA-256 over
 * 16 MiB twice, an LZ77 compressor over 16 MiB of text, a generic qsort of
 * 1 M 32-bit ints three times.  Plain portable C, 32-bit arithmetic
 * wherever the algorithm allows, so every target does the same work and
 * prints the same checksums.  Each workload checks itself (a published
 * SHA-256 test vector, decompression, sortedness) so a wrong result is a
 * failure, not only a different checksum.
 *
 * Output, per workload:
 *     bench NAME begin
 *     bench NAME end checksum=HEX
 * Data is generated before "begin": only the workload is timed. */
#include "cpu.h"

#define MIB (1u << 20)
#define SHA_BYTES ((16 * MIB) >> CPU_BENCH_SHIFT)
#define LZ_BYTES ((16 * MIB) >> CPU_BENCH_SHIFT)
#define SORT_COUNT ((1u << 20) >> CPU_BENCH_SHIFT)

/* ---- output without printf (the guest and the host print alike) ---- */

struct line { char s[160]; unsigned n; };

static void put_str(struct line *l, const char *s)
{
    while (*s && l->n + 1 < sizeof l->s)
        l->s[l->n++] = *s++;
    l->s[l->n] = 0;
}

static void put_hex(struct line *l, uint32_t v)
{
    char h[9];
    for (int i = 7; i >= 0; i--, v >>= 4)
        h[i] = "0123456789abcdef"[v & 15];
    h[8] = 0;
    put_str(l, h);
}

static void mark(const char *name, const char *event, const uint32_t *sum, unsigned words)
{
    struct line l = { .n = 0 };
    put_str(&l, "bench ");
    put_str(&l, name);
    put_str(&l, " ");
    put_str(&l, event);
    if (words) {
        put_str(&l, " checksum=");
        for (unsigned i = 0; i < words; i++)
            put_hex(&l, sum[i]);
    }
    shim_line(l.s);
}

static int same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* xorshift32 (Marsaglia): the data every target generates alike. */
static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* FNV-1a, the checksum of outputs that are not a hash already. */
static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}
#define FNV_INIT 2166136261u

/* ---- SHA-256 (FIPS 180-4): 32-bit rotates, adds and table loads ---- */

struct sha256 { uint32_t h[8]; uint8_t buf[64]; uint32_t fill; uint32_t len_lo, len_hi; };

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n) { return x >> n | x << (32 - n); }

static void sha_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3;
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10;
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

static void sha_init(struct sha256 *s)
{
    static const uint32_t iv[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    for (int i = 0; i < 8; i++)
        s->h[i] = iv[i];
    s->fill = s->len_lo = s->len_hi = 0;
}

static void sha_update(struct sha256 *s, const uint8_t *p, size_t n)
{
    uint32_t lo = s->len_lo + (uint32_t)n;
    s->len_hi += lo < s->len_lo;
    s->len_lo = lo;
    while (n) {
        if (s->fill == 0 && n >= 64) {
            sha_block(s->h, p);
            p += 64, n -= 64;
            continue;
        }
        s->buf[s->fill++] = *p++, n--;
        if (s->fill == 64) {
            sha_block(s->h, s->buf);
            s->fill = 0;
        }
    }
}

static void sha_final(struct sha256 *s, uint32_t out[8])
{
    uint32_t hi = s->len_hi << 3 | s->len_lo >> 29, lo = s->len_lo << 3;  /* length in bits */
    uint8_t pad[72] = { 0x80 };
    uint32_t padn = (s->fill < 56 ? 56 : 120) - s->fill;
    for (int i = 0; i < 4; i++) {
        pad[padn + i] = (uint8_t)(hi >> (24 - 8 * i));
        pad[padn + 4 + i] = (uint8_t)(lo >> (24 - 8 * i));
    }
    sha_update(s, pad, padn + 8);
    for (int i = 0; i < 8; i++)
        out[i] = s->h[i];
}

static void bench_sha256(void)
{
    /* FIPS 180-4's example "abc" (NIST CSRC examples), with the runtime's
     * own code, before any figure is believed. */
    static const uint32_t abc[8] = {
        0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223, 0xb00361a3, 0x96177a9c, 0xb410ff61, 0xf20015ad,
    };
    struct sha256 s;
    uint32_t d1[8], d2[8];
    sha_init(&s);
    sha_update(&s, (const uint8_t *)"abc", 3);
    sha_final(&s, d1);
    if (!same_bytes((const uint8_t *)d1, (const uint8_t *)abc, sizeof abc))
        shim_fail("sha256: wrong digest of \"abc\"");

    uint8_t *data = shim_alloc(SHA_BYTES);
    uint32_t seed = 0x12345678;
    for (uint32_t i = 0; i < SHA_BYTES; i += 4) {
        uint32_t r = rnd(&seed);
        data[i] = (uint8_t)r, data[i + 1] = (uint8_t)(r >> 8);
        data[i + 2] = (uint8_t)(r >> 16), data[i + 3] = (uint8_t)(r >> 24);
    }
    mark("sha256", "begin", NULL, 0);
    /* Twice: once in one call, once in odd pieces through the buffer;
     * both must give the same digest. */
    sha_init(&s);
    sha_update(&s, data, SHA_BYTES);
    sha_final(&s, d1);
    sha_init(&s);
    for (uint32_t off = 0; off < SHA_BYTES; off += 4093)
        sha_update(&s, data + off, SHA_BYTES - off < 4093 ? SHA_BYTES - off : 4093);
    sha_final(&s, d2);
    if (!same_bytes((const uint8_t *)d1, (const uint8_t *)d2, sizeof d1))
        shim_fail("sha256: whole and piecewise digests differ");
    mark("sha256", "end", d1, 8);
}

/* ---- LZ77: hash chains over a 32 KiB window, greedy matching ----
 * Stresses byte loads, compares, unpredictable branches and indexed
 * stores.  Format: a flag byte for each 8 tokens (bit set: match), then
 * per token a literal byte or a match of 3 bytes (length - 3, distance - 1
 * little-endian in 15 bits). */

#define LZ_WBITS 15
#define LZ_WSIZE (1u << LZ_WBITS)
#define LZ_HBITS 15
#define LZ_MIN 3
#define LZ_MAX 258
#define LZ_CHAIN 32

static uint32_t lz_hash(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) * 2654435761u >> (32 - LZ_HBITS);
}

/* Compresses in[0, n) into out (room for n + n / 8 + 8 bytes); returns the size. */
static size_t lz_compress(const uint8_t *in, size_t n, uint8_t *out, int32_t *head, int32_t *prev)
{
    for (uint32_t i = 0; i < (1u << LZ_HBITS); i++)
        head[i] = -1;
    size_t o = 0, flag_at = 0;
    unsigned ntok = 8;
    size_t i = 0;
    while (i < n) {
        if (ntok == 8) {
            flag_at = o++;
            out[flag_at] = 0;
            ntok = 0;
        }
        uint32_t best = 0, dist = 0;
        if (i + LZ_MIN <= n) {
            uint32_t h = lz_hash(in + i);
            int32_t cand = head[h];
            uint32_t limit = n - i < LZ_MAX ? (uint32_t)(n - i) : LZ_MAX;
            for (int depth = 0; cand >= 0 && i - (size_t)cand <= LZ_WSIZE && depth < LZ_CHAIN; depth++) {
                const uint8_t *a = in + cand, *b = in + i;
                if (a[best] == b[best]) {
                    uint32_t len = 0;
                    while (len < limit && a[len] == b[len])
                        len++;
                    if (len > best) {
                        best = len, dist = (uint32_t)(i - cand);
                        if (len == limit)
                            break;
                    }
                }
                cand = prev[cand & (LZ_WSIZE - 1)];
            }
        }
        uint32_t take = best >= LZ_MIN ? best : 1;
        if (best >= LZ_MIN) {
            out[flag_at] |= (uint8_t)(1u << ntok);
            out[o++] = (uint8_t)(best - LZ_MIN);
            out[o++] = (uint8_t)(dist - 1);
            out[o++] = (uint8_t)((dist - 1) >> 8);
        } else {
            out[o++] = in[i];
        }
        ntok++;
        /* Every position covered enters the chains. */
        for (uint32_t k = 0; k < take; k++, i++) {
            if (i + LZ_MIN <= n) {
                uint32_t h = lz_hash(in + i);
                prev[i & (LZ_WSIZE - 1)] = head[h];
                head[h] = (int32_t)i;
            }
        }
    }
    return o;
}

/* Returns the decompressed size, or (size_t)-1 on a malformed stream. */
static size_t lz_decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t flags = in[i++];
        for (unsigned t = 0; t < 8 && i < n; t++) {
            if (flags & (1u << t)) {
                if (i + 3 > n)
                    return (size_t)-1;
                uint32_t len = in[i] + LZ_MIN, dist = (in[i + 1] | (uint32_t)in[i + 2] << 8) + 1;
                i += 3;
                if (dist > o || o + len > cap)
                    return (size_t)-1;
                for (uint32_t k = 0; k < len; k++, o++)
                    out[o] = out[o - dist];
            } else {
                if (o == cap)
                    return (size_t)-1;
                out[o++] = in[i++];
            }
        }
    }
    return o;
}

/* Text-like input: words from a small vocabulary, some punctuation, and a
 * random byte now and then, so matches are frequent but not trivial. */
static void lz_text(uint8_t *p, size_t n)
{
    static const char *const words[32] = {
        "the", "of", "translated", "block", "guest", "host", "register", "flags",
        "and", "a", "page", "interpreter", "cache", "chain", "to", "in",
        "instruction", "memory", "is", "fault", "tier", "native", "helper", "exit",
        "with", "load", "store", "branch", "that", "for", "code", "state",
    };
    uint32_t seed = 0x9e3779b9;
    size_t i = 0;
    while (i < n) {
        uint32_t r = rnd(&seed);
        const char *w = words[r & 31];
        while (*w && i < n)
            p[i++] = (uint8_t)*w++;
        if (i < n)
            p[i++] = (r >> 8 & 15) == 0 ? '.' : (r >> 8 & 15) == 1 ? '\n' : ' ';
        if ((r >> 12 & 63) == 0 && i < n)
            p[i++] = (uint8_t)(r >> 24);
    }
}

static void bench_lz77(void)
{
    uint8_t *in = shim_alloc(LZ_BYTES);
    size_t cap = LZ_BYTES + LZ_BYTES / 8 + 8;
    uint8_t *packed = shim_alloc(cap);
    uint8_t *back = shim_alloc(LZ_BYTES);
    int32_t *head = shim_alloc(sizeof(int32_t) << LZ_HBITS);
    int32_t *prev = shim_alloc(sizeof(int32_t) * LZ_WSIZE);
    lz_text(in, LZ_BYTES);
    mark("lz77", "begin", NULL, 0);
    size_t size = lz_compress(in, LZ_BYTES, packed, head, prev);
    if (lz_decompress(packed, size, back, LZ_BYTES) != LZ_BYTES || !same_bytes(in, back, LZ_BYTES))
        shim_fail("lz77: the compressed stream does not decompress to the input");
    uint32_t sum[2] = { (uint32_t)size, fnv(FNV_INIT, packed, size) };
    mark("lz77", "end", sum, 2);
}

/* ---- a generic qsort: every comparison through a function pointer,
 * elements moved by size, as libc's qsort does.  Stresses calls and
 * returns (indirect calls), short loops and data-dependent branches. ---- */

typedef int (*cmp_fn)(const void *, const void *);

static void swap_elems(uint8_t *a, uint8_t *b, size_t size)
{
    if (size % 4 == 0 && ((uintptr_t)a | (uintptr_t)b) % 4 == 0) {
        uint32_t *x = (uint32_t *)a, *y = (uint32_t *)b;
        for (size_t i = 0; i < size / 4; i++) {
            uint32_t t = x[i];
            x[i] = y[i], y[i] = t;
        }
        return;
    }
    for (size_t i = 0; i < size; i++) {
        uint8_t t = a[i];
        a[i] = b[i], b[i] = t;
    }
}

/* Quicksort with a median-of-three pivot, insertion sort below 12
 * elements, recursion on the smaller part only (depth <= log2 n). */
static void generic_qsort(void *base, size_t n, size_t size, cmp_fn cmp)
{
    uint8_t *b = base;
    while (n > 12) {
        uint8_t *lo = b, *mid = b + n / 2 * size, *hi = b + (n - 1) * size;
        if (cmp(mid, lo) < 0)
            swap_elems(mid, lo, size);
        if (cmp(hi, mid) < 0) {
            swap_elems(hi, mid, size);
            if (cmp(mid, lo) < 0)
                swap_elems(mid, lo, size);
        }
        swap_elems(mid, lo, size);          /* pivot at lo */
        uint8_t *i = lo + size, *j = hi;
        for (;;) {
            while (i <= j && cmp(i, lo) < 0)
                i += size;
            while (i <= j && cmp(lo, j) < 0)
                j -= size;
            if (i >= j)
                break;
            swap_elems(i, j, size);
            i += size, j -= size;
        }
        swap_elems(lo, j, size);            /* pivot in place at j */
        size_t left = (size_t)(j - b) / size, right = n - left - 1;
        if (left < right) {
            generic_qsort(b, left, size, cmp);
            b = j + size, n = right;
        } else {
            generic_qsort(j + size, right, size, cmp);
            n = left;
        }
    }
    for (size_t k = 1; k < n; k++)
        for (uint8_t *p = b + k * size; p > b && cmp(p, p - size) < 0; p -= size)
            swap_elems(p, p - size, size);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void bench_qsort(void)
{
    uint32_t *v = shim_alloc(SORT_COUNT * sizeof(uint32_t));
    uint32_t seed = 0xdeadbeef, sum = FNV_INIT;
    mark("qsort", "begin", NULL, 0);
    for (int round = 0; round < 3; round++) {
        /* Round 1 has many duplicates, so equal keys are exercised too. */
        uint32_t mask = round == 1 ? 0xfff : 0xffffffff;
        for (uint32_t i = 0; i < SORT_COUNT; i++)
            v[i] = rnd(&seed) & mask;
        generic_qsort(v, SORT_COUNT, sizeof v[0], cmp_u32);
        for (uint32_t i = 1; i < SORT_COUNT; i++)
            if (v[i - 1] > v[i])
                shim_fail("qsort: the result is not sorted");
        sum = fnv(sum, (const uint8_t *)v, SORT_COUNT * sizeof v[0]);
    }
    mark("qsort", "end", &sum, 1);
}

int cpu_bench(void)
{
    bench_sha256();
    bench_lz77();
    bench_qsort();
    return 0;
}

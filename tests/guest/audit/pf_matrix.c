/* pf_matrix.c — see pf_matrix.h.  The expected outcome of every probe is
 * derived from the SDM's rules (Vol. 3 4.6 "Access rights", 4.7 "Page-fault
 * exceptions"), not recorded from a run:
 *   user access needs U/S = 1 at every level; a user write also R/W = 1
 *   at every level; a supervisor write needs R/W = 1 everywhere only when
 *   CR0.WP = 1; a fetch faults when XD = 1 at any level (EFER.NXE = 1).
 *   Error code: P (1 = protection, 0 = not present), W/R, U/S, and I/D for
 *   fetches only with EFER.NXE = 1 (PAE and 4-level paging; no SMEP here). */
#include "pf_matrix.h"

#define NOINL __attribute__((noinline, noclone))
#define PF 14
enum { E_P = 1, E_W = 2, E_U = 4, E_RSVD = 8, E_I = 16 };
enum { RD, WR, EX };
#define RD_OFF 0x10
#define WR_OFF 0x20
#define RD_VAL 0x5aa5c33cu
#define WR_VAL 0x0badf00du

/* The probes: one access each, at an instruction whose address we know. */
extern char pf_rd_at[], pf_wr_at[];
static volatile uint32_t pf_got;
static NOINL void probe_rd(void *a)
{
    uint32_t v;
    __asm__ volatile("pf_rd_at: movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
    pf_got = v;
}
static NOINL void probe_wr(void *a)
{
    __asm__ volatile("pf_wr_at: movl %1, (%0)" :: "r"(a), "r"((uint32_t)WR_VAL) : "memory");
}
static NOINL void probe_ex(void *a) { ((void (*)(void))a)(); }

static uint8_t ustack[4096] __attribute__((aligned(16)));

static const struct pf_mode *M;
static unsigned probes, faults_seen, fails;
static bool wp, nxe;

static void flush(void)
{
    write_cr3(read_cr3());   /* also reloads the PAE PDPTE registers */
    invlpg(M->va);
}

static void set_wp(bool on)
{
    wp = on;
    write_cr0(on ? read_cr0() | CR0_WP : read_cr0() & ~(uintptr_t)CR0_WP);
}

static void set_nxe(bool on)
{
    nxe = on;
    uint64_t e = rdmsr(MSR_EFER);
    wrmsr(MSR_EFER, on ? e | EFER_NXE : e & ~(uint64_t)EFER_NXE);
}

static const char *acc_name(int user, int kind)
{
    static const char *n[2][3] = { { "sup read", "sup write", "sup fetch" },
                                   { "user read", "user write", "user fetch" } };
    return n[user][kind];
}

static void fail_line(const char *cfg, int user, int kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_line(const char *cfg, int user, int kind, const char *fmt, ...)
{
    fails++;
    rt_failures++;
    if (fails > 40)
        return;
    va_list ap;
    rt_printf("FAIL %s, WP=%d NXE=%d, %s %s: ", M->name, wp, nxe, cfg, acc_name(user, kind));
    va_start(ap, fmt);
    rt_vprintf(fmt, ap);
    va_end(ap);
    rt_putc('\n');
}

/* One access; want_err < 0 means it must succeed. */
static void probe(const char *cfg, int user, int kind, int want_err)
{
    volatile uint32_t *rdp = (volatile uint32_t *)(M->frame + RD_OFF);
    volatile uint32_t *wrp = (volatile uint32_t *)(M->frame + WR_OFF);
    *rdp = RD_VAL;
    *wrp = 0;
    pf_got = 0;
    uintptr_t addr = M->va + (kind == RD ? RD_OFF : kind == WR ? WR_OFF : 0);
    void (*fn)(void *) = kind == RD ? probe_rd : kind == WR ? probe_wr : probe_ex;
    struct rt_fault f;
    int v = user ? rt_run_user(fn, (void *)addr, (uintptr_t)ustack + sizeof ustack, &f)
                 : rt_try(fn, (void *)addr, &f);
    probes++;
    if (want_err < 0) {
        if (v != -1) {
            fail_line(cfg, user, kind, "expected no fault, got vector %d error %#llx CR2 %#llx", v,
                      (unsigned long long)f.error, (unsigned long long)f.cr2);
            return;
        }
        if (kind == RD && pf_got != RD_VAL)
            fail_line(cfg, user, kind, "read %#x, expected %#x", pf_got, RD_VAL);
        if (kind == WR && *wrp != WR_VAL)
            fail_line(cfg, user, kind, "memory holds %#x after the write, expected %#x", *wrp, WR_VAL);
        return;
    }
    faults_seen++;
    uintptr_t want_ip = kind == RD ? (uintptr_t)pf_rd_at : kind == WR ? (uintptr_t)pf_wr_at : addr;
    uint16_t want_cs = user ? M->ucs : M->kcs;
    if (v != PF || f.error != (uint64_t)want_err || f.cr2 != addr || f.ip != want_ip ||
        f.cs != want_cs) {
        fail_line(cfg, user, kind,
                  "expected #PF error %#x CR2 %#llx at %04x:%#llx; got vector %d error %#llx "
                  "CR2 %#llx at %04x:%#llx", want_err, (unsigned long long)addr, want_cs,
                  (unsigned long long)want_ip, v, (unsigned long long)f.error,
                  (unsigned long long)f.cr2, f.cs, (unsigned long long)f.ip);
        return;
    }
    if (kind == WR && *wrp != 0)
        fail_line(cfg, user, kind, "the faulting write reached memory (%#x)", *wrp);
}

static bool fetch_i(void) { return M->nx && nxe; }

/* All six accesses against effective rights u, w, x (x = fetch allowed). */
static void probe_all(const char *cfg, bool u, bool w, bool x)
{
    for (int user = 0; user < 2; user++) {
        for (int kind = RD; kind <= EX; kind++) {
            bool ok;
            if (user)
                ok = u && (kind == RD || (kind == WR && w) || (kind == EX && x));
            else
                ok = kind == RD || (kind == WR && (w || !wp)) || (kind == EX && x);
            int err = E_P | (kind == WR ? E_W : 0) | (user ? E_U : 0) |
                      (kind == EX && fetch_i() ? E_I : 0);
            probe(cfg, user, kind, ok ? -1 : err);
        }
    }
}

static void describe(char *buf, unsigned lvl, uint64_t attrs)
{
    static const char *lv[] = { "PTE", "PDE", "PDPTE", "PML4E" };
    const char *s = lv[lvl];
    while (*s)
        *buf++ = *s++;
    *buf++ = ':';
    *buf++ = attrs & PTE_U ? 'U' : 'S';
    *buf++ = attrs & PTE_W ? 'W' : 'R';
    if (M->attr_bits(lvl) & PTE_NX) {
        *buf++ = attrs & PTE_NX ? 'X' : '-';
        *buf++ = 'D';
    }
    *buf = 0;
}

/* Attribute combinations for one level: subsets of its U/W/XD bits, XD
 * only while EFER.NXE = 1 (otherwise bit 63 is reserved). */
static unsigned combos(unsigned lvl, uint64_t out[8])
{
    uint64_t bits[3] = { PTE_U, PTE_W, PTE_NX };
    uint64_t have = M->attr_bits(lvl);
    if (!nxe)
        have &= ~PTE_NX;
    unsigned n = 0;
    for (unsigned c = 0; c < 8; c++) {
        uint64_t a = 0;
        bool skip = false;
        for (int b = 0; b < 3; b++) {
            if (c >> b & 1) {
                if (!(have & bits[b]))
                    skip = true;
                a |= bits[b];
            }
        }
        if (!skip)
            out[n++] = a;
    }
    return n;
}

static void run_rights(void)
{
    uint64_t saved[4];
    for (unsigned l = 0; l < M->levels; l++)
        saved[l] = M->get(l);
    const uint64_t perm_mask = PTE_U | PTE_W | PTE_NX;
    uint64_t leaf[8], up[8];
    unsigned nleaf = combos(0, leaf);
    for (unsigned ul = 1; ul < M->levels; ul++) {
        if (!(M->attr_bits(ul) & (PTE_U | PTE_W)))
            continue;                  /* the PAE PDPTE has no rights bits */
        unsigned nup = combos(ul, up);
        for (unsigned i = 0; i < nleaf; i++) {
            for (unsigned j = 0; j < nup; j++) {
                for (unsigned l = 0; l < M->levels; l++) {
                    /* other levels fully permissive */
                    uint64_t e = saved[l] & ~perm_mask;
                    e |= M->attr_bits(l) & (PTE_U | PTE_W);
                    if (l == 0)
                        e = (e & ~perm_mask) | leaf[i];
                    else if (l == ul)
                        e = (e & ~perm_mask) | up[j];
                    M->set(l, e);
                }
                flush();
                uint64_t a = leaf[i], b = up[j];
                bool u = (a & PTE_U) && (b & PTE_U);
                bool w = (a & PTE_W) && (b & PTE_W);
                bool x = !((a | b) & PTE_NX);
                char cfg[48];
                describe(cfg, 0, a);
                cfg[strlen(cfg) + 1] = 0;
                cfg[strlen(cfg)] = ' ';
                describe(cfg + strlen(cfg), ul, b);
                probe_all(cfg, u, w, x);
            }
        }
    }
    for (unsigned l = 0; l < M->levels; l++)
        M->set(l, saved[l]);
    flush();
}

static void run_not_present(void)
{
    for (unsigned l = 0; l < M->levels; l++) {
        uint64_t saved = M->get(l);
        /* P = 0 makes every other bit of the entry ignored: also the
         * reserved ones, so the fault is not RSVD. */
        uint64_t garbage[2] = { 0, M->levels == 2 ? 0xfffffffeull : ~1ull };
        for (int g = 0; g < 2; g++) {
            M->set(l, garbage[g]);
            flush();
            char cfg[40];
            static const char *lv[] = { "PTE", "PDE", "PDPTE", "PML4E" };
            const char *s = lv[l];
            char *p = cfg;
            while (*s)
                *p++ = *s++;
            s = g ? " not present (other bits all 1)" : " not present (0)";
            while (*s)
                *p++ = *s++;
            *p = 0;
            for (int user = 0; user < 2; user++)
                for (int kind = RD; kind <= EX; kind++)
                    probe(cfg, user, kind, (kind == WR ? E_W : 0) | (user ? E_U : 0) |
                                           (kind == EX && fetch_i() ? E_I : 0));
        }
        M->set(l, saved);
        flush();
    }
}

int pf_matrix(const struct pf_mode *m)
{
    M = m;
    volatile uint8_t *code = (volatile uint8_t *)m->frame;
    code[0] = 0xc3;   /* RET: the fetch probe's target */
    bool nxe_states[2] = { false, true };
    for (int n = 0; n < (m->nx ? 2 : 1); n++) {
        set_nxe(nxe_states[n]);
        for (int w = 0; w < 2; w++) {
            set_wp(w);
            unsigned p0 = probes, f0 = faults_seen;
            run_rights();
            rt_printf("%s, NXE=%d, CR0.WP=%d: U/S R/W%s at the leaf x each upper level: "
                      "%u accesses, %u #PF checked\n", m->name, nxe, wp, nxe ? " XD" : "",
                      probes - p0, faults_seen - f0);
        }
        unsigned p0 = probes;
        run_not_present();
        rt_printf("%s, NXE=%d: not-present entry at each of %u levels: %u accesses\n", m->name,
                  nxe, m->levels, probes - p0);
    }
    set_wp(false);
    set_nxe(false);
    if (fails > 40)
        rt_printf("(%u more failures not shown)\n", fails - 40);
    return (int)fails;
}

/* dbt.c — tier 1's life cycle: code memory, the trampoline, the hooks the
 * tier-0 loop calls (translate, run, link) and the code cache's (a block
 * invalidated, everything flushed). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "lockstep.h"
#include "probe.h"
#include "x64.h"
#include "../softmmu/tlb.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void *dbt_arena_alloc(Dbt *d, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (d->arena.cap - d->arena.used < size)
        return NULL;
    void *p = d->arena.base + d->arena.used;
    d->arena.used += size;
    memset(p, 0, size);
    return p;
}

/* The trampoline, at the start of the code memory (kept across flushes):
 * saves the callee-saved registers, rbx = cpu, r12 = its TLB, jumps to the code with the
 * stack 16-byte aligned (so calls from it are ABI calls); the code returns
 * by jumping to exit_x with rax = its DbtExit. */
static void emit_trampoline(Dbt *d)
{
    static const int saved[] = { X64_RBX, X64_RBP, X64_R12, X64_R13, X64_R14, X64_R15 };
    X64 e;
    uint8_t *w = execmem_alloc(&d->own, 256);
    x64_init(&e, w, 256, d->own.delta);
    for (int i = 0; i < 6; i++)
        x64_push_r(&e, saved[i]);
    x64_alu_ri(&e, X64_SUB, 8, X64_RSP, 8);
    x64_mov_rr(&e, 8, X64_RBX, X64_RDI);
    x64_mov_rm(&e, 8, X64_R12, x64_mem(X64_RDI, (int32_t)offsetof(CPU, tlb)));
    x64_jmp_r(&e, X64_RSI);
    d->exit_x = (const uint8_t *)x64_pc(&e);
    x64_alu_ri(&e, X64_ADD, 8, X64_RSP, 8);
    for (int i = 5; i >= 0; i--)
        x64_pop_r(&e, saved[i]);
    x64_plain(&e, X64_RET);
    d->enter = (DbtExit * (*)(CPU *, const void *))execmem_exec_addr(&d->own, w);
}

static void ibtc_clear(IbtcEntry *t);

/* The code cache forgets all host code: so does tier 1. */
static void reset_code(Dbt *d)
{
    d->arena.used = 0;
    for (unsigned i = 0; i < 1u << IBTC_BITS; i++)
        ibtc_clear(&d->ibtc[i]);
}

/* SMC: a page rewritten DBT_PIN_AFTER times while it held translated
 * code, the last time within DBT_PIN_WINDOW instructions, stays in tier 0
 * (a kernel patching its text at boot, then never again, gets tier 1 back
 * once it is done). */
static unsigned pin_slot(const Dbt *d, uint64_t page)
{
    return (unsigned)(page * 0x9e3779b1u) % (sizeof d->pins / sizeof d->pins[0]);
}

static bool pinned(const Dbt *d, uint64_t page)
{
    const struct DbtPin *p = &d->pins[pin_slot(d, page)];
    return p->page == page + 1 && p->count >= DBT_PIN_AFTER &&
           d->cpu->icount - p->last < DBT_PIN_WINDOW;
}

static void count_rewrite(Dbt *d, uint64_t page)
{
    struct DbtPin *p = &d->pins[pin_slot(d, page)];
    if (p->page != page + 1 || d->cpu->icount - p->last >= DBT_PIN_WINDOW)
        *p = (struct DbtPin){ page + 1, 0, 0 };   /* newest wins the slot */
    p->last = d->cpu->icount;
    if (++p->count == DBT_PIN_AFTER)
        d->stats.pinned_pages++;
}

static void hook_translate(void *opaque, CPU *cpu, Block *b)
{
    Dbt *d = opaque;
    (void)cpu;
    if (!b->valid)
        return;
    if (pinned(d, b->pa >> 12) || pinned(d, b->pa_end >> 12)) {
        b->exec_count = 0;   /* offered again later: the pin may be over */
        d->stats.refused++;
        return;
    }
    uint64_t t0 = now_ns();
    DbtBlock *db = dbt_arena_alloc(d, sizeof *db);
    int r = db ? dbt_translate_block(d, b, db) : 0;
    if (r < 0) {
        b->host_info = &d->refused;
        d->stats.refused++;
        d->stats.unencodable++;
        if (getenv("RZ_DBT_DEBUG"))
            fprintf(stderr, "dbt: block at %#llx not encodable\n", (unsigned long long)b->rip);
        return;
    }
    if (r == 0) {
        /* Host code or records are full: the cache flushes at its next
         * block (the arena with it); b stays in tier 0 until then. */
        if (!db)
            d->cc->flush_pending = true;
        return;
    }
    b->host_info = db;
    b->host = (void *)db->code_x;
    d->stats.translated++;
    d->stats.translate_ns += now_ns() - t0;
    if (d->opt.out_asm)
        dbt_print_block(d, b, db, d->opt.out_asm);
    if (d->perfmap)
        fprintf(d->perfmap, "%llx %x guest_%llx_key_%llx\n",
                (unsigned long long)(uintptr_t)(db->code_x - db->entry_off), db->code_size,
                (unsigned long long)b->rip, (unsigned long long)b->key);
}

static Block *hook_run(void *opaque, CPU *cpu, Block *b)
{
    Dbt *d = opaque;
    /* The entry's own budget check counts the whole trace: with less left
     * the code would leave at once, again and again, so tier 0 runs it. */
    if (cpu->icount + ((DbtBlock *)b->host_info)->ninsns > cpu->icount_end)
        return NULL;
    if (!cpu->tlb)
        tlb_attach(&cpu->mmu);  /* translated code holds it in r12 */
    /* Chained blocks poll no interrupts: they come back to the loop after
     * DBT_YIELD instructions at most. */
    uint64_t y = cpu->icount + DBT_YIELD;
    cpu->icount_yield = y < cpu->icount_end ? y : cpu->icount_end;
    d->stats.runs++;
    if (d->opt.lockstep && cpu->icount >= d->lockstep_from && ++d->lockstep_tick >= d->opt.lockstep) {
        d->lockstep_tick = 0;
        return lockstep_run(d, cpu, b);
    }
    if (d->opt.lockstep) {
        /* Not sampled this time: one block, unchained, unchecked. */
        DbtExit *x = d->enter(cpu, b->host);
        cpu->tier1_exit = NULL;
        return x->db->b;
    }
    DbtExit *x = d->enter(cpu, b->host);
    if (d->dbg_exits) {
        const Block *lb = x->db->b;
        d->dbg_exits[(x->slot * FORM_COUNT + lb->insns[lb->ninsns - 1].form)]++;
    }
    cpu->tier1_exit = x->slot != EXIT_OTHER ? x : NULL;
    if (x->slot == EXIT_INDIRECT)
        d->stats.ibtc_misses++;
    return x->db->b;
}

static void ibtc_clear(IbtcEntry *t)
{
    t->rip = t->key = ~0ull;   /* no block has this key */
    t->code = NULL;
    t->db = NULL;
}

/* The exit the last run left through now leads to next: a direct exit is
 * patched to jump to next's code (its entry within one page: the page's
 * mapping cannot change without ending a block; its checked entry across
 * pages or into a block spanning two), an indirect one fills the
 * indirect-branch cache.  Only from blocks that cannot change the mode key
 * (next's key holds at the exit). */
static void hook_link(void *opaque, CPU *cpu, Block *from, Block *next)
{
    Dbt *d = opaque;
    DbtExit *x = cpu->tier1_exit;
    DbtBlock *db = x ? x->db : NULL;
    DbtBlock *nb = next->host_info;
    if (d->dbg_exits && db && x->slot == 0) {
        int why = !db ? 1 : db->b != from ? 2 : db->dead ? 3 : !db->key_stable ? 4 : !next->host ? 5
                : nb == &d->refused ? 6 : nb->dead ? 7 : next->key != from->key ? 8
                : db->chained_to[x->slot] ? 9 : (next->pa_end >> 12) != (next->pa >> 12) ? 10 : 0;
        d->dbg_why[why]++;
    }
    if (!db || db->b != from || db->dead || !db->key_stable || !next->host || nb == &d->refused ||
        nb->dead || d->opt.lockstep || next->key != from->key || d->no_link)
        return;
    if (x->slot == EXIT_INDIRECT) {
        if (!nb->checked_x)
            return;
        unsigned h = (unsigned)(next->rip & ((1u << IBTC_BITS) - 1));
        IbtcEntry *t = &d->ibtc[h];
        if (t->db)
            t->db->ibtc_slot = -1;
        *t = (IbtcEntry){ next->rip, next->key, nb->checked_x, nb };
        nb->ibtc_slot = (int32_t)h;
        d->stats.ibtc_fills++;
        return;
    }
    if (db->chained_to[x->slot])
        return;
    const uint8_t *to = next->host;
    if ((from->pa >> 12) != (next->pa >> 12) || (next->pa_end >> 12) != (next->pa >> 12) ||
        (cpu_code_lin(cpu, from->rip) >> 12) != (cpu_code_lin(cpu, next->rip) >> 12))
        to = nb->checked_x;   /* another page: check its mapping first */
    if (!to)
        return;
    DbtLink *l = dbt_arena_alloc(d, sizeof *l);
    if (!l)
        return;
    *l = (DbtLink){ db, x->slot, nb->incoming };
    nb->incoming = l;
    db->chained_to[x->slot] = (uint8_t *)to;
    dbt_patch_slot(d, db, x->slot, to);
    d->stats.chains++;
}

static void hook_invalidate(void *opaque, BlockHead *h)
{
    Dbt *d = opaque;
    DbtBlock *db = h->host_info;
    if (!db || db == &d->refused)
        return;
    if (!d->cc->flushing)
        count_rewrite(d, h->pa >> 12);
    for (DbtLink *l = db->incoming; l; l = l->next) {
        DbtBlock *f = l->from;
        const uint8_t *to = f->chained_to[l->slot];
        if (!f->dead && to && (to == db->code_x || to == db->checked_x)) {
            dbt_patch_slot(d, f, l->slot, f->stub_x[l->slot]);
            f->chained_to[l->slot] = NULL;
            d->stats.unchains++;
        }
    }
    db->incoming = NULL;
    if (db->ibtc_slot >= 0 && d->ibtc[db->ibtc_slot].db == db)
        ibtc_clear(&d->ibtc[db->ibtc_slot]);
    db->dead = true;
    h->host = NULL;
    if (!d->cc->flushing)
        d->stats.invalidations++;
}

/* Every block is about to be forgotten: so is their code.  Code that is
 * running now (a helper flushed from inside it) is still intact until the
 * next translation, and leaves at its next stop check. */
static void hook_flush(void *opaque)
{
    Dbt *d = opaque;
    reset_code(d);
    d->stats.flushes++;
    __atomic_fetch_or(&d->cpu->stop_request, CC_STOP_CODE, __ATOMIC_RELAXED);
}
Dbt *dbt_new(CPU *cpu, CodeCache *cc, const DbtOptions *o, char *err, size_t errlen)
{
    Dbt *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "tier 1: out of memory");
        return NULL;
    }
    d->cpu = cpu;
    d->cc = cc;
    if (getenv("RZ_DBT_DEBUG"))
        d->dbg_exits = calloc(EXIT_KINDS * FORM_COUNT, sizeof *d->dbg_exits);
    d->no_link = getenv("RZ_DBT_NOLINK") != NULL;   /* debugging: no chains, no branch cache */
    d->no_trace = getenv("RZ_DBT_NOTRACE") != NULL; /* debugging: no traces */
    /* Lockstep from an instruction count on (a bug late in a long run). */
    if (getenv("RZ_LOCKSTEP_FROM"))
        d->lockstep_from = strtoull(getenv("RZ_LOCKSTEP_FROM"), NULL, 0);
    d->opt = *o;
    if (o->perfmap) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
        if (!(d->perfmap = fopen(path, "w"))) {
            snprintf(err, errlen, "-perfmap: %s: %s", path, strerror(errno));
            free(d);
            return NULL;
        }
        setvbuf(d->perfmap, NULL, _IOLBF, 0);   /* perf reads it while we run, or after a kill */
    }
    d->code = codecache_execmem(cc);
    if (execmem_init(&d->own, 64 << 10, err, errlen)) {
        free(d);
        return NULL;
    }
    /* Records are about a quarter of the code they describe. */
    d->arena.cap = execmem_capacity(d->code) / 4;
    d->arena.base = malloc(d->arena.cap);
    if (!d->arena.base) {
        snprintf(err, errlen, "tier 1: out of memory");
        dbt_free(d);
        return NULL;
    }
    reset_code(d);
    emit_trampoline(d);
    dbt_probe(d);
    d->t1 = (CpuTier1){ hook_translate, hook_run, hook_link, d, d->opt.threshold };
    cpu->tier1 = &d->t1;
    if (d->opt.lockstep && lockstep_init(d, cpu, err, errlen)) {
        dbt_free(d);
        return NULL;
    }
    codecache_set_invalidate_hook(cc, hook_invalidate, d);
    codecache_set_flush_hook(cc, hook_flush, d);
    return d;
}

void dbt_free(Dbt *d)
{
    if (!d)
        return;
    if (d->dbg_exits) {
        for (int k = 0; k < 20; k++) {
            unsigned best = 0;
            for (unsigned i = 1; i < EXIT_KINDS * FORM_COUNT; i++)
                if (d->dbg_exits[i] > d->dbg_exits[best])
                    best = i;
            if (!d->dbg_exits[best])
                break;
            fprintf(stderr, "dbt: exit %u after %s: %llu\n", best / FORM_COUNT,
                    form_info[best % FORM_COUNT].name, (unsigned long long)d->dbg_exits[best]);
            d->dbg_exits[best] = 0;
        }
        free(d->dbg_exits);
        for (int k = 0; k < 12; k++)
            fprintf(stderr, "dbt: link refused for reason %d: %llu\n", k, (unsigned long long)d->dbg_why[k]);
    }
    lockstep_free(d);
    if (d->perfmap)
        fclose(d->perfmap);
    if (d->cpu->tier1 == &d->t1)
        d->cpu->tier1 = NULL;
    codecache_set_invalidate_hook(d->cc, NULL, NULL);
    codecache_set_flush_hook(d->cc, NULL, NULL);
    execmem_destroy(&d->own);
    free(d->arena.base);
    free(d);
}

const DbtStats *dbt_stats(const Dbt *d) { return &d->stats; }
bool dbt_diverged(const Dbt *d) { return d->diverged; }
bool dbt_probe_agrees(const Dbt *d, int family, unsigned ext, unsigned size)
{
    return d->undef_ok[family][ext & 7] >> __builtin_ctz(size) & 1;
}

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

void dbt_print_stats(const Dbt *d, FILE *f)
{
    const DbtStats *s = &d->stats;
    fprintf(f, "tbstats: tier 1: %llu blocks translated (%llu left in tier 0), %llu bytes of host "
            "code, %.1f ms translating (%.1f us a block)\n",
            (unsigned long long)s->translated, (unsigned long long)s->refused,
            (unsigned long long)s->host_bytes, (double)s->translate_ns / 1e6,
            s->translated ? (double)s->translate_ns / 1e3 / (double)s->translated : 0.0);
    fprintf(f, "tbstats: tier 1: guest instructions translated: %.1f%% native, %.1f%% helper calls\n",
            pct(s->insns_native, s->insns_native + s->insns_helper),
            pct(s->insns_helper, s->insns_native + s->insns_helper));
    fprintf(f, "tbstats: tier 1: %llu traces (translations of 2 or more blocks, %llu blocks in all), "
            "%llu loops (back to their head inside their code)\n",
            (unsigned long long)s->traces, (unsigned long long)s->trace_blocks, (unsigned long long)s->loops);
    fprintf(f, "tbstats: tier 1: %llu entries from the loop, %llu exits chained (%llu undone), "
            "%llu invalidated, %llu flushes, %llu pages kept in tier 0\n",
            (unsigned long long)s->runs, (unsigned long long)s->chains,
            (unsigned long long)s->unchains, (unsigned long long)s->invalidations,
            (unsigned long long)s->flushes, (unsigned long long)s->pinned_pages);
    fprintf(f, "tbstats: tier 1: indirect branches: %llu cache fills, %llu misses back to the loop\n",
            (unsigned long long)s->ibtc_fills, (unsigned long long)s->ibtc_misses);
    fprintf(f, "tbstats: tier 1: host code memory %zu of %zu KiB in use\n", execmem_used(d->code) >> 10,
            execmem_capacity(d->code) >> 10);
    static const char *const fam[4] = { "shift/rotate by CL", "shift/rotate by imm", "IMUL r,r/m",
                                        "IMUL r,r/m,imm" };
    fprintf(f, "tbstats: tier 1: undefined flags as tier 0's on this host (ModRM.reg:sizes):");
    for (int k = 0; k < 4; k++) {
        fprintf(f, " %s", fam[k]);
        for (int x = 0; x < 8; x++)
            if (d->undef_ok[k][x])
                fprintf(f, " %d:%s%s%s%s", x, d->undef_ok[k][x] & 1 ? "b" : "", d->undef_ok[k][x] & 2 ? "w" : "",
                        d->undef_ok[k][x] & 4 ? "d" : "", d->undef_ok[k][x] & 8 ? "q" : "");
        fprintf(f, k < 3 ? ";" : "\n");
    }
    if (d->opt.lockstep)
        fprintf(f, "tbstats: lockstep: %llu blocks compared, %llu not comparable (device access)\n",
                (unsigned long long)s->lockstep_blocks, (unsigned long long)s->lockstep_skipped);
}

int dbt_parse_accel(const char *s, bool *use_dbt, DbtOptions *o, char *err, size_t errlen)
{
    *o = (DbtOptions){ .threshold = DBT_DEFAULT_THRESHOLD };
    char buf[256];
    if (strlen(s) >= sizeof buf) {
        snprintf(err, errlen, "-accel: '%.40s...' is too long", s);
        return -1;
    }
    strcpy(buf, s);
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    if (!tok || (strcmp(tok, "interp") && strcmp(tok, "dbt"))) {
        snprintf(err, errlen, "-accel: '%s' is not interp or dbt", tok ? tok : "");
        return -1;
    }
    *use_dbt = !strcmp(tok, "dbt");
    while ((tok = strtok_r(NULL, ",", &save))) {
        char *eq = strchr(tok, '=');
        char *end = NULL;
        unsigned long long v = 0;
        if (eq) {
            errno = 0;
            v = strtoull(eq + 1, &end, 10);
            if (eq[1] == '\0' || *end || errno || eq[1] == '-') {
                snprintf(err, errlen, "-accel: '%s' needs a number", tok);
                return -1;
            }
            *eq = '\0';
        }
        if (!*use_dbt) {
            snprintf(err, errlen, "-accel interp: '%s' is an option of dbt", tok);
            return -1;
        }
        if (!strcmp(tok, "threshold") && eq && v <= 0xffffffffu) {
            o->threshold = (uint32_t)v;
        } else if (!strcmp(tok, "tb-size") && eq && v >= 1 && v <= 2048) {
            o->code_bytes = (size_t)v << 20;
        } else if (!strcmp(tok, "lockstep") && (!eq || (v >= 1 && v <= 0xffffffffu))) {
            o->lockstep = eq ? (uint32_t)v : 1;
        } else {
            snprintf(err, errlen, "-accel dbt: unknown or out-of-range option '%s' (threshold=N, "
                     "tb-size=MIB 1..2048, lockstep[=N])", tok);
            return -1;
        }
    }
    return 0;
}

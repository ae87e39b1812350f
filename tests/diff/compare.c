/* compare.c — compares the native and ringzero outcomes of a case and
 * prints a mismatch: bytes, disassembly, input state, both outputs with the
 * differing fields marked. */
#include <inttypes.h>
#include <string.h>

#include "diff.h"
#include "disasm/disasm.h"

/* EFLAGS compared: OSZAPC, TF, IF, DF, IOPL, NT, AC.  RF is left out (the
 * CPU sets it in the frame of a fault), and so is ID, which user code may
 * toggle and the runner does not control. */
#define FLAGS_COMPARED 0x47fd5u

const char *vector_name(int v)
{
    const char *name = exc_name(v);
    return name ? name : "#?";
}

static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static const char *const gpr_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* The differences, as a bitmap of fields, so printing can mark them. */
typedef struct Diffs {
    bool status, vector, err, rip, flags, mem, fcw, fsw, ftw, mxcsr;
    uint32_t unlisted;  /* flags the host changed that the table's FW_ column leaves out */
    uint16_t unlisted_gpr, unlisted_xmm;  /* registers likewise, against the operand column */
    bool unlisted_mem;
    uint16_t gpr, st, xmm;
    int n;
} Diffs;

static bool phys_valid(const uint8_t *fx, unsigned phys) { return (fx[FX_FTW] >> phys) & 1; }

/* 80-bit register at physical number phys */
static const uint8_t *phys_reg(const uint8_t *fx, unsigned phys)
{
    unsigned top = (get16(fx + FX_FSW) >> 11) & 7;
    return fx + FX_ST + 16 * ((phys - top) & 7);
}

static void find_diffs(int mode, const Outcome *a, const Outcome *b, const UndefMask *um, Diffs *d)
{
    memset(d, 0, sizeof *d);
    const int nregs = mode == CODE64 ? 16 : 8;
    if (a->status != b->status)
        d->status = true;
    if (a->status == ST_EXC && b->status == ST_EXC) {
        if (a->vector != b->vector)
            d->vector = true;
        else if ((a->vector >= 10 && a->vector <= 13) || a->vector == 17)
            d->err = a->err != b->err;
    }
    if (a->status == ST_DONE && b->status == ST_DONE && a->st.rip != b->st.rip)
        d->rip = true;
    for (int i = 0; i < nregs; i++)
        if ((a->st.gpr[i] ^ b->st.gpr[i]) & ~um->gpr[i])
            d->gpr |= (uint16_t)(1u << i);
    if ((a->st.rflags ^ b->st.rflags) & FLAGS_COMPARED & ~um->eflags)
        d->flags = true;
    if (!um->mem && (a->mem.hash != b->mem.hash || a->mem.lo != b->mem.lo || a->mem.hi != b->mem.hi))
        d->mem = true;
    const uint8_t *fa = a->st.fx, *fb = b->st.fx;
    d->fcw = get16(fa + FX_FCW) != get16(fb + FX_FCW);
    d->fsw = ((get16(fa + FX_FSW) ^ get16(fb + FX_FSW)) & ~um->fsw) != 0;
    d->ftw = fa[FX_FTW] != fb[FX_FTW];
    for (unsigned p = 0; p < 8; p++)
        if (phys_valid(fa, p) && phys_valid(fb, p) && memcmp(phys_reg(fa, p), phys_reg(fb, p), 10))
            d->st |= (uint16_t)(1u << p);
    d->mxcsr = get32(fa + FX_MXCSR) != get32(fb + FX_MXCSR);
    for (int i = 0; i < nregs; i++)
        if (memcmp(fa + FX_XMM + 16 * i, fb + FX_XMM + 16 * i, 16))
            d->xmm |= (uint16_t)(1u << i);
    d->n = d->status + d->vector + d->err + d->rip + d->flags + d->mem + d->fcw + d->fsw +
           d->ftw + d->mxcsr + __builtin_popcount(d->gpr) + __builtin_popcount(d->st) +
           __builtin_popcount(d->xmm);
}

static const char *status_text(const Outcome *o, char *buf, size_t n)
{
    switch (o->status) {
    case ST_DONE: snprintf(buf, n, "completed"); break;
    case ST_EXC: snprintf(buf, n, "exception %s (vector %d, error %#x)", vector_name(o->vector), o->vector, o->err); break;
    case ST_TIMEOUT: snprintf(buf, n, "TIMEOUT"); break;
    case ST_CRASH: snprintf(buf, n, "runner CRASHED"); break;
    case ST_BADRUN: snprintf(buf, n, "INVALID tier-1 run (see above)"); break;
    default: snprintf(buf, n, "status %d", o->status); break;
    }
    return buf;
}

static void print_f80(FILE *f, const uint8_t *r)
{
    fprintf(f, "%04x:%016" PRIx64, get16(r + 8), get64(r));
}

/* who: the two columns' names ("native", "ringzero" or "tier 0", "tier 1") */
static void print_report(FILE *f, const GenCase *gc, int mode, const Outcome *na, const Outcome *em,
                         const UndefMask *um, const Diffs *d, const char *const who[2])
{
    const DiffCase *c = &gc->c;
    const int nregs = mode == CODE64 ? 16 : 8;
    const int w = mode == CODE64 ? 16 : 8;
    char dis[128], s1[96], s2[96];
    disasm_one(c->insn, c->insn_len, mode == CODE64 ? 64 : 32, CODE_INSN, dis, sizeof dis);
    fprintf(f, "  %s %s (%d-bit) case %u:", strcmp(who[0], "native") ? "TIER MISMATCH" : "MISMATCH",
            form_info[gc->form].name, mode == CODE64 ? 64 : 32, c->id);
    for (int i = 0; i < c->insn_len; i++)
        fprintf(f, " %02x", c->insn[i]);
    fprintf(f, "   %s\n", dis);
    fprintf(f, "    %-9s %s\n", who[0], status_text(na, s1, sizeof s1));
    fprintf(f, "    %-9s %s%s\n", who[1], status_text(em, s2, sizeof s2), d->status || d->vector || d->err ? "   <<<" : "");
    if (na->status == ST_EXC && na->vector == 14 && !strcmp(who[0], "native"))
        fprintf(f, "    (native #PF at %#" PRIx64 ": the case touched memory outside the data windows)\n",
                na->fault_addr);
    for (int i = 0; i < um->nwhy; i++)
        fprintf(f, "    masked: %s\n", um->why[i]);
    fprintf(f, "    %-6s %-*s %-*s %-*s\n", "", w + 2, "input", w + 2, who[0], w + 2, who[1]);
    for (int i = 0; i < nregs; i++) {
        bool bad = d->gpr >> i & 1;
        fprintf(f, "    %-6s %0*" PRIx64 "   %0*" PRIx64 "   %0*" PRIx64 "%s%s\n", gpr_names[i], w, c->in.gpr[i],
                w, na->st.gpr[i], w, em->st.gpr[i], bad ? "   <<<" : "",
                um->gpr[i] ? "   (partly undefined)" : "");
    }
    fprintf(f, "    %-6s %0*" PRIx64 "   %0*" PRIx64 "   %0*" PRIx64 "%s\n", "rip", w, (uint64_t)CODE_INSN,
            w, na->st.rip, w, em->st.rip, d->rip ? "   <<<" : "");
    fprintf(f, "    %-6s %0*" PRIx64 "   %0*" PRIx64 "   %0*" PRIx64 "%s (compared %#x)\n", "rflags", w,
            c->in.rflags, w, na->st.rflags, w, em->st.rflags, d->flags ? "   <<<" : "",
            FLAGS_COMPARED & ~um->eflags);
    if (d->unlisted)
        fprintf(f, "    the host changed flags %#x the opcode table does not list as written (FW_ %#x)   <<<\n",
                d->unlisted, form_flags_written(&form_info[gc->form]));
    if (d->unlisted_gpr || d->unlisted_xmm || d->unlisted_mem)
        fprintf(f, "    the host wrote what the table's operand column does not list: GPRs %#x, XMM %#x%s   <<<\n",
                d->unlisted_gpr, d->unlisted_xmm, d->unlisted_mem ? ", memory" : "");
    const uint8_t *fi = c->in.fx, *fa = na->st.fx, *fb = em->st.fx;
    fprintf(f, "    %-6s %0*x   %0*x   %0*x%s\n", "fcw", w, get16(fi), w, get16(fa), w, get16(fb), d->fcw ? "   <<<" : "");
    fprintf(f, "    %-6s %0*x   %0*x   %0*x%s (masked %#x)\n", "fsw", w, get16(fi + 2), w, get16(fa + 2), w,
            get16(fb + 2), d->fsw ? "   <<<" : "", um->fsw);
    fprintf(f, "    %-6s %0*x   %0*x   %0*x%s\n", "ftw", w, fi[4], w, fa[4], w, fb[4], d->ftw ? "   <<<" : "");
    fprintf(f, "    %-6s %0*x   %0*x   %0*x%s\n", "mxcsr", w, get32(fi + 24), w, get32(fa + 24), w,
            get32(fb + 24), d->mxcsr ? "   <<<" : "");
    bool x87 = (form_info[gc->form].attrs & (A_FPU | A_MMX)) || d->st || d->ftw || d->fsw;
    for (unsigned p = 0; x87 && p < 8; p++) {
        fprintf(f, "    R%u     ", p);
        if (phys_valid(fi, p)) print_f80(f, phys_reg(fi, p)); else fprintf(f, "%-21s", "empty");
        fprintf(f, "   ");
        if (phys_valid(fa, p)) print_f80(f, phys_reg(fa, p)); else fprintf(f, "%-21s", "empty");
        fprintf(f, "   ");
        if (phys_valid(fb, p)) print_f80(f, phys_reg(fb, p)); else fprintf(f, "%-21s", "empty");
        fprintf(f, "%s\n", d->st >> p & 1 ? "   <<<" : "");
    }
    bool sse = (form_info[gc->form].attrs & A_SSE) || d->xmm;
    for (int i = 0; sse && i < nregs; i++) {
        if (!(d->xmm >> i & 1) && !(form_info[gc->form].attrs & A_SSE))
            continue;
        fprintf(f, "    xmm%-3d %016" PRIx64 "%016" PRIx64 "\n", i, get64(fi + FX_XMM + 16 * i + 8), get64(fi + FX_XMM + 16 * i));
        fprintf(f, "           %016" PRIx64 "%016" PRIx64 " %s\n", get64(fa + FX_XMM + 16 * i + 8),
                get64(fa + FX_XMM + 16 * i), who[0]);
        fprintf(f, "           %016" PRIx64 "%016" PRIx64 " %s%s\n", get64(fb + FX_XMM + 16 * i + 8),
                get64(fb + FX_XMM + 16 * i), who[1], d->xmm >> i & 1 ? "   <<<" : "");
    }
    for (unsigned i = 0; i < c->npatch; i++) {
        fprintf(f, "    mem in  %08x:", c->patch[i].addr);
        for (int j = 0; j < c->patch[i].len; j++) fprintf(f, " %02x", c->patch[i].bytes[j]);
        fprintf(f, "\n");
    }
    const Outcome *os[2] = { na, em };
    for (int k = 0; k < 2; k++) {
        const MemSummary *m = &os[k]->mem;
        if (m->lo > m->hi) {
            fprintf(f, "    mem %-8s unchanged%s\n", who[k], d->mem ? "   <<<" : "");
            continue;
        }
        fprintf(f, "    mem %-8s changed %08x..%08x:", who[k], m->lo, m->hi);
        for (uint32_t j = 0; j < 32 && m->lo + j <= m->hi; j++) fprintf(f, " %02x", m->bytes[j]);
        fprintf(f, "%s%s\n", m->hi - m->lo >= 32 ? " ..." : "", d->mem ? "   <<<" : "");
    }
    if (um->mem)
        fprintf(f, "    (memory destination undefined for this case: not compared)\n");
}

/* A register number of Insn.reg/rm as a GPR index (16..19: AH..BH). */
static unsigned gpr_index(unsigned r) { return r >= 16 ? r - 16 : r & 15; }

/* What the operand column lets a completed form write: GPRs, XMM
 * registers, memory. */
static void table_writes(const GenCase *gc, uint16_t *gpr, uint16_t *xmm, bool *mem)
{
    const FormInfo *fi = &form_info[gc->form];
    const Insn *in = &gc->in;
    bool rm_w = form_rm_role(fi) == OR_W || form_rm_role(fi) == OR_RW;
    bool reg_w = form_reg_role(fi) == OR_W || form_reg_role(fi) == OR_RW;
    *gpr = (uint16_t)form_gprs_written(fi);
    *xmm = 0;
    *mem = form_writes_mem(fi) || (rm_w && (in->flags & IF_MEM));
    bool byte = in->osz == 1 && fi->osz == OS_B;
    if (form_writes_state(fi))
        *xmm = 0xffff;
    if (rm_w && !(in->flags & IF_MEM)) {
        if (form_rm_kind(fi) == OK_GPR) *gpr |= (uint16_t)(1u << gpr_index(byte ? in->rm8 : in->rm));
        if (form_rm_kind(fi) == OK_XMM) *xmm |= (uint16_t)(1u << (in->rm & 15));
    }
    if (reg_w && form_reg_kind(fi) == OK_GPR) *gpr |= (uint16_t)(1u << gpr_index(byte ? in->reg8 : in->reg));
    if (reg_w && form_reg_kind(fi) == OK_XMM) *xmm |= (uint16_t)(1u << (in->reg & 15));
}

int compare_outcomes(const GenCase *gc, int mode, const Outcome *native, const Outcome *emu,
                     const UndefMask *um, FILE *out)
{
    Diffs d;
    find_diffs(mode, native, emu, um, &d);
    /* The host is the oracle of the table's flags column too: a completed
     * form leaves every flag it does not list as written as it was. */
    if (native->status == ST_DONE) {
        d.unlisted = (uint32_t)(native->st.rflags ^ gc->c.in.rflags) & FLAGS_COMPARED &
                     ~form_flags_written(&form_info[gc->form]);
        d.n += d.unlisted != 0;
        /* ... and writes no register or memory its operand column leaves out. */
        uint16_t gpr, xmm;
        bool mem;
        table_writes(gc, &gpr, &xmm, &mem);
        const uint8_t *fin = gc->c.in.fx, *fna = native->st.fx;
        for (int i = 0; i < (mode == CODE64 ? 16 : 8); i++) {
            if (native->st.gpr[i] != gc->c.in.gpr[i] && !(gpr >> i & 1))
                d.unlisted_gpr |= (uint16_t)(1u << i);
            if (memcmp(fin + FX_XMM + 16 * i, fna + FX_XMM + 16 * i, 16) && !(xmm >> i & 1))
                d.unlisted_xmm |= (uint16_t)(1u << i);
        }
        d.unlisted_mem = !mem && native->mem.lo <= native->mem.hi;
        d.n += __builtin_popcount(d.unlisted_gpr) + __builtin_popcount(d.unlisted_xmm) + d.unlisted_mem;
    }
    if (native->status == ST_TIMEOUT || native->status == ST_CRASH)
        d.n += !d.status;  /* a harness failure is never a pass */
    static const char *const who[2] = { "native", "ringzero" };
    if (d.n && out)
        print_report(out, gc, mode, native, emu, um, &d, who);
    return d.n;
}

int compare_tiers(const GenCase *gc, int mode, const Outcome *t0, const Outcome *t1, FILE *out)
{
    static const char *const who[2] = { "tier 0", "tier 1" };
    UndefMask none;
    memset(&none, 0, sizeof none);
    Diffs d;
    find_diffs(mode, t0, t1, &none, &d);
    if (d.n && out)
        print_report(out, gc, mode, t0, t1, &none, &d, who);
    return d.n;
}

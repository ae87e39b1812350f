/* gdbstub.c — the GDB Remote Serial Protocol (gdb's manual, appendix
 * "Remote Serial Protocol"); see gdbstub.h and docs/debugging.md.
 *
 * The register layouts are those gdb's own i386 and amd64 descriptions
 * use (feature org.gnu.gdb.i386.core, .sse, .segments), written out here
 * as tables: one table gives both the target description and the g/G/p/P
 * byte layout, so the two cannot disagree.  The description follows the
 * code size (cpu_code_bits): i8086 for 16-bit code (real, virtual-8086 and
 * 16-bit protected mode), i386 for 32-bit, i386:x86-64 for 64-bit.
 */
#include "gdbstub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../cpu/debug.h"
#include "monitor.h"
#include "../cpu/x87.h"
#include "../softmmu/ctlregs.h"
#include "../softmmu/mem.h"

/* ---- registers ---- */

enum { K_GPR, K_PC, K_FLAGS, K_SEG, K_ST, K_FPU, K_XMM, K_MXCSR, K_BASE, K_CR, K_EFER };

typedef struct GdbReg {
    const char *name;
    uint8_t bits, kind, idx;
    const char *type;
} GdbReg;

typedef struct GdbFeature {
    const char *name;
    const GdbReg *regs;
    unsigned n;
} GdbFeature;

typedef struct GdbLayout {
    const char *arch;
    const GdbFeature *features;
    unsigned nfeatures;
} GdbLayout;

#define X87_REGS                                                                     \
    { "st0", 80, K_ST, 0, "i387_ext" }, { "st1", 80, K_ST, 1, "i387_ext" },          \
    { "st2", 80, K_ST, 2, "i387_ext" }, { "st3", 80, K_ST, 3, "i387_ext" },          \
    { "st4", 80, K_ST, 4, "i387_ext" }, { "st5", 80, K_ST, 5, "i387_ext" },          \
    { "st6", 80, K_ST, 6, "i387_ext" }, { "st7", 80, K_ST, 7, "i387_ext" },          \
    { "fctrl", 32, K_FPU, 0, "int" }, { "fstat", 32, K_FPU, 1, "int" },              \
    { "ftag", 32, K_FPU, 2, "int" }, { "fiseg", 32, K_FPU, 3, "int" },               \
    { "fioff", 32, K_FPU, 4, "int" }, { "foseg", 32, K_FPU, 5, "int" },              \
    { "fooff", 32, K_FPU, 6, "int" }, { "fop", 32, K_FPU, 7, "int" }
#define SEG_REGS                                                                     \
    { "cs", 32, K_SEG, S_CS, "int32" }, { "ss", 32, K_SEG, S_SS, "int32" },          \
    { "ds", 32, K_SEG, S_DS, "int32" }, { "es", 32, K_SEG, S_ES, "int32" },          \
    { "fs", 32, K_SEG, S_FS, "int32" }, { "gs", 32, K_SEG, S_GS, "int32" }
#define XMM(n) { "xmm" #n, 128, K_XMM, n, "vec128" }
/* Our own feature: gdb shows its registers as $cr0 ... (read-only). */
#define SYS_REGS(bits)                                                               \
    { "cr0", bits, K_CR, 0, "int" }, { "cr2", bits, K_CR, 2, "int" },                \
    { "cr3", bits, K_CR, 3, "int" }, { "cr4", bits, K_CR, 4, "int" },                \
    { "efer", 64, K_EFER, 0, "int" }

static const GdbReg core32[] = {
    { "eax", 32, K_GPR, 0, "int32" }, { "ecx", 32, K_GPR, 1, "int32" },
    { "edx", 32, K_GPR, 2, "int32" }, { "ebx", 32, K_GPR, 3, "int32" },
    { "esp", 32, K_GPR, 4, "data_ptr" }, { "ebp", 32, K_GPR, 5, "data_ptr" },
    { "esi", 32, K_GPR, 6, "int32" }, { "edi", 32, K_GPR, 7, "int32" },
    { "eip", 32, K_PC, 0, "code_ptr" }, { "eflags", 32, K_FLAGS, 0, "i386_eflags" },
    SEG_REGS, X87_REGS,
};
static const GdbReg sse32[] = {
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    { "mxcsr", 32, K_MXCSR, 0, "int" },
};
static const GdbReg sys32[] = { SYS_REGS(32) };

static const GdbReg core64[] = {
    { "rax", 64, K_GPR, 0, "int64" }, { "rbx", 64, K_GPR, 3, "int64" },
    { "rcx", 64, K_GPR, 1, "int64" }, { "rdx", 64, K_GPR, 2, "int64" },
    { "rsi", 64, K_GPR, 6, "int64" }, { "rdi", 64, K_GPR, 7, "int64" },
    { "rbp", 64, K_GPR, 5, "data_ptr" }, { "rsp", 64, K_GPR, 4, "data_ptr" },
    { "r8", 64, K_GPR, 8, "int64" }, { "r9", 64, K_GPR, 9, "int64" },
    { "r10", 64, K_GPR, 10, "int64" }, { "r11", 64, K_GPR, 11, "int64" },
    { "r12", 64, K_GPR, 12, "int64" }, { "r13", 64, K_GPR, 13, "int64" },
    { "r14", 64, K_GPR, 14, "int64" }, { "r15", 64, K_GPR, 15, "int64" },
    { "rip", 64, K_PC, 0, "code_ptr" }, { "eflags", 32, K_FLAGS, 0, "i386_eflags" },
    SEG_REGS, X87_REGS,
};
static const GdbReg sse64[] = {
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
    { "mxcsr", 32, K_MXCSR, 0, "int" },
};
static const GdbReg segs64[] = {
    { "fs_base", 64, K_BASE, S_FS, "int" }, { "gs_base", 64, K_BASE, S_GS, "int" },
};
static const GdbReg sys64[] = { SYS_REGS(64) };

#define FEATURE(name, regs) { name, regs, sizeof regs / sizeof regs[0] }
static const GdbFeature features32[] = {
    FEATURE("org.gnu.gdb.i386.core", core32), FEATURE("org.gnu.gdb.i386.sse", sse32),
    FEATURE("org.ringzero.x86.sys", sys32),
};
static const GdbFeature features64[] = {
    FEATURE("org.gnu.gdb.i386.core", core64), FEATURE("org.gnu.gdb.i386.sse", sse64),
    FEATURE("org.gnu.gdb.i386.segments", segs64), FEATURE("org.ringzero.x86.sys", sys64),
};
enum { LAYOUT_16, LAYOUT_32, LAYOUT_64 };  /* = CODE16/32/64 */
static const GdbLayout layouts[] = {
    { "i8086", features32, 3 }, { "i386", features32, 3 }, { "i386:x86-64", features64, 4 },
};

/* ---- the stub ---- */

#define MAX_BREAKPOINTS 64
#define MAX_WATCHPOINTS 32

struct GdbStub {
    CPU *cpu;
    int listen_fd, fd;      /* fd: the client, -1 if none */
    int port;
    void (*log)(void *opaque, const char *msg);
    void *log_opaque;
    const GdbLayout *layout;  /* the one gdb was last given */
    int last_stop;          /* GDB_STOP_* of the last stop */
    /* Breakpoints and watchpoints keep the address mode they were set in
     * (phys: Qqemu.PhyMemMode:1). */
    uint64_t bp[MAX_BREAKPOINTS];
    bool bp_phys[MAX_BREAKPOINTS];
    unsigned nbp;
    /* Watchpoints: Z2 write, Z3 read, Z4 access, on [addr, addr + len). */
    struct { uint64_t addr; uint8_t len, type; bool phys; } wp[MAX_WATCHPOINTS];
    unsigned nwp;
    int watch_hit;          /* 1 + the index of the one hit, 0: none */
    /* Resuming at a breakpoint must not stop there again at once. */
    uint64_t resume_lin, resume_icount;
    bool detach;            /* gdb_handle saw D */
    bool follow_mode;       /* Qringzero.FollowMode:1: report mode changes */
    bool phys_mode;         /* Qqemu.PhyMemMode:1: m/M/X/Z addresses are physical */
    const MonHost *mon;     /* qRcmd's monitor, NULL: none */
    uint8_t rbuf[4096];
    size_t rpos, rlen;
    char in[GDB_PACKET_MAX + 1], out[GDB_PACKET_MAX + 1];
};

__attribute__((format(printf, 2, 3)))
static void gerr(GdbStub *g, const char *fmt, ...)
{
    if (!g->log)
        return;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(msg, sizeof msg, "gdb: ");
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    g->log(g->log_opaque, msg);
}

static const GdbLayout *current_layout(const CPU *cpu)
{
    return &layouts[cpu->code_mode];
}

static bool real_or_v86(const CPU *cpu)
{
    return !(cpu->cr0 & CR0_PE) || (cpu->eflags & F_VM);
}

static void put_le(uint8_t *out, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        out[i] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

static uint64_t get_le(const uint8_t *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && i < 8; i++)
        v |= (uint64_t)in[i] << (8 * i);
    return v;
}

static uint16_t *fpu_word(X87 *f, unsigned idx)
{
    uint16_t *w[] = { &f->fcw, &f->fsw, &f->ftw, &f->fcs, NULL, &f->fds, NULL, &f->fop };
    return w[idx];
}

static void reg_get(CPU *cpu, const GdbReg *r, uint8_t *out)
{
    unsigned n = r->bits / 8;
    X87 *f = &cpu->fpu;
    uint64_t v = 0;
    switch (r->kind) {
    case K_GPR: v = cpu->regs[r->idx]; break;
    case K_PC: v = cpu_code_lin(cpu, cpu->rip); break;
    case K_FLAGS: v = cpu_get_eflags(cpu); break;
    case K_SEG: v = cpu->seg[r->idx].sel; break;
    case K_ST: {
        const F80 *st = &f->st[x87_phys(f, r->idx)];
        put_le(out, st->mant, 8);
        put_le(out + 8, st->se, 2);
        return;
    }
    case K_FPU: v = r->idx == 4 ? f->fip : r->idx == 6 ? f->fdp : *fpu_word(f, r->idx); break;
    case K_XMM: memcpy(out, cpu->xmm[r->idx].b, 16); return;
    case K_MXCSR: v = cpu->mxcsr; break;
    case K_BASE: v = cpu->seg[r->idx].base; break;
    case K_CR: v = r->idx == 0 ? cpu->cr0 : r->idx == 2 ? cpu->cr2 : r->idx == 3 ? cpu->cr3 : cpu->cr4; break;
    case K_EFER: v = cpu->efer; break;
    }
    put_le(out, v, n);
}

/* EFLAGS bits gdb may change: the status flags, TF, IF, DF, IOPL, NT, AC
 * and ID; not VM, RF, VIF or VIP (mode and event state). */
#define GDB_EFLAGS_WRITABLE 0x00247fd5u

/* Returns false for a write it refuses (a protected-mode segment
 * register or a control register taking a new value). */
static bool reg_set(GdbStub *g, const GdbReg *r, const uint8_t *in)
{
    CPU *cpu = g->cpu;
    unsigned n = r->bits / 8;
    X87 *f = &cpu->fpu;
    uint64_t v = get_le(in, n), old;
    switch (r->kind) {
    case K_GPR:
        cpu->regs[r->idx] = n == 8 ? v : (cpu->regs[r->idx] & ~size_mask(n)) | v;
        return true;
    case K_PC:
        cpu->rip = cpu->code_mode == CODE64 ? v : (v - cpu->seg[S_CS].base) & 0xffffffffull;
        return true;
    case K_FLAGS:
        if (v != cpu_get_eflags(cpu))
            cpu_set_eflags(cpu, (uint32_t)v, GDB_EFLAGS_WRITABLE);
        return true;
    case K_SEG:
        if (v == cpu->seg[r->idx].sel)
            return true;
        if (!real_or_v86(cpu) || v > 0xffff) {
            gerr(g, "segment register %s: writes are only supported in real and virtual-8086 mode", r->name);
            return false;
        }
        cpu->seg[r->idx].sel = (uint16_t)v;
        cpu->seg[r->idx].base = v << 4;
        return true;
    case K_ST: {
        F80 *st = &f->st[x87_phys(f, r->idx)];
        st->mant = get_le(in, 8);
        st->se = (uint16_t)get_le(in + 8, 2);
        return true;
    }
    case K_FPU:
        if (r->idx == 4) f->fip = v;
        else if (r->idx == 6) f->fdp = v;
        else *fpu_word(f, r->idx) = (uint16_t)v;
        return true;
    case K_XMM: memcpy(cpu->xmm[r->idx].b, in, 16); return true;
    case K_MXCSR: cpu->mxcsr = (uint32_t)v & 0xffff; return true;
    case K_BASE: cpu->seg[r->idx].base = v; return true;
    default: {
        uint8_t cur[8];
        reg_get(cpu, r, cur);
        old = get_le(cur, n);
        if (v != old)
            gerr(g, "%s is read-only through gdb", r->name);
        return v == old;
    }
    }
}

/* Register number n of layout l (p/P), or NULL. */
static const GdbReg *reg_by_number(const GdbLayout *l, unsigned long n)
{
    for (unsigned i = 0; i < l->nfeatures; i++) {
        if (n < l->features[i].n)
            return &l->features[i].regs[n];
        n -= l->features[i].n;
    }
    return NULL;
}

/* ---- the target description ---- */

static size_t append(char *buf, size_t size, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t append(char *buf, size_t size, size_t at, const char *fmt, ...)
{
    if (at >= size)
        return at;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + at, size - at, fmt, ap);
    va_end(ap);
    return n < 0 ? at : at + (size_t)n;
}

/* The types the tables name that gdb does not predefine. */
static size_t feature_types(char *buf, size_t size, size_t at, const char *feature)
{
    if (!strcmp(feature, "org.gnu.gdb.i386.core")) {
        static const char *const eflags[] = { "CF", "", "PF", "", "AF", "", "ZF", "SF", "TF", "IF",
                                              "DF", "OF", "", "", "NT", "", "RF", "VM", "AC",
                                              "VIF", "VIP", "ID" };
        at = append(buf, size, at, "<flags id=\"i386_eflags\" size=\"4\">");
        for (unsigned b = 0; b < sizeof eflags / sizeof eflags[0]; b++)
            if (*eflags[b])
                at = append(buf, size, at, "<field name=\"%s\" start=\"%u\" end=\"%u\"/>", eflags[b], b, b);
        return append(buf, size, at, "</flags>");
    }
    if (!strcmp(feature, "org.gnu.gdb.i386.sse")) {
        static const char *const vec[][3] = {
            { "v4f", "ieee_single", "4" }, { "v2d", "ieee_double", "2" }, { "v16i8", "int8", "16" },
            { "v8i16", "int16", "8" }, { "v4i32", "int32", "4" }, { "v2i64", "int64", "2" },
        };
        static const char *const field[] = { "v4_float", "v2_double", "v16_int8", "v8_int16",
                                             "v4_int32", "v2_int64" };
        for (unsigned i = 0; i < 6; i++)
            at = append(buf, size, at, "<vector id=\"%s\" type=\"%s\" count=\"%s\"/>", vec[i][0], vec[i][1], vec[i][2]);
        at = append(buf, size, at, "<union id=\"vec128\">");
        for (unsigned i = 0; i < 6; i++)
            at = append(buf, size, at, "<field name=\"%s\" type=\"%s\"/>", field[i], vec[i][0]);
        return append(buf, size, at, "<field name=\"uint128\" type=\"uint128\"/></union>");
    }
    return at;
}

static size_t target_xml(const GdbLayout *l, char *buf, size_t size)
{
    size_t at = append(buf, size, 0, "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
                       "<target version=\"1.0\"><architecture>%s</architecture>", l->arch);
    for (unsigned i = 0; i < l->nfeatures; i++) {
        const GdbFeature *f = &l->features[i];
        at = append(buf, size, at, "<feature name=\"%s\">", f->name);
        at = feature_types(buf, size, at, f->name);
        for (unsigned r = 0; r < f->n; r++) {
            const GdbReg *reg = &f->regs[r];
            bool vector = reg->kind == K_XMM || reg->kind == K_ST;
            at = append(buf, size, at, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\"%s/>", reg->name,
                        reg->bits, reg->type, vector ? " group=\"float\"" : "");
        }
        at = append(buf, size, at, "</feature>");
    }
    return append(buf, size, at, "</target>");
}

/* ---- guest memory ---- */

/* Linear -> physical as the guest would translate it now, without A/D
 * updates or a #PF; only RAM and ROM (write: RAM) count as reachable. */
static bool debug_phys(GdbStub *g, uint64_t lin, bool write, uint64_t *pa)
{
    if (!g->phys_mode)
        return debug_lin_to_phys(g->cpu, lin, write, pa);
    *pa = lin;
    return mem_phys_ptr(g->cpu->mem, lin, 1, write) != NULL;
}

/* Reads up to len bytes at lin; returns how many (stops at the first byte
 * not reachable). */
static size_t mem_get(GdbStub *g, uint64_t lin, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t pa;
        if (!debug_phys(g, lin + i, false, &pa))
            return i;
        buf[i] = (uint8_t)mem_phys_read(g->cpu->mem, pa, 1);
    }
    return len;
}

/* Writes len bytes, all or none; decoded code they overwrite is
 * invalidated as for a guest store (mem_phys_write). */
static bool mem_put(GdbStub *g, uint64_t lin, const uint8_t *buf, size_t len)
{
    uint64_t pa;
    for (size_t i = 0; i < len; i++)
        if (!debug_phys(g, lin + i, true, &pa))
            return false;
    for (size_t i = 0; i < len; i++) {
        debug_phys(g, lin + i, true, &pa);
        mem_phys_write(g->cpu->mem, pa, buf[i], 1);
    }
    return true;
}

/* ---- breakpoints ---- */

/* cpu->host_break: before each instruction while the table is not empty. */
static bool host_break(CPU *cpu)
{
    GdbStub *g = cpu->host_break_opaque;
    if (g->watch_hit)
        return true;  /* the access was in the instruction just completed */
    uint64_t lin = cpu_code_lin(cpu, cpu->rip), pa = 0;
    if (lin == g->resume_lin && cpu->icount == g->resume_icount)
        return false;
    int have_pa = -1;  /* translated only if a physical breakpoint asks */
    for (unsigned i = 0; i < g->nbp; i++) {
        if (!g->bp_phys[i]) {
            if (g->bp[i] == lin)
                return true;
            continue;
        }
        if (have_pa < 0)
            have_pa = debug_lin_to_phys(cpu, lin, false, &pa);
        if (have_pa && g->bp[i] == pa)
            return true;
    }
    return false;
}

/* cpu->host_watch: each data access while there are watchpoints.  The
 * first one hit is kept (reported at the next stop). */
static void host_watch(CPU *cpu, uint64_t lin, unsigned size, int access)
{
    GdbStub *g = cpu->host_break_opaque;
    bool write = (access & ACC_TYPE_MASK) == ACC_WRITE;
    if (g->watch_hit)
        return;
    uint64_t pa = 0;
    bool have_pa = debug_lin_to_phys(cpu, lin, false, &pa);
    for (unsigned i = 0; i < g->nwp; i++) {
        uint64_t a = lin;
        if (g->wp[i].phys) {
            if (!have_pa)
                continue;
            a = pa;  /* an access across a page end: its first page only */
        }
        if (a < g->wp[i].addr + g->wp[i].len && g->wp[i].addr < a + size &&
            (g->wp[i].type == 4 || (g->wp[i].type == 2) == write)) {
            g->watch_hit = (int)i + 1;
            return;
        }
    }
}

static void bp_changed(GdbStub *g)
{
    g->cpu->host_break = g->nbp || g->nwp ? host_break : NULL;
    g->cpu->host_watch = g->nwp ? host_watch : NULL;
    g->cpu->host_break_opaque = g;
    debug_update(g->cpu);
}

static const char *bp_insert(GdbStub *g, uint64_t addr)
{
    for (unsigned i = 0; i < g->nbp; i++)
        if (g->bp[i] == addr && g->bp_phys[i] == g->phys_mode)
            return "OK";
    if (g->nbp == MAX_BREAKPOINTS)
        return "E28";  /* ENOSPC */
    g->bp_phys[g->nbp] = g->phys_mode;
    g->bp[g->nbp++] = addr;
    bp_changed(g);
    return "OK";
}

/* Z2/Z3/Z4 (type 2, 3, 4) of len bytes at addr, and their removal. */
static const char *wp_change(GdbStub *g, bool insert, int type, uint64_t addr, uint64_t len)
{
    if (len < 1 || len > 8)
        return "E16";  /* EINVAL */
    for (unsigned i = 0; i < g->nwp; i++)
        if (g->wp[i].addr == addr && g->wp[i].len == len && g->wp[i].type == type &&
            g->wp[i].phys == g->phys_mode) {
            if (insert)
                return "OK";
            g->wp[i] = g->wp[--g->nwp];
            g->watch_hit = 0;
            bp_changed(g);
            return "OK";
        }
    if (!insert)
        return "E02";
    if (g->nwp == MAX_WATCHPOINTS)
        return "E28";
    g->wp[g->nwp].addr = addr;
    g->wp[g->nwp].len = (uint8_t)len;
    g->wp[g->nwp].type = (uint8_t)type;
    g->wp[g->nwp].phys = g->phys_mode;
    g->nwp++;
    bp_changed(g);
    return "OK";
}

static const char *bp_remove(GdbStub *g, uint64_t addr)
{
    for (unsigned i = 0; i < g->nbp; i++)
        if (g->bp[i] == addr && g->bp_phys[i] == g->phys_mode) {
            g->nbp--;
            g->bp[i] = g->bp[g->nbp];
            g->bp_phys[i] = g->bp_phys[g->nbp];
            bp_changed(g);
            return "OK";
        }
    return "E02";  /* ENOENT */
}

/* ---- packets ---- */

static const char hexd[] = "0123456789abcdef";

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A hex number at *p (at most 16 digits); false if there is none. */
static bool parse_hex(const char **p, const char *end, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    int d, n = 0;
    while (s < end && (d = hexval(*s)) >= 0) {
        if (++n > 16)
            return false;
        x = x << 4 | (uint64_t)d;
        s++;
    }
    *p = s;
    *v = x;
    return n > 0;
}

static bool expect(const char **p, const char *end, char c)
{
    if (*p < end && **p == c) {
        (*p)++;
        return true;
    }
    return false;
}

static size_t hex_bytes(char *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[b[i] >> 4];
        out[2 * i + 1] = hexd[b[i] & 15];
    }
    out[2 * n] = 0;
    return 2 * n;
}

/* Decodes n bytes of hex; false if they are not all there. */
static bool unhex(uint8_t *b, const char *s, const char *end, size_t n)
{
    if ((size_t)(end - s) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static void stop_reply(GdbStub *g, char *out)
{
    bool trap = g->last_stop != GDB_STOP_INTR;
    /* A mode change as an exec event (empty file name): gdb then reads
     * the target description again, and stops if the user has `catch
     * exec' (otherwise it resumes, so this is opt-in: follow_mode). */
    bool changed = g->follow_mode && g->layout && g->layout != current_layout(g->cpu);
    if (g->watch_hit && trap && !changed) {
        /* The address gdb set the watchpoint on, not the access's own. */
        static const char *const kind[] = { "watch", "rwatch", "awatch" };
        unsigned i = (unsigned)g->watch_hit - 1;
        snprintf(out, GDB_PACKET_MAX, "T05thread:01;%s:%llx;", kind[g->wp[i].type - 2],
                 (unsigned long long)g->wp[i].addr);
        g->watch_hit = 0;
        return;
    }
    g->watch_hit = 0;
    snprintf(out, GDB_PACKET_MAX, "T%02xthread:01;%s", trap ? 5 : 2,
             changed ? "exec:;" : g->last_stop == GDB_STOP_BREAK ? "swbreak:;" : "");
}

static size_t layout_size(const GdbLayout *l)
{
    size_t n = 0;
    for (unsigned i = 0; i < l->nfeatures; i++)
        for (unsigned r = 0; r < l->features[i].n; r++)
            n += l->features[i].regs[r].bits / 8;
    return n;
}

static void read_all_regs(GdbStub *g, char *out)
{
    const GdbLayout *l = g->layout;
    uint8_t buf[16];
    size_t at = 0;
    for (unsigned i = 0; i < l->nfeatures; i++)
        for (unsigned r = 0; r < l->features[i].n; r++) {
            const GdbReg *reg = &l->features[i].regs[r];
            reg_get(g->cpu, reg, buf);
            at += hex_bytes(out + at, buf, reg->bits / 8);
        }
}

static const char *write_all_regs(GdbStub *g, const char *s, const char *end)
{
    const GdbLayout *l = g->layout;
    if ((size_t)(end - s) != 2 * layout_size(l))
        return "E01";
    bool ok = true;
    for (unsigned i = 0; i < l->nfeatures; i++)
        for (unsigned r = 0; r < l->features[i].n; r++) {
            const GdbReg *reg = &l->features[i].regs[r];
            uint8_t buf[16];
            size_t n = reg->bits / 8;
            if (!unhex(buf, s, s + 2 * n, n))
                return "E01";
            ok &= reg_set(g, reg, buf);
            s += 2 * n;
        }
    return ok ? "OK" : "E01";
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void xfer_features(GdbStub *g, const char *p, const char *end, char *out)
{
    const char *annex = "target.xml:";
    size_t alen = strlen(annex);
    uint64_t off, len;
    if ((size_t)(end - p) < alen || memcmp(p, annex, alen)) {
        strcpy(out, "E00");
        return;
    }
    p += alen;
    if (!parse_hex(&p, end, &off) || !expect(&p, end, ',') || !parse_hex(&p, end, &len) || p != end) {
        strcpy(out, "E01");
        return;
    }
    if (off == 0)
        g->layout = current_layout(g->cpu);  /* gdb (re)reads it from the start */
    char doc[16384];  /* built again for each piece: a few KiB */
    size_t n = target_xml(g->layout, doc, sizeof doc);
    if (off >= n) {
        strcpy(out, "l");
        return;
    }
    /* Escape $ # } * as binary data; each byte may take two. */
    size_t o = 1, max = len < GDB_PACKET_MAX / 2 ? len : GDB_PACKET_MAX / 2;
    size_t i = off;
    for (; i < n && i - off < max; i++) {
        char c = doc[i];
        if (c == '$' || c == '#' || c == '}' || c == '*') {
            out[o++] = '}';
            c ^= 0x20;
        }
        out[o++] = c;
    }
    out[0] = i < n ? 'm' : 'l';
    out[o] = 0;
}

/* m / M / X: ADDR,LEN[:DATA] */
static void memory_packet(GdbStub *g, char kind, const char *p, const char *end, char *out)
{
    uint64_t addr, len;
    if (!parse_hex(&p, end, &addr) || !expect(&p, end, ',') || !parse_hex(&p, end, &len) ||
        (kind == 'm') != (p == end) || (kind != 'm' && !expect(&p, end, ':'))) {
        gerr(g, "malformed %c packet", kind);
        strcpy(out, "E01");
        return;
    }
    uint8_t buf[GDB_PACKET_MAX];
    if (kind == 'm') {
        if (len > (GDB_PACKET_MAX - 1) / 2)
            len = (GDB_PACKET_MAX - 1) / 2;  /* fewer bytes than asked: allowed */
        size_t got = mem_get(g, addr, buf, len);
        if (!got && len) {
            gerr(g, "read of %#llx: not RAM or ROM at the current translation", (unsigned long long)addr);
            strcpy(out, "E14");
            return;
        }
        hex_bytes(out, buf, got);
        return;
    }
    size_t n = 0;
    if (kind == 'M') {
        if (len > sizeof buf || !unhex(buf, p, end, len)) {
            gerr(g, "M packet: %llu bytes announced, data does not match", (unsigned long long)len);
            strcpy(out, "E01");
            return;
        }
        n = len;
    } else {
        while (p < end && n < sizeof buf) {
            uint8_t c = (uint8_t)*p++;
            if (c == '}') {
                if (p == end)
                    break;
                c = (uint8_t)(*p++ ^ 0x20);
            }
            buf[n++] = c;
        }
        if (n != len || p != end) {
            gerr(g, "X packet: %llu bytes announced, %zu given", (unsigned long long)len, n);
            strcpy(out, "E01");
            return;
        }
    }
    if (!mem_put(g, addr, buf, n)) {
        gerr(g, "write of %zu bytes at %#llx: not all RAM at the current translation", n,
             (unsigned long long)addr);
        strcpy(out, "E14");
        return;
    }
    strcpy(out, "OK");
}

/* c/s [ADDR]: resume, optionally at ADDR ($pc's meaning). */
static int resume(GdbStub *g, bool step, const char *p, const char *end, char *out)
{
    uint64_t addr;
    if (p < end) {
        if (!parse_hex(&p, end, &addr) || p != end) {
            strcpy(out, "E01");
            return -1;
        }
        static const GdbReg pc = { "pc", 64, K_PC, 0, "code_ptr" };
        uint8_t b[8];
        put_le(b, addr, 8);
        reg_set(g, &pc, b);
    }
    out[0] = 0;
    return step ? GDB_STEP : GDB_CONT;
}

static bool starts(const char *p, const char *end, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(end - p) >= n && !memcmp(p, s, n);
}

static bool send_packet(GdbStub *g, const char *body);

/* qRcmd,HEX (gdb's `monitor CMD'): the command's output goes out as O
 * packets (hex text) before the final OK.  Returns GDB_KILL for quit. */
static int monitor_packet(GdbStub *g, const char *p, const char *end, char *out)
{
    size_t n = (size_t)(end - p) / 2;
    char cmd[GDB_PACKET_MAX / 2 + 1];
    if ((size_t)(end - p) % 2 || !unhex((uint8_t *)cmd, p, end, n) || memchr(cmd, 0, n)) {
        gerr(g, "qRcmd: the command is not hex text");
        strcpy(out, "E01");
        return -1;
    }
    cmd[n] = 0;
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (!f) {
        strcpy(out, "E0c");  /* ENOMEM */
        return -1;
    }
    int r = monitor_command(g->mon, cmd, f);
    /* The guest is stopped for gdb already; running it behind gdb's back
     * would leave gdb waiting on a target it thinks is stopped. */
    if (r == MON_CONT)
        fprintf(f, "cont: gdb has the guest stopped; resume it from gdb (continue, stepi)\n");
    fclose(f);
    /* Each O packet carries at most PacketSize/2 - 1 bytes of text. */
    const size_t chunk = GDB_PACKET_MAX / 2 - 1;
    for (size_t at = 0; at < tlen; at += chunk) {
        size_t k = tlen - at < chunk ? tlen - at : chunk;
        out[0] = 'O';
        hex_bytes(out + 1, (const uint8_t *)text + at, k);
        if (!send_packet(g, out))
            break;
    }
    free(text);
    strcpy(out, "OK");
    return r == MON_QUIT ? GDB_KILL : -1;
}

/* The answer to one packet body (unframed) in out (at least
 * GDB_PACKET_MAX + 1 bytes; empty: the "unsupported" reply); *action gets
 * GDB_CONT/GDB_STEP/GDB_KILL when the packet resumes the guest, else -1. */
static void gdb_handle(GdbStub *g, const char *pkt, size_t len, char *out, int *action)
{
    const char *p = pkt + 1, *end = pkt + len;
    uint64_t a, b;
    *action = -1;
    out[0] = 0;
    if (!g->layout)
        g->layout = current_layout(g->cpu);
    if (!len)
        return;
    switch (pkt[0]) {
    case '?':
        stop_reply(g, out);
        return;
    case 'g':
        read_all_regs(g, out);
        return;
    case 'G':
        strcpy(out, write_all_regs(g, p, end));
        return;
    case 'p': {
        const GdbReg *r;
        uint8_t buf[16];
        if (!parse_hex(&p, end, &a) || p != end || !(r = reg_by_number(g->layout, a))) {
            strcpy(out, "E00");
            return;
        }
        reg_get(g->cpu, r, buf);
        hex_bytes(out, buf, r->bits / 8);
        return;
    }
    case 'P': {
        const GdbReg *r;
        uint8_t buf[16];
        if (!parse_hex(&p, end, &a) || !expect(&p, end, '=') || !(r = reg_by_number(g->layout, a)) ||
            !unhex(buf, p, end, r->bits / 8)) {
            strcpy(out, "E00");
            return;
        }
        strcpy(out, reg_set(g, r, buf) ? "OK" : "E01");
        return;
    }
    case 'm': case 'M': case 'X':
        memory_packet(g, pkt[0], p, end, out);
        return;
    case 'c': case 's':
        *action = resume(g, pkt[0] == 's', p, end, out);
        return;
    case 'C': case 'S':  /* with a signal: the signal is not given to the guest */
        *action = pkt[0] == 'S' ? GDB_STEP : GDB_CONT;
        return;
    case 'Z': case 'z':
        /* Z0 software, Z1 hardware: both are the table (no guest byte is
         * changed and there is no limit of four); Z2-Z4 watchpoints. */
        if (len < 2 || pkt[1] < '0' || pkt[1] > '4')
            return;  /* unsupported, empty reply */
        p = pkt + 2;
        if (!expect(&p, end, ',') || !parse_hex(&p, end, &a) || !expect(&p, end, ',') ||
            !parse_hex(&p, end, &b)) {
            strcpy(out, "E01");
            return;
        }
        if (pkt[1] >= '2')
            strcpy(out, wp_change(g, pkt[0] == 'Z', pkt[1] - '0', a, b));
        else
            strcpy(out, pkt[0] == 'Z' ? bp_insert(g, a) : bp_remove(g, a));
        return;
    case 'D':
        g->detach = true;
        strcpy(out, "OK");
        *action = GDB_CONT;
        return;
    case 'k':
        *action = GDB_KILL;
        return;
    case 'H': case 'T':
        strcpy(out, "OK");
        return;
    case 'Q':
        if (starts(pkt, end, "Qringzero.FollowMode:") && len == strlen("Qringzero.FollowMode:") + 1 &&
            (pkt[len - 1] == '0' || pkt[len - 1] == '1')) {
            g->follow_mode = pkt[len - 1] == '1';
            strcpy(out, "OK");
        } else if (starts(pkt, end, "Qqemu.PhyMemMode:") && len == strlen("Qqemu.PhyMemMode:") + 1 &&
                   (pkt[len - 1] == '0' || pkt[len - 1] == '1')) {
            g->phys_mode = pkt[len - 1] == '1';
            strcpy(out, "OK");
        }
        return;
    case 'q':
        if (starts(pkt, end, "qSupported"))
            snprintf(out, GDB_PACKET_MAX, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;exec-events+",
                     GDB_PACKET_MAX);
        else if (starts(pkt, end, "qXfer:features:read:"))
            xfer_features(g, pkt + strlen("qXfer:features:read:"), end, out);
        else if (starts(pkt, end, "qAttached"))
            strcpy(out, "1");
        else if (len == 2 && pkt[1] == 'C')
            strcpy(out, "QC01");
        else if (starts(pkt, end, "qfThreadInfo"))
            strcpy(out, "m01");
        else if (starts(pkt, end, "qsThreadInfo"))
            strcpy(out, "l");
        else if (starts(pkt, end, "qRcmd,") && g->mon)
            *action = monitor_packet(g, pkt + strlen("qRcmd,"), end, out);
        return;
    case 'v':
        if (starts(pkt, end, "vCont?")) {
            strcpy(out, "vCont;c;C;s;S");
        } else if (starts(pkt, end, "vCont;")) {
            /* One thread: the first action is ours (c, C, s, S). */
            char c = len > 6 ? pkt[6] : 0;
            if (c == 'c' || c == 'C')
                *action = GDB_CONT;
            else if (c == 's' || c == 'S')
                *action = GDB_STEP;
            else
                strcpy(out, "E01");
        } else if (starts(pkt, end, "vKill")) {
            strcpy(out, "OK");
            *action = GDB_KILL;
        }
        return;
    default:
        return;  /* unsupported: the empty reply */
    }
}

/* ---- the connection ---- */

static void drop_client(GdbStub *g)
{
    if (g->fd >= 0)
        close(g->fd);
    g->fd = -1;
    g->rpos = g->rlen = 0;
    g->nbp = 0;
    g->nwp = 0;
    g->watch_hit = 0;
    g->layout = NULL;
    bp_changed(g);
}

/* The next byte from the client; -1 when it is gone.  Blocks. */
static int get_byte(GdbStub *g)
{
    if (g->rpos == g->rlen) {
        ssize_t n;
        do
            n = recv(g->fd, g->rbuf, sizeof g->rbuf, 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
            return -1;
        g->rpos = 0;
        g->rlen = (size_t)n;
    }
    return g->rbuf[g->rpos++];
}

static bool send_all(GdbStub *g, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(g->fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

/* Sends $body#cs and waits for '+', sending again on '-' (a few times). */
static bool send_packet(GdbStub *g, const char *body)
{
    size_t n = strlen(body);
    char *frame = malloc(n + 5);
    if (!frame)
        return false;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (uint8_t)body[i];
    frame[0] = '$';
    memcpy(frame + 1, body, n);
    snprintf(frame + 1 + n, 4, "#%02x", sum & 0xff);
    bool ok = false;
    for (int tries = 0; tries < 8 && !ok; tries++) {
        if (!send_all(g, frame, n + 4))
            break;
        int c;
        while ((c = get_byte(g)) >= 0 && c != '+' && c != '-' && c != '$')
            ;  /* e.g. a late Ctrl-C */
        if (c < 0)
            break;
        if (c == '$') {
            g->rpos--;  /* a new packet: gdb took the reply */
            ok = true;
        } else {
            ok = c == '+';
        }
    }
    free(frame);
    return ok;
}

/* Receives one packet into g->in (acknowledged); its length, or -1 when
 * the client is gone.  A bad checksum gets '-' (gdb sends it again); an
 * oversized one '+' and the length GDB_PACKET_MAX + 1, answered E01. */
static long recv_packet(GdbStub *g)
{
    for (;;) {
        int c;
        while ((c = get_byte(g)) >= 0 && c != '$')
            ;  /* acks, Ctrl-C while stopped, noise */
        if (c < 0)
            return -1;
        size_t n = 0;
        bool over = false;
        unsigned sum = 0;
        while ((c = get_byte(g)) >= 0 && c != '#') {
            sum += (unsigned)c;
            if (n < GDB_PACKET_MAX)
                g->in[n++] = (char)c;
            else
                over = true;
        }
        int h = c < 0 ? -1 : get_byte(g), l = h < 0 ? -1 : get_byte(g);
        if (l < 0)
            return -1;
        g->in[n] = 0;
        if (hexval((char)h) < 0 || hexval((char)l) < 0 ||
            (unsigned)(hexval((char)h) << 4 | hexval((char)l)) != (sum & 0xff)) {
            gerr(g, "packet with a bad checksum; asking for it again");
            if (!send_all(g, "-", 1))
                return -1;
            continue;
        }
        if (!send_all(g, "+", 1))
            return -1;
        if (over) {
            gerr(g, "packet longer than %u bytes", GDB_PACKET_MAX);
            return GDB_PACKET_MAX + 1;
        }
        return (long)n;
    }
}

static bool accept_client(GdbStub *g, bool block)
{
    struct pollfd p = { .fd = g->listen_fd, .events = POLLIN };
    if (!block && poll(&p, 1, 0) <= 0)
        return false;
    int fd = accept(g->listen_fd, NULL, NULL);
    if (fd < 0)
        return false;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    g->fd = fd;
    g->layout = NULL;
    g->follow_mode = false;
    return true;
}

bool gdb_poll(GdbStub *g, int *why)
{
    if (g->fd < 0) {
        *why = GDB_STOP_ATTACH;
        return accept_client(g, false);
    }
    for (;;) {
        uint8_t c;
        ssize_t n = recv(g->fd, &c, 1, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            drop_client(g);  /* gone while running: the guest goes on */
            return false;
        }
        if (n < 0)
            return false;
        if (c == 0x03) {
            *why = GDB_STOP_INTR;
            return true;
        }
    }
}

void gdb_set_monitor(GdbStub *g, const MonHost *mon)
{
    g->mon = mon;
}

int gdb_fd(const GdbStub *g)
{
    return g->fd >= 0 ? g->fd : g->listen_fd;
}

int gdb_serve(GdbStub *g, int why)
{
    while (g->fd < 0)
        if (!accept_client(g, true))
            return GDB_CONT;
    g->last_stop = why;
    if (why != GDB_STOP_ATTACH) {
        char reply[64];
        stop_reply(g, reply);
        if (!send_packet(g, reply))
            drop_client(g);
        while (g->fd < 0)
            if (!accept_client(g, true))
                return GDB_CONT;
    }
    for (;;) {
        long n = recv_packet(g);
        if (n < 0) {
            /* Gone while stopped (gdb's disconnect, a crash): the guest
             * stays stopped for the next client, as after -S. */
            drop_client(g);
            while (g->fd < 0)
                if (!accept_client(g, true))
                    return GDB_CONT;
            continue;
        }
        int action;
        if (n > GDB_PACKET_MAX) {
            strcpy(g->out, "E01");
            action = -1;
        } else {
            gdb_handle(g, g->in, (size_t)n, g->out, &action);
        }
        if ((action < 0 || g->out[0] || g->detach) && !send_packet(g, g->out)) {
            drop_client(g);
            continue;
        }
        if (g->detach) {
            g->detach = false;
            drop_client(g);
            return GDB_CONT;
        }
        if (action == GDB_KILL) {
            drop_client(g);
            return GDB_KILL;
        }
        if (action >= 0) {
            g->resume_lin = cpu_code_lin(g->cpu, g->cpu->rip);
            g->resume_icount = g->cpu->icount;
            return action;
        }
    }
}

void gdb_exited(GdbStub *g, int status)
{
    if (g->fd < 0)
        return;
    char reply[8];
    snprintf(reply, sizeof reply, "W%02x", status & 0xff);
    send_packet(g, reply);
    drop_client(g);
}

/* "tcp::PORT" or "tcp:HOST:PORT" */
GdbStub *gdb_open(const char *spec, CPU *cpu, void (*log)(void *opaque, const char *msg),
                  void *log_opaque, char *err, size_t errlen)
{
    const char *rest = !strncmp(spec, "tcp:", 4) ? spec + 4 : NULL;
    const char *colon = rest ? strrchr(rest, ':') : NULL;
    char host[256], *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || !colon[1] || *end || port < 0 || port > 65535 || (size_t)(colon - rest) >= sizeof host) {
        snprintf(err, errlen, "-gdb: '%s' is not tcp::PORT or tcp:HOST:PORT", spec);
        return NULL;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - rest), rest);
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    int rc = getaddrinfo(*host ? host : "127.0.0.1", NULL, &hints, &ai);
    if (rc) {
        snprintf(err, errlen, "-gdb: host '%s': %s", host, gai_strerror(rc));
        return NULL;
    }
    struct sockaddr_in sa = *(struct sockaddr_in *)ai->ai_addr;
    freeaddrinfo(ai);
    sa.sin_port = htons((uint16_t)port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1)) {
        snprintf(err, errlen, "-gdb: cannot listen on %s:%ld: %s", *host ? host : "127.0.0.1", port,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    socklen_t slen = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &slen);
    GdbStub *g = calloc(1, sizeof *g);
    if (!g) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->cpu = cpu;
    g->listen_fd = fd;
    g->fd = -1;
    g->port = ntohs(sa.sin_port);
    g->log = log;
    g->log_opaque = log_opaque;
    return g;
}

int gdb_port(const GdbStub *g)
{
    return g->port;
}

void gdb_close(GdbStub *g)
{
    if (!g)
        return;
    if (g->fd >= 0)
        close(g->fd);
    g->cpu->host_break = NULL;
    g->cpu->host_watch = NULL;
    debug_update(g->cpu);
    close(g->listen_fd);
    free(g);
}

/* test_arith_oracle.h — runs one instruction both natively on the host and in
 * the interpreter, from the same registers, flags and memory, and compares.
 *
 * The host is the oracle.  Native execution uses a small stub generated at
 * run time (so any instruction bytes can be tested), in 64-bit mode or, for
 * 32-bit code (and the forms invalid in 64-bit mode), in compatibility mode
 * through Linux's 32-bit user code segment (selector 0x23).  The data buffer
 * the instructions address sits at the same address on the host (a fixed
 * mapping) and in guest RAM, so the same ModRM encodings work on both.
 *
 * Only for x86-64 Linux hosts; each test_arith*.c includes this once.
 */
#ifndef TEST_ARITH_ORACLE_H
#define TEST_ARITH_ORACLE_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/machine.h"
#include "tests/host_model.h"

#define DATA_ADDR 0x200000ull    /* host and guest address of the data buffer */
#define DATA_SIZE 0x20000u
#define CODE_ADDR 0x100000ull    /* guest address of the instruction */
#define CODE16_ADDR 0x8000ull    /* the same in 16-bit code */
#define GUEST_RAM (4u << 20)
#define FLAGS_ARITH 0x8d5u       /* OF SF ZF AF PF CF */

typedef struct XState {
    uint64_t r[16];
    uint64_t fl;
} XState;

/* Result of one run: registers and flags after, fault (-1 none, else the
 * vector; natively SIGFPE is #DE, SIGILL #UD, any other signal 99+signo). */
typedef struct XResult {
    XState st;
    int fault;
} XResult;

static struct {
    uint8_t *low;        /* below 2 GiB: stubs, state, stack */
    uint8_t *data;       /* DATA_ADDR on the host */
    Machine m;
    sigjmp_buf jb;
    volatile int sig;
    unsigned passed, failed, undef_diff, faults;
    bool preset_on;
    uint64_t preset_off, preset_val;
    unsigned preset_size;
    uint64_t rng;
} T;

enum { LOW_SIZE = 0x20000, LOW_STATE = 0x100, LOW_SAVE_RSP = 0x80,
       LOW_STUB = 0x1000, LOW_STACK_TOP = 0x1f000 };

static void oracle_sig(int signo)
{
    T.sig = signo;
    siglongjmp(T.jb, 1);
}

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, so a failure reproduces */
    T.rng ^= T.rng >> 12;
    T.rng ^= T.rng << 25;
    T.rng ^= T.rng >> 27;
    return T.rng * 2685821657736338717ull;
}

static void oracle_init(void)
{
    T.rng = 0x9e3779b97f4a7c15ull;
    T.low = mmap(NULL, LOW_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    T.data = mmap((void *)DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (T.low == MAP_FAILED || T.data != (void *)DATA_ADDR) {
        fprintf(stderr, "oracle: cannot map low memory\n");
        exit(2);
    }
    char err[128];
    if (machine_init(&T.m, GUEST_RAM, err, sizeof err)) {
        fprintf(stderr, "oracle: %s\n", err);
        exit(2);
    }
    cpu_set_model(&T.m.cpu, test_host_model());  /* the host is the oracle */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = oracle_sig;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

typedef struct Emit { uint8_t *p; } Emit;
static void eb(Emit *e, unsigned n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (unsigned i = 0; i < n; i++)
        *e->p++ = (uint8_t)va_arg(ap, int);
    va_end(ap);
}
static void e32(Emit *e, uint32_t v) { memcpy(e->p, &v, 4); e->p += 4; }
static void e64(Emit *e, uint64_t v) { memcpy(e->p, &v, 8); e->p += 8; }

/* mov reg <-> [abs32] for all GPRs but RSP, 64-bit mode (SIB, no base). */
static void emit_regs64(Emit *e, uint32_t state, bool store)
{
    for (unsigned r = 0; r < 16; r++) {
        if (r == R_SP)
            continue;
        eb(e, 4, 0x48 | ((r >> 3) << 2), store ? 0x89 : 0x8b, 0x04 | ((r & 7) << 3), 0x25);
        e32(e, state + 8 * r);
    }
}

static void emit_regs32(Emit *e, uint32_t state, bool store)
{
    for (unsigned r = 0; r < 8; r++) {
        if (r == R_SP)
            continue;
        eb(e, 2, store ? 0x89 : 0x8b, 0x05 | (r << 3));
        e32(e, state + 8 * r);
    }
}

/* Builds the stub for insn and runs it; mode CODE64 or CODE32. */
static int native_run(int mode, const uint8_t *insn, unsigned len, XState *st)
{
    uint32_t base = (uint32_t)(uintptr_t)T.low;
    uint32_t state = base + LOW_STATE;
    memcpy(T.low + LOW_STATE, st, sizeof *st);
    Emit e = { T.low + LOW_STUB };
    eb(&e, 10, 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57); /* push rbx..r15 */
    if (mode == CODE64) {
        eb(&e, 3, 0xff, 0x34, 0x25); e32(&e, state + 128);       /* push qword [fl] */
        eb(&e, 1, 0x9d);                                          /* popfq */
        emit_regs64(&e, state, false);
        memcpy(e.p, insn, len); e.p += len;
        eb(&e, 1, 0x9c);                                          /* pushfq */
        eb(&e, 3, 0x8f, 0x04, 0x25); e32(&e, state + 128);        /* pop qword [fl] */
        emit_regs64(&e, state, true);
    } else {
        eb(&e, 2, 0x48, 0xb8); e64(&e, base + LOW_SAVE_RSP);      /* movabs rax, save */
        eb(&e, 3, 0x48, 0x89, 0x20);                              /* mov [rax], rsp */
        eb(&e, 2, 0x48, 0xbc); e64(&e, base + LOW_STACK_TOP);     /* movabs rsp, low stack */
        uint8_t *fix = e.p + 3;
        eb(&e, 2, 0x6a, 0x23); eb(&e, 1, 0x68); e32(&e, 0);       /* push 0x23; push entry */
        eb(&e, 2, 0x48, 0xcb);                                    /* retfq */
        uint32_t entry = (uint32_t)(uintptr_t)e.p;
        memcpy(fix, &entry, 4);
        eb(&e, 6, 0x8c, 0xd0, 0x8e, 0xd8, 0x8e, 0xc0);            /* ds = es = ss */
        eb(&e, 2, 0xff, 0x35); e32(&e, state + 128);              /* push dword [fl] */
        eb(&e, 1, 0x9d);                                          /* popfd */
        emit_regs32(&e, state, false);
        memcpy(e.p, insn, len); e.p += len;
        eb(&e, 1, 0x9c);                                          /* pushfd */
        eb(&e, 2, 0x8f, 0x05); e32(&e, state + 128);              /* pop dword [fl] */
        emit_regs32(&e, state, true);
        fix = e.p + 3;
        eb(&e, 2, 0x6a, 0x33); eb(&e, 1, 0x68); e32(&e, 0);       /* push 0x33; push back */
        eb(&e, 1, 0xcb);                                          /* retf */
        uint32_t back = (uint32_t)(uintptr_t)e.p;
        memcpy(fix, &back, 4);
        eb(&e, 2, 0x48, 0xb8); e64(&e, base + LOW_SAVE_RSP);      /* movabs rax, save */
        eb(&e, 3, 0x48, 0x8b, 0x20);                              /* mov rsp, [rax] */
    }
    eb(&e, 10, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b); /* pop r15..rbx */
    eb(&e, 1, 0xc3);
    __builtin___clear_cache((char *)T.low + LOW_STUB, (char *)e.p);
    if (mode == CODE32) {
        /* Compatibility mode sees only the low halves; the upper halves of
         * the registers are not preserved across it, so compare 32 bits. */
        for (unsigned r = 0; r < 16; r++)
            ((XState *)(T.low + LOW_STATE))->r[r] &= r < 8 ? 0xffffffffull : 0;
    }
    T.sig = 0;
    if (sigsetjmp(T.jb, 1) == 0)
        ((void (*)(void))(T.low + LOW_STUB))();
    if (T.sig)
        return T.sig;
    memcpy(st, T.low + LOW_STATE, sizeof *st);
    if (mode == CODE32)
        for (unsigned r = 0; r < 16; r++)
            st->r[r] &= r < 8 ? 0xffffffffull : 0;
    return 0;
}

/* Runs the interpreter; mode may also be CODE16 (the code then sits below
 * 64 KiB, and only register operands make sense there). */
static int interp_run(int mode, const uint8_t *insn, unsigned len, XState *st, uint8_t *guest_data)
{
    CPU *cpu = &T.m.cpu;
    uint64_t code = mode == CODE16 ? CODE16_ADDR : CODE_ADDR;
    cpu_reset_flat(cpu, mode, code);
    memcpy(T.m.mem.ram + code, insn, len);
    memset(T.m.mem.ram + code + len, 0x90, 16);
    for (unsigned r = 0; r < 16; r++)
        cpu->regs[r] = st->r[r];
    cpu->regs[R_SP] = 0x80000;
    cpu->eflags = (uint32_t)(st->fl & FLAGS_ARITH) | 2;
    cpu->lf.op = LF_NONE;
    int rc = cpu_step(cpu);
    memcpy(guest_data, T.m.mem.ram + DATA_ADDR, DATA_SIZE);
    for (unsigned r = 0; r < 16; r++)
        st->r[r] = cpu->regs[r];
    st->fl = cpu_get_eflags(cpu);
    if (rc == RUN_EXCEPTION)
        return cpu->exc_vector;
    if (cpu->rip != code + len)
        return 98;   /* the instruction did not fall through */
    return -1;
}

/* Runs insn from st (registers; only OSZAPC of fl matter) with the data
 * buffer holding pattern seed on both sides; compares everything but the
 * flags in undef.  Prints a line per mismatch. */
/* Runs insn natively in mode and ginsn in the interpreter in gmode (the
 * same instruction for another code size: 16-bit code has no native
 * oracle, so it is checked against 32-bit code with the 66 prefix flipped). */
static bool check_as(const char *what, int mode, const uint8_t *insn, unsigned len,
                     int gmode, const uint8_t *ginsn, unsigned glen,
                     const XState *in, uint32_t undef)
{
    static uint8_t guest_data[DATA_SIZE];
    XState n = *in, g = *in;
    n.fl = (in->fl & FLAGS_ARITH) | 0x202;
    g.fl = n.fl;
    if (mode == CODE32)
        for (unsigned r = 0; r < 16; r++) {
            n.r[r] &= r < 8 ? 0xffffffffull : 0;
            g.r[r] = n.r[r];
        }
    uint64_t seed = rnd();
    for (unsigned i = 0; i < DATA_SIZE; i += 8) {
        uint64_t v = seed ^ (i * 0x9e3779b97f4a7c15ull);
        memcpy(T.data + i, &v, 8);
        memcpy(T.m.mem.ram + DATA_ADDR + i, &v, 8);
    }
    if (T.preset_on) {
        memcpy(T.data + T.preset_off, &T.preset_val, T.preset_size);
        memcpy(T.m.mem.ram + DATA_ADDR + T.preset_off, &T.preset_val, T.preset_size);
        T.preset_on = false;
    }
    int sig = native_run(mode, insn, len, &n);
    int nfault = sig == 0 ? -1 : sig == SIGFPE ? EXC_DE : sig == SIGILL ? EXC_UD : 99 + sig;
    if (nfault >= 0)
        n = g;     /* a faulting instruction changes nothing */
    n.fl = (n.fl & FLAGS_ARITH) | 2;
    int gfault = interp_run(gmode, ginsn, glen, &g, guest_data);
    g.fl &= FLAGS_ARITH | 2;
    if (nfault >= 0)
        n.fl = (in->fl & FLAGS_ARITH) | 2;
    bool ok = nfault == gfault;
    unsigned bad_reg = 99;
    for (unsigned r = 0; r < 16 && ok; r++) {
        if (r == R_SP)
            continue;
        if (mode == CODE32 && r >= 8)
            continue;
        uint64_t gv = mode == CODE32 ? (uint32_t)g.r[r] : g.r[r];
        if (gv != n.r[r]) {
            ok = false;
            bad_reg = r;
        }
    }
    if (ok && g.r[R_SP] != 0x80000)
        ok = false, bad_reg = R_SP;
    if (ok && ((n.fl ^ g.fl) & ~undef))
        ok = false;
    /* After a host fault T.data still holds the pattern, so this also
     * checks that a faulting instruction left guest memory alone. */
    bool memok = memcmp(T.data, guest_data, DATA_SIZE) == 0;
    ok = ok && memok;
    if (ok) {
        T.passed++;
        T.faults += nfault >= 0;
        if ((n.fl ^ g.fl) & undef & FLAGS_ARITH) {
            T.undef_diff++;
            /* ARITH_VERBOSE=1 lists them, to compare with the host */
            if (getenv("ARITH_VERBOSE")) {
                printf("undef-only diff %s [", what);
                for (unsigned i = 0; i < len; i++)
                    printf("%s%02x", i ? " " : "", insn[i]);
                printf("] ax=%llx cx=%llx fl=%03llx: host %03llx interp %03llx\n",
                       (unsigned long long)in->r[0], (unsigned long long)in->r[1],
                       (unsigned long long)in->fl, (unsigned long long)n.fl,
                       (unsigned long long)g.fl);
            }
        }
        return true;
    }
    T.failed++;
    if (T.failed <= 40) {
        printf("FAIL %s [", what);
        for (unsigned i = 0; i < len; i++)
            printf("%s%02x", i ? " " : "", insn[i]);
        printf("] mode %d in: ax=%llx cx=%llx dx=%llx bx=%llx fl=%llx\n", mode,
               (unsigned long long)in->r[0], (unsigned long long)in->r[1],
               (unsigned long long)in->r[2], (unsigned long long)in->r[3],
               (unsigned long long)in->fl);
        printf("   host fault %d, interp fault %d; mem %s; first reg diff %u\n", nfault, gfault,
               memok ? "same" : "DIFFERS", bad_reg);
        for (unsigned r = 0; r < 16; r++)
            if (r != R_SP && n.r[r] != (mode == CODE32 ? (uint32_t)g.r[r] : g.r[r]))
                printf("   r%u host %llx interp %llx\n", r, (unsigned long long)n.r[r],
                       (unsigned long long)g.r[r]);
        printf("   flags host %03llx interp %03llx (undef mask %03x)\n",
               (unsigned long long)n.fl, (unsigned long long)g.fl, undef);
    }
    return false;
}

__attribute__((unused)) static bool check(const char *what, int mode, const uint8_t *insn, unsigned len,
                  const XState *in, uint32_t undef)
{
    return check_as(what, mode, insn, len, mode, insn, len, in, undef);
}

/* Native 32-bit code vs the interpreter in 16-bit code: flips the leading
 * 66 prefix (encode() puts it first). */
__attribute__((unused)) static bool check16(const char *what, const uint8_t *insn, unsigned len,
                                            const XState *in, uint32_t undef)
{
    uint8_t g[16];
    unsigned glen;
    if (insn[0] == 0x66) {
        memcpy(g, insn + 1, len - 1);
        glen = len - 1;
    } else {
        g[0] = 0x66;
        memcpy(g + 1, insn, len);
        glen = len + 1;
    }
    return check_as(what, CODE32, insn, len, CODE16, g, glen, in, undef);
}

static int oracle_finish(const char *name)
{
    printf("%s: %u host-vs-interpreter cases (%u of them faulting alike); "
           "%u differed only in SDM-undefined flags\n",
           name, T.passed + T.failed, T.faults, T.undef_diff);
    printf("%u passed, %u failed\n", T.passed, T.failed);
    machine_free(&T.m);
    return T.failed != 0 || T.passed == 0;
}

/* Interesting operand values for a size in bytes */
__attribute__((unused)) static uint64_t edge_value(unsigned i, unsigned size)
{
    uint64_t m = size_mask(size), sb = sign_bit(size);
    switch (i % 12) {
    case 0: return 0;
    case 1: return 1;
    case 2: return m;
    case 3: return sb;
    case 4: return sb - 1;
    case 5: return sb + 1;
    case 6: return 2;
    case 7: return m - 1;
    case 8: return 0x10 & m;
    case 9: return 0x0f & m;
    default: return rnd() & m;
    }
}


/* ---- instruction encoding for the tests ---- */

enum { RM_MEM = -1 };   /* ModRM r/m is memory: [rBX + disp8] */
#define EXT(n) (100 + (n))  /* ModRM.reg as an opcode extension /n */
#define MEM_BASE (DATA_ADDR + 0x1000)

/* Byte registers: 0..15 as with REX (4..7 = SPL..DIL), 16..19 = AH..BH. */
static bool byte_needs_rex(int r) { return r >= 4 && r < 16; }

/* Encodes [66] [mpfx] [REX] opc.. [ModRM [disp8]] [imm].  reg is the ModRM
 * reg field (register or /digit), rm a register or RM_MEM. */
static unsigned encode(uint8_t *o, unsigned osz, uint8_t mpfx, const uint8_t *opc, unsigned nopc,
                       int reg, int rm, bool has_modrm, uint64_t imm, unsigned nimm)
{
    unsigned n = 0, rex = 0;
    if (osz == 2)
        o[n++] = 0x66;
    if (mpfx)
        o[n++] = mpfx;
    if (osz == 8)
        rex |= 8;
    bool ext = reg >= 100;
    if (ext)
        reg -= 100;
    if (has_modrm && !ext) {
        if (osz == 1 && (byte_needs_rex(reg) || byte_needs_rex(rm)))
            rex |= 0x40;
        if (reg >= 8 && reg < 16)
            rex |= 4;
    }
    if (has_modrm) {
        if (osz == 1 && byte_needs_rex(rm))
            rex |= 0x40;
        if (rm >= 8 && rm < 16)
            rex |= 1;
    }
    if (rex)
        o[n++] = (uint8_t)(0x40 | rex);
    for (unsigned i = 0; i < nopc; i++)
        o[n++] = opc[i];
    if (has_modrm) {
        unsigned r = (unsigned)(reg >= 16 ? reg - 12 : reg) & 7;
        if (rm == RM_MEM) {
            o[n++] = (uint8_t)(0x40 | r << 3 | 3);
            o[n++] = 0x40;
        } else {
            o[n++] = (uint8_t)(0xc0 | r << 3 | ((unsigned)(rm >= 16 ? rm - 12 : rm) & 7));
        }
    }
    for (unsigned i = 0; i < nimm; i++)
        o[n++] = (uint8_t)(imm >> (8 * i));
    return n;
}

/* A random register for an operand of size bytes, never RSP (the native
 * stub keeps its stack there). */
static int pick_reg(int mode, unsigned size)
{
    for (;;) {
        int r = (int)(rnd() % (mode == CODE64 ? 20 : 8));
        if (size == 1 && mode == CODE32 && r >= 4)
            r += 12;   /* AH..BH */
        if ((r >= 16 && size != 1) || r == R_SP)
            continue;
        return r;
    }
}

/* Two operands that one instruction can encode together (no AH..BH
 * alongside a register that needs REX). */
static bool rex_free(int r) { return r == RM_MEM || r < 4 || r >= 16; }
static void pick_pair(int mode, unsigned size, int *reg, int *rm, bool mem)
{
    do {
        *reg = pick_reg(mode, size);
        *rm = mem ? RM_MEM : pick_reg(mode, size);
    } while ((size == 1 && (*reg >= 16 || *rm >= 16) && !(rex_free(*reg) && rex_free(*rm))) ||
             (mem && (*reg == R_BX || *reg == 16 + R_BX)));   /* RBX is the base */
}

/* Register state: random values everywhere, RBX = MEM_BASE, flags random. */
static void random_state(XState *s)
{
    for (unsigned r = 0; r < 16; r++)
        s->r[r] = rnd();
    s->r[R_BX] = MEM_BASE;
    s->fl = rnd() & FLAGS_ARITH;
}

/* Sets the operand held in register r (byte numbering as above). */
static void put_operand(XState *s, int r, unsigned size, uint64_t v)
{
    if (r >= 16) {
        s->r[r - 16] = (s->r[r - 16] & ~0xff00ull) | (v & 0xff) << 8;
        return;
    }
    uint64_t m = size_mask(size);
    s->r[r] = (s->r[r] & ~m) | (v & m);
}

/* The memory operand: [rBX + 0x40] = DATA_ADDR + 0x1040.  A preset puts a
 * chosen value there (both sides) for the next check() only. */
#define MEM_OPERAND_OFF 0x1040u
__attribute__((unused)) static void preset_mem(uint64_t off, unsigned size, uint64_t v)
{
    T.preset_on = true;
    T.preset_off = off;
    T.preset_size = size;
    T.preset_val = v;
}

#endif

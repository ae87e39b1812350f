/* x87.h — private helpers of the x87 handlers (cpu/x87*.c).
 *
 * The register file is CPU.fpu: physical registers st[0..7], TOP in FSW
 * bits 11..13, and a 2-bit tag per physical register in ftw.  Only the
 * empty tag (3) is authoritative; the other three are recomputed from the
 * register contents whenever they are stored (FSTENV/FSAVE), as the
 * hardware does, so MMX writes (which set every tag to 0) stay coherent.
 *
 * Arithmetic runs on the host x87 unit (x87_host.c) with the guest's
 * control word: values, condition codes and exception flags are the
 * host's bit for bit.  Stack faults, tags, TOP and the delivery of unmasked
 * exceptions (#MF) are decided here, by the interpreter.
 */
#ifndef RZ_X87_H
#define RZ_X87_H

#include "operand.h"

enum {
    FSW_IE = 1 << 0, FSW_DE = 1 << 1, FSW_ZE = 1 << 2, FSW_OE = 1 << 3,
    FSW_UE = 1 << 4, FSW_PE = 1 << 5, FSW_SF = 1 << 6, FSW_ES = 1 << 7,
    FSW_C0 = 1 << 8, FSW_C1 = 1 << 9, FSW_C2 = 1 << 10, FSW_TOP = 7 << 11,
    FSW_C3 = 1 << 14, FSW_B = 1 << 15,
    FSW_EXC = 0x3f,
    FSW_CC = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3,
};

enum { TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3 };

/* Bits of FCW a load can set: bit 6 always reads as 1 (checked on the
 * host: FLDCW 0 reads back 0x0040, FLDCW 0xffff reads back 0x1f7f). */
#define FCW_WRITABLE 0x1f3f
#define FCW_FORCED 0x0040

#define X87_CR0_MP (1u << 1)
#define X87_CR0_EM (1u << 2)
#define X87_CR0_TS (1u << 3)
#define X87_CR0_NE (1u << 5)

/* The QNaN "real indefinite" a masked invalid operation produces. */
static const F80 F80_INDEFINITE = { 0xc000000000000000ull, 0xffff };

static inline unsigned x87_top(const X87 *f) { return (f->fsw >> 11) & 7; }
static inline void x87_set_top(X87 *f, unsigned top)
{
    f->fsw = (uint16_t)((f->fsw & ~FSW_TOP) | ((top & 7) << 11));
}
/* Physical register of ST(i) */
static inline unsigned x87_phys(const X87 *f, unsigned i) { return (x87_top(f) + i) & 7; }
static inline unsigned x87_tag(const X87 *f, unsigned phys) { return (f->ftw >> (2 * phys)) & 3; }
static inline bool x87_empty(const X87 *f, unsigned phys) { return x87_tag(f, phys) == TAG_EMPTY; }
static inline void x87_put_tag(X87 *f, unsigned phys, unsigned tag)
{
    f->ftw = (uint16_t)((f->ftw & ~(3u << (2 * phys))) | (tag << (2 * phys)));
}

/* The full tag a value would have (00 valid, 01 zero, 10 special). */
unsigned x87_classify(F80 v);
/* Writes a physical register and gives it the tag of its contents. */
void x87_write_phys(X87 *f, unsigned phys, F80 v);
/* Tag word with every non-empty tag recomputed from the contents. */
uint16_t x87_full_tags(const X87 *f);
/* Sets ES and B from the exception flags and the masks. */
void x87_update_es(X87 *f);

/* Entry checks of every x87 instruction: #NM on CR0.EM or CR0.TS, then
 * (waiting forms only) a pending unmasked exception raises #MF when
 * CR0.NE=1.  With CR0.NE=0 a PC signals FERR# on IRQ13 instead; that
 * external path is the board's business and is not modelled here, so the
 * exception simply stays pending in FSW. */
void x87_enter(CPU *cpu, bool waiting);
/* Records FOP/FIP/FCS (and FDP/FDS for a memory operand) for a
 * non-control instruction.  Call it after the last fault. */
void x87_note(CPU *cpu, const Insn *in, uint64_t ea);

/* ---- the data-instruction engine (x87.c) -------------------------- */

/* What an instruction reads and writes, for the engine's stack checks and
 * for the masked response to a stack fault. */
enum {
    XS_R0 = 1 << 0,     /* reads ST(0) */
    XS_RI = 1 << 1,     /* reads ST(i), i = ModRM.rm */
    XS_R1 = 1 << 2,     /* reads ST(1) (implicit second operand) */
    XS_PUSH = 1 << 3,   /* pushes a result */
    XS_POP = 1 << 4,    /* pops once */
    XS_POP2 = 1 << 5,   /* pops twice */
    XS_D0 = 1 << 6,     /* writes ST(0) */
    XS_DI = 1 << 7,     /* writes ST(i) */
    XS_D1 = 1 << 8,     /* writes ST(1) */
    XS_CMP = 1 << 9,    /* compare: sets C3/C2/C0 */
    XS_COMI = 1 << 10,  /* compare into EFLAGS */
    XS_MIN = 1 << 11,   /* reads its memory operand */
    XS_MOUT = 1 << 12,  /* writes its memory operand */
    XS_C2 = 1 << 13,    /* reports "incomplete" in C2 (FPREM, FSIN, ...) */
};
#define XS_MSIZE(n) ((unsigned)(n) << 16)
#define XS_SIZE(spec) ((spec) >> 16)

/* Runs a data instruction: entry checks, memory operand, stack faults,
 * the host operation, write-back, FSW/FIP/FOP. */
void x87_exec(CPU *cpu, const Insn *in, unsigned spec);

typedef struct X87Host X87Host;
/* Stack underflow (overflow = false) or overflow of an instruction with
 * the given spec: IE+SF, C1, and with IE masked the QNaN indefinite in
 * every destination.  h (for XS_MOUT) converts it to the memory format. */
void x87_stack_fault(CPU *cpu, const Insn *in, unsigned spec, unsigned i, bool overflow,
                     uint64_t ea, X87Host *h);

/* ---- host execution (x87_host.c) ---------------------------------- */

/* One instruction run on the host x87 unit.  The host starts with two
 * values on its stack, in[0] as ST(0) and in[1] as ST(1), the guest's
 * control word and condition codes, and no pending exception; it then
 * runs the two-byte encoding opc/modrm (memory forms address mem[] and
 * must use mod=00 rm=000).  Afterwards out[0] and out[1] are the registers
 * that held in[0] and in[1], out[2] the one a push would fill, out_empty
 * says which of them are empty, pushed is the change in stack depth
 * (-2..+1), sw the host's status word and eflags its ZF/PF/CF. */
struct X87Host {
    uint8_t opc, modrm;
    uint16_t cw, sw;
    F80 in[2];
    uint8_t mem[16];
    F80 out[3];
    uint8_t out_empty;    /* bit k: out[k] is empty */
    int pushed;
    uint32_t eflags;
};

/* Returns false if the encoding is not one the host layer knows. */
bool x87_host_run(X87Host *h);

#endif

/* test_dbt_emit.c — what the translator (dbt/) emits for a few small
 * blocks, read back with Capstone.
 *
 * Each block runs on a flat machine with tier 1 at threshold 0, so its
 * first run is translated code.  Then:
 *   - the native instruction sequences of the block must be in its host
 *     code, in order and contiguous (golden text; * matches anything, for
 *     absolute addresses and the TLB's layout), and for one block also byte
 *     for byte; on a mismatch the whole block is printed disassembled;
 *   - the translator's counters (dbt_stats) must say what happened: every
 *     block built was translated, none refused, the native and helper
 *     instruction counts, the host bytes, the entries;
 *   - the final state must be the interpreter's for the same code (a
 *     machine without tier 1), and the values the code computes.
 * Only what the translator decides is pinned, never whole blocks with their
 * absolute addresses, so layout changes elsewhere do not break it.
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbt/internal.h"
#include "vm/machine.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static csh cs;

#define CODE_AT 0x1000u
#define DATA_AT 0x2000u
#define STACK_TOP 0x8000u
#define MAX_BLOCKS 8

/* printf into one of a ring of buffers (patterns live for one case). */
static const char *S(const char *fmt, ...)
{
    static char ring[32][96];
    static unsigned next;
    char *b = ring[next++ % 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof ring[0], fmt, ap);
    va_end(ap);
    return b;
}

/* Capstone's text for a CPU field at rbx + off (rbx holds the CPU): it
 * prints displacements below 10 in decimal. */
static const char *CPUF(size_t off)
{
    return !off ? "[rbx]" : off < 10 ? S("[rbx + %zu]", off) : S("[rbx + %#zx]", off);
}
#define GPR(r) CPUF(offsetof(CPU, regs) + 8 * (r))
#define FIELD(f) CPUF(offsetof(CPU, f))

/* '*' matches any run of characters; nothing else is special. */
static bool glob(const char *p, const char *s)
{
    if (!*p)
        return !*s;
    if (*p == '*')
        return glob(p + 1, s) || (*s && glob(p, s + 1));
    return *p == *s && glob(p + 1, s + 1);
}

typedef struct Run {
    Block *blocks[MAX_BLOCKS];   /* in the order they were built */
    unsigned nblocks;
    int result;
    uint64_t regs[16], rip;
    uint32_t eflags;
    uint8_t data[16], stack[16];  /* at DATA_AT and below STACK_TOP */
    DbtStats stats;
    bool shl_cl_native;          /* the probe lets SHL r32, CL's undefined flags live */
} Run;

static Run *current;

static void block_built(CPU *cpu, const Block *b)
{
    (void)cpu;
    if (current && current->nblocks < MAX_BLOCKS)
        current->blocks[current->nblocks++] = (Block *)b;
}

typedef struct Case {
    const char *name;
    int mode;
    uint8_t code[16];
    unsigned len;             /* the code is followed by HLT */
    uint64_t regs[8];         /* rax..rdi before (rsp: STACK_TOP when 0) */
    uint32_t eflags;          /* OSZAPC before */
    uint32_t at;              /* where the code is (0: CODE_AT) */
    unsigned ninsns, nnative; /* of the first block */
    /* Golden sequences, each NULL-terminated, each found contiguously. */
    const char *const *seq[3];
    /* One sequence's exact bytes (0: none), for seq[0]'s first nbytes. */
    const uint8_t *bytes;
    unsigned nbytes;
} Case;

/* Runs c's code to its HLT with tier 1 (threshold 0) or without. */
static int run_case(const Case *c, bool tier1, Machine *m, Run *r)
{
    char err[160];
    memset(r, 0, sizeof *r);
    if (machine_init(m, 1u << 20, err, sizeof err)) {
        printf("FAIL machine_init: %s\n", err);
        return -1;
    }
    if (tier1) {
        DbtOptions o = { .threshold = 0, .code_bytes = 1u << 20 };
        if (machine_use_dbt(m, &o, err, sizeof err)) {
            printf("FAIL machine_use_dbt: %s\n", err);
            machine_free(m);
            return -1;
        }
    }
    uint32_t at = c->at ? c->at : CODE_AT;
    memcpy(m->mem.ram + at, c->code, c->len);
    m->mem.ram[at + c->len] = 0xf4;  /* HLT */
    for (unsigned i = 0; i < 16; i++)
        m->mem.ram[DATA_AT + i] = (uint8_t)(0x11 * (i + 1));
    CPU *cpu = &m->cpu;
    cpu_reset_flat(cpu, c->mode, at);
    for (int i = 0; i < 8; i++)
        cpu->regs[i] = c->regs[i];
    cpu_set_eflags(cpu, (cpu_get_eflags(cpu) & ~(uint32_t)F_OSZAPC) | c->eflags, F_OSZAPC);
    if (!cpu->regs[R_SP])
        cpu->regs[R_SP] = STACK_TOP;
    cpu->trace_block_built = block_built;
    current = r;
    r->result = cpu_run(cpu, 100);
    current = NULL;
    memcpy(r->regs, cpu->regs, sizeof r->regs);
    r->rip = cpu->rip;
    r->eflags = cpu_get_eflags(cpu);
    memcpy(r->data, m->mem.ram + DATA_AT, sizeof r->data);
    memcpy(r->stack, m->mem.ram + STACK_TOP - sizeof r->stack, sizeof r->stack);
    if (m->dbt) {
        r->stats = *dbt_stats(m->dbt);
        r->shl_cl_native = dbt_probe_agrees(m->dbt, DBT_PROBE_SHIFT_CL, 4, 4);
    }
    return 0;
}

static void print_code(const char *name, const uint8_t *code, size_t size)
{
    cs_insn *ci;
    size_t n = cs_disasm(cs, code, size, (uint64_t)(uintptr_t)code, 0, &ci);
    printf("  host code of %s's first block (%zu bytes, offsets from its start):\n", name, size);
    for (size_t i = 0; i < n; i++) {
        printf("    %4" PRIx64 " ", ci[i].address - (uint64_t)(uintptr_t)code);
        for (unsigned k = 0; k < 10; k++)
            printf(k < ci[i].size ? "%02x" : "  ", ci[i].bytes[k]);
        printf(" %s %s\n", ci[i].mnemonic, ci[i].op_str);
    }
    cs_free(ci, n);
}

/* Finds seq in the disassembly of [code, code + size): the index of its
 * first instruction, or -1. */
static long find_seq(cs_insn *ci, size_t n, const char *const *seq)
{
    size_t k = 0;
    while (seq[k])
        k++;
    for (size_t at = 0; at + k <= n; at++) {
        size_t j = 0;
        for (; j < k; j++) {
            char text[160];
            snprintf(text, sizeof text, "%s%s%s", ci[at + j].mnemonic, ci[at + j].op_str[0] ? " " : "",
                     ci[at + j].op_str);
            if (!glob(seq[j], text))
                break;
        }
        if (j == k)
            return (long)at;
    }
    return -1;
}

/* Runs c in both tiers and checks it; the tier-1 run's result in *out. */
static void check_case(const Case *c, Run *out)
{
    static Machine m1, m0;
    static Run r1, r0;
    memset(out, 0, sizeof *out);
    if (run_case(c, true, &m1, &r1))
        return;
    if (run_case(c, false, &m0, &r0)) {
        machine_free(&m1);
        return;
    }
    CHECK(r1.result == RUN_HALT && r1.rip == (c->at ? c->at : CODE_AT) + c->len + 1, "%s: ran to its HLT (run %d, rip %#" PRIx64 ")",
          c->name, r1.result, r1.rip);

    /* The counters: every block built was translated and entered. */
    const DbtStats *s = &r1.stats;
    CHECK(r1.nblocks >= 1 && s->translated == r1.nblocks && s->refused == 0,
          "%s: %u blocks built, %" PRIu64 " translated, %" PRIu64 " refused", c->name, r1.nblocks,
          s->translated, s->refused);
    CHECK(s->runs >= r1.nblocks, "%s: %" PRIu64 " entries into translated code for %u blocks", c->name,
          s->runs, r1.nblocks);
    uint64_t native = 0, helper = 0, bytes = 0;
    for (unsigned i = 0; i < r1.nblocks; i++) {
        const DbtBlock *db = r1.blocks[i]->host_info;
        if (!db || !r1.blocks[i]->host)
            continue;
        native += db->nnative;
        helper += r1.blocks[i]->ninsns - db->nnative;
        bytes += db->code_size;
    }
    CHECK(s->insns_native == native && s->insns_helper == helper && s->host_bytes == bytes,
          "%s: counters native %" PRIu64 " helper %" PRIu64 " bytes %" PRIu64 ", blocks say %" PRIu64
          " %" PRIu64 " %" PRIu64, c->name, s->insns_native, s->insns_helper, s->host_bytes, native,
          helper, bytes);

    Block *b = r1.nblocks ? r1.blocks[0] : NULL;
    const DbtBlock *db = b ? b->host_info : NULL;
    if (!b || !db || !b->host) {
        CHECK(0, "%s: the first block has no host code", c->name);
    } else {
        CHECK(b->ninsns == c->ninsns && db->nnative == c->nnative,
              "%s: first block %u instructions, %u native (expected %u, %u)", c->name, b->ninsns,
              db->nnative, c->ninsns, c->nnative);
        /* The code runs from the checked entry, if any, to code_size. */
        const uint8_t *start = db->checked_x ? db->checked_x : db->code_x;
        cs_insn *ci;
        size_t n = cs_disasm(cs, start, db->code_size, (uint64_t)(uintptr_t)start, 0, &ci);
        size_t used = 0;
        for (size_t i = 0; i < n; i++)
            used += ci[i].size;
        bool bad = used != db->code_size;
        CHECK(!bad, "%s: Capstone decodes %zu of the block's %u bytes", c->name, used, db->code_size);
        for (int q = 0; q < 3 && c->seq[q]; q++) {
            long at = find_seq(ci, n, c->seq[q]);
            CHECK(at >= 0, "%s: native sequence %d (from \"%s\") not in the host code", c->name, q,
                  c->seq[q][0]);
            bad |= at < 0;
            if (q == 0 && at >= 0 && c->nbytes) {
                const uint8_t *p = start + (ci[at].address - (uint64_t)(uintptr_t)start);
                bool same = !memcmp(p, c->bytes, c->nbytes);
                CHECK(same, "%s: the bytes of sequence 0 are not the golden ones", c->name);
                if (!same) {
                    printf("  expected:");
                    for (unsigned k = 0; k < c->nbytes; k++)
                        printf(" %02x", c->bytes[k]);
                    printf("\n  got:     ");
                    for (unsigned k = 0; k < c->nbytes; k++)
                        printf(" %02x", p[k]);
                    printf("\n");
                }
                bad |= !same;
            }
            if (at < 0) {
                printf("  expected, contiguous:\n");
                for (int k = 0; c->seq[q][k]; k++)
                    printf("    %s\n", c->seq[q][k]);
            }
        }
        if (bad)
            print_code(c->name, start, db->code_size);
        cs_free(ci, n);
    }

    /* Tier 1 leaves what tier 0 leaves. */
    CHECK(r1.result == r0.result && r1.rip == r0.rip, "%s: run %d rip %#" PRIx64 ", tier 0 %d %#" PRIx64,
          c->name, r1.result, r1.rip, r0.result, r0.rip);
    for (int i = 0; i < 16; i++)
        CHECK(r1.regs[i] == r0.regs[i], "%s: reg %d tier 1 %#" PRIx64 ", tier 0 %#" PRIx64, c->name, i,
              r1.regs[i], r0.regs[i]);
    CHECK(r1.eflags == r0.eflags, "%s: EFLAGS tier 1 %#x, tier 0 %#x", c->name, r1.eflags, r0.eflags);
    CHECK(!memcmp(r1.data, r0.data, sizeof r1.data) && !memcmp(r1.stack, r0.stack, sizeof r1.stack),
          "%s: memory differs from tier 0's", c->name);
    *out = r1;
    machine_free(&m1);
    machine_free(&m0);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

int main(void)
{
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        printf("FAIL cs_open\n");
        return 1;
    }
    Run r;

    /* add eax, ebx; jnz +0: the ALU op on host registers loaded from the
     * CPU, the result stored zero-extended, the flags captured for both
     * exits (LAHF/SETO leave RFLAGS for the jcc) and stored at each as the
     * lazy record LF_HOST, and the jcc taken the other way to the
     * fall-through's exit. */
    const char *const add_seq[] = {
        S("mov r13, qword ptr %s", GPR(R_AX)), S("mov r14, qword ptr %s", GPR(R_BX)),
        "add r13d, r14d", "lahf", "seto al", S("mov qword ptr %s, r13", GPR(R_AX)), "je *", NULL,
    };
    const char *const flags_seq[] = {
        S("mov word ptr %s, ax", FIELD(lf.host)), S("mov byte ptr %s, %d", FIELD(lf.op), LF_HOST), NULL,
    };
    static const uint8_t add_bytes[] = { 0x4c, 0x8b, 0x2b, 0x4c, 0x8b, 0x73, 0x18, 0x45, 0x01, 0xf5,
                                         0x9f, 0x0f, 0x90, 0xc0, 0x4c, 0x89, 0x2b, 0x0f, 0x84 };
    Case add32 = { .name = "add eax, ebx; jnz (32-bit)", .mode = CODE32, .code = { 0x01, 0xd8, 0x75, 0x00 },
                   .len = 4, .regs = { 0x7fffffff, 0, 0, 1 }, .ninsns = 2, .nnative = 2,
                   .seq = { add_seq, flags_seq }, .bytes = add_bytes, .nbytes = sizeof add_bytes };
    check_case(&add32, &r);
    CHECK(r.regs[R_AX] == 0x80000000u && (r.eflags & (F_OF | F_SF | F_ZF)) == (F_OF | F_SF),
          "add32: eax %#" PRIx64 " eflags %#x", r.regs[R_AX], r.eflags);
    /* the block and the HLT's: 2 native, 1 helper */
    CHECK(r.nblocks == 2 && r.stats.insns_native == 2 && r.stats.insns_helper == 1,
          "add32: %u blocks, %" PRIu64 " native, %" PRIu64 " helper", r.nblocks, r.stats.insns_native,
          r.stats.insns_helper);

    /* add rax, rbx; jnz +0 in 64-bit code: the destination in memory. */
    const char *const add64_seq[] = {
        S("mov r13, qword ptr %s", GPR(R_AX)), S("mov r14, qword ptr %s", GPR(R_BX)), "add r13, r14",
        "lahf", "seto al", S("mov qword ptr %s, r13", GPR(R_AX)), "je *", NULL,
    };
    Case add64 = { .name = "add rax, rbx; jnz (64-bit)", .mode = CODE64,
                   .code = { 0x48, 0x01, 0xd8, 0x75, 0x00 }, .len = 5, .regs = { 1ull << 40, 0, 0, ~(1ull << 40) + 1 },
                   .ninsns = 2, .nnative = 2, .seq = { add64_seq, flags_seq } };
    check_case(&add64, &r);
    CHECK(r.regs[R_AX] == 0 && (r.eflags & (F_ZF | F_CF)) == (F_ZF | F_CF), "add64: rax %#" PRIx64
          " eflags %#x", r.regs[R_AX], r.eflags);

    /* mov eax, [esi+8]: the offset in r8, the TLB's read tag compared, the
     * addend added, the load, the result stored; the HLT is a helper. */
    const char *const ld_addr[] = {
        S("mov r13, qword ptr %s", GPR(R_SI)), "lea r8d, [r13 + 8]", NULL,
    };
    const char *const ld_tlb[] = {
        "cmp r9, qword ptr [r12 + r10*]", "jne *", "add r8, qword ptr [r12 + r10 + *]",
        "mov r14d, dword ptr [r8]", S("mov qword ptr %s, r14", GPR(R_AX)), NULL,
    };
    Case load = { .name = "mov eax, [esi+8]", .mode = CODE32, .code = { 0x8b, 0x46, 0x08 }, .len = 3,
                  .regs = { [R_SI] = DATA_AT }, .ninsns = 2, .nnative = 1, .seq = { ld_addr, ld_tlb } };
    check_case(&load, &r);
    CHECK(r.regs[R_AX] == 0xccbbaa99u && get32(r.data + 8) == 0xccbbaa99u, "load: eax %#" PRIx64,
          r.regs[R_AX]);
    CHECK(r.nblocks == 1 && r.stats.insns_native == 1 && r.stats.insns_helper == 1,
          "load: %u blocks, %" PRIu64 " native, %" PRIu64 " helper", r.nblocks, r.stats.insns_native,
          r.stats.insns_helper);

    /* mov [DATA_AT+4], eax (A3, moffs32): the moffs as the address, the
     * TLB's write tag (+8), the store of EAX from the cache. */
    const char *const moffs_seq[] = {
        S("mov r8d, %#x", DATA_AT + 4), NULL,
    };
    const char *const moffs_store[] = {
        "cmp r9, qword ptr [r12 + r10 + 8]", "jne *", "add r8, qword ptr [r12 + r10 + *]",
        S("mov r13, qword ptr %s", GPR(R_AX)), "mov dword ptr [r8], r13d", NULL,
    };
    Case moffs = { .name = "mov [moffs32], eax", .mode = CODE32,
                   .code = { 0xa3, (DATA_AT + 4) & 0xff, (DATA_AT + 4) >> 8, 0, 0 }, .len = 5,
                   .regs = { 0x12345678 }, .ninsns = 2, .nnative = 1, .seq = { moffs_seq, moffs_store } };
    check_case(&moffs, &r);
    CHECK(get32(r.data + 4) == 0x12345678u, "moffs: [data+4] %#x", get32(r.data + 4));

    /* and dl, 0xea (ModRM.reg is /4, not AH: native); xchg ecx, eax; nop;
     * nop dword [eax] (no access: eax is not an address here): all four
     * native, the NOPs as nothing. */
    const char *const bytes_seq[] = {
        S("mov r13, qword ptr %s", GPR(R_DX)), "and r13b, 0xea", NULL,
    };
    Case misc = { .name = "and dl, 0xea; xchg ecx, eax; nop; nop [eax]", .mode = CODE32,
                  .code = { 0x80, 0xe2, 0xea, 0x91, 0x90, 0x0f, 0x1f, 0x40, 0x00 }, .len = 9,
                  .regs = { 0x11111111, 0x22222222, 0x333333ff }, .ninsns = 5, .nnative = 4, .seq = { bytes_seq } };
    check_case(&misc, &r);
    CHECK(r.regs[R_AX] == 0x22222222 && r.regs[R_CX] == 0x11111111 && r.regs[R_DX] == 0x333333ea,
          "misc: eax %#" PRIx64 " ecx %#" PRIx64 " edx %#" PRIx64, r.regs[R_AX], r.regs[R_CX], r.regs[R_DX]);

    /* push eax; pop ecx: esp - 4 into r8 (the address) and r11 (the new
     * esp), the TLB's write tag, the store, esp written back; then the pop
     * from r8 into r10, esp + 4, the value into ecx. */
    const char *const push_seq[] = {
        S("mov r13, qword ptr %s", GPR(R_SP)), "lea r8d, [r13 - 4]", "lea ecx, [r8]",
        S("mov r14, qword ptr %s", GPR(R_AX)), NULL,
    };
    const char *const push_store[] = {
        "add r8, qword ptr [r12 + r10 + *]", "mov dword ptr [r8], r14d", "mov r13d, ecx",
        "lea r8d, [r13]", "lea ecx, [r8 + 4]", NULL,
    };
    const char *const pop_load[] = {
        "add r8, qword ptr [r12 + r10 + *]", "mov r10d, dword ptr [r8]", "mov r13d, ecx",
        "mov r15d, r10d", S("mov qword ptr %s, r15", GPR(R_CX)), S("mov qword ptr %s, r13", GPR(R_SP)), NULL,
    };
    Case pushpop = { .name = "push eax; pop ecx", .mode = CODE32, .code = { 0x50, 0x59 }, .len = 2,
                     .regs = { 0xdeadbeef }, .ninsns = 3, .nnative = 2, .seq = { push_seq, push_store, pop_load } };
    check_case(&pushpop, &r);
    CHECK(r.regs[R_CX] == 0xdeadbeef && r.regs[R_SP] == STACK_TOP && get32(r.stack + 12) == 0xdeadbeef,
          "push/pop: ecx %#" PRIx64 " esp %#" PRIx64 " [esp-4] %#x", r.regs[R_CX], r.regs[R_SP],
          get32(r.stack + 12));

    /* shl eax, cl: the guest flags into host RFLAGS first (a count of 0
     * leaves them): from eflags here (an LF_HOST record would be loaded
     * into ax whole), SZAPC by SAHF, OF by an ADD that overflows when it
     * is set (on a copy in r9: ax stays the capture); the count in cl, the
     * shift, the flags back. */
    const char *const shl_seq[] = {
        S("mov ecx, dword ptr %s", FIELD(eflags)), "mov eax, ecx", "shl eax, 8", "shr ecx, 0xb", "and ecx, 1",
        "or eax, ecx", "mov r9d, eax", "add r9b, 0x7f", "sahf", S("mov r13, qword ptr %s", GPR(R_AX)),
        S("mov r14, qword ptr %s", GPR(R_CX)), "mov ecx, r14d", "shl r13d, cl", "lahf", "seto al", NULL,
    };
    Case shl = { .name = "shl eax, cl", .mode = CODE32, .code = { 0xd3, 0xe0 }, .len = 2,
                 .regs = { 0x80000003, 36 }, .ninsns = 2, .nnative = 1, .seq = { shl_seq, flags_seq } };
    /* The HLT after it reads all flags, so SHL's undefined ones are live:
     * native only where this host's probe agreed with tier 0 (on AMD, the
     * model's vendor); elsewhere the handler runs it. */
    bool shl_native = r.shl_cl_native;   /* what the previous case's tier 1 probed */
    if (!shl_native) {
        shl.nnative = 0;
        shl.seq[0] = shl.seq[1] = NULL;
    }
    check_case(&shl, &r);
    CHECK(r.regs[R_AX] == 0x30 && (r.eflags & F_CF) == 0, "shl: eax %#" PRIx64 " eflags %#x",
          r.regs[R_AX], r.eflags);
    /* a count of 0: the flags pass through (from the input's, set by cpu_reset_flat) */
    Case shl0 = { .name = "shl eax, cl (count 0)", .mode = CODE32, .code = { 0xd3, 0xe0 }, .len = 2,
                  .regs = { 5, 32 }, .ninsns = 2, .nnative = 1, .seq = { shl_seq } };
    if (!shl_native) {
        shl0.nnative = 0;
        shl0.seq[0] = NULL;
    }
    check_case(&shl0, &r);
    CHECK(r.regs[R_AX] == 5, "shl0: eax %#" PRIx64, r.regs[R_AX]);

    /* IMUL's SF ZF AF PF are undefined: tier 1 must still give tier 0's
     * (where the host's agree with the model's, with the guest's input
     * flags in RFLAGS: the AMD model passes them through). */
    Case imul = { .name = "imul eax, ebx (undefined flags)", .mode = CODE32, .code = { 0x0f, 0xaf, 0xc3 },
                  .len = 3, .regs = { [R_AX] = 0x80, [R_BX] = 0x7fff }, .eflags = F_SF | F_ZF | F_PF | F_AF, .ninsns = 2,
                  .nnative = 1 };
    check_case(&imul, &r);
    CHECK(r.regs[R_AX] == 0x3fff80, "imul: eax %#" PRIx64, r.regs[R_AX]);

    /* An o16 Jcc not taken goes on to the next instruction: only the
     * taken target is truncated to 16 bits (SDM Jcc: "IF OperandSize = 16
     * THEN EIP <- EIP AND 0000FFFFH" is on the taken path). */
    Case jcc16 = { .name = "o16 jnz not taken (32-bit code at 0x12000)", .mode = CODE32,
                   .code = { 0x66, 0x75, 0x05 }, .len = 3, .eflags = F_ZF, .at = 0x12000, .ninsns = 1,
                   .nnative = 1 };
    check_case(&jcc16, &r);

    cs_close(&cs);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

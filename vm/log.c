/* log.c — the -d items: what each writes and the CPU hooks that feed them.
 *
 * The hooks run inside the execution loop, some of them (trace_event) in
 * the middle of exception delivery, so they must never raise: they read
 * guest memory only through mem_fetch, which reports what it could read
 * instead of faulting.
 */
#include "log.h"
#include "../cpu/model.h"

#include <errno.h>
#include <string.h>

#include "../cpu/block.h"
#include "../disasm/disasm.h"

static const struct {
    const char *name;
    unsigned bit;
    const char *help;
} items[] = {
    { "guest_errors", LOG_GUEST_ERRORS,
      "accesses to unmapped memory; #UD on an invalid or undefined opcode" },
    { "int", LOG_INT,
      "every exception and interrupt delivered (the chain of a double/triple fault, in order)" },
    { "cpu_reset", LOG_CPU_RESET, "the register state at the start and at every reset" },
    { "in_asm", LOG_IN_ASM, "each guest block when it is decoded, disassembled" },
    { "exec", LOG_EXEC, "one line per block executed" },
    { "cpu", LOG_CPU, "the register state before each block executed" },
    { "tbstats", LOG_TBSTATS, "code cache and tier-1 counters at exit" },
    { "out_asm", LOG_OUT_ASM, "each block tier 1 translates: its guest instructions and the host code, disassembled" },
    { "post", LOG_POST, "POST codes the firmware writes to port 0x80 (not a QEMU item)" },
};

unsigned log_item(const char *name)
{
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        if (!strcmp(name, items[i].name))
            return items[i].bit;
    return 0;
}

void log_help(FILE *f)
{
    fprintf(f, "Log items for -d (comma separated):\n");
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        fprintf(f, "  %-13s %s\n", items[i].name, items[i].help);
}

const char *log_exc_name(int vector)
{
    const char *name = exc_name(vector);
    return name ? name : "interrupt";
}

const char *log_mode_name(const CPU *cpu)
{
    if (!(cpu->cr0 & CR0_PE))
        return "real";
    if (cpu->eflags & F_VM)
        return "v8086";
    if (cpu->code_mode == CODE64)
        return "64-bit";
    if (cpu->efer & EFER_LMA)
        return "compatibility";
    return cpu->code_mode == CODE32 ? "32-bit protected" : "16-bit protected";
}

static Machine *machine_of(CPU *cpu) { return cpu->opaque; }

/* "0008:00100013"; 16 digits of RIP in 64-bit code. */
static void fmt_pc(const CPU *cpu, uint64_t rip, char *out, size_t len)
{
    snprintf(out, len, "%04x:%0*llx", cpu->seg[S_CS].sel, cpu->code_mode == CODE64 ? 16 : 8,
             (unsigned long long)rip);
}

/* "0f 0b: ud2" for up to len bytes at rip (the decoder's length when known,
 * else whatever Capstone takes). */
static void fmt_insn(CPU *cpu, uint64_t rip, int len, char *out, size_t outlen)
{
    uint8_t code[15];
    int n = mem_fetch(&cpu->mmu, cpu_code_lin(cpu, rip), code, len > 0 ? len : 15);
    if (n <= 0) {
        snprintf(out, outlen, "code not readable");
        return;
    }
    char dis[96];
    int dlen = disasm_one(code, (size_t)n, cpu_code_bits(cpu), rip, dis, sizeof dis);
    int show = len > 0 ? n : dlen > 0 ? dlen : (n < 8 ? n : 8);
    size_t o = 0;
    for (int i = 0; i < show && o < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%02x", i ? " " : "", code[i]);
    if (o < outlen)
        snprintf(out + o, outlen - o, ": %s", dis);
}

/* "#GP(0x33)", the form the triple-fault line uses too. */
static void fmt_exc(int vector, bool has_error, uint32_t error, char *out, size_t len)
{
    if (has_error)
        snprintf(out, len, "%s(%#x)", log_exc_name(vector), error);
    else
        snprintf(out, len, "%s", log_exc_name(vector));
}

/* What an error code says: the selector or IDT entry of #TS/#NP/#SS/#GP
 * (SDM 6.13), the cause of #PF. */
static void fmt_error_detail(int vector, uint32_t e, char *out, size_t len)
{
    out[0] = 0;
    if (vector == EXC_PF) {
        snprintf(out, len, ": %s, %s, %s%s%s", e & 1 ? "protection" : "not present",
                 e & 16 ? "fetch" : e & 2 ? "write" : "read", e & 4 ? "user" : "supervisor",
                 e & 8 ? ", reserved bit set" : "", e & 32 ? ", protection key" : "");
    } else if (vector >= EXC_TS && vector <= EXC_GP && (e & 0xfffc)) {
        if (e & 2)
            snprintf(out, len, ": IDT entry %#x%s", (e & 0xffff) >> 3, e & 1 ? ", EXT" : "");
        else
            snprintf(out, len, ": %s selector %#x%s", e & 4 ? "LDT" : "GDT", e & 0xfff8,
                     e & 1 ? ", EXT" : "");
    } else if (vector >= EXC_TS && vector <= EXC_GP && (e & 1)) {
        snprintf(out, len, ": EXT");
    }
}

/* Element i of the current exception chain, as "#GP(0x33)". */
static void fmt_chain(const CPU *cpu, int i, char *out, size_t len)
{
    if (i < 0 || i >= cpu->exc_chain_len) {
        snprintf(out, len, "?");
        return;
    }
    fmt_exc(cpu->exc_chain[i].vector, cpu->exc_chain[i].has_error, cpu->exc_chain[i].error,
            out, len);
}

static void log_guest_ud(Machine *m, CPU *cpu)
{
    char pc[32], insn[160];
    fmt_pc(cpu, cpu->rip, pc, sizeof pc);
    fmt_insn(cpu, cpu->rip, 0, insn, sizeof insn);
    fprintf(m->log, "guest_errors: #UD (invalid or undefined opcode) at %s (%s), %s mode\n", pc,
            insn, log_mode_name(cpu));
}

static void trace_event(CPU *cpu, int vector, int64_t error, int kind)
{
    Machine *m = machine_of(cpu);
    if (kind == TRACE_EXC && vector == EXC_UD && (m->log_mask & LOG_GUEST_ERRORS))
        log_guest_ud(m, cpu);
    if (!(m->log_mask & LOG_INT))
        return;
    bool has_error = error >= 0;
    uint32_t err = (uint32_t)error;
    char exc[32], prev[32], prev2[32], detail[96] = "", what[224];
    fmt_exc(vector, has_error, err, exc, sizeof exc);
    if (has_error)
        fmt_error_detail(vector, err, detail, sizeof detail);
    /* The chain already holds this event (last) when the hook runs. */
    int last = cpu->exc_chain_len - 1;
    fmt_chain(cpu, last - 1, prev, sizeof prev);
    switch (kind) {
    case TRACE_EXC:
        snprintf(what, sizeof what, "exception %s (vector %#04x%s)", exc, vector, detail);
        break;
    case TRACE_NESTED:
        snprintf(what, sizeof what, "exception %s (vector %#04x%s) while delivering %s", exc,
                 vector, detail, prev);
        break;
    case TRACE_DOUBLE:
        fmt_chain(cpu, last - 2, prev2, sizeof prev2);
        snprintf(what, sizeof what, "double fault %s (vector %#04x): %s while delivering %s", exc,
                 vector, prev, prev2);
        break;
    case TRACE_TRIPLE:
        snprintf(what, sizeof what,
                 "exception %s (vector %#04x%s) while delivering %s: triple fault, CPU shut down",
                 exc, vector, detail, prev);
        break;
    case TRACE_SOFT:
        snprintf(what, sizeof what, "software interrupt INT %#04x%s%s", vector,
                 vector < 32 ? " " : "", vector < 32 ? log_exc_name(vector) : "");
        break;
    case TRACE_NMI:
        snprintf(what, sizeof what, "NMI (vector %#04x)", vector);
        break;
    default:
        snprintf(what, sizeof what, "external interrupt (vector %#04x)", vector);
        break;
    }
    char pc[32];
    fmt_pc(cpu, cpu->rip, pc, sizeof pc);
    fprintf(m->log, "int: %s at %s, %s mode, CPL %u", what, pc, log_mode_name(cpu), cpu->cpl);
    if (vector == EXC_PF && kind != TRACE_SOFT && kind != TRACE_EXT)
        fprintf(m->log, ", CR2=%#llx", (unsigned long long)cpu->cr2);
    fputc('\n', m->log);
}

static void trace_block_built(CPU *cpu, const Block *b)
{
    Machine *m = machine_of(cpu);
    FILE *f = m->log;
    char pc[32];
    fmt_pc(cpu, b->rip, pc, sizeof pc);
    fprintf(f, "IN: [%s] pa %#llx, %s mode, %u insns\n", pc, (unsigned long long)b->pa,
            log_mode_name(cpu), b->ninsns);
    uint64_t rip = b->rip;
    for (unsigned i = 0; i < b->ninsns; i++) {
        const Insn *in = &b->insns[i];
        char text[160];
        fmt_pc(cpu, rip, pc, sizeof pc);
        fmt_insn(cpu, rip, in->len, text, sizeof text);
        /* Bytes, then Capstone's reading, then the decoder's form: a
         * mismatch between the last two is a decoder bug. */
        const char *colon = strchr(text, ':');
        int nbytes = colon ? (int)(colon - text) : (int)strlen(text);
        fprintf(f, "  %s  %-30.*s %-36s [%s]\n", pc, nbytes, text, colon ? colon + 2 : "",
                form_info[in->form].name);
        rip += in->len;
    }
}

static const char *const seg_names[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };

static void describe_attr(uint16_t a, char *out, size_t len)
{
    unsigned type = a & 15, dpl = (a >> 5) & 3;
    if (!(a & SA_P)) {
        snprintf(out, len, "not present");
    } else if (!(a & SA_S)) {
        static const char *const sys[16] = {
            "reserved", "TSS16", "LDT", "TSS16 busy", "call gate16", "task gate", "int gate16",
            "trap gate16", "reserved", "TSS", "reserved", "TSS busy", "call gate", "reserved",
            "int gate", "trap gate",
        };
        snprintf(out, len, "%s DPL%u", sys[type], dpl);
    } else if (type & 8) {
        snprintf(out, len, "code%s%s%s DPL%u", a & SA_L ? "64" : a & SA_DB ? "32" : "16",
                 type & 4 ? " conforming" : "", type & 2 ? " readable" : "", dpl);
    } else {
        snprintf(out, len, "data%s %s%s DPL%u", a & SA_DB ? "32" : "16", type & 2 ? "rw" : "ro",
                 type & 4 ? " expand-down" : "", dpl);
    }
}

static void dump_seg(FILE *f, const char *name, const Seg *s)
{
    char d[48];
    describe_attr(s->attr, d, sizeof d);
    fprintf(f, "%-3s=%04x base %016llx limit %08x attr %04x %s\n", name, s->sel,
            (unsigned long long)s->base, s->limit, s->attr, d);
}

void log_cpu_state(CPU *cpu, FILE *f)
{
    static const char *const names64[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI",
                                             "RDI", "R8", "R9", "R10", "R11", "R12", "R13",
                                             "R14", "R15" };
    static const int order[16] = { R_AX, R_BX, R_CX, R_DX, R_SI, R_DI, R_BP, R_SP,
                                    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
    bool lma = (cpu->efer & EFER_LMA) != 0;
    int nregs = lma ? 16 : 8;
    for (int i = 0; i < nregs; i++) {
        int r = order[i];
        if (lma)
            fprintf(f, "%-3s=%016llx", names64[r], (unsigned long long)cpu->regs[r]);
        else
            fprintf(f, "E%.2s=%08llx", names64[r] + 1, (unsigned long long)(uint32_t)cpu->regs[r]);
        fputc((i & 3) == 3 ? '\n' : ' ', f);
    }
    static const struct { uint32_t bit; const char *name; } fl[] = {
        { F_ID, "ID" }, { F_VIP, "VIP" }, { F_VIF, "VIF" }, { F_AC, "AC" }, { F_VM, "VM" },
        { F_RF, "RF" }, { F_NT, "NT" }, { F_OF, "OF" }, { F_DF, "DF" }, { F_IF, "IF" },
        { F_TF, "TF" }, { F_SF, "SF" }, { F_ZF, "ZF" }, { F_AF, "AF" }, { F_PF, "PF" },
        { F_CF, "CF" },
    };
    uint32_t ef = cpu_get_eflags(cpu);
    char fs[80] = "";
    size_t o = 0;
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
        if (ef & fl[i].bit)
            o += (size_t)snprintf(fs + o, sizeof fs - o, "%s%s", o ? " " : "", fl[i].name);
    if (ef & F_IOPL)
        snprintf(fs + o, sizeof fs - o, "%sIOPL=%u", o ? " " : "", (ef >> 12) & 3);
    fprintf(f, "%s=%0*llx EFL=%08x [%s] CPL=%u %s mode, icount %llu%s\n", lma ? "RIP" : "EIP",
            lma ? 16 : 8, (unsigned long long)cpu->rip, ef, fs, cpu->cpl, log_mode_name(cpu),
            (unsigned long long)cpu->icount, cpu->halted ? ", halted" : "");
    for (int i = 0; i < 6; i++)
        dump_seg(f, seg_names[i], &cpu->seg[i]);
    dump_seg(f, "LDT", &cpu->ldtr);
    dump_seg(f, "TR", &cpu->tr);
    fprintf(f, "GDT=     base %016llx limit %08x\n", (unsigned long long)cpu->gdtr.base,
            cpu->gdtr.limit);
    fprintf(f, "IDT=     base %016llx limit %08x\n", (unsigned long long)cpu->idtr.base,
            cpu->idtr.limit);
    fprintf(f, "CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx CR8=%llx EFER=%016llx\n",
            (unsigned long long)cpu->cr0, (unsigned long long)cpu->cr2,
            (unsigned long long)cpu->cr3, (unsigned long long)cpu->cr4,
            (unsigned long long)cpu_get_cr8(cpu), (unsigned long long)cpu->efer);
}

static void trace_block_exec(CPU *cpu, const Block *b)
{
    Machine *m = machine_of(cpu);
    if (m->log_mask & LOG_EXEC) {
        char pc[32];
        fmt_pc(cpu, b->rip, pc, sizeof pc);
        fprintf(m->log, "Trace: [%s] pa %#llx, %u insns, icount %llu\n", pc,
                (unsigned long long)b->pa, b->ninsns, (unsigned long long)cpu->icount);
    }
    if (m->log_mask & LOG_CPU)
        log_cpu_state(cpu, m->log);
}

void log_install(Machine *m)
{
    CPU *cpu = &m->cpu;
    unsigned mask = m->log_mask;
    cpu->trace_block_built = (mask & LOG_IN_ASM) ? trace_block_built : NULL;
    cpu->trace_block_exec = (mask & (LOG_EXEC | LOG_CPU)) ? trace_block_exec : NULL;
    cpu->trace_event = (mask & (LOG_INT | LOG_GUEST_ERRORS)) ? trace_event : NULL;
    if (mask & LOG_CPU) {
        const CpuModel *md = cpu->model;
        fprintf(m->log, "cpu: model %s (%s, family %#x model %#x stepping %u)\n", md->name,
                md->vendor_id, md->family, md->model, md->stepping);
    }
}

void log_reset_state(Machine *m, const char *what)
{
    if (!(m->log_mask & LOG_CPU_RESET))
        return;
    fprintf(m->log, "cpu_reset: %s:\n", what);
    log_cpu_state(&m->cpu, m->log);
}

int log_flush(Machine *m)
{
    errno = 0;
    int rc = fflush(m->log);
    /* A failed write inside an earlier fprintf leaves only the error flag. */
    return rc || ferror(m->log) ? -1 : 0;
}

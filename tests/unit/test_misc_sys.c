/* test_misc_sys.c — the parts of misc.def the host cannot run for us in a
 * 64-bit user process: CPUID, RDTSC, INT n/INT3/INTO, INS/OUTS, REP
 * resumption inside cpu_run, 16- and 32-bit forms (PUSHA/POPA, wrapping
 * string and XLAT addresses, ENTER, LOOP) and the privileged or
 * virtual-8086 rules of PUSHF/POPF.  Expected values here come from the
 * SDM's definitions, worked out per case in the comments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/lapic.h"
#include "cpu/cpuid.h"
#include "cpu/model.h"
#include "vm/machine.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
    if (cond) passed++; \
    else { failed++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
           fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); } \
} while (0)

static Machine *new_machine(void)
{
    Machine *m = calloc(1, sizeof *m);
    char err[200];
    if (!m || machine_init(m, 4 << 20, err, sizeof err)) {
        fprintf(stderr, "machine_init: %s\n", m ? err : "oom");
        exit(1);
    }
    return m;
}

/* Puts code at CS:IP (linear = CS base + rip) and executes one instruction
 * (a REP form until it moves on).  Returns the exception vector or -1. */
static int run(Machine *m, const void *code, size_t len)
{
    CPU *cpu = &m->cpu;
    uint64_t lin = cpu_code_lin(cpu, cpu->rip);
    memcpy(m->mem.ram + lin, code, len);
    uint64_t start = cpu->rip;
    int r, n = 0;
    do
        r = cpu_step(cpu);
    while (r == RUN_OK && cpu->rip == start && ++n < 100000);
    return r == RUN_OK ? -1 : cpu->exc_vector;
}

static uint64_t rd(Machine *m, uint64_t lin, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, m->mem.ram + lin, size);
    return v;
}

/* ---- CPUID ------------------------------------------------------------- */

/* Both models: vendor, signature and brand are the model's, the feature
 * bits the CPU's mask, and the quirk bits follow the quirk table. */
static void test_cpuid(const CpuModel *md)
{
    Machine *m = new_machine();
    CPU *cpu = &m->cpu;
    cpu_set_model(cpu, md);
    bool intel = md->vendor == VENDOR_INTEL;
    const uint8_t code[2] = { 0x0f, 0xa2 };
    char vendor[13] = { 0 };
    cpu_reset_flat(cpu, CODE64, 0x1000);
    cpu->regs[R_AX] = 0xdeadbeef00000000ull;
    cpu->regs[R_BX] = cpu->regs[R_CX] = cpu->regs[R_DX] = ~0ull;
    CHECK(run(m, code, 2) == -1, "cpuid faulted");
    memcpy(vendor, &cpu->regs[R_BX], 4);
    memcpy(vendor + 4, &cpu->regs[R_DX], 4);
    memcpy(vendor + 8, &cpu->regs[R_CX], 4);
    CHECK(strcmp(vendor, intel ? "GenuineIntel" : "AuthenticAMD") == 0, "%s: vendor %s", md->name, vendor);
    /* Intel goes up to the TSC leaves 15h/16h; AMD has none of them */
    CHECK(cpu->regs[R_AX] == (intel ? 0x16u : 7u), "%s: max leaf %llx (upper half must clear)",
          md->name, (unsigned long long)cpu->regs[R_AX]);
    CHECK(cpu->regs[R_BX] >> 32 == 0 && cpu->regs[R_DX] >> 32 == 0, "upper halves");

    uint32_t o[4];
    cpuid_query(cpu, 1, 0, o);
    /* Intel family 6 model 15; AMD 0Fh + 08h = 17h, model 31h */
    CHECK(o[CPUID_EAX] == (intel ? 0x6f1u : 0x830f10u), "%s: signature %#x", md->name, o[CPUID_EAX]);
    /* user features that must be on: FPU TSC CX8 CMOV MMX FXSR SSE SSE2 */
    const uint32_t edx_on = 1u << 0 | 1u << 4 | 1u << 8 | 1u << 15 | 1u << 23 | 1u << 24 |
                            1u << 25 | 1u << 26;
    CHECK((o[CPUID_EDX] & edx_on) == edx_on, "leaf1 edx %#x", o[CPUID_EDX]);
    /* SSE3 SSSE3 CX16 POPCNT on; SSE4.1/4.2, MOVBE, AVX, XSAVE, hypervisor off */
    const uint32_t ecx_on = 1u << 0 | 1u << 9 | 1u << 13 | 1u << 23;
    CHECK(o[CPUID_ECX] == ecx_on, "leaf1 ecx %#x", o[CPUID_ECX]);
    /* System features implemented: DE PSE MSR PAE MCE SEP MTRR PGE MCA PAT
     * PSE-36 CLFSH; not: VME, APIC (off until the board has one). */
    const uint32_t sys_on = 1u << 2 | 1u << 3 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 11 |
                            1u << 12 | 1u << 13 | 1u << 14 | 1u << 16 | 1u << 17 | 1u << 19;
    const uint32_t sys_off = 1u << 1 | 1u << 9;
    CHECK((o[CPUID_EDX] & sys_on) == sys_on && !(o[CPUID_EDX] & sys_off), "system bits %#x",
          o[CPUID_EDX] & (sys_on | sys_off));
    cpuid_query(cpu, 7, 0, o);
    /* Intel: FDP_EXCPTN_ONLY (6) and FCS/FDS deprecated (13), with the
     * FXSAVE behaviour they describe */
    CHECK(o[0] == 0 && o[1] == (intel ? 0x2040u : 0) && o[2] == 0 && o[3] == 0,
          "%s: leaf 7 advertises %#x %#x %#x", md->name, o[1], o[2], o[3]);
    cpuid_query(cpu, 0x80000001, 0, o);
    /* AMD repeats leaf 1's EDX bits (not SEP) there; both have SYSCALL NX LM */
    uint32_t l1[4];
    cpuid_query(cpu, 1, 0, l1);
    uint32_t ext_edx = 1u << 11 | 1u << 20 | 1u << 29;
    if (!intel)
        ext_edx |= l1[CPUID_EDX] & 0x0183f3ffu;
    CHECK(o[CPUID_EDX] == ext_edx, "%s: ext edx %#x want %#x", md->name, o[CPUID_EDX], ext_edx);
    /* LAHF_LM ABM, and AMD's MisAlignSse (7) with MXCSR.MM */
    CHECK(o[CPUID_ECX] == (1u << 0 | 1u << 5 | (intel ? 0 : 1u << 7)), "%s: ext ecx %#x", md->name,
          o[CPUID_ECX]);
    CHECK(intel ? o[CPUID_EAX] == 0 : o[CPUID_EAX] == l1[CPUID_EAX], "ext signature %#x", o[CPUID_EAX]);
    char brand[49] = { 0 };
    for (uint32_t l = 0; l < 3; l++) {
        cpuid_query(cpu, 0x80000002 + l, 0, o);
        memcpy(brand + 16 * l, o, 16);
    }
    CHECK(strcmp(brand, md->brand) == 0 && strncmp(brand, "ringzero virtual CPU", 20) == 0,
          "brand '%s'", brand);
    cpuid_query(cpu, 0x80000000, 0, o);
    CHECK(o[0] == 0x80000008, "max ext leaf %#x", o[0]);
    cpuid_query(cpu, 0x80000007, 0, o);
    CHECK(o[CPUID_EDX] == 1u << 8, "%s: invariant TSC %#x", md->name, o[CPUID_EDX]);
    cpuid_query(cpu, 0x80000008, 0, o);
    CHECK((o[0] & 0xff) == 40 && ((o[0] >> 8) & 0xff) == 48, "address sizes %#x", o[0]);
    /* The TSC runs at 1 GHz: crystal Hz x EBX / EAX (leaf 15h), base and
     * maximum MHz (leaf 16h); AMD reads zeros there (above its maximum). */
    cpuid_query(cpu, 0x15, 0, o);
    if (intel)
        CHECK(o[0] && (uint64_t)o[2] * o[1] / o[0] == 1000000000ull &&
              o[2] == LAPIC_TIMER_HZ,  /* Linux runs the APIC timer at the crystal's rate */
              "leaf 15h %u %u %u", o[0], o[1], o[2]);
    else
        CHECK(!o[0] && !o[1] && !o[2] && !o[3], "amd leaf 15h not zero");
    cpuid_query(cpu, 0x16, 0, o);
    CHECK(intel ? o[0] == 1000 && o[1] == 1000 : o[0] == 0, "%s: leaf 16h %u %u", md->name, o[0], o[1]);
    /* Every leaf in range: leaf 2 says "one round, no descriptors"; the
     * rest describe nothing (no caches, topology or XSAVE state) */
    cpuid_query(cpu, 0, 0, o);
    for (uint32_t l = 2; l <= o[0]; l++) {
        if (l == 7 || l == 0x15 || l == 0x16)
            continue;
        uint32_t r[4];
        cpuid_query(cpu, l, 0, r);
        CHECK(r[0] == (intel && l == 2 ? 1u : 0) && !r[1] && !r[2] && !r[3], "%s: leaf %#x", md->name, l);
    }
    CHECK(cpuid_has(cpu, 1, CPUID_ECX, 13) && cpuid_has(cpu, 1, CPUID_EDX, 6) && !cpuid_has(cpu, 1, CPUID_EDX, 9), "cpuid_has");
    /* The board switches the APIC bit on once it has a local APIC */
    cpu_features_set(cpu, FEAT_APIC, true);
    CHECK(cpuid_has(cpu, 1, CPUID_EDX, 9) && (intel || cpuid_has(cpu, 0x80000001, CPUID_EDX, 9)),
          "FEAT_APIC on");
    cpu_features_set(cpu, FEAT_APIC, false);
    /* -cpu's feature list */
    char err[128];
    CHECK(cpu_parse_features(cpu, "-sse3,+popcnt,mmx=off", err, sizeof err) == 0 &&
          !cpuid_has(cpu, 1, CPUID_ECX, 0) && cpuid_has(cpu, 1, CPUID_ECX, 23) &&
          !cpuid_has(cpu, 1, CPUID_EDX, 23), "cpu_parse_features");
    CHECK(cpu_parse_features(cpu, "+x2apic", err, sizeof err) == -1 && !cpuid_has(cpu, 1, CPUID_ECX, 21),
          "+x2apic (not implemented) accepted");
    cpu_set_model(cpu, md);
    /* sub-leaf comes from ECX: leaf 7 sub-leaf 1 is empty */
    cpu->rip = 0x1000;
    cpu->regs[R_AX] = 0x80000008;
    cpu->regs[R_CX] = 5;
    run(m, code, 2);
    CHECK(cpu->regs[R_AX] == 0x3028, "cpuid 80000008 via insn: %llx", (unsigned long long)cpu->regs[R_AX]);
    /* EDX after RESET is the signature */
    cpu_reset(cpu);
    CHECK((uint32_t)cpu->regs[R_DX] == (intel ? 0x6f1u : 0x830f10u), "reset EDX %#llx",
          (unsigned long long)cpu->regs[R_DX]);
    machine_free(m);
    free(m);
}

/* ---- RDTSC ------------------------------------------------------------- */

static void test_rdtsc(void)
{
    Machine *m = new_machine();
    CPU *cpu = &m->cpu;
    const uint8_t code[2] = { 0x0f, 0x31 };
    cpu_reset_flat(cpu, CODE64, 0x1000);
    m->icount_shift = 0;  /* -icount 0: 1 ns per instruction, TSC at 1 GHz */
    cpu->icount = 0x123456789ull;
    cpu->tsc_offset = 0x1000000000ull;
    cpu->regs[R_AX] = cpu->regs[R_DX] = ~0ull;
    CHECK(run(m, code, 2) == -1, "rdtsc faulted");
    CHECK(cpu->regs[R_AX] == 0x23456789 && cpu->regs[R_DX] == 0x11, "tsc %llx:%llx",
          (unsigned long long)cpu->regs[R_DX], (unsigned long long)cpu->regs[R_AX]);
    cpu->rip = 0x1000;
    cpu->cpl = 3;
    CHECK(run(m, code, 2) == -1, "rdtsc at CPL 3 without TSD");
    cpu->rip = 0x1000;
    cpu->cr4 |= 4;  /* TSD */
    CHECK(run(m, code, 2) == EXC_GP && cpu->rip == 0x1000, "TSD at CPL 3 must #GP");
    cpu->cpl = 0;
    CHECK(run(m, code, 2) == -1, "TSD at CPL 0 is allowed");
    machine_free(m);
    free(m);
}

/* ---- INT n / INT3 / INTO in real mode ----------------------------------- */

static void test_int_real(void)
{
    Machine *m = new_machine();
    CPU *cpu = &m->cpu;
    cpu_reset_flat(cpu, CODE16, 0x7c00);
    cpu->idtr.limit = 0x3ff;  /* the real-mode IVT, as after RESET */
    cpu->regs[R_SP] = 0x8000;
    /* IVT: vector 0x21 -> 1234:0010, 3 -> 2000:0030, 4 -> 3000:0040 */
    uint32_t v21 = 0x12340010, v3 = 0x20000030, v4 = 0x30000040;
    memcpy(m->mem.ram + 0x21 * 4, &v21, 4);
    memcpy(m->mem.ram + 3 * 4, &v3, 4);
    memcpy(m->mem.ram + 4 * 4, &v4, 4);
    cpu->eflags = 0x202;
    const uint8_t int21[2] = { 0xcd, 0x21 };
    CHECK(run(m, int21, 2) == -1, "int 21h faulted");
    CHECK(cpu->seg[S_CS].sel == 0x1234 && cpu->rip == 0x10, "int 21h went to %04x:%04llx",
          cpu->seg[S_CS].sel, (unsigned long long)cpu->rip);
    CHECK(cpu->regs[R_SP] == 0x7ffa && rd(m, 0x7ffa, 2) == 0x7c02 && rd(m, 0x7ffc, 2) == 0 &&
          rd(m, 0x7ffe, 2) == 0x202, "int frame ip %llx cs %llx fl %llx",
          (unsigned long long)rd(m, 0x7ffa, 2), (unsigned long long)rd(m, 0x7ffc, 2),
          (unsigned long long)rd(m, 0x7ffe, 2));
    CHECK(!(cpu->eflags & F_IF), "IF cleared by INT");

    cpu_reset_flat(cpu, CODE16, 0x7c00);
    cpu->idtr.limit = 0x3ff;  /* the real-mode IVT, as after RESET */
    cpu->regs[R_SP] = 0x8000;
    const uint8_t int3[1] = { 0xcc };
    CHECK(run(m, int3, 1) == -1 && cpu->seg[S_CS].sel == 0x2000 && cpu->rip == 0x30 &&
          rd(m, 0x7ffa, 2) == 0x7c01, "int3");

    const uint8_t into[1] = { 0xce };
    cpu_reset_flat(cpu, CODE16, 0x7c00);
    cpu->idtr.limit = 0x3ff;  /* the real-mode IVT, as after RESET */
    cpu->regs[R_SP] = 0x8000;
    CHECK(run(m, into, 1) == -1 && cpu->rip == 0x7c01 && cpu->regs[R_SP] == 0x8000,
          "into with OF clear must fall through");
    cpu_reset_flat(cpu, CODE16, 0x7c00);
    cpu->idtr.limit = 0x3ff;  /* the real-mode IVT, as after RESET */
    cpu->regs[R_SP] = 0x8000;
    cpu->eflags |= F_OF;
    CHECK(run(m, into, 1) == -1 && cpu->seg[S_CS].sel == 0x3000 && cpu->rip == 0x40 &&
          rd(m, 0x7ffa, 2) == 0x7c01, "into with OF set");
    /* INTO does not exist in 64-bit mode */
    cpu_reset_flat(cpu, CODE64, 0x7c00);
    CHECK(run(m, into, 1) == EXC_UD, "into in 64-bit mode must #UD");
    machine_free(m);
    free(m);
}

/* ---- INS/OUTS ------------------------------------------------------------ */

typedef struct Port {
    unsigned reads;
    uint8_t out[64];
    unsigned nout;
} Port;

static uint64_t port_read(void *opaque, uint64_t addr, unsigned size)
{
    Port *p = opaque;
    (void)addr;
    p->reads++;
    return 0x11223344u * p->reads & (size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu);
}

static void port_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    Port *p = opaque;
    (void)addr;
    for (unsigned i = 0; i < size && p->nout < sizeof p->out; i++)
        p->out[p->nout++] = (uint8_t)(val >> (8 * i));
}

static void test_ins_outs(void)
{
    Machine *m = new_machine();
    CPU *cpu = &m->cpu;
    Port port = { 0 };
    char err[200];
    CHECK(mem_add_ports(&m->mem, "misc-test", 0x300, 4, port_read, port_write, &port, err,
                        sizeof err) == 0, "ports: %s", err);
    /* rep insw, 5 words, to ES:EDI = 0x5000 */
    cpu_reset_flat(cpu, CODE32, 0x1000);
    cpu->regs[R_DX] = 0x302;
    cpu->regs[R_DI] = 0x5000;
    cpu->regs[R_CX] = 5;
    const uint8_t rep_insw[3] = { 0xf3, 0x66, 0x6d };
    CHECK(run(m, rep_insw, 3) == -1, "rep insw faulted");
    CHECK(port.reads == 5 && cpu->regs[R_CX] == 0 && cpu->regs[R_DI] == 0x500a, "rep insw regs");
    int ok = 1;
    for (unsigned i = 0; i < 5; i++)
        ok &= rd(m, 0x5000 + 2 * i, 2) == ((0x11223344u * (i + 1)) & 0xffff);
    CHECK(ok, "rep insw data");
    /* rep outsb backwards (DF=1) from DS:ESI = 0x6003, 4 bytes */
    memcpy(m->mem.ram + 0x6000, "\x01\x02\x03\x04", 4);
    cpu->rip = 0x1000;
    cpu->regs[R_SI] = 0x6003;
    cpu->regs[R_CX] = 4;
    cpu->eflags |= F_DF;
    const uint8_t rep_outsb[2] = { 0xf3, 0x6e };
    CHECK(run(m, rep_outsb, 2) == -1, "rep outsb faulted");
    CHECK(port.nout == 4 && memcmp(port.out, "\x04\x03\x02\x01", 4) == 0 &&
          cpu->regs[R_SI] == 0x5fff, "rep outsb %u bytes, esi %llx", port.nout,
          (unsigned long long)cpu->regs[R_SI]);
    /* CPL 3 > IOPL 0 with a TSS that has no I/O bitmap (map base beyond
     * the limit): #GP before any port access; count 0 does nothing */
    cpu->rip = 0x1000;
    cpu->cpl = 3;
    cpu->tr.base = 0x9000;
    cpu->tr.limit = 0x67;
    cpu->tr.attr = 0x8b | SA_P;
    m->mem.ram[0x9066] = 0x68;
    cpu->regs[R_CX] = 2;
    unsigned before = port.nout;
    CHECK(run(m, rep_outsb, 2) == EXC_GP && port.nout == before && cpu->regs[R_CX] == 2,
          "outs without I/O permission");
    cpu->regs[R_CX] = 0;
    CHECK(run(m, rep_outsb, 2) == -1 && port.nout == before, "rep outs with count 0");
    /* A store that would fault must not consume port data */
    cpu->cpl = 0;
    cpu->rip = 0x1000;
    cpu->seg[S_ES].limit = 0x4fff;
    cpu->regs[R_DI] = 0x5000;
    cpu->regs[R_CX] = 3;
    unsigned reads = port.reads;
    CHECK(run(m, rep_insw, 3) == EXC_GP && port.reads == reads && cpu->regs[R_CX] == 3,
          "ins to a faulting address read the port");
    /* REX.W ins still moves dwords */
    cpu_reset_flat(cpu, CODE64, 0x1000);
    cpu->regs[R_DX] = 0x300;
    cpu->regs[R_DI] = 0x7000;
    const uint8_t insd_w[2] = { 0x48, 0x6d };
    CHECK(run(m, insd_w, 2) == -1 && cpu->regs[R_DI] == 0x7004, "rex.w insd steps by 4");
    machine_free(m);
    free(m);
}

/* ---- REP resumption inside cpu_run --------------------------------------- */

static void test_rep_resume(void)
{
    Machine *m = new_machine();
    CPU *cpu = &m->cpu;
    cpu_reset_flat(cpu, CODE64, 0x1000);
    /* rep stosb (10000 bytes of AL); inc rbx; hlt */
    const uint8_t code[] = { 0xf3, 0xaa, 0x48, 0xff, 0xc3, 0xf4 };
    memcpy(m->mem.ram + 0x1000, code, sizeof code);
    cpu->regs[R_AX] = 0x5a;
    cpu->regs[R_CX] = 10000;
    cpu->regs[R_DI] = 0x10000;
    cpu->regs[R_BX] = 0;
    /* Two handler calls: the REP must still be pending, consistently. */
    cpu_run(cpu, 2);
    CHECK(cpu->rip == 0x1000 && cpu->regs[R_BX] == 0 &&
          cpu->regs[R_CX] + (cpu->regs[R_DI] - 0x10000) == 10000 && cpu->regs[R_CX] > 0,
          "after 2 steps: rip %llx rcx %llu rdi %llx rbx %llu", (unsigned long long)cpu->rip,
          (unsigned long long)cpu->regs[R_CX], (unsigned long long)cpu->regs[R_DI],
          (unsigned long long)cpu->regs[R_BX]);
    int r = cpu_run(cpu, 100);
    int ok = 1;
    for (unsigned i = 0; i < 10000; i++)
        ok &= m->mem.ram[0x10000 + i] == 0x5a;
    CHECK(r == RUN_HALT && cpu->regs[R_CX] == 0 && cpu->regs[R_DI] == 0x10000 + 10000 &&
          cpu->regs[R_BX] == 1 && ok && m->mem.ram[0x10000 + 10000] == 0,
          "rep stosb in cpu_run: r %d rcx %llu rbx %llu", r, (unsigned long long)cpu->regs[R_CX],
          (unsigned long long)cpu->regs[R_BX]);
    machine_free(m);
    free(m);
}

/* ---- 16- and 32-bit forms -------------------------------------------------- */

static void test_16_32(void)
{
    Machine *m = new_machine();
    CPU *cpu = &m->cpu;

    /* PUSHA (32-bit): EAX..EDI stored top-down with the original ESP */
    cpu_reset_flat(cpu, CODE32, 0x1000);
    for (unsigned r = 0; r < 8; r++)
        cpu->regs[r] = 0x11111111u * (r + 1);
    cpu->regs[R_SP] = 0x9000;
    const uint8_t pusha[1] = { 0x60 }, popa[1] = { 0x61 };
    CHECK(run(m, pusha, 1) == -1 && cpu->regs[R_SP] == 0x9000 - 32, "pushad esp");
    int ok = 1;
    for (unsigned r = 0; r < 8; r++)
        ok &= rd(m, 0x9000 - 4 * (r + 1), 4) == (r == R_SP ? 0x9000 : 0x11111111u * (r + 1));
    CHECK(ok, "pushad layout");
    /* POPA skips the ESP slot */
    m->mem.ram[0x9000 - 4 * (R_SP + 1)] = 0x77;
    for (unsigned r = 0; r < 8; r++)
        if (r != R_SP)
            cpu->regs[r] = 0;
    cpu->rip = 0x1000;
    CHECK(run(m, popa, 1) == -1 && cpu->regs[R_SP] == 0x9000 && cpu->regs[R_AX] == 0x11111111 &&
          cpu->regs[R_DI] == 0x88888888 && cpu->regs[R_BP] == 0x66666666, "popad");
    /* 16-bit PUSHA in real mode, with SP wrapping below 0 */
    cpu_reset_flat(cpu, CODE16, 0x1000);
    for (unsigned r = 0; r < 8; r++)
        cpu->regs[r] = 0xabcd0000u | (0x1010u * (r + 1));
    cpu->regs[R_SP] = 0xabcd0008;  /* SP = 8: slots 6,4,2,0,FFFE,.. */
    CHECK(run(m, pusha, 1) == -1 && cpu->regs[R_SP] == 0xabcdfff8, "pusha sp wrap: %llx",
          (unsigned long long)cpu->regs[R_SP]);
    CHECK(rd(m, 6, 2) == 0x1010 && rd(m, 0xfff8, 2) == 0x8080 &&
          rd(m, 0, 2) == 0x4040 && rd(m, 0xfffa, 2) == 0x7070 && rd(m, 0xfffe, 2) == 8,
          "pusha16 layout");
    /* A32 override in 16-bit code: 67 PUSHA is still 16-bit, 66 PUSHA is 32 */
    cpu->rip = 0x1000;
    cpu->regs[R_SP] = 0x8000;
    const uint8_t pushad16[2] = { 0x66, 0x60 };
    CHECK(run(m, pushad16, 2) == -1 && cpu->regs[R_SP] == 0x8000 - 32,
          "66 pusha in 16-bit code: sp %llx", (unsigned long long)cpu->regs[R_SP]);
    /* PUSHA/POPA do not exist in 64-bit mode */
    cpu_reset_flat(cpu, CODE64, 0x1000);
    CHECK(run(m, pusha, 1) == EXC_UD, "pusha in 64-bit mode");

    /* rep movsb with 16-bit addresses: SI wraps from FFFF to 0 within DS,
     * the upper half of ESI is untouched. DS base 0x20000, ES base 0x30000. */
    cpu_reset_flat(cpu, CODE16, 0x1000);
    cpu->seg[S_DS].base = 0x20000;
    cpu->seg[S_ES].base = 0x30000;
    m->mem.ram[0x2fffe] = 0xa1;
    m->mem.ram[0x2ffff] = 0xa2;
    m->mem.ram[0x20000] = 0xa3;
    m->mem.ram[0x20001] = 0xa4;
    cpu->regs[R_SI] = 0x5555fffe;
    cpu->regs[R_DI] = 0x66660100;
    cpu->regs[R_CX] = 0x77770004;
    const uint8_t rep_movsb[2] = { 0xf3, 0xa4 };
    CHECK(run(m, rep_movsb, 2) == -1, "rep movsb 16");
    CHECK(cpu->regs[R_SI] == 0x55550002 && cpu->regs[R_DI] == 0x66660104 &&
          cpu->regs[R_CX] == 0x77770000 && rd(m, 0x30100, 4) == 0xa4a3a2a1,
          "a16 wrap: si %llx di %llx cx %llx data %llx", (unsigned long long)cpu->regs[R_SI],
          (unsigned long long)cpu->regs[R_DI], (unsigned long long)cpu->regs[R_CX],
          (unsigned long long)rd(m, 0x30100, 4));
    /* segment override on the source only: rep movsb from ES: to ES:DI */
    cpu->rip = 0x1000;
    cpu->regs[R_SI] = 0x0100;
    cpu->regs[R_DI] = 0x0200;
    cpu->regs[R_CX] = 4;
    const uint8_t es_movsb[3] = { 0x26, 0xf3, 0xa4 };
    CHECK(run(m, es_movsb, 3) == -1 && rd(m, 0x30200, 4) == 0xa4a3a2a1, "es: movsb source");
    /* 67 in 16-bit code gives 32-bit addressing: no wrap at 64K */
    cpu->rip = 0x1000;
    cpu->seg[S_DS].limit = 0xfffff;
    cpu->regs[R_SI] = 0x0000ffff;
    cpu->regs[R_DI] = 0x0300;
    const uint8_t a32_lodsw[2] = { 0x67, 0xad };
    m->mem.ram[0x2ffff] = 0x12;
    m->mem.ram[0x30000] = 0x34;
    CHECK(run(m, a32_lodsw, 2) == -1 && cpu->regs[R_SI] == 0x10001 &&
          (cpu->regs[R_AX] & 0xffff) == 0x3412, "a32 lodsw in 16-bit code");
    /* segment limit: a word read at DS:FFFF (limit FFFF) faults, nothing changes */
    cpu->rip = 0x1000;
    cpu->seg[S_DS].limit = 0xffff;
    cpu->regs[R_SI] = 0xffff;
    const uint8_t lodsw[1] = { 0xad };
    CHECK(run(m, lodsw, 1) == EXC_GP && cpu->regs[R_SI] == 0xffff, "lodsw past the limit");

    /* XLAT with 16-bit addressing: BX + AL wraps at 64K */
    cpu->rip = 0x1000;
    cpu->regs[R_BX] = 0x1234fff0;
    cpu->regs[R_AX] = 0x20;
    m->mem.ram[0x20010] = 0x99;
    const uint8_t xlat[1] = { 0xd7 };
    CHECK(run(m, xlat, 1) == -1 && (cpu->regs[R_AX] & 0xff) == 0x99, "xlat a16 wrap");

    /* LOOP in 16-bit code counts CX only; 67 LOOP counts ECX */
    cpu->rip = 0x1000;
    cpu->regs[R_CX] = 0x00010001;
    const uint8_t loop[2] = { 0xe2, 0x10 };
    CHECK(run(m, loop, 2) == -1 && cpu->regs[R_CX] == 0x00010000 && cpu->rip == 0x1002,
          "loop cx: falls through when CX hits 0");
    cpu->rip = 0x1000;
    cpu->regs[R_CX] = 0x00010001;
    const uint8_t loop32[3] = { 0x67, 0xe2, 0x10 };
    CHECK(run(m, loop32, 3) == -1 && cpu->regs[R_CX] == 0x00010000 && cpu->rip == 0x1013,
          "67 loop counts ecx");
    /* IP wraps at 64K: a branch from FFF0 forward by 0x20 lands at 0x0012 */
    cpu->rip = 0xfff0;
    cpu->regs[R_CX] = 0;
    const uint8_t jcxz[2] = { 0xe3, 0x20 };
    CHECK(run(m, jcxz, 2) == -1 && cpu->rip == 0x0012, "jcxz ip wrap: %llx",
          (unsigned long long)cpu->rip);

    /* ENTER 8,2 with 16-bit stack: push BP, copy [BP-2], push frame, sub */
    cpu_reset_flat(cpu, CODE16, 0x1000);
    cpu->regs[R_SP] = 0x2000;
    cpu->regs[R_BP] = 0x3000;
    memcpy(m->mem.ram + 0x2ffe, "\x34\x12", 2);
    const uint8_t enter[4] = { 0xc8, 0x08, 0x00, 0x02 };
    CHECK(run(m, enter, 4) == -1, "enter16");
    CHECK(cpu->regs[R_BP] == 0x1ffe && cpu->regs[R_SP] == 0x1ffe - 4 - 8 &&
          rd(m, 0x1ffe, 2) == 0x3000 && rd(m, 0x1ffc, 2) == 0x1234 && rd(m, 0x1ffa, 2) == 0x1ffe,
          "enter16 bp %llx sp %llx", (unsigned long long)cpu->regs[R_BP],
          (unsigned long long)cpu->regs[R_SP]);
    const uint8_t leave[1] = { 0xc9 };
    cpu->rip = 0x1000;
    CHECK(run(m, leave, 1) == -1 && cpu->regs[R_SP] == 0x2000 && cpu->regs[R_BP] == 0x3000,
          "leave16");
    machine_free(m);
    free(m);
}

/* ---- PUSHF/POPF privilege rules ------------------------------------------ */

static uint32_t popf_result(Machine *m, int mode, unsigned cpl, uint32_t flags, uint32_t image,
                            bool o16, int *vec)
{
    CPU *cpu = &m->cpu;
    cpu_reset_flat(cpu, mode, 0x1000);
    cpu->cpl = (uint8_t)cpl;
    cpu->eflags = flags | 2;
    cpu->regs[R_SP] = 0x8000;
    memcpy(m->mem.ram + 0x8000, &image, 4);
    uint8_t code[2] = { 0x66, 0x9d };
    bool pfx = (mode == CODE16) != o16;  /* 66 toggles the default size */
    *vec = pfx ? run(m, code, 2) : run(m, code + 1, 1);
    return cpu_get_eflags(cpu);
}

static void test_popf_rules(void)
{
    Machine *m = new_machine();
    int v;
    uint32_t f;
    /* CPL 0 (protected): IOPL and IF change; VM, VIP, VIF, RF do not */
    f = popf_result(m, CODE32, 0, 0, F_IOPL | F_VM | F_VIP | F_VIF | F_RF | F_AC | F_ID | F_CF,
                    false, &v);
    CHECK(v == -1 && (f & ~2u) == (F_IOPL | F_AC | F_ID | F_CF), "popf cpl0 -> %#x", f);
    /* CPL 3, IOPL 3: IF changes, IOPL does not */
    f = popf_result(m, CODE32, 3, F_IOPL, F_IF, false, &v);
    CHECK(v == -1 && (f & ~2u) == (F_IOPL | F_IF), "popf cpl3 iopl3 -> %#x", f);
    /* CPL 1, IOPL 0: neither IF nor IOPL change */
    f = popf_result(m, CODE32, 1, F_IF, F_IOPL | F_ZF, false, &v);
    CHECK(v == -1 && (f & ~2u) == (F_IF | F_ZF), "popf cpl1 iopl0 -> %#x", f);
    /* 16-bit POPF leaves the upper half (AC, ID) alone */
    f = popf_result(m, CODE32, 0, F_AC, 0, true, &v);
    CHECK(v == -1 && (f & ~2u) == F_AC, "popf o16 -> %#x", f);
    /* real mode: everything writable (CPL is 0) */
    f = popf_result(m, CODE16, 0, 0, F_IOPL | F_IF | F_NT, true, &v);
    CHECK(v == -1 && (f & ~2u) == (F_IOPL | F_IF | F_NT), "popf real mode -> %#x", f);

    /* Virtual-8086 mode: protected mode, VM set, CPL 3 */
    CPU *cpu = &m->cpu;
    const uint8_t popf[1] = { 0x9d }, pushf[1] = { 0x9c }, popfd[2] = { 0x66, 0x9d };
    for (int iopl3 = 0; iopl3 < 2; iopl3++) {
        for (int vme = 0; vme < 2; vme++) {
            cpu_reset_flat(cpu, CODE16, 0x1000);
            cpu->cr0 |= 1;
            cpu->cpl = 3;
            cpu->eflags = 2 | F_VM | F_IF | (iopl3 ? F_IOPL : 0);
            cpu->cr4 = vme ? 1 : 0;
            cpu->regs[R_SP] = 0x8000;
            uint16_t img = F_ZF;  /* IF clear in the image */
            memcpy(m->mem.ram + 0x8000, &img, 2);
            v = run(m, popf, 1);
            f = cpu_get_eflags(cpu);
            if (iopl3)
                CHECK(v == -1 && (f & (F_IF | F_ZF | F_VM | F_IOPL)) == (F_ZF | F_VM | F_IOPL),
                      "v86 iopl3 popf -> %#x", f);
            else if (vme)  /* IF stays, VIF takes the image's IF (0) */
                CHECK(v == -1 && (f & (F_IF | F_ZF | F_VIF | F_VM)) == (F_IF | F_ZF | F_VM),
                      "v86 vme popf -> %#x", f);
            else
                CHECK(v == EXC_GP && cpu->regs[R_SP] == 0x8000, "v86 popf without iopl3/vme");
        }
    }
    /* VME: POPF of an image with IF set while VIP is pending faults */
    cpu_reset_flat(cpu, CODE16, 0x1000);
    cpu->cr0 |= 1;
    cpu->cpl = 3;
    cpu->cr4 = 1;
    cpu->eflags = 2 | F_VM | F_VIP;
    cpu->regs[R_SP] = 0x8000;
    uint16_t img = F_IF;
    memcpy(m->mem.ram + 0x8000, &img, 2);
    CHECK(run(m, popf, 1) == EXC_GP, "vme popf IF with VIP");
    /* VME: 32-bit POPFD is not virtualised */
    cpu->rip = 0x1000;
    cpu->eflags = 2 | F_VM;
    CHECK(run(m, popfd, 2) == EXC_GP, "vme popfd");
    /* VME PUSHF: IF shows VIF, IOPL shows 3, VM hidden */
    cpu->rip = 0x1000;
    cpu->eflags = 2 | F_VM | F_VIF;
    cpu->regs[R_SP] = 0x8000;
    CHECK(run(m, pushf, 1) == -1 && rd(m, 0x7ffe, 2) == (2 | F_IF | F_IOPL), "vme pushf image %#llx",
          (unsigned long long)rd(m, 0x7ffe, 2));
    /* PUSHF at CPL 0 hides VM and RF in the image */
    cpu_reset_flat(cpu, CODE32, 0x1000);
    cpu->eflags = 2 | F_RF | F_CF;
    cpu->regs[R_SP] = 0x8000;
    CHECK(run(m, pushf, 1) == -1 && rd(m, 0x7ffc, 4) == (2 | F_CF), "pushfd image");
    machine_free(m);
    free(m);
}

int main(void)
{
    test_cpuid(&cpu_model_intel);
    test_cpuid(&cpu_model_amd);
    test_rdtsc();
    test_int_real();
    test_ins_outs();
    test_rep_resume();
    test_16_32();
    test_popf_rules();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0 || passed == 0;
}

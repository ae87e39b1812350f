/* known.c — THE list of everything the decoder cross-check excuses.
 *
 * Three lists, each entry with the reason it is there:
 *   1. excluded classes: instruction sets this issue deliberately does not
 *      implement.  Capstone accepts them, ringzero rejects them (#UD, as a
 *      CPU without the feature would); counted and printed, never failures.
 *   2. PENDING system instructions ringzero does not offer yet: RDTSCP and
 *      MONITOR/MWAIT are not advertised by CPUID and RSM is #UD outside SMM
 *      (there is no SMM), so #UD is what such a CPU does.  Printed as
 *      "PENDING" so they stay visible; remove an entry when its instruction
 *      lands (the check prints the names it saw accepted every time).
 *   3. Capstone 4 quirks: places where Capstone 4.0.2 disagrees with the
 *      Intel SDM, each with its evidence (SDM text and, where the host can
 *      run it, tests/decode/probe on this AMD EPYC host).
 * Nothing else is excused: a disagreement not matched here fails the test.
 */
#include <stdio.h>
#include <string.h>

#include "known.h"

static bool has_group(const cs_insn *i, unsigned g)
{
    for (int k = 0; k < i->detail->groups_count; k++)
        if (i->detail->groups[k] == g)
            return true;
    return false;
}

static bool in_list(const char *m, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(m, *list))
            return true;
    return false;
}

const char *known_mnemonic(const cs_insn *i)
{
    static const char *const words[] = { "lock ", "rep ", "repe ", "repne ", "repz ", "repnz ",
                                         "bnd ", "notrack ", "xacquire ", "xrelease ", "data16 ", NULL };
    const char *m = i->mnemonic;
    for (bool again = true; again;) {
        again = false;
        for (const char *const *w = words; *w; w++)
            if (!strncmp(m, *w, strlen(*w))) {
                m += strlen(*w);
                again = true;
            }
    }
    return m;
}

/* ---------------------------------------------------------------------
 * 1. Excluded classes (not implemented in this issue).
 * ------------------------------------------------------------------- */

static const struct { unsigned group; const char *name; } excluded_groups[] = {
    { X86_GRP_AVX,      "AVX" },         /* VEX-encoded; CPUID does not offer AVX */
    { X86_GRP_AVX2,     "AVX2" },        /* VEX-encoded */
    { X86_GRP_AVX512,   "AVX-512" },     /* EVEX-encoded */
    { X86_GRP_CDI,      "AVX-512" },     /* AVX-512 CD */
    { X86_GRP_ERI,      "AVX-512" },     /* AVX-512 ER */
    { X86_GRP_DQI,      "AVX-512" },     /* AVX-512 DQ */
    { X86_GRP_BWI,      "AVX-512" },     /* AVX-512 BW */
    { X86_GRP_PFI,      "AVX-512" },     /* AVX-512 PF */
    { X86_GRP_VLX,      "AVX-512" },     /* AVX-512 VL */
    { X86_GRP_FMA,      "FMA" },         /* VEX-encoded */
    { X86_GRP_FMA4,     "FMA4/XOP" },    /* AMD VEX/XOP */
    { X86_GRP_XOP,      "FMA4/XOP" },    /* AMD XOP (8F escape) */
    { X86_GRP_TBM,      "FMA4/XOP" },    /* AMD TBM, XOP-encoded */
    { X86_GRP_F16C,     "F16C" },        /* VEX-encoded */
    { X86_GRP_SSE41,    "SSE4.1" },      /* 66 0F38/0F3A; not in this issue */
    { X86_GRP_SSE42,    "SSE4.2/CRC32" },/* includes CRC32 (F2 0F38 F0/F1) */
    { X86_GRP_SSE4A,    "SSE4a" },       /* AMD EXTRQ/INSERTQ/MOVNTSD/MOVNTSS */
    { X86_GRP_AES,      "AES" },
    { X86_GRP_PCLMUL,   "PCLMUL" },
    { X86_GRP_SHA,      "SHA" },
    { X86_GRP_3DNOW,    "3DNow!" },      /* 0F 0F xx ib */
    { X86_GRP_VM,       "VMX/SVM" },     /* VMCALL, VMRUN, INVEPT, ... */
    { X86_GRP_SGX,      "SGX" },         /* ENCLS/ENCLU */
    { X86_GRP_ADX,      "ADX" },         /* ADCX/ADOX */
    { X86_GRP_RTM,      "TSX" },         /* XBEGIN/XEND/XABORT/XTEST */
    { X86_GRP_FSGSBASE, "FSGSBASE" },    /* RD/WR FS/GS BASE: CR4.FSGSBASE not offered */
    { X86_GRP_SMAP,     "SMAP" },        /* CLAC/STAC: CR4.SMAP not offered */
};

/* Mnemonic-level exclusions, for classes Capstone 4 does not tag. */
static const struct { const char *mnem; const char *name; } excluded_mnems[] = {
    /* BMI1/BMI2 are excluded, but TZCNT and LZCNT (and POPCNT) are in scope. */
    { "andn", "BMI1/2" }, { "bextr", "BMI1/2" }, { "blsi", "BMI1/2" }, { "blsmsk", "BMI1/2" },
    { "blsr", "BMI1/2" }, { "bzhi", "BMI1/2" }, { "mulx", "BMI1/2" }, { "pdep", "BMI1/2" },
    { "pext", "BMI1/2" }, { "rorx", "BMI1/2" }, { "sarx", "BMI1/2" }, { "shlx", "BMI1/2" },
    { "shrx", "BMI1/2" },
    { "movbe", "MOVBE" },                /* 0F38 F0/F1 without F2 */
    { "crc32", "SSE4.2/CRC32" },
    { "rdrand", "RDRAND/RDSEED" }, { "rdseed", "RDRAND/RDSEED" },
    /* MPX: F3/F2/66 0F 1A/1B forms that Capstone names bnd*. */
    { "bndcl", "MPX" }, { "bndcu", "MPX" }, { "bndcn", "MPX" }, { "bndmk", "MPX" },
    { "bndmov", "MPX" }, { "bndldx", "MPX" }, { "bndstx", "MPX" },
    { "clflushopt", "CLFLUSHOPT/CLWB" }, { "clwb", "CLFLUSHOPT/CLWB" }, { "pcommit", "CLFLUSHOPT/CLWB" },
    /* XSAVE feature set: CPUID.1:ECX.XSAVE not offered. */
    { "xsave", "XSAVE" }, { "xsave64", "XSAVE" }, { "xrstor", "XSAVE" }, { "xrstor64", "XSAVE" },
    { "xsaveopt", "XSAVE" }, { "xsaveopt64", "XSAVE" }, { "xsavec", "XSAVE" }, { "xsavec64", "XSAVE" },
    { "xsaves", "XSAVE" }, { "xsaves64", "XSAVE" }, { "xrstors", "XSAVE" }, { "xrstors64", "XSAVE" },
    { "xgetbv", "XSAVE" }, { "xsetbv", "XSAVE" },
    { "femms", "3DNow!" },               /* 0F 0E */
    { "invpcid", "INVPCID" },            /* 66 0F38 82: CR4.PCIDE feature */
    { "getsec", "SMX" },                 /* 0F 37 */
    { "monitorx", "AMD MONITORX" }, { "mwaitx", "AMD MONITORX" }, { "clzero", "AMD CLZERO" },
    { "rdpid", "RDPID" },                /* F3 0F C7 /7 */
    { "ptwrite", "PTWRITE" },
    { "endbr32", "CET" }, { "endbr64", "CET" },  /* hint NOPs in CET's encoding */
    { "encls", "SGX" }, { "enclu", "SGX" },      /* 0F 01 CF / D7, not tagged SGX by Capstone 4 */
    { "clac", "SMAP" }, { "stac", "SMAP" },      /* 0F 01 CA / CB */
    { "xtest", "TSX" },                           /* 0F 01 D6, not tagged RTM by Capstone 4 */
    /* VIA PadLock (0F A6 / 0F A7 with fixed ModRM): not an Intel/AMD ISA. */
    { "xstorerng", "VIA PadLock" }, { "xcryptecb", "VIA PadLock" }, { "xcryptcbc", "VIA PadLock" },
    { "xcryptctr", "VIA PadLock" }, { "xcryptcfb", "VIA PadLock" }, { "xcryptofb", "VIA PadLock" },
    { "xsha1", "VIA PadLock" }, { "xsha256", "VIA PadLock" }, { "montmul", "VIA PadLock" },
    { NULL, NULL }
};

const char *known_excluded(csh h, const Case *c)
{
    (void)h;
    const cs_insn *i = c->cs;
    const char *m = known_mnemonic(i);
    for (unsigned k = 0; k < sizeof excluded_groups / sizeof *excluded_groups; k++)
        if (has_group(i, excluded_groups[k].group))
            return excluded_groups[k].name;
    for (unsigned k = 0; excluded_mnems[k].mnem; k++)
        if (!strcmp(m, excluded_mnems[k].mnem))
            return excluded_mnems[k].name;
    /* VEX (C4/C5), EVEX (62) and XOP (8F) escapes that Capstone did not tag. */
    if (m[0] == 'v' && strcmp(m, "verr") && strcmp(m, "verw"))
        return "AVX";
    return NULL;
}

/* ---------------------------------------------------------------------
 * 2. PENDING: system instructions being added by the system-table work.
 *    Remove entries as they land.
 * ------------------------------------------------------------------- */

static const char *const pending_mnems[] = {
    /* Landed in cpu/ops/system.def and removed: LGDT..LSL, SYSCALL/SYSRET,
     * SYSENTER/SYSEXIT, SWAPGS, IRET, far RET/JMP/CALL, INT1, CLI/STI,
     * LDS..LSS, WBINVD, INVD, RDMSR/WRMSR, RDPMC, MOV sreg/CRn/DRn,
     * PUSH/POP sreg, ARPL. */
    "rdtscp", "rsm", "monitor", "mwait",
    NULL
};

const char *known_pending(csh h, const Case *c)
{
    (void)h;
    const cs_insn *i = c->cs;
    const char *m = known_mnemonic(i);
    if (in_list(m, pending_mnems))
        return m;
    return NULL;
}

/* ---------------------------------------------------------------------
 * 3. Capstone 4.0.2 quirks (Capstone disagrees with the SDM).
 * ------------------------------------------------------------------- */

typedef struct Quirk {
    const char *id;
    const char *text;          /* what Capstone does, what is right, evidence */
    bool (*match)(csh h, const Case *c);
} Quirk;

static int code_mode_of(const Case *c)
{
    return c->bits == 16 ? CODE16 : c->bits == 32 ? CODE32 : CODE64;
}

/* Copies c's bytes without the prefix bytes for which drop() is true. */
static int strip_prefixes(const Case *c, bool (*drop)(uint8_t), uint8_t *out)
{
    int n = 0;
    for (int i = 0; i < c->n; i++)
        if (i >= c->opc_off || !drop(c->b[i]))
            out[n++] = c->b[i];
    return n;
}

static bool is_rep(uint8_t b) { return b == 0xf2 || b == 0xf3; }

static bool sdm_lockable(const cs_insn *i);

/* Capstone's length for a variant, 0 if it rejects it (or if it carries a
 * LOCK the SDM forbids: Capstone's acceptance proves nothing then). */
static int cs_len(csh h, const uint8_t *b, int n, bool lock)
{
    cs_insn *i;
    size_t got = cs_disasm(h, b, (size_t)n, 0x1000, 1, &i);
    int len = got && (!lock || sdm_lockable(i)) ? (int)i->size : 0;
    if (got) cs_free(i, got);
    return len;
}

/* SDM Vol. 2, "LOCK": the only instructions LOCK may prefix, and only with
 * a memory destination; anything else is #UD. */
static bool sdm_lockable(const cs_insn *i)
{
    static const char *const ok[] = {
        "add", "adc", "and", "btc", "btr", "bts", "cmpxchg", "cmpxchg8b", "cmpxchg16b",
        "dec", "inc", "neg", "not", "or", "sbb", "sub", "xor", "xadd", "xchg", NULL
    };
    const cs_x86 *x = &i->detail->x86;
    return in_list(known_mnemonic(i), ok) && x->op_count > 0 && x->operands[0].type == X86_OP_MEM;
}

/* CS_LOCK: Capstone accepts LOCK on instructions that cannot take it
 * (e.g. F0 F3 0F 0D 0A "lock prefetchw").  SDM: #UD.  Host: F0 F3 0F 0D 0A
 * raises #UD; F0 01 18 (lock add [rax],ebx) decodes. */
static bool q_lock(csh h, const Case *c)
{
    (void)h;
    return c->cs && c->rz < 0 && c->lock && !sdm_lockable(c->cs);
}

/* CS_HINTNOP: 0F 18..0F 1F are the hint-NOP space (SDM Vol. 2 NOP: "0F 1F /0
 * NOP r/m"; opcode map Table A-3: 0F 18 prefetch group, 0F 19-1F NOP Ev);
 * every ModRM form executes as a NOP.  Capstone 4 rejects the register
 * forms and the unassigned /reg values (0F 1D D0, 0F 1F E8, 0F 18 D0, 0F 1E
 * E8 ...).  Host: 0F 1D D0, 0F 1E E8, F3 0F 18 D0 all execute. */
static bool q_hintnop(csh h, const Case *c)
{
    (void)h;
    return !c->cs && c->rz > 0 && c->map == MAP_0F && c->opc >= 0x18 && c->opc <= 0x1f;
}

/* CS_PREFETCH: 0F 0D with a memory operand is PREFETCH (/0), PREFETCHW
 * (/1) and, per the AMD APM, /2../7 are aliases of PREFETCH; Capstone 4
 * only knows /1.  Host: 0F 0D 00, 0F 0D 11, F3 0F 0D 00 execute; 0F 0D C0
 * (register form) is #UD on the AMD host, as in the amd model. */
static bool q_prefetch(csh h, const Case *c)
{
    (void)h;
    return !c->cs && c->rz > 0 && c->map == MAP_0F && c->opc == 0x0d &&
           c->opc_off + 2 < c->n && (c->b[c->opc_off + 2] >> 6) != 3;
}

/* CS_PREFETCH_REG (intel model): 0F 0D with a register operand is a
 * reserved NOP on Intel (SDM Vol. 2 NOP; measured on an Intel Xeon: 0F 0D
 * C3..FB execute), #UD on AMD; Capstone 4 rejects it. */
static bool q_prefetch_reg(csh h, const Case *c)
{
    (void)h;
    return c->q->prefetch_reg_nop && !c->cs && c->rz > 0 && c->map == MAP_0F && c->opc == 0x0d &&
           c->opc_off + 2 < c->n && (c->b[c->opc_off + 2] >> 6) == 3;
}

/* CS_UD01: UD0 (0F FF) and UD1 (0F B9) take a ModRM byte (SDM Vol. 2 UD:
 * "0F FF /r UD0 r32, r/m32", "0F B9 /r UD1 r32, r/m32"); Capstone 4 decodes
 * them without one ("ud0", "ud2b") and rejects some prefixed forms.  Both
 * raise #UD whatever the length; the host raises #UD before fetching the
 * ModRM (0F B9 C0 and 0F FF C0 fault with only 2 bytes mapped), so only
 * the SDM settles the length. */
static bool q_ud01(csh h, const Case *c)
{
    (void)h;
    return c->map == MAP_0F && (c->opc == 0xff || c->opc == 0xb9);
}

/* CS_OPSIZE_MIX: Capstone 4 mis-sizes the rel16/32 or imm of near
 * CALL/JMP/Jcc, PUSH imm and RET imm16 when 66/67 are mixed with other
 * prefixes (64-bit: 66 49 42 E8 Capstone rel32, host rel16; 4A 67 4F E8
 * Capstone rel16, host rel32; 36 67 4F C2 Capstone 8 bytes, host 6;
 * 66 F3 F2 68 Capstone imm32, host imm16; 36 66 36 3E 2E E8 Capstone 10
 * bytes, host 8.  32-bit: 66 F2 E8 Capstone 7 bytes, host 5).  Every
 * example was run on the host with tests/decode/probe: it agreed with
 * ringzero each time. */
static bool q_64_opsize(csh h, const Case *c)
{
    (void)h;
    bool op = (c->map == MAP_1B && (c->opc == 0xe8 || c->opc == 0xe9 || c->opc == 0xc2 || c->opc == 0x68)) ||
              (c->map == MAP_0F && c->opc >= 0x80 && c->opc <= 0x8f);
    return c->cs && c->rz > 0 && (int)c->cs->size != c->rz && op && (c->p66 || c->p67) &&
           c->opc_off >= 2;
}

/* CS_BRANCH_O16 (intel model): in 64-bit mode Capstone 4 gives a 66
 * prefix on a near branch a 16-bit operand, as AMD does (66 E8 rel16, 4
 * bytes); Intel ignores it (SDM Vol. 2 2.2.1.3, measured on an Intel Xeon:
 * rel32, 64-bit push).  Matched when the amd model's decode of the same
 * bytes agrees with Capstone, or is itself a CS_OPSIZE_MIX case. */
static bool q_branch_o16(csh h, const Case *c)
{
    if (c->bits != 64 || c->q->branch_o16 || !c->cs || c->rz <= 0 || !c->p66 ||
        form_info[c->in->form].osz != OS_BR)
        return false;
    Insn t;
    Case a = *c;
    a.q = &cpu_model_amd.q;
    a.rz = decode(c->b, c->n, CODE64, a.q, &t);
    a.in = &t;
    return a.rz == (int)c->cs->size || q_64_opsize(h, &a);
}

/* CS_REP_IGNORED: F2/F3 in front of a one-byte-map instruction that is not
 * a string instruction are ignored by the CPU (SDM Vol. 2 2.1.1: group-1
 * prefixes on other instructions are reserved; hardware ignores them),
 * but Capstone 4 rejects some such sequences, e.g. 66 F3 A2 (mov moffs) or
 * 41 66 F2 A3.  Host: 66 F3 A2 + moffs64 and 41 66 F2 A3 + moffs64 decode
 * to 11 and 12 bytes, as ringzero.  Matched only when Capstone accepts the
 * same bytes without the F2/F3 at the matching length. */
static bool q_rep_ignored(csh h, const Case *c)
{
    if (c->cs || c->rz <= 0 || c->map != MAP_1B || !(c->rep || c->repne))
        return false;
    uint8_t v[32];
    int n = strip_prefixes(c, is_rep, v);
    return cs_len(h, v, n, c->lock) == c->rz - (c->n - n);
}

/* CS_PREFIX_ORDER: Capstone 4 rejects some valid instructions when
 * prefixes are repeated or when a segment/66/67 prefix sits between F3 and
 * the opcode (F3 F3 0F B8, 2E 42 F3 3E 0F B8: POPCNT).  The SDM allows any
 * order and repetition within 15 bytes (Vol. 2 2.1.1).  Host: both examples
 * decode (11 and 12 bytes), as ringzero; so do 32-bit 26 66 36 67 0F D0 4D
 * 07 (ADDSUBPD), which Capstone accepts as 67 36 66 0F D0 4D 07 only.
 * Matched only when Capstone accepts the canonical prefix order (67,
 * segment, F0, 66, last F2/F3, REX) at the length ringzero gives minus the
 * bytes dropped. */
static bool q_prefix_order(csh h, const Case *c)
{
    if (c->cs || c->rz <= 0)
        return false;
    uint8_t v[32];
    int n = 0;
    uint8_t seg = 0;
    for (int i = 0; i < c->opc_off; i++) {
        uint8_t b = c->b[i];
        if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65)
            seg = b;
    }
    if (c->p67) v[n++] = 0x67;
    if (seg) v[n++] = seg;
    if (c->lock) v[n++] = 0xf0;
    if (c->p66) v[n++] = 0x66;
    if (c->rep) v[n++] = 0xf3;
    if (c->repne) v[n++] = 0xf2;
    if (c->rex) v[n++] = c->rex;
    int removed = c->opc_off - n;
    if (removed < 0 || (removed == 0 && !memcmp(v, c->b, (size_t)n)))
        return false;   /* already canonical: not this quirk */
    memcpy(v + n, c->b + c->opc_off, (size_t)(c->n - c->opc_off));
    n += c->n - c->opc_off;
    return cs_len(h, v, n, c->lock) == c->rz - removed;
}

/* CS_SSE_PREFIX: for opcodes selected by a mandatory prefix (SSE/MMX), an
 * F2/F3 (or 66) that selects no defined form makes the encoding #UD, but
 * Capstone 4 ignores it and decodes the unprefixed form (F3 0F 28 C0 as
 * movaps, F2 0F 60 C0 as punpcklbw mm, 66 F3 0F 60 C0 as punpcklbw mm).
 * Host: all three raise #UD after fetching all their bytes.  Matched only
 * when ringzero decodes the bytes without F2/F3/66 to a mandatory-prefix
 * form (an SSE/MMX opcode, not a legacy one where the prefix is ignored). */
static bool is_sse_pfx(uint8_t b) { return b == 0xf2 || b == 0xf3 || b == 0x66; }
static bool q_sse_prefix(csh h, const Case *c)
{
    (void)h;
    if (!c->cs || c->rz > 0 || c->map == MAP_1B || !(c->rep || c->repne || c->p66))
        return false;
    uint8_t v[32];
    Insn in;
    int n = strip_prefixes(c, is_rep, v);   /* F3 66 0F 7D: Capstone's HSUBPD */
    if (decode(v, n, code_mode_of(c), c->q, &in) > 0 && form_info[in.form].pfx != P_ANY)
        return true;
    n = strip_prefixes(c, is_sse_pfx, v);   /* F3 0F 28: Capstone's MOVAPS */
    return decode(v, n, code_mode_of(c), c->q, &in) > 0 && form_info[in.form].pfx != P_ANY;
}

/* CS_FENCE: LFENCE, MFENCE and SFENCE ignore ModRM.rm (SDM Vol. 2 MFENCE:
 * "the processor ignores the r/m field ... MFENCE is encoded by any opcode
 * of the form 0F AE Fx in the range F0 to F7", likewise E8-EF and F8-FF);
 * Capstone 4 only accepts E8, F0 and F8.  Host: 0F AE EB, F2, FC execute. */
static bool q_fence(csh h, const Case *c)
{
    (void)h;
    return !c->cs && c->rz > 0 && c->map == MAP_0F && c->opc == 0xae &&
           c->opc_off + 2 < c->n && c->b[c->opc_off + 2] >= 0xe8;
}

/* CS_67_MANDATORY: with an SSE opcode, Capstone 4 sometimes takes a 67
 * prefix for the mandatory 66 (64-bit 67 48 0F 6D 00 "punpckhqdq": host
 * #UD, there is no NP 0F 6D) or rejects 67 with 66 (32-bit 67 66 36 0F 6D
 * E7: host executes PUNPCKHQDQ).  Matched when, with the 67 bytes removed,
 * Capstone agrees with ringzero; the removal keeps the length only in
 * 64-bit mode or with a register operand, so only those are matched. */
static bool is_67(uint8_t b) { return b == 0x67; }
static bool q_67_mandatory(csh h, const Case *c)
{
    if (!c->p67 || c->map == MAP_1B || (!c->cs) == (c->rz <= 0) || c->opc_off + 2 >= c->n)
        return false;
    int modrm_at = c->opc_off + (c->map == MAP_0F ? 1 : 2);
    if (c->bits != 64 && (c->b[modrm_at] >> 6) != 3)
        return false;
    uint8_t v[32];
    int n = strip_prefixes(c, is_67, v);
    int want = c->rz > 0 ? c->rz - (c->n - n) : 0;
    return cs_len(h, v, n, c->lock) == want;
}

/* CS16_MANDATORY: in 16-bit mode Capstone 4 ignores mandatory prefixes
 * (16-bit: 66 0F 58 C0 "addps", F3 0F BC C0 "bsf", F3 0F B8 C0 rejected,
 * while its 32-bit mode gives addpd, tzcnt, popcnt).  The SDM defines these
 * encodings identically in every mode (POPCNT, TZCNT, LZCNT: "Compat/Leg
 * Mode: Valid"); only default operand and address sizes differ.  Matched
 * when ringzero decodes to a 66/F2/F3 mandatory-prefix form (16-bit 66 0F
 * 7D: Capstone rejects, its 32-bit mode gives hsubpd). */
static bool q_16_mandatory(csh h, const Case *c)
{
    (void)h;
    return c->bits == 16 && !c->cs && c->rz > 0 && c->map != MAP_1B &&
           form_info[c->in->form].pfx != P_ANY && form_info[c->in->form].pfx != P_NP;
}

/* CS_MOV_CS: Capstone 4 accepts 8E /1 ("mov cs, eax"); SDM Vol. 2 MOV:
 * "#UD if attempt is made to load the CS register".  Host: 8E C8 is #UD. */
static bool q_mov_cs(csh h, const Case *c)
{
    (void)h;
    return c->cs && c->rz < 0 && c->map == MAP_1B && c->opc == 0x8e &&
           c->opc_off + 1 < c->n && ((c->b[c->opc_off + 1] >> 3) & 7) == 1;
}

/* CS_SWAPGS: Capstone 4 accepts SWAPGS (0F 01 F8) in 16/32-bit mode; SDM
 * Vol. 2 SWAPGS: "#UD if not in 64-bit mode".  Host (32-bit): 0F 01 F8 is
 * #UD. */
static bool q_swapgs(csh h, const Case *c)
{
    (void)h;
    return c->bits != 64 && c->cs && c->rz < 0 && !strcmp(known_mnemonic(c->cs), "swapgs");
}

/* CS_SREG_REXR: MOV Sreg (8C/8E) ignores REX.R (a segment register has
 * no extended number); Capstone 4 rejects it.  Host: 44 8C E0 and 4C 8E D8
 * execute, 47 8C 47 81 decodes (4 bytes).  Matched when Capstone accepts
 * the same bytes with REX.R cleared at the same length. */
static bool q_sreg_rexr(csh h, const Case *c)
{
    if (c->bits != 64 || c->cs || c->rz <= 0 || c->map != MAP_1B ||
        (c->opc != 0x8c && c->opc != 0x8e) || !(c->rex & 4))
        return false;
    uint8_t v[32];
    memcpy(v, c->b, (size_t)c->n);
    v[c->opc_off - 1] &= (uint8_t)~4;
    return cs_len(h, v, c->n, c->lock) == c->rz;
}

static const Quirk quirks[] = {
    { "CS_SREG_REXR", "Capstone rejects MOV Sreg with REX.R (host: REX.R ignored)", q_sreg_rexr },
    { "CS_SWAPGS", "Capstone accepts SWAPGS outside 64-bit mode (SDM/host: #UD)", q_swapgs },
    { "CS_MOV_CS", "Capstone accepts MOV CS, r/m (SDM/host: #UD)", q_mov_cs },
    { "CS16_MANDATORY", "Capstone 16-bit mode ignores 66/F2/F3 mandatory prefixes (SDM: same as 32-bit)", q_16_mandatory },
    { "CS_LOCK", "Capstone accepts LOCK on a non-lockable instruction (SDM: #UD)", q_lock },
    { "CS_HINTNOP", "Capstone rejects hint NOPs 0F 18..1F in some ModRM forms (SDM/host: NOP)", q_hintnop },
    { "CS_PREFETCH", "Capstone rejects 0F 0D /0,/2-7 memory prefetches (AMD APM/host: valid)", q_prefetch },
    { "CS_PREFETCH_REG", "Capstone rejects 0F 0D with a register operand (Intel/intel model: NOP)", q_prefetch_reg },
    { "CS_BRANCH_O16", "Capstone applies 66 to 64-bit near branches as AMD does (Intel/intel model: ignored)", q_branch_o16 },
    { "CS_UD01", "Capstone decodes UD0/UD1 without ModRM (SDM: ModRM; always #UD)", q_ud01 },
    { "CS_OPSIZE_MIX", "Capstone mis-sizes Jz/Iz/Iw when 66/67 mix with other prefixes (host: ringzero's length)", q_64_opsize },
    { "CS_REP_IGNORED", "Capstone rejects an ignored F2/F3 on a one-byte-map instruction (host: valid)", q_rep_ignored },
    { "CS_PREFIX_ORDER", "Capstone rejects repeated/reordered prefixes (SDM/host: valid)", q_prefix_order },
    { "CS_SSE_PREFIX", "Capstone ignores an undefined F2/F3/66 on SSE/MMX opcodes (host: #UD)", q_sse_prefix },
    { "CS_FENCE", "Capstone rejects L/M/SFENCE with ModRM.rm != 0 (SDM/host: rm ignored)", q_fence },
    { "CS_67_MANDATORY", "Capstone confuses 67 with a mandatory 66 on SSE opcodes (host: ringzero's answer)", q_67_mandatory },
    { NULL, NULL, NULL }
};

const char *known_quirk(csh h, const Case *c)
{
    for (const Quirk *q = quirks; q->id; q++)
        if (q->match(h, c))
            return q->id;
    return NULL;
}

void known_print_quirks(void)
{
    for (const Quirk *q = quirks; q->id; q++)
        printf("%s: %s\n", q->id, q->text);
}

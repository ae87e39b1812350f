/* test_sse_oracle.c — every MMX/SSE/SSE2/SSE3/SSSE3 form of the opcode
 * table (plus FXSAVE/FXRSTOR, LDMXCSR/STMXCSR, fences, CLFLUSH, MOVNTI),
 * run natively on the host and in the interpreter from the same random
 * state built from edge values (signed zeros, denormals, infinities,
 * QNaN/SNaN, integer-conversion and saturation boundaries), with random
 * rounding mode, DAZ/FTZ, MXCSR.MM, unmasked exceptions and misaligned
 * operands.  The host CPU is the oracle: registers, MXCSR, EFLAGS, x87
 * tags/TOP, memory and the fault class must all agree.
 *
 * Usage: test_sse_oracle [iterations-per-form [seed]]
 */
#include "test_sse_native.h"

#include "cpu/insn.h"
#include "cpu/operand.h"

static bool is_mine(unsigned f)
{
    const FormInfo *fi = &form_info[f];
    Handler h = form_handler[f];
    if (fi->attrs & (A_SSE | A_MMX))
        return true;
    /* fences, CLFLUSH, MOVNTI */
    return fi->map == MAP_0F && (fi->opc == 0xae || fi->opc == 0xc3) && h != NULL &&
           fi->pfx == P_NP;
}

static bool gpr_in_reg(Handler h)
{
    return h == CVTS2SI_GW || h == MOVMSKP_GU || h == PEXTRW_GUIb || h == PMOVMSKB_GU ||
           h == MOV_EG;
}

static bool gpr_in_rm(Handler h)
{
    return h == MOVD_PqEy || h == MOVD_EyPq || h == MOVD_VyEy || h == MOVD_EyVy ||
           h == CVTSI2S_VE || h == PINSRW_VEIb;
}

/* A GPR operand must not be RSP/RSI/RDI (the harness owns them). */
static unsigned pick_gpr(void)
{
    static const unsigned ok[] = { 0, 1, 2, 3, 5 };
    return ok[rndn(5)];
}

static unsigned encode(unsigned f, uint8_t *out, bool *mem)
{
    const FormInfo *fi = &form_info[f];
    Handler h = form_handler[f];
    unsigned n = 0;
    static const uint8_t pfx_byte[] = { 0, 0, 0x66, 0xf3, 0xf2 };
    if (fi->pfx >= P_66)
        out[n++] = pfx_byte[fi->pfx];
    bool has_modrm = fi->modrm == M_ANY || fi->modrm == M_REG || fi->modrm == M_MEM;
    unsigned mod = 3;
    if (has_modrm)
        mod = fi->modrm == M_REG ? 3 : fi->modrm == M_MEM ? 0 : (rndn(2) ? 3 : 0);
    *mem = has_modrm && mod != 3;
    unsigned rex = rndn(2) ? 0x40 | (unsigned)rndn(16) : 0;
    if (*mem)
        rex &= ~1u;  /* keep [rsi] */
    if (rex)
        out[n++] = (uint8_t)rex;
    out[n++] = 0x0f;
    if (fi->map == MAP_0F38) out[n++] = 0x38;
    if (fi->map == MAP_0F3A) out[n++] = 0x3a;
    out[n++] = fi->opc;
    if (has_modrm) {
        unsigned reg = fi->ext != RZ_EXT_ANY ? fi->ext : rndn(8);
        if (gpr_in_reg(h) && !(rex & 4))
            reg = pick_gpr();
        unsigned rm = 6;
        if (mod == 3) {
            rm = fi->rmx != RZ_EXT_ANY ? fi->rmx : rndn(8);
            if (gpr_in_rm(h) && !(rex & 1))
                rm = pick_gpr();
        }
        out[n++] = (uint8_t)(mod << 6 | reg << 3 | rm);
    }
    if (fi->imm == I_B) {
        static const uint8_t imms[] = { 0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 0x80, 0xff, 0x1b, 0xe4, 3, 4 };
        out[n++] = rndn(2) ? imms[rndn(16)] : (uint8_t)rnd();
    }
    return n;
}

int main(int argc, char **argv)
{
    unsigned iters = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 300;
    if (argc > 2)
        t_rng = strtoull(argv[2], NULL, 0) | 1;
    t_init();
    unsigned passed = 0, failed = 0, forms = 0, faults = 0;
    static TState s;
    static TResult rn, ri;
    for (unsigned f = 0; f < FORM_COUNT; f++) {
        if (!is_mine(f))
            continue;
        forms++;
        unsigned bad = 0;
        Handler h = form_handler[f];
        for (unsigned it = 0; it < iters; it++) {
            gen_state(&s);
            uint8_t code[16];
            bool mem;
            unsigned len = encode(f, code, &mem);
            if (h == FXSAVE_M || h == FXRSTOR_M) {
                static const unsigned fxoff[] = { 0x100, 0x200, 0xdf0, 0x108 };
                s.off = fxoff[rndn(4)];
                uint32_t mx = rndn(10) ? gen_mxcsr() : gen_mxcsr() | (1u << (18 + rndn(14)));
                memcpy(s.buf + s.off + 24, &mx, 4);
            }
            if (h == LDMXCSR_Md) {
                uint32_t mx = rndn(8) ? gen_mxcsr() : (uint32_t)rnd();
                memcpy(s.buf + s.off, &mx, 4);
            }
            t_run_native(&s, code, len, &rn);
            t_run_interp(&s, code, len, &ri);
            char what[160];
            int k = snprintf(what, sizeof what, "%s [", form_info[f].name);
            for (unsigned i = 0; i < len; i++)
                k += snprintf(what + k, sizeof what - (size_t)k, "%s%02x", i ? " " : "", code[i]);
            snprintf(what + k, sizeof what - (size_t)k, "] mxcsr=%#x off=%#x", s.mxcsr, s.off);
            bool ok = t_compare(what, &rn, &ri, bad < 4);
            if (!ok && bad < 4 && getenv("SSE_DETAIL")) {
                /* operands: reg and rm registers, and the memory operand */
                const uint8_t *m = code + len - 1 - (form_info[f].imm == I_B);
                unsigned reg = ((*m >> 3) & 7), rm = *m & 7;
                printf("   xmm%u=%016llx%016llx xmm%u=%016llx%016llx mem=%016llx%016llx (no REX)\n",
                       reg, (unsigned long long)s.xmm[reg].q[1], (unsigned long long)s.xmm[reg].q[0],
                       rm, (unsigned long long)s.xmm[rm].q[1], (unsigned long long)s.xmm[rm].q[0],
                       (unsigned long long)rd64(s.buf + s.off + 8), (unsigned long long)rd64(s.buf + s.off));
            }
            if (rn.exc)
                faults++;
            if (ok) {
                passed++;
            } else {
                failed++;
                bad++;
            }
        }
    }
    printf("%u forms, %u runs that faulted natively\n", forms, faults);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}

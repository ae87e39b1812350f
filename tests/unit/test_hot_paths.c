/* test_hot_paths.c — the tier-0 fast paths against the rules they must
 * keep: read-modify-write memory operands of the specialised handlers
 * (faults leave memory, flags and RIP as they were; D is set; CMP does not
 * need a writable page; a code page still sees the store), successor hints
 * after a code page is remapped (INVLPG, CR3 reload), and the TLB's list of
 * live slots and its physical-page chains, checked against a model of a
 * direct-mapped TLB under random fills, remaps and invalidations. */
#include "test_mmu.h"

#define P PTE_P
#define RW PTE_RW

static uint64_t pd;

static uint64_t map32(uint32_t lin, uint32_t pa, uint32_t pte_flags)
{
    return map32_in(pd, lin, pa, P | RW, pte_flags);
}

static void setup32(void)
{
    machine_setup();
    pd = new_table();
    set_mode(32, pd, CR4_PGE, 0, true);
}

static void put(uint64_t pa, const uint8_t *bytes, size_t n)
{
    memcpy(M->mem.ram + pa, bytes, n);
}

/* One instruction at CODE (linear) through cpu_step: the table's handler
 * runs the same specialised instance a block would. */
enum { CODE = 0x00400000, CODE_PA = 0x100000 };

static int step(const uint8_t *insn, size_t n)
{
    put(CODE_PA, insn, n);
    cpu->rip = CODE;
    return cpu_step(cpu);
}

static void test_rmw(void)
{
    setup32();
    const uint32_t ro = 0x00800000, clean = 0x00801000;
    map32(CODE, CODE_PA, P | RW);
    map32(ro, 0x200000, P);  /* read-only; CR0.WP makes it so at CPL 0 */
    uint64_t pte_clean = map32(clean, 0x201000, P | RW);
    wr32(0x200000, 0x11111111);
    wr32(0x201000, 0xfffffffb);

    /* Faulting RMW: #PF with W set, nothing changed. */
    static const uint8_t add_m_r[] = { 0x01, 0x03 }, inc_m[] = { 0xff, 0x03 },
                         adc_m_i[] = { 0x83, 0x13, 0x05 }, cmp_m_i[] = { 0x83, 0x3b, 0x05 },
                         add_m_i[] = { 0x83, 0x03, 0x05 }, xor_m8_i[] = { 0x80, 0x33, 0xff };
    const uint8_t *faulting[] = { add_m_r, inc_m, adc_m_i };
    const size_t flen[] = { sizeof add_m_r, sizeof inc_m, sizeof adc_m_i };
    for (int i = 0; i < 3; i++) {
        cpu->regs[R_BX] = ro;
        cpu->regs[R_AX] = 7;
        cpu_set_eflags(cpu, F_CF | F_ZF, F_OSZAPC);
        uint32_t fl = cpu_get_eflags(cpu);
        CHECK_EQ(step(faulting[i], flen[i]), RUN_EXCEPTION);
        CHECK_PF(cpu->exc_vector, 3, ro);
        CHECK_EQ(cpu->rip, CODE);
        CHECK_EQ(rd32(0x200000), 0x11111111);
        CHECK_EQ(cpu_get_eflags(cpu), fl);
        CHECK_EQ(cpu->regs[R_AX], 7);
    }
    /* CMP only reads: a read-only page is fine. */
    CHECK_EQ(step(cmp_m_i, sizeof cmp_m_i), RUN_OK);
    CHECK_EQ(cpu_get_eflags(cpu) & (F_ZF | F_CF), 0);

    /* A clean page: the first RMW walks for the write and sets D; the next
     * one hits the write tag.  0xfffffffb + 5 wraps: CF and ZF. */
    cpu->regs[R_BX] = clean;
    CHECK_EQ(step(add_m_i, sizeof add_m_i), RUN_OK);
    CHECK_EQ(rd32(0x201000), 0);
    CHECK_EQ(cpu_get_eflags(cpu) & (F_ZF | F_CF | F_SF), F_ZF | F_CF);
    CHECK(rd32(pte_clean) & PTE_D);
    CHECK(rd32(pte_clean) & PTE_A);
    CHECK_EQ(step(adc_m_i, sizeof adc_m_i), RUN_OK);  /* 0 + 5 + CF */
    CHECK_EQ(rd32(0x201000), 6);
    CHECK_EQ(step(xor_m8_i, sizeof xor_m8_i), RUN_OK);  /* byte operand */
    CHECK_EQ(rd32(0x201000), 0xf9);
    CHECK_EQ(cpu_get_eflags(cpu) & (F_ZF | F_SF | F_CF), F_SF);
    /* The same pages through the softmmu's own entry points. */
    uint64_t v;
    CHECK_EQ(try_read(clean, 4, &v), -1);
    CHECK_EQ(v, 0xf9);
    CHECK_PF(try_write(ro, 4, 0), 3, ro);
}

/* A RMW store into the immediate of the next instruction of its own block:
 * the write tag of a code page sends it to the slow path, the block stops
 * and the patched instruction runs. */
static void test_rmw_smc(void)
{
    machine_setup();
    cpu_reset_flat(cpu, CODE32, 0x1000);
    static const uint8_t code[] = {
        0x80, 0x05, 0x08, 0x10, 0x00, 0x00, 0x01,  /* 1000: add byte [0x1008], 1 */
        0xb0, 0x00,                                /* 1007: mov al, imm (at 1008) */
        0xf4,                                      /* 1009: hlt */
    };
    for (int round = 1; round <= 3; round++) {
        if (round == 1)
            put(0x1000, code, sizeof code);
        cpu->rip = 0x1000;
        cpu->halted = 0;
        CHECK_EQ(cpu_run(cpu, 100), RUN_HALT);
        CHECK_EQ(cpu->regs[R_AX] & 0xff, (uint64_t)round);
    }
}

/* Block A (plain) jumps to page X, whose code jumps to Y; Y remaps X to
 * another physical page and invalidates it (INVLPG, or a CR3 reload), then
 * jumps back to A.  A's hint for X must not survive the invalidation. */
static void put_jmp(uint8_t *p, uint32_t at, uint32_t to)
{
    uint32_t rel = to - (at + 5);
    p[0] = 0xe9;
    memcpy(p + 1, &rel, 4);
}

static void test_hint_after_remap(bool cr3_reload)
{
    setup32();
    const uint32_t x = CODE + 0x1000, y = CODE + 0x100, x_pa1 = 0x101000, x_pa2 = 0x102000;
    map32(CODE, CODE_PA, P | RW);
    uint64_t pte_x = map32(x, x_pa1, P | RW);
    const uint32_t pt_lin = 0x00900000;  /* where the guest sees x's page table */
    map32(pt_lin, (uint32_t)pte_x & ~0xfffu, P | RW);

    uint8_t a[6] = { 0x41 };  /* inc ecx; jmp x */
    put_jmp(a + 1, CODE + 1, x);
    put(CODE_PA, a, sizeof a);
    uint8_t x1[8] = { 0x83, 0xc0, 0x01 };  /* add eax, 1; jmp y */
    put_jmp(x1 + 3, x + 3, y);
    put(x_pa1, x1, sizeof x1);
    static const uint8_t x2[] = { 0x05, 0x00, 0x01, 0x00, 0x00, 0xf4 };  /* add eax, 0x100; hlt */
    put(x_pa2, x2, sizeof x2);

    uint8_t yc[32] = { 0xc7, 0x05 };  /* mov dword [pte of x], new pte */
    uint32_t pte_lin = pt_lin | (uint32_t)(pte_x & 0xfff), new_pte = x_pa2 | P | RW;
    memcpy(yc + 2, &pte_lin, 4);
    memcpy(yc + 6, &new_pte, 4);
    size_t n = 10;
    if (cr3_reload) {
        /* mov edx, cr3; mov cr3, edx */
        static const uint8_t reload[] = { 0x0f, 0x20, 0xda, 0x0f, 0x22, 0xda };
        memcpy(yc + n, reload, sizeof reload);
        n += sizeof reload;
    } else {
        static const uint8_t inv[] = { 0x0f, 0x01, 0x3d };  /* invlpg [x] */
        memcpy(yc + n, inv, sizeof inv);
        memcpy(yc + n + 3, &x, 4);
        n += 7;
    }
    put_jmp(yc + n, y + (uint32_t)n, CODE);
    put(CODE_PA + (y - CODE), yc, n + 5);

    cpu->rip = CODE;
    cpu->regs[R_AX] = cpu->regs[R_CX] = 0;
    CHECK_EQ(cpu_run(cpu, 1000), RUN_HALT);
    CHECK_EQ(cpu->regs[R_AX], 0x101);
    CHECK_EQ(cpu->regs[R_CX], 2);
    CHECK_EQ(cpu->rip, x + 6);
}

/* ---- the TLB's live list and physical-page chains ---- */

/* A model of the supervisor half: direct-mapped, a slot keeps its
 * translation until it is replaced or invalidated. */
enum { NPAGES = 1536, LIN0 = 0x10000000, PA0 = 0x1000000 };
static struct { bool valid, global; uint32_t lin, pa; } model[TLB_ENTRIES];
static uint32_t cur_pa[NPAGES];   /* what the page tables say now */
static bool cur_global[NPAGES];
static uint64_t pte_of[NPAGES];

static uint32_t rand32(void)
{
    static uint64_t s = 0x9e3779b97f4a7c15ull;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return (uint32_t)s;
}

static void check_structure(void)
{
    Tlb *t = cpu->tlb;
    unsigned valid = 0;
    for (unsigned s = 0; s < 2; s++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++) {
            const TlbInfo *in = &t->info[s][i];
            bool live = in->live_pos != TLB_NIL;
            if (!live) {
                CHECK(t->e[s][i].tag[ACC_READ] & TLB_INVALID);
                CHECK(t->e[s][i].tag[ACC_WRITE] & TLB_INVALID);
                continue;
            }
            valid++;
            CHECK_EQ(t->live[in->live_pos], s * TLB_ENTRIES + i);
            unsigned on_chain = 0;
            for (unsigned id = t->pa_head[(in->pa >> 12) & (TLB_PA_BUCKETS - 1)]; id != TLB_NIL;
                 id = t->info[id / TLB_ENTRIES][id % TLB_ENTRIES].pa_next)
                on_chain += id == s * TLB_ENTRIES + i;
            CHECK_EQ(on_chain, 1);
        }
    CHECK_EQ(t->nlive, valid);
}

static void test_tlb_lists(void)
{
    setup32();
    for (unsigned p = 0; p < NPAGES; p++) {
        cur_pa[p] = PA0 + 4096 * (rand32() % 4096);
        cur_global[p] = rand32() % 4 == 0;
        pte_of[p] = map32(LIN0 + 4096 * p, cur_pa[p], P | RW | PTE_D | (cur_global[p] ? PTE_G : 0));
    }
    memset(model, 0, sizeof model);
    unsigned mismatches = 0, code_misses = 0;
    for (int op = 0; op < 60000; op++) {
        unsigned p = rand32() % NPAGES, r = rand32() % 100;
        uint32_t lin = LIN0 + 4096 * p;
        unsigned idx = (lin >> 12) % TLB_ENTRIES;
        if (r < 70) {  /* an access: the model's slot, or a walk that fills it */
            uint32_t want = model[idx].valid && model[idx].lin == lin ? model[idx].pa : cur_pa[p];
            if (!(model[idx].valid && model[idx].lin == lin)) {
                model[idx].valid = true;
                model[idx].lin = lin;
                model[idx].pa = cur_pa[p];
                model[idx].global = cur_global[p];
            }
            uint64_t pa;
            CHECK_EQ(try_translate(lin, r < 35 ? ACC_READ : ACC_WRITE, &pa), -1);
            mismatches += pa != want;
        } else if (r < 85) {  /* remap in memory only */
            cur_pa[p] = PA0 + 4096 * (rand32() % 4096);
            wr32(pte_of[p], cur_pa[p] | P | RW | PTE_D | (cur_global[p] ? PTE_G : 0));
        } else if (r < 93) {
            paging_invlpg(&cpu->mmu, lin);
            if (model[idx].lin == lin)
                model[idx].valid = false;
        } else if (r < 98) {
            bool all = r == 97;
            paging_flush(&cpu->mmu, all);
            for (unsigned i = 0; i < TLB_ENTRIES; i++)
                if (all || !model[i].global)
                    model[i].valid = false;
        } else {  /* a physical page becomes code: every write tag to it slows */
            uint64_t pa = cur_pa[p];
            mem_mark_code(&M->mem, pa);
            Tlb *t = cpu->tlb;
            for (unsigned i = 0; i < TLB_ENTRIES; i++) {
                const TlbEntry *e = &t->e[0][i];
                if (t->info[0][i].live_pos != TLB_NIL && t->info[0][i].pa == pa &&
                    !(e->tag[ACC_WRITE] & TLB_INVALID) && !(e->tag[ACC_WRITE] & TLB_CODE))
                    code_misses++;
            }
            M->mem.code_pages[pa >> 12] = 0;
        }
        if (op % 5000 == 0)
            check_structure();
    }
    check_structure();
    CHECK_EQ(mismatches, 0);
    CHECK_EQ(code_misses, 0);
}

int main(void)
{
    test_rmw();
    test_rmw_smc();
    test_hint_after_remap(false);
    test_hint_after_remap(true);
    test_tlb_lists();
    return finish();
}

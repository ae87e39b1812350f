/* test_mmu_walk.c — page walks in 32-bit, PAE and 4-level paging: translations,
 * accessed/dirty bits, and every #PF cause with its exact error code and CR2. */
#include "test_mmu.h"

#define RW PTE_RW
#define US PTE_US
#define P PTE_P

/* Maps lin -> pa in 8-byte-entry tables rooted at root.  Levels: 0 PML4E,
 * 1 PDPTE, 2 PDE, 3 PTE; the walk starts at level first (1 for PAE) and
 * the entry at level leaf gets pa | fl[leaf].  Returns the leaf entry's
 * physical address; entry_pa[] (if given) gets each level's. */
static uint64_t mapx(uint64_t root, int first, uint64_t lin, uint64_t pa, const uint64_t fl[4],
                     int leaf, uint64_t entry_pa[4])
{
    uint64_t table = root;
    for (int lvl = first; ; lvl++) {
        int shift = 39 - 9 * lvl;
        uint64_t epa = table + ((lin >> shift) & 511) * 8;
        if (entry_pa)
            entry_pa[lvl] = epa;
        if (lvl == leaf) {
            wr64(epa, pa | fl[lvl]);
            return epa;
        }
        uint64_t next = rd64(epa) & 0xffffffffff000ull;
        if (!next)
            next = new_table();
        wr64(epa, next | fl[lvl]);
        table = next;
    }
}

/* ---- 32-bit paging ---- */

static uint64_t pd;

static uint64_t map32(uint32_t lin, uint32_t pa, uint32_t pte_flags, uint32_t pde_flags)
{
    uint64_t pde_pa = pd + (lin >> 22) * 4;
    uint64_t pt = rd32(pde_pa) & 0xfffff000u;
    if (!pt)
        pt = new_table();
    wr32(pde_pa, (uint32_t)pt | pde_flags);
    uint64_t pte_pa = pt + ((lin >> 12) & 1023) * 4;
    wr32(pte_pa, pa | pte_flags);
    return pte_pa;
}

static void test_32bit(void)
{
    machine_setup();
    pd = new_table();
    set_mode(32, pd, 0, 0, false);
    const uint32_t lin = 0x40001234;
    uint64_t pte = map32(lin, 0x300000, P | RW | US, P | RW | US);
    uint64_t pde = pd + (lin >> 22) * 4;
    wr32(0x300234, 0xcafef00d);

    uint64_t v = 0, pa = 0;
    CHECK_EQ(try_read(lin, 4, &v), -1);
    CHECK_EQ(v, 0xcafef00d);
    CHECK_EQ(rd32(pde) & (PTE_A | PTE_D), PTE_A);       /* A on every level, */
    CHECK_EQ(rd32(pte) & (PTE_A | PTE_D), PTE_A);       /* D only on writes */
    CHECK_EQ(try_write(lin, 4, 0x11223344), -1);
    CHECK_EQ(rd32(0x300234), 0x11223344);
    CHECK_EQ(rd32(pte) & (PTE_A | PTE_D), PTE_A | PTE_D);
    CHECK_EQ(rd32(pde) & PTE_D, 0);                      /* not in a PDE that maps a table */
    CHECK_EQ(try_translate(lin, ACC_READ, &pa), -1);
    CHECK_EQ(pa, 0x300234);

    /* Not present at the PDE: error code by access type and privilege. */
    const uint32_t np = 0x80000010;
    CHECK_PF(try_read(np, 1, NULL), 0, np);
    CHECK_PF(try_write(np, 1, 0), PF_W, np);
    CHECK_PF(try_translate(np, ACC_EXEC, NULL), 0, np);   /* no I/D bit without PAE+NXE */
    cpu->cpl = 3;
    CHECK_PF(try_read(np, 1, NULL), PF_U, np);
    CHECK_PF(try_write(np, 2, 0), PF_U | PF_W, np);
    cpu->cpl = 0;

    /* Not present at the PTE: the PDE was used, so it gets A. */
    const uint32_t np2 = 0x40c05000;
    uint64_t pde2 = pd + (np2 >> 22) * 4;
    uint64_t pt2 = new_table();
    wr32(pde2, (uint32_t)pt2 | P | RW | US);
    CHECK_PF(try_read(np2 + 8, 4, NULL), 0, np2 + 8);
    CHECK_EQ(rd32(pde2) & PTE_A, PTE_A);

    /* U/S: a supervisor PTE, then a supervisor PDE over a user PTE. */
    const uint32_t sup = 0x41000000;
    uint64_t pte_s = map32(sup, 0x301000, P | RW, P | RW | US);
    CHECK_EQ(try_read(sup, 4, NULL), -1);
    cpu->cpl = 3;
    wr32(pte_s, 0x301000 | P | RW);   /* clear A to see a fault leaves the leaf alone */
    paging_invlpg(&cpu->mmu, sup);
    CHECK_PF(try_read(sup + 4, 4, NULL), PF_P | PF_U, sup + 4);
    CHECK_EQ(rd32(pte_s) & PTE_A, 0);
    CHECK_PF(try_write(sup, 4, 0), PF_P | PF_U | PF_W, sup);
    /* implicit supervisor access at CPL 3 */
    {
        jmp_buf jb;
        cpu->fault_jmp = &jb;
        cpu->exc_vector = -1;
        if (!setjmp(jb)) {
            cpu_lin_write_super(cpu, sup, 0x5a5a5a5a, 4);
            CHECK_EQ(cpu_lin_read_super(cpu, sup, 4), 0x5a5a5a5a);
        }
        CHECK_EQ(cpu->exc_vector, -1);
    }
    const uint32_t sup2 = 0x41400000;
    map32(sup2, 0x302000, P | RW | US, P | RW);
    CHECK_PF(try_read(sup2, 1, NULL), PF_P | PF_U, sup2);
    cpu->cpl = 0;
    CHECK_EQ(try_read(sup2, 1, NULL), -1);

    /* R/W and CR0.WP */
    const uint32_t ro = 0x42000000;
    uint64_t pte_ro = map32(ro, 0x303000, P | US, P | RW | US);
    CHECK_EQ(try_write(ro, 4, 0x1234), -1);              /* WP=0: supervisor may write */
    CHECK_EQ(rd32(0x303000), 0x1234);
    CHECK_EQ(rd32(pte_ro) & PTE_D, PTE_D);
    cpu->cr0 |= CR0_WP;
    paging_flush(&cpu->mmu, true);
    CHECK_PF(try_write(ro, 4, 0), PF_P | PF_W, ro);
    cpu->cpl = 3;
    CHECK_PF(try_write(ro + 2, 2, 0), PF_P | PF_W | PF_U, ro + 2);
    CHECK_EQ(try_read(ro, 4, &v), -1);
    CHECK_EQ(v, 0x1234);
    cpu->cpl = 0;
    cpu->cr0 &= ~(uint64_t)CR0_WP;
    paging_flush(&cpu->mmu, true);
    const uint32_t ro2 = 0x42400000;                      /* read-only PDE, writable PTE */
    map32(ro2, 0x304000, P | RW | US, P | US);
    cpu->cpl = 3;
    CHECK_PF(try_write(ro2, 1, 0), PF_P | PF_W | PF_U, ro2);
    cpu->cpl = 0;

    /* 4 MiB pages: only with CR4.PSE; PSE-36 high bits; bit 21 reserved. */
    const uint32_t big = 0x80400000;
    uint64_t pde_big = pd + (big >> 22) * 4;
    wr32(pde_big, 0x00800000 | P | RW | PTE_PS);
    wr32(0x800000 + 0x12344, 0x600d600d);
    /* PSE off: PS is ignored, the PDE points to a (zeroed) table at 8 MiB */
    CHECK_PF(try_read(big + 0x12344, 4, NULL), 0, big + 0x12344);
    cpu->cr4 |= CR4_PSE;
    paging_flush(&cpu->mmu, true);
    CHECK_EQ(try_read(big + 0x12344, 4, &v), -1);
    CHECK_EQ(v, 0x600d600d);
    CHECK_EQ(try_translate(big + 0x3ff001, ACC_READ, &pa), -1);
    CHECK_EQ(pa, 0x800000 + 0x3ff001);
    CHECK_EQ(rd32(pde_big) & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(try_write(big + 8, 4, 1), -1);
    CHECK_EQ(rd32(pde_big) & PTE_D, PTE_D);
    wr32(pde_big, 0x00800000 | (0x5 << 13) | P | RW | PTE_PS);   /* physical bits 39:32 = 5 */
    paging_flush(&cpu->mmu, true);
    CHECK_EQ(try_translate(big + 0x10, ACC_READ, &pa), -1);
    CHECK_EQ(pa, 0x500800010ull);
    CHECK_EQ(try_read(big + 0x10, 4, &v), -1);            /* beyond RAM: all-ones, no crash */
    CHECK_EQ(v, 0xffffffff);
    wr32(pde_big, 0x00800000 | (1u << 21) | P | RW | PTE_PS);
    paging_flush(&cpu->mmu, true);
    CHECK_PF(try_read(big, 4, NULL), PF_P | PF_RSVD, big);
    cpu->cpl = 3;
    CHECK_PF(try_write(big, 4, 0), PF_P | PF_RSVD | PF_W | PF_U, big);
    cpu->cpl = 0;

    /* Page tables outside RAM read as all-ones and never crash. */
    cpu->cr3 = 0xf0000000;
    cpu->cr4 &= ~(uint64_t)CR4_PSE;
    paging_flush(&cpu->mmu, true);
    CHECK_EQ(try_read(0x1000, 4, &v), -1);               /* -> table at 0xfffff000 -> page 0xfffff000 */
    CHECK_EQ(v, 0xffffffff);
    cpu->cr4 |= CR4_PSE;
    paging_flush(&cpu->mmu, true);
    CHECK_PF(try_read(0x1000, 4, NULL), PF_P | PF_RSVD, 0x1000);
}

/* ---- PAE ---- */

static void test_pae(void)
{
    machine_setup();
    uint64_t pdpt = new_table() + 0x20;   /* CR3 needs only 32-byte alignment */
    set_mode('P', pdpt, 0, 0, false);
    const uint64_t fl[4] = { 0, P, P | RW | US, P | RW | US };
    uint64_t e[4];
    const uint32_t lin = 0xc0123456;
    uint64_t pte = mapx(pdpt, 1, lin & ~0xfffu, 0x310000, fl, 3, e);
    wr32(0x310456, 0xabcd0123);
    uint64_t v = 0, pa = 0;
    CHECK_EQ(try_read(lin, 4, &v), -1);
    CHECK_EQ(v, 0xabcd0123);
    CHECK_EQ(rd64(e[1]) & PTE_A, 0);                     /* PDPTEs have no A bit */
    CHECK_EQ(rd64(e[2]) & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(rd64(pte) & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(try_write(lin, 1, 0x77), -1);
    CHECK_EQ(rd64(pte) & PTE_D, PTE_D);

    /* 2 MiB page */
    const uint64_t bigfl[4] = { 0, P, P | RW | PTE_PS, 0 };
    const uint32_t big = 0x40200000;
    uint64_t pde = mapx(pdpt, 1, big, 0x600000, bigfl, 2, NULL);
    /* a new PDPTE: seen only once the PDPTE registers reload (MOV CR3) */
    CHECK_PF(try_read(big, 1, NULL), 0, big);
    paging_flush(&cpu->mmu, false);
    CHECK_EQ(try_translate(big + 0x1fffff, ACC_READ, &pa), -1);
    CHECK_EQ(pa, 0x7fffff);
    CHECK_EQ(try_write(big + 0x10000, 8, 1), -1);
    CHECK_EQ(rd64(pde) & (PTE_A | PTE_D), PTE_A | PTE_D);
    wr64(pde, 0x600000 | (1u << 13) | P | RW | PTE_PS);    /* bit 13 reserved in a 2 MiB PDE */
    paging_invlpg(&cpu->mmu, big);
    CHECK_PF(try_read(big + 0x1000, 1, NULL), PF_P | PF_RSVD, big + 0x1000);

    /* Reserved physical-address bits (62:40) in a PTE */
    wr64(pte, 0x310000 | (1ull << 45) | P | RW);
    paging_invlpg(&cpu->mmu, lin);
    CHECK_PF(try_read(lin, 4, NULL), PF_P | PF_RSVD, lin);

    /* XD: reserved without EFER.NXE; with it, a fetch fault with I/D. */
    wr64(pte, 0x310000 | PTE_XD | P | RW | US);
    paging_invlpg(&cpu->mmu, lin);
    CHECK_PF(try_read(lin, 4, NULL), PF_P | PF_RSVD, lin);
    cpu->efer |= EFER_NXE;
    paging_flush(&cpu->mmu, true);
    CHECK_EQ(try_read(lin, 4, &v), -1);
    CHECK_PF(try_translate(lin, ACC_EXEC, NULL), PF_P | PF_I, lin);
    cpu->cpl = 3;
    CHECK_PF(try_translate(lin, ACC_EXEC, NULL), PF_P | PF_I | PF_U, lin);
    cpu->cpl = 0;
    uint8_t code[16];
    CHECK_EQ(mem_fetch(&cpu->mmu, lin, code, 4), 0);           /* fetch reports, never raises */
    /* XD in the PDE applies to the whole table */
    wr64(pte, 0x310000 | P | RW | US);
    wr64(e[2], (rd64(e[2]) & ~(uint64_t)PTE_A) | PTE_XD);
    paging_invlpg(&cpu->mmu, lin);
    CHECK_PF(try_translate(lin, ACC_EXEC, NULL), PF_P | PF_I, lin);
    wr64(e[2], rd64(e[2]) & ~PTE_XD);
    paging_invlpg(&cpu->mmu, lin);
    CHECK_EQ(try_translate(lin, ACC_EXEC, &pa), -1);
    CHECK_EQ(pa, 0x310456);
    /* not present with NXE: I/D set for fetches */
    CHECK_PF(try_translate(0x00001000, ACC_EXEC, NULL), PF_I, 0x1000);
    CHECK_PF(try_read(0x00001000, 1, NULL), 0, 0x1000);

    /* PDPTEs: reserved bits make paging_load_pdptes fail (MOV CR3 #GP). */
    CHECK(paging_load_pdptes(&cpu->mmu));
    uint64_t pdpte2 = pdpt + 2 * 8;
    wr64(pdpte2, PTE_RW | (1ull << 50));
    CHECK(paging_load_pdptes(&cpu->mmu));                       /* not present: not checked */
    wr64(pdpte2, new_table() | P | PTE_RW);
    CHECK(!paging_load_pdptes(&cpu->mmu));
    wr64(pdpte2, new_table() | P | (1ull << 63));
    CHECK(!paging_load_pdptes(&cpu->mmu));
    wr64(pdpte2, new_table() | P | PTE_PWT | PTE_PCD | (0x7ull << 9));
    CHECK(paging_load_pdptes(&cpu->mmu));
    wr64(pdpte2, 0);
    /* The PDPTEs are registers: a change in memory is seen only after a
     * reload (MOV CR3 -> paging_flush). */
    uint64_t pdpte_lin = pdpt + ((lin >> 30) & 3) * 8;
    uint64_t old = rd64(pdpte_lin);
    paging_flush(&cpu->mmu, false);
    CHECK_EQ(try_read(lin, 4, NULL), -1);
    wr64(pdpte_lin, 0);
    paging_invlpg(&cpu->mmu, lin);
    CHECK_EQ(try_read(lin, 4, NULL), -1);
    paging_flush(&cpu->mmu, false);
    CHECK_PF(try_read(lin, 4, NULL), 0, lin);
    wr64(pdpte_lin, old);
    paging_flush(&cpu->mmu, false);
    CHECK_EQ(try_read(lin, 4, NULL), -1);
}

/* ---- 4-level ---- */

static void test_long(void)
{
    machine_setup();
    uint64_t pml4 = new_table();
    set_mode(64, pml4, 0, EFER_NXE, true);
    const uint64_t all[4] = { P | RW | US, P | RW | US, P | RW | US, P | RW | US };
    uint64_t e[4];
    const uint64_t lin = 0xffff800012345678ull;
    mapx(pml4, 0, lin & ~0xfffull, 0x320000, all, 3, e);
    wr64(0x320678, 0x0123456789abcdefull);
    uint64_t v = 0, pa = 0;
    CHECK_EQ(try_read(lin, 8, &v), -1);
    CHECK_EQ(v, 0x0123456789abcdefull);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(rd64(e[i]) & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(try_write(lin, 8, 42), -1);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(rd64(e[i]) & PTE_D, 0);
    CHECK_EQ(rd64(e[3]) & PTE_D, PTE_D);

    /* Not present at each level, supervisor write */
    for (int lvl = 0; lvl < 4; lvl++) {
        uint64_t saved = rd64(e[lvl]);
        wr64(e[lvl], saved & ~(uint64_t)P);
        paging_invlpg(&cpu->mmu, lin);
        CHECK_PF(try_write(lin, 4, 0), PF_W, lin);
        wr64(e[lvl], saved);
    }
    /* Reserved bits at each level: bit 40 (>= MAXPHYADDR), bit 51 */
    for (int lvl = 0; lvl < 4; lvl++) {
        uint64_t saved = rd64(e[lvl]);
        wr64(e[lvl], saved | (1ull << (lvl & 1 ? 51 : 40)));
        paging_invlpg(&cpu->mmu, lin);
        cpu->cpl = 3;
        CHECK_PF(try_read(lin, 4, NULL), PF_P | PF_RSVD | PF_U, lin);
        cpu->cpl = 0;
        wr64(e[lvl], saved);
    }
    /* Bits 52..62 are ignored */
    wr64(e[3], rd64(e[3]) | (0x7ffull << 52));
    paging_invlpg(&cpu->mmu, lin);
    CHECK_EQ(try_read(lin, 8, &v), -1);
    CHECK_EQ(v, 42);
    /* PS in a PML4E, and in a PDPTE (no 1 GiB pages): reserved */
    for (int lvl = 0; lvl < 2; lvl++) {
        uint64_t saved = rd64(e[lvl]);
        wr64(e[lvl], saved | PTE_PS);
        paging_invlpg(&cpu->mmu, lin);
        CHECK_PF(try_read(lin, 4, NULL), PF_P | PF_RSVD, lin);
        wr64(e[lvl], saved);
    }
    /* U/S and R/W anywhere on the path */
    for (int lvl = 0; lvl < 4; lvl++) {
        uint64_t saved = rd64(e[lvl]);
        wr64(e[lvl], saved & ~(uint64_t)US);
        paging_invlpg(&cpu->mmu, lin);
        cpu->cpl = 3;
        CHECK_PF(try_read(lin, 4, NULL), PF_P | PF_U, lin);
        cpu->cpl = 0;
        CHECK_EQ(try_read(lin, 4, NULL), -1);
        wr64(e[lvl], saved & ~(uint64_t)RW);
        paging_invlpg(&cpu->mmu, lin);
        CHECK_PF(try_write(lin, 4, 0), PF_P | PF_W, lin);      /* CR0.WP is set */
        CHECK_EQ(try_read(lin, 4, NULL), -1);
        wr64(e[lvl], saved);
    }
    /* XD anywhere on the path */
    for (int lvl = 0; lvl < 4; lvl++) {
        uint64_t saved = rd64(e[lvl]);
        wr64(e[lvl], saved | PTE_XD);
        paging_invlpg(&cpu->mmu, lin);
        CHECK_PF(try_translate(lin, ACC_EXEC, NULL), PF_P | PF_I, lin);
        CHECK_EQ(try_read(lin, 4, NULL), -1);
        wr64(e[lvl], saved);
    }
    paging_invlpg(&cpu->mmu, lin);
    CHECK_EQ(try_translate(lin, ACC_EXEC, &pa), -1);
    CHECK_EQ(pa, 0x320678);

    /* 2 MiB page, and its reserved bits 20:13 */
    const uint64_t bigfl[4] = { P | RW, P | RW, P | RW | PTE_PS, 0 };
    const uint64_t big = 0x0000004000200000ull;
    uint64_t pde = mapx(pml4, 0, big, 0xa00000, bigfl, 2, NULL);
    CHECK_EQ(try_translate(big + 0x12345, ACC_WRITE, &pa), -1);
    CHECK_EQ(pa, 0xa12345);
    CHECK_EQ(rd64(pde) & (PTE_A | PTE_D), PTE_A | PTE_D);
    wr64(pde, rd64(pde) | (1ull << 20));
    paging_invlpg(&cpu->mmu, big);
    CHECK_PF(try_read(big + 0x12345, 4, NULL), PF_P | PF_RSVD, big + 0x12345);

    /* An all-ones table (CR3 outside RAM): reserved-bit fault, no crash. */
    cpu->cr3 = 0xff00000000ull;
    paging_flush(&cpu->mmu, true);
    CHECK_PF(try_read(0x5000, 4, NULL), PF_P | PF_RSVD, 0x5000);
    CHECK_PF(try_translate(0x5000, ACC_EXEC, NULL), PF_P | PF_RSVD | PF_I, 0x5000);
}

int main(void)
{
    test_32bit();
    test_pae();
    test_long();
    return finish();
}

/* test_mmu_tlb.c — the TLB: stale entries until INVLPG, global pages across
 * CR3 reloads, CPL and WP, dirty tracking, page-crossing accesses, fetch,
 * A20, MMIO/ROM pages, and code-page (SMC) tracking. */
#include "test_mmu.h"

#define P PTE_P
#define RW PTE_RW
#define US PTE_US

static uint64_t pd;

static uint64_t map32(uint32_t lin, uint32_t pa, uint32_t pte_flags)
{
    return map32_in(pd, lin, pa, P | RW | US, pte_flags);
}

static void setup32(void)
{
    machine_setup();
    pd = new_table();
    set_mode(32, pd, CR4_PGE | CR4_PSE, 0, true);
}

static void test_invalidation(void)
{
    setup32();
    const uint32_t a = 0x10000000, g = 0x10001000;
    wr32(0x200000, 0xaaaa0000);
    wr32(0x201000, 0xaaaa1111);
    wr32(0x202000, 0xbbbb0000);
    wr32(0x203000, 0xbbbb1111);
    uint64_t pte_a = map32(a, 0x200000, P | RW | US);
    uint64_t pte_g = map32(g, 0x202000, P | RW | US | PTE_G);
    uint64_t v;
    CHECK_EQ(try_read(a, 4, &v), -1);
    CHECK_EQ(v, 0xaaaa0000);
    CHECK_EQ(try_read(g, 4, &v), -1);
    CHECK_EQ(v, 0xbbbb0000);
    /* Remap both in memory: the TLB keeps using the old translations. */
    wr32(pte_a, 0x201000 | P | RW | US);
    wr32(pte_g, 0x203000 | P | RW | US | PTE_G);
    CHECK_EQ(try_read(a, 4, &v), -1);
    CHECK_EQ(v, 0xaaaa0000);
    CHECK_EQ(try_read(g, 4, &v), -1);
    CHECK_EQ(v, 0xbbbb0000);
    /* CR3 reload: non-global entries go, the global one stays. */
    paging_flush(&cpu->mmu, false);
    CHECK_EQ(try_read(a, 4, &v), -1);
    CHECK_EQ(v, 0xaaaa1111);
    CHECK_EQ(try_read(g, 4, &v), -1);
    CHECK_EQ(v, 0xbbbb0000);
    /* INVLPG drops a global entry too */
    paging_invlpg(&cpu->mmu, g + 0x123);
    CHECK_EQ(try_read(g, 4, &v), -1);
    CHECK_EQ(v, 0xbbbb1111);
    /* G without CR4.PGE is not global */
    wr32(pte_g, 0x202000 | P | RW | US | PTE_G);
    cpu->cr4 &= ~(uint64_t)CR4_PGE;
    paging_flush(&cpu->mmu, true);
    CHECK_EQ(try_read(g, 4, &v), -1);
    wr32(pte_g, 0x203000 | P | RW | US | PTE_G);
    paging_flush(&cpu->mmu, false);
    CHECK_EQ(try_read(g, 4, &v), -1);
    CHECK_EQ(v, 0xbbbb1111);
    /* A full flush drops globals */
    cpu->cr4 |= CR4_PGE;
    paging_flush(&cpu->mmu, true);
    CHECK_EQ(try_read(g, 4, &v), -1);
    wr32(pte_g, 0x202000 | P | RW | US | PTE_G);
    paging_flush(&cpu->mmu, true);
    CHECK_EQ(try_read(g, 4, &v), -1);
    CHECK_EQ(v, 0xbbbb0000);

    /* A page made not-present stays usable until INVLPG (the write tag
     * exists once D is set; a clean page's first write walks again). */
    CHECK_EQ(try_write(a, 4, 0x55), -1);
    wr32(pte_a, 0);
    CHECK_EQ(try_write(a, 4, 0x12345678), -1);
    CHECK_EQ(try_read(a, 4, &v), -1);
    CHECK_EQ(v, 0x12345678);
    paging_invlpg(&cpu->mmu, a);
    CHECK_PF(try_read(a, 4, NULL), 0, a);
    CHECK_EQ(rd32(0x201000), 0x12345678);

    /* A large page is cached in 4 KiB pieces: INVLPG of any address in it
     * drops all of them. */
    const uint32_t big = 0x40000000;
    uint64_t pde_big = pd + (big >> 22) * 4;
    wr32(pde_big, 0x800000 | P | RW | PTE_PS);
    wr32(0x800000 + 0x1000, 1);
    wr32(0x800000 + 0x3ff000, 2);
    wr32(0xc00000 + 0x1000, 3);
    wr32(0xc00000 + 0x3ff000, 4);
    CHECK_EQ(try_read(big + 0x1000, 4, &v), -1);
    CHECK_EQ(v, 1);
    CHECK_EQ(try_read(big + 0x3ff000, 4, &v), -1);
    CHECK_EQ(v, 2);
    wr32(pde_big, 0xc00000 | P | RW | PTE_PS);
    paging_invlpg(&cpu->mmu, big + 0x200000);
    CHECK_EQ(try_read(big + 0x1000, 4, &v), -1);
    CHECK_EQ(v, 3);
    CHECK_EQ(try_read(big + 0x3ff000, 4, &v), -1);
    CHECK_EQ(v, 4);
}

static void test_privilege_and_dirty(void)
{
    setup32();
    const uint32_t s = 0x20000000, u = 0x20001000;
    uint64_t pte_s = map32(s, 0x210000, P | RW);
    uint64_t pte_u = map32(u, 0x211000, P | US);
    /* Cached for the supervisor; a CPL 3 access must still fault. */
    CHECK_EQ(try_write(s, 4, 1), -1);
    cpu->cpl = 3;
    CHECK_PF(try_read(s, 4, NULL), PF_P | PF_U, s);
    CHECK_PF(try_write(s, 4, 0), PF_P | PF_U | PF_W, s);
    CHECK_EQ(try_read(u, 4, NULL), -1);
    CHECK_PF(try_write(u, 4, 0), PF_P | PF_U | PF_W, u);
    cpu->cpl = 0;
    /* CR0.WP: a read-only user page, writable by the supervisor only with
     * WP clear; flipping WP (with the flush MOV CR0 does) takes effect. */
    CHECK_PF(try_write(u, 4, 0), PF_P | PF_W, u);
    cpu->cr0 &= ~(uint64_t)CR0_WP;
    paging_flush(&cpu->mmu, true);
    CHECK_EQ(try_write(u, 4, 7), -1);
    CHECK_EQ(rd32(0x211000), 7);
    cpu->cr0 |= CR0_WP;
    paging_flush(&cpu->mmu, true);
    CHECK_PF(try_write(u, 4, 0), PF_P | PF_W, u);

    /* D: the first write to a page read before still walks and sets D. */
    wr32(pte_s, 0x210000 | P | RW);
    paging_invlpg(&cpu->mmu, s);
    CHECK_EQ(try_read(s, 4, NULL), -1);
    CHECK_EQ(rd32(pte_s) & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(try_write(s + 8, 4, 5), -1);
    CHECK_EQ(rd32(pte_s) & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* Cleared by software without INVLPG: later writes hit the TLB and do
     * not set it again (as on hardware); after INVLPG they do. */
    wr32(pte_s, 0x210000 | P | RW);
    CHECK_EQ(try_write(s + 8, 4, 6), -1);
    CHECK_EQ(rd32(pte_s) & PTE_D, 0);
    paging_invlpg(&cpu->mmu, s);
    CHECK_EQ(try_write(s + 8, 4, 6), -1);
    CHECK_EQ(rd32(pte_s) & PTE_D, PTE_D);
    (void)pte_u;
}

static void test_crossing(void)
{
    setup32();
    const uint32_t a = 0x30000000, b = a + 0x1000;
    uint64_t pte_a = map32(a, 0x220000, P | RW | US);
    uint64_t pte_b = map32(b, 0x228000, P | US);             /* read-only */
    wr32(0x220ffc, 0x44332211);
    wr32(0x228000, 0x88776655);
    uint64_t v;
    CHECK_EQ(try_read(a + 0xffe, 4, &v), -1);
    CHECK_EQ(v, 0x66554433);
    CHECK_EQ(try_read(a + 0xff9, 8, &v), -1);
    CHECK_EQ(v, 0x5544332211000000ull);
    /* write crossing into a read-only page: #PF on the second page, first
     * page untouched */
    CHECK_PF(try_write(a + 0xffe, 4, 0xdeadbeef), PF_P | PF_W, b);
    CHECK_EQ(rd32(0x220ffc), 0x44332211);
    CHECK_EQ(rd32(0x228000), 0x88776655);
    /* ... also when the first page is already in the TLB as writable */
    CHECK_EQ(try_write(a + 0xff0, 4, 0x01020304), -1);
    CHECK_PF(try_write(a + 0xfff, 2, 0xffff), PF_P | PF_W, b);
    CHECK_EQ(rd32(0x220ffc), 0x44332211);
    /* second page not present */
    wr32(pte_b, 0);
    paging_invlpg(&cpu->mmu, b);
    cpu->cpl = 3;
    CHECK_PF(try_write(a + 0xffd, 8, ~0ull), PF_W | PF_U, b);
    CHECK_PF(try_read(a + 0xffd, 8, NULL), PF_U, b);
    cpu->cpl = 0;
    CHECK_EQ(rd32(0x220ffc), 0x44332211);
    /* first page faulting: CR2 is the access's own address */
    wr32(pte_b, 0x228000 | P | RW | US);
    wr32(pte_a, 0x220000 | US);
    paging_invlpg(&cpu->mmu, a);
    paging_invlpg(&cpu->mmu, b);
    CHECK_PF(try_write(a + 0xffe, 4, 0), PF_W, a + 0xffe);
    /* both present: the write lands on both pages */
    wr32(pte_a, 0x220000 | P | RW | US);
    paging_invlpg(&cpu->mmu, a);
    CHECK_EQ(try_write(a + 0xffe, 4, 0xa1b2c3d4), -1);
    CHECK_EQ(rd32(0x220ffc), 0xc3d42211);
    CHECK_EQ(rd32(0x228000), 0x8877a1b2);

    /* fetch across into a page that faults: no raise, a byte count */
    uint8_t buf[16];
    wr32(pte_b, 0);
    paging_invlpg(&cpu->mmu, b);
    cpu->exc_vector = -1;
    CHECK_EQ(mem_fetch(&cpu->mmu, a + 0xffa, buf, 15), 6);
    CHECK_EQ(cpu->exc_vector, -1);
    CHECK_EQ(buf[2], 0x11);
    CHECK_EQ(mem_fetch(&cpu->mmu, b, buf, 15), 0);
    wr32(pte_b, 0x228000 | P | US);
    paging_invlpg(&cpu->mmu, b);
    CHECK_EQ(mem_fetch(&cpu->mmu, a + 0xffa, buf, 15), 15);
    CHECK_EQ(buf[6], 0xb2);
}

static void test_flat(void)
{
    machine_setup();
    cpu_reset_flat(cpu, CODE32, 0);
    uint64_t v;
    /* 32-bit linear addresses wrap at 4 GiB; the top page reads all-ones. */
    M->mem.ram[0] = 0x5a;
    CHECK_EQ(try_read(0xfffffffe, 4, &v), -1);
    CHECK_EQ(v, 0x005affff);
    /* A20 masking: the TLB must not keep the old translation. */
    M->mem.ram[0x100000] = 0x12;
    CHECK_EQ(try_read(0x100000, 1, &v), -1);
    CHECK_EQ(v, 0x12);
    mem_set_a20(&M->mem, false);
    CHECK_EQ(M->mem.a20_mask, ~(1ull << 20));
    CHECK_EQ(try_read(0x100000, 1, &v), -1);
    CHECK_EQ(v, 0x5a);
    CHECK_EQ(try_write(0x3fffff, 1, 0x99), -1);      /* bit 20 of 0x3fffff dropped */
    CHECK_EQ(M->mem.ram[0x2fffff], 0x99);
    CHECK_EQ(M->mem.ram[0x3fffff], 0);
    uint64_t pa;
    CHECK_EQ(try_translate(0x1fffff, ACC_READ, &pa), -1);
    CHECK_EQ(pa, 0x0fffff);
    mem_set_a20(&M->mem, true);
    CHECK_EQ(try_read(0x100000, 1, &v), -1);
    CHECK_EQ(v, 0x12);
    /* with paging: the page-table walk and the final address are masked */
    pd = new_table();
    set_mode(32, pd, 0, 0, false);
    uint64_t pt = new_table();
    wr32(pd, (uint32_t)pt | P | RW);
    wr32(pt + 4 * 5, 0x00105000 | P | RW);
    M->mem.ram[0x105000] = 0xa1;
    M->mem.ram[0x005000] = 0xb2;
    CHECK_EQ(try_read(0x5000, 1, &v), -1);
    CHECK_EQ(v, 0xa1);
    mem_set_a20(&M->mem, false);
    CHECK_EQ(try_read(0x5000, 1, &v), -1);
    CHECK_EQ(v, 0xb2);
    mem_set_a20(&M->mem, true);
}

/* ---- MMIO, ROM and code pages ---- */

static unsigned mmio_reads, mmio_writes;
static uint64_t mmio_last;
static uint64_t mmio_read(void *o, uint64_t addr, unsigned size)
{
    (void)o; (void)size;
    mmio_reads++;
    return 0x1000 + addr;
}
static void mmio_write(void *o, uint64_t addr, uint64_t val, unsigned size)
{
    (void)o; (void)size;
    mmio_writes++;
    mmio_last = addr << 32 | val;
}

static unsigned code_writes;
static uint64_t code_write_pa;
static bool keep_mark;
static void on_code_write(void *opaque, uint64_t pa, unsigned size)
{
    (void)opaque; (void)size;
    code_writes++;
    code_write_pa = pa;
    if (!keep_mark)   /* the code cache unmarks a page once it dropped its blocks */
        M->mem.code_pages[pa >> 12] = 0;
}

static void test_regions(void)
{
    setup32();
    char err[256];
    static uint8_t rom[8192];
    rom[0x10] = 0x42;
    Region io = { .name = "test-mmio", .start = 0xfe000000, .size = 0x1000, .kind = REGION_IO,
                  .read = mmio_read, .write = mmio_write };
    Region ro = { .name = "test-rom", .start = 0xfff00000, .size = sizeof rom, .kind = REGION_ROM,
                  .host = rom };
    CHECK_EQ(mem_add_region(&M->mem, &io, err, sizeof err), 0);
    CHECK_EQ(mem_add_region(&M->mem, &ro, err, sizeof err), 0);
    const uint32_t mio = 0x50000000, mrom = 0x50001000;
    map32(mio, 0xfe000000, P | RW);
    map32(mrom, 0xfff00000, P | RW | PTE_D);
    uint64_t v;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(try_read(mio + 8, 4, &v), -1);
        CHECK_EQ(v, 0x1008);
        CHECK_EQ(try_write(mio + 0x10, 2, 0xbeef + i), -1);
    }
    CHECK_EQ(mmio_reads, 3);
    CHECK_EQ(mmio_writes, 3);
    CHECK_EQ(mmio_last, 0x10ull << 32 | (0xbeef + 2));
    CHECK_EQ(try_read(mrom + 0x10, 1, &v), -1);
    CHECK_EQ(v, 0x42);
    CHECK_EQ(try_write(mrom + 0x10, 1, 0x99), -1);     /* ignored, no fault */
    CHECK_EQ(rom[0x10], 0x42);
    CHECK_EQ(try_read(mrom + 0x10, 1, &v), -1);
    CHECK_EQ(v, 0x42);

    /* Code pages: a write tag cached before the page held code must stop
     * being fast once code is fetched from it, through every alias. */
    M->mem.code_write = on_code_write;
    const uint32_t c1 = 0x60000000, c2 = 0x60405000;  /* two mappings of one page, other slots */
    map32(c1, 0x230000, P | RW);
    map32(c2, 0x230000, P | RW);
    CHECK_EQ(try_write(c1 + 4, 4, 0x90909090), -1);
    CHECK_EQ(try_write(c2 + 4, 4, 0x90909090), -1);
    CHECK_EQ(code_writes, 0);
    uint8_t buf[4];
    CHECK_EQ(mem_fetch(&cpu->mmu, c1, buf, 4), 4);
    CHECK_EQ(M->mem.code_pages[0x230], 1);
    CHECK_EQ(try_write(c2 + 5, 1, 0xcc), -1);
    CHECK_EQ(code_writes, 1);
    CHECK_EQ(code_write_pa, 0x230005);
    /* the hook cleared the mark: the next write is fast again */
    CHECK_EQ(try_write(c2 + 6, 1, 0xcc), -1);
    CHECK_EQ(code_writes, 1);
    CHECK_EQ(mem_fetch(&cpu->mmu, c2, buf, 4), 4);
    CHECK_EQ(try_write(c1 + 7, 1, 0xcc), -1);
    CHECK_EQ(code_writes, 2);
    CHECK_EQ(M->mem.ram[0x230007], 0xcc);
    /* marked before the write tag is filled */
    mem_mark_code(&M->mem, 0x231000);
    map32(c1 + 0x1000, 0x231000, P | RW);
    CHECK_EQ(try_write(c1 + 0x1000, 4, 1), -1);
    CHECK_EQ(code_writes, 3);
    /* crossing write onto a code page */
    mem_mark_code(&M->mem, 0x231000);
    CHECK_EQ(try_write(c1 + 0xffe, 4, 0x11223344), -1);
    CHECK_EQ(code_writes, 4);
    CHECK_EQ(M->mem.ram[0x231001], 0x11);
    /* a page that stays marked keeps every write on the slow path */
    keep_mark = true;
    mem_mark_code(&M->mem, 0x230000);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(try_write(c2 + 8 + i, 1, 0x90), -1);
    CHECK_EQ(code_writes, 7);
    keep_mark = false;
    M->mem.code_write = NULL;
}

/* Two machines in one process: each has its own TLB and RAM. */
static void test_two_machines(void)
{
    setup32();
    Machine *m2 = calloc(1, sizeof *m2);
    char err[256];
    CHECK_EQ(machine_init(m2, 16ull << 20, err, sizeof err), 0);
    cpu_reset_flat(&m2->cpu, CODE32, 0);
    map32(0x1000, 0x1000, P);
    M->mem.ram[0x1000] = 1;
    m2->mem.ram[0x1000] = 2;
    uint64_t v;
    CHECK_EQ(try_read(0x1000, 1, &v), -1);
    CHECK_EQ(v, 1);
    jmp_buf jb;
    m2->cpu.fault_jmp = &jb;
    if (!setjmp(jb))
        CHECK_EQ(cpu_lin_read(&m2->cpu, 0x1000, 1), 2);
    CHECK(m2->cpu.tlb != NULL && m2->cpu.tlb != cpu->tlb);
    machine_free(m2);
    free(m2);
}

int main(void)
{
    test_invalidation();
    test_privilege_and_dirty();
    test_crossing();
    test_flat();
    test_regions();
    test_two_machines();
    return finish();
}

/* test_mmu.h — shared helpers for the softmmu unit tests: a machine with a
 * flat CPU, page tables built in guest RAM, and fault catching. */
#ifndef TEST_MMU_H
#define TEST_MMU_H

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/machine.h"
#include "softmmu/mem.h"
#include "softmmu/paging.h"
#include "softmmu/tlb.h"

static int passed, failed;

#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
    if (a_ == b_) passed++; else { failed++; \
    printf("FAIL %s:%d: %s == %s: got %#llx, expected %#llx\n", __FILE__, __LINE__, #a, #b, a_, b_); } } while (0)

static Machine *M;
static CPU *cpu;

/* Page-table pages come from here up (zeroed by new_table). */
#define TABLES_BASE 0x400000ull
static uint64_t next_table;

static void machine_setup(void)
{
    if (M) {
        machine_free(M);
        free(M);
    }
    M = calloc(1, sizeof *M);
    char err[256];
    if (machine_init(M, 64ull << 20, err, sizeof err)) {
        printf("machine_init: %s\n", err);
        exit(1);
    }
    cpu = &M->cpu;
    cpu_reset_flat(cpu, CODE32, 0x1000);
    next_table = TABLES_BASE;
}

static uint64_t new_table(void)
{
    uint64_t pa = next_table;
    next_table += 4096;
    memset(M->mem.ram + pa, 0, 4096);
    return pa;
}

static inline uint32_t rd32(uint64_t pa) { return (uint32_t)mem_phys_read(&M->mem, pa, 4); }
static inline uint64_t rd64(uint64_t pa) { return mem_phys_read(&M->mem, pa, 8); }
static inline void wr32(uint64_t pa, uint32_t v) { mem_phys_write(&M->mem, pa, v, 4); }
static inline void wr64(uint64_t pa, uint64_t v) { mem_phys_write(&M->mem, pa, v, 8); }

/* Maps lin -> pa through the 32-bit page directory at pd (a page table is
 * allocated on first use, its PDE gets pde_flags); returns the PTE address. */
static inline uint64_t map32_in(uint64_t pd, uint32_t lin, uint32_t pa, uint32_t pde_flags,
                                uint32_t pte_flags)
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

/* Sets the paging mode: kind 32, 'P' (PAE) or 64; extra CR4/EFER bits. */
static void set_mode(int kind, uint64_t cr3, uint64_t cr4_extra, uint64_t efer_extra, bool wp)
{
    cpu->cr0 = 0x11 | CR0_PG | (wp ? CR0_WP : 0);
    cpu->cr3 = cr3;
    cpu->cr4 = cr4_extra | (kind == 32 ? 0 : CR4_PAE);
    cpu->efer = efer_extra | (kind == 64 ? EFER_LME | EFER_LMA : 0);
    cpu->code_mode = kind == 64 ? CODE64 : CODE32;
    cpu->cpl = 0;
    paging_flush(&cpu->mmu, true);
}

/* Fault catching: each returns -1, or the exception vector raised. */
static inline int try_read(uint64_t lin, unsigned size, uint64_t *out)
{
    jmp_buf jb;
    cpu->fault_jmp = &jb;
    cpu->exc_vector = -1;
    if (setjmp(jb))
        return cpu->exc_vector;
    uint64_t v = cpu_lin_read(cpu, lin, size);
    if (out)
        *out = v;
    return -1;
}

static inline int try_write(uint64_t lin, unsigned size, uint64_t v)
{
    jmp_buf jb;
    cpu->fault_jmp = &jb;
    cpu->exc_vector = -1;
    if (setjmp(jb))
        return cpu->exc_vector;
    cpu_lin_write(cpu, lin, v, size);
    return -1;
}

static inline int try_translate(uint64_t lin, int access, uint64_t *pa)
{
    jmp_buf jb;
    cpu->fault_jmp = &jb;
    cpu->exc_vector = -1;
    if (setjmp(jb))
        return cpu->exc_vector;
    uint64_t p = cpu_translate(cpu, lin, access);
    if (pa)
        *pa = p;
    return -1;
}

/* Expects a #PF with error code err and CR2 = cr2 from the last try_*. */
#define CHECK_PF(r, err, lin) do { CHECK_EQ((r), EXC_PF); CHECK_EQ(cpu->exc_error, (err)); \
    CHECK_EQ(cpu->cr2, (lin)); CHECK(cpu->exc_has_error); } while (0)

static int finish(void)
{
    if (M) {
        machine_free(M);
        free(M);
        M = NULL;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

#endif

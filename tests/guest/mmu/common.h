/* common.h — helpers shared by the mmu guests. */
#ifndef MMU_COMMON_H
#define MMU_COMMON_H

#include "rt.h"

#define PF 14
/* #PF error code bits */
enum { E_P = 1, E_W = 2, E_U = 4, E_RSVD = 8, E_I = 16 };

/* Expects one access to fault with #PF, error err, CR2 addr. */
#define EXPECT_PF(call, err, addr) do { int v_ = (call); CHECK_EQ(v_, PF); \
    CHECK_EQ(mmu_last.error, (err)); CHECK_EQ(mmu_last.cr2, (addr)); } while (0)

extern struct rt_fault mmu_last;
int rd(uintptr_t a, unsigned size, uint64_t *v);
int wr(uintptr_t a, unsigned size, uint64_t v);
int ex(uintptr_t a);
/* Runs a read / write / call of addr in ring 3. */
int user_rd(uintptr_t a);
int user_wr(uintptr_t a);

/* A page of free RAM (identity mapped), 16 MiB + n * 4 KiB. */
static inline uintptr_t frame(unsigned n) { return 0x1000000u + n * 4096u; }

#endif

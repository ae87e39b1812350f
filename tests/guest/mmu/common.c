/* common.c — fault probes for the mmu guests (see common.h). */
#include "common.h"

struct rt_fault mmu_last;

int rd(uintptr_t a, unsigned size, uint64_t *v) { return rt_probe_read(a, size, v, &mmu_last); }
int wr(uintptr_t a, unsigned size, uint64_t v) { return rt_probe_write(a, size, v, &mmu_last); }
int ex(uintptr_t a) { return rt_probe_exec(a, &mmu_last); }

static uint8_t user_stack[4096] __attribute__((aligned(16)));

static void user_read(void *p) { (void)*(volatile uint32_t *)p; }
static void user_write(void *p) { *(volatile uint32_t *)p = 1; }

int user_rd(uintptr_t a)
{
    return rt_run_user(user_read, (void *)a, (uintptr_t)user_stack + sizeof user_stack, &mmu_last);
}

int user_wr(uintptr_t a)
{
    return rt_run_user(user_write, (void *)a, (uintptr_t)user_stack + sizeof user_stack, &mmu_last);
}

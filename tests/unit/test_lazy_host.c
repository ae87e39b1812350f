/* test_lazy_host.c — the lazy record LF_HOST (cpu/cpu.h) against the host
 * CPU: tier 1 stores AX as LAHF and SETO left it, and tier 0 must read
 * from it exactly the flags, the carry and the 16 conditions the host
 * computes from the same RFLAGS.  For each of the 64 OSZAPC combinations
 * the host loads them with POPFQ, captures AX and evaluates every
 * condition with its own SETcc. */
#include <stdio.h>

#include "../../cpu/cpu.h"

static CPU cpu;
static int fails;

#define CHECK(c, ...) \
    do { \
        if (!(c)) { \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__); \
            printf("\n"); \
            fails++; \
        } \
    } while (0)

/* SETcc for every condition after POPFQ, and the AX of LAHF; SETO. */
#define SETCC(cc, n) "set" cc " %[r]\n\tmovb %[r], " #n "(%[out])\n\t"
static void host_eval(uint64_t rflags, uint8_t out[16], uint16_t *ax)
{
    uint16_t a;
    uint8_t r;
    __asm__ volatile("pushq %[fl]\n\tpopfq\n\t"
                     SETCC("o", 0) SETCC("no", 1) SETCC("b", 2) SETCC("ae", 3) SETCC("e", 4)
                     SETCC("ne", 5) SETCC("be", 6) SETCC("a", 7) SETCC("s", 8) SETCC("ns", 9)
                     SETCC("p", 10) SETCC("np", 11) SETCC("l", 12) SETCC("ge", 13) SETCC("le", 14)
                     SETCC("g", 15)
                     "lahf\n\tseto %%al\n\t"
                     : "=&a"(a), [r] "=&q"(r)
                     : [fl] "r"(rflags), [out] "r"(out)
                     : "memory", "cc");
    (void)r;
    *ax = a;
}
#undef SETCC

int main(void)
{
    for (unsigned bits = 0; bits < 64; bits++) {
        static const uint32_t each[6] = { F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF };
        uint32_t want = 0;
        for (unsigned k = 0; k < 6; k++)
            if (bits >> k & 1)
                want |= each[k];
        uint8_t host[16];
        uint16_t ax;
        host_eval(0x202 | want, host, &ax);
        for (unsigned cc = 0; cc < 16; cc++) {
            /* The other arithmetic flags in eflags must not leak in. */
            cpu.eflags = 2 | (~want & F_OSZAPC) | F_IF | F_DF;
            cpu.lf.op = LF_HOST;
            cpu.lf.host = ax;
            CHECK(cpu_cond(&cpu, cc) == (host[cc] != 0), "flags %#x: condition %u is %d, the host's %d", want, cc,
                  cpu_cond(&cpu, cc), host[cc]);
        }
        cpu.eflags = 2 | (~want & F_OSZAPC) | F_IF | F_DF;
        cpu.lf.op = LF_HOST;
        cpu.lf.host = ax;
        CHECK(cpu_get_cf(&cpu) == ((want & F_CF) != 0), "flags %#x: CF %d", want, cpu_get_cf(&cpu));
        uint32_t got = cpu_get_eflags(&cpu);
        CHECK(got == (2 | want | F_IF | F_DF), "flags %#x: cpu_get_eflags %#x", want, got);
        CHECK(cpu.lf.op == LF_NONE && cpu.eflags == (2 | want | F_IF | F_DF),
              "flags %#x: after cpu_get_eflags op %u eflags %#x", want, cpu.lf.op, cpu.eflags);
    }
    printf("%s: %d failed\n", fails ? "FAIL" : "ok", fails);
    return fails != 0;
}

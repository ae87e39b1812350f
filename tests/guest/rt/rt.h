/* rt.h — the freestanding runtime for C guest tests (32- and 64-bit).
 *
 * A guest is a main() that returns 0 on success.  Before main runs, the
 * runtime (crt32.asm / crt64.asm + rt.c) has:
 *   - loaded its own GDT (selectors below) and reloaded every segment;
 *   - loaded an IDT whose 256 vectors go to rt_exception() (vector 0x30 is
 *     callable from ring 3, see rt_run_user);
 *   - loaded a TSS (ring-0 stack for exceptions from ring 3);
 *   - 64-bit guests only: switched from 32-bit protected mode into long mode
 *     with 4-level paging identity-mapping the first 1 GiB in 2 MiB pages
 *     (rt_pml4 is the table; CR4.PAE, EFER.LME/LMA, CR0.PG set).
 * After main returns 0 with no failed CHECK, the runtime prints "PASS" and
 * exits with value 0 (ringzero status 1); otherwise "FAIL" and value 0x10.
 * An exception nobody expected prints its vector, error code, CR2 and RIP,
 * then fails.
 */
#ifndef RT_H
#define RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* GDT selectors set up by the runtime (RPL 3 for the user ones). */
enum {
    SEL_CODE32 = 0x08, SEL_DATA = 0x10, SEL_CODE64 = 0x18,
    SEL_UCODE32 = 0x23, SEL_UDATA = 0x2b, SEL_UCODE64 = 0x33, SEL_TSS = 0x38,
};
#define RT_GDT_ENTRIES 10   /* TSS takes two slots (16-byte in long mode) */

/* ---- console and exit ---- */
void rt_putc(char c);
void rt_puts(const char *s);
/* %c %s %d %i %u %x %X %p, with l/ll/z, width and 0-padding (e.g. %08lx). */
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_vprintf(const char *fmt, va_list ap);
_Noreturn void rt_exit(unsigned value);
_Noreturn void rt_pass(void);
_Noreturn void rt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Checks count failures and go on, so one run reports every broken case. */
extern int rt_failures;
#define CHECK(cond) do { if (!(cond)) { rt_failures++; \
    rt_printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
    if (a_ != b_) { rt_failures++; rt_printf("FAIL %s:%d: %s == %s: got %#llx, expected %#llx\n", \
        __FILE__, __LINE__, #a, #b, (unsigned long long)a_, (unsigned long long)b_); } } while (0)

/* ---- port I/O and privileged instructions ---- */
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint16_t inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static inline uintptr_t read_cr0(void) { uintptr_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uintptr_t read_cr2(void) { uintptr_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uintptr_t read_cr3(void) { uintptr_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uintptr_t read_cr4(void) { uintptr_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uintptr_t v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void write_cr3(uintptr_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void write_cr4(uintptr_t v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }
static inline void invlpg(uintptr_t a) { __asm__ volatile("invlpg (%0)" :: "r"(a) : "memory"); }
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return lo | (uint64_t)hi << 32;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint16_t read_cs(void) { uint16_t v; __asm__ volatile("mov %%cs, %0" : "=r"(v)); return v; }
static inline void cli(void) { __asm__ volatile("cli"); }
static inline void sti(void) { __asm__ volatile("sti"); }
static inline void hlt(void) { __asm__ volatile("hlt"); }

enum { CR0_PE = 1u << 0, CR0_WP = 1u << 16, CR0_PG = 1u << 31 };
enum { CR4_PSE = 1u << 4, CR4_PAE = 1u << 5, CR4_PGE = 1u << 7 };
enum { MSR_EFER = 0xc0000080u };
enum { EFER_SCE = 1u << 0, EFER_LME = 1u << 8, EFER_LMA = 1u << 10, EFER_NXE = 1u << 11 };

/* ---- descriptor tables ---- */
extern uint64_t rt_gdt[RT_GDT_ENTRIES];
/* Sets IDT gate vec to handler (a code address) with type (0xE interrupt,
 * 0xF trap) and DPL.  The runtime's own stubs fill all 256 at start-up. */
void rt_set_gate(unsigned vec, uintptr_t handler, uint16_t sel, unsigned type, unsigned dpl);
/* Sets the TSS ring-0 stack used for exceptions taken in ring 3. */
void rt_set_kernel_stack(uintptr_t top);

/* ---- exceptions ---- */
/* The frame rt_exception() sees: general registers, vector, error code (0
 * when the vector has none), then the CPU-pushed frame. */
struct rt_regs {
#ifdef __x86_64__
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
    uint64_t vector, error;
    uint64_t ip, cs, flags, sp, ss;
#else
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t ip, cs, flags, sp, ss;   /* sp, ss only from ring 3 */
#endif
};
/* A test may take over a vector: h runs for it and may change r (e.g.
 * r->ip to skip the faulting instruction) before the runtime IRETs. */
typedef void (*rt_handler)(struct rt_regs *r);
void rt_set_handler(unsigned vec, rt_handler h);

/* What an expected exception left behind. */
struct rt_fault {
    int vector;          /* -1: none happened */
    uint64_t error;      /* error code, 0 when the vector has none */
    uint64_t cr2;        /* CR2 read in the handler (meaningful for #PF) */
    uint64_t ip;         /* RIP/EIP of the faulting instruction */
    uint16_t cs;
};
/* Runs fn(arg); returns -1 if it returned normally, else the vector of the
 * first exception it raised (details in *f, which may be NULL).  Execution
 * resumes here, abandoning fn. */
int rt_try(void (*fn)(void *), void *arg, struct rt_fault *f);
/* Probes: one access of the given size at addr inside rt_try. */
int rt_probe_read(uintptr_t addr, unsigned size, uint64_t *value, struct rt_fault *f);
int rt_probe_write(uintptr_t addr, unsigned size, uint64_t value, struct rt_fault *f);
/* Calls addr (it should hold a RET, e.g. 0xC3) and reports the exception. */
int rt_probe_exec(uintptr_t addr, struct rt_fault *f);

/* Runs fn(arg) in ring 3 (CS SEL_UCODE32/64, SS SEL_UDATA) on the given
 * user stack top; returns when fn returns (through INT 0x30) with -1, or
 * with the vector of an exception taken in ring 3 (details in *f).  The
 * code, data and stack fn uses must be user-accessible when paging is on. */
int rt_run_user(void (*fn)(void *), void *arg, uintptr_t user_stack_top, struct rt_fault *f);
#define RT_USER_RETURN_VECTOR 0x30

/* ---- paging (rt_paging.c) ---- */
enum {
    PTE_P = 1 << 0, PTE_W = 1 << 1, PTE_U = 1 << 2, PTE_PWT = 1 << 3, PTE_PCD = 1 << 4,
    PTE_A = 1 << 5, PTE_D = 1 << 6, PTE_PS = 1 << 7, PTE_G = 1 << 8,
};
#define PTE_NX (1ull << 63)
/* Zeroed 4 KiB pages from a static pool (fails the test when it runs out). */
void *rt_alloc_page(void);
/* 32-bit paging: maps the 4 KiB page at va to pa in page directory pd
 * (allocating a page table if needed); flags are PTE_* (PTE_P implied).
 * rt_map32_4m maps a 4 MiB page (needs CR4.PSE). */
void rt_map32(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags);
void rt_map32_4m(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags);
/* Returns a pointer to the 32-bit PTE for va (NULL if no page table). */
uint32_t *rt_pte32(uint32_t *pd, uint32_t va);
/* PAE: pdpt has 4 entries (32-byte aligned); 4 KiB or 2 MiB pages. */
void rt_map_pae(uint64_t *pdpt, uint32_t va, uint64_t pa, uint64_t flags, bool big);
uint64_t *rt_pte_pae(uint64_t *pdpt, uint32_t va);
/* 4-level: 4 KiB or 2 MiB pages below the 48-bit canonical limit. */
void rt_map64(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags, bool big);
uint64_t *rt_pte64(uint64_t *pml4, uint64_t va);
/* Identity-maps [0, bytes) with the given flags (the tests' code and data
 * live at 1 MiB): 4 MiB/2 MiB pages where the mode has them. */
void rt_identity32(uint32_t *pd, uint32_t bytes, uint32_t flags, bool big);
void rt_identity_pae(uint64_t *pdpt, uint32_t bytes, uint64_t flags);
#ifdef __x86_64__
extern uint64_t rt_pml4[512];   /* the runtime's long-mode tables */
/* Makes the runtime's identity map of the first 1 GiB user-accessible, so
 * rt_run_user can run the image's own code and data in ring 3. */
void rt_identity_user64(void);
#endif

/* ---- freestanding libc bits ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Linker-script symbols */
extern char __image_start[], __text_end[], __image_end[];

#endif

/* rt.c — console, checks, descriptor tables and exception catching for C
 * guest tests (see rt.h). */
#include "rt.h"

#define DEBUGCON 0xe9
#define EXITPORT 0xf4
#define FAIL_CODE 0x10

int rt_failures;

struct rt_jmp { uintptr_t r[8]; };
int rt_setjmp(struct rt_jmp *jb) __attribute__((returns_twice));
_Noreturn void rt_longjmp(struct rt_jmp *jb, int val);
void rt_iret_to_user(uintptr_t sp, void (*fn)(void *), void *arg);
extern uintptr_t rt_isr_table[256];
extern char rt_stack_top[];

/* ---- console ---- */

void rt_putc(char c) { outb(DEBUGCON, (uint8_t)c); }

void rt_puts(const char *s)
{
    while (*s)
        rt_putc(*s++);
}

static void put_num(uint64_t v, unsigned base, int width, char pad, bool neg, bool upper)
{
    char buf[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        buf[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (neg)
        buf[n++] = '-';
    for (int i = n; i < width; i++)
        rt_putc(pad);
    while (n)
        rt_putc(buf[--n]);
}

void rt_vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            rt_putc(*fmt);
            continue;
        }
        fmt++;
        bool alt = false;
        char pad = ' ';
        if (*fmt == '#') { alt = true; fmt++; }
        if (*fmt == '0') { pad = '0'; fmt++; }
        int width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int lng = 0;
        while (*fmt == 'l' || *fmt == 'z') {
            lng += *fmt == 'z' ? 2 : 1;
            fmt++;
        }
        uint64_t u;
        switch (*fmt) {
        case 'c': rt_putc((char)va_arg(ap, int)); break;
        case 's': { const char *s = va_arg(ap, const char *); rt_puts(s ? s : "(null)"); break; }
        case 'd': case 'i': {
            int64_t v = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
            put_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0, false);
            break;
        }
        case 'u': case 'x': case 'X': case 'p':
            if (*fmt == 'p')
                u = (uintptr_t)va_arg(ap, void *), alt = true;
            else
                u = lng >= 2 ? va_arg(ap, unsigned long long) : lng ? va_arg(ap, unsigned long)
                             : va_arg(ap, unsigned);
            if (alt && *fmt != 'u')
                rt_puts("0x");
            put_num(u, *fmt == 'u' ? 10 : 16, width, pad, false, *fmt == 'X');
            break;
        case '%': rt_putc('%'); break;
        default: rt_putc('%'); rt_putc(*fmt); break;
        }
    }
}

void rt_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rt_vprintf(fmt, ap);
    va_end(ap);
}

_Noreturn void rt_exit(unsigned value)
{
    for (;;) {
        outb(EXITPORT, (uint8_t)value);
        hlt();
    }
}

_Noreturn void rt_pass(void)
{
    rt_puts("PASS\n");
    rt_exit(0);
}

_Noreturn void rt_fail(const char *fmt, ...)
{
    va_list ap;
    rt_puts("FAIL: ");
    va_start(ap, fmt);
    rt_vprintf(fmt, ap);
    va_end(ap);
    rt_putc('\n');
    rt_exit(FAIL_CODE);
}

_Noreturn void rt_finish(int ret);
_Noreturn void rt_finish(int ret)
{
    if (ret == 0 && rt_failures == 0)
        rt_pass();
    rt_fail("main returned %d with %d failed check(s)", ret, rt_failures);
}

/* ---- descriptor tables ---- */

#ifdef __x86_64__
static uint64_t idt[256 * 2] __attribute__((aligned(16)));
#else
static uint64_t idt[256] __attribute__((aligned(16)));
#endif
static uint8_t tss[104] __attribute__((aligned(16)));
static uint8_t exc_stack[8192] __attribute__((aligned(16)));

void rt_set_gate(unsigned vec, uintptr_t handler, uint16_t sel, unsigned type, unsigned dpl)
{
    uint64_t off = handler;
    uint64_t lo = (off & 0xffff) | (uint64_t)sel << 16 |
                  (uint64_t)(0x80 | dpl << 5 | type) << 40 | (off & 0xffff0000ull) << 32;
#ifdef __x86_64__
    idt[vec * 2] = lo;
    idt[vec * 2 + 1] = off >> 32;
#else
    idt[vec] = lo;
#endif
}

void rt_set_kernel_stack(uintptr_t top)
{
#ifdef __x86_64__
    memcpy(tss + 4, &top, 8);        /* RSP0 */
#else
    uint32_t esp0 = (uint32_t)top, ss0 = SEL_DATA;
    memcpy(tss + 4, &esp0, 4);
    memcpy(tss + 8, &ss0, 4);
#endif
}

static void load_tables(void)
{
    struct __attribute__((packed)) { uint16_t limit; uintptr_t base; } d;
    d.limit = sizeof idt - 1;
    d.base = (uintptr_t)idt;
    __asm__ volatile("lidt %0" :: "m"(d));
    __asm__ volatile("ltr %w0" :: "r"((uint16_t)SEL_TSS));
}

void rt_init(void);
void rt_init(void)
{
    uint16_t iomap = sizeof tss;    /* no I/O bitmap */
    memcpy(tss + 102, &iomap, 2);
    rt_set_kernel_stack((uintptr_t)exc_stack + sizeof exc_stack);
    uint64_t base = (uintptr_t)tss, limit = sizeof tss - 1;
    /* Available 32-bit TSS (type 9); in long mode the same type means the
     * 64-bit TSS and the next slot holds base bits 63..32. */
    rt_gdt[7] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
                (limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
    rt_gdt[8] = base >> 32;
    for (unsigned v = 0; v < 256; v++)
        rt_set_gate(v, rt_isr_table[v], (uint16_t)(read_cs()), 0xe,
                    v == RT_USER_RETURN_VECTOR ? 3 : 0);
    load_tables();
}

/* ---- exceptions ---- */

static rt_handler handlers[256];
static struct rt_jmp *catch_jb;
static struct rt_fault last_fault;

void rt_set_handler(unsigned vec, rt_handler h) { handlers[vec & 255] = h; }

void rt_exception(struct rt_regs *r);
void rt_exception(struct rt_regs *r)
{
    unsigned v = (unsigned)r->vector;
    if (handlers[v]) {
        handlers[v](r);
        return;
    }
    if (catch_jb) {
        struct rt_jmp *jb = catch_jb;
        catch_jb = NULL;
        last_fault.vector = v == RT_USER_RETURN_VECTOR ? -1 : (int)v;
        last_fault.error = r->error;
        last_fault.cr2 = read_cr2();
        last_fault.ip = r->ip;
        last_fault.cs = (uint16_t)r->cs;
        rt_longjmp(jb, 1);
    }
    rt_fail("unexpected exception %u, error %#llx, at %04x:%#llx, CR2 %#llx", v,
            (unsigned long long)r->error, (unsigned)r->cs, (unsigned long long)r->ip,
            (unsigned long long)read_cr2());
}

int rt_try(void (*fn)(void *), void *arg, struct rt_fault *f)
{
    struct rt_jmp jb;
    struct rt_jmp *volatile saved = catch_jb;
    if (rt_setjmp(&jb) == 0) {
        catch_jb = &jb;
        fn(arg);
        catch_jb = saved;
        last_fault.vector = -1;
    } else {
        catch_jb = saved;
    }
    if (f)
        *f = last_fault;
    return last_fault.vector;
}

struct probe { uintptr_t addr; unsigned size; uint64_t value; };

static void do_read(void *p)
{
    struct probe *pr = p;
    switch (pr->size) {
    case 1: pr->value = *(volatile uint8_t *)pr->addr; break;
    case 2: pr->value = *(volatile uint16_t *)pr->addr; break;
    case 4: pr->value = *(volatile uint32_t *)pr->addr; break;
    default: pr->value = *(volatile uint64_t *)pr->addr; break;
    }
}

static void do_write(void *p)
{
    struct probe *pr = p;
    switch (pr->size) {
    case 1: *(volatile uint8_t *)pr->addr = (uint8_t)pr->value; break;
    case 2: *(volatile uint16_t *)pr->addr = (uint16_t)pr->value; break;
    case 4: *(volatile uint32_t *)pr->addr = (uint32_t)pr->value; break;
    default: *(volatile uint64_t *)pr->addr = pr->value; break;
    }
}

static void do_exec(void *p)
{
    ((void (*)(void))((struct probe *)p)->addr)();
}

int rt_probe_read(uintptr_t addr, unsigned size, uint64_t *value, struct rt_fault *f)
{
    struct probe pr = { addr, size, 0 };
    int v = rt_try(do_read, &pr, f);
    if (value)
        *value = pr.value;
    return v;
}

int rt_probe_write(uintptr_t addr, unsigned size, uint64_t value, struct rt_fault *f)
{
    struct probe pr = { addr, size, value };
    return rt_try(do_write, &pr, f);
}

int rt_probe_exec(uintptr_t addr, struct rt_fault *f)
{
    struct probe pr = { addr, 0, 0 };
    return rt_try(do_exec, &pr, f);
}

struct user_call { void (*fn)(void *); void *arg; uintptr_t sp; };

static void enter_user(void *p)
{
    struct user_call *u = p;
    rt_iret_to_user(u->sp, u->fn, u->arg);
}

int rt_run_user(void (*fn)(void *), void *arg, uintptr_t user_stack_top, struct rt_fault *f)
{
    struct user_call u = { fn, arg, user_stack_top & ~(uintptr_t)15 };
    return rt_try(enter_user, &u, f);
}

/* ---- libc bits (the compiler may emit calls to these) ---- */

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    if (p < q)
        return memcpy(d, s, n);
    while (n--)
        p[n] = q[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

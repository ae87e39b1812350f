/* demo.c — ringzero's bare-metal demo: an ASCII Mandelbrot set in integer
 * fixed point, printed over COM1.  It runs in 32-bit flat protected mode as
 * the loader leaves it (ELF32 via -kernel) and stops with CLI; HLT. */
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void putc_serial(char c)
{
    while (!(inb(0x3f8 + 5) & 0x20))  /* LSR.THRE */
        ;
    outb(0x3f8, (uint8_t)c);
}

static void puts_serial(const char *s)
{
    while (*s) {
        if (*s == '\n')
            putc_serial('\r');
        putc_serial(*s++);
    }
}

enum { FRAC = 12, W = 72, H = 24, MAXIT = 64 };

void demo_main(void)
{
    static const char shade[] = " .:-=+*#%@";
    puts_serial("ringzero demo: Mandelbrot set in 32-bit protected mode\n");
    for (int y = 0; y < H; y++) {
        char line[W + 2];
        int32_t ci = ((y - H / 2) << FRAC) * 5 / (H * 2);
        for (int x = 0; x < W; x++) {
            int32_t cr = ((x - W * 2 / 3) << FRAC) * 3 / W;
            int32_t zr = 0, zi = 0;
            int it = 0;
            while (it < MAXIT) {
                int32_t zr2 = (zr * zr) >> FRAC, zi2 = (zi * zi) >> FRAC;
                if (zr2 + zi2 > (4 << FRAC))
                    break;
                zi = ((zr * zi) >> (FRAC - 1)) + ci;
                zr = zr2 - zi2 + cr;
                it++;
            }
            line[x] = it == MAXIT ? '@' : shade[it % 9];
        }
        line[W] = '\n';
        line[W + 1] = 0;
        puts_serial(line);
    }
    puts_serial("ringzero demo: done\n");
}

__attribute__((naked, noreturn, section(".text.start"))) void _start(void)
{
    __asm__ volatile("call demo_main\n\tcli\n1:\thlt\n\tjmp 1b");
}

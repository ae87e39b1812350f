/* monitor.c — the monitor's commands; see monitor.h.  Output formats are
 * QEMU's: x/xp print "ADDR: 0x.. 0x.." lines of 16 bytes with the address
 * in 16 digits, info mtree prints "START-END (prio 0, KIND): NAME". */
#include "monitor.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../softmmu/mem.h"

bool debug_lin_to_phys(CPU *cpu, uint64_t lin, bool write, uint64_t *pa)
{
    PageFault pf;
    if (cpu->code_mode == CODE64 ? !is_canonical(lin) : lin > 0xffffffffull)
        return false;
    if (!mmu_translate(&cpu->mmu, lin, ACC_READ | ACC_SUPER | ACC_PROBE, pa, &pf))
        return false;
    return mem_phys_ptr(cpu->mem, *pa, 1, write) != NULL;
}

static const char help_text[] =
    "help                    -- this list\n"
    "info registers          -- the CPU state (segment caches, CRs, EFER)\n"
    "info tlb                -- every mapped page: virtual, physical, flags\n"
    "info mem                -- the mapped virtual ranges and their protection\n"
    "info mtree              -- the memory and I/O port regions\n"
    "info pic                -- the 8259 pair: IRR, IMR, ISR, ...\n"
    "info irq                -- interrupts delivered, by IRQ line and by vector\n"
    "x /fmt addr             -- virtual (linear) memory dump; fmt: count, x|d|u, b|h|w|g\n"
    "xp /fmt addr            -- physical memory dump\n"
    "stop                    -- keep the guest stopped\n"
    "cont                    -- run the guest\n"
    "system_reset            -- reset the machine\n"
    "quit                    -- quit the emulator\n";

static const char *kind_name(int kind)
{
    return kind == REGION_RAM ? "ram" : kind == REGION_ROM ? "rom" : "i/o";
}

static int by_start(const void *a, const void *b)
{
    const Region *x = *(const Region *const *)a, *y = *(const Region *const *)b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* One address space's regions in address order (Mem keeps them in the
 * order the devices registered). */
/* digits 4: the port space, all I/O (a port region's kind is unused). */
static void print_regions(const Region *r, int n, int digits, FILE *f)
{
    const Region *sorted[MEM_MAX_REGIONS];
    for (int i = 0; i < n; i++)
        sorted[i] = &r[i];
    qsort(sorted, (size_t)n, sizeof sorted[0], by_start);
    for (int i = 0; i < n; i++)
        fprintf(f, "  %0*llx-%0*llx (prio 0, %s): %s\n", digits,
                (unsigned long long)sorted[i]->start, digits,
                (unsigned long long)(sorted[i]->start + sorted[i]->size - 1),
                digits == 4 ? "i/o" : kind_name(sorted[i]->kind), sorted[i]->name);
}

static void info_mtree(const Mem *mem, FILE *f)
{
    fprintf(f, "address-space: memory\n");
    print_regions(mem->phys, mem->nphys, 16, f);
    fprintf(f, "\naddress-space: I/O\n");
    print_regions(mem->ports, mem->nports, 4, f);
}

/* x/FMT ADDR or xp/FMT ADDR: FMT is [count][x|d|u][b|h|w|g] in any
 * order after the count, as in QEMU; defaults 1, x, w. */
static void memory_dump(const MonHost *h, bool phys, const char *fmt, const char *arg, FILE *f)
{
    unsigned long count = 1;
    char conv = 'x';
    unsigned size = 4;
    const char *p = fmt;
    if (*p == '/') {
        p++;
        if (isdigit((unsigned char)*p))
            count = strtoul(p, (char **)&p, 10);
        for (; *p && !isspace((unsigned char)*p); p++) {
            switch (*p) {
            case 'x': case 'd': case 'u': conv = *p; break;
            case 'b': size = 1; break;
            case 'h': size = 2; break;
            case 'w': size = 4; break;
            case 'g': size = 8; break;
            default:
                fprintf(f, "invalid format '%c' (x, d, u; b, h, w, g)\n", *p);
                return;
            }
        }
    } else if (*p) {
        fprintf(f, "invalid format: %s\n", fmt);
        return;
    }
    char *e;
    while (isspace((unsigned char)*arg))
        arg++;
    uint64_t addr = strtoull(arg, &e, 0);
    if (!*arg || e == arg || (*e && !isspace((unsigned char)*e))) {
        fprintf(f, "invalid address: '%s'\n", arg);
        return;
    }
    if (count > 4096)
        count = 4096;
    const unsigned per_line = 16 / size;
    for (unsigned long i = 0; i < count; i++) {
        uint64_t a = addr + i * size;
        if (i % per_line == 0)
            fprintf(f, "%s%016llx:", i ? "\n" : "", (unsigned long long)a);
        uint64_t v = 0;
        for (unsigned b = 0; b < size; b++) {
            uint64_t pa = a + b;
            bool ok = phys ? mem_phys_ptr(h->cpu->mem, pa, 1, false) != NULL
                           : debug_lin_to_phys(h->cpu, a + b, false, &pa);
            if (!ok) {
                fprintf(f, "\nCannot access memory at %016llx\n", (unsigned long long)(a + b));
                return;
            }
            v |= mem_phys_read(h->cpu->mem, pa, 1) << (8 * b);
        }
        if (conv == 'x')
            fprintf(f, " 0x%0*llx", (int)size * 2, (unsigned long long)v);
        else if (conv == 'u')
            fprintf(f, " %llu", (unsigned long long)v);
        else  /* d: sign-extended from the unit's size */
            fprintf(f, " %lld", (long long)(size == 8 ? v : (uint64_t)((int64_t)(v << (64 - 8 * size)) >> (64 - 8 * size))));
    }
    fputc('\n', f);
}

/* `info ITEM': one word, nothing after it. */
static void info(const MonHost *h, const char *rest, FILE *f)
{
    static const char *const items[] = { "registers", "tlb", "mem", "mtree", "pic", "irq" };
    while (isspace((unsigned char)*rest))
        rest++;
    size_t n = strcspn(rest, " \t\n");
    unsigned i = 0;
    while (i < sizeof items / sizeof items[0] && (strlen(items[i]) != n || strncmp(rest, items[i], n)))
        i++;
    if (i == sizeof items / sizeof items[0] || rest[n + strspn(rest + n, " \t\n")]) {
        fprintf(f, "info: unknown item '%s' (registers, tlb, mem, mtree, pic, irq)\n", rest);
        return;
    }
    void (*board)(void *, FILE *) = i == 4 ? h->info_pic : h->info_irq;
    switch (i) {
    case 0: h->info_registers(h->cpu, f); break;
    case 1: mon_info_tlb(h->cpu, f); break;
    case 2: mon_info_mem(h->cpu, f); break;
    case 3: info_mtree(h->cpu->mem, f); break;
    default:
        if (board)
            board(h->opaque, f);
        else
            fprintf(f, "info %s: this machine has no interrupt controller\n", items[i]);
    }
}

int monitor_command(const MonHost *h, const char *line, FILE *f)
{
    while (isspace((unsigned char)*line))
        line++;
    char cmd[32];
    size_t n = 0;
    while (line[n] && !isspace((unsigned char)line[n]) && line[n] != '/' && n < sizeof cmd - 1) {
        cmd[n] = line[n];
        n++;
    }
    cmd[n] = 0;
    const char *rest = line + n;
    if (!strcmp(cmd, "help") || !strcmp(cmd, "?")) {
        fputs(help_text, f);
    } else if (!strcmp(cmd, "info")) {
        info(h, rest, f);
    } else if (!strcmp(cmd, "x") || !strcmp(cmd, "xp")) {
        const char *fmt = rest;
        while (*rest && !isspace((unsigned char)*rest))
            rest++;
        char fbuf[32];
        size_t fl = (size_t)(rest - fmt) < sizeof fbuf ? (size_t)(rest - fmt) : sizeof fbuf - 1;
        memcpy(fbuf, fmt, fl);
        fbuf[fl] = 0;
        memory_dump(h, cmd[1] == 'p', fbuf, rest, f);
    } else if (!strcmp(cmd, "system_reset")) {
        h->system_reset(h->opaque);
    } else if (!strcmp(cmd, "quit") || !strcmp(cmd, "q")) {
        return MON_QUIT;
    } else if (!strcmp(cmd, "stop") || !strcmp(cmd, "s")) {
        return MON_STOP;
    } else if (!strcmp(cmd, "cont") || !strcmp(cmd, "c")) {
        return MON_CONT;
    } else if (cmd[0]) {
        fprintf(f, "unknown command: '%s' (help lists them)\n", cmd);
    }
    return MON_DONE;
}

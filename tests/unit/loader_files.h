/* loader_files.h — what the loader unit tests (test_loader.c,
 * test_linux.c) share: CHECK, image files in a temporary directory, a PC
 * machine to load into, and the one-line error check. */
#ifndef RZ_TEST_LOADER_FILES_H
#define RZ_TEST_LOADER_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/uart.h"
#include "vm/machine.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

static char tmpdir[64];

static const char *tpath(const char *name)
{
    static char bufs[8][256];
    static int i;
    char *p = bufs[i++ & 7];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
    const char *p = tpath(name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        printf("cannot write %s\n", p);
        exit(2);
    }
    fclose(f);
    return p;
}

/* bios: the machine is built for -bios (no ACPI tables in the BIOS area). */
static Machine *new_machine(uint64_t ram, bool bios)
{
    Machine *m = calloc(1, sizeof *m);
    MachineConfig cfg = { .ram_size = ram, .serial = CHR_NONE, .icount_shift = -1, .bios = bios };
    char err[256];
    if (!m || machine_init_pc(m, &cfg, err, sizeof err)) {
        printf("machine_init_pc: %s\n", m ? err : "oom");
        exit(2);
    }
    return m;
}

static __attribute__((unused)) Machine *new_pc(uint64_t ram) { return new_machine(ram, false); }
static __attribute__((unused)) Machine *new_bios_pc(uint64_t ram) { return new_machine(ram, true); }

static void del_pc(Machine *m)
{
    machine_free(m);
    free(m);
}

/* The loader failed with one line that names path and contains what. */
static bool one_line_error(int rc, const char *err, const char *path, const char *what)
{
    bool ok = rc == -1 && strstr(err, path) && strstr(err, what) && !strchr(err, '\n');
    if (!ok)
        printf("  (rc %d, err '%s'; wanted '%s' and '%s')\n", rc, err, path, what);
    return ok;
}

static int make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rz_loader_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", tmpdir);
}

#endif

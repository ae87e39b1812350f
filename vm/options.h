/* options.h — parsers for command-line values with rules of their own,
 * apart from main.c so the tests call them directly. */
#ifndef RZ_OPTIONS_H
#define RZ_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* Most guest RAM -m accepts, whatever the host has. */
#define RZ_RAM_MAX (64ull << 30)

/* -m SIZE: digits (decimal, 0x hex or 0 octal) with an optional K, M, G or
 * T suffix, MiB without one.  At least 1 MiB, at most RZ_RAM_MAX and at
 * most host_bytes (the host's physical memory; 0: unknown, not checked).
 * 0, or -1 with a one-line reason in err. */
int parse_ram_size(const char *s, uint64_t host_bytes, uint64_t *out, char *err, size_t errlen);
/* The host's physical memory in bytes, 0 if it cannot be told. */
uint64_t host_memory_bytes(void);

/* -bin FILE@ADDR (the last '@' separates, so FILE may contain one):
 * *file is a malloc'd copy for the caller to free.  0, or -1 with a
 * one-line reason in err. */
int parse_bin_spec(const char *s, char **file, uint64_t *addr, char *err, size_t errlen);

#endif

/* options.c — command-line values with rules of their own (options.h). */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int parse_ram_size(const char *s, uint64_t host_bytes, uint64_t *out, char *err, size_t errlen)
{
    /* strtoull takes "-1" for 2^64-1 and skips blanks: a size starts with
     * a digit. */
    char *end;
    errno = 0;
    unsigned long long v = isdigit((unsigned char)s[0]) ? strtoull(s, &end, 0) : 0;
    if (!isdigit((unsigned char)s[0]) || errno) {
        snprintf(err, errlen, "-m: '%s' is not a size%s", s,
                 s[0] == '-' ? " (negative)" : errno == ERANGE ? " (too large)" : "");
        return -1;
    }
    unsigned shift = 20;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: break;
    }
    if (*end) {
        snprintf(err, errlen, "-m: '%s' is not a size", s);
        return -1;
    }
    /* Compared before shifting, so no value wraps into a small one. */
    if (v > RZ_RAM_MAX >> shift) {
        snprintf(err, errlen, "-m: '%s' is larger than the supported %lluG", s,
                 (unsigned long long)(RZ_RAM_MAX >> 30));
        return -1;
    }
    v <<= shift;
    if (v < (1ull << 20)) {
        snprintf(err, errlen, "-m: '%s' is too small: at least 1M is needed", s);
        return -1;
    }
    if (host_bytes && v > host_bytes) {
        snprintf(err, errlen, "-m: '%s' is larger than this host's memory (%llu MiB)", s,
                 (unsigned long long)(host_bytes >> 20));
        return -1;
    }
    *out = v;
    return 0;
}

uint64_t host_memory_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

int parse_bin_spec(const char *s, char **file, uint64_t *addr, char *err, size_t errlen)
{
    const char *at = strrchr(s, '@');
    if (!at || !at[1]) {
        snprintf(err, errlen, "-bin: '%s' should be FILE@ADDR", s);
        return -1;
    }
    if (at == s) {
        snprintf(err, errlen, "-bin: '%s' has no file name before the '@'", s);
        return -1;
    }
    char *end;
    errno = 0;
    *addr = isdigit((unsigned char)at[1]) ? strtoull(at + 1, &end, 0) : 0;
    if (!isdigit((unsigned char)at[1]) || errno || *end) {
        snprintf(err, errlen, "-bin: bad address in '%s'", s);
        return -1;
    }
    *file = strndup(s, (size_t)(at - s));
    if (!*file) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

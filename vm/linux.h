/* linux.h — -kernel for Linux bzImages: the x86 boot protocol
 * (Documentation/arch/x86/boot.rst) entered at the 32-bit or 64-bit entry,
 * with no real-mode setup code run.  Private to vm/ (machine.h has the
 * public machine_load_kernel). */
#ifndef RZ_LINUX_H
#define RZ_LINUX_H

#include "machine.h"

/* The oldest protocol the loader takes: 2.06 is the first with
 * cmdline_size (and has initrd_addr_max, relocatable_kernel and
 * kernel_alignment). */
#define LINUX_MIN_VERSION 0x0206

/* XLF_* in xloadflags. */
enum { XLF_KERNEL_64 = 1 << 0, XLF_CAN_BE_LOADED_ABOVE_4G = 1 << 1 };

/* What the loader reads from the setup header (boot.rst, "The real-mode
 * kernel header"), with the protocol's defaults for fields the image's
 * version does not have. */
typedef struct LinuxHeader {
    uint16_t version;           /* 0x206: 0x020f is 2.15 */
    unsigned setup_sects;       /* 0x1f1, 0 read as 4 */
    uint8_t loadflags;          /* 0x211 */
    uint32_t code32_start;      /* 0x214 */
    uint32_t initrd_addr_max;   /* 0x22c: highest byte an initrd may occupy */
    uint32_t kernel_alignment;  /* 0x230 */
    uint8_t relocatable;        /* 0x234 */
    uint16_t xloadflags;        /* 0x236, 2.12+ (0 before) */
    uint32_t cmdline_size;      /* 0x238: longest command line, without the NUL */
    uint64_t pref_address;      /* 0x258, 2.10+ (0x100000 before) */
    uint32_t init_size;         /* 0x260, 2.10+: room the kernel needs from its runtime start */
    size_t setup_size;          /* (setup_sects + 1) * 512: where the protected-mode code starts */
    size_t kernel_size;         /* bytes of protected-mode code (the rest of the file) */
    size_t hdr_end;             /* 0x202 + byte 0x201: the end of the setup header */
} LinuxHeader;

/* Whether buf is a bzImage: "HdrS" at 0x202. */
bool linux_is_bzimage(const uint8_t *buf, size_t len);
/* Reads and checks the setup header; on failure a one-line reason naming
 * path in err. */
int linux_parse_header(const char *path, const uint8_t *buf, size_t len, LinuxHeader *h,
                       char *err, size_t errlen);
/* The physical range the kernel needs before it reads its memory map, as
 * boot.rst's init_size section computes it for a kernel loaded at load. */
uint64_t linux_runtime_start(const LinuxHeader *h, uint64_t load);

/* Where the loader puts its own structures (all below 640 KiB). */
#define LINUX_GDT 0x1000
#define LINUX_STACK 0x7000
#define LINUX_ZERO_PAGE 0x7000
#define LINUX_CMDLINE 0x20000
#define LINUX_CMDLINE_MAX 0xffff       /* the room at LINUX_CMDLINE, without the NUL */
#define LINUX_PAGE_TABLES 0x30000      /* PML4, PDPT and four page directories */

/* Loads the kernel (at pref_address when relocatable, else 1 MiB), the
 * initrd (top of RAM below initrd_addr_max) and the command line, builds
 * boot_params and the entry state: the 64-bit entry (load + 0x200) for
 * XLF_KERNEL_64 kernels, the 32-bit one (load) otherwise. */
int linux_load(Machine *m, const char *path, const uint8_t *buf, size_t len,
               const char *cmdline, const char *initrd, char *err, size_t errlen);

#endif

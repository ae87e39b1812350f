/* loader.h — helpers shared by the image loaders (loader.c, multiboot.c).
 * Private to vm/: the public entry points are in machine.h. */
#ifndef RZ_LOADER_H
#define RZ_LOADER_H

#include "machine.h"

/* Opens a regular file (anything else, /dev/zero or a pipe, is refused
 * before a byte is read) and gives its size: the descriptor, or -1 with
 * "<path>: <reason>" in err. */
int loader_open(const char *path, uint64_t *size, char *err, size_t errlen);
/* Reads the size bytes of a file from loader_open and closes fd; NULL with
 * "<path>: <reason>" in err. */
uint8_t *loader_read_fd(int fd, const char *path, uint64_t size, char *err, size_t errlen);
/* The whole of a regular file no larger than guest RAM (which nothing
 * larger could fit in); NULL with "<path>: <reason and sizes>" in err. */
uint8_t *loader_read_file(Machine *m, const char *path, size_t *len, char *err, size_t errlen);
/* Whether [pa, pa + len) is guest RAM a loader may fill: inside -m and
 * outside the legacy hole.  On failure, err says "<path>: <what> at ..."
 * and why. */
bool loader_ram_ok(Machine *m, const char *path, const char *what, uint64_t pa,
                   uint64_t len, char *err, size_t errlen);
/* Copies filesz bytes to pa and zeroes up to memsz, after loader_ram_ok. */
int loader_place(Machine *m, const char *path, const char *what, uint64_t pa,
                 const uint8_t *src, uint64_t filesz, uint64_t memsz, char *err, size_t errlen);
/* Loads the PT_LOAD segments of an ELF32 (EM_386) or ELF64 (EM_X86_64)
 * image at their physical addresses.  *mode is CODE32 or CODE64 by class,
 * *end the highest byte loaded + 1.  A non-ELF buffer is an error. */
int loader_elf(Machine *m, const char *path, const uint8_t *buf, size_t len,
               uint64_t *entry, uint64_t *end, int *mode, char *err, size_t errlen);
/* The Multiboot v1 header: its offset in buf, or -1 when there is none;
 * -2 (with err set) when the only candidates have a bad checksum. */
long multiboot_find(const char *path, const uint8_t *buf, size_t len, char *err, size_t errlen);
/* Loads a Multiboot kernel whose header is at hdr_off, its modules (the
 * comma-separated list initrd, may be NULL) and the information structure,
 * and sets the CPU up as the Multiboot specification says. */
int multiboot_load(Machine *m, const char *path, const uint8_t *buf, size_t len, size_t hdr_off,
                   const char *cmdline, const char *initrd, char *err, size_t errlen);

#endif

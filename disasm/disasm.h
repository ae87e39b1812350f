/* disasm.h — Capstone wrapper for traces, errors and the debugger.
 * Never on a hot path. */
#ifndef RZ_DISASM_H
#define RZ_DISASM_H

#include <stddef.h>
#include <stdint.h>

/* Disassembles one instruction of bits-bit code (16, 32 or 64) at addr into
 * out ("mov eax, 1"); returns its length, or 0 with "(bad)" when Capstone
 * rejects the bytes. */
int disasm_one(const uint8_t *code, size_t len, unsigned bits, uint64_t addr,
               char *out, size_t outlen);

#endif

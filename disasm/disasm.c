/* disasm.c — one-instruction disassembly through Capstone. */
#include "disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>

int disasm_one(const uint8_t *code, size_t len, unsigned bits, uint64_t addr,
               char *out, size_t outlen)
{
    csh h;
    cs_mode mode = bits == 64 ? CS_MODE_64 : bits == 32 ? CS_MODE_32 : CS_MODE_16;
    if (cs_open(CS_ARCH_X86, mode, &h) != CS_ERR_OK) {
        snprintf(out, outlen, "(capstone unavailable)");
        return 0;
    }
    cs_insn *insn;
    size_t n = cs_disasm(h, code, len, addr, 1, &insn);
    int ret = 0;
    if (n == 1) {
        snprintf(out, outlen, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
        ret = insn->size;
        cs_free(insn, n);
    } else {
        snprintf(out, outlen, "(bad)");
    }
    cs_close(&h);
    return ret;
}

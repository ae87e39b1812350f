/* x87_mem.c — loads and stores with memory: FLD/FILD/FBLD and
 * FST/FSTP/FIST/FISTP/FISTTP/FBSTP in every memory format.  The format
 * conversion (rounding, integer and BCD indefinites, SNaN quieting, DE on
 * denormal sources) is the host unit's; see x87_host.c. */
#include "x87.h"

/* Operand size by opcode and ModRM.reg (0 = not a load/store row). */
static unsigned mem_size(const Insn *in)
{
    unsigned e = (in->modrm >> 3) & 7;
    switch (in->opc) {
    case 0xd9: return 4;                               /* m32fp */
    case 0xdd: return 8;                               /* m64fp, FISTTP m64int */
    case 0xdb: return (e == 5 || e == 7) ? 10 : 4;     /* m80fp / m32int */
    case 0xdf: return (e == 4 || e == 6) ? 10 : (e == 5 || e == 7) ? 8 : 2;
    default: return 0;
    }
}

void X87_LOAD_M(CPU *cpu, const Insn *in)
{
    x87_exec(cpu, in, XS_PUSH | XS_MIN | XS_MSIZE(mem_size(in)));
}

void X87_STORE_M(CPU *cpu, const Insn *in)
{
    unsigned e = (in->modrm >> 3) & 7;
    /* Row 2 (FST/FIST) keeps ST(0); FISTTP (1), FSTP/FISTP (3), FBSTP (6)
     * and the m80/m64int FSTP/FISTP (7) pop. */
    bool pop = e != 2;
    x87_exec(cpu, in, XS_R0 | XS_MOUT | XS_MSIZE(mem_size(in)) | (pop ? XS_POP : 0));
}

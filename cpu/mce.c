/* mce.c — the machine-check architecture's global MSRs.
 *
 * CPUID advertises MCE and MCA (leaf 1 EDX[7], [14]) for both models, as
 * every real Intel 64 and AMD64 CPU does, with zero error-reporting banks:
 * nothing here ever reports an error, and a kernel that reads
 * IA32_MCG_CAP.Count = 0 sets up no banks.  The difference between the
 * vendors is IA32_MCG_CTL: AMD always has it (MCG_CAP.MCG_CTL_P = 1, APM 2
 * 9.3.1), Intel only where MCG_CTL_P says so (SDM 3B 16.3.1.3), and this
 * Intel model says not.  MCi_* bank MSRs (0x400 + 4i) do not exist.
 */
#include "model.h"
#include "sys.h"

enum {
    MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17a, MSR_MCG_CTL = 0x17b,
    MCG_CTL_P = 1u << 8,
    /* RIPV EIPV MCIP (and LMCE_S on Intel) */
    MCG_STATUS_BITS = 0xf,
};

static uint64_t mcg_cap(const CPU *cpu)
{
    return cpu->model->vendor == VENDOR_AMD ? MCG_CTL_P : 0;  /* Count = 0 */
}

bool mce_msr_read(CPU *cpu, uint32_t msr, uint64_t *v)
{
    switch (msr) {
    case MSR_MCG_CAP: *v = mcg_cap(cpu); return true;
    case MSR_MCG_STATUS: *v = cpu->mcg_status; return true;
    case MSR_MCG_CTL:
        *v = 0;  /* one enable bit per bank: none */
        return (mcg_cap(cpu) & MCG_CTL_P) != 0;
    default: return false;
    }
}

bool mce_msr_write(CPU *cpu, uint32_t msr, uint64_t v)
{
    switch (msr) {
    case MSR_MCG_CAP: return false;  /* read-only */
    case MSR_MCG_STATUS:
        if (v & ~(uint64_t)MCG_STATUS_BITS)
            return false;
        cpu->mcg_status = v;
        return true;
    case MSR_MCG_CTL:
        /* Enable bits of banks that do not exist are dropped (Linux writes
         * all ones). */
        return (mcg_cap(cpu) & MCG_CTL_P) != 0;
    default: return false;
    }
}

/* ctlregs.h — the bits of CR0, CR4 and EFER (Intel SDM vol. 3 2.5, 2.2.1).
 *
 * Named once for the whole emulator.  They live in softmmu/, the lowest
 * layer that reads them (the walker and the TLB need CR0.PG/WP, CR4.PSE/
 * PAE/PGE, EFER.LMA/NXE), so the CPU core, which owns the registers, and
 * the tests take them from here instead of each keeping a copy.  No
 * dependencies: anything may include it.
 */
#ifndef RZ_CTLREGS_H
#define RZ_CTLREGS_H

enum {
    CR0_PE = 1u << 0, CR0_MP = 1u << 1, CR0_EM = 1u << 2, CR0_TS = 1u << 3,
    CR0_ET = 1u << 4, CR0_NE = 1u << 5, CR0_WP = 1u << 16, CR0_AM = 1u << 18,
    CR0_NW = 1u << 29, CR0_CD = 1u << 30, CR0_PG = 1u << 31,
};
enum {
    CR4_VME = 1u << 0, CR4_PVI = 1u << 1, CR4_TSD = 1u << 2, CR4_DE = 1u << 3,
    CR4_PSE = 1u << 4, CR4_PAE = 1u << 5, CR4_MCE = 1u << 6, CR4_PGE = 1u << 7,
    CR4_PCE = 1u << 8, CR4_OSFXSR = 1u << 9, CR4_OSXMMEXCPT = 1u << 10,
};
enum {
    EFER_SCE = 1u << 0, EFER_LME = 1u << 8, EFER_LMA = 1u << 10, EFER_NXE = 1u << 11,
    EFER_FFXSR = 1u << 14,
};

#endif

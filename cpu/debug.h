/* debug.h — debug exceptions (#DB: EFLAGS.TF single-step, DR0-DR3
 * instruction and data breakpoints, DR7.GD) and alignment checking (#AC).
 *
 * Nothing here costs anything while unused: cpu->debug_active (DBG_*) is
 * non-zero only while TF or RF is set, DR7 enables a breakpoint, a host
 * debugger has breakpoints or watchpoints (cpu->host_break/host_watch), or #AC
 * checking is in force (CPL 3 with CR0.AM and EFLAGS.AC).  Then
 *   DBG_STEP  the loop runs one instruction at a time between
 *             debug_before and debug_after (instruction breakpoints, RF,
 *             the single-step and data-breakpoint traps);
 *   DBG_DATA  every read and write tag of the TLB carries TLB_WATCH, so
 *             each data access reaches the softmmu slow path, which calls
 *             debug_data_access (#AC and data breakpoints);
 *   DBG_WRITES_ONLY  with DBG_DATA, when only a host watcher that asks
 *             for writes alone (cpu->host_watch_writes) wants it: read
 *             tags stay clear, so reads that hit the TLB are not shown.
 * debug_update recomputes it; it is called wherever TF/RF/AC, CPL,
 * CR0.AM or DR7 can change (cpu_set_eflags, cpu_update_mode, MOV DRn,
 * cpu_run's entry, after each stepped instruction).
 */
#ifndef RZ_DEBUG_H
#define RZ_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

enum { DBG_STEP = 1, DBG_DATA = MMU_WATCH_DATA, DBG_WRITES_ONLY = MMU_WATCH_WRITES_ONLY /* softmmu/mmu.h */ };

/* DR6 status bits (B0-B3 are 1 << n) and the DR7 bits used here. */
enum { DR6_BD = 1u << 13, DR6_BS = 1u << 14, DR6_BT = 1u << 15 };
enum { DR7_GD = 1u << 13 };

/* Breakpoint n is enabled (Ln or Gn) and watches data (R/W 01 or 11). */
static inline bool dr7_watches_data(uint64_t dr7)
{
    for (unsigned i = 0; i < 4; i++)
        if (((dr7 >> (2 * i)) & 3) && ((dr7 >> (16 + 4 * i)) & 1))
            return true;
    return false;
}

static inline unsigned debug_wanted(const CPU *cpu)
{
    uint32_t fl = cpu->eflags;
    uint64_t dr7 = cpu->dr[7];
    unsigned a = 0;
    if ((fl & (F_TF | F_RF)) || (dr7 & 0xff) || cpu->dbg_ss || cpu->host_break)
        a |= DBG_STEP;
    if (((fl & F_AC) && cpu->cpl == 3 && (cpu->cr0 & CR0_AM)) ||
        ((dr7 & 0xff) && dr7_watches_data(dr7)))
        a |= DBG_DATA;
    else if (cpu->host_watch)
        a |= DBG_DATA | (cpu->host_watch_writes ? DBG_WRITES_ONLY : 0);
    return a;
}

/* Sets debug_active to a, marking or unmarking the TLB for DBG_DATA. */
void debug_switch(CPU *cpu, unsigned a);

static inline void debug_update(CPU *cpu)
{
    unsigned a = debug_wanted(cpu);
    if (a != cpu->debug_active)
        debug_switch(cpu, a);
}

/* Before a stepped instruction at cpu->rip (before its fetch): raises the
 * #DB fault of a matching instruction breakpoint unless RF is set, then
 * clears RF.  Returns the trap bits already due after this instruction
 * (traps held over MOV SS, and a mark that TF was set at its start, which
 * debug_after turns into DR6.BS unless it was a software interrupt). */
unsigned debug_before(CPU *cpu);
/* After it completed (rip advanced, or still at start for a REP string
 * instruction with iterations left): delivers the #DB trap for pending
 * plus data breakpoints hit, unless in was MOV SS / POP SS, which holds
 * them over one more instruction. */
void debug_after(CPU *cpu, const Insn *in, uint64_t start, unsigned pending);

/* Softmmu slow path, DBG_DATA only: one data access of size (1..8) bytes
 * at lin; access is ACC_READ/ACC_WRITE, maybe | ACC_SUPER.  Raises #AC(0)
 * (after any #PF the access would take), records data breakpoints. */
void debug_data_access(CPU *cpu, uint64_t lin, unsigned size, int access);
/* cpu_read_block/cpu_write_block, DBG_DATA only: the same for a whole
 * operand (x87 m80/environment, 16-byte vectors, FXSAVE image) with the
 * alignment its data type needs; its byte pieces are then not checked. */
void debug_block_access(CPU *cpu, uint64_t lin, unsigned size, int access);
/* MOV to or from a DRn: the general-detect #DB fault when DR7.GD is set. */
void debug_mov_dr(CPU *cpu);

#endif

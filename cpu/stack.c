/* stack.c — ENTER, LEAVE, PUSHA, POPA, PUSHF, POPF.
 *
 * Multi-slot stack forms compute every address from a local stack pointer,
 * do all loads, check all stores, and only then write memory and commit
 * rSP/rBP, so a fault anywhere leaves the registers untouched.
 */
#include "operand.h"

static unsigned iopl(const CPU *cpu) { return (cpu->eflags >> 12) & 3; }

/* Reads osz bytes at SS:off as ENTER's display copy sees them: bytes that
 * an earlier push of the same ENTER already (virtually) wrote come from
 * slots[0..written), slot i lying at frame - i*osz; the rest from memory.
 * Real CPUs interleave the reads and pushes, so an old frame that overlaps
 * the new one reads freshly pushed values. */
static uint64_t display_read(CPU *cpu, uint64_t off, unsigned osz, uint64_t sm, uint64_t frame,
                             const uint64_t *slots, unsigned written)
{
    uint64_t v = cpu_read(cpu, S_SS, off, osz);
    uint64_t top = frame + osz;
    for (unsigned j = 0; j < osz; j++) {
        uint64_t a = (off + j) & sm;
        uint64_t k = (top - a) & sm;  /* 1 for the highest pushed byte */
        if (k == 0 || k > (uint64_t)written * osz)
            continue;
        unsigned i = (unsigned)((k - 1) / osz);
        unsigned byte = (unsigned)((a - (frame - (uint64_t)i * osz)) & sm);
        uint64_t b = (slots[i] >> (8 * byte)) & 0xff;
        v = (v & ~(0xffull << (8 * j))) | (b << (8 * j));
    }
    return v;
}

/* ENTER imm16, imm8: push rBP, copy level-1 frame pointers from the
 * caller's display, push the new frame pointer, allocate imm16 bytes.
 * The pushes are collected in slots[] and written only once every read
 * and every store has been checked. */
void ENTER(CPU *cpu, const Insn *in)
{
    unsigned ss = cpu_stack_size(cpu), osz = in->osz;
    uint64_t sm = size_mask(ss);
    unsigned level = in->imm2 & 31;
    uint64_t alloc = in->imm & 0xffff;
    uint64_t bp = cpu->regs[R_BP] & sm;
    uint64_t frame = (cpu->regs[R_SP] - osz) & sm;
    /* FrameTemp is rSP after the push of rBP as a whole register (SDM
     * pseudo-code; measured on the host with a 16-bit SS): on a 16-bit
     * stack a 32-bit ENTER pushes and puts in EBP the upper half of ESP
     * with the new SP, not SP alone. */
    uint64_t frame_temp = (cpu->regs[R_SP] & ~sm) | frame;
    uint64_t slots[33];
    unsigned n = 0;

    slots[n++] = get_reg(cpu, R_BP, osz);
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            bp = (bp - osz) & sm;
            slots[n] = display_read(cpu, bp, osz, sm, frame, slots, n);
            n++;
        }
        slots[n++] = frame_temp;
    }
    uint64_t final_sp = (frame - (n - 1) * (uint64_t)osz - alloc) & sm;
    for (unsigned i = 0; i < n; i++)
        cpu_check_write(cpu, S_SS, (frame - (uint64_t)i * osz) & sm, osz);
    /* A write at the new stack top must be possible: within SS (limit, or
     * canonical form) and on a writable page at this CPL (SDM: #SS, #PF
     * "if a write using the final value of the stack pointer" would
     * fault). */
    if (alloc)
        cpu_check_write(cpu, S_SS, final_sp, 1);
    for (unsigned i = 0; i < n; i++)
        cpu_write(cpu, S_SS, (frame - (uint64_t)i * osz) & sm, osz, slots[i]);
    /* rBP takes the frame pointer at the operand size (66 ENTER in 64-bit
     * code replaces only BP, as on this host). */
    set_reg(cpu, R_BP, osz, frame_temp);
    set_reg(cpu, R_SP, ss, final_sp);
}

void LEAVE(CPU *cpu, const Insn *in)
{
    unsigned ss = cpu_stack_size(cpu);
    uint64_t bp = cpu->regs[R_BP] & size_mask(ss);
    uint64_t v = cpu_read(cpu, S_SS, bp, in->osz);
    set_reg(cpu, R_SP, ss, bp + in->osz);
    set_reg(cpu, R_BP, in->osz, v);
}

/* PUSHA stores AX CX DX BX SP(original) BP SI DI, from the top down. */
void PUSHA(CPU *cpu, const Insn *in)
{
    unsigned ss = cpu_stack_size(cpu), osz = in->osz;
    uint64_t sm = size_mask(ss);
    uint64_t sp = cpu->regs[R_SP] & sm;
    for (unsigned r = 0; r < 8; r++)
        cpu_check_write(cpu, S_SS, (sp - (r + 1) * osz) & sm, osz);
    for (unsigned r = 0; r < 8; r++)
        cpu_write(cpu, S_SS, (sp - (r + 1) * osz) & sm, osz, get_reg(cpu, r, osz));
    set_reg(cpu, R_SP, ss, sp - 8 * osz);
}

/* POPA reloads all but SP, whose slot is skipped. */
void POPA(CPU *cpu, const Insn *in)
{
    unsigned ss = cpu_stack_size(cpu), osz = in->osz;
    uint64_t sm = size_mask(ss);
    uint64_t sp = cpu->regs[R_SP] & sm;
    uint64_t v[8];
    for (unsigned i = 0; i < 8; i++)
        v[7 - i] = cpu_read(cpu, S_SS, (sp + i * osz) & sm, osz);
    for (unsigned r = 0; r < 8; r++)
        if (r != R_SP)
            set_reg(cpu, r, osz, v[r]);
    set_reg(cpu, R_SP, ss, sp + 8 * osz);
}

/* The image PUSHF stores never shows VM or RF. */
void PUSHF(CPU *cpu, const Insn *in)
{
    uint32_t f = cpu_get_eflags(cpu);
    if ((cpu->eflags & F_VM) && iopl(cpu) < 3) {
        /* Virtual-8086 without IOPL 3: only the VME 16-bit form, which
         * shows VIF as IF and IOPL as 3. */
        if (!(cpu->cr4 & CR4_VME) || in->osz != 2)
            cpu_gp0(cpu);
        f = (f & ~(uint32_t)F_IF) | ((f & F_VIF) ? F_IF : 0) | F_IOPL;
    }
    cpu_push(cpu, f & ~(uint32_t)(F_VM | F_RF), in->osz);
}

/* Which bits POPF may change depends on mode, CPL and IOPL (SDM POPF):
 * IOPL only at CPL 0, IF only when CPL <= IOPL; VM, VIP and VIF never
 * outside the VME path; RF is always cleared. */
void POPF(CPU *cpu, const Insn *in)
{
    const uint32_t base = F_OSZAPC | F_TF | F_DF | F_NT | F_AC | F_ID;
    uint32_t cur = cpu_get_eflags(cpu);
    uint32_t mask = base | F_IF | F_IOPL;
    if (cpu->eflags & F_VM) {
        if (iopl(cpu) < 3) {
            if (!(cpu->cr4 & CR4_VME) || in->osz != 2)
                cpu_gp0(cpu);
            unsigned ss = cpu_stack_size(cpu);
            uint64_t sp = cpu->regs[R_SP] & size_mask(ss);
            uint32_t v = (uint32_t)cpu_read(cpu, S_SS, sp, 2);
            if (((v & F_IF) && (cur & F_VIP)) || (v & F_TF))
                cpu_gp0(cpu);
            set_reg(cpu, R_SP, ss, sp + 2);
            /* The image's IF goes to VIF; the real IF and IOPL stay. */
            cpu_set_eflags(cpu, v | ((v & F_IF) ? F_VIF : 0), (base & 0xffff) | F_VIF);
            return;
        }
        mask &= ~(uint32_t)F_IOPL;
    } else {
        if (cpu->cpl > 0)
            mask &= ~(uint32_t)F_IOPL;
        if (cpu->cpl > iopl(cpu))
            mask &= ~(uint32_t)F_IF;
    }
    if (in->osz == 2)
        mask &= 0xffff;
    uint32_t v = (uint32_t)cpu_pop(cpu, in->osz);
    cpu_set_eflags(cpu, v & ~(uint32_t)F_RF, mask | F_RF);
}

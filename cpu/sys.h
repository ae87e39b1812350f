/* sys.h — system architecture shared by seg.c, interrupt.c, farctl.c,
 * task.c, system.c and msr.c (private to cpu/). */
#ifndef RZ_SYS_H
#define RZ_SYS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

/* CR0, CR4 and EFER bits: softmmu/ctlregs.h (through cpu.h). */

/* Descriptor types (attr bits 0..4 = type | S) */
enum {
    DT_TSS16_AVAIL = 1, DT_LDT = 2, DT_TSS16_BUSY = 3, DT_CALLGATE16 = 4, DT_TASKGATE = 5,
    DT_INTGATE16 = 6, DT_TRAPGATE16 = 7, DT_TSS32_AVAIL = 9, DT_TSS32_BUSY = 11,
    DT_CALLGATE32 = 12, DT_INTGATE32 = 14, DT_TRAPGATE32 = 15,
};

/* A descriptor as read from a table: the raw 8 bytes (and, for 16-byte
 * system descriptors in long mode, the upper 8). */
typedef struct Desc { uint32_t lo, hi; uint64_t hi64; } Desc;

static inline uint16_t desc_attr(const Desc *d) { return (uint16_t)((d->hi >> 8) & 0xf0ff); }
static inline unsigned desc_dpl(const Desc *d) { return (d->hi >> 13) & 3; }
static inline bool desc_present(const Desc *d) { return (d->hi >> 15) & 1; }
static inline bool desc_s(const Desc *d) { return (d->hi >> 12) & 1; }
static inline unsigned desc_type(const Desc *d) { return (d->hi >> 8) & 15; }
static inline bool desc_code(const Desc *d) { return desc_s(d) && (d->hi & (1u << 11)); }
static inline bool desc_conforming(const Desc *d) { return desc_code(d) && (d->hi & (1u << 10)); }
static inline uint64_t desc_base(const Desc *d)
{
    return (d->lo >> 16) | ((uint64_t)(d->hi & 0xff) << 16) | (uint64_t)(d->hi & 0xff000000u);
}
static inline uint32_t desc_limit(const Desc *d)
{
    uint32_t l = (d->lo & 0xffff) | (d->hi & 0x000f0000u);
    return (d->hi & (1u << 23)) ? (l << 12) | 0xfff : l;
}
/* Gate fields */
static inline uint16_t gate_sel(const Desc *d) { return (uint16_t)(d->lo >> 16); }
static inline uint64_t gate_off(const Desc *d, bool wide)
{
    return (d->lo & 0xffff) | (wide ? (d->hi & 0xffff0000u) : 0);
}

static inline bool long_mode(const CPU *cpu) { return (cpu->efer & EFER_LMA) != 0; }
static inline bool prot_mode(const CPU *cpu) { return (cpu->cr0 & CR0_PE) && !(cpu->eflags & F_VM); }
static inline unsigned iopl(const CPU *cpu) { return (cpu->eflags >> 12) & 3; }

/* Error code for a selector (EXT from the event being delivered). */
static inline uint32_t sel_err(const CPU *cpu, uint16_t sel) { return (sel & 0xfffcu) | cpu->event_ext; }
_Noreturn void raise_sel(CPU *cpu, int vector, uint16_t sel);

/* Supervisor-mode linear access for descriptor tables and the TSS (the
 * CPU's implicit accesses, allowed on supervisor pages even at CPL 3). */
uint64_t sys_read(CPU *cpu, uint64_t lin, unsigned size);
void sys_write(CPU *cpu, uint64_t lin, uint64_t val, unsigned size);

/* seg.c */
/* Reads the descriptor for sel from the GDT/LDT; false if outside the limit
 * (or an LDT selector with no LDT). */
bool desc_read(CPU *cpu, uint16_t sel, Desc *d);
/* Reads a 16-byte system descriptor (long mode GDT). */
bool desc_read_sys(CPU *cpu, uint16_t sel, Desc *d);
void desc_write_hi(CPU *cpu, uint16_t sel, uint32_t hi);
void desc_set_accessed(CPU *cpu, uint16_t sel, Desc *d);
void seg_from_desc(Seg *s, uint16_t sel, const Desc *d);
void seg_real(CPU *cpu, int sreg, uint16_t sel);     /* real/v86 load */
void seg_null(Seg *s, uint16_t sel);                  /* null selector: unusable */
/* MOV/POP/LxS semantics: full checks, then loads the cache. */
void load_seg(CPU *cpu, int sreg, uint16_t sel);
/* Checks sel as a stack segment for privilege level dpl (task switch,
 * inner stack): returns its descriptor or raises #TS/#SS(fault vector). */
void check_stack_seg(CPU *cpu, uint16_t sel, unsigned dpl, Desc *d, int vec);
/* Installs CS and sets CPL, code_mode. */
void load_cs(CPU *cpu, uint16_t sel, const Desc *d, unsigned cpl);
/* After a return to an outer level: data segments the new CPL may not use
 * become null. */
void seg_validate_outer(CPU *cpu);
void cpu_update_mode(CPU *cpu);

/* farctl.c */
void far_jump_or_call(CPU *cpu, uint16_t sel, uint64_t off, unsigned osz, bool call);

/* task.c: reason is one of */
enum { TS_JMP, TS_CALL, TS_IRET, TS_INT };
/* Switches to the task whose TSS descriptor d (selector sel) was read;
 * ret_eip is saved as the outgoing task's EIP. */
void task_switch(CPU *cpu, uint16_t sel, const Desc *d, int reason, uint64_t ret_eip);
/* Reads the inner stack SS:ESP for level dpl from the current TSS. */
void tss_stack(CPU *cpu, unsigned dpl, uint16_t *ss, uint64_t *sp);

/* system.c */
void priv_check(CPU *cpu);  /* #GP(0) unless CPL 0 */
void set_cr0(CPU *cpu, uint64_t v);
void set_cr4(CPU *cpu, uint64_t v);
void set_efer(CPU *cpu, uint64_t v);

/* interrupt.c */
void deliver_event(CPU *cpu, int vector, uint64_t return_rip, bool software, bool has_error,
                   uint32_t error);

/* The machine-check MSRs (mce.c): false when msr is not one of them or
 * the access is invalid (#GP at the caller). */
bool mce_msr_read(CPU *cpu, uint32_t msr, uint64_t *v);
bool mce_msr_write(CPU *cpu, uint32_t msr, uint64_t v);

#endif

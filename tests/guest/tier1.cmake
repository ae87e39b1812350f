# Tier 1 against tier 0 (docs/tier1.md): guests whose point is the
# translator's lockstep variant (guest_lockstep_*), which checks every
# translated block against the interpreter.
rz_guest_c(tier1_undef_flags32 BITS 32 SRCS tier1/undef_flags.c)
rz_guest_c(tier1_undef_flags64 BITS 64 SRCS tier1/undef_flags.c)
rz_guest_c(tier1_mem_cross32 BITS 32 SRCS tier1/mem_cross.c)
rz_guest_c(tier1_mem_cross64 BITS 64 SRCS tier1/mem_cross.c)

# Tier 1 against tier 0 (docs/tier1.md): guests whose point is the
# translator's lockstep variant (guest_lockstep_*), which checks every
# translated block against the interpreter.
rz_guest_c(tier1_undef_flags32 BITS 32 SRCS tier1/undef_flags.c)
rz_guest_c(tier1_undef_flags64 BITS 64 SRCS tier1/undef_flags.c)
rz_guest_c(tier1_mem_cross32 BITS 32 SRCS tier1/mem_cross.c)
rz_guest_c(tier1_mem_cross64 BITS 64 SRCS tier1/mem_cross.c)
rz_guest_c(tier1_trace32 BITS 32 SRCS tier1/trace.c)
rz_guest_c(tier1_trace64 BITS 64 SRCS tier1/trace.c)
# Traces did form there (at the default threshold), and their side exits chained.
foreach(bits 32 64)
  if(TARGET guest_tier1_trace${bits})
    add_test(NAME guest_tier1_trace${bits}_stats
             COMMAND $<TARGET_FILE:ringzero> -kernel ${CMAKE_CURRENT_BINARY_DIR}/tier1_trace${bits}.elf -d tbstats)
    set_tests_properties(guest_tier1_trace${bits}_stats PROPERTIES LABELS "guest;dbt" TIMEOUT 60
                         PASS_REGULAR_EXPRESSION "tier 1: [1-9][0-9]* traces")
  endif()
endforeach()
rz_guest_c(tier1_moffs32 BITS 32 SRCS tier1/moffs.c)
rz_guest_c(tier1_moffs64 BITS 64 SRCS tier1/moffs.c)
rz_guest_c(tier1_flags_mem32 BITS 32 SRCS tier1/flags_mem.c)
rz_guest_c(tier1_flags_mem64 BITS 64 SRCS tier1/flags_mem.c)
rz_guest_c(tier1_loop32 BITS 32 SRCS tier1/loop.c)
rz_guest_c(tier1_loop64 BITS 64 SRCS tier1/loop.c)
# The loops did close inside their translations.
foreach(bits 32 64)
  if(TARGET guest_tier1_loop${bits})
    add_test(NAME guest_tier1_loop${bits}_stats
             COMMAND $<TARGET_FILE:ringzero> -kernel ${CMAKE_CURRENT_BINARY_DIR}/tier1_loop${bits}.elf -d tbstats)
    set_tests_properties(guest_tier1_loop${bits}_stats PROPERTIES LABELS "guest;dbt" TIMEOUT 60
                         PASS_REGULAR_EXPRESSION "[1-9][0-9]* loops \\(back to their head")
  endif()
endforeach()

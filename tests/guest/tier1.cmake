# Tier 1 against tier 0 (docs/tier1.md): guests whose point is the
# translator's lockstep variant (guest_lockstep_*), which checks every
# translated block against the interpreter.
rz_guest_c(tier1_undef_flags32 BITS 32 SRCS tier1/undef_flags.c)
rz_guest_c(tier1_undef_flags64 BITS 64 SRCS tier1/undef_flags.c)
rz_guest_c(tier1_mem_cross32 BITS 32 SRCS tier1/mem_cross.c)
rz_guest_c(tier1_mem_cross64 BITS 64 SRCS tier1/mem_cross.c)
rz_guest_c(tier1_trace32 BITS 32 SRCS tier1/trace.c)
rz_guest_c(tier1_trace64 BITS 64 SRCS tier1/trace.c)
rz_guest_c(tier1_moffs32 BITS 32 SRCS tier1/moffs.c)
rz_guest_c(tier1_moffs64 BITS 64 SRCS tier1/moffs.c)
rz_guest_c(tier1_flags_mem32 BITS 32 SRCS tier1/flags_mem.c)
rz_guest_c(tier1_flags_mem64 BITS 64 SRCS tier1/flags_mem.c)
rz_guest_c(tier1_loop32 BITS 32 SRCS tier1/loop.c)
rz_guest_c(tier1_loop64 BITS 64 SRCS tier1/loop.c)
# Traces did form (at the default threshold) and loops closed inside them.
foreach(t "trace;traces \\(translations" "loop;loops \\(back to their head")
  list(GET t 0 name)
  list(GET t 1 want)
  foreach(bits 32 64)
    if(TARGET guest_tier1_${name}${bits})
      add_test(NAME guest_tier1_${name}${bits}_stats
               COMMAND $<TARGET_FILE:ringzero> -kernel ${CMAKE_CURRENT_BINARY_DIR}/tier1_${name}${bits}.elf -d tbstats)
      set_tests_properties(guest_tier1_${name}${bits}_stats PROPERTIES LABELS "guest;dbt" TIMEOUT 60
                           PASS_REGULAR_EXPRESSION "[^0-9][1-9][0-9]* ${want}")
    endif()
  endforeach()
endforeach()

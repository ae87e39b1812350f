# Tier 1 against tier 0 (docs/tier1.md): guests whose point is the
# translator's lockstep variant (guest_lockstep_*), which checks every
# translated block against the interpreter.
foreach(name undef_flags mem_cross trace moffs flags_mem loop)
  foreach(bits 32 64)
    rz_guest_c(tier1_${name}${bits} BITS ${bits} SRCS tier1/${name}.c)
  endforeach()
endforeach()
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

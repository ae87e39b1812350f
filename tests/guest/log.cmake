# -d logging (vm/log.c) and the triple-fault report and reset (vm/machine.c).
# These guests are judged by what ringzero prints and its exit status, so
# they run through log/check_log.cmake with a pattern file (log/*.expect)
# instead of run_guest.cmake.
set(RZ_LOG_CHECK ${RZ_GUEST_DIR}/log/check_log.cmake)

# A flat binary (nasm -f bin) without the default run_guest test.
function(rz_log_bin name src)
  cmake_parse_arguments(G "" "ADDR;MODE" "DEFS" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.bin)
  add_custom_command(OUTPUT ${out}
    COMMAND ${RZ_NASM} -f bin -w+all -I${RZ_GUEST_DIR}/rt/ -DLOAD_ADDR=${G_ADDR} -DMODE=${G_MODE}
            ${G_DEFS} -o ${out} ${RZ_GUEST_DIR}/${src}
    DEPENDS ${RZ_GUEST_DIR}/${src} ${RZ_GUEST_RT_DEPS}
    COMMENT "Assembling guest ${name}")
  add_custom_target(guest_${name} ALL DEPENDS ${out})
endfunction()

# rz_log_test(<name> <log/file.expect> <exit status> <ringzero arguments...>)
# "@LOG@" in the arguments becomes "-D <log file>": what "log" lines read.
function(rz_log_test name expect rc)
  add_test(NAME guest_${name}
    COMMAND ${CMAKE_COMMAND} -DNAME=${name} -DEXPECT_RC=${rc}
            -DPATTERNS=${RZ_GUEST_DIR}/log/${expect} -P ${RZ_LOG_CHECK} $<TARGET_FILE:ringzero> ${ARGN}
            -accel interp)
  set_tests_properties(guest_${name} PROPERTIES LABELS guest TIMEOUT 90)
  # The same logs from tier 1 (-d exec/cpu keep the traced blocks in tier 0).
  add_test(NAME guest_dbt_${name}
    COMMAND ${CMAKE_COMMAND} -DNAME=dbt_${name} -DEXPECT_RC=${rc}
            -DPATTERNS=${RZ_GUEST_DIR}/log/${expect} -P ${RZ_LOG_CHECK} $<TARGET_FILE:ringzero> ${ARGN}
            -accel dbt,threshold=0)
  set_tests_properties(guest_dbt_${name} PROPERTIES LABELS "guest;dbt" TIMEOUT 90)
endfunction()

set(b ${CMAKE_CURRENT_BINARY_DIR})

# A triple fault is never silent: the chain in order in the -d int log, one
# "triple fault:" line, then exit status 3 with -no-reboot ...
rz_log_bin(log_triple_pf log/triple_pf.asm MODE 32 ADDR 0x100000)
rz_log_test(log_triple_noreboot triple_noreboot.expect 3
            -bin ${b}/log_triple_pf.bin@0x100000 -mode 32 -d int,cpu_reset -no-reboot @LOG@)
# ... or a reset; with no firmware at the reset vector, a clean stop.
rz_log_test(log_triple_nofirmware triple_nofirmware.expect 3
            -bin ${b}/log_triple_pf.bin@0x100000 -mode 32 -d int)
# With firmware the reset runs it again (RAM survives: the ROM sees that).
rz_log_bin(log_reboot_rom log/reboot_rom.asm MODE 16 ADDR 0xf0000)
rz_log_test(log_triple_reboot triple_reboot.expect 1
            -bios ${b}/log_reboot_rom.bin -d int,cpu_reset @LOG@)
# Firmware that triple-faults on every run: stop after a few resets.
rz_log_bin(log_reboot_loop_rom log/reboot_rom.asm MODE 16 ADDR 0xf0000 DEFS -DLOOP)
rz_log_test(log_triple_loop triple_loop.expect 3 -bios ${b}/log_reboot_loop_rom.bin)

# in_asm, exec and cpu on a small known program.
rz_log_bin(log_trace log/trace.asm MODE 32 ADDR 0x100000)
rz_log_test(log_trace trace.expect 1
            -bin ${b}/log_trace.bin@0x100000 -mode 32 -d in_asm,exec,cpu @LOG@)

# int for software, exception and external events; guest_errors for #UD.
if(RZ_GUEST_CC_OK)
  rz_guest_c(log_events BITS 32 SRCS log/events.c)
  rz_log_test(log_events_int events.expect 1 -kernel ${b}/log_events.elf -d int,guest_errors @LOG@)
endif()

# -d help lists the items; an unknown item is a usage error.
rz_log_test(log_help help.expect 0 -d help)
rz_log_test(log_unknown unknown.expect 2 -d int,nosuch -bin ${b}/log_trace.bin@0x100000)

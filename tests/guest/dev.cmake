# PC device guests (hw/): PIT, RTC, UART, i8042 and the reset lines.
# Rates are measured in virtual time (-icount): the TSC, PIT and RTC all run
# from the instruction count, so a loaded host cannot make them flaky.
rz_guest_c(dev_pit BITS 32 SRCS dev/pit.c ARGS -icount 3)
rz_guest_c(dev_rtc BITS 32 SRCS dev/rtc.c ARGS -m 32M -icount 3)
rz_guest_c(dev_uart BITS 32 SRCS dev/uart.c)
# The reset pulse ends the run under -no-reboot; that line is the pass.
rz_guest_c(dev_i8042_reset BITS 32 SRCS dev/i8042_reset.c ARGS -no-reboot)
set_tests_properties(guest_dev_i8042_reset PROPERTIES
  PASS_REGULAR_EXPRESSION "guest reset \\(keyboard controller reset line\\); exiting because of -no-reboot"
  FAIL_REGULAR_EXPRESSION "(^|\n)FAIL")
# ACPI: RSDP scan, FADT, PM timer against the PIT, power-off through
# PM1a_CNT; the run ends with status 0 (run_guest.cmake's RZ_GUEST_STATUS).
rz_guest_c(dev_acpi BITS 32 SRCS dev/acpi.c ARGS -icount 3)
if(TEST guest_dev_acpi)
  set_tests_properties(guest_dev_acpi PROPERTIES ENVIRONMENT RZ_GUEST_STATUS=0)
endif()

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
# Local APIC and IO-APIC (hw/lapic.c, hw/ioapic.c): 32-bit bring-up with
# the PIT on GSI 2 and the LAPIC timer; 64-bit CR8 and nesting.
rz_guest_c(dev_apic32 BITS 32 SRCS dev/apic32.c ARGS -icount 3)
rz_guest_c(dev_apic64 BITS 64 SRCS dev/apic64.c ARGS -icount 3)
# A one-shot PIT interrupt that expires while IF=0 or before the board
# looks again (count 1) still arrives in "sti; hlt".
rz_guest_c(dev_pit_oneshot BITS 32 SRCS dev/pit_oneshot.c)
rz_guest_c(dev_pit_oneshot_icount BITS 32 SRCS dev/pit_oneshot.c ARGS -icount 0)
# An idle loop at 250 Hz (the host-CPU figure in docs/machine.md is this
# guest without -icount, under /usr/bin/time).
rz_guest_c(dev_idle250 BITS 32 SRCS dev/idle250.c ARGS -icount 3)

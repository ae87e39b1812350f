# System-architecture guests (cpu/seg.c interrupt.c farctl.c task.c system.c msr.c io.c)
rz_guest_c(sys_pm32 BITS 32 SRCS sys/pm32.c)
rz_guest_c(sys_ring32 BITS 32 SRCS sys/ring32.c sys/ring32_stubs.asm)
rz_guest_c(sys_task32 BITS 32 SRCS sys/task32.c)
rz_guest_c(sys_v86 BITS 32 SRCS sys/v86.c sys/v86_stubs.asm)
rz_guest_asm(sys_lm64 sys/lm64.asm MODE 64)
rz_guest_asm(sys_real16 sys/real16.asm MODE 16)
# A triple fault stops the run with one "triple fault:" line naming the chain.
rz_guest_asm(sys_triple32 sys/triple32.asm MODE 32)
set_tests_properties(guest_sys_triple32 PROPERTIES
  PASS_REGULAR_EXPRESSION "triple fault: #UD -> #GP\\(0x33\\) -> #GP\\(0x6b\\) -> #DF\\(0\\) -> #GP\\(0x43\\) at 0008:"
  FAIL_REGULAR_EXPRESSION "still running")

# CPU bugs found by outside suites and by fuzzing (issue 6 item 5); the
# table in docs/guest-tests.md says what each proves.
rz_guest_asm(cpubug_cslimit16 cpubug/cslimit16.asm MODE 16)
rz_guest_c(cpubug_cslimit32 BITS 32 SRCS cpubug/cslimit32.c sys/v86_stubs.asm)
rz_guest_c(cpubug_task16 BITS 32 SRCS cpubug/task16.c sys/v86_stubs.asm)
rz_guest_c(cpubug_nullseg64 BITS 64 SRCS cpubug/nullseg64.c)
rz_guest_c(cpubug_sysdesc64 BITS 64 SRCS cpubug/sysdesc64.c)
rz_guest_c(cpubug_canon64 BITS 64 SRCS cpubug/canon64.c)

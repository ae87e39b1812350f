# Guests written for the issue-3 audit (docs/guest-tests.md has the table of
# what each proves).
# reset -> real -> protected -> 32-bit paging -> PAE -> long -> compatibility
# -> protected -> real -> reset, in one guest that is a 64 KiB -bios image
# (it starts at the reset vector; rz_guest_asm only makes -bin guests).
set(audit_rom ${CMAKE_CURRENT_BINARY_DIR}/audit_modes.rom)
add_custom_command(OUTPUT ${audit_rom}
  COMMAND ${RZ_NASM} -f bin -w+all -I${RZ_GUEST_DIR}/rt/ -DLOAD_ADDR=0x7c00 -DMODE=16
          -o ${audit_rom} ${CMAKE_CURRENT_SOURCE_DIR}/audit/modes.asm
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/audit/modes.asm ${RZ_GUEST_RT_DEPS}
  COMMENT "Assembling guest firmware audit_modes")
add_custom_target(guest_audit_modes ALL DEPENDS ${audit_rom})
rz_guest_add_test(audit_modes -bios ${audit_rom})
# #PF matrix: U/S x R/W x XD at the leaf and each upper level, supervisor and
# user reads/writes/fetches, CR0.WP and EFER.NXE off/on, not-present at every
# level; vector, error code, CR2, saved CS:EIP and memory checked.
rz_guest_c(audit_pf32 BITS 32 SRCS audit/pf32.c audit/pf_matrix.c)
rz_guest_c(audit_pfpae BITS 32 SRCS audit/pfpae.c audit/pf_matrix.c)
rz_guest_c(audit_pf64 BITS 64 SRCS audit/pf64.c audit/pf_matrix.c)
# Every exception vector an instruction can raise, with error code and the
# saved CS:EIP/EFLAGS/registers, in protected mode and in 64-bit mode.
rz_guest_c(audit_exc32 BITS 32 SRCS audit/exc.c)
rz_guest_c(audit_exc64 BITS 64 SRCS audit/exc.c)
# SYSCALL/SYSRET in long mode with 4-level paging and user pages.
rz_guest_c(audit_syscall64 BITS 64 SRCS audit/syscall64.c audit/syscall64_stubs.asm)
# A20 in real mode: FFFF:0010 vs 0000:0000 through port 0x92 and the i8042.
rz_guest_asm(audit_a20 audit/a20.asm MODE 16)
# #DB from TF and DR0, #AC at CPL 3 (cpu/debug.c).
rz_guest_c(audit_db_ac32 BITS 32 SRCS audit/db_ac.c)
rz_guest_c(audit_db_ac64 BITS 64 SRCS audit/db_ac.c)

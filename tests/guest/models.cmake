# The system guests again under the other CPU model (-cpu amd; the default
# is intel), so both models boot and run protected, virtual-8086, long and
# real mode code, task switches, SYSENTER and SYSCALL (docs/cpu-models.md).
set(rz_bin ${CMAKE_CURRENT_BINARY_DIR})
rz_guest_add_test(amd_sys_lm64 -cpu amd -bin ${rz_bin}/sys_lm64.bin@0x100000 -mode 64)
rz_guest_add_test(amd_sys_real16 -cpu amd -bin ${rz_bin}/sys_real16.bin@0x7c00 -mode 16)
rz_guest_add_test(amd_audit_modes -cpu amd -bios ${rz_bin}/audit_modes.rom)
if(RZ_GUEST_CC_OK)
  foreach(g sys_pm32 sys_ring32 sys_task32 sys_v86 audit_syscall64 audit_exc32 audit_exc64)
    rz_guest_add_test(amd_${g} -cpu amd -kernel ${rz_bin}/${g}.elf)
  endforeach()
endif()

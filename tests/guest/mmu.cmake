# Software MMU guests: paging in each mode, page-crossing accesses, and
# self-modifying code through the TLB and the code cache.
rz_guest_c(mmu_paging32 BITS 32 SRCS mmu/paging32.c mmu/common.c)
rz_guest_c(mmu_pae BITS 32 SRCS mmu/pae.c mmu/common.c)
rz_guest_c(mmu_long BITS 64 SRCS mmu/long.c mmu/common.c)
rz_guest_c(mmu_smc32 BITS 32 SRCS mmu/smc.c mmu/common.c)
rz_guest_c(mmu_smc64 BITS 64 SRCS mmu/smc.c mmu/common.c)
rz_guest_asm(mmu_smc_flat16 mmu/smc_flat.asm MODE 16)
rz_guest_asm(mmu_smc_flat32 mmu/smc_flat.asm MODE 32)
rz_guest_asm(mmu_smc_flat64 mmu/smc_flat.asm MODE 64)

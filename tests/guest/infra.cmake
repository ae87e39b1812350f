# The runtime's own smoke tests: one per way of starting a guest.
rz_guest_asm(hello16 infra/hello.asm MODE 16)
rz_guest_asm(hello32 infra/hello.asm MODE 32)
rz_guest_asm(hello64 infra/hello.asm MODE 64)
rz_guest_c(hello_c32 BITS 32 SRCS infra/hello.c)
rz_guest_c(hello_c64 BITS 64 SRCS infra/hello.c)

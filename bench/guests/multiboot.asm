; multiboot.asm — a Multiboot v1 header for the benchmark guests, so QEMU's
; -kernel (which wants one) boots the same ELF ringzero does.  Flags 0: the
; loader places the image by its ELF program headers and enters _start (the
; ELF entry) in flat 32-bit protected mode, as ringzero's -kernel does.
; Linked first, the header lies within the file's first 8 KiB as the
; Multiboot Specification 0.6.96 (section 3.1.1) requires.
MB_MAGIC equ 0x1badb002
MB_FLAGS equ 0

section .text.entry progbits alloc exec nowrite align=4
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)

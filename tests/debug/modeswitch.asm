; modeswitch.asm — real mode into 32-bit protected mode (-bin @0x7c00
; -mode 16): the gdb test breaks on each side of the switch and checks the
; description follows.  +0x00 real-mode start, pm32 at 0x7c40 (linear).
bits 16
org 0x7c00
    cli
    xor ax, ax
    mov ds, ax
    lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm32
    times 0x40-($-$$) nop
bits 32
pm32:
    mov eax, 0x10
    mov ds, eax
    mov ss, eax
    mov eax, 0x4433
    mov al, 0x2a
    out 0xf4, al
    hlt
align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff   ; 08: code, flat 4 GiB, 32-bit
    dq 0x00cf92000000ffff   ; 10: data, flat 4 GiB
gdtr:
    dw gdtr - gdt - 1
    dd gdt

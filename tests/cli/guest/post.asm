; post.asm — flat 32-bit: POST codes 0x11, 0x22, 0xab on port 0x80, "e9"
; on the debug console, "com1" on COM1, then exit port value 0.
bits 32
org 0x100000
    mov al, 0x11
    out 0x80, al
    mov al, 0x22
    out 0x80, al
    mov al, 0xab
    out 0x80, al
    mov esi, e9
.e9:
    lodsb
    test al, al
    jz .com
    out 0xe9, al
    jmp .e9
.com:
    mov esi, com
    mov dx, 0x3f8
.c:
    lodsb
    test al, al
    jz .exit
    out dx, al
    jmp .c
.exit:
    xor eax, eax
    out 0xf4, al
    hlt
e9: db "e9", 0
com: db "com1", 0

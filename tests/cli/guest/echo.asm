; echo.asm — flat 32-bit: prints "READY" on COM1, then for every byte
; received prints "[xx]" (its hex value), polling the LSR.  The terminal
; test (tests/cli/pty_console.c) types into it.
bits 32
org 0x100000
    mov esi, ready
    call puts
.poll:
    mov dx, 0x3fd
    in al, dx
    test al, 1
    jz .poll
    mov dx, 0x3f8
    in al, dx
    mov bl, al
    mov al, '['
    call putc
    mov al, bl
    shr al, 4
    call hex
    mov al, bl
    and al, 15
    call hex
    mov al, ']'
    call putc
    jmp .poll
hex:
    add al, '0'
    cmp al, '9'
    jbe putc
    add al, 'a' - '9' - 1
putc:
    push edx
    mov dx, 0x3f8
    out dx, al
    pop edx
    ret
puts:
    lodsb
    test al, al
    jz .r
    call putc
    jmp puts
.r: ret
ready: db "READY", 13, 10, 0

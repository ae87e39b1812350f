; audit/a20.asm — the A20 gate in real mode: FFFF:0010 is linear 0x100000
; with A20 on and wraps to 0000:0000 with A20 off, switched through port
; 0x92 bit 1 and through the keyboard controller's output port (D1 write,
; D0 read back), each state read back from the port that set it.
%include "rt.inc"
bits 16
org RT_ORG
    RT_START
    cli
    mov ax, 0xffff
    mov es, ax                          ; ES:0x10 = linear 0x100000
    xor ax, ax
    mov fs, ax                          ; FS:0    = linear 0
    mov eax, [fs:0]
    mov [saved_ivt0], eax               ; 0000:0000 is IVT vector 0

    RT_PUTS "A20 on at start: port 0x92 bit 1, FFFF:0010 is 0x100000", 10
    in al, 0x92
    and ax, 2
    RT_CHECK cmp, ax, 2, e, "port 0x92 bit 1 (A20) after reset"
    mov word [fs:0], 0xaaaa
    mov word [es:0x10], 0x5555
    mov ax, [fs:0]
    RT_CHECK cmp, ax, 0xaaaa, e, "0000:0000 kept with A20 on"
    mov ax, [es:0x10]
    RT_CHECK cmp, ax, 0x5555, e, "FFFF:0010 holds its own word with A20 on"
    RT_PUTS "A20 off through port 0x92: FFFF:0010 wraps to 0000:0000", 10
    in al, 0x92
    and al, 0xfc                        ; A20 off, no reset
    out 0x92, al
    in al, 0x92
    and ax, 2
    RT_CHECK cmp, ax, 0, e, "port 0x92 bit 1 reads back 0"
    mov ax, [es:0x10]
    RT_CHECK cmp, ax, 0xaaaa, e, "FFFF:0010 reads 0000:0000 with A20 off"
    mov word [es:0x12], 0x1234
    mov ax, [fs:2]
    RT_CHECK cmp, ax, 0x1234, e, "a write to FFFF:0012 lands at 0000:0002"
    ; a word at FFFF:000F: its low byte is linear 0xFFFFF (system ROM or
    ; the unmapped legacy hole: whatever reads there), its high byte
    ; 0x100000, which wraps to 0000:0000
    mov ax, 0xf000
    mov gs, ax
    mov bl, [gs:0xffff]
    mov bh, 0xaa
    mov ax, [es:0x0f]
    RT_CHECK cmp, ax, bx, e, "FFFF:000F word = byte 0xFFFFF, then 0000:0000"
    RT_PUTS "A20 on again through port 0x92: 1 MiB kept its word", 10
    in al, 0x92
    or al, 2
    out 0x92, al
    mov ax, [es:0x10]
    RT_CHECK cmp, ax, 0x5555, e, "FFFF:0010 is 0x100000 again"
    mov ax, [fs:0]
    RT_CHECK cmp, ax, 0xaaaa, e, "0000:0000 unchanged by A20 on"

    RT_PUTS "A20 off through the i8042 output port (D1 0xDD), D0 reads it back", 10
    call kbc_wait
    mov al, 0xd1
    out 0x64, al
    call kbc_wait
    mov al, 0xdd                        ; bit 1 clear: A20 off; bit 0 set: no reset
    out 0x60, al
    call kbc_wait
    mov al, 0xd0
    out 0x64, al
    call kbc_read
    and ax, 2
    RT_CHECK cmp, ax, 0, e, "i8042 output port bit 1 after D1 0xDD"
    mov ax, [es:0x10]
    RT_CHECK cmp, ax, 0xaaaa, e, "FFFF:0010 reads 0000:0000 with A20 off (i8042)"
    RT_PUTS "A20 on through the i8042 (D1 0xDF)", 10
    call kbc_wait
    mov al, 0xd1
    out 0x64, al
    call kbc_wait
    mov al, 0xdf
    out 0x60, al
    call kbc_wait
    mov al, 0xd0
    out 0x64, al
    call kbc_read
    and ax, 2
    RT_CHECK cmp, ax, 2, e, "i8042 output port bit 1 after D1 0xDF"
    mov ax, [es:0x10]
    RT_CHECK cmp, ax, 0x5555, e, "FFFF:0010 is 0x100000 again (i8042)"
    mov eax, [saved_ivt0]
    mov [fs:0], eax
    RT_PASS

kbc_wait:                               ; until the input buffer is empty
    in al, 0x64
    test al, 2
    jnz kbc_wait
    ret
kbc_read:                               ; until the output buffer is full
    in al, 0x64
    test al, 1
    jz kbc_read
    in al, 0x60
    xor ah, ah
    ret

saved_ivt0: dd 0

; sys/real16.asm — real mode: INT n and exceptions through the IVT, then
; real -> protected -> real mode with a 4 GiB DS cache kept (unreal mode).
%include "rt.inc"
bits 16
org RT_ORG
%define LIN(x) (LOAD_ADDR - RT_ORG + (x))
    RT_START
    RT_PUTS "real mode: INT 0x60 through the IVT", 10
    xor ax, ax
    mov es, ax
    mov word [es:0x60 * 4], int60
    mov [es:0x60 * 4 + 2], cs
    mov word [es:6 * 4], ud_handler
    mov [es:6 * 4 + 2], cs
    sti
    mov byte [hits], 0
    int 0x60
    movzx ax, byte [hits]
    RT_CHECK cmp, ax, 1, e, "INT 0x60 handler ran"
    mov ax, [seen_flags]
    and ax, 0x200
    RT_CHECK cmp, ax, 0, e, "IF clear inside the handler"
    pushf
    pop ax
    and ax, 0x200
    RT_CHECK cmp, ax, 0x200, e, "IF restored by IRET"

    RT_PUTS "real mode: #UD through IVT vector 6 (return IP = the UD2)", 10
ud_here:
    ud2
    mov ax, [ud_ip]
    RT_CHECK cmp, ax, ud_here, e, "#UD pushed the faulting IP"

    RT_PUTS "protected mode and back: unreal-mode DS", 10
    cli
    mov eax, LIN(gdt)
    mov [gdt_desc + 2], eax
    lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:LIN(pm32)
bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov dword [0x200000], 0x12345678
    jmp 0x18:(pm16 - RT_ORG)     ; 16-bit code segment based at the load address
bits 16
pm16:
    mov eax, cr0
    and al, 0xfe
    mov cr0, eax
    jmp (LOAD_ADDR >> 4):(back_real)
back_real:
    xor ax, ax
    mov ds, ax                   ; base 0, the 4 GiB limit stays cached
    mov eax, [dword 0x200000]
    mov bx, cs
    mov ds, bx
    RT_CHECK cmp, eax, 0x12345678, e, "32-bit offset through the unreal DS"
    RT_PASS

int60:
    inc byte [cs:hits]
    pushf
    pop word [cs:seen_flags]
    iret

ud_handler:
    push bp
    mov bp, sp
    mov ax, [bp + 2]
    mov [cs:ud_ip], ax
    add word [bp + 2], 2         ; skip the UD2
    pop bp
    iret

hits: db 0
seen_flags: dw 0
ud_ip: dw 0
align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff                           ; 0x08 code32
    dq 0x00cf92000000ffff                           ; 0x10 data 4 GiB
    dw 0xffff, LOAD_ADDR & 0xffff
    db (LOAD_ADDR >> 16) & 0xff, 0x9a, 0x00, 0x00   ; 0x18 code16 at LOAD_ADDR
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd 0

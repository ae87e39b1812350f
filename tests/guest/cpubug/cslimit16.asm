; cpubug/cslimit16.asm — the CS limit in real mode (0xFFFF): IP does not run
; on into the next 64 KiB; an instruction fetched past the limit (or one that
; straddles it) raises #GP as interrupt 13 through the IVT at the instruction;
; a near branch with a 16-bit operand size wraps IP, one with o32 to an
; offset past 0xFFFF (JMP, Jcc, CALL, RET, LOOP, far JMP, IRETD) raises #GP
; at the branch.  Snippets are copied to TSEG:offset and entered with a far
; CALL; the bytes past the limit (linear TSEG*16 + 0x10000) and at the wrap
; target hold INT3, so code that runs on shows up as vector 3.
%include "rt.inc"
bits 16
org RT_ORG
%define TSEG 0x1000
%define NONE 0xff

; RUN snippet, at, vector, ip: vector NONE = must return normally; ip -1 =
; not checked (the IP of a fetch past 0xFFFF is not defined).
%macro RUN 4
    mov si, %1
    mov cx, %1_end - %1
    mov di, %2
    call run_snippet
    movzx ax, byte [vec]
    RT_CHECK cmp, ax, %3, e, "vector for ", %str(%1)
  %if %3 != NONE
    mov ax, [fcs]
    RT_CHECK cmp, ax, TSEG, e, "CS for ", %str(%1)
    %if %4 != -1
    mov ax, [fip]
    RT_CHECK cmp, ax, %4, e, "IP for ", %str(%1)
    %endif
  %endif
%endmacro

    RT_START
    xor ax, ax
    mov es, ax
    mov word [es:13 * 4], gp_handler
    mov [es:13 * 4 + 2], cs
    mov word [es:3 * 4], bp_handler
    mov [es:3 * 4 + 2], cs
    mov ax, cs
    mov es, ax

    RT_PUTS "real mode: fetch up to and past IP 0xFFFF", 10
    RUN s_last, 0xffff, NONE, 0
    RUN s_runoff, 0xfffe, 13, -1
    RUN s_straddle, 0xfffe, 13, 0xfffe
    RT_PUTS "real mode: 16-bit near branches wrap IP", 10
    RUN s_jmp16, 0xfff0, NONE, 0
    RUN s_call16, 0xfff0, NONE, 0
    RT_PUTS "real mode: o32 branches past 0xFFFF fault at the branch", 10
    RUN s_jmp32, 0xfff0, 13, 0xfff0
    RUN s_jcc32, 0xfff0, 13, 0xfff1
    RUN s_call32, 0xfff0, 13, 0xfff0
    RUN s_ret32, 0xfff0, 13, 0xfff6
    RUN s_loop32, 0xfff0, 13, 0xfff6
    RUN s_jmpf32, 0xfff0, 13, 0xfff0
    RUN s_iret32, 0xffe0, 13, 0xffea
    RT_PASS

; si = snippet, cx = its length, di = offset in TSEG.  Returns after the
; snippet returned (vec = NONE) or faulted (vec, fip, fcs set).
run_snippet:
    push es
    push cx
    push di
    mov al, 0xcc
    mov bx, TSEG
    mov es, bx
    mov di, 0xffe0               ; the snippet area up to the limit
    mov cx, 0x20
    rep stosb
    xor di, di                   ; where a 16-bit wrap lands
    mov cx, 0x20
    rep stosb
    mov bx, TSEG + 0x1000        ; what follows the limit linearly
    mov es, bx
    xor di, di
    mov cx, 0x20
    rep stosb
    mov bx, TSEG
    mov es, bx
    mov byte [es:0x10], 0xcb     ; RETF and RET at the wrap targets
    mov byte [es:0x14], 0xc3
    pop di
    pop cx
    mov [target], di
    rep movsb
    pop es
    mov byte [vec], NONE
    mov word [target + 2], TSEG
    mov [saved_sp], sp
    call far [target]
    ret

gp_handler:
    mov byte [cs:vec], 13
    jmp caught
bp_handler:
    mov byte [cs:vec], 3
caught:
    pop word [cs:fip]
    pop word [cs:fcs]
    mov sp, [cs:saved_sp]
    ret                          ; from run_snippet

s_last:     retf                          ; at 0xFFFF: the last byte is inside
s_last_end:
s_runoff:   nop                           ; 0xFFFE, 0xFFFF, then 0x10000
            nop
s_runoff_end:
s_straddle: db 0xb8, 0x34                 ; MOV AX, imm16 needs 0x10000
s_straddle_end:
s_jmp16:    jmp short $ + 0x20            ; 0xFFF0 -> 0x10010 -> IP 0x0010
s_jmp16_end:
s_call16:   db 0xe8, 0x21, 0x00           ; CALL rel16 -> 0x10014 -> IP 0x0014,
            retf                          ; whose RET comes back here
s_call16_end:
s_jmp32:    db 0x66, 0xe9                 ; JMP rel32 -> 0x10010
            dd 0x10010 - 0xfff6
s_jmp32_end:
s_jcc32:    stc
            db 0x66, 0x0f, 0x82           ; JC rel32 -> 0x10010
            dd 0x10010 - 0xfff8
s_jcc32_end:
s_call32:   db 0x66, 0xe8                 ; CALL rel32 -> 0x10010
            dd 0x10010 - 0xfff6
s_call32_end:
s_ret32:    push dword 0x10010            ; 6 bytes
            o32 ret                       ; at 0xFFF6
s_ret32_end:
s_loop32:   mov ecx, 2                    ; 6 bytes
            db 0x66, 0xe2, 0x10010 - 0xfff9 ; o32 LOOP at 0xFFF6 -> 0x10010
s_loop32_end:
s_jmpf32:   db 0x66, 0xea                 ; JMP FAR TSEG:0x10010
            dd 0x10010
            dw TSEG
s_jmpf32_end:
s_iret32:   pushfd                        ; 0xFFE0
            o32 push cs                   ; 0xFFE2
            push dword 0x10010            ; 0xFFE4
            iretd                         ; 0xFFEA
s_iret32_end:

vec: db 0
fip: dw 0
fcs: dw 0
saved_sp: dw 0
target: dd 0

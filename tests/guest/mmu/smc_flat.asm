; smc_flat.asm — self-modifying code without paging, in 16-, 32- and 64-bit
; mode: a loop whose block rewrites the immediate of an instruction a few
; instructions ahead of the store, so the block is hot in the code cache
; when it is patched.
%include "rt.inc"
%if MODE == 64
bits 64
default rel
%elif MODE == 32
bits 32
%else
bits 16
%endif
org RT_ORG
    RT_START
    RT_PUTS "patching an instruction ahead, 200 times", 10
    mov edx, 0x01000000
.loop:
    mov [patched + 2], edx       ; the immediate of "mov ecx, imm32" below
    nop
    inc eax
patched:
%if MODE == 16
    db 0x66, 0xb9                ; mov ecx, imm32
%else
    db 0x90, 0xb9                ; nop; mov ecx, imm32
%endif
    dd 0xffffffff
    RT_CHECK cmp, ecx, edx, e, "the patched immediate"
    inc edx
    cmp edx, 0x01000000 + 200
    jne .loop
    RT_PASS

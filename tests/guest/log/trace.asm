; log/trace.asm — a small known program for -d in_asm,exec,cpu: a block at
; LOAD_ADDR + 0x100 loads EAX/ECX/EBX and runs the first iteration of a loop
; whose body (LOAD_ADDR + 0x10c) is then a block of its own, decoded once
; and executed four more times.  log_trace.expect checks the disassembly,
; the Trace lines and the register state before each block.
%include "rt.inc"
bits 32
org RT_ORG
    RT_START
    jmp setup
    times 0x100 - ($ - $$) db 0xcc
setup:                          ; LOAD_ADDR + 0x100
    mov ecx, 5
    mov eax, 0x12345678
    xor ebx, ebx
body:                           ; LOAD_ADDR + 0x10c
    add ebx, 3
    dec ecx
    jnz body
    RT_CHECK cmp, ebx, 15, e, "five iterations of add ebx, 3"
    RT_PASS

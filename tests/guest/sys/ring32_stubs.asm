; ring32_stubs.asm — ring transitions the C side cannot express.
bits 32
section .data
global k_cs, k_ss, k_param, k_esp_user, u_cs_after, u_ss_after, k_stack_top
k_cs: dd 0
k_ss: dd 0
k_param: dd 0
k_esp_user: dd 0
u_cs_after: dd 0
u_ss_after: dd 0
section .bss nobits alloc noexec write align=16
    resb 4096
k_stack_top:

section .text
; Ring-0 target of a 32-bit call gate with one parameter: records CS, SS,
; the copied parameter and the caller's ESP (from the inner stack frame),
; then returns to ring 3 popping the parameter on both stacks.
global gate_ring0
gate_ring0:
    mov [k_cs], cs
    mov [k_ss], ss
    mov eax, [esp + 8]          ; the parameter, after EIP and CS
    mov [k_param], eax
    mov eax, [esp + 12]         ; caller ESP
    mov [k_esp_user], eax
    retf 4

; Ring 3: push a parameter, far call the gate (selector in the first arg).
global user_call_gate
user_call_gate:
    push ebp
    mov ebp, esp
    push dword 0x5a5a1234
    call far [gate_ptr]
    mov [u_cs_after], cs
    mov [u_ss_after], ss
    leave
    ret
section .data
gate_ptr: dd 0
global gate_sel
gate_sel: dw 0x48

section .text
; Ring 3: SYSENTER to sysenter_ring0, which SYSEXITs back to .back.
global user_sysenter
user_sysenter:
    push ebp
    mov ebp, esp
    mov ecx, esp
    mov edx, .back
    sysenter
.back:
    mov [u_cs_after], cs
    mov [u_ss_after], ss
    pop ebp
    ret

global sysenter_ring0
sysenter_ring0:
    mov [k_cs], cs
    mov [k_ss], ss
    mov [k_esp_user], esp
    sysexit

; crt32.asm — entry and exception stubs for 32-bit C guests.
; ringzero -kernel starts an ELF32 in flat 32-bit protected mode at _start.
%include "gdt.inc"

extern main, rt_init, rt_finish, rt_exception

section .text.entry progbits alloc exec nowrite
bits 32
global _start
_start:
    cli
    mov esp, rt_stack_top
    lgdt [rt_gdt_desc]
    jmp 0x08:.flat
.flat:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    call rt_init
    call main
    push eax
    call rt_finish
.stop:
    hlt
    jmp .stop

section .text
; One stub per vector: a dummy error code where the CPU pushes none, then
; the vector number.
%macro ISR 1
isr_%1:
  %if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
  %else
    push dword 0
  %endif
    push dword %1
    jmp isr_common
%endmacro
%assign v 0
%rep 256
    ISR v
%assign v v + 1
%endrep

isr_common:
    pushad
    cld
    mov eax, esp
    push eax
    call rt_exception
    add esp, 4
    popad
    add esp, 8
    iretd

section .data
align 4
global rt_isr_table
rt_isr_table:
%assign v 0
%rep 256
    dd isr_ %+ v
%assign v v + 1
%endrep

section .text
; int rt_setjmp(struct rt_jmp *jb): ebx esi edi ebp esp eip
global rt_setjmp
rt_setjmp:
    mov eax, [esp + 4]
    mov [eax], ebx
    mov [eax + 4], esi
    mov [eax + 8], edi
    mov [eax + 12], ebp
    lea ecx, [esp + 4]
    mov [eax + 16], ecx
    mov ecx, [esp]
    mov [eax + 20], ecx
    xor eax, eax
    ret

; void rt_longjmp(struct rt_jmp *jb, int val)
global rt_longjmp
rt_longjmp:
    mov edx, [esp + 4]
    mov eax, [esp + 8]
    mov ebx, [edx]
    mov esi, [edx + 4]
    mov edi, [edx + 8]
    mov ebp, [edx + 12]
    mov esp, [edx + 16]
    mov cx, 0x10
    mov ds, cx
    mov es, cx
    jmp [edx + 20]

; void rt_iret_to_user(uintptr_t sp, void (*fn)(void *), void *arg)
; Enters ring 3 at rt_user_trampoline, which calls fn(arg) then INT 0x30.
global rt_iret_to_user
rt_iret_to_user:
    mov eax, [esp + 4]
    mov ebx, [esp + 8]
    mov esi, [esp + 12]
    mov cx, 0x2b
    mov ds, cx
    mov es, cx
    push dword 0x2b
    push eax
    pushfd
    push dword 0x23
    push dword rt_user_trampoline
    iretd

global rt_user_trampoline
rt_user_trampoline:
    push esi
    call ebx
    int 0x30
    ud2

; crt64.asm — entry and exception stubs for 64-bit C guests.
; The image is shipped as ELF32, so ringzero starts _start in flat 32-bit
; protected mode; this enters long mode the architectural way: PAE page
; tables identity-mapping 1 GiB with 2 MiB pages, CR4.PAE, EFER.LME, CR0.PG,
; then a far jump to a 64-bit code segment.
%include "gdt.inc"

extern main, rt_init, rt_finish, rt_exception

section .bss.pagetables nobits alloc noexec write align=4096
global rt_pml4
rt_pml4: resb 4096
rt_pdpt: resb 4096
rt_pd:   resb 4096

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
    ; page tables (the loader zeroed .bss)
    mov eax, rt_pdpt
    or eax, 3
    mov [rt_pml4], eax
    mov eax, rt_pd
    or eax, 3
    mov [rt_pdpt], eax
    mov edi, rt_pd
    mov eax, 0x83               ; P | W | PS
    mov ecx, 512
.fill:
    mov [edi], eax
    mov dword [edi + 4], 0
    add eax, 0x200000
    add edi, 8
    dec ecx
    jnz .fill
    mov eax, cr4
    or eax, 1 << 5              ; PAE
    mov cr4, eax
    mov eax, rt_pml4
    mov cr3, eax
    mov ecx, 0xc0000080         ; EFER
    rdmsr
    or eax, 1 << 8              ; LME
    wrmsr
    mov eax, cr0
    or eax, 0x80000001          ; PG | PE
    mov cr0, eax
    jmp 0x18:long_entry

bits 64
long_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov rsp, rt_stack_top
    call rt_init
    call main
    mov edi, eax
    call rt_finish
.stop:
    hlt
    jmp .stop

section .text
%macro ISR 1
isr_%1:
  %if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
  %else
    push qword 0
  %endif
    push qword %1
    jmp isr_common
%endmacro
%assign v 0
%rep 256
    ISR v
%assign v v + 1
%endrep

isr_common:
    push rax
    push rcx
    push rdx
    push rbx
    push rbp
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld
    mov rdi, rsp
    mov rbp, rsp
    and rsp, -16
    call rt_exception
    mov rsp, rbp
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rbp
    pop rbx
    pop rdx
    pop rcx
    pop rax
    add rsp, 16
    iretq

section .data
align 8
global rt_isr_table
rt_isr_table:
%assign v 0
%rep 256
    dq isr_ %+ v
%assign v v + 1
%endrep

section .text
; int rt_setjmp(struct rt_jmp *jb): rbx rbp r12 r13 r14 r15 rsp rip
global rt_setjmp
rt_setjmp:
    mov [rdi], rbx
    mov [rdi + 8], rbp
    mov [rdi + 16], r12
    mov [rdi + 24], r13
    mov [rdi + 32], r14
    mov [rdi + 40], r15
    lea rdx, [rsp + 8]
    mov [rdi + 48], rdx
    mov rdx, [rsp]
    mov [rdi + 56], rdx
    xor eax, eax
    ret

; void rt_longjmp(struct rt_jmp *jb, int val)
global rt_longjmp
rt_longjmp:
    mov eax, esi
    mov rbx, [rdi]
    mov rbp, [rdi + 8]
    mov r12, [rdi + 16]
    mov r13, [rdi + 24]
    mov r14, [rdi + 32]
    mov r15, [rdi + 40]
    mov rsp, [rdi + 48]
    mov cx, 0x10
    mov ds, cx
    mov es, cx
    jmp [rdi + 56]

; void rt_iret_to_user(uintptr_t sp, void (*fn)(void *), void *arg)
global rt_iret_to_user
rt_iret_to_user:
    mov rbx, rsi
    mov r12, rdx
    push qword 0x2b
    push rdi
    pushfq
    push qword 0x33
    lea rax, [rel rt_user_trampoline]
    push rax
    iretq

global rt_user_trampoline
rt_user_trampoline:
    mov rdi, r12
    call rbx
    int 0x30
    ud2

; sys/lm64.asm — IA-32e mode without paging (the "flat 64" start state):
; 64-bit IDT gates and frames, IST, error codes, canonical checks, IRETQ to
; ring 3, SYSCALL/SYSRET, INT from ring 3 through TSS.RSP0, SWAPGS and the
; segment-base MSRs, compatibility mode through a far jump.
%include "rt.inc"
bits 64
org RT_ORG
    RT_START
    lgdt [gdt_desc]
    lidt [idt_desc]
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    ; TSS descriptor (16 bytes) at 0x38
    mov rax, tss
    mov rdx, rax
    shl rdx, 16
    mov rcx, 0xffffff0000
    and rdx, rcx                   ; base 23..0 -> bits 16..39
    mov rcx, rax
    shr rcx, 24
    and rcx, 0xff
    shl rcx, 56
    or rdx, rcx
    or rdx, 103
    mov rcx, 0x89
    shl rcx, 40
    or rdx, rcx
    mov [gdt + 0x38], rdx
    shr rax, 32
    mov [gdt + 0x40], rax
    mov ax, 0x38
    ltr ax
    mov rax, stack0_top
    mov [tss + 4], rax             ; RSP0
    mov rax, ist1_top
    mov [tss + 0x24], rax          ; IST1

    ; gates: 6 (#UD, IST1), 13 (#GP), 0x80 (DPL 3)
    mov edi, 6
    mov rsi, h_ud
    mov ecx, 0x8e01                ; P, interrupt gate, IST 1
    call set_gate
    mov edi, 13
    mov rsi, h_gp
    mov ecx, 0x8e00
    call set_gate
    mov edi, 0x80
    mov rsi, h_int80
    mov ecx, 0xee00                ; DPL 3
    call set_gate

    RT_PUTS "64-bit #UD through an IST gate: frame and alignment", 10
    mov r15, rsp
ud_at:
    ud2
after_ud:
    RT_CHECK cmp, r14, 0, e, "#UD handler ran"   ; r14 = 0 means all good
    RT_CHECK cmp, rsp, r15, e, "RSP restored by IRETQ"

    RT_PUTS "#GP(0) for a non-canonical address; error code on the frame", 10
    mov rbx, 0x8000000000000000
gp_at:
    mov rax, [rbx]
after_gp:
    RT_CHECK cmp, r14, 0, e, "#GP handler ran with error 0"

    RT_PUTS "SWAPGS and FS/GS/KERNEL_GS_BASE MSRs", 10
    mov ecx, 0xc0000101
    mov eax, 0x1000
    xor edx, edx
    wrmsr
    mov ecx, 0xc0000102
    mov eax, 0x2000
    wrmsr
    swapgs
    mov ecx, 0xc0000101
    rdmsr
    RT_CHECK cmp, eax, 0x2000, e, "GS base after SWAPGS"
    mov ecx, 0xc0000102
    rdmsr
    RT_CHECK cmp, eax, 0x1000, e, "KERNEL_GS_BASE after SWAPGS"
    mov dword [0x2010], 0xabcd
    mov eax, [gs:0x10]
    RT_CHECK cmp, eax, 0xabcd, e, "GS-relative access uses the base"

    RT_PUTS "IRETQ to ring 3, SYSCALL/SYSRET, INT 0x80 back to ring 0", 10
    mov ecx, 0xc0000080
    rdmsr
    or eax, 1                      ; SCE
    wrmsr
    mov ecx, 0xc0000081            ; STAR: kernel CS 0x08, user base 0x18
    xor eax, eax
    mov edx, 0x00180008
    wrmsr
    mov ecx, 0xc0000082            ; LSTAR
    mov rax, h_syscall
    mov rdx, rax
    shr rdx, 32
    wrmsr
    mov ecx, 0xc0000084            ; SFMASK: clear IF and TF... and DF
    mov eax, 0x700
    xor edx, edx
    wrmsr
    mov [kernel_rsp], rsp
    push 0x23                      ; SS = user data | 3
    push ustack_top
    push 0x202
    push 0x2b                      ; CS = user code64 | 3
    push user_code
    iretq

user_code:
    mov [u_cs], cs
    std
    syscall
after_syscall:
    mov [u_cs2], cs
    mov [u_ss2], ss
    mov [u_r11], r11
    int 0x80                       ; back to ring 0 for good

; ---- ring 0 handlers ----
h_syscall:
    mov [k_cs], cs
    mov [k_ss], ss
    mov [k_rcx], rcx
    pushfq
    pop rax
    mov [k_flags], rax
    o64 sysret

h_int80:
    ; frame: RIP CS RFLAGS RSP SS; on the TSS.RSP0 stack
    mov rax, [rsp + 8]
    mov [i_cs], rax
    mov rax, [rsp + 32]
    mov [i_ss], rax
    mov [i_rsp], rsp
    mov rsp, [kernel_rsp]
    mov rax, [rsp]                 ; (stack usable with the null SS of 64-bit mode)
    mov ax, 0x10
    mov ds, ax
    mov ss, ax                     ; compatibility mode needs a real SS
    mov rax, [u_cs]
    RT_CHECK cmp, rax, 0x2b, e, "ring 3 CS after IRETQ"
    mov rax, [k_cs]
    RT_CHECK cmp, rax, 0x08, e, "SYSCALL loads CS from STAR"
    mov rax, [k_ss]
    RT_CHECK cmp, rax, 0x10, e, "SYSCALL loads SS = CS + 8"
    mov rbx, after_syscall
    mov rax, [k_rcx]
    RT_CHECK cmp, rax, rbx, e, "RCX = return RIP"
    mov rax, [k_flags]
    and rax, 0x700
    RT_CHECK cmp, rax, 0, e, "SFMASK cleared IF/TF/DF"
    mov rax, [u_cs2]
    RT_CHECK cmp, rax, 0x2b, e, "SYSRET CS = STAR[63:48] + 16 | 3"
    mov rax, [u_ss2]
    RT_CHECK cmp, rax, 0x23, e, "SYSRET SS = STAR[63:48] + 8 | 3"
    mov rax, [u_r11]
    and rax, 0x600
    RT_CHECK cmp, rax, 0x600, e, "R11 holds RFLAGS (IF, DF)"
    mov rax, [i_cs]
    RT_CHECK cmp, rax, 0x2b, e, "INT frame CS"
    mov rax, [i_ss]
    RT_CHECK cmp, rax, 0x23, e, "INT frame SS"
    mov rbx, stack0_top - 40
    mov rax, [i_rsp]
    RT_CHECK cmp, rax, rbx, e, "INT from ring 3 used TSS.RSP0"
    jmp compat_test

h_ud:
    ; IST1 stack, 16-byte aligned frame: RIP CS RFLAGS RSP SS
    mov r14, 1
    mov rax, ist1_top - 40
    cmp rsp, rax
    jne .bad
    mov rax, ud_at
    cmp [rsp], rax
    jne .bad
    cmp qword [rsp + 8], 0x08
    jne .bad
    cmp [rsp + 24], r15
    jne .bad
    cmp qword [rsp + 32], 0x10
    jne .bad
    xor r14, r14
    mov rax, after_ud
    mov [rsp], rax
.bad:
    iretq

h_gp:
    ; error code, then RIP CS RFLAGS RSP SS
    mov r14, 1
    cmp qword [rsp], 0
    jne .bad
    mov rax, gp_at
    cmp [rsp + 8], rax
    jne .bad
    test rsp, 15
    jnz .bad
    xor r14, r14
    mov rax, after_gp
    mov [rsp + 8], rax
.bad:
    add rsp, 8
    iretq

; ---- compatibility mode ----
compat_test:
    RT_PUTS "far jump to a 32-bit code segment: compatibility mode", 10
    mov rax, 0x100000000
    push 0x30
    mov rax, compat32
    push rax
    retfq
bits 32
compat32:
    mov eax, 5
    db 0x48                        ; DEC EAX here, REX.W in 64-bit mode
    mov ecx, eax
    mov [compat_ecx], ecx
    push dword 0x08
    push dword back64
    retf
bits 64
back64:
    mov eax, [compat_ecx]
    RT_CHECK cmp, eax, 4, e, "0x48 decoded as DEC in compatibility mode"
    RT_PASS

; rdi = vector, rsi = handler, ecx = type/attr word (P DPL type | IST)
set_gate:
    mov rax, rdi
    shl rax, 4
    add rax, idt
    mov word [rax], si
    mov word [rax + 2], 0x08
    mov word [rax + 4], cx
    mov rdx, rsi
    shr rdx, 16
    mov word [rax + 6], dx
    shr rdx, 16
    mov dword [rax + 8], edx
    mov dword [rax + 12], 0
    ret

align 16
gdt:
    dq 0
    dq 0x00af9a000000ffff          ; 0x08 code64 ring 0
    dq 0x00cf92000000ffff          ; 0x10 data ring 0
    dq 0x00cffa000000ffff          ; 0x18 code32 ring 3
    dq 0x00cff2000000ffff          ; 0x20 data ring 3
    dq 0x00affa000000ffff          ; 0x28 code64 ring 3
    dq 0x00cf9a000000ffff          ; 0x30 code32 ring 0 (compatibility mode)
    dq 0, 0                        ; 0x38 TSS
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dq gdt
idt_desc:
    dw 256 * 16 - 1
    dq idt
u_cs: dq 0
u_cs2: dq 0
u_ss2: dq 0
u_r11: dq 0
k_cs: dq 0
k_ss: dq 0
k_rcx: dq 0
k_flags: dq 0
i_cs: dq 0
i_ss: dq 0
i_rsp: dq 0
kernel_rsp: dq 0
compat_ecx: dq 0
align 16
tss: times 104 db 0
align 16
idt: times 256 * 16 db 0
align 16
    times 1024 db 0
stack0_top:
    times 1024 db 0
ist1_top:
    times 1024 db 0
ustack_top:

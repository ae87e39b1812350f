; syscall64_stubs.asm — the ring-3 and ring-0 ends of SYSCALL/SYSRET for
; audit/syscall64.c.  The kernel entry keeps no stack of its own (SYSCALL
; does not switch stacks), records what it sees and returns with SYSRET.
bits 64
default rel
extern sup_va
section .data
global k_cs, k_ss, k_rcx, k_r11, k_rflags, k_rsp, k_sup_read, u_cs, u_ss, u_rflags, u_rsp
global u_rsp_before, ret_kind, c_cs, u_ds
u_ds: dq -1
k_cs: dq 0
k_ss: dq 0
k_rcx: dq 0
k_r11: dq 0
k_rflags: dq 0
k_rsp: dq 0
k_sup_read: dq 0
u_cs: dq 0
u_ss: dq 0
u_rflags: dq 0
u_rsp: dq 0
u_rsp_before: dq 0
ret_kind: dq 0          ; 0: SYSRET to 64-bit code, 1: to compatibility mode
c_cs: dq 0

section .text
; void user_syscall(void *): ring 3, 64-bit.  DF and AC set so SFMASK and
; R11 can be seen; the kernel side clears nothing of ours but RCX/R11.
global user_syscall
user_syscall:
    push rbx
    pushfq
    or qword [rsp], 0x40000     ; AC
    popfq
    mov [u_ds], ds
    std
    mov [u_rsp_before], rsp
    syscall
global user_syscall_ret
user_syscall_ret:
    mov [u_rsp], rsp
    pushfq
    pop rax
    mov [u_rflags], rax
    cld
    push rax
    and qword [rsp], ~0x40000
    popfq
    mov [u_cs], cs
    mov [u_ss], ss
    pop rbx
    ret

global kernel_entry
kernel_entry:
    mov [k_cs], cs
    mov [k_ss], ss
    mov [k_rcx], rcx
    mov [k_r11], r11
    mov [k_rsp], rsp
    pushfq
    pop rax
    mov [k_rflags], rax
    mov rax, [sup_va]           ; a supervisor-only page: CPL 0 here
    mov rax, [rax]
    mov [k_sup_read], rax
    cmp qword [ret_kind], 1
    je .compat
    o64 sysret
.compat:
    lea rcx, [compat_user]      ; SYSRET without REX.W: EIP = ECX, CS = STAR[63:48] | 3
    sysret

bits 32
compat_user:
    ; the IRETQ into ring 3 nulled DS (DPL 0 < CPL 3) and 64-bit code never
    ; noticed; compatibility mode uses it, so load the user data segment
    mov ax, 0x2b
    mov ds, ax
    mov [c_cs], cs              ; (absolute: the image is below 4 GiB)
    cld
    int 0x30                    ; the runtime's "user code returned" gate
bits 64

; void user_syscall_nosce(void *): SYSCALL with EFER.SCE = 0 must be #UD.
global user_syscall_nosce, user_syscall_nosce_at
user_syscall_nosce:
user_syscall_nosce_at:
    syscall
    ret

; void user_sysret(void *): SYSRET at CPL 3 is #GP(0).
global user_sysret, user_sysret_at
user_sysret:
user_sysret_at:
    o64 sysret
    ret

; void kernel_sysret_noncanonical(void *): SYSRET to a non-canonical RCX
; faults with #GP(0) at CPL 0, before anything changes.
global kernel_sysret_noncanonical, kernel_sysret_nc_at
kernel_sysret_noncanonical:
    mov rcx, 0x0000800000000000
    mov r11, 0x202
kernel_sysret_nc_at:
    o64 sysret
    ret

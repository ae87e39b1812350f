/* loop64.S — the guest work for bench_interp: ALU, loads/stores and
 * branches.  Position independent, so the same bytes run natively (called
 * from C) and in the guest (copied into guest RAM).
 * rdi = iterations, rsi = 2 KiB buffer; returns a checksum in rax. */
    .text
    .globl bench_loop, bench_loop_end, bench_loop_insns_per_iter
bench_loop:
    xor %ecx, %ecx
    xor %edx, %edx
    mov $0x9e3779b9, %r8d
1:  mov (%rsi,%rcx,8), %rax      /* 1 load */
    add %rdx, %rax               /* 2 */
    xor %r8, %rax                /* 3 */
    lea 1(%rax,%rcx,2), %rdx     /* 4 */
    mov %rdx, (%rsi,%rcx,8)      /* 5 store */
    add $1, %rcx                 /* 6 */
    and $255, %rcx               /* 7 */
    cmp $128, %rcx               /* 8 */
    jb 2f                        /* 9 */
    sub %r8, %rdx                /* 10 (taken half the time) */
2:  sub $1, %rdi                 /* 11 */
    jnz 1b                       /* 12 */
    mov %rdx, %rax
    ret
bench_loop_end:
    .section .rodata
bench_loop_insns_per_iter:
    .long 11                     /* 11.5 on average: 11 + half of one */
    .section .note.GNU-stack,"",@progbits

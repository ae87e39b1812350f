/* mmu64.S — guest work for bench_mmu: memory-translation costs.
 * Position independent, 64-bit, System V arguments (rdi, rsi, rdx), result
 * in rax; bench_sweep also runs natively for the ratio. */
    .text
    .globl bench_sweep, bench_cr3, bench_smc, bench_nosmc, bench_mmu_end

/* rdi = passes, rsi = buffer, rdx = pages: one load per 4 KiB page per pass.
 * More pages than TLB slots make every load a TLB miss. */
bench_sweep:
    xor %eax, %eax
1:  mov %rdx, %rcx
    mov %rsi, %r8
2:  add (%r8), %rax
    add $4096, %r8
    dec %rcx
    jnz 2b
    dec %rdi
    jnz 1b
    ret

/* rdi = iterations, rsi = buffer: reloads CR3 (flushing non-global
 * translations) and touches two pages each iteration.  Ring 0 only. */
bench_cr3:
    xor %eax, %eax
1:  mov %cr3, %rcx
    mov %rcx, %cr3
    add (%rsi), %rax
    add 4096(%rsi), %rax
    dec %rdi
    jnz 1b
    ret

/* rdi = iterations: each iteration patches the immediate of an instruction
 * it then executes (self-modifying code on the page it runs from).
 * Returns the sum of the patched immediates, 0 + 1 + ... + (n-1) mod 2^32. */
bench_smc:
    xor %eax, %eax
    xor %edx, %edx
1:  movl %eax, 3f+1(%rip)
3:  movl $0, %ecx
    add %ecx, %edx
    inc %eax
    dec %rdi
    jnz 1b
    mov %edx, %eax
    ret

/* The same with the store going to a data page (rsi): the baseline that
 * isolates the cost of the invalidation and re-decode. */
bench_nosmc:
    xor %eax, %eax
    xor %edx, %edx
1:  movl %eax, (%rsi)
    movl (%rsi), %ecx
    add %ecx, %edx
    inc %eax
    dec %rdi
    jnz 1b
    mov %edx, %eax
    ret
bench_mmu_end:
    .section .note.GNU-stack,"",@progbits

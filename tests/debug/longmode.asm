; longmode.asm — real mode -> 32-bit protected mode with paging -> 64-bit
; long mode (-bin @0x7c00 -mode 16), for gdb_modes.sh: gdb follows it
; through both switches and checks the monitor against the state it sets
; up.  The addresses gdb_modes.sh breaks at are fixed by the `times' lines:
;   0x7c20  the far jump into 32-bit code (pm32 at 0x7c40)
;   0x7d80  `paged': 32-bit paging on (4 MiB page at 0, a page table for
;           0x400000-0x402fff), three IRQ0s taken from the PIT in one-shot
;           mode, the last one still in service (no EOI)
;   0x7e40  the far jump into 64-bit code (lm64 at 0x7e80)
;   0x7ec0  `done64': 4-level paging, then the exit port (status 85)
; Page tables and the pages they map (physical):
;   0x20000 PD, 0x21000 PT (32-bit); 0x22000 PML4, 0x23000 PDPT, 0x24000 PD,
;   0x25000 PT, 0x26000 PDPT and 0x27000 PD for 0xffffffff80000000;
;   0x30000, 0x31000, 0x32000 data pages (0x31000 holds 0x5a5a5a5a).
bits 16
org 0x7c00
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    times 0x20-($-$$) nop
    jmp 0x08:pm32                   ; 0x7c20: into 32-bit code
    times 0x40-($-$$) nop
bits 32
pm32:
    mov eax, 0x10
    mov ds, eax
    mov es, eax
    mov ss, eax
    mov esp, 0x7000
    ; An IDT with one gate, vector 0x20 (IRQ0 after the PIC setup).
    mov edi, 0x9000
    xor eax, eax
    mov ecx, 512
    rep stosd
    mov eax, timer
    mov [0x9000 + 0x20 * 8], ax
    mov word [0x9000 + 0x20 * 8 + 2], 0x08
    mov word [0x9000 + 0x20 * 8 + 4], 0x8e00
    shr eax, 16
    mov [0x9000 + 0x20 * 8 + 6], ax
    lidt [idtr]
    ; 8259 pair: master at vector 0x20, slave at 0x28, only IRQ0 unmasked.
    mov al, 0x11
    out 0x20, al
    out 0xa0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xa1, al
    mov al, 4
    out 0x21, al
    mov al, 2
    out 0xa1, al
    mov al, 1
    out 0x21, al
    out 0xa1, al
    mov al, 0xfe
    out 0x21, al
    mov al, 0xff
    out 0xa1, al
    ; Three PIT one-shots (mode 0): one IRQ0 edge each, however long they take.
.next:
    mov al, 0x30
    out 0x43, al
    xor al, al
    out 0x40, al
    mov al, 0x10
    out 0x40, al
    mov ebx, [ticks]
.wait:
    sti
    hlt
    cli
    cmp [ticks], ebx
    je .wait
    cmp dword [ticks], 3
    jb .next
    ; Data the paged views must show.
    mov dword [0x31000], 0x5a5a5a5a
    mov dword [0x32000], 0x01020304
    ; 32-bit paging: PDE0 a 4 MiB page at 0, PDE1 a page table.
    mov edi, 0x20000
    xor eax, eax
    mov ecx, 2048
    rep stosd
    mov dword [0x20000], 0x00000083 ; P RW PS
    mov dword [0x20004], 0x00021007 ; P RW US
    mov dword [0x21000], 0x00030005 ; 0x400000 -> 0x30000, P US (read-only)
    mov dword [0x21004], 0x00031003 ; 0x401000 -> 0x31000, P RW
    mov dword [0x21008], 0x00032003 ; 0x402000 -> 0x32000, P RW
    mov eax, 0x20000
    mov cr3, eax
    mov eax, cr4
    or eax, 0x10                    ; PSE
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp paged
    times 0x180-($-$$) nop
paged:                              ; 0x7d80
    nop
    ; Into long mode: paging off, 4-level tables, PAE, LME and NXE, paging on.
    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    mov edi, 0x22000
    xor eax, eax
    mov ecx, 6 * 1024
    rep stosd
    mov dword [0x22000], 0x00023007           ; PML4[0]
    mov dword [0x22000 + 511 * 8], 0x00026007 ; PML4[511]
    mov dword [0x23000], 0x00024007           ; PDPT[0]
    mov dword [0x24000], 0x00000083           ; PD[0]: 2 MiB at 0, P RW PS
    mov dword [0x24000 + 2 * 8], 0x00025007   ; PD[2]: 0x400000
    mov dword [0x25000], 0x00030005           ; 0x400000 -> 0x30000, P US
    mov dword [0x25004], 0x80000000           ;   and XD
    mov dword [0x25008], 0x00031003           ; 0x401000 -> 0x31000, P RW
    mov dword [0x26000 + 510 * 8], 0x00027007 ; PDPT[510]: 0xffffffff80000000
    mov dword [0x27000], 0x00200183           ; 2 MiB at 0x200000, P RW PS G
    mov eax, cr4
    or eax, 0x20                    ; PAE
    mov cr4, eax
    mov eax, 0x22000
    mov cr3, eax
    mov ecx, 0xc0000080
    rdmsr
    or eax, 0x900                   ; LME, NXE
    wrmsr
    mov eax, cr0
    or eax, 0x80000000              ; LMA: compatibility mode
    mov cr0, eax
    times 0x240-($-$$) nop
    jmp 0x18:lm64                   ; 0x7e40: into 64-bit code
    times 0x280-($-$$) nop
bits 64
lm64:                               ; 0x7e80
    mov rax, 0x1122334455667788
    mov [rel flag64], rax           ; a write: D in PD[0]
    mov rcx, 0xffffffff80000000
    times 0x2c0-($-$$) nop
done64:                             ; 0x7ec0
    nop
    mov al, 0x2a
    out 0xf4, al                    ; exit status (0x2a << 1) | 1 = 85
    hlt
bits 32
timer:                              ; the last of the three stays in service
    push eax
    inc dword [ticks]
    cmp dword [ticks], 3
    jae .noeoi
    mov al, 0x20
    out 0x20, al
.noeoi:
    pop eax
    iret
align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff           ; 08: code, flat 4 GiB, 32-bit
    dq 0x00cf92000000ffff           ; 10: data, flat 4 GiB
    dq 0x00af9a000000ffff           ; 18: code, 64-bit
gdtr:
    dw gdtr - gdt - 1
    dd gdt
idtr:
    dw 256 * 8 - 1
    dd 0x9000
ticks: dd 0
align 8
flag64: dq 0

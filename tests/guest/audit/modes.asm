; audit/modes.asm — the whole mode ladder in one guest:
;   reset -> real mode -> 32-bit protected mode -> 32-bit paging -> PAE ->
;   long mode (64-bit code) -> compatibility mode -> long mode left
;   (CR0.PG, EFER.LME cleared) -> protected mode without paging -> real mode
;   -> reset again through port 0x92.
; Every rung checks the mode's control bits, computes something only that
; mode can compute and stores it in a result table; the last real-mode rung
; checks the whole table again.
;
; The file is a 64 KiB firmware image (ringzero -bios): the CPU starts at
; the reset vector F000:FFF0 (physical 0xFFFFFFF0), whose near jump reaches
; rom_boot below while CS still has its reset base 0xFFFF0000.  rom_boot
; stores the untouched reset state at RS (RAM), copies the payload (the
; start of the image, assembled for 0x7c00) from the ROM's alias below
; 1 MiB to 0x7c00 and jumps there, so the payload's labels are linear
; addresses with segments based at 0 in every mode.  The payload checks
; the reset state, climbs the ladder, dirties some state, marks MARK and
; pulses the fast-reset line; after that reset the same path runs again
; and the second pass checks the reset state once more and that RAM kept
; the mark.
%include "rt.inc"
bits 16
org 0x7c00

%define MARK     0x500          ; second-boot marker (RAM survives the reset)
%define RS       0x600          ; reset state stored by rom_boot:
%define RS_EAX   RS + 0x00
%define RS_EBX   RS + 0x04
%define RS_ECX   RS + 0x08
%define RS_EDX   RS + 0x0c
%define RS_ESI   RS + 0x10
%define RS_EDI   RS + 0x14
%define RS_EBP   RS + 0x18
%define RS_ESP   RS + 0x1c
%define RS_CR0   RS + 0x20
%define RS_CR3   RS + 0x24
%define RS_CR4   RS + 0x28
%define RS_EFER  RS + 0x2c
%define RS_DR7   RS + 0x30
%define RS_FLAGS RS + 0x34
%define RS_CS    RS + 0x38
%define RS_DS    RS + 0x3a
%define RS_ES    RS + 0x3c
%define RS_SS    RS + 0x3e
%define RS_FS    RS + 0x40
%define RS_GS    RS + 0x42
%define RS_GDTR  RS + 0x48
%define RS_IDTR  RS + 0x50
%define RS_DR6   RS + 0x58
%define PD32     0x10000        ; 32-bit paging: page directory
%define PT32_LO  0x11000        ;   page table for 0..4 MiB (identity)
%define PT32_HI  0x12000        ;   page table for 0x40000000
%define PDPT_PAE 0x13000        ; PAE: PDPT
%define PD_PAE0  0x14000        ;   PD for 0..1 GiB (2 MiB identity pages)
%define PD_PAE1  0x15000        ;   PD for 1..2 GiB
%define PT_PAE1  0x16000        ;   PT for 0x40000000
%define PML4     0x17000        ; 4-level: PML4
%define PDPT64   0x18000        ;   PDPT for PML4[0]
%define PD64_0   0x19000        ;   PD for 0..1 GiB (2 MiB identity)
%define PD64_1   0x1a000        ;   PD for 1..2 GiB
%define PT64_1   0x1b000        ;   PT for 0x40000000
%define PDPT64H  0x1c000        ;   PDPT for PML4[256] (0xffff800000000000)
%define PD64H    0x1d000        ;   PD for it: one 2 MiB page -> 0x200000
%define TABLES_END 0x1e000
%define VA       0x40000000     ; the test virtual address in every paging mode
%define HIGH_VA  0xffff800000103000


start:
    cli
    RT_START                    ; DS = ES = SS = 0 (CS is 0), SP = 0xfff0
    cmp dword [MARK], 0x54455352   ; 'RSET'
    je second_boot
    RT_PUTS "rung 0: cold boot from the firmware image at the reset vector", 10
    call check_reset_state
; ---- rung 1: real mode ----
    RT_PUTS "rung 1: real mode: segment:offset arithmetic, 16-bit wrap", 10
    mov ax, 0x1234
    mov es, ax
    mov word [es:0x0010], 0xbeef        ; linear 0x12350
    mov ax, 0x1000
    mov es, ax
    mov ax, [es:0x2350]
    RT_CHECK cmp, ax, 0xbeef, e, "0x1234:0x0010 and 0x1000:0x2350 are the same byte"
    mov bx, 0xffff
    add bx, 3                           ; 16-bit wrap: 2, CF
    setc cl
    movzx cx, cl
    RT_CHECK cmp, bx, 2, e, "16-bit 0xffff + 3"
    RT_CHECK cmp, cx, 1, e, "carry out of the 16-bit add"
    mov eax, cr0
    and eax, 0x80000001
    RT_CHECK cmp, eax, 0, e, "CR0.PE = PG = 0 in real mode"
    mov [res_real], bx
    xor ax, ax
    mov es, ax

; ---- rung 2: protected mode ----
    RT_PUTS "rung 2: protected mode (CR0.PE, far jump to a 32-bit segment)", 10
    lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:pm32
bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov esp, 0x7000
    mov eax, cr0
    and eax, 0x80000001
    RT_CHECK cmp, eax, 1, e, "CR0.PE = 1, PG = 0"
    mov ax, cs
    RT_CHECK cmp, ax, 0x08, e, "CS = the 32-bit code selector"
    mov eax, 0x7fffffff
    add eax, eax                        ; 32-bit arithmetic
    db 0x40                             ; INC EAX in 32-bit code
    RT_CHECK cmp, eax, 0xffffffff, e, "0x7fffffff * 2 + 1 in 32-bit code"
    mov dword [0x200000], 0x32323232    ; beyond 1 MiB: only with 32-bit offsets
    mov ebx, [0x200000]
    RT_CHECK cmp, ebx, 0x32323232, e, "store/load at 2 MiB"
    mov [res_pm32], eax
    ; zero the page-table area
    mov edi, PD32
    mov ecx, (TABLES_END - PD32) / 4
    xor eax, eax
    cld
    rep stosd
    mov dword [0x300000], 0
    mov dword [0x301000], 0
    mov dword [0x302000], 0
    mov dword [0x303000], 0

; ---- rung 3: 32-bit paging ----
    RT_PUTS "rung 3: 32-bit paging (4 KiB pages, VA 0x40000000 -> 0x300000)", 10
    mov dword [PD32], PT32_LO | 3
    mov dword [PD32 + (VA >> 22) * 4], PT32_HI | 3
    mov edi, PT32_LO
    mov eax, 3
    mov ecx, 1024
.id32:
    mov [edi], eax
    add eax, 0x1000
    add edi, 4
    loop .id32
    mov dword [PT32_HI], 0x300000 | 3
    mov eax, PD32
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp .pg32                           ; (code is identity-mapped)
.pg32:
    mov eax, cr0
    and eax, 0x80000001
    RT_CHECK cmp, eax, 0x80000001, e, "CR0.PG|PE with 32-bit paging"
    mov eax, 0x12340032
    mov [VA], eax
    mov ebx, [0x300000]                 ; identity view of the frame
    RT_CHECK cmp, ebx, 0x12340032, e, "write through VA 0x40000000 lands at 0x300000"
    mov eax, [PT32_HI]
    and eax, 0x60
    RT_CHECK cmp, eax, 0x60, e, "PTE A and D set by the write"
    mov [res_pg32], ebx

; ---- rung 4: PAE ----
    RT_PUTS "rung 4: PAE paging (CR4.PAE, PDPT; VA 0x40000000 -> 0x301000)", 10
    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    mov dword [PDPT_PAE], PD_PAE0 | 1
    mov dword [PDPT_PAE + 8], PD_PAE1 | 1
    mov dword [PD_PAE0], 0x000000 | 0x83     ; 2 MiB pages, identity 0..4 MiB
    mov dword [PD_PAE0 + 8], 0x200000 | 0x83
    mov dword [PD_PAE1], PT_PAE1 | 3
    mov dword [PT_PAE1], 0x301000 | 3
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, PDPT_PAE
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp .pae
.pae:
    mov eax, cr4
    and eax, 1 << 5
    RT_CHECK cmp, eax, 1 << 5, e, "CR4.PAE"
    mov eax, [PD_PAE0 + 8]
    and eax, 0x20
    RT_CHECK cmp, eax, 0, e, "2 MiB PDE for 2..4 MiB not accessed yet"
    mov ebx, [0x2ffffc]                 ; through the 2..4 MiB large page
    mov eax, [PD_PAE0 + 8]
    and eax, 0x20
    RT_CHECK cmp, eax, 0x20, e, "2 MiB PDE accessed by a read through it"
    mov eax, 0x123400ae
    mov [VA], eax
    mov ebx, [0x301000]
    RT_CHECK cmp, ebx, 0x123400ae, e, "write through VA 0x40000000 lands at 0x301000"
    mov ebx, [0x300000]
    RT_CHECK cmp, ebx, 0x12340032, e, "the 32-bit paging frame is untouched"
    mov ebx, [0x301000]
    mov [res_pae], ebx

; ---- rung 5: long mode ----
    RT_PUTS "rung 5: IA-32e: PG off, 4-level tables, EFER.LME, PG on -> LMA", 10
    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    mov dword [PML4], PDPT64 | 3
    mov dword [PML4 + 256 * 8], PDPT64H | 3
    mov dword [PDPT64], PD64_0 | 3
    mov dword [PDPT64 + 8], PD64_1 | 3
    mov dword [PD64_0], 0x000000 | 0x83
    mov dword [PD64_0 + 8], 0x200000 | 0x83
    mov dword [PD64_1], PT64_1 | 3
    mov dword [PT64_1], 0x302000 | 3
    mov dword [PDPT64H], PD64H | 3
    mov dword [PD64H], 0x200000 | 0x83
    mov eax, PML4
    mov cr3, eax
    mov ecx, 0xc0000080
    rdmsr
    or eax, 1 << 8                      ; LME
    wrmsr
    rdmsr
    and eax, 0x500
    RT_CHECK cmp, eax, 0x100, e, "EFER.LME set, LMA still clear before paging"
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    ; compatibility mode now (CS is still the 32-bit segment)
    mov ecx, 0xc0000080
    rdmsr
    and eax, 0x500
    RT_CHECK cmp, eax, 0x500, e, "EFER.LMA set by CR0.PG with LME"
    jmp 0x18:lm64
bits 64
lm64:
    RT_PUTS "rung 5: 64-bit code runs", 10
    mov rax, 0x0123456789abcdef
    rol rax, 8                          ; 64-bit register: 0x23456789abcdef01
    mov rbx, 0x23456789abcdef01
    cmp rax, rbx
    je .ok64
    RT_FAIL "64-bit ROL of 0x0123456789abcdef by 8"
.ok64:
    mov r9, rax                         ; REX registers exist
    mov [VA], r9                        ; VA -> 0x302000
    mov rcx, [0x302000]
    cmp rcx, rbx
    je .okva
    RT_FAIL "64-bit store through VA 0x40000000 lands at 0x302000"
.okva:
    mov rsi, HIGH_VA                    ; PML4[256]: a high canonical address
    mov rdx, 0xfedcba9876543210
    mov [rsi], rdx
    cmp rdx, [0x303000]
    je .okhi
    RT_FAIL "store through 0xffff800000103000 lands at 0x303000"
.okhi:
    lea rax, [rel .here]                ; RIP-relative addressing
.here:
    mov rcx, .here
    cmp rax, rcx
    je .okrip
    RT_FAIL "RIP-relative LEA"
.okrip:
    mov [res_lm], r9

; ---- rung 6: compatibility mode ----
    push qword 0x08
    lea rax, [rel compat32]
    push rax
    retfq
bits 32
compat32:
    RT_PUTS "rung 6: compatibility mode (32-bit segment under LMA)", 10
    mov ecx, 0xc0000080
    rdmsr
    and eax, 0x500
    RT_CHECK cmp, eax, 0x500, e, "EFER.LMA still set in compatibility mode"
    mov eax, 7
    db 0x48                             ; DEC EAX here (REX.W in 64-bit code)
    RT_CHECK cmp, eax, 6, e, "0x48 is DEC EAX in compatibility mode"
    mov ebx, [VA]                       ; paging still 4-level
    RT_CHECK cmp, ebx, 0xabcdef01, e, "VA 0x40000000 read in compatibility mode"
    mov [res_compat], eax

; ---- rung 7: leave long mode ----
    RT_PUTS "rung 7: leave IA-32e: CR0.PG off (LMA clears), EFER.LME off", 10
    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    mov ecx, 0xc0000080
    rdmsr
    mov ebx, eax
    and ebx, 0x500
    RT_CHECK cmp, ebx, 0x100, e, "EFER.LMA cleared with CR0.PG (LME still set)"
    and eax, ~(1 << 8)
    wrmsr
    rdmsr
    RT_CHECK cmp, eax, 0, e, "EFER = 0 after clearing LME"
    mov eax, cr4
    and eax, ~(1 << 5)
    mov cr4, eax

; ---- rung 8: protected mode without paging ----
    RT_PUTS "rung 8: protected mode, paging off: physical view of every frame", 10
    mov eax, cr0
    and eax, 0x80000001
    RT_CHECK cmp, eax, 1, e, "CR0.PE = 1, PG = 0 after long mode"
    mov eax, [0x300000]
    RT_CHECK cmp, eax, 0x12340032, e, "frame 0x300000 (32-bit paging rung)"
    mov eax, [0x301000]
    RT_CHECK cmp, eax, 0x123400ae, e, "frame 0x301000 (PAE rung)"
    mov eax, [0x302000]
    RT_CHECK cmp, eax, 0xabcdef01, e, "frame 0x302000 low (long-mode rung)"
    mov eax, [0x302004]
    RT_CHECK cmp, eax, 0x23456789, e, "frame 0x302000 high (long-mode rung)"
    mov eax, [0x303004]
    RT_CHECK cmp, eax, 0xfedcba98, e, "frame 0x303000 (high canonical mapping)"
    mov eax, 0x10000
    mov ecx, 0x10
    mul ecx                             ; EDX:EAX = 0x100000: 32-bit MUL
    mov [res_pm], eax
    ; to a 16-bit segment, then real mode
    jmp 0x20:pm16
bits 16
pm16:
    mov ax, 0x28                        ; 64 KiB data segments for real mode
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp 0x0000:real_again

; ---- rung 9: real mode again ----
real_again:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0xfff0
    RT_PUTS "rung 9: back in real mode: CR0, segments, every rung's result", 10
    mov eax, cr0
    and eax, 0x80000001
    RT_CHECK cmp, eax, 0, e, "CR0.PE = PG = 0"
    mov ax, 0x2000                      ; real-mode segment loads work again
    mov es, ax
    mov word [es:0x10], 0x5aa5
    mov ax, 0x2001
    mov fs, ax
    mov ax, [fs:0]
    RT_CHECK cmp, ax, 0x5aa5, e, "0x2000:0x10 and 0x2001:0 are the same word"
    xor ax, ax
    mov es, ax
    mov fs, ax
    mov ax, [res_real]
    RT_CHECK cmp, ax, 2, e, "real-mode result"
    mov eax, [res_pm32]
    RT_CHECK cmp, eax, 0xffffffff, e, "protected-mode result"
    mov eax, [res_pg32]
    RT_CHECK cmp, eax, 0x12340032, e, "32-bit paging result"
    mov eax, [res_pae]
    RT_CHECK cmp, eax, 0x123400ae, e, "PAE result"
    mov eax, [res_lm]
    RT_CHECK cmp, eax, 0xabcdef01, e, "long-mode result (low)"
    mov eax, [res_lm + 4]
    RT_CHECK cmp, eax, 0x23456789, e, "long-mode result (high)"
    mov eax, [res_compat]
    RT_CHECK cmp, eax, 6, e, "compatibility-mode result"
    mov eax, [res_pm]
    RT_CHECK cmp, eax, 0x100000, e, "unpaged protected-mode result"

    RT_PUTS "rung 10: dirty CR4/EFER/GPRs, then the port 0x92 fast reset", 10
    mov dword [MARK], 0x54455352
    mov eax, cr4
    or eax, 0x90                        ; PSE | PGE
    mov cr4, eax
    mov ecx, 0xc0000080
    xor edx, edx
    mov eax, 1                          ; SCE
    wrmsr
    mov eax, 0x11111111
    mov ebx, eax
    mov ecx, eax
    mov esi, eax
    mov edi, eax
    mov ebp, eax
    mov edx, eax
    mov ax, 0x1234
    mov fs, ax
    mov gs, ax
    in al, 0x92
    and al, 0xfe
    out 0x92, al
    or al, 1
    out 0x92, al
    RT_FAIL "still running after the port 0x92 fast reset"

second_boot:
    RT_PUTS "after the fast reset: the reset vector ran again, RAM kept the mark", 10
    mov dword [MARK], 0
    call check_reset_state
    RT_PASS

; The reset state rom_boot recorded (SDM Vol. 3 table "IA-32 Processor
; States Following Power-up, Reset, or INIT").
check_reset_state:
    mov ax, [RS_CS]
    RT_CHECK cmp, ax, 0xf000, e, "CS at the reset vector"
    mov eax, [RS_FLAGS]
    RT_CHECK cmp, eax, 0x00000002, e, "EFLAGS after reset"
    mov eax, [RS_ESP]
    RT_CHECK cmp, eax, 0, e, "ESP after reset"
    mov eax, [RS_CR0]
    RT_CHECK cmp, eax, 0x60000010, e, "CR0 after reset"
    mov eax, [RS_CR3]
    RT_CHECK cmp, eax, 0, e, "CR3 after reset"
    mov eax, [RS_CR4]
    RT_CHECK cmp, eax, 0, e, "CR4 after reset"
    mov eax, [RS_EFER]
    RT_CHECK cmp, eax, 0, e, "EFER after reset"
    mov eax, [RS_DR7]
    RT_CHECK cmp, eax, 0x400, e, "DR7 after reset"
    mov eax, [RS_DR6]
    RT_CHECK cmp, eax, 0xffff0ff0, e, "DR6 after reset"
    mov eax, [RS_EAX]
    RT_CHECK cmp, eax, 0, e, "EAX after reset (no BIST)"
    mov eax, [RS_EBX]
    or eax, [RS_ECX]
    or eax, [RS_ESI]
    or eax, [RS_EDI]
    or eax, [RS_EBP]
    RT_CHECK cmp, eax, 0, e, "EBX|ECX|ESI|EDI|EBP after reset"
    mov ax, [RS_DS]
    or ax, [RS_ES]
    or ax, [RS_SS]
    or ax, [RS_FS]
    or ax, [RS_GS]
    RT_CHECK cmp, ax, 0, e, "DS|ES|SS|FS|GS selectors after reset"
    mov ax, [RS_GDTR]
    RT_CHECK cmp, ax, 0xffff, e, "GDTR limit after reset"
    mov eax, [RS_GDTR + 2]
    RT_CHECK cmp, eax, 0, e, "GDTR base after reset"
    mov ax, [RS_IDTR]
    RT_CHECK cmp, ax, 0xffff, e, "IDTR limit after reset"
    mov eax, [RS_IDTR + 2]
    RT_CHECK cmp, eax, 0, e, "IDTR base after reset"
    mov eax, 1
    cpuid
    mov ebx, [RS_EDX]
    RT_CHECK cmp, ebx, eax, e, "EDX after reset = CPUID(1).EAX signature"
    ret

align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff               ; 0x08 code32
    dq 0x00cf92000000ffff               ; 0x10 data32 4 GiB
    dq 0x00af9a000000ffff               ; 0x18 code64
    dq 0x00009a000000ffff               ; 0x20 code16, base 0, 64 KiB
    dq 0x000092000000ffff               ; 0x28 data16, base 0, 64 KiB
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd gdt

align 8
res_lm: dq 0
res_real: dd 0
res_pm32: dd 0
res_pg32: dd 0
res_pae: dd 0
res_compat: dd 0
res_pm: dd 0

payload_end:

; ---- firmware part: runs from the ROM, never copied ----
; Entered by the near jump at the reset vector, so IP is this label's
; offset in the image and CS base is still 0xFFFF0000.  DS is 0: the reset
; state goes straight to RAM before any register changes.
rom_boot:
    mov [RS_EAX], eax
    mov [RS_EBX], ebx
    mov [RS_ECX], ecx
    mov [RS_EDX], edx
    mov [RS_ESI], esi
    mov [RS_EDI], edi
    mov [RS_EBP], ebp
    mov [RS_ESP], esp
    mov [RS_CS], cs
    mov [RS_DS], ds
    mov [RS_ES], es
    mov [RS_SS], ss
    mov [RS_FS], fs
    mov [RS_GS], gs
    mov eax, cr0
    mov [RS_CR0], eax
    mov eax, cr3
    mov [RS_CR3], eax
    mov eax, cr4
    mov [RS_CR4], eax
    mov eax, dr7
    mov [RS_DR7], eax
    mov eax, dr6
    mov [RS_DR6], eax
    mov ecx, 0xc0000080
    rdmsr
    mov [RS_EFER], eax
    sgdt [RS_GDTR]
    sidt [RS_IDTR]
    mov esp, 0x7000             ; (a 16-bit stack below the payload)
    pushfd
    pop eax
    mov [RS_FLAGS], eax
    ; copy the payload from the ROM's alias below 1 MiB
    mov ax, 0xf000
    mov ds, ax
    xor si, si
    xor ax, ax
    mov es, ax
    mov di, 0x7c00
    mov cx, payload_end - $$
    cld
    rep movsb
    jmp 0x0000:start

    times 0xfff0 - ($ - $$) db 0xf4
reset_vector:                   ; F000:FFF0
    jmp near rom_boot           ; IP-relative: stays in the ROM's top copy
    times 0x10000 - ($ - $$) db 0xf4

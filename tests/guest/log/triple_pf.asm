; log/triple_pf.asm — a page fault with no usable handler: paging maps only
; the first 4 MiB and every IDT gate is a 32-bit interrupt gate marked not
; present, so the store to 0x40000000 raises #PF(2) (not present, write,
; supervisor), its gate raises #NP(0x73) (IDT entry 14, EXT), #PF then a
; contributory fault is #DF, and #DF's gate raises #NP(0x43): shutdown.
; log_triple_*.expect check what the log and stderr say about it.
%include "rt.inc"
bits 32
org RT_ORG
    RT_START
    RT_PUTS "page fault with no handler ahead", 10
    mov esp, 0x90000            ; inside the mapped 4 MiB
    mov eax, cr4
    or eax, 0x10                ; CR4.PSE: 4 MiB pages
    mov cr4, eax
    mov eax, pd
    mov cr3, eax
    lidt [idt_desc]
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov dword [0x40000000], 0x1234
    RT_FAIL "still running after a triple fault"

idt_desc:
    dw 256 * 8 - 1
    dd idt

align 4096
pd:
    dd 0x83                     ; 0..4 MiB: present, writable, 4 MiB page
    times 1023 dd 0
idt:
%rep 256
    dd 0, 0x00000e00            ; 32-bit interrupt gate, P = 0
%endrep

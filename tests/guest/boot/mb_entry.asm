; boot/mb_entry.asm — Multiboot header and entry for the boot_multiboot_*
; guests.  The header comes first in the image (boot/mb_link.ld), well
; inside the first 8 KiB of the file.  With AOUT_KLUDGE, flag bit 16 makes
; ringzero load the image by the address fields (the guest is then shipped
; as a flat binary); without it, by the ELF program headers.
;
; The loader leaves EAX/EBX and the machine state for the kernel to check;
; ESP is undefined at entry, so the state is saved before the runtime's
; _start (crt32.asm) sets its own stack and segments.
%ifdef AOUT_KLUDGE
  %define MB_FLAGS 0x00010003        ; address fields; page-aligned modules; memory info
%else
  %define MB_FLAGS 0x00000003
%endif

extern _start, __image_start, __data_end, __image_end

section .multiboot progbits alloc noexec nowrite align=4
global mb_header
mb_header:
    dd 0x1badb002
    dd MB_FLAGS
    dd -(0x1badb002 + MB_FLAGS)
    dd mb_header                     ; header_addr
    dd __image_start                 ; load_addr
    dd __data_end                    ; load_end_addr
    dd __image_end                   ; bss_end_addr
    dd mb_entry                      ; entry_addr

section .text
bits 32
global mb_entry
mb_entry:
    mov [mb_eax], eax
    mov [mb_ebx], ebx
    mov eax, cr0
    mov [mb_cr0], eax
    mov eax, cr4
    mov [mb_cr4], eax
    mov esp, mb_stack_top
    pushfd
    pop dword [mb_eflags]
    jmp _start

section .data
align 4
global mb_eax, mb_ebx, mb_cr0, mb_cr4, mb_eflags
mb_eax: dd 0
mb_ebx: dd 0
mb_cr0: dd 0
mb_cr4: dd 0
mb_eflags: dd 0

section .bss
align 16
mb_stack: resb 64
mb_stack_top:

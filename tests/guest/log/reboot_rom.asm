; log/reboot_rom.asm — a 64 KiB firmware ROM (-bios) that triple-faults in
; real mode: an IDT limit of 0 makes INT3 raise #GP, which raises #GP, then
; #DF, then #GP.  Without -no-reboot the machine resets through the same
; path as the keyboard controller's reset line and the ROM runs again from
; F000:FFF0; RAM survives, so the second run sees its marker and passes.
; Built with -DLOOP it faults on every run: ringzero must give up after a
; few resets that make no progress instead of looping for ever.
%include "rt.inc"
bits 16
org 0
start:
    mov ax, cs
    mov ds, ax                  ; RT_PUTS reads its strings through DS
    xor ax, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7000
%ifndef LOOP
    cmp word [es:0x500], 0x5a5a
    je second_run
    mov word [es:0x500], 0x5a5a
%endif
    RT_PUTS "first run: triple fault ahead", 10
    o32 lidt [idt0]
    int3
    RT_FAIL "still running after a triple fault"
second_run:
    RT_PUTS "running again after the reset", 10
    RT_PASS
idt0:
    dw 0
    dd 0

    times 0xfff0 - ($ - $$) db 0xff
reset_vector:                   ; F000:FFF0
    jmp 0xf000:start
    times 0x10000 - ($ - $$) db 0xff

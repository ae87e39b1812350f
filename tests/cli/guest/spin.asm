; spin.asm — flat 32-bit (-bin @0x100000 -mode 32): writes a POST code, a
; text without a newline to the debug console (0xE9) and to COM1, then
; never stops: it spins with interrupts off, or with -DIDLE waits in HLT
; with interrupts on while the PIT runs with its IRQ masked at the 8259 (a
; timer keeps the machine waiting; without one ringzero would stop at once,
; since nothing could wake the CPU).  What it wrote must all be in
; the output files when the run is killed (tests/cli/kill_run.c).
bits 32
org 0x100000
    mov al, 0x5a
    out 0x80, al
    mov esi, text
.next:
    lodsb
    test al, al
    jz .done
    out 0xe9, al
    mov dx, 0x3f8
    out dx, al
    jmp .next
.done:
%ifdef IDLE
    mov al, 0xff
    out 0x21, al          ; every IRQ masked at both 8259s
    out 0xa1, al
    mov al, 0x34          ; PIT channel 0, mode 2, count 65536 (18.2 Hz)
    out 0x43, al
    xor al, al
    out 0x40, al
    out 0x40, al
    sti
.idle:
    hlt
    jmp .idle
%else
.spin:
    jmp .spin
%endif
text: db "spin: written, no newline", 0

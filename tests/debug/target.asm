; target.asm — the guest the gdb tests debug (tests/debug/gdb_test.sh), one
; source for the three modes: nasm -DMODE=16|32|64.  Flat binary, run with
; -bin target16.bin@0x7c00 -mode 16 (CS=07C0, IP=0: $pc must be the linear
; 0x7c00), or -bin targetNN.bin@0x100000 -mode 32|64.  Fixed offsets, so
; the test knows its addresses: +0x00 start, +0x20 bp1, +0x30 the store
; to wdata (a watchpoint's target), +0x40 spin (until gdb sets flag), +0x60
; halt (STI; HLT with no timer: only gdb's Ctrl-C wakes ringzero), +0x100
; flag, +0x101 data, +0x102 wdata.  It exits through port 0xF4
; with data, so the exit status, (data << 1) | 1, shows a gdb memory write.
%if MODE == 16
bits 16
org 0
%else
bits MODE
org 0x100000
%endif
start:
%if MODE == 16
    push cs                     ; DS = CS: the data below is CS-relative
    pop ds
%endif
    mov eax, 0x11111111
    mov ebx, 0x22222222
%if MODE == 64
    mov rcx, 0x123456789abcdef0 ; movabs: only 64-bit code has it
%endif
    times 0x20-($-$$) nop
bp1:
    add eax, ebx                ; after a stepi: eax = 0x33333333
    nop
    times 0x30-($-$$) nop
wstore:
    mov byte [wdata], 0x77      ; a write watchpoint stops after this
    nop
    times 0x40-($-$$) nop
spin:
    cmp byte [flag], 0
    je spin
    mov al, [data]
    out 0xf4, al
    hlt
    times 0x60-($-$$) nop
halt:
    sti
    hlt
    jmp halt
    times 0x100-($-$$) db 0
flag: db 0
data: db 0x11
wdata: db 0

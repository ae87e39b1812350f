; boot/rom.asm — a firmware ROM for ringzero -bios.
;
; The CPU starts at the reset vector F000:FFF0 with CS base 0xFFFF0000, i.e.
; the ROM's last 16 bytes just below 4 GiB.  The ROM checks the reset state,
; that it sees itself below 4 GiB and (its last 128 KiB) below 1 MiB, that
; RAM at 0x7C00 is writable, that the VGA window and the rest of the legacy
; area read all-ones and that ROM ignores writes; then it enters protected
; mode, repeats the memory checks with flat addresses, and passes.
;
;   nasm -f bin -DROM_SIZE=<bytes> [-DRESET_TEST] rom.asm
;
; RESET_TEST: the ROM counts its boots in CMOS NVRAM (the board keeps CMOS
; over a reset) and resets the machine twice — through port 0xCF9 from
; protected mode, then through the port 0x92 fast-reset bit — before it runs
; the checks on the third boot.  That proves a reset re-enters the firmware
; at the reset vector in real mode and keeps RAM and CMOS.
;
; Layout: the last 64 KiB is this code (offset 0 = linear 0xF0000 through
; CS = 0xF000 in real mode, and 0xFFFF0000 in protected mode); a larger ROM
; starts with filler.  Every 64 KiB piece starts with "CHNK" and its index,
; so the checks can tell which piece appears where.
%define LOAD_ADDR 0xf0000            ; rt.inc wants it; this file sets its own origins
%include "rt.inc"

%ifndef ROM_SIZE
  %define ROM_SIZE 0x10000
%endif
%define CHUNKS (ROM_SIZE / 0x10000)
%if ROM_SIZE > 0x20000
  %define LOW_SIZE 0x20000           ; the part of the ROM visible below 1 MiB
%else
  %define LOW_SIZE ROM_SIZE
%endif
%define ROM_BASE (0x100000000 - ROM_SIZE)
%define HIGH_CODE 0xffff0000         ; this code block below 4 GiB
%define CMOS_BOOTS 0x50              ; a CMOS NVRAM byte the board never sets
%define MARK 0x500                   ; RAM marker that must survive a reset
%define MARK_VALUE 0x4b52414d        ; 'MARK'

%if CHUNKS > 1
section filler start=0
  %assign k 0
  %rep CHUNKS - 1
    db "CHNK"
    dd k
    times 0x10000 - 8 db 0xff
    %assign k k + 1
  %endrep
%endif

section code start=ROM_SIZE-0x10000 vstart=0
bits 16
    db "CHNK"
    dd CHUNKS - 1
sig:
    db "RZROM-TEST"

entry:
    cli
    cld
    mov ebp, edx                     ; the CPU signature RESET leaves in EDX
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ax, cs
    mov ds, ax                       ; RT_PUTS reads its text through DS
    RT_PUTS "rom: reset vector reached, now at F000:", 0
    mov ax, real_mode_here
real_mode_here:
    RT_PUTHEX ax
    RT_PUTS 10
    mov eax, cr0
    RT_CHECK cmp, eax, 0x60000010, e, "CR0 after reset should be 0x60000010"
    RT_CHECK cmp, ebp, 0, ne, "EDX after reset should hold the CPU signature"

%ifdef RESET_TEST
    mov al, CMOS_BOOTS
    out 0x70, al
    in al, 0x71
    cmp al, 0
    je boot1
    cmp al, 1
    je boot2
    cmp al, 2
    je boot3
    RT_FAIL "the CMOS boot counter is past 2: the reset does not stop"

boot1:
    RT_PUTS "boot 1: marking RAM and CMOS, entering protected mode, resetting through port 0xCF9", 10
    xor ax, ax
    mov es, ax
    mov dword [es:MARK], MARK_VALUE
    mov al, 1
    call set_boots
    mov eax, cr0
    or al, 1
    mov cr0, eax                     ; CPL 0 protected mode: the reset must clear PE
    mov dx, 0xcf9
    mov al, 0x06                     ; bit 2: reset now, bit 1: hard reset
    out dx, al
    jmp spin

boot2:
    RT_PUTS "boot 2: back at the reset vector in real mode; resetting through port 0x92", 10
    call check_mark
    in al, 0x92
    and ax, 1
    RT_CHECK cmp, ax, 0, e, "port 0x92 fast-reset bit after reset"
    mov al, 2
    call set_boots
    in al, 0x92
    or al, 1
    out 0x92, al
    jmp spin

boot3:
    RT_PUTS "boot 3: after the port 0x92 reset; RAM and CMOS kept", 10
    call check_mark
    mov al, 3
    call set_boots
%endif

    RT_PUTS "real mode: ROM through CS = F000, writes to it ignored", 10
    mov eax, [sig]
    RT_CHECK cmp, eax, 'RZRO', e, "ROM signature at F000:sig"
    mov dword [sig], 0
    mov eax, [sig]
    RT_CHECK cmp, eax, 'RZRO', e, "a write to ROM at 0xF0000+ changed it"
    RT_PUTS "real mode: RAM at 0000:7C00 is writable", 10
    xor ax, ax
    mov es, ax
    mov dword [es:0x7c00], 0x12345678
    mov eax, [es:0x7c00]
    RT_CHECK cmp, eax, 0x12345678, e, "RAM at 0x7C00"
    mov dword [es:0x7c00], 0xedcba987
    mov eax, [es:0x7c00]
    RT_CHECK cmp, eax, 0xedcba987, e, "RAM at 0x7C00"
    mov ax, 0xa000
    mov es, ax
    mov eax, [es:0]
    RT_CHECK cmp, eax, 0xffffffff, e, "the VGA window at 0xA0000 should read all-ones"

    RT_PUTS "entering protected mode", 10
    o32 lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:pm32

%ifdef RESET_TEST
set_boots:                           ; CMOS[CMOS_BOOTS] = al
    push ax
    mov al, CMOS_BOOTS
    out 0x70, al
    pop ax
    out 0x71, al
    ret

check_mark:
    xor ax, ax
    mov es, ax
    mov eax, [es:MARK]
    RT_CHECK cmp, eax, MARK_VALUE, e, "the RAM marker written before the reset"
    ret

spin:                                ; the reset takes effect after the OUT
    hlt
    jmp spin
%endif

bits 32
pm32:
    mov ax, 0x10                     ; DS: this block at 0xFFFF0000 (RT_PUTS)
    mov ds, ax
    mov ax, 0x18                     ; ES, SS: flat
    mov es, ax
    mov ss, ax
    mov esp, 0x7000
    RT_PUTS "protected mode: running at 0xFFFF0000+", 10

    RT_PUTS "every 64 KiB piece of the ROM at its place below 4 GiB", 10
    mov edi, ROM_BASE
    xor ecx, ecx
.hi:
    mov eax, [es:edi]
    RT_CHECK cmp, eax, 'CHNK', e, "piece signature below 4 GiB"
    mov eax, [es:edi + 4]
    RT_CHECK cmp, eax, ecx, e, "piece index below 4 GiB"
    add edi, 0x10000
    inc ecx
    cmp ecx, CHUNKS
    jb .hi

    RT_PUTS "the last pieces (up to 128 KiB) below 1 MiB", 10
    mov edi, 0x100000 - LOW_SIZE
    mov ecx, CHUNKS - LOW_SIZE / 0x10000
.lo:
    mov eax, [es:edi]
    RT_CHECK cmp, eax, 'CHNK', e, "piece signature below 1 MiB"
    mov eax, [es:edi + 4]
    RT_CHECK cmp, eax, ecx, e, "piece index below 1 MiB"
    add edi, 0x10000
    inc ecx
    cmp ecx, CHUNKS
    jb .lo

    RT_PUTS "0xF0000-0xFFFFF and 0xFFFF0000-0xFFFFFFFF hold the same bytes", 10
    mov esi, HIGH_CODE
    mov edi, 0xf0000
.cmp:
    mov eax, [es:esi]
    cmp eax, [es:edi]
    jne .differ
    add esi, 4
    add edi, 4
    cmp edi, 0x100000
    jb .cmp
    jmp .same
.differ:
    RT_PUTS "at offset ", 0
    sub edi, 0xf0000
    RT_PUTHEX edi
    RT_FAIL " the two ROM aliases differ"
.same:

    RT_PUTS "ROM ignores writes through either alias", 10
    mov dword [es:HIGH_CODE + sig], 0
    mov dword [es:0xf0000 + sig], 0
    mov eax, [es:HIGH_CODE + sig]
    RT_CHECK cmp, eax, 'RZRO', e, "ROM at 0xFFFF0000+ after a write"
    mov eax, [es:0xf0000 + sig]
    RT_CHECK cmp, eax, 'RZRO', e, "ROM at 0xF0000+ after a write"

    RT_PUTS "the legacy area outside the ROM reads all-ones and ignores writes", 10
    mov dword [es:0xb8000], 0x07410741
    mov eax, [es:0xb8000]
    RT_CHECK cmp, eax, 0xffffffff, e, "VGA window 0xB8000"
    mov eax, [es:0xbfffc]
    RT_CHECK cmp, eax, 0xffffffff, e, "VGA window 0xBFFFC"
    mov eax, [es:0xc0000]
    RT_CHECK cmp, eax, 0xffffffff, e, "expansion ROM area 0xC0000"
%if LOW_SIZE < 0x20000
    mov eax, [es:0x100000 - LOW_SIZE - 4]
    RT_CHECK cmp, eax, 0xffffffff, e, "just below the ROM's low alias"
%endif

    RT_PUTS "RAM below 0xA0000 and from 1 MiB, A20 on", 10
    mov dword [es:0x9fffc], 0x600df00d
    mov eax, [es:0x9fffc]
    RT_CHECK cmp, eax, 0x600df00d, e, "RAM at 0x9FFFC"
    mov dword [es:0x100600], 0x11111111
    mov dword [es:0x000600], 0x22222222
    mov eax, [es:0x100600]
    RT_CHECK cmp, eax, 0x11111111, e, "RAM at 0x100600 (aliases 0x600 if A20 is off)"
    RT_PASS

align 8
gdt:
    dq 0
    dq 0xff409aff0000ffff            ; 0x08: 32-bit code, base 0xFFFF0000, limit 0xFFFF
    dq 0xff4092ff0000ffff            ; 0x10: data, the same base and limit
    dq 0x00cf92000000ffff            ; 0x18: flat data, 4 GiB
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd HIGH_CODE + gdt

    times 0xfff0 - ($ - $$) db 0xff
bits 16
reset_vector:                        ; F000:FFF0
    jmp 0xf000:entry
    times 0x10000 - ($ - $$) db 0xff

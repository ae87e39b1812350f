; v86_stubs.asm — entering virtual-8086 mode and catching its exits: the
; CPU clears DS/ES/FS/GS when it leaves v8086 mode, so the stubs reload the
; data segments before the runtime's C handler runs.
bits 32
extern rt_isr_table
section .text
; void enter_v86(uint32_t *frame): frame = eip cs eflags esp ss es ds fs gs
global enter_v86
enter_v86:
    mov eax, [esp + 4]
    mov ecx, 9
.push:
    push dword [eax + ecx * 4 - 4]
    loop .push
    iretd

%macro CATCH 1
global v86_catch_%1
v86_catch_%1:
    push eax
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    pop eax
    jmp [rt_isr_table + %1 * 4]
%endmacro
CATCH 13
CATCH 0x30

; sys/triple32.asm — a triple fault must stop the machine with a report:
; no IDT (limit 0), so #UD -> #GP -> #GP -> #DF -> #GP shuts the CPU down.
; Passing means ringzero printed the "triple fault:" line (see sys.cmake).
%include "rt.inc"
bits 32
org RT_ORG
    RT_START
    RT_PUTS "triple fault ahead", 10
    lidt [idt_desc]
    ud2
    RT_FAIL "still running after a triple fault"
idt_desc:
    dw 0
    dd 0

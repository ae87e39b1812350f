; Smoke test of rt.inc in whichever mode the build starts it (16, 32, 64):
; the console prints, a check that holds, then PASS.
%include "rt.inc"
%if MODE == 64
bits 64
%elif MODE == 32
bits 32
%else
bits 16
%endif
org RT_ORG
    RT_START
%defstr MODESTR MODE
    RT_PUTS "hello from a ", MODESTR, "-bit guest", 10
    mov eax, 0x1234
    add eax, 0x1111
    RT_CHECK cmp, eax, 0x2345, e, "0x1234 + 0x1111"
    RT_PASS

#!/usr/bin/env bash
# gdb_modes.sh RINGZERO GDB LONGMODE_BIN OUT_DIR
# One gdb batch session follows longmode.asm from real mode into 32-bit
# protected mode and then into 64-bit long mode (Qringzero.FollowMode:1
# and `catch exec'), with x/3i $pc at each stop and a stepi over each far
# jump that changes the code size; at the paged stops the monitor's info
# tlb, info mem, info pic and info irq are checked against the state
# longmode.asm sets up (see its header), including that neither gdb's
# reads nor the monitor's walks set an accessed bit.  Also: stop, cont and
# an unknown command through gdb.  gdb.out is the transcript.
set -u
rz=$1 gdb=$2 bin=$3 out=$4
mkdir -p "$out"
. "$(dirname "$0")/lib.sh"
start_rz -bin "$bin@0x7c00" -mode 16

timeout 60 "$gdb" -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
  -ex "target remote 127.0.0.1:$port" \
  -ex 'maintenance packet Qringzero.FollowMode:1' -ex 'catch exec' \
  -ex 'echo MARK real\n' -ex 'show architecture' -ex 'x/3i $pc' -ex 'monitor info tlb' -ex 'monitor info mem' \
  -ex 'break *0x7c20' -ex 'continue' -ex 'x/3i $pc' -ex 'echo MARK pm32\n' -ex 'stepi' \
  -ex 'show architecture' -ex 'x/3i $pc' \
  -ex 'break *0x7d80' -ex 'continue' -ex 'echo MARK paged\n' -ex 'x/3i $pc' \
  -ex 'monitor info tlb' -ex 'monitor info mem' -ex 'monitor info pic' -ex 'monitor info irq' \
  -ex 'x/1xw 0x401000' -ex 'monitor x/1xw 0x402000' \
  -ex 'echo MARK after reads\n' -ex 'monitor info tlb' -ex 'monitor xp/1xw 0x20004' -ex 'monitor xp/3xw 0x21000' \
  -ex 'monitor stop' -ex 'monitor cont' -ex 'monitor frobnicate' -ex 'monitor info' \
  -ex 'break *0x7e40' -ex 'continue' -ex 'echo MARK compat\n' -ex 'show architecture' -ex 'x/3i $pc' -ex 'echo MARK long\n' -ex 'stepi' \
  -ex 'show architecture' -ex 'x/3i $pc' \
  -ex 'break *0x7ec0' -ex 'continue' -ex 'echo MARK done64\n' -ex 'monitor info tlb' -ex 'monitor info mem' \
  -ex 'continue' >"$out/gdb.out" 2>&1
# The block of output after MARK $1, up to the next MARK.
section() { sed -n "/^MARK $1\$/,/^MARK /p" "$out/gdb.out" | sed '$d'; }
has() {  # has SECTION DESCRIPTION EXTENDED-REGEX
  if ! section "$1" | grep -Eq -- "$3"; then echo "FAIL: $2 (after MARK $1): no line matching /$3/"; fail=1; fi
}
exact() {  # exact SECTION DESCRIPTION LINES: the info tlb lines there, joined by |
  local got
  got=$(section "$1" | grep -E '^[0-9a-f]{16}: [0-9a-f]{16} ' | tr '\n' '|')
  [ "$got" = "$3" ] || { echo "FAIL: $2 (after MARK $1): got $got, want $3"; fail=1; }
}
# Real mode: i8086, no paging.
has real "architecture i8086" 'target architecture is .*"i8086"\)'
has real "16-bit disassembly" '^=> 0x7c00:.cli$'
has real "16-bit disassembly" '^   0x7c01:.xor +%ax,%ax$'
has real "info tlb without paging" '^PG disabled$'
check "the far jump into 32-bit code" '^=> 0x7c20:.ljmp +\$0x8,\$0x7c40$'
# The stepi over it: gdb is told the mode changed.
has pm32 "the exec event on the stepi" "^Catchpoint 1 \(exec'd \), 0x00007c40 in"
has pm32 "architecture i386" 'target architecture is .*"i386"\)'
has pm32 "32-bit disassembly" '^=> 0x7c40:.mov +\$0x10,%eax$'
has pm32 "32-bit disassembly" '^   0x7c45:.mov +%eax,%ds$'
# 32-bit paging: the 4 MiB page (accessed by the guest's fetches), the
# three 4 KiB pages nobody has touched.
has paged "stopped at paged" '^=> 0x7d80:.nop$'
tlb32='0000000000000000: 0000000000000000 --P-A---W|0000000000400000: 0000000000030000 -------U-|0000000000401000: 0000000000031000 --------W|0000000000402000: 0000000000032000 --------W|'
exact paged "info tlb: the 4 MiB page (accessed by the guest's fetches), three 4 KiB pages nobody touched" "$tlb32"
has paged "info mem: the 4 MiB page" '^0000000000000000-0000000000400000 0000000000400000 -rw$'
has paged "info mem: the user page" '^0000000000400000-0000000000401000 0000000000001000 ur-$'
has paged "info mem: two writable pages as one range" '^0000000000401000-0000000000403000 0000000000002000 -rw$'
has paged "info pic: master (IRQ0 in service, the rest masked)" '^pic0: irr=00 imr=fe isr=01 hprio=0 irq_base=20 rr_sel=0 elcr=00 fnm=0$'
has paged "info pic: slave" '^pic1: irr=00 imr=ff isr=00 hprio=0 irq_base=28 rr_sel=0 elcr=00 fnm=0$'
has paged "info irq: three IRQ0s" '^ 0: 3$'
has paged "info irq: three at vector 0x20" '^0x20: 3$'
has paged "gdb reads through the 32-bit tables" '^0x401000:.0x5a5a5a5a$'
has paged "the monitor's x through them" '^0000000000402000: 0x01020304$'
# Nothing set an accessed bit: the same flags, the same entries.
exact "after reads" "info tlb after gdb's and the monitor's reads" "$tlb32"
has "after reads" "the PDE as the guest wrote it" '^0000000000020004: 0x00021007$'
has "after reads" "the PTEs as the guest wrote them" '^0000000000021000: 0x00030005 0x00031003 0x00032003$'
has "after reads" "cont is refused under gdb, in one line" '^cont: gdb has the guest stopped; resume it from gdb'
has "after reads" "an unknown command: one line" "^unknown command: 'frobnicate' \(help lists them\)$"
has "after reads" "info without an item: one line" "^info: unknown item '' "
# Compatibility mode is i386 still; the stepi over the far jump into
# 64-bit code is the second exec event.
has compat "compatibility mode is i386" 'target architecture is .*"i386"\)'
has compat "the far jump into 64-bit code" '^=> 0x7e40:.ljmp +\$0x18,\$0x7e80$'
has long "the exec event on the stepi" "^Catchpoint 1 \(exec'd \), 0x0000000000007e80 in"
has long "architecture x86-64" 'target architecture is .*"i386:x86-64"\)'
has long "64-bit disassembly" '^=> 0x7e80:.movabs +\$0x1122334455667788,%rax$'
has long "64-bit disassembly" '^   0x7e91:.mov +\$0xffffffff80000000,%rcx$'
# 4-level paging: 2 MiB pages, NX, a global page in the upper half.
exact done64 "info tlb: a 2 MiB page (written: D), NX user page, writable page, global page in the upper half" \
  '0000000000000000: 0000000000000000 --PDA---W|0000000000400000: 0000000000030000 X------U-|0000000000401000: 0000000000031000 --------W|ffffffff80000000: 0000000000200000 -GP-----W|'
has done64 "info mem: low 2 MiB" '^0000000000000000-0000000000200000 0000000000200000 -rw$'
has done64 "info mem: the user page" '^0000000000400000-0000000000401000 0000000000001000 ur-$'
has done64 "info mem: the writable page" '^0000000000401000-0000000000402000 0000000000001000 -rw$'
has done64 "info mem: upper half" '^ffffffff80000000-ffffffff80200000 0000000000200000 -rw$'
check "the guest ran to its end" 'exited with code 0125'
wait_rz
[ "$rc" = 85 ] || { echo "FAIL: ringzero status '$rc', want 85"; fail=1; }
report

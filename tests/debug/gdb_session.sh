#!/usr/bin/env bash
# gdb_session.sh RINGZERO GDB TARGET_BIN MODE OUT_DIR
# MODE raw: rsp_raw.py instead (bad packets), against the real-mode guest.
# MODE switch: longmode.asm, a breakpoint after the switch to protected
# mode with Qringzero.FollowMode:1 and `catch exec': gdb must follow
# (gdb_modes.sh steps over the switches instead).
# One gdb batch session against target.asm in MODE (16, 32, 64): attach
# with -S, x/3i $pc, break, continue, stepi, registers and memory read and
# written, Ctrl-C (SIGINT to gdb, which sends 0x03), detach; then checks
# gdb's output and ringzero's exit status ((data << 1) | 1 = 85 after gdb
# wrote 0x2a to data).  Also: a second stub on the same port exits 2.
# Every wait is bounded.
set -u
rz=$1 gdb=$2 bin=$3 mode=$4 out=$5
mkdir -p "$out"
# MODE w16, w32, w64: a write watchpoint, then Ctrl-C in HLT (watch_session).
extra=
# MODE mon: the monitor (qRcmd) and Qqemu.PhyMemMode, in real mode with
# RAM above 4 GiB (-m 5G), which only a physical address reaches there.
case $mode in w*) extra=watch; mode=${mode#w} ;; mon) extra=mon; mode=16 ;; esac
case $mode in
  16|raw|switch) base=0x7c00; load="-bin $bin@0x7c00 -mode 16" ;;
  *)  base=0x100000; load="-bin $bin@0x100000 -mode $mode" ;;
esac
[ "$extra" = mon ] && load="$load -m 5G"

hex() { printf '0x%x' $(( base + $1 )); }
bp1=$(hex 0x20) spin=$(hex 0x40) flag=$(hex 0x100) data=$(hex 0x101)
. "$(dirname "$0")/lib.sh"
start_rz $load

# The port is taken now: a second stub on it is a one-line error, status 2.
$rz $load -gdb tcp::$port -serial none >/dev/null 2>"$out/busy.err"
busy=$?
if [ $busy -ne 2 ] || [ "$(wc -l <"$out/busy.err")" -ne 1 ] || ! grep -q "Address already in use" "$out/busy.err"; then
  echo "FAIL: port in use: status $busy, stderr:"; cat "$out/busy.err"; fail=1
fi

if [ "$mode" = raw ]; then
  RZ_PORT=$port timeout 60 "$gdb" -batch -nx -x "$(dirname "$0")/rsp_raw.py" >"$out/gdb.out" 2>&1
  grc=$?
  cat "$out/gdb.out"
  [ $grc -eq 0 ] && grep -q "all answers as expected" "$out/gdb.out" || { echo "FAIL: rsp_raw.py status $grc"; fail=1; }
  wait_rz
  [ "$rc" = 0 ] || { echo "FAIL: ringzero status '$rc' after k, want 0"; kill $rzpid 2>/dev/null; fail=1; }
  grep -q "killed by gdb" "$out/rz.err" || { echo "FAIL: no 'killed by gdb' line"; cat "$out/rz.err"; fail=1; }
  exit $fail
fi

if [ "$mode" = switch ]; then
  timeout 60 "$gdb" -batch -nx -ex 'set confirm off' -ex "target remote 127.0.0.1:$port" \
    -ex 'x/2i $pc' -ex 'maintenance packet Qringzero.FollowMode:1' -ex 'catch exec' \
    -ex 'break *0x7c40' -ex 'continue' -ex 'show architecture' -ex 'x/3i $pc' -ex 'stepi' \
    -ex 'x/i $pc' -ex 'continue' >"$out/gdb.out" 2>&1
  check "real mode first" '=> 0x7c00:.cli'
  check "the exec event" "Catchpoint 1 \(exec'd"
  check "gdb followed into i386" 'target architecture is .*"i386"\)'
  check "32-bit disassembly after the switch" '=> 0x7c40:.mov +\$0x10,%eax'
  check "stepi in 32-bit code" '=> 0x7c45:.mov +%eax,%ds'
  check "the guest ran to its end" 'exited with code 0125'
  [ $fail -ne 0 ] && cat "$out/gdb.out"
  exit $fail
fi

# Ctrl-C as a user gives it: SIGINT to gdb while it waits in 'continue'.
cat >"$out/ctrlc.py" <<'PY'
import os, signal, threading, time
def _ctrl_c():
    time.sleep(1)
    os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=_ctrl_c, daemon=True).start()
PY

if [ "$extra" = mon ]; then
  timeout 60 "$gdb" -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
    -ex "target remote 127.0.0.1:$port" -ex 'monitor help' -ex "break *$bp1" -ex 'continue' \
    -ex 'monitor info registers' -ex 'monitor info mtree' -ex 'monitor x/2x 0x7c02' \
    -ex 'monitor xp/3xb 0x7d00' -ex 'monitor x/2dh 0x7d00' -ex 'monitor info bogus' \
    -ex 'echo MARK linear\n' -ex 'maintenance packet m100000000,1' \
    -ex 'maintenance packet Qqemu.PhyMemMode:1' -ex 'echo MARK physical\n' \
    -ex 'maintenance packet m100000000,1' -ex 'maintenance packet M100000000,1:5a' \
    -ex 'monitor xp/1xb 0x100000000' -ex 'maintenance packet Qqemu.PhyMemMode:0' \
    -ex 'echo MARK linear again\n' -ex 'maintenance packet m100000000,1' \
    -ex 'monitor system_reset' -ex 'monitor info registers' -ex 'monitor quit' >"$out/gdb.out" 2>&1
  check "help" '^info mtree +-- '
  check "info registers: GPRs at bp1" '^EAX=11111111 EBX=22222222 '
  check "info registers: CS's cache" '^CS =07c0 base 0*7c00 limit 0000ffff'
  check "info registers: CRs and EFER" '^CR0=60000010 .*EFER=0000000000000000'
  check "info mtree: RAM" '^  0000000000000000-000000000009ffff \(prio 0, ram\): ram$'
  check "info mtree: a port" '^  00f4-00f7 \(prio 0, i/o\): isa-debug-exit$'
  check "x (linear)" '^0000000000007c02: 0x1111b866 0xbb661111$'
  check "xp (physical)" '^0000000000007d00: 0x00 0x11 0x00$'
  check "x/2dh" '^0000000000007d00: 4352 0$'
  check "a bad info item" "^info: unknown item 'bogus'"
  # The expected sequence of replies, in order, after MARK linear.
  sed -n '/^MARK linear$/,$p' "$out/gdb.out" | grep -E '^(MARK|received: )' | tr '\n' '|' >"$out/seq"
  want='MARK linear|received: "E14"|received: "OK"|MARK physical|received: "00"|received: "OK"|received: "OK"|MARK linear again|received: "E14"|'
  [ "$(cat "$out/seq")" = "$want" ] || { echo "FAIL: PhyMemMode replies: $(cat "$out/seq"), want $want"; fail=1; }
  check "xp sees the physical write above 4 GiB" '^0000000100000000: 0x5a$'
  check "system_reset" '^EIP=0000fff0 '
  check "system_reset: CS" '^CS =f000 base 0*ffff0000'
  wait_rz
  [ "$rc" = 0 ] || { echo "FAIL: ringzero status '$rc' after quit, want 0"; kill $rzpid 2>/dev/null; fail=1; }
  report
fi

if [ "$extra" = watch ]; then
  # `watch' on wdata: the store at +0x30 writes it; gdb must get the stop
  # (Z2, the reply's watch:ADDR) after that instruction.  Then the guest
  # is sent to +0x60 (STI; HLT, no timer, no input): Ctrl-C must still
  # stop it, and k end it.
  wdata=$(hex 0x102) halt=$(hex 0x60)
  # Then flag set, and a read watchpoint on data: it stops after the
  # load at +0x47 (past the loop), before the OUT that would end the guest.
  flag=$(hex 0x100) data=$(hex 0x101)
  case $mode in 16) after=$(hex 0x35) rafter=$(hex 0x4a) ;; 32) after=$(hex 0x37) rafter=$(hex 0x4e) ;;
                64) after=$(hex 0x38) rafter=$(hex 0x51) ;; esac
  timeout 60 "$gdb" -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
    -ex "target remote 127.0.0.1:$port" -ex "watch *(char *)$wdata" \
    -ex 'set debug remote 1' -ex 'continue' -ex 'set debug remote 0' -ex 'p/x $pc' \
    -ex 'delete' -ex "set {char}$flag = 1" -ex "rwatch *(char *)$data" \
    -ex 'set debug remote 1' -ex 'continue' -ex 'set debug remote 0' -ex 'p/x $pc' \
    -ex 'delete' -ex "set \$pc = $halt" -ex "source $out/ctrlc.py" -ex 'continue' \
    -ex 'echo MARK interrupted\n' -ex 'p/x $pc' -ex 'kill' >"$out/gdb.out" 2>&1
  check "a hardware watchpoint (Z2)" "^Hardware watchpoint 1: \*\(char \*\) ?$wdata"
  check "the stop reply names it" "T05thread:01;watch:0*${wdata#0x};"
  check "the value written" "New value = 119 'w'"
  check "stopped after the store" "^\\\$1 = $after\$"
  check "a read watchpoint (Z3)" "^Hardware read watchpoint 2: \*\(char \*\) ?$data"
  check "its stop reply" "T05thread:01;rwatch:0*${data#0x};"
  check "the value read" "^Value = 17 "
  check "stopped after the load" "^\\\$2 = $rafter\$"
  check "Ctrl-C stops the guest in HLT" 'Program received signal SIGINT'
  check "stopped at the HLT loop" "^\\\$3 = ${halt%0}[0-9a-f]\$"
  wait_rz
  [ "$rc" = 0 ] || { echo "FAIL: ringzero status '$rc' after kill, want 0"; kill $rzpid 2>/dev/null; fail=1; }
  report
fi
timeout 60 "$gdb" -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
  -ex "target remote 127.0.0.1:$port" \
  -ex 'echo MARK start\n' -ex 'x/3i $pc' -ex 'p/x $pc' -ex 'show architecture' \
  -ex "break *$bp1" -ex 'continue' -ex 'p/x $pc' \
  -ex 'stepi' -ex 'echo MARK stepped\n' -ex 'p/x $pc' -ex 'p/x $eax' \
  -ex 'set $ebx = 0x5a5a' -ex 'p/x $ebx' -ex "x/2xb $flag" \
  -ex "set {char}$data = 0x2a" -ex "x/1xb $data" \
  -ex "delete" -ex "source $out/ctrlc.py" -ex 'continue' -ex 'echo MARK interrupted\n' -ex 'x/i $pc' \
  -ex "set {char}$flag = 1" -ex 'detach' >"$out/gdb.out" 2>&1
grc=$?
[ $grc -eq 0 ] || { echo "FAIL: gdb status $grc"; fail=1; }
wait_rz
if [ -z "$rc" ]; then echo "FAIL: ringzero still running after detach"; kill $rzpid; fail=1
elif [ "$rc" -ne 85 ]; then echo "FAIL: ringzero status $rc, want 85 (data written by gdb)"; fail=1; fi

case $mode in
  16) check "x/3i in real mode" '=> 0x7c00:.push +%cs'
      check "x/3i in real mode" '0x7c02:.mov +\$0x11111111,%eax'
      check "architecture" 'target architecture is .*"i8086"\)'
      check "pc is linear CS*16+IP" '^\$1 = 0x7c00$'
      step=$(hex 0x23) ;;
  32) check "x/3i in 32-bit mode" '=> 0x100000:.mov +\$0x11111111,%eax'
      check "x/3i in 32-bit mode" '0x100005:.mov +\$0x22222222,%ebx'
      check "architecture" 'target architecture is .*"i386"\)'
      step=$(hex 0x22) ;;
  64) check "x/3i in 64-bit mode" '=> 0x100000:.mov +\$0x11111111,%eax'
      check "x/3i in 64-bit mode" '0x10000a:.movabs \$0x123456789abcdef0,%rcx'
      check "architecture" 'target architecture is .*"i386:x86-64"\)'
      step=$(hex 0x22) ;;
esac
check "breakpoint hit" "Breakpoint 1, 0x0*${bp1#0x} in"
check "stepi moved one instruction" "^\\\$[0-9]+ = $step\$"
check "register read after stepi" '^\$[0-9]+ = 0x33333333$'
check "register write" '^\$[0-9]+ = 0x5a5a$'
check "memory read" "^$flag:.0x00.0x11"
check "memory write" "^$data:.0x2a"
check "Ctrl-C stops the guest" 'Program received signal SIGINT'
check "stopped in the spin loop" "=> ${spin%0}[0-9a-f]:.(cmpb|je) "
check "detach" 'Remote target\) detached'
report

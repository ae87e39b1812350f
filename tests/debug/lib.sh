# lib.sh — what the gdb tests share (sourced; needs rz and out set):
# ringzero started stopped with a stub on a free port, checks on gdb's
# output, ringzero's exit status.  Every wait is bounded.
fail=0
check() {  # check DESCRIPTION EXTENDED-REGEX (in gdb's output)
  if ! grep -Eq -- "$2" "$out/gdb.out"; then echo "FAIL: $1: no line matching /$2/"; fail=1; fi
}

# start_rz ARGS...: ringzero ARGS -S -gdb tcp::0; sets rzpid and port.
start_rz() {
  # A previous run's rz.err must not be read before this one truncates it
  # (the shell opens the file in the child, after the fork): its port
  # would be a free one.
  rm -f "$out/rz.err"
  "$rz" "$@" -S -gdb tcp::0 -serial none >"$out/rz.out" 2>"$out/rz.err" &
  rzpid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/.*gdb stub listening on port \([0-9]*\).*/\1/p' "$out/rz.err")
    [ -n "$port" ] && return
    kill -0 $rzpid 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: ringzero did not listen"; cat "$out/rz.err"; kill $rzpid 2>/dev/null; exit 1
}

# wait_rz: ringzero's exit status in rc, empty if it still runs after 30 s
# (then it is killed).
wait_rz() {
  rc=
  for _ in $(seq 300); do
    kill -0 $rzpid 2>/dev/null || { wait $rzpid; rc=$?; return; }
    sleep 0.1
  done
  kill $rzpid 2>/dev/null
}

# report: the logs when something failed; the script's status.
report() {
  if [ $fail -ne 0 ]; then echo "--- gdb output"; cat "$out/gdb.out"; echo "--- ringzero stderr"; cat "$out/rz.err"; fi
  exit $fail
}

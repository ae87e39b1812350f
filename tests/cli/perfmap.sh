#!/bin/sh
# -perfmap: every block tier 1 translated is named in /tmp/perf-PID.map
# (start and size in hex, the guest rip), as perf expects of a JIT.
#   perfmap.sh RINGZERO GUEST-ARGS...
rz=$1
shift
"$rz" -perfmap -accel dbt,threshold=0 "$@" >/dev/null 2>&1 &
pid=$!
wait $pid
map=/tmp/perf-$pid.map
[ -f "$map" ] || { echo "perfmap: $map was not written"; exit 1; }
trap 'rm -f "$map"' EXIT
cat "$map"
grep -Eq '^[0-9a-f]+ [0-9a-f]+ guest_100000_key_[0-9a-f]+$' "$map" ||
    { echo "perfmap: no line for the block at 0x100000"; exit 1; }

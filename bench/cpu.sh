#!/usr/bin/env bash
# The CPU-bound benchmark (docs/performance.md): the workloads of
# bench/guests/cpu.c (SHA-256, LZ77, a generic qsort) as a 32-bit and a
# 64-bit guest, run natively, in ringzero tier 0 (-accel interp), tier 1
# (-accel dbt) and QEMU TCG, one run each, interleaved.  Every workload
# prints begin/end lines that bench/stamp.py stamps on the host clock, so
# start-up (QEMU's firmware, ringzero's machine) is not counted.  Every run
# must print the native program's checksums: a difference is an error.
#   bench/cpu.sh [build-dir] [--quick]   (quick: 1/16 of the data, < 1 min)
# Installs qemu-system-x86 from Debian if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
suffix=""
for a in "$@"; do
    case $a in
        --quick) suffix=_quick ;;
        -*) echo "usage: bench/cpu.sh [build-dir] [--quick]" >&2; exit 2 ;;
        *) build=$a ;;
    esac
done
b=$build/bench
[ -x "$build/ringzero" ] && [ -f "$b/bench_cpu32$suffix.elf" ] && [ -f "$b/bench_cpu64$suffix.elf" ] || {
    if [ "$build" = build ]; then scripts/setup.sh >/dev/null; fi
    cmake --build "$build" -j2 --target ringzero "bench_cpu32$suffix" "bench_cpu64$suffix" >/dev/null
}
[ -f "$b/bench_cpu64$suffix.elf" ] || { echo "cpu.sh: no guests in $b (nasm or gcc-multilib missing?)" >&2; exit 1; }
. bench/need_qemu.sh cpu.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mem=128M
errors=0

# run BITS ENGINE: one stamped run into $work/BITS-ENGINE.log; it must end
# with the engine's success status and a PASS line.
run() {
    local bits=$1 engine=$2 elf=$b/bench_cpu$1$suffix.elf want=1 cmd
    local log=$work/$bits-$engine.log
    case $engine in
        native)
            want=0
            cmd=("$b/bench_cpu$bits${suffix}_native")
            [ -x "${cmd[0]}" ] || cmd=("$b/bench_cpu64${suffix}_native")  # no 32-bit libc
            ;;
        tier0|tier1)
            local accel=interp
            [ "$engine" = tier1 ] && accel=dbt
            cmd=("$build/ringzero" -m "$mem" -kernel "$elf" -accel "$accel" -d tbstats -D "$log.tbstats")
            ;;
        qemu)
            local q=qemu-system-x86_64
            [ "$bits" = 32 ] && command -v qemu-system-i386 >/dev/null && q=qemu-system-i386
            cmd=("$q" -accel tcg -m "$mem" -display none -no-reboot -kernel "$elf" -debugcon stdio
                 -device isa-debug-exit,iobase=0xf4,iosize=4)
            ;;
    esac
    echo "# $bits-bit $engine: ${cmd[*]}"
    local status=0
    timeout 1800 bench/stamp.py "${cmd[@]}" > "$log" 2> "$log.err" || status=$?
    if [ "$status" -ne "$want" ] || ! grep -q ' PASS$' "$log"; then
        echo "cpu.sh: ERROR: $bits-bit $engine failed (status $status, want $want); output:" >&2
        tail -n 20 "$log" "$log.err" >&2
        errors=$((errors + 1))
    fi
}

engines="native tier0 tier1 qemu"
for bits in 32 64; do
    for e in $engines; do run "$bits" "$e"; done
done

# One row per workload and size: times from the stamps, checksums compared
# with the native run's.
table=$work/table
for bits in 32 64; do
    for e in $engines; do
        awk -v bits="$bits" -v e="$e" '
            $2 == "bench" && $4 == "begin" { t[$3] = $1 }
            $2 == "bench" && $4 == "end" { print $3 "(" bits ")", e, $1 - t[$3], $5 }
        ' "$work/$bits-$e.log"
    done
done > "$table"
awk -v engines="$engines" '
    { w[$1] = 1; order[$1] = order[$1] ? order[$1] : ++n; name[order[$1]] = $1
      time[$1, $2] = $3; sum[$1, $2] = $4 }
    END {
        ne = split(engines, en, " ")
        bad = 0
        printf "%-12s %9s %9s %9s %9s %13s %13s %12s %14s\n", "workload", "native s", "tier0 s", "tier1 s",
               "qemu s", "tier0/native", "tier1/native", "qemu/native", "tier1 vs qemu"
        for (i = 1; i <= n; i++) {
            r = name[i]
            for (k = 1; k <= ne; k++)
                if (!((r, en[k]) in time)) time[r, en[k]] = -1
            nat = time[r, "native"] > 0.001 ? time[r, "native"] : 0.001
            t1 = time[r, "tier1"] > 0.001 ? time[r, "tier1"] : 0.001
            printf "%-12s %9.3f %9.3f %9.3f %9.3f %12.1fx %12.1fx %11.1fx %13.2fx\n", r,
                   time[r, "native"], time[r, "tier0"], time[r, "tier1"], time[r, "qemu"],
                   time[r, "tier0"] / nat, time[r, "tier1"] / nat, time[r, "qemu"] / nat, time[r, "qemu"] / t1
            for (k = 2; k <= ne; k++)
                if (sum[r, en[k]] != sum[r, "native"]) {
                    printf "!!! CHECKSUM MISMATCH: %s %s printed %s, native printed %s\n", r, en[k],
                           sum[r, en[k]] == "" ? "nothing" : sum[r, en[k]], sum[r, "native"]
                    bad++
                }
        }
        exit bad != 0
    }' "$table" || { echo "!!! cpu.sh: the checksums differ: a tier (or QEMU) computed a wrong result" >&2; errors=$((errors + 1)); }
for bits in 32 64; do
    line=$(grep -h "guest instructions translated" "$work/$bits-tier1.log.tbstats" 2>/dev/null || true)
    echo "$bits-bit tier 1: ${line#tbstats: tier 1: }"
done
[ "$errors" -eq 0 ] || { echo "cpu.sh: $errors error(s), see above" >&2; exit 1; }

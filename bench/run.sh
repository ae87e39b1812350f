#!/usr/bin/env bash
# Runs every benchmark once and prints its figures; ratios to native come
# from the same run (absolute times drift on shared machines).
#   bench/run.sh [build-dir] [scale]   (defaults: build, 1; a scale below 1
#   runs bench/cpu.sh --quick)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scale=${2:-1}
[ -x "$build/bench/bench_interp" ] && [ -x "$build/bench/bench_mmu" ] || {
    if [ "$build" = build ]; then scripts/setup.sh >/dev/null; fi
    cmake --build "$build" -j2 --target bench_interp bench_mmu >/dev/null
}
iters=$(awk -v s="$scale" 'BEGIN { n = int(20000000 * s); print n < 1 ? 1 : n }')
echo "== tier 0, flat 64-bit loop (bench_interp $iters)"
"$build/bench/bench_interp" "$iters"
echo "== memory translation, SMC (bench_mmu $scale)"
"$build/bench/bench_mmu" "$scale"
echo "== CPU-bound guests: native, tier 0, tier 1, QEMU TCG (bench/cpu.sh)"
if awk -v s="$scale" 'BEGIN { exit !(s < 1) }'; then
    bench/cpu.sh "$build" --quick
else
    bench/cpu.sh "$build"
fi

#!/usr/bin/env bash
# Runs the benchmarks and prints their figures (ratios come from one run).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/bench/bench_interp ] || scripts/setup.sh >/dev/null
build/bench/bench_interp "${1:-20000000}"

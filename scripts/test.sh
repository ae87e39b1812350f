#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite (CTest labels: unit, diff,
# decode, guest).  Larger sweeps: RZ_DIFF_CASES=1000 RZ_DECODE_COUNT=1000000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The host-oracle tests run the CPU model of the host's vendor (RZ_TEST_CPU
# overrides it); test_quirks checks both models whatever the host.
build/tests/diff/difftest --print-model
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"

#!/usr/bin/env bash
# Sets up, builds, fetches the Linux guest images (scripts/guest-images.sh,
# from Debian's archive, once) and runs the whole test suite (CTest labels:
# unit, diff, decode, guest, boot).  Larger sweeps: RZ_DIFF_CASES=1000
# RZ_DECODE_COUNT=1000000.  Only the quick ones: scripts/test.sh -LE boot.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/guest-images.sh
# The host-oracle tests run the CPU model of the host's vendor (RZ_TEST_CPU
# overrides it); test_quirks checks both models whatever the host.
build/tests/diff/difftest --print-model
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"

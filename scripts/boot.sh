#!/usr/bin/env bash
# Sets up, builds, and boots the default guest on this terminal.
# Until the PC machine boots Linux, the default guest is the project's own
# bare-metal demo (guests/demo), which prints over the serial port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
exec build/ringzero -nographic -kernel build/guests/demo/demo.elf "$@"

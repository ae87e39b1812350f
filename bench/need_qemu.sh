# Sourced by the benchmarks that compare with QEMU TCG: installs
# qemu-system-x86 from Debian when it is missing.  $1: who asks.
if ! command -v qemu-system-x86_64 >/dev/null; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    echo "$1: installing qemu-system-x86 (QEMU TCG is the comparison)" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null
fi

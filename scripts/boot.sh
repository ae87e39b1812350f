#!/usr/bin/env bash
# Sets up, builds, and boots the default guest on this terminal: the stock
# Debian 12 x86-64 kernel with a busybox initramfs, to a shell on the
# serial console (scripts/guest-images.sh fetches and builds the images
# from Debian's archive the first time).  `poweroff` in the guest, or
# Ctrl-A x, returns to the host shell.
#   scripts/boot.sh            the amd64 kernel (linux-image-amd64)
#   scripts/boot.sh i686       the i686 kernel (linux-image-686)
#   scripts/boot.sh demo       the project's bare-metal Mandelbrot demo
# Further arguments go to ringzero (e.g. -m 1G, -d int -D log.txt); set
# RZ_APPEND to change the kernel command line (default console=ttyS0).
set -euo pipefail
cd "$(dirname "$0")/.."
arch=amd64
case "${1:-}" in
  amd64|i686|demo) arch=$1; shift ;;
esac
scripts/setup.sh >/dev/null
if [ "$arch" = demo ]; then
  exec build/ringzero -nographic -kernel build/guests/demo/demo.elf "$@"
fi
scripts/guest-images.sh "$arch"
img=guests/linux/images
exec build/ringzero -nographic -m 512M -no-reboot -kernel "$img/vmlinuz-$arch" \
  -initrd "$img/initrd-$arch.gz" -append "${RZ_APPEND:-console=ttyS0}" "$@"

#!/usr/bin/env bash
# Builds the Linux guest images from Debian's own packages, once:
#   guests/linux/images/vmlinuz-<arch>     the stock kernel (linux-image-*)
#   guests/linux/images/initrd-<arch>.gz   a busybox initramfs (guests/linux/init)
# for <arch> amd64 (linux-image-amd64) and i686 (linux-image-686:i386).
# Everything comes from the Debian archive through apt; nothing is rebuilt
# when the file is already there (delete guests/linux/images to refresh).
# Usage: scripts/guest-images.sh [amd64|i686 ...]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=guests/linux/images
mkdir -p "$OUT"
ARCHES=("$@")
[ ${#ARCHES[@]} -eq 0 ] && ARCHES=(amd64 i686)

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo

need_tools() {
  local missing=()
  for t in cpio:cpio apt-get:apt dpkg-deb:dpkg gzip:gzip; do
    command -v "${t%%:*}" >/dev/null || missing+=("${t##*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The versioned package a metapackage depends on (linux-image-6.1.0-N-amd64).
resolve_image() {
  apt-cache depends "$1" | sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*\).*/\1/p' | head -n1
}

# fetch DIR PKG: apt-get download PKG into DIR (once), prints the .deb path.
fetch() {
  local dir=$1 pkg=$2 base=${2%%:*}
  local deb
  deb=$(ls "$dir"/"${base}"_*.deb 2>/dev/null | head -n1 || true)
  if [ -z "$deb" ]; then
    # (apt warns that root downloads unsandboxed into a folder _apt cannot
    # write; that is expected here)
    (cd "$dir" && apt-get download -qq "$pkg" 2>&1 >/dev/null | grep -v '^W: Download is performed unsandboxed' >&2 || true)
    deb=$(ls "$dir"/"${base}"_*.deb | head -n1)
  fi
  echo "$deb"
}

build_arch() {
  local arch=$1 debarch meta
  case $arch in
    amd64) debarch=amd64; meta=linux-image-amd64 ;;
    i686) debarch=i386; meta=linux-image-686:i386 ;;
    *) echo "guest-images: unknown architecture '$arch' (amd64 or i686)" >&2; exit 2 ;;
  esac
  local kernel=$OUT/vmlinuz-$arch initrd=$OUT/initrd-$arch.gz
  [ -s "$kernel" ] && [ -s "$initrd" ] && [ "$initrd" -nt guests/linux/init ] &&
    [ "$initrd" -nt guests/linux/tests.sh ] && return 0
  if [ "$debarch" = i386 ] && ! dpkg --print-foreign-architectures | grep -qx i386 &&
     [ "$(dpkg --print-architecture)" != i386 ]; then
    $SUDO dpkg --add-architecture i386
    $SUDO apt-get update -qq
  fi
  if ! apt-cache show "$meta" >/dev/null 2>&1; then
    $SUDO apt-get update -qq
  fi
  local dl=$OUT/debs-$arch work
  mkdir -p "$dl"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  if [ ! -s "$kernel" ]; then
    local pkg
    pkg=$(resolve_image "$meta")
    [ -n "$pkg" ] || { echo "guest-images: cannot resolve the image package of $meta" >&2; exit 1; }
    [ "$debarch" = i386 ] && pkg=$pkg:i386
    echo "guest-images: $meta -> $pkg" >&2
    local deb
    deb=$(fetch "$dl" "$pkg")
    dpkg-deb -x "$deb" "$work/k"
    cp "$(ls "$work"/k/boot/vmlinuz-* | head -n1)" "$kernel.tmp"
    mv "$kernel.tmp" "$kernel"
    basename "$(ls "$work"/k/boot/vmlinuz-*)" > "$OUT/version-$arch"
  fi
  local bb
  bb=$(fetch "$dl" "busybox-static:$debarch")
  dpkg-deb -x "$bb" "$work/bb"
  local root=$work/root
  mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root,usr/bin,usr/sbin}
  cp "$work/bb/bin/busybox" "$root/bin/busybox"
  cp guests/linux/init "$root/init"
  cp guests/linux/tests.sh "$root/etc/rz-tests.sh"
  chmod 755 "$root/init" "$root/etc/rz-tests.sh"
  ln -s busybox "$root/bin/sh"
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0) | gzip -9 -n > "$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  echo "guest-images: $kernel ($(stat -c %s "$kernel") bytes), $initrd ($(stat -c %s "$initrd") bytes)" >&2
}

need_tools
for a in "${ARCHES[@]}"; do
  build_arch "$a"
done

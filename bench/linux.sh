#!/usr/bin/env bash
# Linux guest benchmarks, every figure from one run: boot to the init marker
# (wall time from process start, stamped by the host as console lines
# arrive) and the in-guest sha256sum of 16 MiB / gzip of the busybox binary
# (guests/linux/tests.sh rz_test_bench, timed by the guest's busybox time),
# on ringzero tier 0 (-accel interp) and tier 1 (-accel dbt), on QEMU TCG,
# and natively (the same busybox binary on the
# host, on the same data).  Installs qemu-system-x86 from Debian if missing.
#   bench/linux.sh [build-dir]          (default build)
# RZ_BENCH_I686=0 skips the i686 kernel's boot figures.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/ringzero" ] || {
    if [ "$build" = build ]; then scripts/setup.sh >/dev/null; fi
    cmake --build "$build" -j2 --target ringzero >/dev/null
}
scripts/guest-images.sh amd64 i686
. bench/need_qemu.sh linux.sh
img=guests/linux/images
mem=256M
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# boot VM ARCH RUN: one boot with rz.run=RUN; the stamped console goes to
# $work/VM-ARCH-RUN.log, which must end with status 0.
boot() {
    local vm=$1 arch=$2 run=$3 log=$work/$1-$2-$3.log
    local kargs=(-m "$mem" -no-reboot -kernel "$img/vmlinuz-$arch" -initrd "$img/initrd-$arch.gz"
                 -append "console=ttyS0 rz.run=$run")
    local cmd
    case $vm in
        ringzero) cmd=("$build/ringzero" -nographic -accel dbt "${kargs[@]}") ;;
        tier0) cmd=("$build/ringzero" -nographic -accel interp "${kargs[@]}") ;;
        qemu) cmd=(qemu-system-x86_64 -accel tcg -machine pc -nographic "${kargs[@]}") ;;
    esac
    if ! bench/stamp.py "${cmd[@]}" > "$log" 2> "$log.err"; then
        echo "linux.sh: $vm $arch rz.run=$run failed; console:" >&2
        tail -n 20 "$log" "$log.err" >&2
        exit 1
    fi
    grep -q "ringzero: test $run passed" "$log" || { echo "linux.sh: $vm $arch: no 'test $run passed' in $log" >&2; exit 1; }
}
# stamp LOG PATTERN: host seconds at the first console line matching PATTERN
stamp() { awk -v p="$2" '$0 ~ p { print $1; exit }' "$1"; }
# guest_time LOG NAME: the guest's own time for workload NAME
guest_time() { sed -n "s/.*rz: bench $2 end \([0-9.]*\) s.*/\1/p" "$1" | head -n1; }
# host_span LOG NAME: host seconds between NAME's begin and end lines
host_span() {
    awk -v b="rz: bench $2 begin" -v e="rz: bench $2 end" \
        'index($0, b) { t = $1 } index($0, e) { printf "%.2f", $1 - t; exit }' "$1"
}

# Natively: busybox-static from the same .deb as the initramfs, on the same
# data, in a tmpfs when there is one (the guest's files are in its tmpfs).
dpkg-deb -x "$(ls "$img"/debs-amd64/busybox-static_*.deb | head -n1)" "$work/bb"
bb=$work/bb/bin/busybox
data=$work
[ -d /dev/shm ] && [ -w /dev/shm ] && data=$(mktemp -d /dev/shm/rz-bench.XXXXXX)
trap 'rm -rf "$work"; [ "$data" = "$work" ] || rm -rf "$data"' EXIT
"$bb" dd if=/dev/zero of="$data/zero" bs=1M count=16 2>/dev/null
# native CMD...: the best of five wall times (one is near the clock's grain)
native() {
    python3 - "$@" <<'PY'
import subprocess, sys, time
best = None
for _ in range(5):
    t = time.monotonic()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
    t = time.monotonic() - t
    best = t if best is None else min(best, t)
print(f"{best:.4f}")
PY
}
n_sha=$(native "$bb" sha256sum "$data/zero")
n_gz=$(native "$bb" gzip -c "$bb")

echo "linux.sh: load $(cut -d' ' -f1-3 /proc/loadavg) before the boots ($(nproc) cores)" >&2
boot tier0 amd64 bench
boot ringzero amd64 bench
boot qemu amd64 bench
boot tier0 amd64 marker
boot ringzero amd64 marker
boot qemu amd64 marker
i686=${RZ_BENCH_I686:-1}
if [ "$i686" = 1 ]; then
    boot tier0 i686 marker
    boot ringzero i686 marker
    boot qemu i686 marker
fi
echo "linux.sh: load $(cut -d' ' -f1-3 /proc/loadavg) after" >&2

marker="ringzero: init started"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
row() { # workload native tier0 tier1 qemu
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$1" "$2" "$3" "$4" "$5" \
        "$( [ "$2" = - ] && echo - || ratio "$3" "$2")" "$( [ "$2" = - ] && echo - || ratio "$4" "$2")" \
        "$( [ "$2" = - ] && echo - || ratio "$5" "$2")" "$(ratio "$5" "$4")"
}
t=$work/tier0-amd64 r=$work/ringzero-amd64 q=$work/qemu-amd64
echo "| workload | native s | tier 0 s | tier 1 s | QEMU s | tier0/native | tier1/native | QEMU/native | tier 1 vs QEMU (>1: faster) |"
echo "|---|---|---|---|---|---|---|---|---|"
row "boot to marker (amd64)" - "$(stamp "$t-marker.log" "$marker")" "$(stamp "$r-marker.log" "$marker")" \
    "$(stamp "$q-marker.log" "$marker")"
if [ "$i686" = 1 ]; then
    row "boot to marker (i686)" - "$(stamp "$work/tier0-i686-marker.log" "$marker")" \
        "$(stamp "$work/ringzero-i686-marker.log" "$marker")" "$(stamp "$work/qemu-i686-marker.log" "$marker")"
fi
row "sha256sum 16 MiB" "$n_sha" "$(guest_time "$t-bench.log" sha256sum)" "$(guest_time "$r-bench.log" sha256sum)" \
    "$(guest_time "$q-bench.log" sha256sum)"
row "gzip busybox ($(stat -c %s "$bb") B)" "$n_gz" "$(guest_time "$t-bench.log" gzip)" "$(guest_time "$r-bench.log" gzip)" \
    "$(guest_time "$q-bench.log" gzip)"
echo
echo "In-guest times are the guest's busybox time (10 ms grain); the host's stamps of the"
echo "begin/end lines for comparison: tier 1 sha256sum $(host_span "$r-bench.log" sha256sum) s," \
     "gzip $(host_span "$r-bench.log" gzip) s; QEMU sha256sum $(host_span "$q-bench.log" sha256sum) s," \
     "gzip $(host_span "$q-bench.log" gzip) s."
echo "Boot to marker ends at power-off: ringzero $(awk '/= status/ { print $1 }' "$r-marker.log") s," \
     "QEMU $(awk '/= status/ { print $1 }' "$q-marker.log") s (process start to exit)."

# Test scripts baked into the initramfs as /etc/rz-tests.sh; /init runs
# rz_test_NAME for rz.run=NAME on the kernel command line, then rz_poweroff.
# Output lines starting "rz:" are read by tests/boot/check_boot.cmake.

# ACPI power-off when the board has ACPI; without it (acpi=off, or before
# ringzero has ACPI tables) the kernel cannot power off, so the fallback is
# a reset through the keyboard controller, which ends ringzero with status 0
# under -no-reboot (and when no firmware is mapped at the reset vector).
rz_poweroff() {
  sync
  if [ -d /sys/firmware/acpi/tables ]; then
    echo "rz: poweroff (ACPI)"
    poweroff -f
  fi
  echo "rz: poweroff by reset (no ACPI)"
  reboot -f
}

rz_test_marker() {
  true
}

rz_test_boot() {
  ok=0
  echo "rz: uname $(uname -a)"
  echo "rz: cpuinfo begin"; cat /proc/cpuinfo; echo "rz: cpuinfo end"
  dd if=/dev/zero of=/tmp/zero bs=1M count=16 2>/dev/null
  echo "rz: sha256 $(sha256sum /tmp/zero | cut -d' ' -f1)"
  rm /tmp/zero
  # gzip round trip on varied data (the kernel log, cpuinfo, a counter)
  { dmesg; cat /proc/cpuinfo; seq 1 20000; } > /tmp/data
  gzip -c /tmp/data > /tmp/data.gz
  gunzip -c /tmp/data.gz > /tmp/data.out
  if cmp /tmp/data /tmp/data.out; then echo "rz: gzip ok $(wc -c < /tmp/data) $(wc -c < /tmp/data.gz)"; else echo "rz: gzip MISMATCH"; ok=1; fi
  rm -f /tmp/data /tmp/data.gz /tmp/data.out
  i=0
  while [ $i -lt 1000 ]; do /bin/true || break; i=$((i + 1)); done
  echo "rz: forked $i"
  [ $i -eq 1000 ] || ok=1
  echo "rz: sleep begin"
  sleep 2
  echo "rz: sleep end"
  echo "rz: dmesg begin"; dmesg; echo "rz: dmesg end"
  return $ok
}

# bench/linux.sh's workloads, timed by the guest's own clock (busybox time,
# 10 ms resolution): sha256sum of 16 MiB of zeros and gzip of the busybox
# binary.  The "begin"/"end" lines let the host time them too.
rz_bench_one() {
  name=$1; shift
  echo "rz: bench $name begin"
  time -f "%e" -o /tmp/time "$@" > /dev/null
  echo "rz: bench $name end $(cat /tmp/time) s"
}

rz_test_bench() {
  dd if=/dev/zero of=/tmp/zero bs=1M count=16 2>/dev/null
  rz_bench_one sha256sum sha256sum /tmp/zero
  rz_bench_one gzip gzip -c /bin/busybox
  rm -f /tmp/zero /tmp/time
}

#!/usr/bin/env bash
# The idle figure: boots the amd64 kernel to the busybox shell on a
# pseudo-terminal (no rz.run, so /init starts the shell), waits for the
# prompt, then reads ringzero's CPU time (utime+stime in /proc/PID/stat)
# over 10 s of wall time and prints it as a percentage of one host core;
# then types `poweroff` and checks that ringzero exits with status 0.
#   bench/idle.sh [build-dir] [seconds]     (defaults: build, 10)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-10}
[ -x "$build/ringzero" ] || {
    if [ "$build" = build ]; then scripts/setup.sh >/dev/null; fi
    cmake --build "$build" -j2 --target ringzero >/dev/null
}
scripts/guest-images.sh amd64
img=guests/linux/images
exec python3 - "$secs" "$build/ringzero" -nographic -m 256M -no-reboot \
    -kernel "$img/vmlinuz-amd64" -initrd "$img/initrd-amd64.gz" -append console=ttyS0 <<'PY'
import os, pty, select, sys, time

secs = float(sys.argv[1])
argv = sys.argv[2:]
t_start = time.monotonic()
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)

console = b""
def read_until(pattern, timeout):
    """Reads the console until pattern appears after what was seen so far."""
    global console
    start = len(console)
    end = time.monotonic() + timeout
    while pattern not in console[start:]:
        left = end - time.monotonic()
        if left <= 0:
            sys.exit(f"idle.sh: no {pattern!r} on the console in {timeout:.0f} s; last output:\n"
                     + console[-500:].decode("utf-8", "replace"))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                console += os.read(fd, 4096)
            except OSError:
                sys.exit("idle.sh: ringzero closed the console early:\n"
                         + console[-500:].decode("utf-8", "replace"))

def cpu_seconds():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

read_until(b"ringzero: busybox shell", 600)
read_until(b"# ", 60)
time.sleep(1)                  # let the shell's prompt output settle
c0, t0 = cpu_seconds(), time.monotonic()
# the boot for contrast: it keeps a core busy, so this shows the reading works
print(f"boot to the prompt: {c0:.2f} s of CPU in {t0 - t_start:.1f} s of wall time = "
      f"{100.0 * c0 / (t0 - t_start):.0f}% of one core")
# keep draining the console so ringzero never blocks on a full pty
end = t0 + secs
while time.monotonic() < end:
    r, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
    if r:
        console += os.read(fd, 4096)
c1, t1 = cpu_seconds(), time.monotonic()
pct = 100.0 * (c1 - c0) / (t1 - t0)
print(f"idle at the shell prompt: {c1 - c0:.2f} s of CPU in {t1 - t0:.1f} s of wall time = {pct:.1f}% of one core")
os.write(fd, b"poweroff\r")
deadline = time.monotonic() + 120
status = None
while time.monotonic() < deadline:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            console += os.read(fd, 4096)
        except OSError:
            pass
if status is None:
    os.kill(pid, 9)
    sys.exit("idle.sh: ringzero did not exit within 120 s of 'poweroff'")
print(f"poweroff: ringzero exited with status {status}")
sys.exit(0 if status == 0 else 1)
PY

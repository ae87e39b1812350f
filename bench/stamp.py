#!/usr/bin/env python3
"""Runs a command and prints each line of its stdout prefixed with the
seconds since the command started (host monotonic clock), stamped as the
line arrives; ends with "= status N" and exits with the command's status.
    bench/stamp.py COMMAND ARGS...
stdin is /dev/null, stderr is passed through.  bench/linux.sh uses it to
time a boot to the init marker from outside the guest."""
import subprocess
import sys
import time

t0 = time.monotonic()
proc = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
for raw in proc.stdout:
    t = time.monotonic() - t0
    line = raw.decode("utf-8", "replace").rstrip("\r\n")
    sys.stdout.write(f"{t:10.3f} {line}\n")
    sys.stdout.flush()
status = proc.wait()
sys.stdout.write(f"{time.monotonic() - t0:10.3f} = status {status}\n")
sys.exit(status if status >= 0 else 128 - status)

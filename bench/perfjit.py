#!/usr/bin/env python3
"""Where a perf profile of ringzero spends its time in translated code.

Tier 1's host code lives in a memfd (codecache/execmem), which perf report
shows as one unnamed DSO; ringzero -perfmap names each block's code in
/tmp/perf-PID.map.  This joins the two: the hottest blocks by samples, by
guest rip, with the share of all samples.

    perf record -o perf.data build/ringzero -perfmap ...
    bench/perfjit.py perf.data [/tmp/perf-PID.map] [top]
"""
import bisect
import glob
import os
import subprocess
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    data = sys.argv[1]
    maps = sys.argv[2] if len(sys.argv) > 2 else max(glob.glob("/tmp/perf-*.map"), key=os.path.getmtime)
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    blocks = []  # (start, size, name); a later translation at the same address wins
    with open(maps) as f:
        for line in f:
            start, size, name = line.split(None, 2)
            blocks.append((int(start, 16), int(size, 16), name.strip()))
    latest = {}
    for start, size, name in blocks:
        latest[start] = (size, name)
    starts = sorted(latest)
    out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,dso"], capture_output=True,
                         text=True, check=True).stdout
    total, jit, other = 0, {}, {}
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) < 2:
            continue
        total += 1
        ip, dso = int(parts[0], 16), parts[1]
        i = bisect.bisect_right(starts, ip) - 1
        if i >= 0 and ip < starts[i] + latest[starts[i]][0]:
            key = latest[starts[i]][1]
            jit[key] = jit.get(key, 0) + 1
        else:
            other[dso] = other.get(dso, 0) + 1
    if not total:
        sys.exit("perfjit: no samples")
    print(f"{total} samples, {100.0 * sum(jit.values()) / total:.1f}% in {len(jit)} translated blocks")
    for name, n in sorted(jit.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100.0 * n / total:6.2f}%  {name}")
    for dso, n in sorted(other.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  {100.0 * n / total:6.2f}%  {dso.strip('()')} (not a named block)")


if __name__ == "__main__":
    main()

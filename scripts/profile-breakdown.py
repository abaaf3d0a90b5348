#!/usr/bin/env python3
"""Where the CPU of a ddm profile goes, by part of the process.

usage: scripts/profile-breakdown.py BINARY PROFILE

Reads `go tool pprof -traces` and puts each sample in the first category
whose pattern matches a frame of its stack, in the order below (so the
emulator's work under the agent's bus read counts as the emulator's, and
line-protocol encoding under Write as the writer's). Prints each
category's CPU seconds and share of the profile. docs/BENCHMARKS.md quotes
its output.
"""
import re
import subprocess
import sys

CATEGORIES = [
    ("emulator (the emulated modules' dynamics and bus)", r"ddm/emulator\."),
    ("writer: Write (line protocol into the queue)", r"exporter\.\(\*InfluxWriter\)\.Write$"),
    ("writer: spooler (records to disk, fdatasync)", r"exporter\.\(\*InfluxWriter\)\.spooler$"),
    ("writer: sender (spool read, gzip, HTTP)", r"exporter\.\(\*InfluxWriter\)\.sender$|influxdb-client-go|net/http\.|internal/poll\.|^net\."),
    ("building points (samples to points)", r"exporter\.[A-Za-z]*Points?$|exporter\.\(\*Point\)\.|exporter\.Source\.point|pipeline\."),
    ("alarm rules", r"ddm/alarm\."),
    ("decode", r"ddm/cmis\.|ddm/sff\."),
    ("agent and bus reads (pager, plans, scheduling)", r"ddm/agent\.|ddm/i2c\.|ddm/modread\."),
    ("garbage collector", r"runtime\.gcBgMarkWorker|runtime\.gcAssist|runtime\.(bgsweep|sweepone)|runtime\.markroot"),
    ("scavenger (returning memory to the OS)", r"runtime\.bgscavenge|runtime\.(\(\*pageAlloc\)\.)?scavenge"),
    ("Go scheduler, timers, syscalls elsewhere", r"runtime\.|syscall\."),
]


def parse(binary, profile):
    out = subprocess.run(["go", "tool", "pprof", "-traces", binary, profile],
                         check=True, capture_output=True, text=True).stdout
    samples = []
    for block in out.split("-----------+-------------------------------------------------------")[1:]:
        lines = [l for l in block.strip("\n").split("\n") if l.strip()]
        if not lines:
            continue
        m = re.match(r"\s*([\d.]+)(ms|s|us|µs)\s+(.*)", lines[0])
        if not m:
            continue
        v = float(m.group(1)) * {"s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}[m.group(2)]
        frames = [m.group(3).strip()] + [l.strip() for l in lines[1:]]
        frames = [re.sub(r"\s+\(inline\)$", "", f) for f in frames]
        samples.append((v, frames))
    return samples


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    samples = parse(sys.argv[1], sys.argv[2])
    total = sum(v for v, _ in samples)
    sums = {name: 0.0 for name, _ in CATEGORIES}
    other = 0.0
    for v, frames in samples:
        for name, pat in CATEGORIES:
            if any(re.search(pat, f) for f in frames):
                sums[name] += v
                break
        else:
            other += v
    print(f"| part | CPU s | share |\n|---|---|---|")
    for name, _ in CATEGORIES:
        print(f"| {name} | {sums[name]:.2f} | {100 * sums[name] / total:.1f} % |")
    print(f"| other | {other:.2f} | {100 * other / total:.1f} % |")
    writer = sum(v for k, v in sums.items() if k.startswith("writer"))
    print(f"| total ({len(samples)} stacks) | {total:.2f} | 100 % |")
    print(f"\nwriter (Write + spooler + sender): {100 * writer / total:.1f} % of the profile")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Where the bytes of a line-protocol stream go once gzipped.

Usage: ddm run --emulate --output lp [--reduce 30s] --duration 150s > run.lp
       scripts/lp-bytes.py run.lp [--skip 0.4] [--fields MEASUREMENT]
       scripts/lp-bytes.py --requests DIR [--from 60 --to 180]

The stream (after skipping its first fraction, the start-up) is gzipped in
pieces of 400 kB, about what the writer sends in one request. A
measurement's share is the gzip size of the whole minus that of the whole
without the measurement's lines: what leaving it out would save, which
counts what it shares with the other lines only once. With --fields, the
same for each field of MEASUREMENT's window points (lines with window_ns).

With --requests, DIR holds the request bodies the bytes figure kept
(DDM_FIGURE_DUMP=DIR, one folder per run, each body named by its ms since
the run's start): the bodies sent between --from and --to seconds, each
body's gzip bytes shared among its lines' measurements in proportion to
their line-protocol bytes (window points apart), and how many bytes went in
requests under 2 kB.
"""
import argparse
import collections
import gzip
import os
import zlib

PIECE = 400_000


def gzipped(lines, level):
    total, piece, size = 0, [], 0
    for line in lines:
        piece.append(line)
        size += len(line) + 1
        if size >= PIECE:
            total += len(zlib.compress(b"\n".join(piece), level))
            piece, size = [], 0
    if piece:
        total += len(zlib.compress(b"\n".join(piece), level))
    return total


def measurement(line):
    end = len(line)
    for sep in (b",", b" "):
        i = line.find(sep)
        if 0 <= i < end:
            end = i
    return line[:end].decode()


def without_field(line, key):
    head, fields, ts = line.split(b" ")
    kept = [f for f in fields.split(b",") if f.split(b"=", 1)[0] != key]
    return head + b" " + b",".join(kept) + b" " + ts


def requests(base, start_s, end_s):
    for run in sorted(os.listdir(base)):
        folder = os.path.join(base, run)
        shares, total, count, small = collections.Counter(), 0, 0, 0
        for name in sorted(os.listdir(folder)):
            ms = int(name.split("-")[0])
            if not start_s * 1000 <= ms < end_s * 1000:
                continue
            with open(os.path.join(folder, name), "rb") as f:
                body = f.read()
            raw = gzip.decompress(body)
            by = collections.Counter()
            for line in raw.split(b"\n"):
                if line:
                    m = measurement(line) + (" (window)" if b"window_ns=" in line else "")
                    by[m] += len(line) + 1
            for m, n in by.items():
                shares[m] += len(body) * n / max(1, len(raw))
            total += len(body)
            count += 1
            small += len(body) if len(body) < 2000 else 0
        print(f"{run}: {count} requests, {total} bytes from {start_s} s to {end_s} s; {small} bytes in requests under 2 kB")
        for m, n in shares.most_common():
            print(f"  {m:28s} {n:10.0f} bytes ({100 * n / max(1, total):5.1f} %)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?")
    ap.add_argument("--requests", help="a folder of the bytes figure's request bodies (DDM_FIGURE_DUMP)")
    ap.add_argument("--from", dest="start", type=float, default=60)
    ap.add_argument("--to", dest="end", type=float, default=180)
    ap.add_argument("--skip", type=float, default=0.4, help="fraction of lines to skip (start-up)")
    ap.add_argument("--level", type=int, default=1, help="gzip level (the writer's BestSpeed is 1)")
    ap.add_argument("--fields", help="a measurement whose window fields to break down")
    args = ap.parse_args()
    if args.requests:
        requests(args.requests, args.start, args.end)
        return
    if not args.file:
        ap.error("a line-protocol file, or --requests DIR")
    with open(args.file, "rb") as f:
        lines = [l for l in f.read().split(b"\n") if l]
    lines = lines[int(len(lines) * args.skip):]
    whole = gzipped(lines, args.level)
    raw = sum(len(l) + 1 for l in lines)
    print(f"{len(lines)} lines, {raw} bytes, {whole} gzipped (level {args.level})")
    if args.fields:
        target = args.fields.encode()
        windows = [i for i, l in enumerate(lines) if measurement(l) == args.fields and b"window_ns=" in l]
        keys = collections.Counter()
        for i in windows:
            for f in lines[i].split(b" ")[1].split(b","):
                keys[f.split(b"=", 1)[0]] += 1
        rows = []
        for key, n in keys.items():
            cut = list(lines)
            for i in windows:
                cut[i] = without_field(cut[i], key)
            rows.append((whole - gzipped(cut, args.level), key.decode(), n))
        for share, key, n in sorted(rows, reverse=True):
            print(f"{target.decode()} {key:32s} in {n:6d} windows: {share:9d} bytes ({100 * share / whole:5.1f} %)")
        return
    by = collections.defaultdict(int)
    for l in lines:
        by[measurement(l)] += 1
    rows = []
    for m, n in by.items():
        rows.append((whole - gzipped([l for l in lines if measurement(l) != m], args.level), m, n))
    for share, m, n in sorted(rows, reverse=True):
        print(f"{m:20s} {n:8d} lines: {share:9d} bytes ({100 * share / whole:5.1f} %)")


if __name__ == "__main__":
    main()

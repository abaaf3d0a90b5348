#!/usr/bin/env bash
# Whole-process cost of the agent: `ddm run --emulate` on generated switches
# of N emulated modules (half 800G DR8, half 1.6T DR8, 8 ports per mux,
# 1 MHz buses) at a 1 s cadence and a 10 s VDM cadence, writing to a real
# InfluxDB 1.8 (bin/influxd) on loopback.
#
# usage: scripts/bench-process.sh [-n RUNS] [-s SECONDS] [-w WARMUP] [-c COMMIT] [N...]
#   -n RUNS     runs of each binary and size (default 3)
#   -s SECONDS  measured window of each run (default 60)
#   -w WARMUP   seconds before the window (default 10: insertion reads, spool)
#   -c COMMIT   also measure the binary of COMMIT (built from a temporary
#               git worktree), alternated with this tree's, run by run
#   N...        switch sizes (default 64 256)
#
# Each run: a new database, a new state folder, a new process. CPU is
# utime+stime from /proc/PID/stat over the window, in % of one core; VmHWM
# is the process's peak resident size over its whole life (warm-up
# included), from /proc/PID/status just before it ends; points/s is what
# InfluxDB holds afterwards over the run's length. The load average
# (/proc/loadavg, 1 min) is read at the start and end of every run. The
# machine is shared: compare binaries as ratios of runs taken side by side
# (the ratio column pairs run i of one binary with run i of the other).
# Prints every run, then min / median / max per binary and size.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 secs=60 warm=10 commit=
while getopts n:s:w:c: o; do
	case $o in
	n) runs=$OPTARG ;; s) secs=$OPTARG ;; w) warm=$OPTARG ;; c) commit=$OPTARG ;;
	*) sed -n '2,24p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
sizes=${*:-64 256}
[ -x bin/influxd ] || make -s bin/influxd >/dev/null
work=$(mktemp -d -t ddm-bench.XXXXXX)
cleanup() {
	[ -n "${ddm_pid:-}" ] && kill "$ddm_pid" 2>/dev/null
	[ -n "${influx_pid:-}" ] && kill "$influx_pid" 2>/dev/null
	wait 2>/dev/null
	[ -d "$work/src" ] && git worktree remove --force "$work/src" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/ddm-this" ./cmd/ddm
bins=(this)
label_this="this tree ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+changes'))"
if [ -n "$commit" ]; then
	git worktree add --detach "$work/src" "$commit" >/dev/null 2>&1
	(cd "$work/src" && go build -o "$work/ddm-before" ./cmd/ddm)
	git worktree remove --force "$work/src" >/dev/null
	bins=(before this)
	label_before="commit $(git rev-parse --short "$commit")"
fi

. scripts/influxd.sh
start_influxd "$work"
port=$influx_port
hz=$(getconf CLK_TCK)
q() { curl -sf "http://127.0.0.1:$port/query" "$@"; }

platform() { # platform N > file
	local n=$1 buses=$(((n + 7) / 8))
	echo "name: bench-$n"
	echo "buses:"
	for b in $(seq 1 "$buses"); do
		echo "  - {name: i2c-$b, speed: 1MHz, muxes: [{address: 0x70, first: $((100 + 8 * b)), count: 8}]}"
	done
	echo "ports:"
	for i in $(seq 0 $((n - 1))); do
		local b=$((i / 8 + 1)) c=$((i % 8)) prof=osfp-800g-dr8
		[ $((i % 2)) -eq 1 ] && prof=osfp-1.6t-dr8
		echo "  - {name: Ethernet$((i + 1)), bus: i2c-$((100 + 8 * b + c)), profile: $prof}"
	done
}

# one BIN N RUN: prints "cpu vmhwm_mb rss_mb points_per_s load_start load_end"
one() {
	local bin=$1 n=$2 r=$3 db="b_$1_$2_$3"
	q -XPOST --data-urlencode "q=CREATE DATABASE $db" >/dev/null
	local l0 l1 u0 s0 u1 s1 t0 t1 hwm rss all
	l0=$(cut -d' ' -f1 /proc/loadavg)
	"$work/ddm-$bin" run --emulate="$work/p$n.yaml" --influx-url "http://127.0.0.1:$port" --influx-bucket "$db/autogen" \
		--interval 1s --vdm-interval 10s --state-dir "$work/state-$db" --duration "$((warm + secs + 3))s" 2>/dev/null &
	ddm_pid=$!
	sleep "$warm"
	read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$ddm_pid/stat")
	t0=$(date +%s.%N)
	sleep "$secs"
	read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$ddm_pid/stat")
	t1=$(date +%s.%N)
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$ddm_pid/status")
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$ddm_pid/status")
	wait "$ddm_pid" || true
	ddm_pid=
	l1=$(cut -d' ' -f1 /proc/loadavg)
	all=$(for m in xcvr_module xcvr_lane xcvr_vdm xcvr_info xcvr_agent xcvr_alarm xcvr_threshold; do
		q --data-urlencode "db=$db" --data-urlencode "q=SELECT count(*) FROM $m" |
			python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; print(max(r["series"][0]["values"][0][1:]) if "series" in r else 0)'
	done | paste -sd+ | bc)
	python3 -c "print(f'{100*(($u1+$s1)-($u0+$s0))/$hz/($t1-$t0):.2f} {$hwm/1024:.1f} {$rss/1024:.1f} {$all/($warm+$secs+3):.0f} $l0 $l1')"
}

results=$work/results
echo "# $(date -u +%FT%TZ) $(nproc) cores; runs=$runs window=${secs}s warm-up=${warm}s sizes=$sizes"
for b in "${bins[@]}"; do v=label_$b; echo "# $b = ${!v}"; done
echo
echo "| modules | binary | run | CPU (% of one core) | VmHWM (MB) | RSS end (MB) | points/s | load avg start–end |"
echo "|---|---|---|---|---|---|---|---|"
for n in $sizes; do
	platform "$n" >"$work/p$n.yaml"
	for r in $(seq 1 "$runs"); do
		order=("${bins[@]}")
		# Alternate which binary goes first, so neither always runs in
		# the same half of the machine's noise.
		if [ $((r % 2)) -eq 0 ] && [ ${#bins[@]} -eq 2 ]; then order=("${bins[1]}" "${bins[0]}"); fi
		for b in "${order[@]}"; do
			read -r cpu hwm rss pts l0 l1 < <(one "$b" "$n" "$r")
			echo "$n $b $r $cpu $hwm $rss $pts" >>"$results"
			echo "| $n | $b | $r | $cpu | $hwm | $rss | $pts | $l0–$l1 |"
		done
	done
done
echo
python3 - "$results" "${bins[@]}" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
bins = sys.argv[2:]
def mmm(v): return f"{min(v):g} / {st.median(v):g} / {max(v):g}"
print("| modules | binary | CPU % of one core (min / median / max) | VmHWM MB | points/s |")
print("|---|---|---|---|---|")
sizes = sorted({int(r[0]) for r in rows})
for n in sizes:
    for b in bins:
        rs = [r for r in rows if int(r[0]) == n and r[1] == b]
        print(f"| {n} | {b} | {mmm([float(r[3]) for r in rs])} | {mmm([float(r[4]) for r in rs])} | {mmm([float(r[6]) for r in rs])} |")
if len(bins) == 2:
    print("\n| modules | CPU ratio this/before, run by run (min / median / max) | VmHWM ratio |")
    print("|---|---|---|")
    for n in sizes:
        a = {r[2]: r for r in rows if int(r[0]) == n and r[1] == "before"}
        b = {r[2]: r for r in rows if int(r[0]) == n and r[1] == "this"}
        ks = sorted(set(a) & set(b))
        print(f"| {n} | {mmm([round(float(b[k][3]) / float(a[k][3]), 2) for k in ks])} | {mmm([round(float(b[k][4]) / float(a[k][4]), 2) for k in ks])} |")
if len(sizes) >= 2:
    lo, hi = sizes[0], sizes[-1]
    print(f"\n| binary | CPU {hi} / {lo} modules, median over median |\n|---|---|")
    for b in bins:
        med = lambda n: st.median([float(r[3]) for r in rows if int(r[0]) == n and r[1] == b])
        print(f"| {b} | {med(hi) / med(lo):.2f} |")
PY

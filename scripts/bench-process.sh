#!/usr/bin/env bash
# Whole-process cost of the agent: `ddm run --emulate` on generated switches
# of N emulated 800G/1.6T modules at a 1 s cadence, writing to a real
# InfluxDB on loopback. Reports CPU (% of one core, from /proc/PID/stat
# utime+stime over the steady-state window), peak and final RSS, and the
# points per second InfluxDB received.
#
# usage: scripts/bench-process.sh [SECONDS] [N...]     (default 60 s, N = 64 256)
# Results go to docs/BENCHMARKS.md by hand. The machine is shared: run the
# sizes in one go and compare them as ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
sizes=${*:-64 256}
make -s build bin/influxd >/dev/null
work=$(mktemp -d -t ddm-bench.XXXXXX)
cleanup() { [ -n "${influx_pid:-}" ] && kill "$influx_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
. scripts/influxd.sh
start_influxd "$work"
port=$influx_port

hz=$(getconf CLK_TCK)
printf '| modules | buses | CPU (%% of one core) | RSS end (MB) | RSS peak (MB) | points/s to InfluxDB |\n|---|---|---|---|---|---|\n'
for n in $sizes; do
	db="bench$n"
	curl -sf -XPOST "http://127.0.0.1:$port/query" --data-urlencode "q=CREATE DATABASE $db" >/dev/null
	buses=$(((n + 7) / 8))
	{
		echo "name: bench-$n"
		echo "buses:"
		for b in $(seq 1 "$buses"); do
			first=$((100 + 8 * b))
			echo "  - {name: i2c-$b, speed: 1MHz, muxes: [{address: 0x70, first: $first, count: 8}]}"
		done
		echo "ports:"
		for i in $(seq 0 $((n - 1))); do
			b=$((i / 8 + 1)); c=$((i % 8)); ch=$((100 + 8 * b + c))
			prof=osfp-800g-dr8; [ $((i % 2)) -eq 1 ] && prof=osfp-1.6t-dr8
			echo "  - {name: Ethernet$((i + 1)), bus: i2c-$ch, profile: $prof}"
		done
	} >"$work/p$n.yaml"
	bin/ddm run --emulate="$work/p$n.yaml" --influx-url "http://127.0.0.1:$port" --influx-bucket "$db/autogen" \
		--interval 1s --vdm-interval 10s --state-dir "$work/state$n" --duration "$((secs + 15))s" 2>/dev/null &
	pid=$!
	sleep 10 # warm-up: static reads at insertion, spool creation
	read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
	t0=$(date +%s.%N)
	peak=0
	for _ in $(seq 1 "$secs"); do
		sleep 1
		rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ "$rss" -gt "$peak" ] && peak=$rss
	done
	read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
	t1=$(date +%s.%N)
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	wait "$pid" || true
	cpu=$(python3 -c "print(f'{100*(($u1+$s1)-($u0+$s0))/$hz/($t1-$t0):.2f}')")
	pts=$(curl -sf "http://127.0.0.1:$port/query" --data-urlencode "db=$db" --data-urlencode \
		"q=SELECT count(\"tx_power_mw\") FROM xcvr_lane" | python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; print(r["series"][0]["values"][0][1] if "series" in r else 0)')
	all=$(for m in xcvr_module xcvr_lane xcvr_vdm xcvr_info xcvr_agent xcvr_alarm xcvr_threshold; do
		curl -sf "http://127.0.0.1:$port/query" --data-urlencode "db=$db" --data-urlencode "q=SELECT count(*) FROM $m" |
			python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; print(max(r["series"][0]["values"][0][1:]) if "series" in r else 0)'
	done | paste -sd+ | bc)
	printf '| %d | %d | %s | %.1f | %.1f | %s |\n' "$n" "$buses" "$cpu" "$(echo "$rss/1024" | bc -l)" "$(echo "$peak/1024" | bc -l)" \
		"$(python3 -c "print(round($all/($secs+15)))")"
	_=$pts
done

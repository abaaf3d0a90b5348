#!/usr/bin/env bash
# make demo: starts a real InfluxDB 1.8.10 on loopback (data in a temporary
# folder), runs the agent on the emulated 64-port AI-fabric switch for about
# 80 seconds (long enough for its scripted faults to raise alarms: a BER
# ramp, a fading laser, a temperature runaway, a module pulled and put
# back), then shows what arrived in InfluxDB and the alarms raised, and
# writes the Grafana files generated from the same rules. It stops what it
# started.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DEMO_DURATION:-80s}
ddm=$PWD/bin/ddm
work=$(mktemp -d -t ddm-demo.XXXXXX)
cleanup() {
	[ -n "${influx_pid:-}" ] && kill "$influx_pid" 2>/dev/null && wait "$influx_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
. scripts/influxd.sh
start_influxd "$work"
port=$influx_port
echo "== InfluxDB 1.8.10 on 127.0.0.1:$port (data in $work)"
curl -sf -XPOST "http://127.0.0.1:$port/query" --data-urlencode "q=CREATE DATABASE telemetry" >/dev/null

echo "== ddm run --emulate (64-port switch) for $DURATION; journal lines follow"
"$ddm" run --emulate --influx-url "http://127.0.0.1:$port" --influx-bucket telemetry/autogen \
	--interval 1s --vdm-interval 5s --state-dir "$work/state" --duration "$DURATION" 2>&1 |
	grep -E 'alarm|removed|inserted detail="module inserted"' | grep -v 'event=inserted' | sed 's/^/   /' || true

echo
"$ddm" summary --influx-url "http://127.0.0.1:$port" --influx-bucket telemetry --since 10m

if "$ddm" rules export --grafana "$work/grafana" --influx-url "http://127.0.0.1:$port" --bucket telemetry/autogen >/dev/null 2>&1; then
	mkdir -p bin/demo-grafana && cp -r "$work/grafana/." bin/demo-grafana/
	echo
	echo "== Grafana provisioning generated from the same rules: bin/demo-grafana/ ($(ls bin/demo-grafana | tr '\n' ' '))"
fi

# Sourced by the demo and bench scripts: start_influxd DIR starts InfluxDB
# 1.8.10 (bin/influxd) on a free loopback port with its data under DIR, and
# sets influx_port and influx_pid. The caller stops it (kill $influx_pid).
start_influxd() {
	local dir=$1
	influx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$dir/influxd.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$((influx_port + 1))"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$influx_port"
  log-enabled = false
  flux-enabled = true
[logging]
  level = "error"
CONF
	bin/influxd run -config "$dir/influxd.conf" >"$dir/influxd.log" 2>&1 &
	influx_pid=$!
	for _ in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$influx_port/ping" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "InfluxDB did not start; its log:" >&2
	cat "$dir/influxd.log" >&2
	return 1
}

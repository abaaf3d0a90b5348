package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/schema"
	"github.com/ddm-agent/ddm/winstat"
)

// TestRunReduced runs the real binary with --reduce 10s on alarms that
// change state within its 3 s against the real InfluxDB: the monitors
// arrive as window statistics only (min <= mean <= max, the samples of the
// run folded, the window flushed at the end of the run), the flags as
// state points, and every alarm transition the engine reported is in
// InfluxDB at its own time, as at full rate. The writer's batch lane
// flushes every winstat.FlushInterval (5 s), so the 3 s run sends its
// points other than events in one request at the end (two at most), its
// events at once.
func TestRunReduced(t *testing.T) {
	t.Parallel()
	srv := influxtest.Start(t)
	dir := t.TempDir()
	platform, rules := filepath.Join(dir, "p.yaml"), filepath.Join(dir, "rules.yaml")
	for path, text := range map[string]string{platform: eventPlatform, rules: eventRules} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proxy := &countingProxy{dump: t.TempDir(), began: time.Now()}
	purl := proxy.start(t, srv.URL())
	p := startDDM(t, "run", "--emulate="+platform, "--rules", rules, "--influx-url", purl, "--influx-bucket", srv.Bucket(),
		"--interval", "250ms", "--vdm-interval", "500ms", "--reduce", "10s", "--state-dir", filepath.Join(dir, "state"), "--duration", "3s")
	if err := p.wait(t, 30*time.Second); err != nil {
		t.Fatalf("ddm run: %v\n%s", err, p.stderr)
	}
	journal := regexp.MustCompile(`msg="alarm (firing|resolved)"`).FindAllString(p.stderr.String(), -1)
	if len(journal) < 6 {
		t.Fatalf("the scenario should change at least 6 alarms: %d\n%s", len(journal), p.stderr)
	}
	if rows := srv.Query(t, `SELECT "state" FROM "xcvr_alarm" WHERE "transition"=true`); len(rows) != len(journal) {
		t.Errorf("the engine reported %d alarm transitions, InfluxDB holds %d", len(journal), len(rows))
	}
	// One batch at the end; two if a slow start let the first tick come
	// within the run (at 1 s, 3 s send 4 or more).
	if events, batches := requestsByLane(t, proxy.dump); events == 0 || batches < 1 || batches > 2 {
		t.Errorf("%d requests of events only and %d of other points, want some and 1 (the batch lane flushes every %v)",
			events, batches, winstat.FlushInterval)
	}
	// No full-rate monitor values: only their statistics.
	if n := srv.Count(t, schema.TxPowerMW, schema.XcvrLane, ""); n != 0 {
		t.Errorf("%d full-rate tx_power_mw values in reduced mode", n)
	}
	// Nor dBm, values or statistics: the mW statistics give it.
	for _, f := range []string{schema.RxPowerDBM, schema.RxPowerDBM + schema.StatMean, schema.TxPowerDBM + schema.StatMin} {
		if n := srv.Count(t, f, schema.XcvrLane, ""); n != 0 {
			t.Errorf("%d %s values in reduced mode", n, f)
		}
	}
	mw := schema.TxPowerMW
	rows := srv.Query(t, fmt.Sprintf(`SELECT "%s","%s","%s","%s","%s","%s" FROM "xcvr_lane" WHERE "port"='ber' AND "lane"='3' AND "%s" > 0`,
		mw+schema.StatMin, mw+schema.StatMean, mw+schema.StatMax, schema.WindowNS, schema.WindowSamples, mw+schema.StatMaxOffsetMS, schema.WindowSamples))
	var samples int64
	for _, r := range rows {
		lo, _ := r.Float(mw + schema.StatMin)
		mean, _ := r.Float(mw + schema.StatMean)
		hi, _ := r.Float(mw + schema.StatMax)
		ns, _ := r.Int(schema.WindowNS)
		n, _ := r.Int(schema.WindowSamples)
		// The time of the max is an offset in the window, absent for a
		// constant.
		at, timed := r.Int(mw + schema.StatMaxOffsetMS)
		if !(lo <= mean && mean <= hi) || ns <= 0 || ns > int64(10*time.Second) || timed != (lo != hi) || at < 0 || at*int64(time.Millisecond) >= ns {
			t.Errorf("window %v: min %v mean %v max %v (max at +%v ms: %v), %v ns, %d samples", r.Time(), lo, mean, hi, at, timed, ns, n)
		}
		samples += n
	}
	// 3 s at 250 ms: about 12 fast reads, all in one or two windows.
	if len(rows) == 0 || len(rows) > 2 || samples < 8 || samples > 16 {
		t.Errorf("%d windows of lane ber/3 holding %d samples, want 1 or 2 holding the run's ~12 fast reads", len(rows), samples)
	}
	if n := srv.Count(t, "value"+schema.StatMean, schema.XcvrVDM, `"port"='ber'`); n == 0 {
		t.Errorf("no VDM window points")
	}
	// The temperature runaway is in its window's range.
	temp := srv.Query(t, `SELECT max("temperature_c_max") - min("temperature_c_min") AS span FROM "xcvr_module" WHERE "port"='hot'`)
	if span, ok := temp[0].Float("span"); len(temp) != 1 || !ok || span < 1 {
		t.Errorf("hot module's temperature span over the run: %v", temp)
	}
	// Flags are sent when they change: each lane has its first state.
	if n := srv.Count(t, "rx_los", schema.XcvrLane, `"port"='ber'`); n < 8 {
		t.Errorf("%d rx_los values for the 8 lanes of ber, want each lane's state at least once", n)
	}
}

// countingProxy forwards to InfluxDB and counts the bytes of the write
// requests' bodies as sent (gzip).
type countingProxy struct {
	bytes, requests atomic.Int64
	// began is when the run began (before its process starts, so that
	// its shutdown comes after endAfter). warmFor and endAfter, when set,
	// are how long after it the start-up and the steady state end: bytes
	// sent before the one are also counted in warmBytes, after the other
	// in endBytes (the run's shutdown).
	began               time.Time
	warmFor, endAfter   time.Duration
	warmBytes, endBytes atomic.Int64
	// dump, when set, is a folder that gets each request's body as sent,
	// named by its ms since began (for scripts/lp-bytes.py --requests).
	dump string
}

func (c *countingProxy) start(t *testing.T, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/write" || r.URL.Path == "/api/v2/write" {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			c.bytes.Add(int64(len(body)))
			if since := time.Since(c.began); since < c.warmFor {
				c.warmBytes.Add(int64(len(body)))
			} else if c.endAfter > 0 && since >= c.endAfter {
				c.endBytes.Add(int64(len(body)))
			}
			if n := c.requests.Add(1); c.dump != "" {
				name := fmt.Sprintf("%07d-%05d.gz", time.Since(c.began).Milliseconds(), n)
				if err := os.WriteFile(filepath.Join(c.dump, name), body, 0o644); err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestFigureBytesPerDay is the bytes-per-day figure of docs/BENCHMARKS.md
// (run with DDM_FIGURE_BYTES=1; DDM_FIGURE_SECONDS sets the length of each
// run, default 180; DDM_FIGURE_DUMP=DIR keeps each request's body): ddm run
// --emulate (the 64-port switch, its scripted faults in the first 90 s) at
// full rate and with --reduce 10s, 30s and 60s, side by side, each to its
// own InfluxDB through a proxy that counts the gzip bodies as sent. A day
// is the start-up (the first 60 s from the run's start: identity,
// thresholds, first states, the first partial window) once and the rate
// after it for the rest of the day: the rate of the next 120 s, which hold
// every window's end the same number of times (120 s is a multiple of
// each window), not what comes after them (the shutdown's flush of the
// windows in progress, once a run as the start-up; counted apart). What is
// lost is checked in each run's InfluxDB: alarm transitions against the
// run's journal, flag events against the run's own flag counters (each
// counted event has its xcvr_flag_event point), flight windows against the
// full-rate run's (each port and trigger that opened or joined a flight at
// full rate does so too), and the writer's dropped and rejected points.
func TestFigureBytesPerDay(t *testing.T) {
	if os.Getenv("DDM_FIGURE_BYTES") == "" {
		t.Skip("a figure (minutes): DDM_FIGURE_BYTES=1")
	}
	secs := 180
	if s := os.Getenv("DDM_FIGURE_SECONDS"); s != "" {
		secs, _ = strconv.Atoi(s)
	}
	if secs <= 60 || (secs-60)%60 != 0 {
		t.Fatalf("DDM_FIGURE_SECONDS=%d: want 60 s of start-up and a multiple of 60 s after it (each window's end as often)", secs)
	}
	type result struct {
		name                        string
		bytes, requests             int64
		day                         float64
		journal, alarms, flagEvents int
		flights, flightPoints       int
		flagCounted, dropped        int64
		triggers                    map[string]bool
	}
	modes := []struct {
		name  string
		extra []string
	}{{"full rate", nil}, {"reduce 10s", []string{"--reduce", "10s"}}, {"reduce 30s", []string{"--reduce", "30s"}}, {"reduce 60s", []string{"--reduce", "60s"}}}
	results := make([]result, len(modes))
	const warmup = 60 * time.Second
	done := make(chan int, len(modes))
	type run struct {
		p     *ddmProc
		srv   *influxtest.Server
		proxy *countingProxy
	}
	runs := make([]run, len(modes))
	servers := make([]*influxtest.Server, len(modes))
	for i := range modes {
		servers[i] = influxtest.Start(t)
	}
	// The runs start together once every server is up: start-up is
	// the same first minute for each.
	for i, m := range modes {
		srv := servers[i]
		proxy := &countingProxy{began: time.Now(), warmFor: warmup, endAfter: time.Duration(secs) * time.Second}
		if dir := os.Getenv("DDM_FIGURE_DUMP"); dir != "" {
			// Each run's request bodies, for a look at where the bytes go.
			proxy.dump = filepath.Join(dir, strings.ReplaceAll(m.name, " ", "-"))
			if err := os.MkdirAll(proxy.dump, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		purl := proxy.start(t, srv.URL())
		args := append([]string{"run", "--emulate", "--influx-url", purl, "--influx-bucket", srv.Bucket(),
			"--state-dir", t.TempDir(), "--duration", fmt.Sprintf("%ds", secs)}, m.extra...)
		runs[i] = run{startDDM(t, args...), srv, proxy}
	}
	for i := range runs {
		go func() {
			if err := runs[i].p.wait(t, time.Duration(secs)*time.Second+60*time.Second); err != nil {
				t.Errorf("%s: %v\n%s", modes[i].name, err, runs[i].p.stderr)
			}
			done <- i
		}()
	}
	for range runs {
		<-done
	}
	steady := float64(time.Duration(secs)*time.Second - warmup)
	perDay := func(p *countingProxy) float64 {
		return float64(p.warmBytes.Load()) + float64(p.bytes.Load()-p.warmBytes.Load()-p.endBytes.Load())*float64(24*time.Hour-warmup)/steady
	}
	for i, r := range runs {
		res := &results[i]
		res.name = modes[i].name
		res.bytes, res.requests = r.proxy.bytes.Load(), r.proxy.requests.Load()
		res.journal = len(regexp.MustCompile(`msg="alarm (firing|resolved)"`).FindAllString(r.p.stderr.String(), -1))
		res.alarms = len(r.srv.Query(t, `SELECT "state" FROM "xcvr_alarm" WHERE "transition"=true`))
		res.flagEvents = len(r.srv.Query(t, `SELECT * FROM "xcvr_flag_event"`))
		res.flights = len(r.srv.Query(t, `SHOW TAG VALUES FROM "xcvr_flight" WITH KEY = "flight"`))
		res.flightPoints = len(r.srv.Query(t, `SELECT * FROM "xcvr_flight"`))
		res.triggers = flightTriggers(t, r.srv)
		res.flagCounted = flagEventsCounted(t, r.srv)
		res.dropped = droppedPoints(t, r.srv)
		res.day = perDay(r.proxy)
		t.Logf("%-10s: %d bytes in %d requests over %d s (%d in the first %v, %d at shutdown) = %.1f MB/day; alarm transitions: %d in the journal, %d in InfluxDB; flag events: %d counted, %d in InfluxDB; flight windows %d (%d points); dropped or rejected points %d",
			res.name, res.bytes, res.requests, secs, r.proxy.warmBytes.Load(), warmup, r.proxy.endBytes.Load(), res.day/1e6, res.journal, res.alarms, res.flagCounted, res.flagEvents, res.flights, res.flightPoints, res.dropped)
		if res.alarms != res.journal {
			t.Errorf("%s: %d alarm transitions lost", res.name, res.journal-res.alarms)
		}
		if int64(res.flagEvents) < res.flagCounted {
			t.Errorf("%s: %d flag events lost", res.name, res.flagCounted-int64(res.flagEvents))
		}
		if res.dropped != 0 {
			t.Errorf("%s: the writer dropped or the server rejected %d points", res.name, res.dropped)
		}
	}
	for _, red := range results[1:] {
		if red.bytes == 0 {
			t.Fatalf("%s: no bytes sent", red.name)
		}
		lostFlights := 0
		for tr := range results[0].triggers {
			if !red.triggers[tr] {
				lostFlights++
				t.Errorf("%s: no flight window triggered by %s (full rate has one)", red.name, tr)
			}
		}
		t.Logf("%s: lost: %d alarm transitions, %d flag events, %d flight windows", red.name,
			red.journal-red.alarms, max(0, red.flagCounted-int64(red.flagEvents)), lostFlights)
		t.Logf("%s: %.1fx fewer bytes a day than full rate (%.1f MB/day vs %.1f); flag events %d vs %d at full rate, flight windows %d vs %d", red.name,
			results[0].day/red.day, red.day/1e6, results[0].day/1e6, red.flagEvents, results[0].flagEvents, red.flights, results[0].flights)
	}
}

// flightTriggers returns each port and trigger (flag or alarm rule, with
// its lane) that opened or joined a flight window in InfluxDB, whatever
// its time: the same fault in two runs triggers at slightly different
// times, and which of two close triggers opens the flight is a race.
func flightTriggers(t *testing.T, srv *influxtest.Server) map[string]bool {
	out := map[string]bool{}
	for _, r := range srv.Query(t, fmt.Sprintf(`SELECT count(%q) FROM %q GROUP BY %q, %q`,
		schema.Opened, schema.XcvrFlightTrigger, schema.TagPort, schema.Trigger)) {
		out[r.Tags[schema.TagPort]+" "+r.Tags[schema.Trigger]] = true
	}
	return out
}

// flagEventsCounted sums, over every flag of every lane and module, the
// agent's own count of its events (the last xcvr_flag events counter):
// each counted event should have its xcvr_flag_event point.
func flagEventsCounted(t *testing.T, srv *influxtest.Server) int64 {
	var n int64
	for _, r := range srv.Query(t, fmt.Sprintf(`SELECT last(%q) FROM %q GROUP BY *`, schema.FlagEvents, schema.XcvrFlag)) {
		v, _ := r.Int("last")
		n += v
	}
	return n
}

// droppedPoints is the writer's last count of dropped and rejected points.
func droppedPoints(t *testing.T, srv *influxtest.Server) int64 {
	rows := srv.Query(t, fmt.Sprintf(`SELECT last(%q) AS d, last(%q) AS r FROM %q WHERE %q = ''`,
		schema.DroppedPoints, schema.RejectedPoints, schema.XcvrAgent, schema.TagBus))
	if len(rows) != 1 {
		t.Fatalf("the writer's counters: %d rows", len(rows))
	}
	d, _ := rows[0].Int("d")
	r, _ := rows[0].Int("r")
	return d + r
}

// requestsByLane counts the request bodies dumped in dir that hold events
// only (the writer's urgent lane: alarm transitions, flag and laser
// events) and the others (its batch lane).
func requestsByLane(t *testing.T, dir string) (events, batches int) {
	t.Helper()
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	urgent := map[string]bool{schema.XcvrAlarm: true, schema.XcvrFlagEvent: true, schema.XcvrLaserEvent: true}
	for _, f := range files {
		body, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		lp, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		onlyEvents := true
		for _, line := range strings.Split(strings.TrimSpace(string(lp)), "\n") {
			m, _, _ := strings.Cut(line, ",")
			onlyEvents = onlyEvents && urgent[m]
		}
		if onlyEvents {
			events++
		} else {
			batches++
		}
	}
	return events, batches
}

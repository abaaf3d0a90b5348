package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/schema"
)

// onsetFaults is how many onsets the figure wants at least.
const onsetFaults = 200

// BenchmarkOnsetToQueryable is the "fault onset to queryable in InfluxDB"
// figure of docs/BENCHMARKS.md: the emulated 64-port switch on the
// machine's clock (as ddm run --emulate), eight modules, one on each root
// bus (the 100 kHz one included; not the laser source), from 6 s after
// the start (the agent's first reads done), pulsing the loss of signal of four lanes
// each (down 30-300 ms, up 0.2-2 s); the agent with its defaults (1 s fast
// cadence, flag scan every 100 ms), the pipeline, and the InfluxWriter with
// its defaults (1 s flush, the spools) to a real InfluxDB. The test polls
// InfluxDB for xcvr_flag_event points every 10 ms and notes when each
// first answers; each injected onset (the emulator's record, wall clock)
// is matched to its lane's first rx_los event read after it. The figure is
// the time from the onset to the poll that found the point: p50, p99 and
// the worst; how many onsets had no point (missed), and how many flaps
// had no event of their own because the lane's next flap came before the
// event (merged: the agent did not read the lane while it was up; a flap
// not counted, which the flaps-counted figure owns, not a late point).
// With DDM_ONSET_STAGES=1 it also logs where the time went
// (onset_stages_test.go): onset -> scan read -> WriteNow -> request start
// -> the server's answer -> the poll, from a sink, an observer and an HTTP
// proxy in front of the product's parts (in this process: the figure is
// taken without them).
//
//	DDM_INFLUXD=bin/influxd go test -count=1 -run '^$' -bench OnsetToQueryable -benchtime 1x -v ./pipeline/
func BenchmarkOnsetToQueryable(b *testing.B) {
	for range b.N {
		lat, missed, merged := onsetToQueryable(b)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		b.ReportMetric(float64(len(lat)), "faults")
		b.ReportMetric(float64(q(0.5).Milliseconds()), "p50_ms")
		b.ReportMetric(float64(q(0.99).Milliseconds()), "p99_ms")
		b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max_ms")
		b.ReportMetric(float64(missed), "missed")
		b.ReportMetric(float64(merged), "merged")
		b.Logf("fault onset to queryable in InfluxDB over %d faults: p50 %v, p99 %v, max %v, min %v; %d onsets without a point, %d flaps merged into the next one's event",
			len(lat), q(0.5), q(0.99), lat[len(lat)-1], lat[0], missed, merged)
	}
}

// onsetToQueryable runs the switch until onsetFaults onsets have been
// found in InfluxDB and returns their latencies, the onsets missed (no
// event read after them) and the onsets merged: the lane's next onset also
// came before the event matched, so that event is the next flap's and this
// flap had no event of its own (the agent read the lane too seldom to see
// the flag clear in between: a flap not counted, not a late point).
func onsetToQueryable(b *testing.B) (lat []time.Duration, missed, merged int) {
	var stages []stageRow
	s := influxtest.Start(b)
	start := time.Now()
	emuOpts := []emulator.Option{emulator.WithClock(emulator.RealClock{}), emulator.WithInsertion(start.Add(-time.Hour)),
		emulator.WithUpdateInterval(time.Second)}
	pl := emulator.DefaultPlatform(emuOpts...)
	buses := pl.Buses()
	// One pulsing module on each root bus, in place of the platform's.
	pulsing := map[string]*emulator.Module{}
	for i, ps := range pl.Ports() {
		if i%8 != 0 || pl.Module(ps.Name) == nil || ps.LaserSource != "" || ps.Profile == "elsfp" {
			continue
		}
		m, err := emulator.NewModule(ps.Profile, append(slices.Clone(emuOpts), emulator.WithOrigin(start), emulator.WithAddress(ps.Address),
			emulator.WithSeed(uint64(100+i)), emulator.WithFaults(emulator.Fault{Kind: emulator.FaultLOSPulses, Lanes: []int{1, 2, 3, 4},
				Window: emulator.Window{Start: 6 * time.Second}}))...)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range m.Addresses() {
			buses[ps.Bus].Attach(a, m)
		}
		pulsing[ps.Name] = m
	}
	var ports []agent.Port
	pagers := map[string]*i2c.Pager{}
	for _, ps := range pl.Ports() {
		bus := buses[ps.Bus]
		if pagers[ps.Bus] == nil {
			pagers[ps.Bus] = i2c.NewPager(bus, i2c.PagerOptions{})
		}
		pg, addr := pagers[ps.Bus], uint8(ps.Address)
		ports = append(ports, agent.Port{Name: ps.Name, Bus: bus.Root().String(), Addr: addr, Mem: pg.Module(addr), Forget: func() { pg.Forget(addr) }})
	}
	// With DDM_ONSET_STAGES=1 a sink, an observer and an HTTP proxy in
	// front of the product's parts note where the time goes (they run in
	// this process, so the figure itself is measured without them).
	var rec *stageRecorder
	url := s.URL()
	if os.Getenv("DDM_ONSET_STAGES") != "" {
		rec = newStageRecorder()
		url = rec.proxy(b, s.URL()).URL
	}
	w, err := exporter.NewInfluxWriter(exporter.InfluxConfig{URL: url, Bucket: s.Bucket(), Token: s.Token(), SpoolDir: b.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	var sink exporter.Sink = w
	if rec != nil {
		sink = stageSink{inner: w, rec: rec}
	}
	p := New(Options{Host: "bench", Rules: builtinRules(b), Sink: sink})
	var obs agent.Observer = p
	if rec != nil {
		obs = newStageObserver(p)
	}
	a, err := agent.New(ports, obs, agent.Options{Interval: agent.DefaultInterval})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() {
		cancel()
		<-done
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		_ = w.Close(cctx)
	}()

	// key: port/lane@ms of an rx_los point -> when a poll first found it.
	found := map[string]time.Time{}
	pollStart := map[string]time.Time{} // the poll that found it started then
	key := eventKey
	var events []agent.FlagEvent // the points found, as events
	var watch scanWatch
	since := start
	deadline := time.Now().Add(2 * time.Minute)
	b.ResetTimer()
	for time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		watch.note(a.Progress())
		polled := time.Now()
		rows := s.Query(b, fmt.Sprintf("SELECT %s, %s, %s FROM %s WHERE %s = 'rx_los' AND time > %d", schema.FlagCount, schema.TagPort,
			schema.TagLane, schema.XcvrFlagEvent, schema.TagFlag, since.Add(-2*time.Second).UnixNano()))
		now := time.Now()
		for _, r := range rows {
			port, _ := r.Values[schema.TagPort].(string)
			laneText, _ := r.Values[schema.TagLane].(string)
			lane, _ := strconv.Atoi(laneText)
			k := key(port, lane, r.Time())
			if _, seen := found[k]; !seen {
				found[k], pollStart[k] = now, polled
				events = append(events, agent.FlagEvent{Port: port, Lane: lane, Time: r.Time()})
				if r.Time().After(since) {
					since = r.Time()
				}
			}
		}
		// The onsets of the last second are not counted (their events
		// may not be read yet), and merged ones neither: a margin.
		if len(events) >= onsetFaults+len(pulsing)*4+10 {
			break
		}
	}
	b.StopTimer()
	sort.Slice(events, func(i, j int) bool { return events[i].Time.Before(events[j].Time) })
	last := since.Add(-time.Second) // onsets after this may not be read yet
	for port, m := range pulsing {
		onsets := m.Onsets()
		sort.Slice(onsets, func(i, j int) bool { return onsets[i].At.Before(onsets[j].At) })
		for j, o := range onsets {
			if o.At.After(last) {
				continue
			}
			// The lane's first event read after the onset (ms precision).
			readAfter := func(at time.Time) func(agent.FlagEvent) bool {
				return func(e agent.FlagEvent) bool {
					return e.Port == port && e.Lane == o.Lane && !e.Time.Before(at.Truncate(time.Millisecond))
				}
			}
			i := slices.IndexFunc(events, readAfter(o.At))
			if i < 0 {
				missed++
				continue
			}
			if n := slices.IndexFunc(onsets[j+1:], func(n emulator.Onset) bool { return n.Lane == o.Lane }); n >= 0 &&
				readAfter(onsets[j+1+n].At)(events[i]) {
				merged++
				continue
			}
			k := key(port, o.Lane, events[i].Time)
			lat = append(lat, found[k].Sub(o.At))
			row := stageRow{port: port, lane: o.Lane, onset: o.At, read: events[i].Time, found: found[k], pollStart: pollStart[k]}
			if rec != nil {
				rec.note(&row, k, port, obs.(*stageObserver))
			}
			stages = append(stages, row)
		}
	}
	if rec != nil {
		rec.mu.Lock()
		stageReport(b, stages, rec.requests, len(events))
		rec.mu.Unlock()
		watch.report(b)
	}
	if len(lat) == 0 {
		b.Fatalf("no onset found in InfluxDB (%d points, %d missed)", len(events), missed)
	}
	return lat, missed, merged
}

package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/schema"
)

// The onset figure's stages, seen from outside the writer: a sink in
// front of it notes when the pipeline hands each flag event to the urgent
// lane, and a proxy in front of InfluxDB notes when each write request
// that carries it starts and when the server answered it. Nothing in the
// product is changed to measure them.

// eventKey names one rx_los flag event: port/lane@ms of its time.
func eventKey(port string, lane int, t time.Time) string {
	return fmt.Sprintf("%s/%d@%d", port, lane, t.UnixMilli())
}

// request is one write request the proxy passed on.
type request struct {
	start, end time.Time
	points     int
	status     int
}

// eventStages is when an event passed each stage the recorder sees.
type eventStages struct {
	writeNow time.Time // handed to the sink's urgent lane
	req      int       // index of the first request that carried it, -1 none
}

// stageRecorder is the sink wrapper and the proxy's log.
type stageRecorder struct {
	mu       sync.Mutex
	events   map[string]*eventStages
	requests []request
}

func newStageRecorder() *stageRecorder {
	return &stageRecorder{events: map[string]*eventStages{}}
}

func (r *stageRecorder) event(k string) *eventStages {
	e := r.events[k]
	if e == nil {
		e = &eventStages{req: -1}
		r.events[k] = e
	}
	return e
}

// stageSink passes everything to the writer and notes the time the
// urgent lane was given each rx_los event.
type stageSink struct {
	inner *exporter.InfluxWriter
	rec   *stageRecorder
}

func (s stageSink) Write(points ...exporter.Point) { s.inner.Write(points...) }

func (s stageSink) WriteNow(points ...exporter.Point) {
	now := time.Now()
	s.rec.mu.Lock()
	for i := range points {
		if k, ok := rxLOSKey(points[i]); ok {
			s.rec.event(k).writeNow = now
		}
	}
	s.rec.mu.Unlock()
	s.inner.WriteNow(points...)
}

func (s stageSink) Close(ctx context.Context) error { return s.inner.Close(ctx) }
func (s stageSink) Stats() exporter.Stats           { return s.inner.Stats() }

// rxLOSKey is the key of an rx_los xcvr_flag_event point.
func rxLOSKey(p exporter.Point) (string, bool) {
	if p.Measurement != schema.XcvrFlagEvent || p.Tag(schema.TagFlag) != "rx_los" {
		return "", false
	}
	lane, _ := strconv.Atoi(p.Tag(schema.TagLane))
	return eventKey(p.Tag(schema.TagPort), lane, p.Time), true
}

// rxLOSLineKey is the key of a line of line protocol that is an rx_los
// xcvr_flag_event point.
func rxLOSLineKey(line []byte) (string, bool) {
	if !bytes.HasPrefix(line, []byte(schema.XcvrFlagEvent+",")) {
		return "", false
	}
	dec := lineprotocol.NewDecoderWithBytes(line)
	if !dec.Next() {
		return "", false
	}
	if _, err := dec.Measurement(); err != nil {
		return "", false
	}
	var port, flag string
	lane := 0
	for {
		k, v, err := dec.NextTag()
		if err != nil || k == nil {
			break
		}
		switch string(k) {
		case schema.TagPort:
			port = string(v)
		case schema.TagFlag:
			flag = string(v)
		case schema.TagLane:
			lane, _ = strconv.Atoi(string(v))
		}
	}
	for {
		k, _, err := dec.NextField()
		if err != nil || k == nil {
			break
		}
	}
	t, err := dec.Time(lineprotocol.Nanosecond, time.Time{})
	if err != nil || flag != "rx_los" {
		return "", false
	}
	return eventKey(port, lane, t), true
}

// proxy passes requests to target and logs the write requests.
func (r *stageRecorder) proxy(tb testing.TB, target string) *httptest.Server {
	return influxtest.StartProxy(tb, target, influxtest.ProxyHooks{After: r.logWrite})
}

func (r *stageRecorder) logWrite(w *influxtest.Write) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := len(r.requests)
	r.requests = append(r.requests, request{start: w.Start, end: w.End, points: len(w.Lines), status: w.Status})
	for _, line := range w.Lines {
		if k, ok := rxLOSLineKey(line); ok {
			if e := r.event(k); e.req < 0 {
				e.req = i
			}
		}
	}
}

// inFlight is the request in flight at t (the latest started before t and
// ended after it), or -1.
func (r *stageRecorder) inFlight(t time.Time) int {
	for i := len(r.requests) - 1; i >= 0; i-- {
		q := r.requests[i]
		if q.start.Before(t) && q.end.After(t) {
			return i
		}
	}
	return -1
}

// stageRow is one matched onset's stages.
type stageRow struct {
	lane                                                      int
	port                                                      string
	onset, read, writeNow, reqStart, reqEnd, pollStart, found time.Time
	window                                                    time.Duration // the event's onset window: since the previous read of the flags
	byScan                                                    bool
	errors                                                    int // the port's failed reads in the run
	reqPoints                                                 int
	behind                                                    int // points of a request in flight at WriteNow, 0 none
}

func (s stageRow) total() time.Duration { return s.found.Sub(s.onset) }

// stageReport logs, for the slowest onsets and in quantiles, how long
// each stage took.
func stageReport(tb testing.TB, rows []stageRow, requests []request, events int) {
	if len(rows) == 0 {
		return
	}
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	stage := func(name string, f func(stageRow) time.Duration) {
		ds := make([]time.Duration, 0, len(rows))
		for _, s := range rows {
			ds = append(ds, f(s))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
		tb.Logf("stage %-26s p50 %5s  p90 %5s  p99 %5s  max %5s ms", name, ms(q(0.5)), ms(q(0.9)), ms(q(0.99)), ms(ds[len(ds)-1]))
	}
	stage("onset -> scan read", func(s stageRow) time.Duration { return s.read.Sub(s.onset) })
	stage("scan read -> WriteNow", func(s stageRow) time.Duration { return s.writeNow.Sub(s.read) })
	stage("WriteNow -> request start", func(s stageRow) time.Duration { return s.reqStart.Sub(s.writeNow) })
	stage("request start -> 204", func(s stageRow) time.Duration { return s.reqEnd.Sub(s.reqStart) })
	stage("204 -> poll found", func(s stageRow) time.Duration { return s.found.Sub(s.reqEnd) })
	stage("onset -> 204", func(s stageRow) time.Duration { return s.reqEnd.Sub(s.onset) })
	stage("onset -> poll found", stageRow.total)
	sorted := append([]stageRow(nil), rows...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].total() > sorted[j].total() })
	for _, s := range sorted[:min(8, len(sorted))] {
		tb.Logf("slow: %s lane %d (seen by a scan %v, %s ms after the previous read; %d failed reads of the port): total %s ms: read +%s, WriteNow +%s, request +%s (%d points; %d points in flight at WriteNow), 204 +%s, poll started +%s, found +%s",
			s.port, s.lane, s.byScan, ms(s.window), s.errors, ms(s.total()), ms(s.read.Sub(s.onset)), ms(s.writeNow.Sub(s.read)), ms(s.reqStart.Sub(s.writeNow)), s.reqPoints, s.behind,
			ms(s.reqEnd.Sub(s.reqStart)), ms(s.pollStart.Sub(s.reqEnd)), ms(s.found.Sub(s.pollStart)))
	}
	var big int
	var longest time.Duration
	for _, q := range requests {
		if q.points >= 1000 {
			big++
		}
		longest = max(longest, q.end.Sub(q.start))
	}
	tb.Logf("%d onsets matched, %d rx_los events in InfluxDB", len(rows), events)
	tb.Logf("%d write requests, %d of them of 1000 points or more; the longest took %s ms", len(requests), big, ms(longest))
}

// scanWatch follows the agent's achieved scan period per bus.
type scanWatch struct {
	longest   map[string]time.Duration // the longest ScanPeriod seen
	stretched map[string]int           // samples with ScanStretched
	samples   int
}

func (w *scanWatch) note(progress map[string]agent.BusProgress) {
	if w.longest == nil {
		w.longest, w.stretched = map[string]time.Duration{}, map[string]int{}
	}
	w.samples++
	for bus, p := range progress {
		w.longest[bus] = max(w.longest[bus], p.ScanPeriod)
		if p.ScanStretched {
			w.stretched[bus]++
		}
	}
}

func (w *scanWatch) report(tb testing.TB) {
	buses := make([]string, 0, len(w.longest))
	for bus := range w.longest {
		buses = append(buses, bus)
	}
	sort.Strings(buses)
	for _, bus := range buses {
		tb.Logf("bus %s: longest scan period %v, stretched in %d of %d samples", bus, w.longest[bus].Round(time.Millisecond), w.stretched[bus], w.samples)
	}
}

// stageObserver passes the agent's samples and flag events to the
// pipeline and notes, for the report, each rx_los event's onset window
// (the previous read of the lane's flags) and the ports' failed reads.
type stageObserver struct {
	p  *Pipeline
	mu sync.Mutex
	// window: event key -> time since the previous read of the flags, and
	// whether a scan (not a fast read) saw it.
	window map[string]time.Duration
	byScan map[string]bool
	errors map[string]int // port -> error samples
}

func newStageObserver(p *Pipeline) *stageObserver {
	return &stageObserver{p: p, window: map[string]time.Duration{}, byScan: map[string]bool{}, errors: map[string]int{}}
}

func (o *stageObserver) Observe(s agent.Sample) {
	if s.Kind == agent.KindError {
		o.mu.Lock()
		o.errors[s.Port]++
		o.mu.Unlock()
	}
	o.note(s.FlagEvents)
	o.p.Observe(s)
}

func (o *stageObserver) ObserveFlags(events []agent.FlagEvent) {
	o.note(events)
	o.p.ObserveFlags(events)
}

func (o *stageObserver) note(events []agent.FlagEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range events {
		if e.Flag != "rx_los" {
			continue
		}
		k := eventKey(e.Port, e.Lane, e.Time)
		if !e.Since.IsZero() {
			o.window[k] = e.Time.Sub(e.Since)
		}
		o.byScan[k] = e.Scan
	}
}

// note fills in the stages of an onset's event k from the recorder and
// the observer.
func (r *stageRecorder) note(row *stageRow, k, port string, obs *stageObserver) {
	r.mu.Lock()
	if st := r.events[k]; st != nil {
		row.writeNow = st.writeNow
		if st.req >= 0 {
			q := r.requests[st.req]
			row.reqStart, row.reqEnd, row.reqPoints = q.start, q.end, q.points
		}
		if f := r.inFlight(st.writeNow); f >= 0 {
			row.behind = r.requests[f].points
		}
	}
	r.mu.Unlock()
	obs.mu.Lock()
	row.window, row.byScan, row.errors = obs.window[k], obs.byScan[k], obs.errors[port]
	obs.mu.Unlock()
}

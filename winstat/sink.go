package winstat

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/schema"
)

// Bounds of the window: shorter saves too little, longer hides a drift
// from dashboards for too long.
const (
	MinWindow = 10 * time.Second
	MaxWindow = 60 * time.Second
)

// CheckWindow reports whether d is an allowed window.
//
// A window must divide a minute: windows are aligned to the wall clock, and
// the readers' GROUP BY time() buckets (a minute and its multiples: the
// Grafana intervals, the forecast history's 2 h) then hold whole windows; a
// 17 s window would straddle them, and the VDM's 60 s window
// (VDMWindow) would not be a multiple of it.
func CheckWindow(d time.Duration) error {
	if d < MinWindow || d > MaxWindow {
		return fmt.Errorf("reduce window %v is out of range: want between %v and %v", d, MinWindow, MaxWindow)
	}
	if d%time.Second != 0 || time.Minute%d != 0 {
		return fmt.Errorf("reduce window %v does not divide a minute: want 10s, 12s, 15s, 20s, 30s or 60s", d)
	}
	return nil
}

// FlushInterval is the InfluxDB writer's flush interval in reduced mode
// (full rate: 1 s). Between window ends, what the writer's batch lane
// gets is a few points a second (flag counters, state changes,
// self-telemetry), and a request of a few points gzips poorly: they were
// 22 % of the bytes at 30 s windows, sent in 1 s batches. Alarm
// transitions and flag events do not wait for it: they go through the
// writer's urgent lane at once.
const FlushInterval = 5 * time.Second

// VDMSamples is the fewest VDM reads a VDM window should hold: VDM is
// read every 10 s by default, so a 10 s or 30 s window would hold one to
// three reads and its point (five statistics) would cost about as much as
// the reads it replaces.
const VDMSamples = 6

// VDMWindow is the window of xcvr_vdm series for a reduce window and the
// VDM cadence: the shortest multiple of window that holds VDMSamples reads,
// at most MaxWindow (60 s at the default 10 s cadence, whatever the
// window); the window itself when vdmInterval is 0.
func VDMWindow(window, vdmInterval time.Duration) time.Duration {
	if vdmInterval <= 0 || window <= 0 {
		return window
	}
	if vdmInterval >= MaxWindow {
		// One read a window at most (and no overflow below).
		return max(window, MaxWindow)
	}
	need := VDMSamples * vdmInterval
	n := (need + window - 1) / window
	return min(max(window, time.Duration(n)*window), max(window, MaxWindow))
}

// Reduced reports whether a measurement is sent as window statistics (one
// of schema.ReducedStatistics).
func Reduced(measurement string) bool {
	for _, m := range schema.ReducedStatistics() {
		if m.Measurement == measurement {
			return true
		}
	}
	return false
}

// rule is how the reduced export treats one measurement's fields.
type rule struct {
	window     time.Duration
	statistics map[string]bool
	derived    map[string]bool
	// own is schema.Reduced.OwnStatistic: by observable, the one
	// statistic sent for a value the module already reduces.
	own map[string]string
}

// fieldClass is what the sink does with one field of a reduced point.
type fieldClass int

const (
	classState     fieldClass = iota // sent at the read's time when it changes
	classStatistic                   // folded into the window statistics
	classDerived                     // left out: computed from a statistic
)

// class returns what becomes of a field of the rule's measurement: the
// fields of schema.ReducedStatistics are statistics when they are floats,
// derived fields (dBm) are dropped, everything else (flags, states,
// thresholds, rates) is state.
func (r *rule) class(f *exporter.Field) fieldClass {
	switch {
	case r.derived[f.Key]:
		return classDerived
	case f.Kind == exporter.Float && r.statistics[f.Key]:
		return classStatistic
	}
	return classState
}

// rules builds the rule of each measurement of schema.ReducedStatistics.
func rules(window, vdmInterval time.Duration) map[string]*rule {
	out := map[string]*rule{}
	for _, m := range schema.ReducedStatistics() {
		r := &rule{window: window, statistics: map[string]bool{}, derived: map[string]bool{}, own: m.OwnStatistic}
		if m.Measurement == schema.XcvrVDM {
			r.window = VDMWindow(window, vdmInterval)
		}
		for _, f := range m.Statistics {
			r.statistics[f] = true
		}
		for f := range m.Derived {
			r.derived[f] = true
		}
		out[m.Measurement] = r
	}
	return out
}

// Sink reduces the points written to it and writes the result to the inner
// sink. It is safe for concurrent use; Write never blocks beyond the inner
// sink's Write.
type Sink struct {
	inner  exporter.Sink
	window time.Duration
	rules  map[string]*rule

	mu     sync.Mutex
	series map[string]*series
	// serial is each port's module serial number, from xcvr_info.
	serial map[string]string
	// latest is the latest point time seen; nextSweep is when windows that
	// stopped receiving samples are next looked for.
	latest, nextSweep time.Time
	// Reused per Write: the series key, the output and the non-statistic
	// fields of the point being folded.
	key     []byte
	out     []exporter.Point
	scratch []exporter.Field
}

// series is one measurement+tags: its window in progress and the
// non-statistic fields last sent.
type series struct {
	measurement string
	tags        []exporter.Tag
	port        string
	rule        *rule
	// only, when set, is the one statistic sent (rule.own).
	only string
	// start and end bound the window in progress (end aligned; start
	// at the first sample when it is not the aligned start: see open);
	// n counts its samples, last is the series' latest sample's time.
	start, end, last time.Time
	n                int64
	fields           []acc
	// sentEnd is the end of the last window sent: a sample before it
	// (and after last) arrived too late for its window and is passed
	// through as it is. sentMax is the latest end of any window sent:
	// every window point of the series so far is stamped before it.
	sentEnd, sentMax time.Time
	state            []exporter.Field
}

// acc is one field's statistics in the window in progress.
type acc struct {
	names      [5]string // min, mean, max, min offset, max offset
	key        string
	n          int64
	sum        float64
	min, max   float64
	tmin, tmax int64
}

// Option sets up a Sink.
type Option func(*options)

type options struct{ vdmInterval time.Duration }

// WithVDMInterval gives the agent's VDM cadence: xcvr_vdm series then get
// VDMWindow(window, d). Without it VDM windows are the window itself.
func WithVDMInterval(d time.Duration) Option {
	return func(o *options) { o.vdmInterval = d }
}

// New returns a Sink that reduces into inner with windows of the given
// length (CheckWindow).
func New(inner exporter.Sink, window time.Duration, opts ...Option) (*Sink, error) {
	if err := CheckWindow(window); err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return &Sink{inner: inner, window: window, rules: rules(window, o.vdmInterval),
		series: map[string]*series{}, serial: map[string]string{}}, nil
}

// Write folds the reduced measurements' points and passes the others on.
func (s *Sink) Write(points ...exporter.Point) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out = s.out[:0]
	// A new module first: its points in this batch start new windows.
	for i := range points {
		p := &points[i]
		if p.Measurement != schema.XcvrInfo {
			continue
		}
		port := p.Tag(schema.TagPort)
		if f, ok := p.Field(schema.SerialNumber); ok {
			if old, seen := s.serial[port]; seen && old != f.S {
				s.cut(port, p.Time)
			}
			s.serial[port] = f.S
		}
	}
	for i := range points {
		p := &points[i]
		if p.Time.After(s.latest) {
			s.latest = p.Time
		}
		r := s.rules[p.Measurement]
		if r == nil {
			s.out = append(s.out, *p)
			continue
		}
		if f, ok := p.Field(schema.Present); ok && f.Kind == exporter.Bool && !f.B {
			// An empty cage ends the module's windows.
			s.cut(p.Tag(schema.TagPort), p.Time)
			s.out = append(s.out, *p)
			continue
		}
		s.fold(p, r)
	}
	if !s.latest.Before(s.nextSweep) {
		s.sweep()
	}
	if len(s.out) > 0 {
		s.inner.Write(s.out...)
	}
	clear(s.out) // drop references to the callers' slices
}

// WriteNow passes urgent points (alarm transitions, flag events) to the
// inner sink's urgent lane.
func (s *Sink) WriteNow(points ...exporter.Point) {
	exporter.WriteNow(s.inner, points...)
}

// Stats returns the inner sink's counters.
func (s *Sink) Stats() exporter.Stats {
	if st, ok := s.inner.(interface{ Stats() exporter.Stats }); ok {
		return st.Stats()
	}
	return exporter.Stats{}
}

// Close sends the windows in progress, cut at the latest sample seen, then
// closes the inner sink.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	s.out = s.out[:0]
	for _, se := range s.series {
		if se.n > 0 {
			s.emit(se, maxTime(se.last, minTime(s.latest, se.end)))
		}
	}
	if len(s.out) > 0 {
		s.inner.Write(s.out...)
	}
	clear(s.out)
	s.mu.Unlock()
	return s.inner.Close(ctx)
}

// fold adds one point of a reduced measurement to its series.
func (s *Sink) fold(p *exporter.Point, r *rule) {
	s.key = append(s.key[:0], p.Measurement...)
	for _, t := range p.Tags {
		s.key = append(s.key, ',')
		s.key = append(s.key, t.Key...)
		s.key = append(s.key, '=')
		s.key = append(s.key, t.Value...)
	}
	se := s.series[string(s.key)]
	if se == nil {
		se = &series{measurement: p.Measurement, tags: append([]exporter.Tag(nil), p.Tags...), port: p.Tag(schema.TagPort), rule: r}
		if r.own != nil {
			se.only = r.own[p.Tag(schema.TagObservable)]
		}
		s.series[string(s.key)] = se
	}
	t := p.Time
	if se.n > 0 && t.Before(se.start) || se.n == 0 && t.Before(se.last) {
		s.stepBack(se, t)
	}
	if se.n > 0 && !t.Before(se.end) {
		s.emit(se, se.end)
	}
	if se.n == 0 && (t.Before(se.sentEnd) || !se.open(t)) {
		// Its window was sent already, or a window point of the series
		// may be stamped where its window would start: a second window
		// point with the same time would overwrite the first, so the
		// sample goes as it is (without its derived fields, as every
		// reduced point).
		se.last = maxTime(se.last, t)
		s.out = append(s.out, s.withoutDerived(p, r))
		return
	}
	se.n++
	se.last = maxTime(se.last, t)
	// The times of min and max at the writers' precision (ms): the
	// digits below it would cost bytes on the wire and say nothing.
	at := t.UnixMilli() * int64(time.Millisecond)
	s.scratch = s.scratch[:0]
	for i := range p.Fields {
		f := &p.Fields[i]
		switch r.class(f) {
		case classState:
			s.scratch = append(s.scratch, *f)
		case classStatistic:
			if !math.IsNaN(f.F) && !math.IsInf(f.F, 0) {
				se.field(f.Key).add(f.F, at)
			}
		}
	}
	s.restate(se, p)
}

// open starts the series' window at a sample at t and reports whether
// it did. InfluxDB keeps one point per series and time, so a window
// point must not be stamped where another one of the series may be:
//   - the series' first window in this process starts at its first
//     sample: a process that ran before (ddm restarted within a window)
//     may have written a point of the same aligned window, which this
//     one cannot know;
//   - a window whose aligned start is at or after the end of every window
//     sent (sentMax) starts there, aligned to the wall clock;
//   - otherwise (after a module swap, an empty cage, a clock stepped
//     back) a window point of the series may be stamped at the aligned
//     start, so the window starts at its first sample, unless that sample
//     is itself on an aligned start: it is then written as it is and the
//     window starts at the next one.
func (se *series) open(t time.Time) bool {
	aligned := t.Truncate(se.rule.window)
	switch {
	case se.sentMax.IsZero():
		se.start = t
	case !aligned.Before(se.sentMax):
		se.start = aligned
	case t.Equal(aligned):
		return false
	default:
		se.start = t
	}
	se.end = aligned.Add(se.rule.window)
	return true
}

// stepBack handles a sample earlier than its series allows: before the
// start of the window in progress, or before the latest sample when no
// window is in progress. A series is read in time order, so the wall clock
// stepped back: the window in progress ends early, at its latest sample,
// so that it holds no sample outside its span, and the series' time
// starts again at t (open then starts the next window at t). The sweep
// follows the clock back, or windows that stopped receiving samples would
// wait until it caught up with the step.
func (s *Sink) stepBack(se *series, t time.Time) {
	if se.n > 0 {
		s.emit(se, se.last)
	}
	se.sentEnd, se.last = t, t
	s.latest = t
	s.nextSweep = minTime(s.nextSweep, t.Truncate(s.window).Add(s.window+s.window/2))
}

// withoutDerived returns p without the fields its rule leaves out, a copy
// when there are any.
func (s *Sink) withoutDerived(p *exporter.Point, r *rule) exporter.Point {
	q := *p
	q.Fields = nil
	for i := range p.Fields {
		if r.class(&p.Fields[i]) != classDerived {
			q.Fields = append(q.Fields, p.Fields[i])
		}
	}
	return q
}

// restate sends the point's non-statistic fields when they differ from
// those last sent for the series.
func (s *Sink) restate(se *series, p *exporter.Point) {
	if len(s.scratch) == 0 || slices.Equal(s.scratch, se.state) {
		return
	}
	se.state = append(se.state[:0], s.scratch...)
	q := exporter.Point{Measurement: p.Measurement, Tags: p.Tags, Time: p.Time,
		Fields: append([]exporter.Field(nil), s.scratch...)}
	s.out = append(s.out, q)
}

// field returns the series' accumulator of a field, made the first time
// the field is seen.
func (se *series) field(key string) *acc {
	for i := range se.fields {
		if se.fields[i].key == key {
			return &se.fields[i]
		}
	}
	se.fields = append(se.fields, acc{key: key, names: [5]string{key + schema.StatMin, key + schema.StatMean,
		key + schema.StatMax, key + schema.StatMinOffsetMS, key + schema.StatMaxOffsetMS}})
	return &se.fields[len(se.fields)-1]
}

func (a *acc) add(v float64, t int64) {
	if a.n == 0 || v < a.min {
		a.min, a.tmin = v, t
	}
	if a.n == 0 || v > a.max {
		a.max, a.tmax = v, t
	}
	a.n++
	a.sum += v
}

// emit appends the window point of a series, ending at end, and empties
// the window.
func (s *Sink) emit(se *series, end time.Time) {
	n := 0
	for i := range se.fields {
		if se.fields[i].n > 0 {
			n++
		}
	}
	if n > 0 {
		p := exporter.Point{Measurement: se.measurement, Tags: se.tags, Time: se.start,
			Fields: make([]exporter.Field, 0, 5*n+2)}
		start := se.start.UnixNano()
		for i := range se.fields {
			a := &se.fields[i]
			if a.n == 0 {
				continue
			}
			lo, hi := significant(a.min), significant(a.max)
			// A constant field's extremes are at every sample: no
			// time says more than their absence.
			timed := lo != hi
			if se.only == "" || se.only == schema.StatMin {
				p.AddFloat(a.names[0], lo)
			}
			if se.only == "" || se.only == schema.StatMean {
				p.AddFloat(a.names[1], significant(a.sum/float64(a.n)))
			}
			if se.only == "" || se.only == schema.StatMax {
				p.AddFloat(a.names[2], hi)
			}
			if timed && (se.only == "" || se.only == schema.StatMin) {
				p.AddInt(a.names[3], offsetMS(a.tmin, start))
			}
			if timed && (se.only == "" || se.only == schema.StatMax) {
				p.AddInt(a.names[4], offsetMS(a.tmax, start))
			}
			a.n, a.sum = 0, 0
		}
		p.AddInt(schema.WindowNS, int64(end.Sub(se.start)))
		p.AddInt(schema.WindowSamples, se.n)
		s.out = append(s.out, p)
	}
	se.n = 0
	se.sentEnd, se.sentMax = end, maxTime(se.sentMax, end)
}

// cut ends the windows of a port's series at t (a module swap or an empty
// cage) and forgets the fields last sent, so the next module's are sent.
func (s *Sink) cut(port string, t time.Time) {
	for _, se := range s.series {
		if se.port != port {
			continue
		}
		if se.n > 0 {
			s.emit(se, maxTime(t, se.last))
		}
		se.state = se.state[:0]
	}
}

// sweep sends the windows that ended half a window ago and got no sample
// since (a lane that went away, a port that stopped answering).
func (s *Sink) sweep() {
	for _, se := range s.series {
		if se.n > 0 && !se.end.Add(s.window/2).After(s.latest) {
			s.emit(se, se.end)
		}
	}
	s.nextSweep = s.latest.Truncate(s.window).Add(s.window + s.window/2)
}

// Digits is the significant digits a statistic keeps: a module's monitors
// are 16-bit words (under 5 digits), so the sixth is already noise, and
// every digit beyond costs bytes on the wire that gzip cannot take back (a
// mean printed in full has 17).
const Digits = 6

// significant rounds v to Digits significant digits.
func significant(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	exp := Digits - 1 - int(math.Floor(math.Log10(math.Abs(v))))
	if exp > 300 || exp < -300 {
		return v
	}
	// Dividing an integer by an exact power of ten rounds once, to the
	// double nearest the decimal, which prints as that decimal.
	if exp >= 0 {
		scale := math.Pow10(exp)
		return math.Round(v*scale) / scale
	}
	scale := math.Pow10(-exp)
	return math.Round(v/scale) * scale
}

// offsetMS is the ms from the window's start to a sample at t (both Unix
// ns): a few digits where a Unix time has 19 that gzip cannot take back.
// A window cut at a sub-ms instant may start after its first sample's ms;
// that sample is at offset 0.
func offsetMS(t, start int64) int64 {
	return max(0, (t-start)/int64(time.Millisecond))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

var (
	_ exporter.Sink   = (*Sink)(nil)
	_ exporter.Urgent = (*Sink)(nil)
)

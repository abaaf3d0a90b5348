package exporter

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ddm-agent/ddm/schema"
)

// PromOptions configure a PromSink.
type PromOptions struct {
	// MaxAge drops a series not written for this long (a module pulled out,
	// a port removed); default 5m.
	MaxAge time.Duration
	// Now is the clock for MaxAge; nil means time.Now.
	Now func() time.Time
}

// PromSink keeps the latest point of every series and exposes the fields a
// user graphs on /metrics, named <measurement>_<field> in base units with
// the tags but host as labels: xcvr_lane_tx_power_watts{port,lane}
// (promnames.go says which fields and how). Booleans are 0/1; cumulative
// counters (see Schema) are counters ending in _total, the rest gauges.
// String fields are not exposed, except those of xcvr_info, which become
// the labels of xcvr_info{port,vendor,...} 1 (an info metric). It uses its
// own registry, not the global one.
type PromSink struct {
	mu     sync.Mutex
	series map[string]*promSeries
	maxAge time.Duration
	now    func() time.Time
	reg    *prometheus.Registry
	closed bool
}

type promSeries struct {
	measurement string
	tags        []Tag
	fields      map[string]Field
	seen        time.Time
}

func (ps *promSeries) tag(key string) string {
	for _, t := range ps.tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// NewPrometheusSink returns a sink with its registry.
func NewPrometheusSink(o PromOptions) *PromSink {
	if o.MaxAge <= 0 {
		o.MaxAge = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &PromSink{series: map[string]*promSeries{}, maxAge: o.MaxAge, now: o.Now, reg: prometheus.NewRegistry()}
	s.reg.MustRegister(s)
	return s
}

// Registry is the sink's registry (add more collectors to it if needed).
func (s *PromSink) Registry() *prometheus.Registry { return s.reg }

// Handler serves the registry in the Prometheus exposition format.
func (s *PromSink) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Write records the points' values as the latest.
func (s *PromSink) Write(points ...Point) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for i := range points {
		p := &points[i]
		key := seriesKey(p)
		ps := s.series[key]
		if ps == nil {
			ps = &promSeries{measurement: p.Measurement, tags: append([]Tag(nil), p.Tags...)}
			s.series[key] = ps
		}
		// A point carries its series' whole field set: it replaces the
		// last one (an empty cage's present=false clears the monitors).
		ps.fields = make(map[string]Field, len(p.Fields))
		for _, f := range p.Fields {
			ps.fields[f.Key] = f
		}
		ps.seen = now
	}
}

func seriesKey(p *Point) string {
	var b strings.Builder
	b.WriteString(p.Measurement)
	for _, t := range p.Tags {
		b.WriteByte(0)
		b.WriteString(t.Key)
		b.WriteByte(0)
		b.WriteString(t.Value)
	}
	return b.String()
}

// Close stops recording; the endpoint keeps serving the last values.
func (s *PromSink) Close(context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// Describe sends nothing: the metrics depend on what was written (an
// unchecked collector).
func (s *PromSink) Describe(chan<- *prometheus.Desc) {}

type promSample struct {
	labels map[string]string
	value  float64
}

type promFamily struct {
	help    string
	kind    prometheus.ValueType
	labels  map[string]bool
	samples []promSample
}

// Collect builds the metrics from the latest values.
func (s *PromSink) Collect(ch chan<- prometheus.Metric) {
	fams := map[string]*promFamily{}
	add := func(name, help string, kind prometheus.ValueType, labels map[string]string, v float64) {
		f := fams[name]
		if f == nil {
			f = &promFamily{help: help, kind: kind, labels: map[string]bool{}}
			fams[name] = f
		}
		for k := range labels {
			f.labels[k] = true
		}
		f.samples = append(f.samples, promSample{labels, v})
	}

	s.mu.Lock()
	cutoff := s.now().Add(-s.maxAge)
	for key, ps := range s.series {
		if ps.seen.Before(cutoff) {
			delete(s.series, key)
			continue
		}
		labels := make(map[string]string, len(ps.tags))
		for _, t := range ps.tags {
			if !promDropsLabel(ps.measurement, t.Key) {
				labels[t.Key] = t.Value
			}
		}
		var info map[string]string
		for _, f := range ps.fields {
			if f.Kind == String {
				if ps.measurement == schema.XcvrInfo {
					if info == nil {
						info = make(map[string]string, len(labels)+len(ps.fields))
						for k, v := range labels {
							info[k] = v
						}
					}
					info[f.Key] = f.S
				}
				continue
			}
			m, ok := promMetricOf(ps, f)
			if !ok {
				continue
			}
			var v float64
			switch f.Kind {
			case Float:
				v = f.F
			case Int:
				v = float64(f.I)
			case Bool:
				if f.B {
					v = 1
				}
			}
			if m.conv != nil {
				v = m.conv(v)
			}
			add(m.name, m.help, m.kind, labels, v)
		}
		if info != nil {
			add(schema.XcvrInfo, "module identity; the labels carry xcvr_info's string fields", prometheus.GaugeValue, info, 1)
		}
	}
	s.mu.Unlock()

	for name, f := range fams {
		names := make([]string, 0, len(f.labels))
		for k := range f.labels {
			names = append(names, k)
		}
		sort.Strings(names)
		desc := prometheus.NewDesc(name, f.help, names, nil)
		vals := make([]string, len(names))
		for _, smp := range f.samples {
			for i, n := range names {
				vals[i] = smp.labels[n]
			}
			m, err := prometheus.NewConstMetric(desc, f.kind, smp.value, vals...)
			if err != nil {
				ch <- prometheus.NewInvalidMetric(desc, err)
				continue
			}
			ch <- m
		}
	}
}

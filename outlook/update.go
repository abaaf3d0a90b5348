package outlook

import (
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/forecast"
)

// Report is one forecast cycle: the points to write and, per port, the
// outlook for the forecast and cohort rules.
type Report struct {
	// All is every series' forecast as the forecast package states it
	// (a series with crossings once per crossing), by port, lane and
	// quantity, with its cohort score: what `ddm dump` and `ddm forecast`
	// print.
	All       []forecast.Forecast
	Forecasts []exporter.Forecast
	Scores    []exporter.CohortScore
	Outlooks  map[string]*alarm.Outlook
}

// Points are the report's xcvr_forecast and xcvr_cohort points.
func (r *Report) Points() []exporter.Point {
	pts := make([]exporter.Point, 0, len(r.Forecasts)+len(r.Scores))
	for _, f := range r.Forecasts {
		pts = append(pts, exporter.ForecastPoint(f))
	}
	for _, s := range r.Scores {
		pts = append(pts, exporter.CohortPoint(s))
	}
	return pts
}

// Update fits every series of every port present at the last read as of
// at and scores the cohorts: host names the points. Ports whose module is
// gone (no read since their last one said absent) keep their history but
// get no forecast.
//
// The fit works on a copy of the histories: Observe, on the bus workers,
// waits at most for the copy of one port, not for the fit
// (BenchmarkUpdateFullSwitch, BenchmarkSnapshotFullSwitch).
func (t *Tracker) Update(host string, at time.Time) *Report {
	ports := t.snapshot(true)
	r := &Report{Outlooks: map[string]*alarm.Outlook{}}
	names := slices.Sorted(maps.Keys(ports))
	for _, n := range names {
		p := ports[n]
		o := &alarm.Outlook{}
		r.Outlooks[n] = o
		p.results = make(map[Key]forecast.Result, len(p.series))
		for _, k := range p.sortedKeys() {
			res := p.series[k].Evaluate(at, p.limits(k), t.fit)
			p.results[k] = res
			fk := forecast.Key{Host: host, Port: n, Lane: k.Lane, Quantity: k.Quantity}
			if len(res.Crossings) == 0 {
				r.All = append(r.All, forecast.Forecast{Key: fk, Trend: res.Trend})
			}
			if !res.Trend.OK {
				continue // too short a history: no point, a cohort score at most
			}
			f := exporter.Forecast{Host: host, Port: n, Lane: k.Lane, Quantity: k.Quantity, TrendPerDay: res.Trend.UnitPerDay, Time: at}
			if len(res.Crossings) == 0 {
				r.Forecasts = append(r.Forecasts, f)
			}
			for _, c := range res.Crossings {
				r.All = append(r.All, forecast.Forecast{Key: fk, Trend: res.Trend, Limit: &c.Limit, Crossing: &c})
				f.Limit, f.Threshold, f.Days, f.DaysLow, f.DaysHigh = c.Limit.Name, c.Limit.Value, c.Days, c.DaysLow, c.DaysHigh
				r.Forecasts = append(r.Forecasts, f)
				o.Crossings = append(o.Crossings, alarm.Crossing{Lane: k.Lane, Quantity: k.Quantity, Limit: c.Limit.Name,
					Threshold: c.Limit.Value, Days: c.Days, DaysLow: c.DaysLow, DaysHigh: c.DaysHigh})
			}
		}
	}
	score(ports, host, at, names, r)
	t.mu.Lock()
	for _, n := range names {
		if p := t.ports[n]; p != nil && p.identity == ports[n].identity {
			p.results = ports[n].results
		}
	}
	t.mu.Unlock()
	return r
}

// snapshot copies the ports (those read since start when present) and
// their histories, for work done without the lock: one port at a time,
// so an Observe waits at most for the copy of one port.
func (t *Tracker) snapshot(present bool) map[string]*port {
	t.mu.Lock()
	names := t.sortedPorts()
	t.mu.Unlock()
	out := make(map[string]*port, len(names))
	for _, n := range names {
		t.mu.Lock()
		if p := t.ports[n]; p != nil && (!present || p.last != nil) {
			out[n] = p.clone()
		}
		t.mu.Unlock()
	}
	return out
}

// clone copies a port's identity, newest reads and histories.
func (p *port) clone() *port {
	c := &port{identity: p.identity, last: p.last, lastVDM: p.lastVDM, lastAt: p.lastAt,
		series: make(map[Key]*forecast.History, len(p.series))}
	for k, h := range p.series {
		hc := *h
		hc.Buckets = append([]forecast.Bucket(nil), h.Buckets...)
		c.series[k] = &hc
	}
	return c
}

// limits are the thresholds series k is forecast to: the module's own
// for its monitors, and for pre-FEC BER the VDM instance's warning and
// alarm and the KP4 limit.
func (p *port) limits(k Key) []forecast.Limit {
	var out []forecast.Limit
	add := func(th cmis.Thresholds, q string) {
		for _, l := range [...]struct {
			name string
			high bool
		}{{"high_alarm", true}, {"high_warning", true}, {"low_warning", false}, {"low_alarm", false}} {
			if v, ok := th.Limit(q, l.name); ok {
				out = append(out, forecast.Limit{Name: l.name, Value: v, High: l.high})
			}
		}
	}
	if k.Quantity != QPreFECBER {
		if th, ok := p.last.Thresholds[k.Quantity]; ok {
			add(th, k.Quantity)
		}
		return out
	}
	if v := p.vdm(vdmBER, k.Lane); v != nil && v.Thresholds != nil {
		th := *v.Thresholds
		th.LowAlarm, th.LowWarning = 0, 0 // a BER is forecast up only
		add(th, vdmBER)
	}
	return append(out, forecast.Limit{Name: forecast.KP4LimitName, Value: forecast.KP4Limit, High: true})
}

// vdm returns the newest value of a VDM observable of a lane.
func (p *port) vdm(obs string, lane int) *cmis.VDMValue {
	if p.lastVDM == nil {
		return nil
	}
	for i := range p.lastVDM.VDM {
		if v := &p.lastVDM.VDM[i]; v.Observable == obs && v.Lane == lane {
			return v
		}
	}
	return nil
}

// score computes the robust z-score of every series' newest level among
// the same series of the ports of its cohort (same part number and
// firmware): per lane quantity every lane of those modules is a peer, per
// module quantity every module.
func score(ports map[string]*port, host string, at time.Time, names []string, r *Report) {
	type member struct {
		port string
		k    Key
		v    float64
	}
	groups := map[string][]member{} // cohort + quantity
	for _, n := range names {
		p := ports[n]
		if p.PartNumber == "" {
			continue
		}
		for k, h := range p.series {
			if v, ok := newest(h, at); ok {
				g := p.cohort() + "\x00" + k.Quantity
				groups[g] = append(groups[g], member{n, k, v})
			}
		}
	}
	all := map[forecast.Key][]int{} // positions in r.All
	for i := range r.All {
		all[r.All[i].Key] = append(all[r.All[i].Key], i)
	}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		ms := groups[g]
		vals := make([]float64, len(ms))
		for i, m := range ms {
			vals[i] = m.v
		}
		c, ok := forecast.NewCohort(vals)
		if !ok {
			continue
		}
		sort.Slice(ms, func(i, j int) bool {
			if ms[i].port != ms[j].port {
				return ms[i].port < ms[j].port
			}
			return ms[i].k.less(ms[j].k)
		})
		for _, m := range ms {
			z, ok := c.Z(m.v)
			if !ok {
				continue
			}
			scale := forecast.ScaleOf(m.k.Quantity)
			r.Scores = append(r.Scores, exporter.CohortScore{Host: host, Port: m.port, Lane: m.k.Lane, Quantity: m.k.Quantity,
				Z: z, Median: scale.FromModel(c.Median), Peers: c.N, Time: at})
			o := r.Outlooks[m.port]
			o.Scores = append(o.Scores, alarm.Score{Lane: m.k.Lane, Quantity: m.k.Quantity, Z: z})
			for _, i := range all[forecast.Key{Host: host, Port: m.port, Lane: m.k.Lane, Quantity: m.k.Quantity}] {
				r.All[i].CohortZ, r.All[i].HasCohortZ = z, true
			}
		}
	}
}

// newest is the value of a history's newest bucket at or before at, on
// its fitted scale, if that bucket is recent (within two buckets): a lane
// that stopped reporting is not a peer.
func newest(h *forecast.History, at time.Time) (float64, bool) {
	for i := len(h.Buckets) - 1; i >= 0; i-- {
		b := h.Buckets[i]
		if b.Start > at.Unix() {
			continue
		}
		if at.Unix()-b.Start > 2*h.BucketSeconds {
			return 0, false
		}
		v := b.Value()
		return v, !math.IsNaN(v)
	}
	return 0, false
}

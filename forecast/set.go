package forecast

import (
	"math"
	"sort"
	"time"
)

// Key names one series: a quantity (a field name such as rx_power_mw, or
// a VDM observable such as pre_fec_ber) of one lane (1-based) or, with
// Lane 0, of the module.
type Key struct {
	Host, Port string
	Lane       int
	Quantity   string
}

// Series is one series with what its forecast needs.
type Series struct {
	Key
	History *History
	// Limits: the module's thresholds for the quantity (and KP4Limit for
	// pre-FEC BER).
	Limits []Limit
	// Cohort identifies the series' peers: series of the same quantity,
	// lane-level or module-level alike, with the same Cohort are compared
	// (part number and firmware version); "" has no peers.
	Cohort string
}

// Forecast is one forecast of EvaluateAll: a crossing of one limit, or,
// for a series with no crossing, the series' trend against its nearest
// limit in the direction it moves (Limit nil when it has none).
type Forecast struct {
	Key
	Limit *Limit
	// Trend.OK is false when the history is too short for a trend.
	Trend Trend
	// Crossing is nil when no crossing is forecast.
	Crossing *Crossing
	// CohortZ is the robust z-score of the series' current value among
	// its cohort; HasCohortZ is false without a cohort.
	CohortZ    float64
	HasCohortZ bool
}

// Current is the series' newest bucket value at or before at, on the
// fitted scale; ok is false when there is none.
func (h *History) Current(at time.Time) (v float64, ok bool) {
	end := at.Unix()
	i := sort.Search(len(h.Buckets), func(i int) bool { return h.Buckets[i].Start > end })
	if i == 0 {
		return 0, false
	}
	return h.Buckets[i-1].Value(), true
}

// EvaluateAll evaluates every series at at and scores each against its
// cohort. The forecasts come in the order of series, a series'
// crossings soonest first.
func EvaluateAll(series []*Series, at time.Time, o Options) []Forecast {
	type group struct {
		cohort, quantity string
		module           bool
	}
	values := map[group][]float64{}
	current := make([]float64, len(series))
	for i, s := range series {
		v, ok := s.History.Current(at)
		current[i] = math.NaN()
		if ok && s.Cohort != "" {
			current[i] = v
			g := group{s.Cohort, s.Quantity, s.Lane == 0}
			values[g] = append(values[g], v)
		}
	}
	cohorts := map[group]Cohort{}
	for g, v := range values {
		if c, ok := NewCohort(v); ok {
			cohorts[g] = c
		}
	}
	var out []Forecast
	for i, s := range series {
		r := s.History.Evaluate(at, s.Limits, o)
		f := Forecast{Key: s.Key, Trend: r.Trend}
		if c, ok := cohorts[group{s.Cohort, s.Quantity, s.Lane == 0}]; ok && !math.IsNaN(current[i]) {
			f.CohortZ, f.HasCohortZ = c.Z(current[i])
		}
		if len(r.Crossings) == 0 {
			f.Limit = nearest(s.Limits, r.Trend, s.History.Scale, current[i])
			out = append(out, f)
			continue
		}
		for _, c := range r.Crossings {
			g := f
			g.Limit, g.Crossing = &c.Limit, &c
			out = append(out, g)
		}
	}
	return out
}

// nearest is the limit a series without a crossing is shown against: the
// nearest ahead in the direction of its trend (rising: the lowest high
// limit above it; falling: the highest low limit below it), else the
// nearest of any.
func nearest(limits []Limit, t Trend, scale Scale, cur float64) *Limit {
	level := t.Level
	if !t.OK {
		level = cur
	}
	var best *Limit
	bestDist := math.Inf(1)
	for i := range limits {
		l := &limits[i]
		m, ok := scale.ToModel(l.Value)
		if !ok {
			continue
		}
		d := math.Abs(m - level)
		if t.OK && t.PerDay != 0 && l.High != (t.PerDay > 0) {
			d += 1e300 // the other direction: only when nothing is ahead
		}
		if best == nil || d < bestDist {
			best, bestDist = l, d
		}
	}
	return best
}

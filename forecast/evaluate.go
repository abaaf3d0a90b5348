package forecast

import (
	"math"
	"sort"
	"time"
)

// Limit is a threshold a quantity is forecast to reach, in the quantity's
// own unit (mW, mA, °C, a BER ratio).
type Limit struct {
	// Name as the schema names it: high_alarm, high_warning, low_warning,
	// low_alarm, or KP4LimitName.
	Name  string
	Value float64
	// High: the limit is reached from below (the value rises to it).
	High bool
}

// Options tune Evaluate; the zero value takes the defaults.
type Options struct {
	// Window: fit over the newest Window of history before the evaluation
	// time (default: all of it).
	Window time.Duration
	// MinSpan: no trend until the history covers this long (default 2
	// days: less cannot tell a trend from the daily temperature cycle).
	MinSpan time.Duration
	// MaxPoints: the buckets are merged (median) into at most this many
	// points before the fit (default 48); the fit costs MaxPoints² / 2.
	MaxPoints int
	// Z: the normal quantile of the slope's confidence bounds (default
	// 2.576, 99 % two-sided). A trend is significant when its bounds
	// exclude zero; the days interval comes from the same bounds.
	Z float64
	// Horizon: a crossing further away than this is not forecast
	// (default 365 days).
	Horizon time.Duration
}

func (o Options) withDefaults() Options {
	if o.MinSpan <= 0 {
		o.MinSpan = 48 * time.Hour
	}
	if o.MaxPoints < 8 {
		o.MaxPoints = 48
	}
	if o.Z <= 0 {
		o.Z = 2.576
	}
	if o.Horizon <= 0 {
		o.Horizon = 365 * 24 * time.Hour
	}
	return o
}

// Trend is the fitted trend at the evaluation time, on the history's scale
// (decades for BER), per day.
type Trend struct {
	// OK: the history was long enough to fit; nothing else is set
	// otherwise.
	OK bool
	// Level is the fitted value at the evaluation time.
	Level float64
	// PerDay is the slope at the evaluation time; PerDayLow and
	// PerDayHigh its confidence bounds (all on the fitted scale: dB per
	// day for optical power).
	PerDay, PerDayLow, PerDayHigh float64
	// UnitPerDay is PerDay in the quantity's unit per day at Level (mW
	// per day for optical power fitted in dB; decades per day for BER):
	// what forecasts report as trend_per_day.
	UnitPerDay float64
	// Curvature is the change of slope per day (per day²) when it is
	// significant (an accelerating decline, a bias levelling off), else 0.
	Curvature float64
	// Significant: the slope's bounds exclude zero.
	Significant bool
	// Points fitted, the time they span, and the level steps found and
	// taken out of the fit.
	Points int
	Span   time.Duration
	Steps  int
}

// Crossing is when the fitted trend reaches a limit, in days from the
// evaluation time, with the interval from the fit's bounds. DaysHigh is
// +Inf when the slow end of the interval never reaches the limit within
// the horizon.
type Crossing struct {
	Limit                   Limit
	Days, DaysLow, DaysHigh float64
}

// Result of Evaluate.
type Result struct {
	At    time.Time
	Trend Trend
	// Crossings: the limits the trend reaches within the horizon, soonest
	// first; empty for a stable or improving series, for a series too
	// short to fit, and for a limit already crossed (that is an alarm,
	// not a forecast).
	Crossings []Crossing
}

// point is one fitted point: t in days relative to the evaluation time
// (negative: the past), y on the model scale, seg its level segment.
type point struct {
	t, y float64
	seg  int
}

// Evaluate fits the history as of at (buckets after at are ignored) and
// forecasts when it reaches each limit in the direction it is worsening.
func (h *History) Evaluate(at time.Time, limits []Limit, o Options) Result {
	o = o.withDefaults()
	res := Result{At: at}
	pts, rho := h.points(at, o)
	if len(pts) < 8 || time.Duration((pts[len(pts)-1].t-pts[0].t)*float64(24*time.Hour)) < o.MinSpan-time.Duration(h.BucketSeconds)*time.Second {
		return res
	}
	var f fitter
	f.z = o.Z
	f.rho = rho
	f.slopes = make([]float64, 0, len(pts)*(len(pts)-1)/2)
	res.Trend = f.fit(pts)
	res.Trend.UnitPerDay = h.Scale.UnitPerDay(res.Trend.Level, res.Trend.PerDay)
	scale := h.Scale
	if h.Scale == DB {
		// Optical power: a fibre or connector losing a fraction a day
		// is straight in dB, a drift of the laser or receiver often
		// straight in mW. Fit both and keep the scale on which the
		// series bends less (the model extrapolates a bend less well
		// than a line); a tie, such as a history too short to halve,
		// keeps dB. A decline that accelerates in mW accelerates even
		// more in dB, where early on the fit may not see it yet: it
		// is fitted in mW (a dB-linear decline levels off in mW, it
		// never accelerates).
		lin := make([]point, len(pts))
		for i, p := range pts {
			lin[i] = point{t: p.t, y: DB.FromModel(p.y)}
		}
		g := fitter{z: o.Z, rho: rho, slopes: f.slopes[:0]}
		tr := g.fit(lin)
		if g.est.shape == bending || g.bend < f.bend {
			f, scale = g, Linear
			res.Trend = tr.inDB()
		}
	}
	res.Trend.Span = time.Duration((pts[len(pts)-1].t - pts[0].t) * float64(24*time.Hour))
	horizon := o.Horizon.Hours() / 24
	for _, l := range limits {
		thr, ok := scale.ToModel(l.Value)
		if !ok {
			continue
		}
		if c, ok := f.cross(thr, l.High, horizon); ok {
			c.Limit = l
			res.Crossings = append(res.Crossings, c)
		}
	}
	sort.SliceStable(res.Crossings, func(i, j int) bool { return res.Crossings[i].Days < res.Crossings[j].Days })
	return res
}

// inDB turns a trend fitted in mW into the dB scale of its history, the
// slopes at its level; UnitPerDay keeps the slope in mW per day.
func (t Trend) inDB() Trend {
	out := t
	out.UnitPerDay = t.PerDay
	out.Level, _ = DB.ToModel(t.Level)
	perMW := 10 / (math.Ln10 * DB.FromModel(out.Level)) // dB per mW at the level
	out.PerDay, out.PerDayLow, out.PerDayHigh = t.PerDay*perMW, t.PerDayLow*perMW, t.PerDayHigh*perMW
	out.Curvature = t.Curvature * perMW
	return out
}

// points merges the buckets inside the window before at into at most
// o.MaxPoints points, each the median of its buckets' values (robust to a
// bucket taken by a spike), at the mean time of those buckets.
//
// rho is the lag-1 autocorrelation of the noise between neighbouring
// points, from the buckets' first differences (many more than the
// points, so a steadier estimate; a smooth trend hardly touches them):
// for AR(1) noise of correlation r between buckets, differences
// correlate at -(1-r)/2, and points g buckets apart correlate at r^g.
func (h *History) points(at time.Time, o Options) (pts []point, rho float64) {
	end := at.Unix()
	first := int64(math.MinInt64)
	if o.Window > 0 {
		first = end - int64(o.Window/time.Second)
	}
	lo := sort.Search(len(h.Buckets), func(i int) bool { return h.Buckets[i].Start >= first })
	hi := sort.Search(len(h.Buckets), func(i int) bool { return h.Buckets[i].Start > end })
	bs := h.Buckets[lo:hi]
	if len(bs) == 0 {
		return nil, 0
	}
	w := h.BucketSeconds
	nb := (bs[len(bs)-1].Start-bs[0].Start)/w + 1 // buckets spanned, gaps included
	group := max(1, (nb+int64(o.MaxPoints)-1)/int64(o.MaxPoints))
	pts = make([]point, 0, min(int64(len(bs)), int64(o.MaxPoints)))
	vals := make([]float64, 0, group)
	daily := dailyProfile(bs, w)
	bv := make([]float64, len(bs)) // bucket values, daily cycle taken out
	for i, b := range bs {
		bv[i] = b.Value()
		if daily != nil {
			bv[i] -= daily[dayBin(b.Start, w)]
		}
	}
	rho = math.Pow(bucketRho(bs, bv, w), float64(group))
	const day = 86400.0
	for i := 0; i < len(bs); {
		g := (bs[i].Start - bs[0].Start) / w / group
		vals = vals[:0]
		var tsum float64
		j := i
		for ; j < len(bs) && (bs[j].Start-bs[0].Start)/w/group == g; j++ {
			vals = append(vals, bv[j])
			// The bucket's middle, clamped to at for the newest one.
			mid := float64(bs[j].Start) + float64(w)/2
			tsum += math.Min(mid, float64(end))
		}
		pts = append(pts, point{t: (tsum/float64(j-i) - float64(end)) / day, y: median(vals)})
		i = j
	}
	return pts, rho
}

// bucketRho estimates the lag-1 autocorrelation of the noise between
// neighbouring buckets (gaps skipped), in [0, 0.95].
func bucketRho(bs []Bucket, bv []float64, w int64) float64 {
	var sum, n float64
	for i := 1; i < len(bs); i++ {
		if bs[i].Start-bs[i-1].Start == w {
			sum += bv[i] - bv[i-1]
			n++
		}
	}
	if n < 8 {
		return 0
	}
	mean := sum / n
	var num, den float64
	prev, havePrev := 0.0, false
	for i := 1; i < len(bs); i++ {
		if bs[i].Start-bs[i-1].Start != w {
			havePrev = false
			continue
		}
		d := bv[i] - bv[i-1] - mean
		den += d * d
		if havePrev {
			num += d * prev
		}
		prev, havePrev = d, true
	}
	if den == 0 {
		return 0
	}
	return math.Min(math.Max(1+2*num/den, 0), 0.95)
}

// dayBin is the bucket's place in the day.
func dayBin(start, w int64) int { return int(((start % 86400) + 86400) % 86400 / w) }

// dailyProfile estimates the daily cycle of the buckets (the temperature
// of a data centre follows its load): per place in the day, the median
// over the days of each bucket's departure from the mean of the 24 hours
// around it, which a trend hardly changes. It is nil when the buckets do
// not divide a day or do not hold two complete days for every place.
func dailyProfile(bs []Bucket, w int64) []float64 {
	const day = 86400
	bins := int(day / w)
	if day%w != 0 || bins < 2 || len(bs) < 3*bins {
		return nil
	}
	dev := make([][]float64, bins)
	per := len(bs)/bins + 1
	flat := make([]float64, 0, bins*per)
	for b := range dev {
		dev[b] = flat[b*per : b*per : (b+1)*per]
	}
	var sum float64
	lo, hi := 0, 0 // window [lo, hi) of buckets within 12 h of bs[i]
	for i := range bs {
		for hi < len(bs) && bs[hi].Start < bs[i].Start+day/2 {
			sum += bs[hi].Value()
			hi++
		}
		for bs[lo].Start < bs[i].Start-day/2 {
			sum -= bs[lo].Value()
			lo++
		}
		if hi-lo == bins { // a complete day around it
			b := dayBin(bs[i].Start, w)
			dev[b] = append(dev[b], bs[i].Value()-sum/float64(bins))
		}
	}
	prof := make([]float64, bins)
	var mean float64
	for b := range dev {
		if len(dev[b]) < 2 {
			return nil
		}
		prof[b] = median(dev[b])
		mean += prof[b] / float64(bins)
	}
	// A cycle has no mean; what is left is the trend's share of the
	// off-centre window (an even number of buckets), not the cycle's.
	for b := range prof {
		prof[b] -= mean
	}
	return prof
}

// median sorts v in place and returns its median (NaN when empty).
func median(v []float64) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

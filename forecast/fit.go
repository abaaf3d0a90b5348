package forecast

import "math"

// Step detection. A difference between neighbouring points more than
// stepDiffK robust standard deviations from the typical difference, whose
// level change is still there stepLevelK deviations later (median of
// stepWidth points on each side), is a step: the fit uses no pair of
// points across it. One odd point is a spike, not a step: the medians on
// each side ignore it.
const (
	stepDiffK  = 5.0
	stepLevelK = 4.0
	stepWidth  = 3
	// minHalf: points each half needs for the curvature check.
	minHalf = 6
)

// shape is the form the model extrapolates.
type shape uint8

const (
	// straight: y = level + slope·τ.
	straight shape = iota
	// bending: the decline accelerates; y = level + slope·τ + k·τ²/2
	// (k: change of slope per day).
	bending
	// levelling: the change slows toward a plateau; y = level +
	// slope·k·(1 - e^(-τ/k)) (k: time constant in days; the plateau is
	// level + slope·k).
	levelling
)

// model is one extrapolation, τ in days from the evaluation time.
type model struct {
	shape        shape
	level, slope float64
	k            float64
}

// offset is y(τ) - level.
func (m model) offset(t float64) float64 {
	switch m.shape {
	case bending:
		return m.slope*t + m.k*t*t/2
	case levelling:
		return m.slope * m.k * -math.Expm1(-t/m.k)
	}
	return m.slope * t
}

// reach is the first τ in (0, horizon] where the model has risen by dist
// (> 0), or +Inf. Callers flip signs so that worsening is rising.
func (m model) reach(dist, horizon float64) float64 {
	if dist <= 0 {
		return 0
	}
	s, k := m.slope, m.k
	var t float64
	switch {
	case s <= 0 && (m.shape != bending || k <= 0):
		return math.Inf(1)
	case m.shape == bending:
		disc := s*s + 2*k*dist
		if disc < 0 {
			return math.Inf(1) // turns back before reaching it
		}
		// The smaller positive root of k/2·τ² + s·τ - dist = 0, in the
		// form that stays exact when k is small.
		t = 2 * dist / (s + math.Sqrt(disc))
		if !(t > 0) {
			return math.Inf(1)
		}
	case m.shape == levelling:
		if s*k <= dist {
			return math.Inf(1) // the plateau is short of it
		}
		t = -k * math.Log1p(-dist/(s*k))
	default:
		t = dist / s
	}
	if t > horizon {
		return math.Inf(1)
	}
	return t
}

// fitter holds one fit: the model at its estimate, the models at the
// corners of its bounds, and the straight line's bounds.
type fitter struct {
	z, rho           float64 // bounds' normal quantile; noise autocorrelation between points
	half             int     // first point of the newer half
	est              model
	corners          []model
	linLo, linHi     float64 // bounds of the straight-line slope
	slopeLo, slopeHi float64 // bounds of the model's slope now
	levelLo, levelHi float64
	infl             float64 // widening of the bounds for correlated noise
	bend             float64 // how far the halves' slopes differ, in widths of their bounds
	slopes, tmp      []float64
}

// newModel makes the model for the slopes s1 of the older half (centre
// c1) and s2 of the newer half (centre c2), both τ < 0: straight when
// they are equal, bending when the newer is steeper, levelling when it
// is flatter with the same sign; a newer slope of the other sign (the
// trend turned) is taken straight.
func newModel(s1, c1, s2, c2 float64) model {
	switch {
	case s1 == s2 || c2 <= c1:
		return model{shape: straight, slope: s2}
	case (s2 > 0) != (s1 > 0) || s2 == 0:
		return model{shape: straight, slope: s2}
	case math.Abs(s2) > math.Abs(s1):
		k := (s2 - s1) / (c2 - c1)
		return model{shape: bending, slope: s2 - k*c2, k: k}
	default:
		T := (c2 - c1) / math.Log(s1/s2)
		return model{shape: levelling, slope: s2 * math.Exp(c2/T), k: T}
	}
}

func (f *fitter) fit(pts []point) Trend {
	f.tmp = grow(f.tmp, len(pts))
	steps := markSteps(pts, f.tmp)
	// Noise that wanders (neighbouring points alike) looks like evidence
	// to the pair ranks: widen the bounds by √((1+ρ)/(1-ρ)).
	f.infl = math.Sqrt((1 + f.rho) / (1 - f.rho))
	var s float64
	s, f.linLo, f.linHi = f.theilSen(pts)
	f.est = model{shape: straight, slope: s}

	// Curvature: the slopes of the older and the newer half. When their
	// bounds do not overlap the series bends or levels off, and the
	// model follows the newer half.
	mid := (pts[0].t + pts[len(pts)-1].t) / 2
	f.half = 0
	for f.half < len(pts) && pts[f.half].t < mid {
		f.half++
	}
	bent := false
	f.bend = 0
	if f.half >= minHalf && len(pts)-f.half >= minHalf {
		s1, lo1, hi1 := f.theilSen(pts[:f.half])
		s2, lo2, hi2 := f.theilSen(pts[f.half:])
		c1, c2 := meanT(pts[:f.half]), meanT(pts[f.half:])
		if w := (hi1 - lo1) + (hi2 - lo2); w > 0 {
			f.bend = math.Abs(s2-s1) / w
		}
		if bent = lo2 > hi1 || hi2 < lo1; bent {
			f.est = newModel(s1, c1, s2, c2)
		}
	}
	f.setCorners(pts, bent)
	f.slopeLo, f.slopeHi = f.est.slope, f.est.slope
	for _, m := range f.corners {
		f.slopeLo, f.slopeHi = math.Min(f.slopeLo, m.slope), math.Max(f.slopeHi, m.slope)
	}
	f.setLevel(pts)

	// The interval: a point is the median of several buckets, in which
	// white noise averages out and a slow wander does not, so the points'
	// residuals can be more alike from one to the next than the buckets
	// suggested. Then the interval's bounds are widened to match; whether
	// to forecast at all was decided on the buckets' estimate above.
	if rr := residualRho(pts, f.est, f.tmp); rr > f.rho {
		f.infl = math.Sqrt((1 + rr) / (1 - rr))
		f.setCorners(pts, bent)
		level := f.est.level
		f.setLevel(pts)
		f.est.level = level
	}

	tr := Trend{
		OK:          true,
		Level:       f.est.level,
		PerDay:      f.est.slope,
		PerDayLow:   f.slopeLo,
		PerDayHigh:  f.slopeHi,
		Significant: f.slopeLo > 0 || f.slopeHi < 0,
		Points:      len(pts),
		Steps:       steps,
	}
	switch f.est.shape {
	case bending:
		tr.Curvature = f.est.k
	case levelling:
		tr.Curvature = -f.est.slope / f.est.k
	}
	return tr
}

// setCorners sets the models at the corners of the bounds: the straight
// line's two, or, when the series bends, the four of the halves' bounds.
func (f *fitter) setCorners(pts []point, bent bool) {
	if !bent {
		_, lo, hi := f.theilSen(pts)
		f.corners = append(f.corners[:0], model{slope: lo}, model{slope: hi})
		return
	}
	_, lo1, hi1 := f.theilSen(pts[:f.half])
	_, lo2, hi2 := f.theilSen(pts[f.half:])
	c1, c2 := meanT(pts[:f.half]), meanT(pts[f.half:])
	f.corners = f.corners[:0]
	for _, a := range [2]float64{lo1, hi1} {
		for _, b := range [2]float64{lo2, hi2} {
			f.corners = append(f.corners, newModel(a, c1, b, c2))
		}
	}
}

// setLevel sets the level at τ=0, the median residual of the last segment
// around the model's shape, and its bounds from the residuals' spread.
func (f *fitter) setLevel(pts []point) {
	last := pts[len(pts)-1].seg
	res := f.tmp[:0]
	for _, p := range pts {
		if p.seg == last {
			res = append(res, p.y-f.est.offset(p.t))
		}
	}
	f.est.level = median(res)
	for i := range res {
		res[i] = math.Abs(res[i] - f.est.level)
	}
	// 1.4826·MAD estimates σ; the median of n points has σ·1.2533/√n.
	se := f.infl * 1.4826 * median(res) * 1.2533 / math.Sqrt(float64(len(res)))
	f.levelLo, f.levelHi = f.est.level-f.z*se, f.est.level+f.z*se
}

// residualRho is the lag-1 autocorrelation of the residuals around m
// (each segment around its own median level), in [0, 0.9]. tmp is
// scratch of len(pts).
func residualRho(pts []point, m model, tmp []float64) float64 {
	r := tmp[:len(pts)]
	for i := 0; i < len(pts); {
		j := i
		for j < len(pts) && pts[j].seg == pts[i].seg {
			r[j] = pts[j].y - m.offset(pts[j].t)
			j++
		}
		seg := append([]float64(nil), r[i:j]...)
		b := median(seg)
		for k := i; k < j; k++ {
			r[k] -= b
		}
		i = j
	}
	var num, den float64
	for i := range pts {
		den += r[i] * r[i]
		if i > 0 && pts[i].seg == pts[i-1].seg {
			num += r[i] * r[i-1]
		}
	}
	if den == 0 {
		return 0
	}
	return math.Min(math.Max(num/den, 0), 0.9)
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// theilSen returns the median of the slopes between every pair of points
// of the same segment, and its confidence bounds: the order statistics
// either side of the median by z standard deviations of Kendall's S
// (summed over the segments), widened by f.infl. The order statistics
// are selected, not sorted: this is most of a forecast's cost.
func (f *fitter) theilSen(pts []point) (slope, lo, hi float64) {
	f.slopes = f.slopes[:0]
	var varS float64
	for i := 0; i < len(pts); {
		j := i
		for j < len(pts) && pts[j].seg == pts[i].seg {
			j++
		}
		m := float64(j - i)
		varS += m * (m - 1) * (2*m + 5) / 18
		for a := i; a < j; a++ {
			for b := a + 1; b < j; b++ {
				if dt := pts[b].t - pts[a].t; dt > 0 {
					f.slopes = append(f.slopes, (pts[b].y-pts[a].y)/dt)
				}
			}
		}
		i = j
	}
	v := f.slopes
	n := len(v)
	if n == 0 {
		return 0, math.Inf(-1), math.Inf(1)
	}
	k := n / 2
	slope = nth(v, k)
	if n%2 == 0 {
		slope = (slope + maxOf(v[:k])) / 2
	}
	// Wide bounds (few points, or noise taken to wander) can reach past
	// the pair slopes: they stop at the extremes, so a trend every pair
	// agrees on (a clean, quantized ramp, whose rounding can look like
	// wandering noise) stays significant.
	c := f.z * f.infl * math.Sqrt(varS)
	l := max(0, int(math.Floor((float64(n)-c)/2)))
	u := min(n-1, int(math.Ceil((float64(n)+c)/2)))
	lo, hi = v[k], v[k]
	if l < k {
		lo = nth(v[:k], l)
	}
	if u > k {
		hi = nth(v[k+1:], u-k-1)
	}
	return slope, lo, hi
}

// nth reorders v so that v[k] is its k-th smallest value (0-based), none
// before it larger and none after it smaller, and returns it (quickselect,
// middle-of-three pivot).
func nth(v []float64, k int) float64 {
	lo, hi := 0, len(v)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// Middle of three to v[mid].
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		p := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		m = math.Max(m, x)
	}
	return m
}

func meanT(pts []point) float64 {
	var s float64
	for _, p := range pts {
		s += p.t
	}
	return s / float64(len(pts))
}

// markSteps numbers the level segments of pts (seg) and returns the steps
// found. tmp is scratch of len(pts).
func markSteps(pts []point, tmp []float64) int {
	n := len(pts)
	for i := range pts {
		pts[i].seg = 0
	}
	if n < 2*stepWidth+1 {
		return 0
	}
	d := tmp[:n-1]
	for i := 0; i+1 < n; i++ {
		d[i] = pts[i+1].y - pts[i].y
	}
	diffs := append([]float64(nil), d...)
	medD := median(diffs)
	for i := range diffs {
		diffs[i] = math.Abs(diffs[i] - medD)
	}
	sigD := 1.4826 * median(diffs)
	if sigD == 0 {
		return 0 // a flat or perfectly straight series has no steps
	}
	sigY := sigD / math.Sqrt2
	steps := 0
	side := make([]float64, stepWidth)
	for i := 0; i+1 < n; i++ {
		jump := d[i] - medD
		if math.Abs(jump) <= stepDiffK*sigD || i+1 < stepWidth-1 || n-(i+1) < 2 {
			continue
		}
		left := side[:0]
		for k := max(0, i+1-stepWidth); k <= i; k++ {
			left = append(left, pts[k].y)
		}
		lm := median(left)
		right := side[:0]
		for k := i + 1; k < min(n, i+1+stepWidth); k++ {
			right = append(right, pts[k].y)
		}
		rm := median(right)
		level := rm - lm - medD*stepWidth
		if math.Abs(level) > stepLevelK*sigY && (level > 0) == (jump > 0) {
			steps++
			for k := i + 1; k < n; k++ {
				pts[k].seg = steps
			}
		}
	}
	return steps
}

// cross returns when the model reaches thr (on the model scale) rising
// (high) or falling, within horizon days. ok is false when the series is
// not significantly worsening toward thr, has already reached it, or does
// not reach it within the horizon.
func (f *fitter) cross(thr float64, high bool, horizon float64) (Crossing, bool) {
	sign := 1.0
	if !high {
		sign = -1
	}
	// Everything in the worsening direction: rising toward thr.
	worsening := (high && (f.linLo > 0 || f.slopeLo > 0)) || (!high && (f.linHi < 0 || f.slopeHi < 0))
	if !worsening || sign*f.est.level >= sign*thr {
		return Crossing{}, false
	}
	flip := func(m model) model {
		m.slope *= sign
		if m.shape == bending {
			m.k *= sign
		}
		return m
	}
	days := flip(f.est).reach(sign*(thr-f.est.level), horizon)
	if math.IsInf(days, 1) {
		return Crossing{}, false
	}
	// The interval: every corner of the bounds with either end of the
	// level's; the soonest and the latest crossing.
	lo, hi := days, days
	for _, m := range f.corners {
		for _, l := range [2]float64{f.levelLo, f.levelHi} {
			d := flip(m).reach(sign*(thr-l), horizon)
			lo, hi = math.Min(lo, d), math.Max(hi, d)
		}
	}
	return Crossing{Days: days, DaysLow: lo, DaysHigh: hi}, true
}

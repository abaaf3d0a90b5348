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

// fitter holds one fit: the model is y(τ) = level + slope·τ + curv·τ²/2,
// τ in days from the evaluation time, with bounds on each term.
type fitter struct {
	z                        float64
	level, levelLo, levelHi  float64
	slope, slopeLo, slopeHi  float64
	curv, curvLo, curvHi     float64
	linLo, linHi             float64 // bounds of the straight-line slope
	significant, accelerated bool
	scratch                  []float64
}

func (f *fitter) fit(pts []point) Trend {
	steps := markSteps(pts, f.buf(len(pts)))
	s, lo, hi := f.theilSen(pts)
	f.linLo, f.linHi = lo, hi
	f.slope, f.slopeLo, f.slopeHi = s, lo, hi
	f.curv, f.curvLo, f.curvHi = 0, 0, 0

	// Curvature: the slopes of the older and the newer half. When their
	// bounds do not overlap the series bends, and the newer slope,
	// carried to the evaluation time, is the one to extrapolate.
	mid := (pts[0].t + pts[len(pts)-1].t) / 2
	k := 0
	for k < len(pts) && pts[k].t < mid {
		k++
	}
	if k >= minHalf && len(pts)-k >= minHalf {
		s1, lo1, hi1 := f.theilSen(pts[:k])
		s2, lo2, hi2 := f.theilSen(pts[k:])
		c1, c2 := meanT(pts[:k]), meanT(pts[k:])
		if lo2 > hi1 || hi2 < lo1 {
			dt := c2 - c1
			f.accelerated = true
			f.curv = (s2 - s1) / dt
			f.curvLo = (lo2 - hi1) / dt
			f.curvHi = (hi2 - lo1) / dt
			// Slope at τ=0: the newer half's slope carried from its
			// centre c2 (<0) to now.
			f.slope = s2 - f.curv*c2
			f.slopeLo = lo2 - f.curv*c2
			f.slopeHi = hi2 - f.curv*c2
		}
	}
	f.significant = f.slopeLo > 0 || f.slopeHi < 0

	// Level at τ=0: the median residual of the last segment around the
	// model's shape, and its spread for the bounds.
	last := pts[len(pts)-1].seg
	res := f.buf(len(pts))[:0]
	for _, p := range pts {
		if p.seg == last {
			res = append(res, p.y-f.slope*p.t-f.curv*p.t*p.t/2)
		}
	}
	f.level = median(res)
	for i := range res {
		res[i] = math.Abs(res[i] - f.level)
	}
	// 1.4826·MAD estimates σ; the median of n points has σ·1.2533/√n.
	se := 1.4826 * median(res) * 1.2533 / math.Sqrt(float64(len(res)))
	f.levelLo, f.levelHi = f.level-f.z*se, f.level+f.z*se

	return Trend{
		OK:          true,
		Level:       f.level,
		PerDay:      f.slope,
		PerDayLow:   f.slopeLo,
		PerDayHigh:  f.slopeHi,
		Curvature:   f.curv,
		Significant: f.significant,
		Points:      len(pts),
		Steps:       steps,
	}
}

func (f *fitter) buf(n int) []float64 {
	if cap(f.scratch) < n {
		f.scratch = make([]float64, n)
	}
	return f.scratch[:n]
}

// theilSen returns the median of the slopes between every pair of points
// of the same segment, and its confidence bounds: the order statistics
// of the pair slopes either side of the median by z standard deviations
// of Kendall's S (summed over the segments, ties ignored).
func (f *fitter) theilSen(pts []point) (slope, lo, hi float64) {
	n := len(pts)
	slopes := make([]float64, 0, n*(n-1)/2)
	var varS float64
	for i := 0; i < n; {
		j := i
		for j < n && pts[j].seg == pts[i].seg {
			j++
		}
		m := float64(j - i)
		varS += m * (m - 1) * (2*m + 5) / 18
		for a := i; a < j; a++ {
			for b := a + 1; b < j; b++ {
				if dt := pts[b].t - pts[a].t; dt > 0 {
					slopes = append(slopes, (pts[b].y-pts[a].y)/dt)
				}
			}
		}
		i = j
	}
	N := len(slopes)
	if N == 0 {
		return 0, math.Inf(-1), math.Inf(1)
	}
	slope = median(slopes) // sorts slopes
	c := f.z * math.Sqrt(varS)
	l := int(math.Floor((float64(N) - c) / 2))
	u := int(math.Ceil((float64(N) + c) / 2))
	if l < 0 {
		lo = math.Inf(-1)
	} else {
		lo = slopes[l]
	}
	if u >= N {
		hi = math.Inf(1)
	} else {
		hi = slopes[u]
	}
	return slope, lo, hi
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
	level, gap := sign*f.level, sign*thr
	if level >= gap {
		return Crossing{}, false
	}
	worsening := (high && (f.linLo > 0 || f.slopeLo > 0)) || (!high && (f.linHi < 0 || f.slopeHi < 0))
	if !worsening {
		return Crossing{}, false
	}
	days := reach(gap-level, sign*f.slope, sign*f.curv, horizon)
	if math.IsInf(days, 1) {
		return Crossing{}, false
	}
	// The interval: every combination of the bounds of level, slope and
	// curvature; the soonest and the latest crossing.
	lo, hi := math.Inf(1), 0.0
	for _, l := range [2]float64{f.levelLo, f.levelHi} {
		for _, s := range [2]float64{f.slopeLo, f.slopeHi} {
			for _, c := range [2]float64{f.curvLo, f.curvHi} {
				d := reach(gap-sign*l, sign*s, sign*c, horizon)
				lo = math.Min(lo, d)
				hi = math.Max(hi, d)
			}
		}
	}
	return Crossing{Days: days, DaysLow: math.Min(lo, days), DaysHigh: math.Max(hi, days)}, true
}

// reach is the first τ > 0 with s·τ + c·τ²/2 = dist (dist > 0), or +Inf
// when there is none within horizon days.
func reach(dist, s, c, horizon float64) float64 {
	if dist <= 0 {
		return 0
	}
	var t float64
	if math.Abs(c) < 1e-12*math.Max(1, math.Abs(s)) {
		if s <= 0 {
			return math.Inf(1)
		}
		t = dist / s
	} else {
		disc := s*s + 2*c*dist
		if disc < 0 {
			return math.Inf(1) // bends back before reaching it
		}
		// The smaller positive root of c/2·τ² + s·τ - dist = 0, written
		// to stay exact when c is small.
		t = 2 * dist / (s + math.Sqrt(disc))
		if t <= 0 || math.IsNaN(t) {
			return math.Inf(1)
		}
	}
	if t > horizon {
		return math.Inf(1)
	}
	return t
}

package forecast

import "math"

// MinCohort is the fewest members a cohort needs for a z-score: fewer
// peers make the median and MAD meaningless.
const MinCohort = 4

// Cohort is the centre and spread of one quantity over peers (lanes or
// modules of the same part number and firmware), for robust z-scores.
type Cohort struct {
	Median float64
	// Scale estimates the standard deviation: 1.4826·MAD, or, when more
	// than half the members are equal (MAD 0), 1.2533 times the mean
	// absolute deviation.
	Scale float64
	N     int
}

// NewCohort summarises values (on the fitted scale: log10 for BER); ok is
// false with fewer than MinCohort finite values. values is not changed.
func NewCohort(values []float64) (Cohort, bool) {
	v := make([]float64, 0, len(values))
	for _, x := range values {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	if len(v) < MinCohort {
		return Cohort{}, false
	}
	c := Cohort{N: len(v), Median: median(v)}
	dev := make([]float64, len(v))
	var sum float64
	for i, x := range v {
		dev[i] = math.Abs(x - c.Median)
		sum += dev[i]
	}
	c.Scale = 1.4826 * median(dev)
	if c.Scale == 0 {
		c.Scale = 1.2533 * sum / float64(len(v))
	}
	return c, true
}

// Z is the robust z-score of x: how many robust standard deviations it
// stands from the cohort's median. ok is false when the cohort has no
// spread and x differs from it (the score would be infinite); x equal to
// the median of a cohort without spread scores 0.
func (c Cohort) Z(x float64) (z float64, ok bool) {
	d := x - c.Median
	if c.Scale == 0 || math.IsNaN(d) || math.IsInf(d, 0) {
		return 0, d == 0
	}
	return d / c.Scale, true
}

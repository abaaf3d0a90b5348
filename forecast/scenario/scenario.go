package scenario

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/ddm-agent/ddm/forecast"
)

// Kind is the shape of a lane's noise-free curve.
type Kind string

// The shapes generated.
const (
	LinearDecline       Kind = "linear_decline"       // Rx/Tx power falls by the same mW each day
	AcceleratingDecline Kind = "accelerating_decline" // Rx/Tx power falls faster and faster (quadratic)
	DBDecline           Kind = "db_decline"           // Rx/Tx power falls by the same dB each day
	BiasPlateau         Kind = "bias_plateau"         // bias climbs toward a plateau near 65 mA
	BERGrowth           Kind = "ber_growth"           // pre-FEC BER grows exponentially (linear in log10)
	Healthy             Kind = "healthy"              // no trend: noise, daily cycle, spikes, steps
)

// Lane is one generated lane.
type Lane struct {
	Kind     Kind
	Quantity string // field name: rx_power_mw, tx_power_mw, tx_bias_ma, pre_fec_ber
	Limit    forecast.Limit
	// Start is the noise-free value at day 0; Cross the day the
	// noise-free curve reaches Limit (+Inf: never).
	Start, Cross float64
	// Days simulated.
	Days float64

	curve func(day float64) float64 // noise-free, quantity's unit (BER: log10)
	noise noise
}

// Scale the lane's quantity is fitted on.
func (l *Lane) Scale() forecast.Scale { return forecast.ScaleOf(l.Quantity) }

// curveScale is the scale the lane's curve, noise and "way to the limit"
// are written on, whatever the forecaster fits: log10 for BER, the unit
// (mW, mA) otherwise, so a linear decline is linear in mW.
func (l *Lane) curveScale() forecast.Scale {
	if l.Scale() == forecast.Log10 {
		return forecast.Log10
	}
	return forecast.Linear
}

// noise is a lane's disturbances, on the curve's scale.
type noise struct {
	white, wander, daily float64 // standard deviations and amplitude
	rel                  bool    // white, wander and daily are relative to the level (power)
	steps                []step
	spikes               []spike
}

type step struct{ day, size float64 }
type spike struct {
	day, hours, value float64
	rel               bool // value multiplies the level
}

// Step is the sampling interval of generated lanes: a real agent samples
// every second, but 2-hour buckets of 10-minute samples fit the same.
const Step = 10 * time.Minute

// Generate makes n lanes from seed: about 15 % of each degrading kind and
// 25 % healthy.
func Generate(seed uint64, n int) []*Lane {
	r := rand.New(rand.NewPCG(seed, 0x5ce2a710))
	lanes := make([]*Lane, 0, n)
	kinds := []Kind{LinearDecline, AcceleratingDecline, DBDecline, BiasPlateau, BERGrowth, Healthy, Healthy}
	for i := 0; i < n; i++ {
		lanes = append(lanes, newLane(r, kinds[i%len(kinds)]))
	}
	return lanes
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

func newLane(r *rand.Rand, k Kind) *Lane {
	l := &Lane{Kind: k}
	T := uniform(r, 10, 90) // days to the limit for a degrading lane
	switch k {
	case LinearDecline, AcceleratingDecline, DBDecline, Healthy:
		l.Quantity = "rx_power_mw"
		if r.IntN(2) == 0 {
			l.Quantity = "tx_power_mw"
		}
		thr := uniform(r, 0.08, 0.2)
		l.Limit = forecast.Limit{Name: "low_warning", Value: thr}
		v0 := thr * uniform(r, 3, 10)
		l.Start = v0
		switch k {
		case LinearDecline:
			l.curve = func(d float64) float64 { return v0 - (v0-thr)*d/T }
		case AcceleratingDecline:
			l.curve = func(d float64) float64 { return v0 - (v0-thr)*(d/T)*(d/T) }
		case DBDecline:
			l.curve = func(d float64) float64 { return v0 * math.Pow(thr/v0, d/T) }
		case Healthy:
			// Some healthy lanes sit close to their limit (1.5x to 3x).
			if r.IntN(3) == 0 {
				v0 = thr * uniform(r, 1.5, 3)
				l.Start = v0
			}
			l.curve = func(float64) float64 { return v0 }
		}
		l.noise = noise{white: uniform(r, 0.005, 0.03), wander: uniform(r, 0.002, 0.01), daily: uniform(r, 0, 0.01), rel: true}
	case BiasPlateau:
		l.Quantity = "tx_bias_ma"
		l.Limit = forecast.Limit{Name: "high_warning", Value: 60, High: true}
		b0, plateau, tau := uniform(r, 35, 45), uniform(r, 55, 68), uniform(r, 8, 40)
		l.Start = b0
		l.curve = func(d float64) float64 { return plateau - (plateau-b0)*math.Exp(-d/tau) }
		l.noise = noise{white: uniform(r, 0.05, 0.3), wander: uniform(r, 0.02, 0.2), daily: uniform(r, 0, 0.5)}
	case BERGrowth:
		l.Quantity = "pre_fec_ber"
		l.Limit = forecast.Limit{Name: forecast.KP4LimitName, Value: forecast.KP4Limit, High: true}
		e0 := uniform(r, -9, -6)
		e1 := math.Log10(forecast.KP4Limit)
		l.Start = e0
		l.curve = func(d float64) float64 { return e0 + (e1-e0)*d/T }
		l.noise = noise{white: uniform(r, 0.05, 0.2), wander: uniform(r, 0.02, 0.1), daily: uniform(r, 0, 0.1)}
	}
	l.Cross = math.Inf(1)
	if k != Healthy {
		l.Cross = crossing(l, 400)
	}
	l.Days = 30
	if !math.IsInf(l.Cross, 1) {
		l.Days = l.Cross
	} else if k == BiasPlateau {
		l.Days = 60
	}
	// Disturbances: a step in 30 % of lanes, spikes in 40 %.
	if r.Float64() < 0.3 {
		s := step{day: uniform(r, 0.1, 0.9) * l.Days}
		switch l.Quantity {
		case "tx_bias_ma":
			s.size = uniform(r, -2, 2)
		case "pre_fec_ber":
			s.size = uniform(r, -0.5, 0.5)
		default:
			s.size = uniform(r, -0.15, 0.15) // relative: about ±0.6 dB
		}
		l.noise.steps = append(l.noise.steps, s)
		if k != Healthy {
			// The truth moves with the step.
			l.Cross = crossing(l, 400)
			if !math.IsInf(l.Cross, 1) {
				l.Days = l.Cross
			}
		}
	}
	if r.Float64() < 0.4 {
		for range 1 + r.IntN(4) {
			sp := spike{day: uniform(r, 0, l.Days), hours: uniform(r, 0.05, 3)}
			switch l.Quantity {
			case "tx_bias_ma":
				sp.value = uniform(r, -10, 10)
			case "pre_fec_ber":
				sp.value = uniform(r, 1, 3)
			default:
				sp.value, sp.rel = uniform(r, 0, 0.5), true // LOS (0) or a drop
			}
			l.noise.spikes = append(l.noise.spikes, sp)
		}
	}
	return l
}

// truthWithSteps is the noise-free curve with the lane's level steps,
// on the curve's scale.
func (l *Lane) truthWithSteps(d float64) float64 {
	v := l.curve(d)
	for _, s := range l.noise.steps {
		if d >= s.day {
			if l.noise.rel {
				v *= 1 + s.size
			} else {
				v += s.size
			}
		}
	}
	return v
}

// TrueValue is what the lane's noise-free curve, steps included, reads at
// day d, on the curve's scale (log10 for BER, the unit otherwise).
func (l *Lane) TrueValue(d float64) float64 { return l.truthWithSteps(d) }

// crossing finds the first day the noise-free curve (steps included)
// reaches the limit, to a second, or +Inf within max days: hourly steps,
// then bisection inside the hour that crosses.
func crossing(l *Lane, maxDays float64) float64 {
	thr, _ := l.curveScale().ToModel(l.Limit.Value)
	reached := func(d float64) bool {
		v := l.truthWithSteps(d)
		return (l.Limit.High && v >= thr) || (!l.Limit.High && v <= thr)
	}
	return firstDay(reached, maxDays)
}

// firstDay is the first day in [0, maxDays] where ok holds, to a second,
// or +Inf: hourly steps, then bisection inside the hour where it starts.
func firstDay(ok func(d float64) bool, maxDays float64) float64 {
	const hour = 1.0 / 24
	if ok(0) {
		return 0
	}
	for d := hour; d <= maxDays+hour; d += hour {
		if ok(d) {
			lo, hi := d-hour, d
			for hi-lo > 1.0/86400 {
				if mid := (lo + hi) / 2; ok(mid) {
					hi = mid
				} else {
					lo = mid
				}
			}
			return hi
		}
	}
	return math.Inf(1)
}

// Samples calls f with each sample of the lane, in time order, from t0
// every Step until day `days`, in the quantity's unit. The noise is
// deterministic for seed.
func (l *Lane) Samples(seed uint64, t0 time.Time, days float64, f func(t time.Time, v float64)) {
	r := rand.New(rand.NewPCG(seed, 0xd1ce))
	n := int(days * 24 * float64(time.Hour) / float64(Step))
	// AR(1) wander with a 6-hour correlation time.
	phi := math.Exp(-float64(Step) / float64(6*time.Hour))
	w := 0.0
	scale := l.curveScale()
	for i := 0; i <= n; i++ {
		d := float64(i) * Step.Hours() / 24
		w = phi*w + math.Sqrt(1-phi*phi)*l.noise.wander*r.NormFloat64()
		dist := l.noise.white*r.NormFloat64() + w + l.noise.daily*math.Sin(2*math.Pi*d)
		v := l.truthWithSteps(d)
		if l.noise.rel {
			v *= 1 + dist
		} else {
			v += dist
		}
		for _, s := range l.noise.spikes {
			if d >= s.day && d < s.day+s.hours/24 {
				if s.rel {
					v *= s.value
				} else {
					v += s.value
				}
			}
		}
		f(t0.Add(time.Duration(i)*Step), scale.FromModel(v))
	}
}

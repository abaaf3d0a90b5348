package scenario

import (
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/ddm-agent/ddm/forecast"
)

// Fractions of the way from the start to the limit at which degrading
// lanes are evaluated.
var Fractions = [3]float64{0.25, 0.50, 0.75}

// HealthyDays is how long healthy lanes are watched for false forecasts,
// and the horizon a false forecast must fall within.
const HealthyDays = 30

// At is the accuracy at one fraction of the way.
type At struct {
	Fraction float64
	// Lanes evaluated, and of them those given a crossing of their limit.
	Lanes, Forecast int
	// Median and 90th percentile of |forecast - truth| / truth over the
	// lanes evaluated; a lane with no forecast counts as error 1 (100 %).
	Median, P90 float64
	// Covered: forecasts whose interval holds the truth.
	Covered int
}

// Figures are the scores over a set of lanes.
type Figures struct {
	Lanes int
	At    [3]At
	// Healthy lanes, and those that got a crossing forecast within
	// HealthyDays at any daily evaluation over HealthyDays days.
	Healthy, HealthyFalse int
	// Degrading lanes whose curve never reaches the limit (a bias
	// plateau below it), and those that got such a forecast.
	NoCross, NoCrossFalse int
	ByKind                map[Kind]*At // at 50 % of the way
}

// Score runs the forecaster over lanes (each lane's noise seeded from
// seed and its index) and returns the figures.
func Score(lanes []*Lane, seed uint64, o forecast.Options) Figures {
	fig := Figures{Lanes: len(lanes), ByKind: map[Kind]*At{}}
	errs := [3][]float64{}
	kindErrs := map[Kind][]float64{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, l := range lanes {
		h := forecast.NewHistory(l.Scale(), 0, 0)
		limits := []forecast.Limit{l.Limit}
		if math.IsInf(l.Cross, 1) {
			// Daily evaluations; any crossing within HealthyDays is false.
			next, false_ := 1.0, false
			l.Samples(seed+uint64(i), t0, math.Max(HealthyDays, l.Days), func(t time.Time, v float64) {
				d := t.Sub(t0).Hours() / 24
				if d >= next {
					next++
					r := h.Evaluate(t, limits, o)
					if len(r.Crossings) > 0 && r.Crossings[0].Days <= HealthyDays && d <= HealthyDays+1e-9 {
						false_ = true
					}
				}
				h.Add(t, v)
			})
			if l.Kind == Healthy {
				fig.Healthy++
				if false_ {
					fig.HealthyFalse++
				}
			} else {
				fig.NoCross++
				if false_ {
					fig.NoCrossFalse++
				}
			}
			continue
		}
		evals := l.EvalDays()
		k := 0
		l.Samples(seed+uint64(i), t0, l.Cross, func(t time.Time, v float64) {
			d := t.Sub(t0).Hours() / 24
			for k < len(evals) && d >= evals[k] {
				truth := l.Cross - d
				r := h.Evaluate(t, limits, o)
				e, covered, given := 1.0, false, false
				if len(r.Crossings) > 0 && truth > 0 {
					c := r.Crossings[0]
					e = math.Abs(c.Days-truth) / truth
					covered = c.DaysLow <= truth && truth <= c.DaysHigh
					given = true
				}
				a := &fig.At[k]
				a.Lanes++
				errs[k] = append(errs[k], e)
				if given {
					a.Forecast++
				}
				if covered {
					a.Covered++
				}
				if k == 1 {
					kindErrs[l.Kind] = append(kindErrs[l.Kind], e)
					ka := fig.ByKind[l.Kind]
					if ka == nil {
						ka = &At{Fraction: Fractions[1]}
						fig.ByKind[l.Kind] = ka
					}
					ka.Lanes++
					if given {
						ka.Forecast++
					}
					if covered {
						ka.Covered++
					}
				}
				k++
			}
			h.Add(t, v)
		})
	}
	for k := range fig.At {
		fig.At[k].Fraction = Fractions[k]
		fig.At[k].Median, fig.At[k].P90 = quantile(errs[k], 0.5), quantile(errs[k], 0.9)
	}
	for kind, e := range kindErrs {
		fig.ByKind[kind].Median, fig.ByKind[kind].P90 = quantile(e, 0.5), quantile(e, 0.9)
	}
	return fig
}

// EvalDays are the first days the lane's noise-free curve (steps
// included) is each fraction of the way from its start to its limit;
// nil for a lane that never reaches it.
func (l *Lane) EvalDays() []float64 {
	if math.IsInf(l.Cross, 1) {
		return nil // never reaches it: no way to be part of
	}
	thr, _ := l.curveScale().ToModel(l.Limit.Value)
	start := l.TrueValue(0)
	var out []float64
	for _, f := range Fractions {
		d := firstDay(func(d float64) bool { return (l.TrueValue(d)-start)/(thr-start) >= f }, l.Cross)
		if math.IsInf(d, 1) {
			break
		}
		out = append(out, d)
	}
	return out
}

func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(math.Round(q*float64(len(s)-1)))]
}

// Print writes the figures as the tables of docs/FORECAST.md.
func (f Figures) Print(w io.Writer) {
	pct := func(a, b int) float64 {
		if b == 0 {
			return math.NaN()
		}
		return 100 * float64(a) / float64(b)
	}
	fmt.Fprintf(w, "%d lanes: %d healthy, %d degrading that never reach their limit, the rest reach it\n\n", f.Lanes, f.Healthy, f.NoCross)
	fmt.Fprintf(w, "| of the way | lanes | forecast given | median error | p90 error | interval holds truth |\n|---|---|---|---|---|---|\n")
	for _, a := range f.At {
		fmt.Fprintf(w, "| %.0f %% | %d | %.1f %% | %.1f %% | %.1f %% | %.1f %% |\n", 100*a.Fraction, a.Lanes, pct(a.Forecast, a.Lanes), 100*a.Median, 100*a.P90, pct(a.Covered, a.Forecast))
	}
	fmt.Fprintf(w, "\nAt 50 %% of the way, by kind:\n\n| kind | lanes | forecast given | median error | p90 error | interval holds truth |\n|---|---|---|---|---|---|\n")
	kinds := make([]string, 0, len(f.ByKind))
	for k := range f.ByKind {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		a := f.ByKind[Kind(k)]
		fmt.Fprintf(w, "| %s | %d | %.1f %% | %.1f %% | %.1f %% | %.1f %% |\n", k, a.Lanes, pct(a.Forecast, a.Lanes), 100*a.Median, 100*a.P90, pct(a.Covered, a.Forecast))
	}
	fmt.Fprintf(w, "\nFalse forecasts (a crossing within %d days on a lane that never crosses, any daily evaluation over %d days):\n", HealthyDays, HealthyDays)
	fmt.Fprintf(w, "- healthy lanes: %d of %d (%.2f %%)\n", f.HealthyFalse, f.Healthy, pct(f.HealthyFalse, f.Healthy))
	fmt.Fprintf(w, "- bias levelling off below its limit: %d of %d (%.2f %%)\n", f.NoCrossFalse, f.NoCross, pct(f.NoCrossFalse, f.NoCross))
}

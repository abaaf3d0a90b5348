package scenario

import (
	"math"
	"os"
	"testing"

	"github.com/ddm-agent/ddm/forecast"
)

// TestFigures scores the forecaster over 560 randomized lanes and holds it
// to the goals of docs/FORECAST.md; -v prints the tables there.
func TestFigures(t *testing.T) {
	lanes := Generate(13, 560)
	fig := Score(lanes, 13, forecast.Options{})
	if testing.Verbose() {
		fig.Print(os.Stdout)
	}
	if m := fig.At[1].Median; !(m < 0.20) {
		t.Errorf("median error at 50 %% of the way %.1f %%, goal < 20 %%", 100*m)
	}
	if share := float64(fig.HealthyFalse) / float64(fig.Healthy); !(share < 0.01) {
		t.Errorf("false forecasts on healthy lanes %.2f %%, goal < 1 %%", 100*share)
	}
}

// TestEvalDays: the fractions of the way come in order before the
// crossing, and a lane that never crosses has none (and returns).
func TestEvalDays(t *testing.T) {
	for _, l := range Generate(5, 14) {
		ev := l.EvalDays()
		if l.Kind == Healthy {
			if ev != nil {
				t.Errorf("healthy lane: %v", ev)
			}
			continue
		}
		if math.IsInf(l.Cross, 1) {
			continue
		}
		if len(ev) != 3 || !(0 < ev[0] && ev[0] < ev[1] && ev[1] < ev[2] && ev[2] <= l.Cross) {
			t.Errorf("%s: %v, crossing %.1f", l.Kind, ev, l.Cross)
		}
	}
}

package alarm

import (
	"testing"
	"time"
)

// TestRulesRunOnSteadyTime: the wall clock steps back 6 h at 38 h, while
// the bias climbs (from 30 h; the rule fires at 41-42 h). Timed on the steady clock (EvaluateAt), the
// rate rule fires when it would without the step, stamped with the wall
// time; timed on the wall clock alone, its buckets stay open until the
// wall clock is back where it was, and the alarm comes hours late (what ddm
// did before).
func TestRulesRunOnSteadyTime(t *testing.T) {
	const step = 6 * time.Hour
	run := func(steadyAware bool) []Event {
		e := engine(t, rule("name: bias", "metric: lane.tx_bias_ma", "rate: {above: 10, per: 24h, percent: true}",
			"hysteresis: 2", "for: 1h", "severity: minor"))
		m := osfp("740-174932", "SN1")
		var got []Event
		for d := time.Duration(0); d < 72*time.Hour; d += 5 * time.Minute {
			h := d.Hours()
			climb := 50.0
			if h > 30 {
				climb += 0.5 * (h - 30) // +24 %/day
			}
			setLane(m, 2, climb, 1.5, 1.7)
			steady, wall := t0.Add(d), t0.Add(d)
			if d >= 38*time.Hour {
				wall = wall.Add(-step)
			}
			if steadyAware {
				got = append(got, e.EvaluateAt("p", wall, steady, m, true)...)
			} else {
				got = append(got, e.Evaluate("p", wall, m, true)...)
			}
		}
		return got
	}
	got := run(true)
	if len(got) != 1 || got[0].Lane != 2 || got[0].State != Firing {
		t.Fatalf("events %v, want lane 2 firing once", brief(got))
	}
	// As in TestRateOfChange (41 h to 42 h of steady time), stamped with
	// the wall clock, 6 h behind.
	if at := got[0].Time.Sub(t0) + step; at < 41*time.Hour || at > 42*time.Hour {
		t.Errorf("fired at %v of steady time, want between 41h and 42h", at)
	}
	old := run(false)
	if len(old) != 1 || old[0].Time.Sub(t0)+step < 44*time.Hour {
		t.Errorf("timed on the wall clock: events %v; the test no longer shows the stall it guards against", brief(old))
	}
}

package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/modread"
	"github.com/ddm-agent/ddm/outlook"
	"github.com/ddm-agent/ddm/portset"
)

// agentHistory writes the forecast history `ddm run --emulate WHAT`
// would have kept in dir after days of reading the emulated switch every
// step, up to now; a port whose read fails (the default switch's
// misbehaving modules) is left out of that step.
func agentHistory(t *testing.T, what, dir string, days, step time.Duration) *outlook.Tracker {
	t.Helper()
	start := time.Now().Add(-days)
	clk := emulator.NewManualClock(start)
	pl, err := portset.Platform(what, 400*physic.KiloHertz, []emulator.Option{emulator.WithClock(clk),
		emulator.WithInsertion(start.Add(-time.Hour)), emulator.WithUpdateInterval(5 * time.Minute), emulator.WithFreezeDelay(0)})
	if err != nil {
		t.Fatal(err)
	}
	pagers := map[string]*i2c.Pager{}
	readers := map[string]*modread.Reader{}
	for _, p := range pl.Ports() {
		if pagers[p.Bus] == nil {
			pagers[p.Bus] = i2c.NewPager(pl.Buses()[p.Bus], i2c.PagerOptions{})
		}
		readers[p.Name] = modread.New(pagers[p.Bus].Module(uint8(p.Address)), modread.Options{})
	}
	tr := outlook.New()
	ctx := context.Background()
	read := func(r *modread.Reader) *cmis.Module {
		if r.Layout() == nil {
			if _, err := r.ReadStatic(ctx); !modread.Decoded(err) {
				return nil
			}
		}
		m := new(cmis.Module)
		snap, err := r.ReadFast(ctx, m)
		if !modread.Decoded(err) {
			r.Forget()
			return nil
		}
		if err := r.ReadVDM(ctx, r.Layout(), snap, m); !modread.Decoded(err) {
			return m
		}
		return m
	}
	for ; clk.Now().Before(time.Now().Add(-time.Hour)); clk.Advance(step) {
		for _, p := range pl.Ports() {
			if m := read(readers[p.Name]); m != nil {
				tr.Observe(p.Name, clk.Now(), m)
			}
		}
	}
	if err := tr.SaveFile(filepath.Join(dir, outlook.FileName), time.Now()); err != nil {
		t.Fatal(err)
	}
	return tr
}

// ddm dump shows the agent's forecasts of the ports it reads, from the
// history in the state folder: a trend for every lane and quantity and
// the lane's score in its cohort, in text and in JSON; without a history
// it shows none.
func TestDumpShowsForecasts(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runDDM(t, "", "dump", "--emulate", "osfp-800g-dr8", "--state-dir", dir)
	if code != 0 || strings.Contains(out, "Forecasts") {
		t.Fatalf("without a history: exit %d, forecasts shown:\n%s\n%s", code, out, errs)
	}
	agentHistory(t, "osfp-800g-dr8", dir, 4*24*time.Hour, time.Hour)

	code, out, errs = runDDM(t, "", "dump", "--emulate", "osfp-800g-dr8", "--state-dir", dir)
	if code != 0 || !strings.Contains(out, "Forecasts (the agent's history)") || !strings.Contains(out, "rx_power_mw") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runDDM(t, "", "dump", "--emulate", "osfp-800g-dr8", "--state-dir", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var obj struct {
		Forecasts []forecastJSON `json:"forecasts"`
	}
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatal(err)
	}
	trends, scores := map[string]bool{}, 0
	for _, f := range obj.Forecasts {
		if f.TrendPerDay != nil && f.Lane > 0 {
			trends[f.Quantity+" "+string(rune('0'+f.Lane))] = true
		}
		if f.CohortZ != nil {
			scores++
		}
		if f.Days != nil {
			t.Errorf("a crossing forecast on a healthy module: %+v", f)
		}
	}
	// 8 lanes × Tx bias, Tx and Rx power, pre-FEC BER; the lanes of the
	// module are each other's cohort.
	if len(trends) != 32 || scores != 32 {
		t.Errorf("%d lane trends, %d cohort scores, want 32 each:\n%s", len(trends), scores, out)
	}
}

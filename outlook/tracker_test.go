package outlook

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/forecast"
)

// A lane whose Rx sinks gets a falling Rx trend and its pre-FEC BER a
// crossing of the KP4 limit, with an interval around it; the healthy
// lanes of the same module get trends and no crossing; every point names
// its lane and quantity.
func TestUpdateForecastsADecliningLane(t *testing.T) {
	e := newEmulated(t, "osfp-800g-dr8", emulator.WithDegradations(emulator.Degradation{Kind: emulator.RxFade, Lane: 3, Rate: 0.5 / 24}))
	tr := New()
	m := e.run(t, tr, "Ethernet1/1", 6*day, time.Hour)
	r := tr.Update("sw1", e.clk.Now())

	var kp4, rxLow *exporter.Forecast
	trends := map[int]bool{}
	for i, f := range r.Forecasts {
		if f.Lane != 3 && f.Limit != "" {
			t.Errorf("healthy lane %d: %s crossing %s in %.1f days", f.Lane, f.Quantity, f.Limit, f.Days)
		}
		switch {
		case f.Quantity == cmis.QRxPower:
			trends[f.Lane] = true
			if f.Lane == 3 && !(f.TrendPerDay < 0) {
				t.Errorf("lane 3 Rx trend %+.3g mW/day, want falling", f.TrendPerDay)
			}
			if f.Lane == 3 && f.Limit == "low_warning" {
				rxLow = &r.Forecasts[i]
			}
		case f.Quantity == QPreFECBER && f.Lane == 3 && f.Limit == "kp4_limit":
			kp4 = &r.Forecasts[i]
		}
	}
	if len(trends) != 8 {
		t.Errorf("Rx trends for %d lanes, want every one of 8", len(trends))
	}
	if kp4 == nil {
		t.Fatalf("no KP4 crossing of lane 3's pre-FEC BER: %+v", r.Forecasts)
	}
	if !(kp4.Days > 0 && kp4.DaysLow <= kp4.Days && kp4.Days <= kp4.DaysHigh) || kp4.TrendPerDay < 0.2 {
		t.Errorf("KP4 in %.1f days [%.1f, %.1f] at %+.2f decades/day", kp4.Days, kp4.DaysLow, kp4.DaysHigh, kp4.TrendPerDay)
	}
	// The Rx fades 0.5 dB a day (a dirty connector): straight in dB, a
	// levelling curve in mW. Its low-warning crossing is forecast within
	// 20 % of the truth, and the trend is the mW per day at today's level.
	rx := *m.Lanes[2].RxPowerMW
	if rxLow == nil {
		t.Fatalf("no low-warning crossing of lane 3's fading Rx (%.3f mW)", rx)
	}
	truth := 10 * math.Log10(rx/rxLow.Threshold) / 0.5
	if e := math.Abs(rxLow.Days-truth) / truth; e > 0.2 {
		t.Errorf("lane 3 Rx low warning in %.1f days, truth %.1f (error %.0f %%)", rxLow.Days, truth, 100*e)
	}
	if want := -rx * math.Ln10 / 10 * 0.5; math.Abs(rxLow.TrendPerDay-want) > 0.3*math.Abs(want) {
		t.Errorf("lane 3 Rx trend %+.4f mW/day, want about %+.4f", rxLow.TrendPerDay, want)
	}
	o := r.Outlooks["Ethernet1/1"]
	if o == nil || len(o.Crossings) == 0 || o.Crossings[0].Lane != 3 {
		t.Errorf("outlook %+v", o)
	}
	for _, p := range r.Points() {
		if p.Tag("port") != "Ethernet1/1" || p.Tag("quantity") == "" || p.NonFinite != 0 {
			t.Errorf("point %+v", p)
		}
	}
}

// Four modules of one part number: the one whose lane 2 is 3 dB low
// scores far out of the cohort on that lane, the others do not.
func TestCohortScores(t *testing.T) {
	tr := New()
	var now time.Time
	for i, port := range []string{"Ethernet1/1", "Ethernet1/2", "Ethernet1/3", "Ethernet1/4"} {
		opts := []emulator.Option{emulator.WithSeed(uint64(i + 1)), emulator.WithSerial("SN" + port[len(port)-1:])}
		if i == 2 {
			opts = append(opts, emulator.WithDegradations(emulator.Degradation{Kind: emulator.RxFade, Lane: 2, Rate: 3, Duration: time.Hour}))
		}
		e := newEmulated(t, "osfp-800g-dr8", opts...)
		e.run(t, tr, port, 4*time.Hour, time.Hour)
		now = e.clk.Now()
	}
	r := tr.Update("sw1", now)
	worst, worstPort, worstLane := 0.0, "", 0
	n := 0
	for _, s := range r.Scores {
		if s.Quantity != cmis.QRxPower {
			continue
		}
		n++
		if s.Peers != 32 {
			t.Errorf("%s lane %d: %d peers, want 32 lanes", s.Port, s.Lane, s.Peers)
		}
		if math.Abs(s.Z) > math.Abs(worst) {
			worst, worstPort, worstLane = s.Z, s.Port, s.Lane
		}
	}
	if n != 32 || worstPort != "Ethernet1/3" || worstLane != 2 || worst > -4 {
		t.Errorf("%d scores; worst %s lane %d z %.1f, want Ethernet1/3 lane 2 below -4", n, worstPort, worstLane, worst)
	}
	if sc := r.Outlooks["Ethernet1/3"].Scores; len(sc) == 0 {
		t.Error("no scores in the outlook")
	}
}

// The history survives a save and load (a restart), a module swapped for
// another starts afresh, and a damaged file is an error that names it.
func TestSaveLoadAndSwap(t *testing.T) {
	e := newEmulated(t, "osfp-800g-dr8", emulator.WithSerial("SN-A"))
	tr := New()
	e.run(t, tr, "Ethernet1/1", 3*day, time.Hour)
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := tr.SaveFile(path, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	back := New()
	if w, err := back.LoadFile(path); err != nil || len(w) != 0 {
		t.Fatalf("load: %v %v", w, err)
	}
	k := Key{3, cmis.QRxPower}
	a, b := tr.ports["Ethernet1/1"].series[k], back.ports["Ethernet1/1"].series[k]
	if b == nil || a.Len() != b.Len() || a.Buckets[a.Len()-1] != b.Buckets[b.Len()-1] {
		t.Fatalf("history not restored: %v vs %v", a, b)
	}
	if back.ports["Ethernet1/1"].Serial != "SN-A" {
		t.Errorf("identity not restored: %+v", back.ports["Ethernet1/1"].identity)
	}

	// Another module in the cage: its history starts empty.
	other := newEmulated(t, "osfp-800g-dr8", emulator.WithSerial("SN-B"))
	back.Observe("Ethernet1/1", other.clk.Now().Add(3*day), other.read(t))
	if n := back.ports["Ethernet1/1"].series[k].Len(); n != 1 {
		t.Errorf("after a swap the lane has %d buckets, want 1", n)
	}

	// A missing file is a first run; a damaged one an error naming it.
	if w, err := New().LoadFile(filepath.Join(dir, "none")); err != nil || w != nil {
		t.Errorf("missing file: %v %v", w, err)
	}
	raw, _ := os.ReadFile(path)
	os.WriteFile(path, raw[:len(raw)/2], 0o600)
	if _, err := New().LoadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("truncated file: %v", err)
	}
}

// A series that fails its checks is dropped with a warning that names it;
// the others load.
func TestLoadDropsBadSeries(t *testing.T) {
	text := `{"version":1,"ports":[{"port":"p1","series":[
	 {"lane":1,"quantity":"rx_power_mw","history":{"scale":0,"bucket_s":7200,"max_buckets":336,"buckets":[{"t":7201,"n":1,"sum":1,"min":1,"max":1}]}},
	 {"lane":2,"quantity":"pre_fec_ber","history":{"scale":0,"bucket_s":7200,"max_buckets":336,"buckets":[]}},
	 {"lane":3,"quantity":"rx_power_mw","history":{"scale":0,"bucket_s":7200,"max_buckets":336,"buckets":[{"t":7200,"n":1,"sum":1,"min":1,"max":1}]}}]}]}`
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(text))
	zw.Close()
	tr := New()
	w, err := tr.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 2 || !strings.Contains(w[0], "port p1 lane 1 rx_power_mw") || !strings.Contains(w[1], "lane 2 pre_fec_ber: scale 0, want 1") {
		t.Errorf("warnings %q", w)
	}
	if len(tr.ports["p1"].series) != 1 {
		t.Errorf("series kept: %v", tr.ports["p1"].series)
	}
	// Lane 3's Rx was saved in mW by an older ddm: it now holds dBm
	// (1 mW is 0 dBm).
	if h := tr.ports["p1"].series[Key{3, cmis.QRxPower}]; h == nil || h.Scale != forecast.DB || h.Buckets[0].Value() != 0 {
		t.Errorf("mW history not carried over to dB: %+v", h)
	}
}

// Reads keep coming while a cycle fits and a save encodes (go test -race).
func TestObserveDuringUpdateAndSave(t *testing.T) {
	e := newEmulated(t, "osfp-800g-dr8")
	tr := New()
	e.run(t, tr, "Ethernet1/1", 3*day, 2*time.Hour)
	m := e.read(t)
	at := e.clk.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			tr.Observe("Ethernet1/1", at.Add(time.Duration(i)*time.Second), m)
			tr.Observe("Ethernet1/2", at.Add(time.Duration(i)*time.Second), m)
		}
	}()
	for i := 0; i < 5; i++ {
		tr.Update("sw1", at)
		if err := tr.Save(io.Discard, at); err != nil {
			t.Fatal(err)
		}
		tr.Diagnose("Ethernet1/1", 1)
	}
	<-done
	if r := tr.Update("sw1", at.Add(time.Hour)); len(r.Outlooks) != 2 {
		t.Errorf("outlooks %v", r.Outlooks)
	}
}

package alarm

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

const berRule = `version: 1
rules:
  - name: ber
    metric: vdm.pre_fec_ber_media
    above: 1e-4
    clear: 5e-5
    for: 5m
    severity: major
    labels: {component: fec}
    summary: '{{.Port}} lane {{.Lane}}: pre-FEC BER {{printf "%.1e" .Value}} above {{printf "%.0e" .Threshold}}'
`

// A BER ramp through the threshold fires once, `for` after it crossed, and
// resolves once, when it is back under the clear threshold.
func TestBERRampFiresOnceClearsOnce(t *testing.T) {
	e := engine(t, berRule)
	m := osfp("740-174932", "SN1")
	const step = 10 * time.Second
	ber := func(d time.Duration) float64 {
		min := d.Minutes()
		switch {
		case min < 30: // 1e-6 to 3e-4, log-linear
			return 1e-6 * math.Pow(300, min/30)
		case min < 90:
			return 3e-4
		case min < 120:
			return 3e-4 * math.Pow(1.0/300, (min-90)/30)
		}
		return 1e-6
	}
	var got []Event
	var crossed, wantFire, wantClear time.Time
	for d := time.Duration(0); d <= 3*time.Hour; d += step {
		now := t0.Add(d)
		v := ber(d)
		setVDM(m, "pre_fec_ber_media", 3, v)
		if v > 1e-4 && crossed.IsZero() {
			crossed = now
		}
		if !crossed.IsZero() && wantFire.IsZero() && now.Sub(crossed) >= 5*time.Minute {
			wantFire = now
		}
		if !wantFire.IsZero() && wantClear.IsZero() && d > 90*time.Minute && v <= 5e-5 {
			wantClear = now
		}
		got = append(got, e.Evaluate("Ethernet40", now, m, true)...)
	}
	if len(got) != 2 {
		t.Fatalf("events %v, want one firing and one resolved", brief(got))
	}
	f, r := got[0], got[1]
	if f.State != Firing || !f.Time.Equal(wantFire) || f.Lane != 3 || f.Port != "Ethernet40" || f.Severity != Major {
		t.Errorf("firing event %+v, want lane 3 at %v", f, wantFire.Sub(t0))
	}
	if f.Threshold != 1e-4 || f.Value <= 1e-4 || f.Metric != "vdm.pre_fec_ber_media" || f.Observable != "pre_fec_ber_media" {
		t.Errorf("firing event value %g threshold %g metric %s", f.Value, f.Threshold, f.Metric)
	}
	if want := fmt.Sprintf("Ethernet40 lane 3: pre-FEC BER %.1e above 1e-04", f.Value); f.Summary != want {
		t.Errorf("summary %q", f.Summary)
	}
	if f.Labels["component"] != "fec" || f.Labels["host"] != "sw1" {
		t.Errorf("labels %v", f.Labels)
	}
	if r.State != Resolved || !r.Time.Equal(wantClear) || r.Value > 5e-5 || !r.Since.Equal(wantFire) {
		t.Errorf("resolved event %+v, want at %v", r, wantClear.Sub(t0))
	}
	if a := e.Active(); len(a) != 0 {
		t.Errorf("active after clear: %v", brief(a))
	}
}

// A value that wobbles around its threshold does not flap.
func TestWobbleDoesNotFlap(t *testing.T) {
	const step = 10 * time.Second
	hold := func(v float64, d time.Duration) []float64 {
		out := make([]float64, int(d/step))
		for i := range out {
			out[i] = v
		}
		return out
	}
	wobble := func(a, b float64, d time.Duration) []float64 {
		out := make([]float64, int(d/step))
		for i := range out {
			out[i] = a
			if i%2 == 1 {
				out[i] = b
			}
		}
		return out
	}
	cat := func(parts ...[]float64) []float64 {
		var out []float64
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	const ev = " ber lane 1 pre_fec_ber_media"
	for _, tc := range []struct {
		name   string
		rules  string
		values []float64
		want   []string
	}{
		{"across the threshold before firing: pending restarts, never fires", berRule,
			wobble(1.2e-4, 0.8e-4, time.Hour), nil},
		{"between clear and fire thresholds while firing: stays firing", berRule,
			cat(hold(2e-4, 10*time.Minute), wobble(1.2e-4, 0.8e-4, time.Hour), hold(1e-6, time.Minute)),
			[]string{"5m0s firing" + ev, "1h10m0s resolved" + ev}},
		{"dips under clear shorter than clear_for: stays firing",
			strings.Replace(berRule, "for: 5m", "for: 5m\n    clear_for: 1m", 1),
			cat(hold(2e-4, 10*time.Minute), wobble(2e-4, 1e-6, 30*time.Minute), hold(1e-6, 2*time.Minute)),
			[]string{"5m0s firing" + ev, "40m50s resolved" + ev}}, // the last dip starts at 39m50s
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := engine(t, tc.rules)
			m := osfp("740-174932", "SN1")
			var got []Event
			for i, v := range tc.values {
				setVDM(m, "pre_fec_ber_media", 1, v)
				got = append(got, e.Evaluate("p", t0.Add(time.Duration(i)*step), m, true)...)
			}
			if g := brief(got); !equalStrings(g, tc.want) {
				t.Errorf("events %v, want %v", g, tc.want)
			}
		})
	}

	// Control: without for and hysteresis the same wobble flaps, so the
	// cases above test something.
	e := engine(t, rule("name: ber", "metric: vdm.pre_fec_ber_media", "above: 1e-4", "severity: major"))
	m := osfp("740-174932", "SN1")
	n := 0
	for i, v := range cat(hold(2e-4, 10*time.Minute), wobble(1.2e-4, 0.8e-4, 10*time.Minute)) {
		setVDM(m, "pre_fec_ber_media", 1, v)
		n += len(e.Evaluate("p", t0.Add(time.Duration(i)*step), m, true))
	}
	if n < 30 {
		t.Errorf("control: %d events, want the wobble to flap", n)
	}
}

// Crossing the module's own thresholds fires with the module's threshold in
// the event, at the severity of the limit, and clears past the hysteresis.
func TestModuleThresholds(t *testing.T) {
	rules := rule("name: mt", "builtin: module_thresholds", "severity: {alarm: critical, warning: warning}", "for: 0s")
	type want struct {
		obs, limit string
		lane       int
		sev        Severity
		thr        float64
	}
	for _, tc := range []struct {
		name string
		set  func(m *cmis.Module)
		want []want
	}{
		{"temperature past high warning", func(m *cmis.Module) { m.TemperatureC = f64(74) },
			[]want{{"temperature_c", "high_warning", 0, Warning, 73}}},
		{"temperature past high alarm", func(m *cmis.Module) { m.TemperatureC = f64(77) },
			[]want{{"temperature_c", "high_alarm", 0, Critical, 76}, {"temperature_c", "high_warning", 0, Warning, 73}}},
		{"rx power under low alarm on lane 5", func(m *cmis.Module) { setLane(m, 5, 70, 1.5, 0.1) },
			[]want{{"rx_power_mw", "low_alarm", 5, Critical, 0.1288}, {"rx_power_mw", "low_warning", 5, Warning, 0.1819}}},
		{"vcc past high warning", func(m *cmis.Module) { m.VccV = f64(3.65) },
			[]want{{"vcc_v", "high_warning", 0, Warning, 3.6}}},
		{"tx bias under low warning on lane 8", func(m *cmis.Module) { setLane(m, 8, 12, 1.5, 1.7) },
			[]want{{"tx_bias_ma", "low_warning", 8, Warning, 15}}},
		{"healthy", func(m *cmis.Module) {}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := engine(t, rules)
			m := osfp("740-174932", "SN1")
			tc.set(m)
			got := e.Evaluate("p", t0, m, true)
			sortEvents(got)
			if len(got) != len(tc.want) {
				t.Fatalf("events %v, want %d", brief(got), len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Observable != w.obs || g.Limit != w.limit || g.Lane != w.lane || g.Severity != w.sev || g.Threshold != w.thr || g.State != Firing {
					t.Errorf("event %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}

	// Hysteresis: the gap between warning (73) and alarm (76) is 3 °C; with
	// hysteresis_gap 0.5 the alarm clears at 74.5 and the warning at 71.5.
	e := engine(t, rules)
	m := osfp("740-174932", "SN1")
	var got []Event
	for i, temp := range []float64{77, 75.9, 76.5, 74.6, 74.4, 72, 74, 71.4} {
		m.TemperatureC = f64(temp)
		got = append(got, e.Evaluate("p", t0.Add(time.Duration(i)*time.Minute), m, true)...)
	}
	wantEv := []string{
		"0s firing mt temperature_c high_alarm", "0s firing mt temperature_c high_warning",
		"4m0s resolved mt temperature_c high_alarm", "7m0s resolved mt temperature_c high_warning",
	}
	if g := brief(got); !equalStrings(g, wantEv) {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(g, "\n"), strings.Join(wantEv, "\n"))
	}
}

// VDM threshold sets work like page 02h thresholds.
func TestVDMThresholds(t *testing.T) {
	e := engine(t, rule("name: vt", "builtin: vdm_thresholds", "only: [pre_fec_ber_media]", "severity: {alarm: major, warning: minor}", "for: 0s"))
	m := osfp("740-174932", "SN1")
	setVDM(m, "pre_fec_ber_media", 6, 5e-5)
	setVDM(m, "pre_fec_ber_avg_media", 6, 5e-5) // not in only:
	got := e.Evaluate("p", t0, m, true)
	if len(got) != 1 || got[0].Lane != 6 || got[0].Limit != "high_warning" || got[0].Threshold != 1e-5 || got[0].Severity != Minor ||
		got[0].Metric != "vdm.pre_fec_ber_media" {
		t.Errorf("events %+v", got)
	}
}

// A module decoded from a real dump: push a lane below its page 02h
// threshold and the event carries that threshold.
func TestModuleThresholdsOnVector(t *testing.T) {
	m := decodeVector(t)
	e := NewEngine(mustParse(t, string(DefaultRules())), Options{})
	// Healthy: the default rules say nothing about this module, in an hour.
	for i := 0; i < 360; i++ {
		if ev := e.Evaluate("et-0/0/40", t0.Add(time.Duration(i)*10*time.Second), m, true); len(ev) > 0 {
			t.Fatalf("healthy vector raised %v", brief(ev))
		}
	}
	th, ok := m.Thresholds[cmis.QRxPower]
	if !ok || math.Abs(th.LowAlarm-0.1288) > 1e-4 || math.Abs(th.LowWarning-0.1819) > 1e-4 {
		t.Fatalf("vector Rx power thresholds %+v", th)
	}
	m.Lanes[2].RxPowerMW = f64(0.1)
	m.Lanes[2].RxPowerDBM = f64(-10)
	var got []Event
	for i := 360; i < 400; i++ {
		got = append(got, e.Evaluate("et-0/0/40", t0.Add(time.Duration(i)*10*time.Second), m, true)...)
	}
	byRule := map[string]Event{}
	for _, ev := range got {
		byRule[ev.Rule+" "+ev.Limit] = ev
	}
	a, ok := byRule["module_thresholds low_alarm"]
	if !ok || a.Threshold != th.LowAlarm || a.Value != 0.1 || a.Lane != 3 || a.Severity != Critical || a.Metric != "lane.rx_power_mw" {
		t.Errorf("low alarm event %+v (events %v)", a, brief(got))
	}
	if w, ok := byRule["module_thresholds low_warning"]; !ok || w.Threshold != th.LowWarning || w.Severity != Warning {
		t.Errorf("low warning event %+v", w)
	}
	// -10 dBm is also under -8 dBm for DR optics and under the margin.
	for _, r := range []string{"rx_power_low_dr ", "rx_power_margin "} {
		if ev, ok := byRule[r]; !ok || ev.Lane != 3 {
			t.Errorf("no %s event: %v", r, brief(got))
		}
	}
	if ev := byRule["rx_power_low_dr "]; !strings.Contains(ev.Summary, "740-174932") {
		t.Errorf("summary %q does not name the part", ev.Summary)
	}
}

// A module that is removed fires its absence rule after for and resolves
// when it returns; its own alarms resolve at removal; a cage that never
// held a module does not alarm.
func TestModuleAbsent(t *testing.T) {
	e := engine(t, `version: 1
rules:
  - name: gone
    module_absent: 5m
    severity: major
  - name: hot
    metric: module.temperature_c
    above: 70
    severity: major
`)
	m := osfp("740-174932", "SN1")
	m.TemperatureC = f64(75)
	var got []Event
	for d := time.Duration(0); d < 30*time.Minute; d += 10 * time.Second {
		present := d < 10*time.Minute || d >= 20*time.Minute
		got = append(got, e.Evaluate("p1", t0.Add(d), m, present)...)
		got = append(got, e.Evaluate("empty", t0.Add(d), nil, false)...)
	}
	want := []string{"0s firing hot", "10m0s resolved hot", "15m0s firing gone", "20m0s resolved gone", "20m0s firing hot"}
	if g := brief(got); !equalStrings(g, want) {
		t.Errorf("events %v, want %v", g, want)
	}
	if got[2].Value != 300 || got[2].Threshold != 300 || got[2].Summary != "p1: module absent" {
		t.Errorf("absence event %+v", got[2])
	}
}

// A restart while alarms fire does not fire them again.
func TestRestartKeepsFiring(t *testing.T) {
	rules := berRule + `  - name: gone
    module_absent: 5m
    severity: major
`
	e1 := engine(t, rules)
	m := osfp("740-174932", "SN1")
	hot := osfp("740-174932", "SN2")
	setVDM(hot, "pre_fec_ber_media", 2, 2e-4)
	var got []Event
	for d := time.Duration(0); d <= 10*time.Minute; d += 10 * time.Second {
		now := t0.Add(d)
		got = append(got, e1.Evaluate("p1", now, hot, true)...)            // BER firing from 5m
		got = append(got, e1.Evaluate("p2", now, m, d < 2*time.Minute)...) // absent from 2m, firing from 7m
		got = append(got, e1.Evaluate("p3", now, m, d < 8*time.Minute)...) // absent from 8m: pending
	}
	if want := []string{"5m0s firing ber lane 2 pre_fec_ber_media", "7m0s firing gone"}; !equalStrings(brief(got), want) {
		t.Fatalf("before restart: %v, want %v", brief(got), want)
	}
	var buf strings.Builder
	if err := e1.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"version": 1`) {
		t.Errorf("state has no version:\n%s", buf.String())
	}

	e2 := engine(t, rules)
	if err := e2.LoadState(strings.NewReader(buf.String())); err != nil {
		t.Fatal(err)
	}
	if a1, a2 := brief(e1.Active()), brief(e2.Active()); !equalStrings(a1, a2) || len(a2) != 2 {
		t.Errorf("active after load %v, before %v", a2, a1)
	}
	// One hour later the agent is back.
	restart := t0.Add(70 * time.Minute)
	got = nil
	for d := time.Duration(0); d <= 10*time.Minute; d += 10 * time.Second {
		now := restart.Add(d)
		if d >= 8*time.Minute {
			setVDM(hot, "pre_fec_ber_media", 2, 1e-6)
		}
		got = append(got, e2.Evaluate("p1", now, hot, true)...)
		got = append(got, e2.Evaluate("p2", now, m, false)...)
		got = append(got, e2.Evaluate("p3", now, m, false)...)
	}
	// p1 is not fired again and resolves once; p2 stays firing; p3's
	// absence timer restarts at the first sample after the restart.
	want := []string{"1h15m0s firing gone", "1h18m0s resolved ber lane 2 pre_fec_ber_media"}
	if g := brief(got); !equalStrings(g, want) {
		t.Errorf("after restart: %v, want %v", g, want)
	}
	if got[1].Since != t0.Add(5*time.Minute) {
		t.Errorf("resolved alarm fired at %v, want the original 5m", got[1].Since.Sub(t0))
	}

	if err := engine(t, rules).LoadState(strings.NewReader(`{"version": 2, "ports": []}`)); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("version 2 state: %v", err)
	}
}

// lcg is a deterministic noise source in [-1, 1).
type lcg uint64

func (l *lcg) next() float64 {
	*l = *l*6364136223846793005 + 1442695040888963407
	return float64(uint64(*l)>>11)/float64(1<<52) - 1
}

// A 2 dB drop against the trailing 24 h median fires; noise, spikes and a
// 1.5 dB drop do not.
func TestBaselineDrop(t *testing.T) {
	e := engine(t, rule("name: drop", "metric: lane.rx_power_dbm", "baseline: {window: 24h, drop: 2}",
		"hysteresis: 0.5", "for: 10m", "severity: minor"))
	m := osfp("740-174932", "SN1")
	noise := lcg(1)
	var got []Event
	dropAt, backAt := 26*time.Hour, 27*time.Hour
	for d := time.Duration(0); d < 30*time.Hour; d += time.Minute {
		in := d >= dropAt && d < backAt
		for lane := 1; lane <= 4; lane++ {
			v := -3 + 0.4*noise.next() // lane 1: noise only
			switch {
			case lane == 2 && in:
				v = -5.5 + 0.2*noise.next()
			case lane == 3 && in:
				v = -4.5 + 0.2*noise.next()
			case lane == 4 && d%(30*time.Minute) == 0:
				v = -6 // one-sample spikes
			}
			setRxDBM(m, lane, v)
		}
		got = append(got, e.Evaluate("p", t0.Add(d), m, true)...)
	}
	want := []string{"26h10m0s firing drop lane 2", "27h0m0s resolved drop lane 2"}
	if g := brief(got); !equalStrings(g, want) {
		t.Errorf("events %v, want %v", g, want)
	}
	if len(got) > 0 && (got[0].Threshold > -4.9 || got[0].Threshold < -5.1) {
		t.Errorf("threshold %g, want about the -3 dBm median minus 2", got[0].Threshold)
	}
}

// Rate of change over 24 h, compared between per-interval medians.
func TestRateOfChange(t *testing.T) {
	e := engine(t, rule("name: bias", "metric: lane.tx_bias_ma", "rate: {above: 10, per: 24h, percent: true}",
		"hysteresis: 2", "for: 1h", "severity: minor"))
	m := osfp("740-174932", "SN1")
	noise := lcg(7)
	var got []Event
	for d := time.Duration(0); d < 72*time.Hour; d += 5 * time.Minute {
		h := d.Hours()
		setLane(m, 1, 50+0.5*noise.next(), 1.5, 1.7) // flat, noisy
		climb := 50.0
		if h > 30 {
			climb += 0.5 * (h - 30) // +24 %/day
		}
		setLane(m, 2, climb, 1.5, 1.7)
		setLane(m, 3, 50+h/24, 1.5, 1.7) // +2 %/day: ageing, not failure
		got = append(got, e.Evaluate("p", t0.Add(d), m, true)...)
	}
	if len(got) != 1 || got[0].Lane != 2 || got[0].State != Firing {
		t.Fatalf("events %v, want lane 2 firing once", brief(got))
	}
	// 10 % of 50 mA is 5 mA: 10 h into the climb, plus up to one 30 min
	// interval of lag, plus for.
	if at := got[0].Time.Sub(t0); at < 41*time.Hour || at > 42*time.Hour {
		t.Errorf("fired at %v, want between 41h and 42h", at)
	}
	if got[0].Value <= 10 || got[0].Threshold != 10 {
		t.Errorf("rate %g threshold %g", got[0].Value, got[0].Threshold)
	}
}

// Selectors by port glob, lane and part number (and the other identity
// fields).
func TestSelectors(t *testing.T) {
	ports := []struct{ name, pn string }{{"Ethernet1/1", "740-174932"}, {"Ethernet10", "740-000001"}, {"Ethernet2", "740-174932"}}
	for _, tc := range []struct {
		match string
		want  []string
	}{
		{`{port: "Ethernet1*", lane: [2, "4-5"], part_number: "740-17*"}`, []string{"Ethernet1/1 2", "Ethernet1/1 4", "Ethernet1/1 5"}},
		{`{port: ["Ethernet1?", "Ethernet2"], lane: 8}`, []string{"Ethernet10 8", "Ethernet2 8"}},
		{`{part_number: "740-000001", lane: 1}`, []string{"Ethernet10 1"}},
		{`{port: "Ethernet[!1]*", lane: 1}`, []string{"Ethernet2 1"}},
		{`{identifier: QSFP-DD}`, nil},
		{`{vendor: "JUNIPER*", media_interface: "800GBASE-DR8", port: Ethernet2, lane: 3}`, []string{"Ethernet2 3"}},
		{`{media_interface: "*FR4*"}`, nil},
	} {
		t.Run(tc.match, func(t *testing.T) {
			e := engine(t, rule("name: low", "metric: lane.rx_power_dbm", "match: "+tc.match, "below: -8", "for: 0s", "severity: major"))
			var got []string
			for _, p := range ports {
				m := osfp(p.pn, "SN-"+p.name)
				for lane := 1; lane <= 8; lane++ {
					setRxDBM(m, lane, -10)
				}
				for _, ev := range e.Evaluate(p.name, t0, m, true) {
					got = append(got, ev.Port+" "+string(rune('0'+ev.Lane)))
				}
			}
			if !equalStrings(got, tc.want) {
				t.Errorf("fired %v, want %v", got, tc.want)
			}
		})
	}
}

// The module's latched flags fire while set and resolve after clear_for.
func TestLatchedFlags(t *testing.T) {
	e := engine(t, rule("name: flags", "builtin: latched_flags", "for: 0s", "clear_for: 1m"))
	m := osfp("740-174932", "SN1")
	var got []Event
	for d := time.Duration(0); d < 5*time.Minute; d += 10 * time.Second {
		m.Lanes[1].Flags, m.Flags = 0, 0
		if d <= 30*time.Second {
			m.Lanes[1].Flags = cmis.RxLOS | cmis.DataPathStateChanged // informational flag ignored
		}
		if d == 2*time.Minute {
			m.Flags = cmis.TempHighAlarm
		}
		got = append(got, e.Evaluate("p", t0.Add(d), m, true)...)
	}
	want := []string{"0s firing flags lane 2 rx_los", "1m40s resolved flags lane 2 rx_los",
		"2m0s firing flags temperature_high_alarm", "3m10s resolved flags temperature_high_alarm"}
	if g := brief(got); !equalStrings(g, want) {
		t.Errorf("events %v, want %v", g, want)
	}
	if got[0].Severity != Major || got[2].Severity != Critical || got[0].Metric != "lane.flags" {
		t.Errorf("severities %v %v metric %s", got[0].Severity, got[2].Severity, got[0].Metric)
	}
}

// No data for D fires absent rules for series seen before.
func TestAbsentData(t *testing.T) {
	e := engine(t, rule("name: stale", "metric: vdm.pre_fec_ber_media", "match: {lane: 1}", "absent: 5m", "severity: warning"))
	m := osfp("740-174932", "SN1")
	vdm := m.VDM
	var got []Event
	for d := time.Duration(0); d < 30*time.Minute; d += 10 * time.Second {
		m.VDM = nil // fast samples carry no VDM
		if d%time.Minute == 0 && (d < 10*time.Minute || d >= 20*time.Minute) {
			m.VDM = vdm
		}
		got = append(got, e.Evaluate("p", t0.Add(d), m, true)...)
	}
	want := []string{"14m0s firing stale lane 1 pre_fec_ber_media", "20m0s resolved stale lane 1 pre_fec_ber_media"}
	if g := brief(got); !equalStrings(g, want) {
		t.Errorf("events %v, want %v", g, want)
	}
}

// A lane whose data path goes down resolves its alarms; a different module
// in the cage resolves the old module's.
func TestLaneDownAndModuleSwap(t *testing.T) {
	e := engine(t, rule("name: low", "metric: lane.rx_power_dbm", "below: -8", "for: 0s", "severity: major"))
	m := osfp("740-174932", "SN1")
	setRxDBM(m, 1, -10)
	setRxDBM(m, 2, -10)
	got := e.Evaluate("p", t0, m, true)
	m.Lanes[0].DataPathState = "DPDeactivated"
	got = append(got, e.Evaluate("p", t0.Add(time.Second), m, true)...)
	m2 := osfp("740-174932", "SN2")
	got = append(got, e.Evaluate("p", t0.Add(2*time.Second), m2, true)...)
	want := []string{"0s firing low lane 1", "0s firing low lane 2", "1s resolved low lane 1", "2s resolved low lane 2"}
	if g := brief(got); !equalStrings(g, want) {
		t.Errorf("events %v, want %v", g, want)
	}
}

func TestDefaultRulesFile(t *testing.T) {
	if errs := Check("default-rules.yaml", DefaultRules()); len(errs) > 0 {
		t.Fatalf("default rules: %v", errs)
	}
	rs := mustParse(t, string(DefaultRules()))
	names := map[string]bool{}
	for _, r := range rs.Rules {
		names[r.Name] = true
		s, ok := r.Series()
		if ok != (r.Builtin == "" && r.ModuleAbsent == 0) {
			t.Errorf("%s: series %v %v", r.Name, s, ok)
		}
		if ok && !strings.HasPrefix(s.Measurement, "xcvr_") {
			t.Errorf("%s: measurement %s", r.Name, s.Measurement)
		}
	}
	for _, n := range []string{"module_thresholds", "vdm_thresholds", "latched_faults", "pre_fec_ber_warning", "pre_fec_ber_major",
		"pre_fec_ber_critical", "rx_power_margin", "rx_power_low_dr", "rx_power_drop", "module_temperature_high",
		"laser_temperature_drift", "tx_bias_growth", "errored_frames", "module_absent"} {
		if !names[n] {
			t.Errorf("default rules lack %s", n)
		}
	}
	if r := rs.Lookup("pre_fec_ber_critical"); r == nil || r.Above.Value != 2e-4 || r.Severity != Critical {
		t.Errorf("pre_fec_ber_critical %+v", r)
	}
}

// Ports are evaluated in parallel (one worker per bus) while Active and
// SaveState run; go test -race checks the locking.
func TestConcurrentPorts(t *testing.T) {
	e := NewEngine(mustParse(t, string(DefaultRules())), Options{})
	done := make(chan bool)
	for w := 0; w < 4; w++ {
		go func() {
			m := osfp("740-174932", "SN1")
			setRxDBM(m, 2, -12)
			for i := 0; i < 300; i++ {
				port := "Ethernet" + string(rune('0'+w))
				e.Evaluate(port, t0.Add(time.Duration(i)*time.Second), m, i < 100 || i >= 150)
			}
			done <- true
		}()
	}
	for i := 0; i < 20; i++ {
		_ = e.Active()
		var b strings.Builder
		if err := e.SaveState(&b); err != nil {
			t.Error(err)
		}
	}
	for w := 0; w < 4; w++ {
		<-done
	}
	if len(e.Active()) == 0 {
		t.Error("nothing firing")
	}
}

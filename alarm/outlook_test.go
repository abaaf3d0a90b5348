package alarm

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Forecast and cohort rules: every problem names its line.
func TestOutlookRuleErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		line int
		msg  string
	}{
		{"unknown quantity", rule("name: r", "forecast: {quantity: rx_pwr, within: 14d}", "severity: major"),
			4, `forecast.quantity: unknown quantity "rx_pwr"`},
		{"no within", rule("name: r", "forecast: {quantity: rx_power}", "severity: major"),
			4, "forecast: give within:"},
		{"zero within", rule("name: r", "forecast:", "  quantity: rx_power", "  within: 0d", "severity: major"),
			6, "forecast.within: want a positive duration"},
		{"negative within", rule("name: r", "forecast: {quantity: rx_power, within: -3d}", "severity: major"),
			4, "forecast.within: -3d is negative"},
		{"bad threshold class", rule("name: r", "forecast:", "  quantity: tx_bias", "  within: 7d", "  threshold: high_alarm", "severity: major"),
			7, `forecast.threshold "high_alarm": want warning or alarm`},
		{"unknown forecast key", rule("name: r", "forecast: {quantity: rx_power, within: 7d, horizon: 3d}", "severity: major"),
			4, `unknown key "horizon" in forecast (quantity, within, threshold)`},
		{"condition on a forecast", rule("name: r", "forecast: {quantity: rx_power, within: 7d}", "below: -8", "severity: major"),
			5, "below has no meaning in a forecast rule"},
		{"hysteresis on a forecast", rule("name: r", "forecast: {quantity: rx_power, within: 7d}", "hysteresis: 1", "severity: major"),
			5, "hysteresis has no meaning in a forecast rule (it clears when"},
		{"forecast and metric", rule("name: r", "metric: lane.rx_power_dbm", "forecast: {quantity: rx_power, within: 7d}", "severity: major"),
			3, "metric, builtin, module_absent, forecast and cohort exclude each other"},
		{"lane on a module quantity", rule("name: r", "forecast: {quantity: temperature, within: 7d}", "match: {lane: 1}", "severity: major"),
			5, "bad selector: lane on module quantity temperature_c"},
		{"forecast without severity", rule("name: r", "forecast: {quantity: rx_power, within: 7d}"),
			3, `rule "r" has no severity`},
		{"cohort without z", rule("name: r", "cohort: {quantity: rx_power}", "severity: minor"),
			4, "cohort: give z:"},
		{"cohort negative z", rule("name: r", "cohort:", "  quantity: rx_power", "  z: -4", "severity: minor"),
			6, "cohort.z -4: want a positive robust z-score limit"},
		{"cohort z not a number", rule("name: r", "cohort: {quantity: rx_power, z: high}", "severity: minor"),
			4, `cohort.z: want a number, got "high"`},
		{"cohort hysteresis too wide", rule("name: r", "cohort: {quantity: rx_power, z: 4}", "hysteresis: 4", "severity: minor"),
			5, "impossible hysteresis: 4 is not less than z 4"},
		{"cohort with clear", rule("name: r", "cohort: {quantity: rx_power, z: 4}", "clear: 3", "severity: minor"),
			5, "clear has no meaning in a cohort rule"},
		{"no kind names the new ones", rule("name: r", "severity: minor"),
			3, "needs metric:, builtin:, module_absent:, forecast: or cohort:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tc.text))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error\n%s", err, err, tc.text)
			}
			if e.Line != tc.line || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("got %q (line %d), want line %d and %q\n%s", e.Error(), e.Line, tc.line, tc.msg, tc.text)
			}
		})
	}
}

func TestOutlookRuleParse(t *testing.T) {
	rs := mustParse(t, `version: 1
rules:
  - name: rx_at_risk
    forecast: {quantity: rx_power, within: 14d}
    severity: major
  - name: bias_alarm_soon
    forecast: {quantity: tx_bias_ma, within: 3d, threshold: alarm}
    severity: critical
  - name: rx_outlier
    cohort: {quantity: rx_power_mw, z: 4}
    hysteresis: 1
    severity: minor
`)
	f := rs.Lookup("rx_at_risk").Forecast
	if f == nil || f.Quantity != "rx_power_mw" || f.Within != 14*24*time.Hour || f.Threshold != "" {
		t.Errorf("rx_at_risk: %+v", f)
	}
	if got := rs.Lookup("bias_alarm_soon").Condition(); got != "tx_bias_ma forecast to reach its alarm threshold within 72h" {
		t.Errorf("condition %q", got)
	}
	if c := rs.Lookup("rx_outlier"); c.Cohort == nil || c.Cohort.Z != 4 || c.Hysteresis != 1 || c.Local() {
		t.Errorf("rx_outlier: %+v local %v", c.Cohort, c.Local())
	}
}

const outlookRules = `version: 1
defaults: {for: 30m, clear_for: 30m}
rules:
  - name: rx_at_risk
    forecast: {quantity: rx_power, within: 14d}
    severity: major
  - name: rx_alarm_soon
    forecast: {quantity: rx_power, within: 3d, threshold: alarm}
    severity: critical
  - name: rx_outlier
    cohort: {quantity: rx_power, z: 4}
    hysteresis: 1
    severity: minor
`

// A forecast rule fires when a crossing comes within its window (after
// for), keeps one series per threshold, and resolves when the crossing
// moves out of the window or is no longer forecast.
func TestForecastRule(t *testing.T) {
	e := engine(t, outlookRules)
	m := osfp("740-174932", "SN1")
	var got []Event
	step := ForecastEvery
	for d := time.Duration(0); d <= 12*time.Hour; d += step {
		now := t0.Add(d)
		got = append(got, e.Evaluate("p1", now, m, true)...)
		var o Outlook
		switch {
		case d < 2*time.Hour: // 20 days away: nothing
			o.Crossings = []Crossing{{Lane: 3, Quantity: "rx_power_mw", Limit: "low_warning", Days: 20, DaysLow: 15, DaysHigh: 30}}
		case d < 6*time.Hour: // 10 days to the warning, 12 to the alarm
			o.Crossings = []Crossing{
				{Lane: 3, Quantity: "rx_power_mw", Limit: "low_warning", Days: 10, DaysLow: 8, DaysHigh: 13},
				{Lane: 3, Quantity: "rx_power_mw", Limit: "low_alarm", Days: 12, DaysLow: 9, DaysHigh: 16},
				{Lane: 3, Quantity: "tx_bias_ma", Limit: "high_warning", Days: 1},
			}
		case d < 9*time.Hour: // alarm 2 days away
			o.Crossings = []Crossing{
				{Lane: 3, Quantity: "rx_power_mw", Limit: "low_warning", Days: 1},
				{Lane: 3, Quantity: "rx_power_mw", Limit: "low_alarm", Days: 2},
			}
		default: // re-seated connector: no crossing forecast
		}
		got = append(got, e.EvaluateOutlook("p1", now, now, &o)...)
	}
	want := []string{
		"2h30m0s firing rx_at_risk lane 3 rx_power_mw low_warning",
		"2h30m0s firing rx_at_risk lane 3 rx_power_mw low_alarm",
		"6h30m0s firing rx_alarm_soon lane 3 rx_power_mw low_alarm",
		"9h30m0s resolved rx_at_risk lane 3 rx_power_mw low_warning",
		"9h30m0s resolved rx_at_risk lane 3 rx_power_mw low_alarm",
		"9h30m0s resolved rx_alarm_soon lane 3 rx_power_mw low_alarm",
	}
	if g := brief(got); !equalStrings(g, want) {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
	if len(got) > 2 && (got[2].Value != 2 || got[2].Threshold != 3 || got[2].Metric != "forecast.rx_power_mw") {
		t.Errorf("alarm-soon event: value %v threshold %v metric %s", got[2].Value, got[2].Threshold, got[2].Metric)
	}
}

// A cohort rule fires on |z| beyond its limit and clears inside the
// hysteresis; scores of other quantities and lanes outside the selector
// are ignored.
func TestCohortRule(t *testing.T) {
	e := engine(t, outlookRules)
	m := osfp("740-174932", "SN1")
	zs := []float64{1, 5, 4.5, 4.2, 3.5, 2.9, 2.9, 2.9, 2.9}
	var got []Event
	for i, z := range zs {
		now := t0.Add(time.Duration(i) * 20 * time.Minute)
		got = append(got, e.Evaluate("p1", now, m, true)...)
		o := Outlook{Scores: []Score{{Lane: 2, Quantity: "rx_power_mw", Z: -z}, {Lane: 5, Quantity: "tx_bias_ma", Z: 9}}}
		got = append(got, e.EvaluateOutlook("p1", now, now, &o)...)
	}
	want := []string{"1h0m0s firing rx_outlier lane 2 rx_power_mw", "2h20m0s resolved rx_outlier lane 2 rx_power_mw"}
	if g := brief(got); !equalStrings(g, want) {
		t.Errorf("events %v, want %v", g, want)
	}
	if len(got) == 0 || got[0].Threshold != -4 || got[0].Value != -4.2 {
		t.Errorf("firing event value %v threshold %v", got[0].Value, got[0].Threshold)
	}
}

// No outlook is evaluated for an empty cage, and the removed module's
// forecast alarms resolve with it.
func TestOutlookAbsentModule(t *testing.T) {
	e := engine(t, strings.ReplaceAll(outlookRules, "{for: 30m, clear_for: 30m}", "{}"))
	m := osfp("740-174932", "SN1")
	o := &Outlook{Crossings: []Crossing{{Lane: 1, Quantity: "rx_power_mw", Limit: "low_warning", Days: 1}}}
	if ev := e.EvaluateOutlook("never", t0, t0, o); ev != nil {
		t.Errorf("outlook of a port never seen: %v", brief(ev))
	}
	var got []Event
	got = append(got, e.Evaluate("p1", t0, m, true)...)
	got = append(got, e.EvaluateOutlook("p1", t0, t0, o)...)
	got = append(got, e.Evaluate("p1", t0.Add(time.Minute), nil, false)...)
	got = append(got, e.EvaluateOutlook("p1", t0.Add(time.Minute), t0.Add(time.Minute), o)...)
	want := []string{"0s firing rx_at_risk lane 1 rx_power_mw low_warning", "1m0s resolved rx_at_risk lane 1 rx_power_mw low_warning"}
	if g := brief(got); !equalStrings(g, want) {
		t.Errorf("events %v, want %v", g, want)
	}
}

// A firing forecast alarm survives a restart and resolves at the first
// outlook that no longer has its crossing.
func TestOutlookRestart(t *testing.T) {
	rules := strings.ReplaceAll(outlookRules, "{for: 30m, clear_for: 30m}", "{clear_for: 1h}")
	e1 := engine(t, rules)
	m := osfp("740-174932", "SN1")
	o := &Outlook{Crossings: []Crossing{{Lane: 4, Quantity: "rx_power_mw", Limit: "low_warning", Days: 5}}}
	e1.Evaluate("p1", t0, m, true)
	if ev := e1.EvaluateOutlook("p1", t0, t0, o); len(ev) != 1 {
		t.Fatalf("before restart: %v", brief(ev))
	}
	var buf strings.Builder
	if err := e1.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"kind": "forecast rx_power_mw"`) {
		t.Errorf("saved state does not name the forecast kind:\n%s", buf.String())
	}
	e2 := engine(t, rules)
	if err := e2.LoadState(strings.NewReader(buf.String())); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Hour)
	e2.Evaluate("p1", later, m, true)
	got := e2.EvaluateOutlook("p1", later, later, &Outlook{})
	if g := brief(got); !equalStrings(g, []string{"1h0m0s resolved rx_at_risk lane 4 rx_power_mw low_warning"}) {
		t.Errorf("after restart: %v", g)
	}
}

// Options.Diagnose gives a firing alarm its likely cause and evidence;
// resolved events carry none.
func TestDiagnoseOnFiring(t *testing.T) {
	var calls []string
	e := NewEngine(mustParse(t, berRule), Options{Diagnose: func(port string, lane int) Diagnosis {
		calls = append(calls, port)
		return Diagnosis{Cause: "laser ageing", Evidence: []string{"lane 2 bias up 0.4 mA/day"}}
	}})
	hot := osfp("740-174932", "SN1")
	setVDM(hot, "pre_fec_ber_media", 2, 2e-4)
	var got []Event
	for d := time.Duration(0); d <= 20*time.Minute; d += 10 * time.Second {
		if d == 10*time.Minute {
			setVDM(hot, "pre_fec_ber_media", 2, 1e-7)
		}
		got = append(got, e.Evaluate("p1", t0.Add(d), hot, true)...)
	}
	if len(got) != 2 || got[0].State != Firing || got[1].State != Resolved {
		t.Fatalf("events %v", brief(got))
	}
	if got[0].Cause != "laser ageing" || len(got[0].Evidence) != 1 || got[1].Cause != "" {
		t.Errorf("firing cause %q %v, resolved cause %q", got[0].Cause, got[0].Evidence, got[1].Cause)
	}
	if len(calls) != 1 {
		t.Errorf("diagnose called %d times, want once (firing only)", len(calls))
	}
}

// The KP4 limit a pre-FEC BER is forecast to reach is of the alarm class;
// the VDM warning threshold is not.
func TestForecastKP4IsAlarmClass(t *testing.T) {
	e := engine(t, rule("name: ber_soon", "forecast: {quantity: pre_fec_ber, within: 7d, threshold: alarm}", "severity: critical"))
	m := osfp("740-174932", "SN1")
	e.Evaluate("p1", t0, m, true)
	got := e.EvaluateOutlook("p1", t0, t0, &Outlook{Crossings: []Crossing{
		{Lane: 2, Quantity: "pre_fec_ber", Limit: "high_warning", Days: 1},
		{Lane: 2, Quantity: "pre_fec_ber", Limit: KP4LimitName, Days: 3},
	}})
	if g := brief(got); !equalStrings(g, []string{"0s firing ber_soon lane 2 pre_fec_ber kp4_limit"}) {
		t.Errorf("events %v", g)
	}
}

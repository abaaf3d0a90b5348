package top

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the screens rendered now")

func f(v float64) *float64 { return &v }

// dbm is 10·log10(mw), as the decoder fills TxPowerDBM/RxPowerDBM.
func dbm(mw float64) *float64 {
	if mw == 0 {
		return nil
	}
	return f(10 * math.Log10(mw))
}

// module builds an n-lane module whose lanes read tx and rx mW (per lane:
// the last value repeats), with typical DR8 thresholds.
func module(part string, tempC float64, tx, rx []float64, n int) *cmis.Module {
	m := &cmis.Module{Spec: "CMIS", Vendor: "ACME", PartNumber: part, SerialNumber: "SN" + part[len(part)-2:],
		Identifier: "OSFP", ModuleState: "ModuleReady", TemperatureC: f(tempC), VccV: f(3.3),
		Thresholds: map[string]cmis.Thresholds{
			cmis.QTxPower: {HighAlarm: 5.0119, HighWarning: 3.9811, LowWarning: 0.5129, LowAlarm: 0.4074},
			cmis.QRxPower: {HighAlarm: 5.0119, HighWarning: 3.9811, LowWarning: 0.1585, LowAlarm: 0.1259},
		}}
	at := func(v []float64, i int) float64 { return v[min(i, len(v)-1)] }
	for i := range n {
		t, r := at(tx, i), at(rx, i)
		m.Lanes = append(m.Lanes, cmis.Lane{Lane: i + 1, DataPathState: "Activated", TxBiasMA: f(8 + float64(i)/10),
			TxPowerMW: f(t), TxPowerDBM: dbm(t), RxPowerMW: f(r), RxPowerDBM: dbm(r)})
	}
	return m
}

func ber(lanes ...float64) []cmis.VDMValue {
	var out []cmis.VDMValue
	for i, b := range lanes {
		out = append(out, cmis.VDMValue{Observable: "pre_fec_ber_media", Lane: i + 1, Value: b})
	}
	return out
}

var since = time.Date(2026, 1, 1, 0, 1, 30, 0, time.UTC)

// switchPorts is a small switch with one of each case the screen shows.
func switchPorts() []Port {
	fading := module("TX-FADE-12", 48.2, []float64{1.2, 1.2, 1.2, 1.2, 1.2, 0.3, 1.2}, []float64{0.9}, 8)
	fading.Lanes[5].Flags = cmis.TxPowerLowAlarm | cmis.TxPowerLowWarning
	hot := module("HOT-30", 88.5, []float64{1.1}, []float64{0.8}, 8)
	hot.Flags = cmis.TempHighWarning
	dark := module("DARK-07", 41, []float64{1.0}, []float64{0.7, 0.7, 0}, 4)
	dark.Lanes[2].Flags = cmis.RxLOS
	return []Port{
		{Name: "Ethernet1/1", State: Present, Module: module("OSFP800-01", 45.1, []float64{1.4}, []float64{1.1}, 8), VDM: ber(2e-8, 3e-8)},
		{Name: "Ethernet1/5", State: Present, Module: module("OSFP800-05", 46, []float64{1.3}, []float64{1.0}, 8), VDM: ber(1e-8, 1e-8, 3e-4),
			Alarms: []alarm.Event{{Rule: "pre_fec_ber_critical", Metric: "vdm.pre_fec_ber_media", Port: "Ethernet1/5", Lane: 3, Severity: alarm.Critical,
				State: alarm.Firing, Value: 3e-4, Threshold: 2e-4, Since: since, Summary: "Ethernet1/5 lane 3: pre-FEC BER 3.00e-04 at the KP4 limit 2.4e-4: frames will be lost"}},
			Forecasts: []Forecast{{Lane: 3, Quantity: "pre_fec_ber_media", Limit: "high_alarm", Days: 0.4}}},
		{Name: "Ethernet1/10", State: Absent},
		{Name: "Ethernet1/12", State: Present, Module: fading, VDM: ber(1e-8),
			Alarms: []alarm.Event{{Rule: "module_thresholds", Observable: "tx_power_mw", Limit: "low_alarm", Port: "Ethernet1/12", Lane: 6,
				Severity: alarm.Critical, State: alarm.Firing, Value: 0.3, Threshold: 0.4074, Since: since},
				{Rule: "latched_faults", Observable: "tx_power_low_warning", Port: "Ethernet1/12", Lane: 6, Severity: alarm.Minor, State: alarm.Firing, Since: since}}},
		{Name: "Ethernet1/20", State: Failed, Err: "i2c: NACK from 0x50"},
		{Name: "Ethernet1/30", State: Present, Module: hot,
			Alarms: []alarm.Event{{Rule: "module_thresholds", Observable: "temperature_c", Limit: "high_warning", Port: "Ethernet1/30",
				Severity: alarm.Warning, State: alarm.Firing, Value: 88.5, Threshold: 75, Since: since}}},
		{Name: "Ethernet1/7", State: Present, Module: dark, Err: "page 25h refused"},
		{Name: "mgmt0", State: Unread},
	}
}

// keys feeds keys to v, then renders it.
func screen(v *View, ports []Port, width, height int, keys ...string) string {
	v.Update(ports)
	for _, k := range keys {
		v.Key(k)
	}
	return v.Render(width, height, Style{})
}

func TestScreens(t *testing.T) {
	forecastless := switchPorts()
	for i := range forecastless {
		forecastless[i].Forecasts = nil
	}
	cases := []struct {
		name          string
		ports         []Port
		width, height int
		keys          []string
	}{
		{"table", switchPorts(), 150, 16, nil},
		{"no-forecast", forecastless, 150, 16, nil},
		{"by-port", switchPorts(), 150, 16, []string{"p", "down", "down"}},
		{"by-temperature-reversed", switchPorts(), 150, 16, []string{"t", "r"}},
		{"by-ber", switchPorts(), 150, 16, []string{"b"}},
		{"by-alarms", switchPorts(), 150, 16, []string{"s", "s", "s", "s"}},
		{"filter-typing", switchPorts(), 150, 16, []string{"/", "1", "/", "1"}},
		{"filter-kept", switchPorts(), 150, 16, []string{"/", "h", "o", "t", "enter"}},
		{"filter-by-alarm-rule", switchPorts(), 150, 16, []string{"/", "b", "e", "r", "backspace", "enter"}},
		{"alarmed-only", switchPorts(), 150, 16, []string{"a"}},
		{"esc-clears-filter-then-alarmed", switchPorts(), 150, 16, []string{"a", "/", "1", "2", "enter", "esc"}},
		{"lanes", switchPorts(), 150, 24, []string{"p", "home", "down", "down", "down", "down", "enter"}},
		{"lanes-dark", switchPorts(), 150, 24, []string{"p", "home", "down", "down", "enter"}},
		{"lanes-failed", switchPorts(), 150, 6, []string{"p", "home", "down", "down", "down", "down", "down", "enter"}},
		{"lanes-scrolled", switchPorts(), 150, 8, []string{"p", "home", "down", "down", "down", "down", "enter", "down", "down"}},
		{"lanes-back", switchPorts(), 150, 16, []string{"enter", "esc"}},
		{"scrolled", switchPorts(), 150, 7, []string{"p", "end"}},
		{"narrow", switchPorts(), 80, 16, nil},
		{"plain", switchPorts(), 150, 0, []string{"down"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := &View{Interval: "1s"}
			got := screen(v, c.ports, c.width, c.height, c.keys...)
			if strings.Contains(got, "\x1b") {
				t.Errorf("a screen without style has escape codes:\n%q", got)
			}
			for i, l := range strings.Split(got, "\n") {
				if n := len([]rune(l)); n > c.width {
					t.Errorf("line %d is %d cells wide, over %d: %q", i+1, n, c.width, l)
				}
			}
			if c.height > 0 {
				if n := strings.Count(got, "\n") + 1; n != c.height {
					t.Errorf("%d lines, want the height %d", n, c.height)
				}
			}
			golden(t, filepath.Join("testdata", c.name+".golden"), got)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./top/ -update to write it)", err)
	}
	if got+"\n" != string(want) {
		t.Errorf("screen differs from %s (go test ./top/ -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestStyle: colour marks bad values when allowed, and only then; under
// NO_COLOR (Attrs only) the cursor line is still marked.
func TestStyle(t *testing.T) {
	ports := switchPorts()
	v := &View{}
	v.Update(ports)
	withColor := v.Render(150, 16, Style{Color: true, Attrs: true})
	attrsOnly := v.Render(150, 16, Style{Attrs: true})
	red := "\x1b[31m"
	if !strings.Contains(withColor, red) {
		t.Errorf("colour screen paints nothing red:\n%q", withColor)
	}
	if strings.Contains(attrsOnly, red) || strings.Contains(attrsOnly, "\x1b[33m") {
		t.Errorf("NO_COLOR screen has colours:\n%q", attrsOnly)
	}
	if !strings.Contains(attrsOnly, "\x1b[7m") {
		t.Errorf("NO_COLOR screen does not mark the cursor line in reverse video:\n%q", attrsOnly)
	}
}

func TestMargin(t *testing.T) {
	th := cmis.Thresholds{HighAlarm: 4, HighWarning: 2, LowWarning: 0.5, LowAlarm: 0.25}
	cases := []struct {
		name      string
		mw        *float64
		t         cmis.Thresholds
		want      float64
		limit     string
		pastAlarm bool
		none      bool
	}{
		{"inside, nearer the low limit", f(1), th, 10 * math.Log10(2), "low_warning", false, false},
		{"inside, nearer the high limit", f(1.8), th, 10 * math.Log10(2/1.8), "high_warning", false, false},
		{"past the low warning", f(0.4), th, 10 * math.Log10(0.4/0.5), "low_warning", false, false},
		{"past the low alarm", f(0.2), th, 10 * math.Log10(0.2/0.5), "low_warning", true, false},
		{"past the high alarm", f(5), th, 10 * math.Log10(2.0/5), "high_warning", true, false},
		{"no light", f(0), th, math.Inf(-1), "low_warning", true, false},
		{"no monitor", nil, th, 0, "", false, true},
		{"thresholds all zero (not set)", f(1), cmis.Thresholds{}, 0, "", false, true},
		{"only a high warning", f(1), cmis.Thresholds{HighWarning: 2}, 10 * math.Log10(2), "high_warning", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := margin(c.mw, c.t, 3, "rx")
			if c.none {
				if m != nil {
					t.Fatalf("margin %+v, want none", *m)
				}
				return
			}
			if m == nil {
				t.Fatal("no margin")
			}
			if m.DB != c.want && math.Abs(m.DB-c.want) > 1e-9 || m.Limit != c.limit || m.PastAlarm != c.pastAlarm || m.Lane != 3 || m.Quantity != "rx" {
				t.Errorf("got %+v, want %.4f dB to %s (past alarm %v)", *m, c.want, c.limit, c.pastAlarm)
			}
		})
	}
}

// TestWorstLane: the row's margin is the smallest over lanes and both
// directions, and names its lane.
func TestWorstLane(t *testing.T) {
	rows := MakeRows(switchPorts())
	r := rows[3] // Ethernet1/12: lane 6 Tx at 0.3 mW against a 0.5129 mW low warning
	if r.Margin == nil || r.Margin.Lane != 6 || r.Margin.Quantity != "tx" || r.Margin.Limit != "low_warning" || !r.Margin.PastAlarm {
		t.Fatalf("worst margin %+v, want lane 6 tx low_warning past its alarm", r.Margin)
	}
	if want := 10 * math.Log10(0.3/0.5129); math.Abs(r.Margin.DB-want) > 1e-9 {
		t.Errorf("margin %.4f dB, want %.4f", r.Margin.DB, want)
	}
	d := rows[6] // Ethernet1/7: lane 3 dark
	if d.Margin == nil || d.Margin.Lane != 3 || !math.IsInf(d.Margin.DB, -1) || !d.RxDark {
		t.Errorf("dark lane: margin %+v dark %v, want lane 3 at -inf", d.Margin, d.RxDark)
	}
	if rows[1].BER != 3e-4 || rows[1].BERLane != 3 {
		t.Errorf("BER %g lane %d, want the worst lane's 3e-4 on lane 3", rows[1].BER, rows[1].BERLane)
	}
}

func TestComparePorts(t *testing.T) {
	in := []string{"Ethernet1/10", "Ethernet1/2", "Ethernet2/1", "Ethernet1/1", "els1", "Ethernet1/002"}
	cases := [][2]string{{"Ethernet1/2", "Ethernet1/10"}, {"Ethernet1/10", "Ethernet2/1"}, {"Ethernet1/1", "Ethernet1/2"}, {"Ethernet2/1", "els1"}}
	for _, c := range cases {
		if comparePorts(c[0], c[1]) >= 0 || comparePorts(c[1], c[0]) <= 0 {
			t.Errorf("%s should come before %s", c[0], c[1])
		}
	}
	if comparePorts(in[1], in[5]) != 0 {
		t.Errorf("Ethernet1/2 and Ethernet1/002 should compare equal as numbers")
	}
}

// TestKeysQuit: q quits from the table, steps back from the lanes;
// ctrl+c always quits; q typed at the filter prompt is text.
func TestKeysQuit(t *testing.T) {
	v := &View{}
	v.Update(switchPorts())
	if v.Key("enter"); v.Detail() == "" {
		t.Fatal("enter opened no port")
	}
	if v.Key("q") || v.Detail() != "" {
		t.Fatal("q in the lanes should step back, not quit")
	}
	if v.Key("/") || v.Key("q") {
		t.Fatal("q at the filter prompt quit")
	}
	v.Key("esc")
	if !v.Key("q") {
		t.Fatal("q in the table did not quit")
	}
	if !v.Key("ctrl+c") {
		t.Fatal("ctrl+c did not quit")
	}
}

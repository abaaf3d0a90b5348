package alarm

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

// decodeVector decodes the first read of the 800G DR8 dump.
func decodeVector(tb testing.TB) *cmis.Module {
	tb.Helper()
	d, err := dumpfile.ReadFile("../testdata/vectors/cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt")
	if err != nil {
		tb.Fatal(err)
	}
	m, err := cmis.Decode(d.Snapshots[0])
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// t0 is the start of every test clock.
var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func f64(v float64) *float64 { return &v }

// mustParse parses a rules file or fails the test.
func mustParse(tb testing.TB, text string) *Rules {
	tb.Helper()
	rs, err := Parse("test.yaml", []byte(text))
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return rs
}

// engine builds an engine from rules text.
func engine(tb testing.TB, text string) *Engine {
	return NewEngine(mustParse(tb, text), Options{Labels: map[string]string{"host": "sw1"}})
}

// rule wraps one rule's YAML lines (indented under "- ") into a file.
func rule(lines ...string) string {
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	for i, l := range lines {
		if i == 0 {
			b.WriteString("  - " + l + "\n")
		} else {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}

// osfp builds an 8-lane 800G DR8 OSFP with page 02h-style thresholds and a
// VDM layout of five observables per lane, the shape of the DR8 vector.
func osfp(pn, serial string) *cmis.Module {
	m := &cmis.Module{
		Spec: "CMIS", Identifier: "OSFP", IdentifierCode: cmis.IDOSFP,
		Vendor: "JUNIPER-1G1", PartNumber: pn, SerialNumber: serial,
		Applications: []cmis.Application{
			{AppSel: 1, HostInterface: "800GAUI-8 S C2M", MediaInterface: "800GBASE-DR8", HostLanes: 8, MediaLanes: 8},
		},
		ModuleState:       "ModuleReady",
		TemperatureC:      f64(57.9),
		VccV:              f64(3.3),
		LaserTemperatureC: f64(55),
		Thresholds: map[string]cmis.Thresholds{
			cmis.QTemperature:      {HighAlarm: 76, LowAlarm: -6, HighWarning: 73, LowWarning: -3},
			cmis.QVcc:              {HighAlarm: 3.7, LowAlarm: 3.0, HighWarning: 3.6, LowWarning: 3.05},
			cmis.QLaserTemperature: {HighAlarm: 60, LowAlarm: 45, HighWarning: 58, LowWarning: 47},
			cmis.QTxBias:           {HighAlarm: 130, LowAlarm: 10, HighWarning: 125, LowWarning: 15},
			cmis.QTxPower:          {HighAlarm: 3.981, LowAlarm: 0.257, HighWarning: 3.1622, LowWarning: 0.3235},
			cmis.QRxPower:          {HighAlarm: 4.7863, LowAlarm: 0.1288, HighWarning: 3.8018, LowWarning: 0.1819},
		},
	}
	for i := 1; i <= 8; i++ {
		m.Lanes = append(m.Lanes, cmis.Lane{Lane: i, DataPathState: "DPActivated"})
		setLane(m, i, 70, 1.5, 1.7)
	}
	ber := &cmis.Thresholds{HighAlarm: 2.4e-4, HighWarning: 1e-5}
	fr := &cmis.Thresholds{HighAlarm: 1e-6, HighWarning: 1e-9}
	lt := &cmis.Thresholds{HighAlarm: 60, LowAlarm: 45, HighWarning: 58, LowWarning: 47}
	es := &cmis.Thresholds{HighAlarm: 40, LowAlarm: 14, HighWarning: 38, LowWarning: 16}
	for i, o := range []struct {
		name string
		v    float64
		th   *cmis.Thresholds
	}{
		{"laser_temperature", 55, lt}, {"esnr_media", 22, es}, {"pre_fec_ber_media", 2e-7, ber},
		{"pre_fec_ber_avg_media", 2e-7, ber}, {"errored_frames_media", 0, fr},
	} {
		for lane := 1; lane <= 8; lane++ {
			m.VDM = append(m.VDM, cmis.VDMValue{Observable: o.name, Lane: lane, Value: o.v, Thresholds: o.th, Group: 1, Slot: 8*i + lane - 1})
		}
	}
	return m
}

// setLane sets a lane's bias (mA), Tx and Rx power (mW, with dBm).
func setLane(m *cmis.Module, lane int, bias, tx, rx float64) {
	l := &m.Lanes[lane-1]
	l.TxBiasMA, l.TxPowerMW, l.RxPowerMW = f64(bias), f64(tx), f64(rx)
	l.TxPowerDBM, l.RxPowerDBM = f64(10*math.Log10(tx)), f64(10*math.Log10(rx))
}

func setRxDBM(m *cmis.Module, lane int, dbm float64) {
	l := &m.Lanes[lane-1]
	l.RxPowerDBM, l.RxPowerMW = f64(dbm), f64(math.Pow(10, dbm/10))
}

func setVDM(m *cmis.Module, obs string, lane int, v float64) {
	for i := range m.VDM {
		if m.VDM[i].Observable == obs && m.VDM[i].Lane == lane {
			m.VDM[i].Value = v
			return
		}
	}
	panic("no VDM " + obs)
}

// brief renders events compactly for comparison.
func brief(ev []Event) []string {
	var out []string
	for _, e := range ev {
		s := fmt.Sprintf("%s %s %s", e.Time.Sub(t0), e.State, e.Rule)
		if e.Lane > 0 {
			s += fmt.Sprintf(" lane %d", e.Lane)
		}
		if e.Observable != "" {
			s += " " + e.Observable
		}
		if e.Limit != "" {
			s += " " + e.Limit
		}
		out = append(out, s)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

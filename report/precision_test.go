package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

// noisyModule carries the float noise decoding makes (a count times a
// step that has no exact binary form).
func noisyModule() *cmis.Module {
	return &cmis.Module{
		Spec: "CMIS", Identifier: "OSFP",
		TemperatureC: f(41.50390625000001), VccV: f(3.2917000000000005), TECCurrentPct: f(12.500381481368000007),
		WavelengthNM: f(1302.3500000000001), WavelengthTolNM: f(1.0500000000000003), MaxPowerW: f(16.5),
		Advertisement: &cmis.Advertisement{Banks: 1, TxBiasMultiplier: 2},
		Lanes: []cmis.Lane{{Lane: 1, TxBiasMA: f(80.00400000000001), TxPowerMW: f(0.7943000000000001), TxPowerDBM: f(-1.0000412441816716),
			RxPowerMW: f(1.2589000000000001), RxPowerDBM: f(0.9999818911087374)}},
		Thresholds: map[string]cmis.Thresholds{
			cmis.QTxPower:     {HighAlarm: 3.5481000000000003, LowAlarm: 0, HighWarning: 2.8183, LowWarning: 0.37150000000000005},
			cmis.QTemperature: {HighAlarm: 76.00000000000001, LowAlarm: -6, ChecksumFailed: true},
		},
		VDM: []cmis.VDMValue{
			{TypeID: 15, Observable: "pre_fec_ber_media", Lane: 1, Value: 2.4000000000000003e-05, Unit: "ratio",
				Thresholds: &cmis.Thresholds{HighAlarm: 2.4000000000000003e-04}},
			{TypeID: 5, Observable: "esnr_media", Lane: 1, Value: 23.441406250000004, Unit: "dB"},
			{TypeID: 3, Observable: "laser_frequency_error", Lane: 1, Value: -150.00000000000003, Unit: "MHz"},
		},
		PM:          &cmis.CoherentPM{PreFECBERAvg: f(0.0012345678901234), DGDAvgPs: f(1.5000000000000002), TxPowerAvgDBM: f(-9.500000000000002)},
		LaserSource: []cmis.Laser{{Lane: 1, BiasMA: f(343.20000000000005), PowerMW: f(100.01000000000001), PowerDBM: f(20.000434272768626), VoltageV: f(1.9050000000000002)}},
	}
}

// TestJSONRoundsToBytePrecision: every value in the JSON has the
// decimals of its byte's step and no float noise.
func TestJSONRoundsToBytePrecision(t *testing.T) {
	var b bytes.Buffer
	m := noisyModule()
	if err := JSON(&b, Entry{Module: m}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`"temperature_c":41.50390625`, // 1/256 °C: exact
		`"vcc_v":3.2917`,              // 0.1 mV
		`"tec_current_pct":12.5004`,   // 100/32767 %
		`"wavelength_nm":1302.35`, `"wavelength_tolerance_nm":1.05`,
		`"tx_bias_ma":80.004`,                       // 2 µA × 2
		`"tx_power_mw":0.7943`, `"tx_power_dbm":-1`, // 0.1 µW; dBm to 2 decimals
		`"rx_power_mw":1.2589`, `"rx_power_dbm":1`,
		`"high_alarm":3.5481`, `"low_warning":0.3715`, `"high_alarm":76`, `"checksum_failed":true`,
		`"value":0.000024`, `"high_alarm":0.00024`, // F16: 4 significant digits
		`"value":23.44140625`, `"value":-150`,
		`"pre_fec_ber_avg":0.001235`, `"dgd_avg_ps":1.5`, `"tx_power_avg_dbm":-9.5`,
		`"bias_ma":343.2`, `"power_mw":100.01`, `"power_dbm":20`, `"voltage_v":1.905`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s:\n%s", want, out)
		}
	}
	if noise := floatNoise.FindAllString(out, -1); len(noise) > 0 {
		t.Errorf("float noise %v", noise)
	}
	if *m.VccV != 3.2917000000000005 {
		t.Error("the report changed the decoded module")
	}
}

// floatNoise matches a number with a run of 0s or 9s before its last
// digits: what float64 arithmetic leaves below a value's real precision.
var floatNoise = regexp.MustCompile(`\d\.\d*(0000000|9999999)\d+`)

// TestJSONRealModulesHaveNoFloatNoise renders every real module of
// testdata/vectors as JSON: no value carries float noise.
func TestJSONRealModulesHaveNoFloatNoise(t *testing.T) {
	files, _ := filepath.Glob("../testdata/vectors/*.txt")
	n := 0
	for _, file := range files {
		if strings.Contains(file, ".expected.") || strings.Contains(file, ".ethtool.") || strings.HasSuffix(file, "README.txt") {
			continue
		}
		d, err := dumpfile.ReadFile(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		m, err := cmis.Decode(d.Snapshots[0])
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var b bytes.Buffer
		if err := JSON(&b, Entry{Module: m}); err != nil {
			t.Fatal(err)
		}
		if noise := floatNoise.FindAllString(b.String(), -1); len(noise) > 0 {
			t.Errorf("%s: float noise %v", filepath.Base(file), noise)
		}
		n++
	}
	if n < 20 {
		t.Errorf("%d modules", n)
	}
}

// TestThresholdsInDBm: power thresholds are shown in dBm beside mW, in
// text and JSON, rounded to 2 decimals; a 0 mW threshold has no dBm.
func TestThresholdsInDBm(t *testing.T) {
	m := noisyModule()
	var b bytes.Buffer
	if err := JSON(&b, Entry{Module: m}); err != nil {
		t.Fatal(err)
	}
	var obj struct {
		Thresholds map[string]map[string]any `json:"thresholds"`
	}
	if err := json.Unmarshal(b.Bytes(), &obj); err != nil {
		t.Fatal(err)
	}
	dbm, ok := obj.Thresholds["tx_power_dbm"]
	if !ok {
		t.Fatalf("no tx_power_dbm thresholds: %s", b.String())
	}
	want := map[string]float64{"high_alarm": 5.5, "high_warning": 4.5, "low_warning": -4.3}
	for k, v := range want {
		if dbm[k] != any(v) {
			t.Errorf("tx_power_dbm.%s = %v, want %v", k, dbm[k], v)
		}
	}
	if _, ok := dbm["low_alarm"]; ok {
		t.Error("a 0 mW threshold has a dBm value")
	}
	if _, ok := obj.Thresholds["rx_power_dbm"]; ok {
		t.Error("rx_power_dbm without rx_power_mw thresholds")
	}
	if _, ok := obj.Thresholds["tx_power_mw"]; !ok {
		t.Error("mW thresholds gone")
	}

	b.Reset()
	if err := Text(&b, Entry{Module: m}); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"  Tx power mW                 0.0000      0.3715      2.8183      3.5481",
		"  Tx power dBm                     -       -4.30        4.50        5.50",
	} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("text lacks %q:\n%s", line, b.String())
		}
	}
}

// TestWavelengthAndLength: the wavelength and the link lengths per medium
// read as ethtool users know them ("Laser wavelength: 1310nm", "Length
// (SMF): 2km"), without trailing zeros, in text and JSON.
func TestWavelengthAndLength(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *cmis.Module
		want []string
		json []string
	}{
		{"SFF-8636 LR4", &cmis.Module{Spec: "SFF-8636", MediaTech: "1310 nm DFB", Connector: "LC", WavelengthNM: f(1310), WavelengthTolNM: f(7.83),
			LinkLengthM: map[string]float64{"smf": 40000, "om3": 510}},
			[]string{"Media         1310 nm DFB, LC\n", "Wavelength    1310 nm ±7.83 nm\n", "Length        SMF 40 km, OM3 510 m\n"},
			[]string{`"link_length_m":{"om3":510,"smf":40000}`, `"wavelength_nm":1310`}},
		{"CMIS DR8", &cmis.Module{Spec: "CMIS", WavelengthNM: f(1311.0000000000002), LinkLengthM: map[string]float64{"smf": 500}},
			[]string{"Wavelength    1311 nm\n", "Length        SMF 0.5 km\n"},
			[]string{`"link_length_m":{"smf":500}`}},
		{"AOC", &cmis.Module{Spec: "CMIS", CableLengthM: f(4.5)},
			[]string{"Length        cable 4.5 m\n"}, []string{`"cable_length_m":4.5`}},
		{"BASE-T", &cmis.Module{Spec: "SFF-8472", LinkLengthM: map[string]float64{"copper": 100}},
			[]string{"Length        copper 100 m\n"}, []string{`"link_length_m":{"copper":100}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Text(&b, Entry{Module: tc.m}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("text lacks %q:\n%s", w, b.String())
				}
			}
			if strings.Contains(b.String(), "0000") {
				t.Errorf("trailing zeros:\n%s", b.String())
			}
			b.Reset()
			if err := JSON(&b, Entry{Module: tc.m}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.json {
				if !strings.Contains(b.String(), w) {
					t.Errorf("JSON lacks %s: %s", w, b.String())
				}
			}
		})
	}
}

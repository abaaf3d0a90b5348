package cmis

import (
	"fmt"
	"math"
	"testing"
)

// TestThresholdsSet decides, for every kind of threshold a module carries,
// which limits are set: a zero on a quantity that cannot be negative is
// not, a zero on a signed one is.
func TestThresholdsSet(t *testing.T) {
	all := Limits{true, true, true, true}
	none := Limits{}
	cases := []struct {
		quantity string
		th       Thresholds
		want     Limits
	}{
		// Module temperature (S16): 0 °C is a real low warning; an
		// all-zero set is not set.
		{QTemperature, Thresholds{HighAlarm: 80, LowAlarm: -5, HighWarning: 75, LowWarning: 0}, all},
		{QTemperature, Thresholds{}, none},
		{QTemperature, Thresholds{HighAlarm: 0, LowAlarm: -40, HighWarning: 0, LowWarning: 0}, Limits{HighAlarm: true, LowAlarm: true}},
		// Supply voltages (U16).
		{QVcc, Thresholds{HighAlarm: 3.6, LowAlarm: 3.0, HighWarning: 3.5, LowWarning: 3.1}, all},
		{QVcc, Thresholds{HighAlarm: 3.6, HighWarning: 3.5}, Limits{HighAlarm: true, HighWarning: true}},
		{QVcc2, Thresholds{}, none},
		// Tx bias (U16 × multiplier), Tx and Rx power in mW (U16): a module
		// that sets only its low limits keeps them.
		{QTxBias, Thresholds{HighAlarm: 0, LowAlarm: 0, HighWarning: 0, LowWarning: 0}, none},
		{QTxBias, Thresholds{HighAlarm: 130, LowAlarm: 10, HighWarning: 125, LowWarning: 15}, all},
		{QTxPower, Thresholds{LowAlarm: 0.25, LowWarning: 0.32}, Limits{LowAlarm: true, LowWarning: true}},
		{QRxPower, Thresholds{HighAlarm: 4.8, HighWarning: 3.8}, Limits{HighAlarm: true, HighWarning: true}},
		// Aux monitors: laser temperature (S16) and TEC current (S16, ±100 %)
		// are signed.
		{QLaserTemperature, Thresholds{HighAlarm: 60, LowAlarm: 0, HighWarning: 58, LowWarning: 2}, all},
		{QTECCurrent, Thresholds{HighAlarm: 100, LowAlarm: -100, HighWarning: 95, LowWarning: -95}, all},
		{QTECCurrent, Thresholds{}, none},
		// VDM, F16 ratios and counts: pre-FEC BER, errored frames, FERC.
		{"pre_fec_ber_media", Thresholds{HighAlarm: 2.4e-4, HighWarning: 1e-5}, Limits{HighAlarm: true, HighWarning: true}},
		{"errored_frames_media", Thresholds{}, none},
		{"errored_frames_avg_host", Thresholds{HighAlarm: 0, HighWarning: 1e-9}, Limits{HighWarning: true}},
		{"ferc_total_media", Thresholds{}, none},
		// VDM, U16: eSNR and LTP (dB), SEWmax (count), rail voltages,
		// laser age, coherent OSNR; unknown types decode as U16.
		{"esnr_media", Thresholds{HighAlarm: 0, LowAlarm: 13, HighWarning: 0, LowWarning: 15}, Limits{LowAlarm: true, LowWarning: true}},
		{"ltp_host", Thresholds{}, none},
		{"sew_max_media", Thresholds{HighAlarm: 100}, Limits{HighAlarm: true}},
		{"vcc_0v9", Thresholds{}, none},
		{"laser_age", Thresholds{HighAlarm: 95, HighWarning: 90}, Limits{HighAlarm: true, HighWarning: true}},
		{"osnr", Thresholds{LowAlarm: 20}, Limits{LowAlarm: true}},
		{"vdm_type_200", Thresholds{}, none},
		// VDM, S16: laser temperature, TEC current, frequency error, powers
		// in dBm, dispersion, margins: 0 is a limit.
		{"laser_temperature", Thresholds{HighAlarm: 60, LowAlarm: 0, HighWarning: 58, LowWarning: 5}, all},
		{"laser_frequency_error", Thresholds{HighAlarm: 1000, LowAlarm: -1000, HighWarning: 0, LowWarning: 0}, Limits{HighAlarm: true, LowAlarm: true}},
		{"els_input_power", Thresholds{HighAlarm: 5, LowAlarm: 0, HighWarning: 4, LowWarning: 1}, all},
		{"tx_power", Thresholds{HighAlarm: 0, LowAlarm: -15, HighWarning: -1, LowWarning: -14}, all},
		{"cd_high_granularity", Thresholds{}, none},
		{"q_margin", Thresholds{HighAlarm: 10, LowAlarm: 0, HighWarning: 8, LowWarning: 1}, all},
		// A band upside down is not set; NaN is not a limit.
		{QRxPower, Thresholds{HighAlarm: 0.1, LowAlarm: 0.5, HighWarning: 3.8, LowWarning: 0.18}, Limits{HighWarning: true, LowWarning: true}},
		{QTemperature, Thresholds{HighAlarm: math.NaN(), LowAlarm: -5, HighWarning: 75, LowWarning: 0}, Limits{LowAlarm: true, HighWarning: true, LowWarning: true}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %v", c.quantity, c.th), func(t *testing.T) {
			if got := c.th.Set(c.quantity); got != c.want {
				t.Errorf("Set = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestCanBeNegativeEveryObservable: every known VDM observable is decided
// by its format, and its name is its own (one format per name).
func TestCanBeNegativeEveryObservable(t *testing.T) {
	seen := map[string]bool{}
	for id, o := range observables {
		if seen[o.Name] {
			t.Errorf("observable name %s used twice", o.Name)
		}
		seen[o.Name] = true
		if got, want := CanBeNegative(o.Name), o.format == fmtS16; got != want {
			t.Errorf("type %d %s: CanBeNegative %v, format S16 %v", id, o.Name, got, want)
		}
	}
	if !CanBeNegative("no_such_quantity") {
		t.Error("an unknown quantity keeps its zero limits")
	}
}

func TestThresholdsLimit(t *testing.T) {
	th := Thresholds{HighAlarm: 0, LowAlarm: 0.13, HighWarning: 0, LowWarning: 0.18}
	if v, ok := th.Limit(QRxPower, "low_warning"); !ok || v != 0.18 {
		t.Errorf("low_warning = %v, %v", v, ok)
	}
	if _, ok := th.Limit(QRxPower, "high_alarm"); ok {
		t.Error("a zero high alarm of Rx power is not set")
	}
	if _, ok := th.Limit(QRxPower, "nonsense"); ok {
		t.Error("unknown limit name")
	}
}

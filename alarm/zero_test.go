package alarm

import (
	"testing"

	"github.com/ddm-agent/ddm/cmis"
)

// TestZeroThresholds: the engine compares values only with the limits a
// module set (cmis.Thresholds.Set). A zero limit of a quantity that cannot
// be negative is not set; a zero of a signed quantity is a limit.
func TestZeroThresholds(t *testing.T) {
	const builtins = `version: 1
defaults: {for: 0s}
rules:
  - name: module_thresholds
    builtin: module_thresholds
    severity: {alarm: critical, warning: warning}
  - name: vdm_thresholds
    builtin: vdm_thresholds
    severity: {alarm: major, warning: minor}
`
	cases := []struct {
		name  string
		rules string
		setup func(m *cmis.Module)
		want  []string // events of one evaluation
	}{
		{"Rx power with low limits only: the low alarm fires", builtins, func(m *cmis.Module) {
			m.Thresholds[cmis.QRxPower] = cmis.Thresholds{LowAlarm: 0.1288, LowWarning: 0.1819}
			setLane(m, 2, 70, 1.5, 0.05)
		}, []string{"0s firing module_thresholds lane 2 rx_power_mw low_alarm", "0s firing module_thresholds lane 2 rx_power_mw low_warning"}},
		{"Tx bias with no limits set: nothing", builtins, func(m *cmis.Module) {
			m.Thresholds[cmis.QTxBias] = cmis.Thresholds{}
		}, nil},
		{"module temperature: 0 °C low warning is real", builtins, func(m *cmis.Module) {
			m.Thresholds[cmis.QTemperature] = cmis.Thresholds{HighAlarm: 80, LowAlarm: -5, HighWarning: 75, LowWarning: 0}
			m.TemperatureC = f64(-1)
		}, []string{"0s firing module_thresholds temperature_c low_warning"}},
		{"VDM errored frames with a zero high alarm: not set", builtins, func(m *cmis.Module) {
			setVDMThresholds(m, "errored_frames_media", cmis.Thresholds{HighWarning: 1e-9})
			setVDM(m, "errored_frames_media", 3, 5.18e-21)
		}, nil},
		{"VDM errored frames past the warning set beside the zero alarm", builtins, func(m *cmis.Module) {
			setVDMThresholds(m, "errored_frames_media", cmis.Thresholds{HighWarning: 1e-9})
			setVDM(m, "errored_frames_media", 3, 1e-6)
		}, []string{"0s firing vdm_thresholds lane 3 errored_frames_media high_warning"}},
		{"VDM eSNR (dB, unsigned) with low limits only", builtins, func(m *cmis.Module) {
			setVDMThresholds(m, "esnr_media", cmis.Thresholds{LowAlarm: 14, LowWarning: 16})
			setVDM(m, "esnr_media", 1, 13)
		}, []string{"0s firing vdm_thresholds lane 1 esnr_media low_alarm", "0s firing vdm_thresholds lane 1 esnr_media low_warning"}},
		{"VDM laser temperature (signed): a 0 °C low alarm is real", builtins, func(m *cmis.Module) {
			setVDMThresholds(m, "laser_temperature", cmis.Thresholds{HighAlarm: 60, LowAlarm: 0, HighWarning: 58, LowWarning: 5})
			setVDM(m, "laser_temperature", 4, -2)
		}, []string{"0s firing vdm_thresholds lane 4 laser_temperature low_alarm", "0s firing vdm_thresholds lane 4 laser_temperature low_warning"}},
		{"a rule on an unset module limit does not apply", rule("name: bias_high", "metric: lane.tx_bias_ma",
			"above: {threshold: high_alarm}", "for: 0s", "severity: major"), func(m *cmis.Module) {
			m.Thresholds[cmis.QTxBias] = cmis.Thresholds{}
		}, nil},
		{"a rule on an unset VDM limit does not apply", rule("name: frames", "metric: vdm.errored_frames_media",
			"above: {threshold: high_alarm}", "for: 0s", "severity: major"), func(m *cmis.Module) {
			setVDMThresholds(m, "errored_frames_media", cmis.Thresholds{})
			setVDM(m, "errored_frames_media", 3, 5.18e-21)
		}, nil},
		{"a rule on a signed zero limit applies", rule("name: cold", "metric: module.temperature_c",
			"below: {threshold: low_warning}", "for: 0s", "severity: minor"), func(m *cmis.Module) {
			m.Thresholds[cmis.QTemperature] = cmis.Thresholds{HighAlarm: 80, LowAlarm: -5, HighWarning: 75, LowWarning: 0}
			m.TemperatureC = f64(-1)
		}, []string{"0s firing cold"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := engine(t, c.rules)
			m := osfp("740-174932", "SN1")
			c.setup(m)
			if got := brief(e.Evaluate("p1", t0, m, true)); !equalStrings(got, c.want) {
				t.Errorf("events %v, want %v", got, c.want)
			}
		})
	}
}

// setVDMThresholds gives every instance of a VDM observable its own copy
// of a threshold set.
func setVDMThresholds(m *cmis.Module, obs string, th cmis.Thresholds) {
	for i := range m.VDM {
		if m.VDM[i].Observable == obs {
			t := th
			m.VDM[i].Thresholds = &t
		}
	}
}

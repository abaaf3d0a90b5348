package alarm

import (
	"errors"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
)

// TestTrustFailedChecksumParse: trust_failed_checksum defaults to true,
// can be set in defaults and per rule, and is refused (with its line) on a
// rule that does not use the module's thresholds.
func TestTrustFailedChecksumParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want bool   // the rule's TrustFailedChecksum
		err  string // or this error
		line int
	}{
		{"default", rule("name: r", "builtin: module_thresholds"), true, "", 0},
		{"rule says false", rule("name: r", "builtin: module_thresholds", "trust_failed_checksum: false"), false, "", 0},
		{"defaults say false", "version: 1\ndefaults: {trust_failed_checksum: false}\nrules:\n  - {name: r, builtin: module_thresholds}\n", false, "", 0},
		{"rule overrides defaults", "version: 1\ndefaults: {trust_failed_checksum: false}\nrules:\n  - {name: r, builtin: module_thresholds, trust_failed_checksum: true}\n", true, "", 0},
		{"defaults on a rule without thresholds", "version: 1\ndefaults: {trust_failed_checksum: false}\nrules:\n  - {name: r, builtin: latched_flags}\n", false, "", 0},
		{"relative level", rule("name: r", "metric: lane.rx_power_dbm", "below: {threshold: low_warning, offset: 1}", "severity: minor", "trust_failed_checksum: false"), false, "", 0},
		{"not a boolean", rule("name: r", "builtin: module_thresholds", "trust_failed_checksum: maybe"), false,
			"trust_failed_checksum: want true or false", 5},
		{"fixed level", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "severity: minor", "trust_failed_checksum: false"), false,
			`trust_failed_checksum has no meaning in rule "r"`, 7},
		{"vdm thresholds", rule("name: r", "builtin: vdm_thresholds", "trust_failed_checksum: true"), false,
			`trust_failed_checksum has no meaning in rule "r"`, 5},
		{"module absent", rule("name: r", "module_absent: 5m", "severity: major", "trust_failed_checksum: true"), false,
			`trust_failed_checksum has no meaning in rule "r"`, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Parse("test.yaml", []byte(tc.text))
			if tc.err != "" {
				var e *Error
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if errors.As(err, &e) && e.Line != tc.line {
					t.Errorf("error at line %d, want %d", e.Line, tc.line)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := rs.Rules[0].TrustFailedChecksum; got != tc.want {
				t.Errorf("TrustFailedChecksum %v, want %v", got, tc.want)
			}
		})
	}
}

// TestTrustFailedChecksum: thresholds decoded from a page whose checksum
// failed fire the rules that trust them (the default) and not those that
// say trust_failed_checksum: false; thresholds from a good page fire both.
func TestTrustFailedChecksum(t *testing.T) {
	builtin := func(extra ...string) string {
		return rule(append([]string{"name: mt", "builtin: module_thresholds", "only: [temperature_c]", "for: 0s"}, extra...)...)
	}
	relative := func(extra ...string) string {
		return rule(append([]string{"name: hot", "metric: module.temperature_c", "above: {threshold: high_alarm}", "severity: major", "for: 0s"}, extra...)...)
	}
	for _, tc := range []struct {
		name   string
		rules  string
		failed bool // the thresholds carry ChecksumFailed
		fires  int
	}{
		{"builtin, failed, default", builtin(), true, 2},
		{"builtin, failed, not trusted", builtin("trust_failed_checksum: false"), true, 0},
		{"builtin, good, not trusted", builtin("trust_failed_checksum: false"), false, 2},
		{"relative, failed, default", relative(), true, 1},
		{"relative, failed, not trusted", relative("trust_failed_checksum: false"), true, 0},
		{"relative, good, not trusted", relative("trust_failed_checksum: false"), false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := engine(t, tc.rules)
			m := osfp("740-174932", "SN1")
			th := m.Thresholds[cmis.QTemperature]
			th.ChecksumFailed = tc.failed
			m.Thresholds[cmis.QTemperature] = th
			m.TemperatureC = f64(th.HighAlarm + 1)
			got := e.Evaluate("p", t0, m, true)
			if len(got) != tc.fires {
				t.Errorf("events %v, want %d", brief(got), tc.fires)
			}
		})
	}
}

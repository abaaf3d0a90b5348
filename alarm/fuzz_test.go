package alarm

import (
	"testing"
	"time"
)

// FuzzParseRules: Parse and Check never panic, agree with each other, and
// whatever parses can be evaluated.
func FuzzParseRules(f *testing.F) {
	f.Add(DefaultRules())
	f.Add([]byte(berRule))
	f.Add([]byte("version: 1\nrules:\n  - {name: a, module_absent: 5m, severity: major}\n"))
	f.Add([]byte("version: 1\nrules:\n  - name: b\n    metric: lane.rx_power_dbm\n    match: {port: \"E[!1]*\", lane: \"1-4\"}\n    outside: [-9, {threshold: high_warning, offset: -1}]\n    hysteresis: 0.5\n    severity: minor\n"))
	f.Add([]byte("version: 1\nrules:\n  - &a {name: x, builtin: latched_flags}\n  - *a\n"))
	f.Add([]byte("rules:\n  - name: c\n    metric: vdm.esnr_media\n    baseline: {window: 1h, drop: 1, rise: 2}\n    severity: warning\n    summary: '{{.Value}}'\n"))
	m := osfp("740-174932", "SN1")
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := Parse("fuzz.yaml", b)
		errs := Check("fuzz.yaml", b)
		if (err == nil) != (len(errs) == 0) {
			t.Fatalf("Parse error %v but Check %v", err, errs)
		}
		if err != nil {
			return
		}
		e := NewEngine(rs, Options{})
		for i := 0; i < 3; i++ {
			e.Evaluate("p", t0.Add(time.Duration(i)*time.Hour), m, i != 1)
		}
		_ = e.Active()
	})
}

package alarm

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Every validation error names its line and the problem.
func TestValidationErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		line int
		msg  string
	}{
		{"unknown metric", rule("name: r", "metric: lane.rx_power_dB", "below: -8", "severity: major"),
			4, `unknown metric "lane.rx_power_dB": use one of lane.tx_bias_ma`},
		{"unknown vdm observable", rule("name: r", "metric: vdm.pre_fec_ber", "above: 1", "severity: major"),
			4, `unknown metric "vdm.pre_fec_ber"`},
		{"bad port glob", rule("name: r", "metric: lane.rx_power_dbm", `match: {port: "Ethernet[1"}`, "below: -8", "severity: major"),
			5, `match.port: bad selector: glob "Ethernet[1" has an unclosed [`},
		{"bad glob in a list", rule("name: r", "metric: lane.rx_power_dbm", "match:", "  part_number:", `    - "740-*"`, `    - 'x\'`, "below: -8", "severity: major"),
			8, `match.part_number: bad selector: glob "x\\" ends in a lone \`},
		{"bad lane", rule("name: r", "metric: lane.rx_power_dbm", `match: {lane: "0-3"}`, "below: -8", "severity: major"),
			5, `match.lane: bad selector "0-3"`},
		{"lane on a module metric", rule("name: r", "metric: module.temperature_c", "match: {lane: 1}", "above: 70", "severity: major"),
			5, "bad selector: lane on module metric module.temperature_c"},
		{"unknown selector", rule("name: r", "metric: lane.rx_power_dbm", "match: {serial: x}", "below: -8", "severity: major"),
			5, `unknown selector "serial"`},
		{"clear above an above threshold", rule("name: r", "metric: vdm.pre_fec_ber_media", "above: 1e-4", "clear: 2e-4", "severity: major"),
			6, "impossible hysteresis: clear 0.0002 is above the fire threshold 0.0001"},
		{"clear below a below threshold", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "clear: -9", "severity: major"),
			6, "impossible hysteresis: clear -9 is below the fire threshold -8"},
		{"clear band outside the band", rule("name: r", "metric: module.vcc_v", "outside: [3.1, 3.5]", "clear: [3.0, 3.4]", "severity: major"),
			6, "impossible hysteresis: clear band [3, 3.4] is not inside [3.1, 3.5]"},
		{"hysteresis eats the band", rule("name: r", "metric: module.vcc_v", "outside: [3.1, 3.5]", "hysteresis: 0.3", "severity: major"),
			6, "impossible hysteresis: 0.3 on each side leaves no clear band"},
		{"negative hysteresis", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "hysteresis: -1", "severity: major"),
			6, "impossible hysteresis: -1 is negative"},
		{"clear with a module threshold", rule("name: r", "metric: lane.rx_power_dbm", "below: {threshold: low_warning}", "clear: -5", "severity: major"),
			6, "give hysteresis (a margin) instead"},
		{"unknown severity", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "severity: urgent"),
			6, `unknown severity "urgent" (critical, major, minor, warning)`},
		{"missing severity", rule("name: r", "metric: lane.rx_power_dbm", "below: -8"),
			3, `rule "r" has no severity`},
		{"negative for", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "for: -5m", "severity: major"),
			6, "for: -5m is negative"},
		{"negative clear_for in defaults", "version: 1\ndefaults:\n  clear_for: -1s\nrules: []\n",
			3, "clear_for: -1s is negative"},
		{"not a duration", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "for: 10", "severity: major"),
			6, "for: want a duration (like 30s, 10m, 24h, 7d)"},
		{"template that does not parse", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "severity: major", `summary: "{{.Port"`),
			7, "bad summary template: r:1: unclosed action"},
		{"template with an unknown field", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "severity: major", `summary: "{{.Prot}}"`),
			7, "bad summary template: r:1:2: executing \"r\" at <.Prot>: can't evaluate field Prot"},
		{"unknown key", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "treshold: 3", "severity: major"),
			6, `unknown key "treshold" in rule`},
		{"two conditions", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "above: 5", "severity: major"),
			6, "has more than one condition (below, above)"},
		{"no condition", rule("name: r", "metric: lane.rx_power_dbm", "severity: major"),
			3, `rule "r" has no condition`},
		{"unknown builtin", rule("name: r", "builtin: thresholds"),
			4, `unknown builtin "thresholds"`},
		{"unknown flag in only", rule("name: r", "builtin: latched_flags", "only: [rx_los, rx_lol]"),
			5, `only: "rx_lol" is not a lane or module flag name`},
		{"condition on a builtin", rule("name: r", "builtin: module_thresholds", "above: 3"),
			5, "above has no meaning in builtin module_thresholds"},
		{"unknown severity class", rule("name: r", "builtin: module_thresholds", "severity: {fault: major}"),
			5, `severity: unknown class "fault" for module_thresholds (alarm, warning)`},
		{"unknown module threshold", rule("name: r", "metric: lane.rx_power_dbm", "below: {threshold: low_warn}", "severity: major"),
			5, `below: unknown module threshold "low_warn"`},
		{"reserved label", rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "severity: major", "labels: {port: x}"),
			7, `label "port" is set by ddm itself`},
		{"duplicate rule", "version: 1\nrules:\n  - {name: r, module_absent: 5m, severity: major}\n  - {name: r, module_absent: 1m, severity: major}\n",
			4, `rule "r" is defined twice (first at line 3)`},
		{"bad rule name", rule("name: rx power", "module_absent: 5m", "severity: major"),
			3, `rule name "rx power"`},
		{"lane on module_absent", rule("name: r", "module_absent: 5m", "match: {lane: 1}", "severity: major"),
			5, "bad selector: lane has no meaning in a module_absent rule"},
		{"baseline without drop", rule("name: r", "metric: lane.rx_power_dbm", "baseline: {window: 24h}", "severity: major"),
			5, "baseline: give drop: or rise:"},
		{"baseline too fine", rule("name: r", "metric: lane.rx_power_dbm", "baseline: {window: 24h, drop: 2, resolution: 10s}", "severity: major"),
			5, "holds more than 1440 intervals"},
		{"rate without a limit", rule("name: r", "metric: lane.tx_bias_ma", "rate: {per: 24h}", "severity: major"),
			5, "rate: give above: or below:"},
		{"unsupported version", "version: 2\nrules: []\n", 1, "version 2 is not supported"},
		{"yaml syntax", "version: 1\nrules:\n\t- name: r\n", 3, "found character that cannot start any token"},
		{"not a list", "version: 1\nrules: {a: 1}\n", 2, "rules must be a list"},
		{"key twice", rule("name: r", "module_absent: 5m", "severity: major", "severity: minor"), 6, `key "severity" is given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tc.text))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.File != "test.yaml" || e.Line != tc.line || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("got %q (line %d), want line %d and %q\n%s", e.Error(), e.Line, tc.line, tc.msg, tc.text)
			}
			if !strings.HasPrefix(e.Error(), "test.yaml:") {
				t.Errorf("error %q does not start with the file name", e.Error())
			}
		})
	}
}

// Check lists every problem, ordered by line.
func TestCheckListsAll(t *testing.T) {
	text := `version: 1
rules:
  - name: a
    metric: lane.rx_power_dB
    below: -8
    severity: major
  - name: b
    metric: lane.rx_power_dbm
    match: {port: "x[", lane: 99}
    below: -8
    clear: -9
    for: -1m
    severity: urgent
    summary: "{{.Nope}}"
`
	errs := Check("r.yaml", []byte(text))
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`r.yaml:4: unknown metric "lane.rx_power_dB"`,
		`r.yaml:9: match.port: bad selector`,
		`r.yaml:9: match.lane: bad selector "99"`,
		`r.yaml:11: impossible hysteresis: clear -9 is below the fire threshold -8`,
		`r.yaml:12: for: -1m is negative`,
		`r.yaml:13: unknown severity "urgent"`,
		`r.yaml:14: bad summary template`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d: %q, want prefix %q", i, got[i], want[i])
		}
	}
}

// Valid rules parse into what they say.
func TestParseRule(t *testing.T) {
	rs := mustParse(t, `version: 1
defaults:
  for: 2m
  labels: {team: fabric}
rules:
  - name: margin
    metric: lane.rx_power_dbm
    match:
      port: [Ethernet1, "Ethernet2*"]
      lane: [1, "3-4"]
      vendor: FINISAR*
    below: {threshold: low_warning, offset: 1}
    hysteresis: 0.5
    clear_for: 30s
    severity: minor
    labels: {component: optics}
  - name: bias
    metric: lane.tx_bias_ma
    rate: {above: 10, per: 1d, percent: true}
    severity: warning
  - name: flags
    builtin: latched_flags
    severity: major
    disabled: true
`)
	r := rs.Lookup("margin")
	if r == nil || r.For != 2*time.Minute || r.ClearFor != 30*time.Second || r.Severity != Minor ||
		r.Below.Ref != "low_warning" || r.Below.Offset != 1 || r.Hysteresis != 0.5 {
		t.Fatalf("margin %+v", r)
	}
	if got := r.Match.Lanes; len(got) != 3 || got[0] != 1 || got[2] != 4 {
		t.Errorf("lanes %v", got)
	}
	if r.Labels["team"] != "fabric" || r.Labels["component"] != "optics" {
		t.Errorf("labels %v", r.Labels)
	}
	if !r.Local() || r.Condition() != "below module low_warning+1" {
		t.Errorf("local %v condition %q", r.Local(), r.Condition())
	}
	b := rs.Lookup("bias")
	if b.Rate.Per != 24*time.Hour || b.Rate.Resolution != 30*time.Minute || !b.Rate.Percent || b.Local() {
		t.Errorf("bias %+v rate %+v", b, b.Rate)
	}
	f := rs.Lookup("flags")
	if !f.Disabled || f.Severities["fault"] != Major || f.Severities["alarm"] != Major {
		t.Errorf("flags %+v", f)
	}
	if n := len(NewEngine(rs, Options{}).rules); n != 2 {
		t.Errorf("engine has %d rules, want 2 (one disabled)", n)
	}
}

func TestGlobRegexp(t *testing.T) {
	for _, tc := range []struct {
		glob, re string
		literal  bool
		match    []string
		nomatch  []string
	}{
		{"Ethernet1*", `Ethernet1.*`, false, []string{"Ethernet1", "Ethernet1/1", "Ethernet10"}, []string{"Ethernet2"}},
		{"et-0/0/?", `et-0/0/.`, false, []string{"et-0/0/4"}, []string{"et-0/0/40"}},
		{"Eth[!0-3]", `Eth[^0-3]`, false, []string{"Eth4"}, []string{"Eth0"}},
		{"740-174932", `740-174932`, true, []string{"740-174932"}, []string{"740-1749321"}},
		{`a\*b`, `a\*b`, true, []string{"a*b"}, []string{"axb"}},
		{"QSFP-DD (x)", `QSFP-DD \(x\)`, true, []string{"QSFP-DD (x)"}, nil},
	} {
		re, lit, err := GlobRegexp(tc.glob)
		if err != nil || re != tc.re || lit != tc.literal {
			t.Errorf("%q: %q %v %v, want %q %v", tc.glob, re, lit, err, tc.re, tc.literal)
			continue
		}
		m, _ := compileGlobs([]string{tc.glob})
		for _, s := range tc.match {
			if !m.match(s) {
				t.Errorf("%q does not match %q", tc.glob, s)
			}
		}
		for _, s := range tc.nomatch {
			if m.match(s) {
				t.Errorf("%q matches %q", tc.glob, s)
			}
		}
	}
	for _, bad := range []string{"", "a[", `a\`, "[]", "[!]"} {
		if _, _, err := GlobRegexp(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestRemedian(t *testing.T) {
	var r remedian
	noise := lcg(3)
	for i := 0; i < 3000; i++ {
		v := float32(10 + noise.next())
		if i%10 == 0 {
			v = 1000 // outliers
		}
		r.add(v)
	}
	if m := r.median(); m < 9.7 || m > 10.3 {
		t.Errorf("median %g, want about 10", m)
	}
	var small remedian
	for _, v := range []float32{5, 1, 3} {
		small.add(v)
	}
	if m := small.median(); m != 3 {
		t.Errorf("median of 5,1,3 = %g", m)
	}
}

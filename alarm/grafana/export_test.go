package grafana

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/grafana/grafana-foundation-sdk/go/alerting"

	"github.com/ddm-agent/ddm/alarm"
)

func defaultRules(t *testing.T) *alarm.Rules {
	t.Helper()
	rs, err := alarm.Parse("default-rules.yaml", alarm.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestExportTyped writes the bundle, reads it back into the typed models
// (the SDK's alerting, expression and dashboard types, InfluxQuery, the
// provisioning envelope) and checks it: the typed values re-encode to the
// very files written, and every structural requirement holds.
func TestExportTyped(t *testing.T) {
	rules := defaultRules(t)
	for _, lang := range []Language{InfluxQL, Flux} {
		t.Run(string(lang), func(t *testing.T) {
			b, err := Export(rules, Options{Language: lang, DatasourceUID: "influx-1", Folder: "Optics"})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := b.WriteDir(dir); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{RulesPath, ReadmePath, "dashboards/ddm-fleet.json", "dashboards/ddm-switch.json",
				"dashboards/ddm-port.json", "dashboards/ddm-ber.json", "dashboards/ddm-alarms.json", "dashboards/ddm-energy.json"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Error(err)
				}
			}
			back, err := ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := back.Check(); err != nil {
				t.Fatal(err)
			}
			j1, _ := json.Marshal(b.Rules)
			j2, _ := json.Marshal(back.Rules)
			if string(j1) != string(j2) {
				t.Error("the rule file does not read back to the same typed rules")
			}
			if len(back.Dashboards) != 6 {
				t.Errorf("%d dashboards", len(back.Dashboards))
			}
			for _, d := range back.Dashboards {
				for _, p := range d.Panels {
					if p.Panel == nil {
						continue
					}
					for _, tg := range p.Panel.Targets {
						q, ok := tg.(InfluxQuery)
						if !ok || *q.Datasource.Uid != "influx-1" {
							t.Errorf("%s: panel %q: target %#v", *d.Uid, *p.Panel.Title, tg)
						}
						if (lang == InfluxQL) != q.RawQuery {
							t.Errorf("%s: panel %q: rawQuery %v for %s", *d.Uid, *p.Panel.Title, q.RawQuery, lang)
						}
					}
				}
			}

			grp := back.Rules.Groups[0]
			if grp.Folder != "Optics" || grp.Interval != "1m" || grp.OrgID != 1 {
				t.Errorf("group %+v", grp)
			}
			if len(grp.Rules) != len(rules.Rules) {
				t.Fatalf("%d Grafana rules for %d ddm rules", len(grp.Rules), len(rules.Rules))
			}
			local := map[string]bool{"module_thresholds": true, "vdm_thresholds": true, "latched_faults": true,
				"rx_power_margin": true, "rx_power_low_dr": true, "module_absent": true}
			for i, r := range grp.Rules {
				dr := rules.Rules[i]
				if r.UID != "ddm-"+dr.Name || r.Labels["rule"] != dr.Name {
					t.Errorf("rule %d: uid %s labels %v", i, r.UID, r.Labels)
				}
				var text []string
				for _, q := range r.Data {
					if iq, ok := q.Model.(InfluxQuery); ok {
						text = append(text, iq.Query)
						if *q.DatasourceUid != "influx-1" {
							t.Errorf("%s: datasource %s", r.UID, *q.DatasourceUid)
						}
					}
				}
				all := strings.Join(text, "\n")
				desc := r.Annotations["description"]
				if local[dr.Name] {
					if !strings.Contains(all, "xcvr_alarm") || !strings.Contains(desc, "Evaluated by the ddm agent") {
						t.Errorf("%s: a local rule must follow xcvr_alarm and say so:\n%s\n%s", r.UID, all, desc)
					}
					if r.For != "0s" || r.KeepFiringFor != "" {
						t.Errorf("%s: for %s keepFiringFor %s: the agent applied them already", r.UID, r.For, r.KeepFiringFor)
					}
					continue
				}
				if strings.Contains(all, "xcvr_alarm") || strings.Contains(desc, "Evaluated by the ddm agent") {
					t.Errorf("%s: evaluated on its metric, not on xcvr_alarm:\n%s", r.UID, all)
				}
				if r.Labels["severity"] != dr.Severity.String() || r.For != promDuration(dr.For) {
					t.Errorf("%s: severity %q for %q", r.UID, r.Labels["severity"], r.For)
				}
				s, _ := dr.Series()
				if !strings.Contains(all, s.Measurement) {
					t.Errorf("%s: no %s in\n%s", r.UID, s.Measurement, all)
				}
				if s.Observable == "pre_fec_ber_media" && !(strings.Contains(all, "pre_fec_ber") && strings.Contains(all, "media") && !strings.Contains(all, "pre_fec_ber_media")) {
					t.Errorf("%s: VDM side not split into its tag:\n%s", r.UID, all)
				}
			}
		})
	}
}

// TestExportDisabledAndErrors: a disabled rule is exported paused; bad
// options are refused.
func TestExportDisabledAndErrors(t *testing.T) {
	rs, err := alarm.Parse("r.yaml", []byte(`version: 1
rules:
  - name: hot
    metric: module.temperature_c
    above: 70
    severity: major
    disabled: true
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Export(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Rules.Groups[0].Rules[0]; !r.IsPaused {
		t.Errorf("disabled rule not paused: %+v", r)
	}
	if _, err := Export(rs, Options{Language: "sql"}); err == nil {
		t.Error("unknown language accepted")
	}
	if _, err := Export(rs, Options{Interval: 1500 * 1e6}); err == nil {
		t.Error("1.5s interval accepted")
	}
	if _, err := Export(nil, Options{}); err == nil {
		t.Error("nil rules accepted")
	}
}

// TestCheckRejects breaks a valid rule file in the ways Check must catch.
func TestCheckRejects(t *testing.T) {
	b, err := Export(defaultRules(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	y, err := b.RulesYAML()
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *RuleFile {
		f, err := ParseRuleFile(y)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Check(); err != nil {
			t.Fatal(err)
		}
		return f
	}
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		name, want string
		mutate     func(f *RuleFile)
	}{
		{"duplicate uid", "not unique", func(f *RuleFile) { f.Groups[0].Rules[1].UID = f.Groups[0].Rules[0].UID }},
		{"uid too long", "uid", func(f *RuleFile) { f.Groups[0].Rules[0].UID = strings.Repeat("x", 41) }},
		{"duplicate title", "title", func(f *RuleFile) { f.Groups[0].Rules[1].Title = f.Groups[0].Rules[0].Title }},
		{"condition missing", "not a refId", func(f *RuleFile) { f.Groups[0].Rules[0].Condition = "Z" }},
		{"condition on data", "data query", func(f *RuleFile) { f.Groups[0].Rules[0].Condition = "A" }},
		{"condition not a threshold", "not a threshold", func(f *RuleFile) { f.Groups[0].Rules[0].Condition = "B" }},
		{"refId twice", "not unique", func(f *RuleFile) { f.Groups[0].Rules[0].Data[1].RefId = str("A") }},
		{"reads a later refId", "not an earlier refId", func(f *RuleFile) {
			d := f.Groups[0].Rules[0].Data
			d[0], d[1] = d[1], d[0]
		}},
		{"negative for", "for", func(f *RuleFile) { f.Groups[0].Rules[0].For = "-1m" }},
		{"bad keepFiringFor", "keepFiringFor", func(f *RuleFile) { f.Groups[0].Rules[3].KeepFiringFor = "soon" }},
		{"no datasource", "datasourceUid", func(f *RuleFile) { f.Groups[0].Rules[0].Data[0].DatasourceUid = str("") }},
		{"time range", "relativeTimeRange", func(f *RuleFile) {
			z := alerting.Duration(0)
			f.Groups[0].Rules[0].Data[0].RelativeTimeRange.From = &z
		}},
		{"no data", "no data", func(f *RuleFile) { f.Groups[0].Rules[0].Data = nil }},
		{"api version", "apiVersion", func(f *RuleFile) { f.APIVersion = 2 }},
		{"interval", "interval", func(f *RuleFile) { f.Groups[0].Interval = "1s" }},
		{"no-data state", "noDataState", func(f *RuleFile) { f.Groups[0].Rules[0].NoDataState = "Maybe" }},
	} {
		f := fresh()
		c.mutate(f)
		err := f.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Check = %v, want an error about %q", c.name, err, c.want)
		}
	}

	// Keys the typed model does not know are errors when reading.
	for _, bad := range []struct{ from, to string }{
		{"    interval: 1m\n", "    interval: 1m\n    colour: red\n"},
		{"        condition: C\n", "        condition: C\n        pending: 5m\n"},
		{"              rawQuery: true\n", "              rawQuery: true\n              database: ddm\n"},
	} {
		if !strings.Contains(string(y), bad.from) {
			t.Fatalf("no %q in the file", bad.from)
		}
		if _, err := ParseRuleFile([]byte(strings.Replace(string(y), bad.from, bad.to, 1))); err == nil {
			t.Errorf("unknown key %q accepted", strings.TrimSpace(strings.TrimPrefix(bad.to, bad.from)))
		}
	}
}

// TestSummaryTranslation: ddm summaries become Grafana templates that
// run on $labels and $values.
func TestSummaryTranslation(t *testing.T) {
	refs := &tmplRefs{value: variable("$values", "B", "Value"), threshold: number(1e-5), rule: "r", metric: "vdm.pre_fec_ber_media"}
	got, ok := translateSummary(`{{.Port}}{{if .Lane}} lane {{.Lane}}{{end}}: {{.Metric}} {{printf "%.2e" .Value}} > {{printf "%.0e" .Threshold}} ({{.Severity}}, {{.Labels.component}}, {{.PartNumber}})`, refs)
	if !ok || !refs.usesValue || !refs.usesThr {
		t.Fatalf("translate: %v %q", ok, got)
	}
	// Grafana defines $labels and $values before the annotation's text.
	tmpl, err := template.New("a").Parse(`{{- $labels := .Labels -}}{{- $values := .Values -}}` + got)
	if err != nil {
		t.Fatalf("%q: %v", got, err)
	}
	var out strings.Builder
	data := map[string]any{
		"Labels": map[string]string{"port": "Ethernet1/5", "lane": "3", "severity": "major", "component": "optics"},
		"Values": map[string]struct{ Value float64 }{"B": {1.23e-4}},
	}
	if err := tmpl.Execute(&out, data); err != nil {
		t.Fatal(err)
	}
	if want := "Ethernet1/5 lane 3: vdm.pre_fec_ber_media 1.23e-04 > 1e-05 (major, optics, ?)"; out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
	if _, ok := translateSummary(`{{template "x"}}`, refs); ok {
		t.Error("a template call translated")
	}
	if _, ok := translateSummary(`{{.}}`, refs); ok {
		t.Error("a bare dot translated")
	}
}

// TestQuoting: what a rule file names cannot break out of a literal.
func TestQuoting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{iqlString(`it's \ odd`), `'it\'s \\ odd'`},
		{iqlIdent(`a"b`), `"a\"b"`},
		{fluxString(`a"b\c${d}`), `"a\"b\\c\${d}"`},
		{regexLiteral(`^(?:Ethernet1/5)$`), `/^(?:Ethernet1\/5)$/`},
		{fluxNum(1), "1.0"},
		{fluxNum(1e-5), "1e-05"},
		{promDuration(90 * 60 * 1e9), "1h30m"},
		{promDuration(0), "0s"},
		{promDuration(36 * 3600 * 1e9), "1d12h"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	m, err := globMatch("port", []string{"Ethernet1/1?", `mgmt\*`})
	if err != nil || m.regex != `^(?:Ethernet1/1.|mgmt\*)$` {
		t.Errorf("globMatch: %+v %v", m, err)
	}
	m, err = globMatch("port", []string{"Ethernet1/5", `mgmt\*`})
	if err != nil || m.regex != "" || strings.Join(m.values, ",") != "Ethernet1/5,mgmt*" {
		t.Errorf("globMatch literal: %+v %v", m, err)
	}
}

package alarm

import (
	"strings"
	"testing"
	"time"
)

// TestSummaryTemplatesBounded: a summary whose cost is not bounded by its
// own size is refused at its line, quickly (`{{range 100000000000}}` used to
// hang rules check and ddm run).
func TestSummaryTemplatesBounded(t *testing.T) {
	for _, tc := range []struct{ name, summary, want string }{
		{"range over an integer", `{{range 100000000000}}{{end}}`, "a summary may range over .Labels only"},
		{"range over a variable", `{{$n := 100000000000}}{{range $n}}x{{end}}`, "a summary may range over .Labels only"},
		{"nested range", `{{range .Labels}}{{range $.Labels}}x{{end}}{{end}}`, "a range inside a range is not allowed"},
		{"recursion", `{{define "a"}}x{{template "a" .}}{{template "a" .}}{{end}}{{template "a" .}}`, "{{define}} and {{block}} are not allowed"},
		{"template", `{{template "r" .}}`, "{{template}} is not allowed"},
		{"huge width", `{{printf "%0100000000d" 1}}`, "widths and precisions above 64 are not allowed"},
		{"huge precision", `{{printf "%.100000000f" .Value}}`, "widths and precisions above 64"},
		{"width from an argument", `{{printf "%*d" 100000000 1}}`, "a width or precision from an argument (*)"},
		{"format from data", `{{printf .Port 1}}`, "printf's format must be a constant string"},
		{"format in a pipeline", `{{.Value | printf "%099999d"}}`, "widths and precisions above 64"},
		{"call", `{{call .Port}}`, "call is not allowed"},
		{"long source", strings.Repeat("x", MaxSummaryTemplate+1), "summary is 2049 bytes, more than 2048"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := Parse("r.yaml", []byte(rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "severity: major", "summary: '"+strings.ReplaceAll(tc.summary, "'", "''")+"'")))
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "r.yaml:7: bad summary template") && !strings.Contains(err.Error(), "r.yaml:7: summary") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want line 7 and %q", tc.name, err, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Parse did not return", tc.name)
		}
	}
	// What summaries are for still works: labels, conditions, formats.
	ok := `{{.Port}} lane {{.Lane}}: {{printf "%8.3f" .Value}}{{range $k, $v := .Labels}} {{$k}}={{$v}}{{end}}{{if gt .Value 1.0}} high{{end}}{{with .Since}} since {{.Format "15:04"}}{{end}}`
	if _, err := Parse("r.yaml", []byte(rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "severity: major", "summary: '"+ok+"'"))); err != nil {
		t.Errorf("a reasonable summary is refused: %v", err)
	}
}

// TestSummaryOutputBounded: a summary that expands beyond MaxSummaryBytes
// is cut (it used to make 80 MB points).
func TestSummaryOutputBounded(t *testing.T) {
	var labels []string
	for i := range MaxLabels - 1 {
		labels = append(labels, strings.Repeat("l", 1)+string(rune('a'+i%26))+strings.Repeat("x", i/26)+": "+strings.Repeat("v", 200))
	}
	text := rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "severity: major",
		"labels: {"+strings.Join(labels, ", ")+"}",
		`summary: '{{range .Labels}}{{.}}{{.}}{{.}}{{.}}{{end}}'`)
	e := engine(t, text)
	m := osfp("740-174932", "SN1")
	setRxDBM(m, 1, -12)
	evs := e.Evaluate("Ethernet1", t0, m, true)
	if len(evs) == 0 {
		t.Fatal("no alarm")
	}
	s := evs[0].Summary
	if len(s) > MaxSummaryBytes+len("…") || !strings.HasSuffix(s, "…") {
		t.Errorf("summary of %d bytes, want at most %d ending in …", len(s), MaxSummaryBytes)
	}
}

func TestLabelsBounded(t *testing.T) {
	var labels []string
	for i := range MaxLabels + 1 {
		labels = append(labels, "l"+strings.Repeat("x", i)+": v")
	}
	_, err := Parse("r.yaml", []byte(rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "severity: major", "labels: {"+strings.Join(labels, ", ")+"}")))
	if err == nil || !strings.Contains(err.Error(), "more than 32 labels") {
		t.Errorf("33 labels: %v", err)
	}
	_, err = Parse("r.yaml", []byte(rule("name: r", "metric: lane.rx_power_dbm", "below: -8", "severity: major", "labels: {team: \"net\\nops\"}")))
	if err == nil || !strings.Contains(err.Error(), `r.yaml:7: label team: value "net\nops" holds a control character`) {
		t.Errorf("label with a newline: %v", err)
	}
}

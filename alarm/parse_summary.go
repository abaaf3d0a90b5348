package alarm

import (
	"errors"
	"strings"
	"text/template"
)

// defaultSummaries are used when a rule has no summary.
var defaultSummaries = map[condKind]string{
	condModuleThresholds: `{{.Port}}{{if .Lane}} lane {{.Lane}}{{end}}: {{.Observable}} {{printf "%.4g" .Value}} beyond the module's {{.Limit}} {{printf "%.4g" .Threshold}}`,
	condVDMThresholds:    `{{.Port}} lane {{.Lane}}: {{.Observable}} {{printf "%.4g" .Value}} beyond its VDM {{.Limit}} {{printf "%.4g" .Threshold}}`,
	condFlags:            `{{.Port}}{{if .Lane}} lane {{.Lane}}{{end}}: module flag {{.Observable}} set`,
	condModuleAbsent:     `{{.Port}}: module absent`,
	condAbsent:           `{{.Port}}{{if .Lane}} lane {{.Lane}}{{end}}: no {{.Metric}} data`,
}

const defaultSummary = `{{.Port}}{{if .Lane}} lane {{.Lane}}{{end}}: {{.Metric}} {{printf "%.4g" .Value}} (threshold {{printf "%.4g" .Threshold}})`

func (p *parser) summary(r *Rule, line int) {
	text := r.Summary
	if text == "" {
		text = defaultSummaries[r.kind]
		if text == "" {
			text = defaultSummary
		}
	}
	if len(text) > MaxSummaryTemplate {
		p.errf(line, "summary is %d bytes, more than %d", len(text), MaxSummaryTemplate)
		return
	}
	t, err := template.New(r.Name).Option("missingkey=zero").Parse(text)
	if err == nil {
		err = checkSummary(t)
	}
	if err == nil {
		// Run it once on empty data: a field that does not exist fails
		// here, not at the first alarm. Bounded like every expansion.
		err = t.Execute(&limitedWriter{max: MaxSummaryBytes}, &TemplateData{Labels: map[string]string{}})
		if errors.Is(err, errSummaryTooLong) {
			err = nil // a long expansion is cut at run time, not an error
		}
	}
	if err != nil {
		p.errf(line, "bad summary template: %s", strings.TrimPrefix(err.Error(), "template: "))
		return
	}
	r.tmpl = t
}

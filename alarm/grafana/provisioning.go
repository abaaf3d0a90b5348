package grafana

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/alerting"
	"github.com/grafana/grafana-foundation-sdk/go/expr"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// RuleFile is Grafana's alert rule provisioning file, version 1
// (provisioning/alerting/*.yaml; the RuleFileV1, AlertRuleGroupV1 and
// AlertRuleV1 types of Grafana's pkg/services/provisioning/alerting). The
// SDK's alerting package models the HTTP API's rules (orgID, folderUID,
// ruleGroup on every rule), not this file, so the file's envelope is typed
// here and each rule's queries are the SDK's alerting.Query with typed
// models: InfluxQuery, and expr.Expr for reduce, math and threshold.
type RuleFile struct {
	APIVersion int64       `json:"apiVersion"`
	Groups     []RuleGroup `json:"groups"`
}

// RuleGroup is a group of rules evaluated together.
type RuleGroup struct {
	OrgID    int64  `json:"orgId"`
	Name     string `json:"name"`
	Folder   string `json:"folder"`
	Interval string `json:"interval"`
	Rules    []Rule `json:"rules"`
}

// Rule is one provisioned alert rule.
type Rule struct {
	UID          string                    `json:"uid"`
	Title        string                    `json:"title"`
	Condition    string                    `json:"condition"`
	Data         []alerting.Query          `json:"data"`
	NoDataState  alerting.RuleNoDataState  `json:"noDataState"`
	ExecErrState alerting.RuleExecErrState `json:"execErrState"`
	For          string                    `json:"for"`
	// KeepFiringFor (Grafana 12: alerts stay firing, "recovering", this
	// long after the condition stops holding: the rule's clear_for).
	// Earlier versions ignore the key.
	KeepFiringFor string            `json:"keepFiringFor,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
	IsPaused      bool              `json:"isPaused"`
}

// fileRule converts a rule built with the SDK's builder.
func fileRule(r alerting.Rule) Rule {
	out := Rule{
		Title: r.Title, Condition: r.Condition, Data: r.Data, NoDataState: r.NoDataState,
		ExecErrState: r.ExecErrState, For: r.For, Labels: r.Labels, Annotations: r.Annotations,
	}
	if r.Uid != nil {
		out.UID = *r.Uid
	}
	if r.KeepFiringFor != nil {
		out.KeepFiringFor = *r.KeepFiringFor
	}
	if r.IsPaused != nil {
		out.IsPaused = *r.IsPaused
	}
	return out
}

// MarshalYAML writes the file as Grafana reads it: the JSON encoding of
// the typed structs (their field order kept), in YAML block style, long
// queries as literal blocks.
func (f *RuleFile) MarshalYAML() ([]byte, error) { return marshalYAML(f) }

// marshalYAML writes a typed provisioning file: its JSON encoding in YAML
// block style, multi-line strings as literal blocks.
func marshalYAML(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return nil, err
	}
	blockStyle(&doc)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// blockStyle drops the flow style that JSON input gives every node;
// multi-line strings become literal blocks.
func blockStyle(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!str" {
			n.Style = 0
			if strings.Contains(n.Value, "\n") {
				n.Style = yaml.LiteralStyle
			}
		}
	default:
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// ParseRuleFile reads a provisioning file into the typed model and
// fails on anything the model does not carry: the file, re-encoded from
// the typed values, must equal the input (an unknown key, in the envelope,
// a query or its model, or a value of the wrong type shows as a
// difference). The SDK's own strict decoders cannot be used: in v0.0.22
// they return an empty error list as a non-nil error and drop nested
// values.
func ParseRuleFile(b []byte) (*RuleFile, error) {
	f := &RuleFile{}
	if err := parseYAMLStrict(b, f); err != nil {
		return nil, fmt.Errorf("rule file: %w", err)
	}
	return f, nil
}

// parseYAMLStrict reads a provisioning file into the typed value v and
// fails when v, re-encoded, is not the file: an unknown key or a value of
// the wrong type.
func parseYAMLStrict(b []byte, v any) error {
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return err
	}
	j, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(j, v); err != nil {
		return err
	}
	return sameJSON(j, v)
}

// sameJSON reports where the JSON encoding of v differs from orig.
func sameJSON(orig []byte, v any) error {
	re, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var a, b any
	if err := json.Unmarshal(orig, &a); err != nil {
		return err
	}
	if err := json.Unmarshal(re, &b); err != nil {
		return err
	}
	return jsonDiff("", a, b)
}

func jsonDiff(path string, a, b any) error {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: not an object in the typed model", path)
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok {
				return fmt.Errorf("%s/%s: not in the typed model (unknown key or wrong type)", path, k)
			}
			if err := jsonDiff(path+"/"+k, v, w); err != nil {
				return err
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				return fmt.Errorf("%s/%s: added by the typed model", path, k)
			}
		}
		return nil
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Errorf("%s: list differs in the typed model", path)
		}
		for i := range x {
			if err := jsonDiff(fmt.Sprintf("%s/%d", path, i), x[i], y[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if a != b {
		return fmt.Errorf("%s: %v becomes %v in the typed model", path, a, b)
	}
	return nil
}

var uidRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// Check validates what Grafana requires of a provisioning file and what
// ddm's rules rely on: unique uids and titles, refIds unique and
// consistent (every expression reads an earlier refId, the condition is a
// threshold expression), durations that parse and are not negative, a
// data source uid on every query.
func (f *RuleFile) Check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if f.APIVersion != 1 {
		bad("apiVersion %d, want 1", f.APIVersion)
	}
	uids := map[string]bool{}
	for gi, g := range f.Groups {
		if g.Name == "" || g.Folder == "" {
			bad("group %d: name and folder are required", gi)
		}
		if d, err := model.ParseDuration(g.Interval); err != nil || time.Duration(d) < 10*time.Second {
			bad("group %s: interval %q: want a duration of at least 10s", g.Name, g.Interval)
		}
		titles := map[string]bool{}
		for _, r := range g.Rules {
			if !uidRE.MatchString(r.UID) {
				bad("rule %q: uid %q: want 1 to 40 of [A-Za-z0-9_-]", r.Title, r.UID)
			}
			if uids[r.UID] {
				bad("rule uid %q is not unique", r.UID)
			}
			uids[r.UID] = true
			if r.Title == "" || len(r.Title) > 190 {
				bad("rule %s: title %q: want 1 to 190 characters", r.UID, r.Title)
			}
			if titles[r.Title] {
				bad("rule %s: title %q is not unique in folder %s", r.UID, r.Title, g.Folder)
			}
			titles[r.Title] = true
			for _, d := range []struct{ k, v string }{{"for", r.For}, {"keepFiringFor", r.KeepFiringFor}} {
				if d.v == "" && d.k != "for" {
					continue
				}
				if v, err := model.ParseDuration(d.v); err != nil || v < 0 {
					bad("rule %s: %s %q: want a duration ≥ 0", r.UID, d.k, d.v)
				}
			}
			switch r.NoDataState {
			case alerting.RuleNoDataStateOK, alerting.RuleNoDataStateNoData, alerting.RuleNoDataStateAlerting, alerting.RuleNoDataStateKeepLast:
			default:
				bad("rule %s: noDataState %q", r.UID, r.NoDataState)
			}
			switch r.ExecErrState {
			case alerting.RuleExecErrStateError, alerting.RuleExecErrStateAlerting, alerting.RuleExecErrStateOK, alerting.RuleExecErrStateKeepLast:
			default:
				bad("rule %s: execErrState %q", r.UID, r.ExecErrState)
			}
			if err := checkQueries(r); err != nil {
				bad("rule %s: %v", r.UID, err)
			}
		}
	}
	return errors.Join(errs...)
}

// exprOf returns the expression model of a query, if it is one.
func exprOf(q alerting.Query) (*expr.Expr, bool) {
	switch m := q.Model.(type) {
	case expr.Expr:
		return &m, true
	case *expr.Expr:
		return m, m != nil
	}
	return nil, false
}

var mathRef = regexp.MustCompile(`\$\{?([A-Za-z][A-Za-z0-9_]*)\}?`)

// inputs lists the refIds an expression reads.
func inputs(e *expr.Expr) []string {
	switch {
	case e.TypeReduce != nil:
		return []string{e.TypeReduce.Expression}
	case e.TypeThreshold != nil:
		return []string{e.TypeThreshold.Expression}
	case e.TypeResample != nil:
		return []string{e.TypeResample.Expression}
	case e.TypeMath != nil:
		var out []string
		for _, m := range mathRef.FindAllStringSubmatch(e.TypeMath.Expression, -1) {
			out = append(out, m[1])
		}
		return out
	}
	return nil
}

func checkQueries(r Rule) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(r.Data) == 0 {
		return errors.New("no data")
	}
	seen := map[string]bool{}
	var condExpr *expr.Expr
	for i, q := range r.Data {
		if q.RefId == nil || *q.RefId == "" {
			bad("data[%d]: no refId", i)
			continue
		}
		id := *q.RefId
		if seen[id] {
			bad("refId %s is not unique", id)
		}
		if q.DatasourceUid == nil || *q.DatasourceUid == "" {
			bad("%s: no datasourceUid", id)
			continue
		}
		if q.Model == nil {
			bad("%s: no model", id)
			continue
		}
		if err := q.Model.Validate(); err != nil {
			bad("%s: model: %v", id, err)
		}
		if e, ok := exprOf(q); ok {
			if *q.DatasourceUid != ExprDatasourceUID {
				bad("%s: an expression on datasource %q, want %s", id, *q.DatasourceUid, ExprDatasourceUID)
			}
			in := inputs(e)
			if len(in) == 0 {
				bad("%s: expression reads nothing", id)
			}
			for _, ref := range in {
				if !seen[ref] {
					bad("%s: reads %s, which is not an earlier refId", id, ref)
				}
			}
			if id == r.Condition {
				condExpr = e
			}
		} else {
			iq, ok := q.Model.(InfluxQuery)
			if !ok {
				bad("%s: model is %T, want an InfluxDB query", id, q.Model)
			} else {
				if iq.RefID != id {
					bad("%s: model refId %q", id, iq.RefID)
				}
				if iq.Datasource == nil || iq.Datasource.Uid == nil || *iq.Datasource.Uid != *q.DatasourceUid {
					bad("%s: model datasource is not the query's %s", id, *q.DatasourceUid)
				}
			}
			tr := q.RelativeTimeRange
			if tr == nil || tr.From == nil || tr.To == nil || *tr.From <= *tr.To || *tr.To < 0 {
				bad("%s: relativeTimeRange must have from > to ≥ 0", id)
			}
			if id == r.Condition {
				bad("the condition %s is a data query, not an expression", id)
			}
		}
		seen[id] = true
	}
	switch {
	case r.Condition == "":
		bad("no condition")
	case !seen[r.Condition]:
		bad("condition %s is not a refId of the rule", r.Condition)
	case condExpr != nil && condExpr.TypeThreshold == nil:
		bad("condition %s is not a threshold expression", r.Condition)
	}
	return errors.Join(errs...)
}

package grafana

// A small model of how Grafana evaluates an exported rule, enough to run
// the exported pipelines on query results: macros substituted the way the
// InfluxDB data source does, reduce (last, dropNN), math (the operators and
// functions the export writes, with Grafana's label join), threshold with
// a recovery threshold for pending and firing instances, and the alert
// state machine (pending for `for`, recovering for keepFiringFor, missing
// series resolved after two evaluations).

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/grafana/grafana-foundation-sdk/go/expr"
)

// labels of a series, and their key.
type labels map[string]string

func (l labels) key() string {
	ks := make([]string, 0, len(l))
	for k := range l {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, "%s=%s,", k, l[k])
	}
	return b.String()
}

// subset reports whether every label of a is in b with the same value.
func (a labels) subset(b labels) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

type point struct {
	t time.Time
	v float64
}

// frame is one series of a data query's result.
type frame struct {
	labels labels
	points []point
}

// item is one item of a reduced or computed result.
type item struct {
	labels labels
	v      float64
}

// result of a refId: frames (data query) or numbers (expression); a
// scalar has one unlabelled number.
type result struct {
	frames  []frame
	numbers []item
}

// interpolateInfluxQL substitutes the macros the InfluxDB data source
// expands in InfluxQL.
func interpolateInfluxQL(q string, from, to time.Time, interval time.Duration, vars map[string]string) string {
	q = strings.ReplaceAll(q, "$timeFilter", fmt.Sprintf("time >= %dms and time <= %dms", from.UnixMilli(), to.UnixMilli()))
	q = strings.ReplaceAll(q, "$__interval", promDuration(interval))
	for k, v := range vars {
		q = strings.ReplaceAll(q, "$"+k, v)
	}
	return q
}

// interpolateFlux substitutes the v.* parameters Grafana replaces in Flux
// text before it sends the query.
func interpolateFlux(q string, from, to time.Time, interval time.Duration, vars map[string]string) string {
	q = strings.ReplaceAll(q, "v.timeRangeStart", from.UTC().Format(time.RFC3339Nano))
	q = strings.ReplaceAll(q, "v.timeRangeStop", to.UTC().Format(time.RFC3339Nano))
	q = strings.ReplaceAll(q, "v.windowPeriod", promDuration(interval))
	for k, v := range vars {
		q = strings.ReplaceAll(q, "${"+k+":json}", v)
	}
	return q
}

// reduceLast is reduce(last) with mode dropNN.
func reduceLast(in result) result {
	var out result
	for _, f := range in.frames {
		v := math.NaN()
		for i := len(f.points) - 1; i >= 0; i-- {
			if !math.IsNaN(f.points[i].v) && !math.IsInf(f.points[i].v, 0) {
				v = f.points[i].v
				break
			}
		}
		out.numbers = append(out.numbers, item{f.labels, v})
	}
	out.numbers = append(out.numbers, in.numbers...)
	return out
}

// evaluator as the threshold's evaluators read them.
func evaluate(typ string, p []float64, v float64) (bool, error) {
	switch typ {
	case "gt":
		return v > p[0], nil
	case "lt":
		return v < p[0], nil
	case "outside_range":
		return v < p[0] || v > p[1], nil
	case "within_range":
		return v > p[0] && v < p[1], nil
	}
	return false, fmt.Errorf("evaluator %q", typ)
}

// threshold evaluates a threshold expression; loaded are the label keys
// of instances that are pending or firing: those recover only when the
// unload evaluator holds.
func threshold(t *expr.TypeThreshold, in result, loaded map[string]bool) (result, error) {
	if len(t.Conditions) != 1 {
		return result{}, fmt.Errorf("threshold with %d conditions", len(t.Conditions))
	}
	c := t.Conditions[0]
	var out result
	for _, n := range in.numbers {
		var fire bool
		var err error
		if c.UnloadEvaluator != nil && loaded[n.labels.key()] {
			var rec bool
			rec, err = evaluate(string(c.UnloadEvaluator.Type), c.UnloadEvaluator.Params, n.v)
			fire = !rec
		} else {
			fire, err = evaluate(string(c.Evaluator.Type), c.Evaluator.Params, n.v)
		}
		if err != nil {
			return result{}, err
		}
		v := 0.0
		if fire {
			v = 1
		}
		out.numbers = append(out.numbers, item{n.labels, v})
	}
	return out, nil
}

// --- math ---------------------------------------------------------------

type tok struct {
	kind string // num, ref, op, ident, (, ), ,
	s    string
	n    float64
}

func lex(s string) ([]tok, error) {
	var out []tok
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '$':
			j := i + 1
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_') {
				j++
			}
			out = append(out, tok{kind: "ref", s: s[i+1 : j]})
			i = j
		case unicode.IsDigit(c) || c == '.':
			j := i
			for j < len(s) && (unicode.IsDigit(rune(s[j])) || s[j] == '.' || s[j] == 'e' || ((s[j] == '-' || s[j] == '+') && j > i && s[j-1] == 'e')) {
				j++
			}
			n, err := strconv.ParseFloat(s[i:j], 64)
			if err != nil {
				return nil, err
			}
			out = append(out, tok{kind: "num", n: n})
			i = j
		case unicode.IsLetter(c):
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || s[j] == '_') {
				j++
			}
			out = append(out, tok{kind: "ident", s: s[i:j]})
			i = j
		case c == '(' || c == ')' || c == ',':
			out = append(out, tok{kind: string(c)})
			i++
		default:
			for _, op := range []string{">=", "<=", "==", "!=", "&&", "||", "+", "-", "*", "/", ">", "<"} {
				if strings.HasPrefix(s[i:], op) {
					out = append(out, tok{kind: "op", s: op})
					i += len(op)
					goto next
				}
			}
			return nil, fmt.Errorf("math: unexpected %q", s[i:])
		next:
		}
	}
	return out, nil
}

// mathEval parses and evaluates a math expression on the results.
type mathEval struct {
	toks []tok
	pos  int
	vars map[string]result
}

var precedence = map[string]int{"||": 1, "&&": 2, "==": 3, "!=": 3, ">": 3, "<": 3, ">=": 3, "<=": 3, "+": 4, "-": 4, "*": 5, "/": 5}

func (m *mathEval) parse(minPrec int) (result, error) {
	lhs, err := m.unary()
	if err != nil {
		return result{}, err
	}
	for m.pos < len(m.toks) {
		t := m.toks[m.pos]
		p, ok := precedence[t.s]
		if t.kind != "op" || !ok || p < minPrec {
			break
		}
		m.pos++
		rhs, err := m.parse(p + 1)
		if err != nil {
			return result{}, err
		}
		lhs = binary(t.s, lhs, rhs)
	}
	return lhs, nil
}

func (m *mathEval) unary() (result, error) {
	if m.pos >= len(m.toks) {
		return result{}, fmt.Errorf("math: unexpected end")
	}
	t := m.toks[m.pos]
	m.pos++
	switch t.kind {
	case "num":
		return result{numbers: []item{{labels{}, t.n}}}, nil
	case "ref":
		r, ok := m.vars[t.s]
		if !ok {
			return result{}, fmt.Errorf("math: unknown $%s", t.s)
		}
		return r, nil
	case "op":
		if t.s == "-" {
			r, err := m.unary()
			if err != nil {
				return result{}, err
			}
			return binary("*", result{numbers: []item{{labels{}, -1}}}, r), nil
		}
	case "(":
		r, err := m.parse(0)
		if err != nil {
			return result{}, err
		}
		if m.pos >= len(m.toks) || m.toks[m.pos].kind != ")" {
			return result{}, fmt.Errorf("math: missing )")
		}
		m.pos++
		return r, nil
	case "ident":
		if m.pos >= len(m.toks) || m.toks[m.pos].kind != "(" {
			return result{}, fmt.Errorf("math: %s without (", t.s)
		}
		m.pos++
		arg, err := m.parse(0)
		if err != nil {
			return result{}, err
		}
		if m.pos >= len(m.toks) || m.toks[m.pos].kind != ")" {
			return result{}, fmt.Errorf("math: missing ) after %s", t.s)
		}
		m.pos++
		var f func(float64) float64
		switch t.s {
		case "abs":
			f = math.Abs
		default:
			return result{}, fmt.Errorf("math: function %s", t.s)
		}
		var out result
		for _, n := range arg.numbers {
			out.numbers = append(out.numbers, item{n.labels, f(n.v)})
		}
		return out, nil
	}
	return result{}, fmt.Errorf("math: unexpected %v", t)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// binary applies op item by item. Items are joined by labels: a scalar
// goes with everything; otherwise items join when one's labels are a
// subset of the other's, and take the larger set; items without a
// partner are dropped (Grafana's union).
func binary(op string, a, b result) result {
	f := func(x, y float64) float64 {
		switch op {
		case "+":
			return x + y
		case "-":
			return x - y
		case "*":
			return x * y
		case "/":
			return x / y
		case ">":
			return b2f(x > y)
		case "<":
			return b2f(x < y)
		case ">=":
			return b2f(x >= y)
		case "<=":
			return b2f(x <= y)
		case "==":
			return b2f(x == y)
		case "!=":
			return b2f(x != y)
		case "&&":
			return b2f(x != 0 && y != 0)
		case "||":
			return b2f(x != 0 || y != 0)
		}
		return math.NaN()
	}
	var out result
	for _, x := range a.numbers {
		for _, y := range b.numbers {
			switch {
			case len(y.labels) == 0 || x.labels.subset(y.labels) && len(x.labels) >= len(y.labels):
				out.numbers = append(out.numbers, item{x.labels, f(x.v, y.v)})
			case len(x.labels) == 0 || x.labels.subset(y.labels):
				out.numbers = append(out.numbers, item{y.labels, f(x.v, y.v)})
			case y.labels.subset(x.labels):
				out.numbers = append(out.numbers, item{x.labels, f(x.v, y.v)})
			}
		}
	}
	return out
}

func evalMath(expression string, vars map[string]result) (result, error) {
	toks, err := lex(expression)
	if err != nil {
		return result{}, err
	}
	m := &mathEval{toks: toks, vars: vars}
	r, err := m.parse(0)
	if err != nil {
		return result{}, err
	}
	if m.pos != len(toks) {
		return result{}, fmt.Errorf("math: trailing %v", toks[m.pos:])
	}
	return r, nil
}

// --- alert states ---------------------------------------------------------

type alertState int

const (
	normal alertState = iota
	pending
	firingState
	recovering
)

func (s alertState) String() string {
	return [...]string{"Normal", "Pending", "Alerting", "Recovering"}[s]
}

// instance is one alert instance (a label set) of a rule.
type instance struct {
	labels  labels
	state   alertState
	since   time.Time // pending or recovering since
	missing int
	fired   time.Time
}

// alertRule evaluates one rule over time.
type alertRule struct {
	rule      Rule
	forDur    time.Duration
	keep      time.Duration
	instances map[string]*instance
}

func (a *alertRule) loaded() map[string]bool {
	out := map[string]bool{}
	for k, in := range a.instances {
		if in.state == pending || in.state == firingState {
			out[k] = true
		}
	}
	return out
}

// step applies one evaluation's condition results.
func (a *alertRule) step(now time.Time, cond result) {
	seen := map[string]bool{}
	for _, n := range cond.numbers {
		k := n.labels.key()
		seen[k] = true
		in := a.instances[k]
		if in == nil {
			in = &instance{labels: n.labels}
			a.instances[k] = in
		}
		in.missing = 0
		firing := n.v != 0 && !math.IsNaN(n.v)
		switch in.state {
		case normal:
			if firing {
				in.state, in.since = pending, now
				if a.forDur == 0 {
					in.state, in.fired = firingState, now
				}
			}
		case pending:
			switch {
			case !firing:
				in.state = normal
			case now.Sub(in.since) >= a.forDur:
				in.state, in.fired = firingState, now
			}
		case firingState:
			if !firing {
				if a.keep > 0 {
					in.state, in.since = recovering, now
				} else {
					in.state = normal
				}
			}
		case recovering:
			switch {
			case firing:
				in.state = firingState
			case now.Sub(in.since) >= a.keep:
				in.state = normal
			}
		}
	}
	for k, in := range a.instances {
		if !seen[k] && in.state != normal {
			in.missing++
			if in.missing >= 2 {
				in.state = normal
			}
		}
	}
}

// firing lists the label sets alerting (or recovering: still firing) now.
func (a *alertRule) firing() []labels {
	var out []labels
	for _, in := range a.instances {
		if in.state == firingState || in.state == recovering {
			out = append(out, in.labels)
		}
	}
	return out
}

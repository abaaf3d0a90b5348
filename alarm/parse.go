package alarm

import (
	"fmt"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ddm-agent/ddm/internal/fileerr"
	"github.com/ddm-agent/ddm/internal/tagvalue"
)

// parser walks the YAML node tree, so that every problem names its line,
// and collects every problem rather than stopping at the first.
type parser struct {
	file string
	errs []*Error
}

func (p *parser) errf(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// defaults are the file-wide values a rule inherits.
type defaults struct {
	For, ClearFor       time.Duration
	Labels              map[string]string
	TrustFailedChecksum *bool
}

// MaxFileSize bounds a rules file. The built-in rules are about 10 KiB;
// YAML parsing costs many times a file's size in memory (an 8 MB file took
// over 1 GB).
const MaxFileSize = 1 << 20

func parse(name string, b []byte) (*Rules, []*Error) {
	p := &parser{file: name}
	if len(b) > MaxFileSize {
		return nil, []*Error{{File: name, Msg: fmt.Sprintf("%d bytes, more than the %d KiB a rules file may have", len(b), MaxFileSize>>10)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, []*Error{fileerr.FromYAML(name, b, err)}
	}
	if len(doc.Content) == 0 {
		return nil, []*Error{{File: name, Msg: "empty rules file: want version: 1 and a rules: list"}}
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		p.errf(root.Line, "a rules file is a mapping with version, defaults and rules")
		return nil, p.errs
	}
	rs := &Rules{File: name, Version: 1}
	var d defaults
	list := p.root(root, &d)
	rs.Rules = p.rules(root, list, &d)
	if len(p.errs) > 0 {
		sortErrors(p.errs)
		return nil, p.errs
	}
	return rs, nil
}

// root reads the file's top-level keys into d and returns the rules: list
// (nil when there is none).
func (p *parser) root(root *yaml.Node, d *defaults) (list *yaml.Node) {
	p.mapping(root, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			if n, ok := p.number(v, key); ok && n != 1 {
				p.errf(v.Line, "version %v is not supported (this ddm reads version 1)", v.Value)
			}
		case "defaults":
			p.defaults(v, d)
		case "rules":
			list = v
		default:
			p.errf(k.Line, "unknown key %q (version, defaults, rules)", key)
		}
	})
	return list
}

// rules reads the rules: list; an empty list (rules: with nothing after)
// is no rules, not an error.
func (p *parser) rules(root, list *yaml.Node, d *defaults) []Rule {
	switch {
	case list == nil:
		p.errf(root.Line, "no rules: list")
		return nil
	case list.Kind == yaml.ScalarNode && list.Tag == "!!null":
		return nil
	case list.Kind != yaml.SequenceNode:
		p.errf(list.Line, "rules must be a list")
		return nil
	}
	var out []Rule
	seen := map[string]int{}
	for _, item := range list.Content {
		r, ok := p.rule(resolve(item), d)
		if !ok {
			continue
		}
		if l, dup := seen[r.Name]; dup && r.Name != "" {
			p.errf(r.Line, "rule %q is defined twice (first at line %d)", r.Name, l)
			continue
		}
		seen[r.Name] = r.Line
		out = append(out, r)
	}
	return out
}

var labelName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reservedLabels are the tags of xcvr_alarm points and Grafana's own
// labels: a rule label may not shadow them.
var reservedLabels = map[string]bool{
	"host": true, "port": true, "lane": true, "rule": true, "severity": true,
	"observable": true, "side": true, "limit": true, "state": true, "alertname": true, "metric": true,
}

func (p *parser) labels(n *yaml.Node, into map[string]string) {
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch {
		case !labelName.MatchString(key):
			p.errf(k.Line, "label %q: a label name is letters, digits and _, not starting with a digit", key)
		case reservedLabels[key]:
			p.errf(k.Line, "label %q is set by ddm itself (host, port, lane, rule, severity, observable, side, limit, state, metric)", key)
		case len(into) >= MaxLabels:
			p.errf(k.Line, "more than %d labels", MaxLabels)
		default:
			val := p.str(v, "label "+key)
			if err := tagvalue.Check(val); err != nil {
				p.errf(v.Line, "label %s: value %v", key, err)
				return
			}
			into[key] = val
		}
	})
}

func (p *parser) defaults(n *yaml.Node, d *defaults) {
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch key {
		case "for":
			d.For = p.duration(v, key)
		case "clear_for":
			d.ClearFor = p.duration(v, key)
		case "labels":
			d.Labels = map[string]string{}
			p.labels(v, d.Labels)
		case "trust_failed_checksum":
			b := p.boolean(v, key)
			d.TrustFailedChecksum = &b
		default:
			p.errf(k.Line, "unknown key %q in defaults (for, clear_for, labels, trust_failed_checksum)", key)
		}
	})
}

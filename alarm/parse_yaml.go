package alarm

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// mapping calls fn for each key of a mapping node, in order; a repeated
// key is an error.
func (p *parser) mapping(n *yaml.Node, fn func(key string, k, v *yaml.Node)) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		p.errf(n.Line, "want a mapping (key: value), got %s", describe(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errf(k.Line, "a key must be a plain name")
			continue
		}
		if seen[k.Value] {
			p.errf(k.Line, "key %q is given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		fn(k.Value, k, v)
	}
	return true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func (p *parser) str(n *yaml.Node, key string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errf(n.Line, "%s: want a string, got %s", key, describe(n))
		return ""
	}
	return n.Value
}

func (p *parser) boolean(n *yaml.Node, key string) bool {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "true", "yes", "on":
			return true
		case "false", "no", "off":
			return false
		}
	}
	p.errf(n.Line, "%s: want true or false, got %s", key, describe(n))
	return false
}

func (p *parser) number(n *yaml.Node, key string) (float64, bool) {
	if n.Kind == yaml.ScalarNode {
		v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, true
		}
	}
	p.errf(n.Line, "%s: want a number, got %s", key, describe(n))
	return 0, false
}

// duration reads a Go duration ("90s", "10m", "24h") or whole days ("7d").
// Negative durations are errors.
func (p *parser) duration(n *yaml.Node, key string) time.Duration {
	if n.Kind == yaml.ScalarNode {
		if d, err := parseDuration(n.Value); err == nil {
			if d < 0 {
				p.errf(n.Line, "%s: %s is negative", key, n.Value)
				return 0
			}
			return d
		}
	}
	p.errf(n.Line, "%s: want a duration (like 30s, 10m, 24h, 7d), got %s", key, describe(n))
	return 0
}

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || math.IsNaN(n) || math.Abs(n) > 365*100 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	return time.ParseDuration(s)
}

// strList reads a scalar or a list of scalars; lines holds each one's line.
func (p *parser) strList(n *yaml.Node, key string) (vals []string, lines []int) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			break
		}
		return []string{n.Value}, []int{n.Line}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			c = resolve(c)
			if c.Kind != yaml.ScalarNode {
				p.errf(c.Line, "%s: want a name, got %s", key, describe(c))
				continue
			}
			vals = append(vals, c.Value)
			lines = append(lines, c.Line)
		}
		return vals, lines
	}
	p.errf(n.Line, "%s: want a name or a list of names, got %s", key, describe(n))
	return nil, nil
}

package fileerr

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestFromYAML: the line of every kind of YAML error is the line of the
// file where the problem is (yaml.v3's parser errors count from 0).
func TestFromYAML(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unclosed flow sequence", "a: 1\nb: 2\nc: 3\nabove: [1\n", 4, "did not find expected ',' or ']'"},
		{"unclosed flow sequence, more after", "a: 1\nb: 2\nc: 3\nabove: [1\nd: 4\n", 4, "did not find expected ',' or ']'"},
		{"unclosed flow sequence on line 1", "above: [1\n", 1, "did not find expected ',' or ']'"},
		{"unclosed, no final newline", "above: [1", 1, "did not find expected ',' or ']'"},
		{"unclosed flow mapping", "a: 1\nb: {x: 1\nc: 3\n", 2, "did not find expected ',' or '}'"},
		{"one bracket too many", "a: 1\nb: [1, 2]]\n", 2, "did not find expected key"},
		{"sequence entry in a mapping", "a: 1\n- b\n", 2, "did not find expected key"},
		{"bad indentation (scanner)", "a: 1\n  b: 2\n", 2, "mapping values are not allowed in this context"},
		{"tab (scanner)", "a: 1\n\tb: 2\n", 2, "found a tab character that violates indentation"},
		{"bad token (scanner)", "a: 1\nb: @x\n", 2, "found character that cannot start any token"},
		{"unclosed quote (scanner)", "a: 1\nb: \"x\nc: 3\n", 2, "found unexpected end of stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.Unmarshal([]byte(tc.src), &n)
			if err == nil {
				t.Fatal("no error")
			}
			e := FromYAML("f.yaml", []byte(tc.src), err)
			if e.Line != tc.line || e.Msg != tc.msg || !strings.HasPrefix(e.Error(), "f.yaml:") {
				t.Errorf("%q (line %d), want line %d: %s (yaml.v3 said %q)", e.Error(), e.Line, tc.line, tc.msg, err)
			}
		})
	}

	// A type error names its line from 1.
	var v struct {
		A int `yaml:"a"`
	}
	src := "b: 1\na: x\n"
	e := FromYAML("f.yaml", []byte(src), yaml.Unmarshal([]byte(src), &v))
	if e.Line != 2 || e.Error() != `f.yaml:2: cannot unmarshal !!str `+"`x`"+` into int` {
		t.Errorf("%q line %d", e.Error(), e.Line)
	}
	if got := New("f", 0, "no %s", "ports").Error(); got != "f: no ports" {
		t.Errorf("%q", got)
	}
}

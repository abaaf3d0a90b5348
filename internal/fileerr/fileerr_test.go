package fileerr

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestFromYAML(t *testing.T) {
	var v struct {
		A int `yaml:"a"`
	}
	err := yaml.Unmarshal([]byte("b: 1\na: x\n"), &v)
	e := FromYAML("f.yaml", err)
	if e.Line != 2 || e.Error() != `f.yaml:2: cannot unmarshal !!str `+"`x`"+` into int` {
		t.Errorf("%q line %d", e.Error(), e.Line)
	}
	if got := FromYAML("f.yaml", yaml.Unmarshal([]byte("a: [\n"), &v)).Error(); got[:7] != "f.yaml:" {
		t.Errorf("syntax error %q", got)
	}
	if got := New("f", 0, "no %s", "ports").Error(); got != "f: no ports" {
		t.Errorf("%q", got)
	}
}

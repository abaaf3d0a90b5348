package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/ddm-agent/ddm/config"
)

// rulesHint adds to a rules file that cannot be read where its name came
// from (--rules, or the configuration's rules: key and its line) and, for
// a missing file, how to get one or do without.
func (f *runFlags) rulesHint(cfg *config.Config, err error) error {
	var from, without string
	switch {
	case f.rules != "":
		from, without = "named by --rules", "leave out --rules"
	case f.ports.config != "":
		from = fmt.Sprintf("named by rules: in %s", cfg.File())
		if l := cfg.Line("rules"); l > 0 {
			from = fmt.Sprintf("named by rules: at %s:%d", cfg.File(), l)
		}
		without = "remove the rules: key"
	default:
		return err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (%s; write it with `ddm rules print-default > %s` and edit it, or %s to use the built-in rules)", err, from, cfg.Rules, without)
	}
	return fmt.Errorf("%w (%s)", err, from)
}

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCLIMessages: what a user typing the commands sees when something is
// off: each message names the problem and the way out.
func TestCLIMessages(t *testing.T) {
	dir := t.TempDir()
	// The example configuration, its rules file moved to where none is.
	cfgText, err := os.ReadFile("../../systemd/ddm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	missingRules := filepath.Join(dir, "etc", "rules.yaml")
	rulesLine := 0
	for i, l := range strings.Split(string(cfgText), "\n") {
		if strings.HasPrefix(l, "rules:") {
			rulesLine = i + 1
		}
	}
	if rulesLine == 0 {
		t.Fatal("systemd/ddm.yaml has no rules: key")
	}
	cfg := filepath.Join(dir, "ddm.yaml")
	os.WriteFile(cfg, regexp.MustCompile(`(?m)^rules:.*$`).ReplaceAll(cfgText, []byte("rules: "+missingRules)), 0o644)
	// A rules file whose flow list opened on line 4 is never closed.
	badRules := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badRules, []byte("version: 1\nrules:\n  - name: r\n    above: [1\n"), 0o644)

	notProfile := `--emulate "nosuchprofile": not a profile (`
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		want     []string // in stdout+stderr
		dontWant []string
	}{
		{"dump, space form", []string{"dump", "--emulate", "nosuchprofile"}, exitUsage, []string{notProfile, "nor a port of the emulated switch"}, nil},
		{"dump, = form", []string{"dump", "--emulate=nosuchprofile"}, exitUsage, []string{notProfile}, nil},
		{"run, space form", []string{"run", "--check", "--emulate", "nosuchprofile"}, exitUsage, []string{notProfile}, []string{"unexpected arguments"}},
		{"dump, port of the default switch", []string{"dump", "--emulate=default", "nosuchport"}, exitUsage, []string{`no port "nosuchport"`}, []string{notProfile}},
		{"run without flags", []string{"run"}, exitUsage, []string{"use --config FILE", "or --emulate"}, []string{"no ports: list ports"}},
		{"run, one module by flag", []string{"run", "--check", "--i2c-bus", "99"}, exitUsage, []string{"/dev/i2c-99"}, []string{"no ports"}},
		{"check names the key of a missing rules file", []string{"run", "--check", "--config", cfg}, exitUsage,
			[]string{missingRules, "no such file", "named by rules: at " + cfg + ":" + strconv.Itoa(rulesLine), "ddm rules print-default > " + missingRules, "remove the rules: key"}, nil},
		{"--rules names the flag", []string{"run", "--check", "--emulate", "--rules", missingRules}, exitUsage,
			[]string{"named by --rules", "leave out --rules"}, nil},
		{"YAML error on its line", []string{"rules", "check", badRules}, exitUsage, []string{badRules + ":4: did not find expected ',' or ']'"}, nil},
		{"address default in hex", []string{"dump", "--help"}, exitOK, []string{"(default 0x50)"}, []string{"(default 80)"}},
		{"summary help", []string{"summary", "--help"}, exitOK, []string{"usage: ddm summary"}, []string{"Usage of"}},
		{"version help", []string{"version", "--help"}, exitOK, []string{"usage: ddm version"}, nil},
		{"one port on one bus", []string{"emulate", "sfp28-25g"}, exitOK, []string{"1 port on 1 bus"}, []string{"1 ports", "1 buses"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runDDM(t, "", tc.args...)
			all := out + errs
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			for _, w := range tc.dontWant {
				if strings.Contains(all, w) {
					t.Errorf("output has %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestHelp: `ddm help` lists every command in two aligned columns, and
// every command's --help starts with its own synopsis (never pflag's
// "Usage of ...").
func TestHelp(t *testing.T) {
	code, _, errs := runDDM(t, "", "help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	row := regexp.MustCompile(`^  (\S+)( +)\S`)
	col := -1
	names := map[string]bool{}
	for _, l := range strings.Split(errs, "\n") {
		m := row.FindStringSubmatchIndex(l)
		if m == nil {
			continue
		}
		names[l[m[2]:m[3]]] = true
		if col == -1 {
			col = m[5]
		} else if m[5] != col {
			t.Errorf("description at column %d, want %d: %q", m[5], col, l)
		}
	}
	for _, c := range commands() {
		if !names[c.name] {
			t.Errorf("help does not list %s:\n%s", c.name, errs)
		}
		for _, sub := range [][]string{{c.name}, {c.name, "check"}, {c.name, "test"}, {c.name, "export"}, {c.name, "print-default"}} {
			if c.name != "rules" && len(sub) > 1 {
				continue
			}
			_, out, errs := runDDM(t, "", append(sub, "--help")...)
			if help := out + errs; !strings.HasPrefix(help, "usage: ddm "+sub[0]) {
				t.Errorf("ddm %s --help starts %q", strings.Join(sub, " "), firstLine(help))
			}
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRunRefusesNonsenseCadenceFlags: a cadence flag given a zero or
// negative duration is refused naming the flag, as the same value in the
// configuration file is refused at its line. Before, --flag-interval 0,
// --flag-interval -1s, --interval -1s and --vdm-interval 0 were taken for
// "not given": --check said "configuration OK" and run used the defaults.
// (--reduce 0 is full rate, over the file's reduce.)
func TestRunRefusesNonsenseCadenceFlags(t *testing.T) {
	state := t.TempDir()
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--flag-interval", "0"}, "--flag-interval: flag_interval is zero"},
		{[]string{"--flag-interval", "-1s"}, "--flag-interval: flag_interval -1s is out of range"},
		{[]string{"--flag-interval", "1ns"}, "--flag-interval: flag_interval 1ns is out of range"},
		{[]string{"--interval", "0"}, "--interval: interval is zero"},
		{[]string{"--interval", "-1s"}, "--interval: interval -1s is out of range"},
		{[]string{"--vdm-interval", "0"}, "--vdm-interval: vdm_interval is zero"},
		{[]string{"--vdm-interval", "-10s"}, "--vdm-interval: vdm_interval -10s is shorter than interval"},
		{[]string{"--reduce", "-30s"}, "--reduce: reduce window -30s is out of range"},
	} {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"run", "--emulate", "--state-dir", state, "--check"}, tc.flags...)
			code := run(context.Background(), args, nil, &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out.String(), errb.String(), exitUsage, tc.want)
			}
		})
	}
}

// TestRunReduceZeroIsFullRate: --reduce 0 sends full rate even when the
// configuration file sets reduce (before, it was taken for "not given" and
// the file's window applied).
func TestRunReduceZeroIsFullRate(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("emulate: default\nreduce: 10s\noutput: lp\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags    []string
		fullRate bool
	}{{nil, false}, {[]string{"--reduce", "0"}, true}} {
		var out, errb bytes.Buffer
		args := append([]string{"run", "--config", cfg, "--state-dir", dir, "--interval", "250ms", "--duration", "1s"}, tc.flags...)
		if code := run(context.Background(), args, nil, &out, &errb); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		raw := regexp.MustCompile(`(?m)^xcvr_lane,.* tx_bias_ma=`).MatchString(out.String())
		if raw != tc.fullRate {
			t.Errorf("%v: full-rate xcvr_lane tx_bias_ma points written: %v, want %v", tc.flags, raw, tc.fullRate)
		}
	}
}

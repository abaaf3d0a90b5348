package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/config"
)

// leftovers lists the files in dir other than the ones named.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !strings.Contains(strings.Join(keep, "\x00"), e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestSaveAlarmStateReportsFailure: a state file that cannot be replaced
// (here a folder stands where it should be, so the rename fails) is logged,
// not silently lost.
func TestSaveAlarmStateReportsFailure(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default("test")
	cfg.Influx.SpoolDir = filepath.Join(dir, "spool")
	rules, err := alarm.Parse("<built-in rules>", alarm.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	d := newDaemon(cfg, &targets{}, rules, nil, slog.New(slog.NewTextHandler(&logBuf, nil)))

	d.saveAlarmState()
	if _, err := os.Stat(d.alarmStatePath()); err != nil || logBuf.Len() > 0 {
		t.Fatalf("first save: %v, log %q", err, logBuf.String())
	}
	os.Remove(d.alarmStatePath())
	os.MkdirAll(filepath.Join(d.alarmStatePath(), "in-the-way"), 0o700)
	d.saveAlarmState()
	if !strings.Contains(logBuf.String(), "alarm state not saved") {
		t.Errorf("failed rename not logged: %q", logBuf.String())
	}
	if left := leftovers(t, dir, "alarms.json"); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

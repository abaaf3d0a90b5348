package failurelog

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestFailureLogSummaries: the failure log on a virtual clock: one line for
// the first failure of each kind, one summary per period with the count
// since the last line, a recovery line with the totals, and a new first
// line when failures start again.
func TestFailureLogSummaries(t *testing.T) {
	var logs bytes.Buffer
	fl := New(slog.New(slog.NewTextHandler(&logs, nil)), time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fl.now = func() time.Time { return now }
	for i := 0; i < 600; i++ { // one a second for ten minutes
		fl.Fail(slog.LevelWarn, "influx", "HTTP 503", "unavailable")
		if i%100 == 0 {
			fl.Fail(slog.LevelWarn, "influx", "timeout", "context deadline exceeded")
		}
		now = now.Add(time.Second)
	}
	fl.OK("influx", "writes accepted again")
	fl.Fail(slog.LevelWarn, "influx", "HTTP 503", "unavailable")
	out := logs.String()
	for _, want := range []struct {
		re string
		n  int
	}{
		{`msg="influx: HTTP 503"`, 2},
		{`msg="influx: timeout"`, 1},
		{`msg="influx: still failing: HTTP 503" kind="HTTP 503" failures=60 over=1m0s`, 9},
		{`msg="influx: still failing: timeout" kind=timeout failures=1 over=1m40s`, 5},
		{`msg="influx: writes accepted again" after_failures=606 over=10m0s kinds="HTTP 503 ×600, timeout ×6"`, 1},
	} {
		if n := len(regexp.MustCompile(want.re).FindAllString(out, -1)); n != want.n {
			t.Errorf("%d lines matching %s, want %d:\n%s", n, want.re, want.n, out)
		}
	}
	if lines := strings.Count(out, "\n"); lines != 18 {
		t.Errorf("%d lines for 607 failures in 10 minutes, want 18:\n%s", lines, out)
	}
}

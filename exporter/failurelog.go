package exporter

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// failureLog reports the writer's failures to the journal without flooding
// it: the first failure of each kind is logged at once, further ones of that
// kind at most once per period as a summary (how many, the last one), and
// the recovery once when the failures of a domain stop.
//
// A domain is a path that fails and recovers as one: "influx" (write
// requests), "spool" (the disk). Kinds within a domain tell failures apart
// ("HTTP 401", "timeout", "no space left on device").
type failureLog struct {
	logger *slog.Logger
	period time.Duration
	now    func() time.Time

	mu      sync.Mutex
	domains map[string]*failureDomain
}

type failureDomain struct {
	since time.Time // first failure of the current run of failures
	total int64     // failures since then
	kinds map[string]*failureKind
}

type failureKind struct {
	count      int64 // failures of this kind since the domain started failing
	unreported int64 // failures since the last line about this kind
	lastLog    time.Time
	last       string
}

// maxLoggedMessage bounds a failure message in the journal (a server's
// error text can be long).
const maxLoggedMessage = 512

func newFailureLog(logger *slog.Logger, period time.Duration) *failureLog {
	return &failureLog{logger: logger, period: period, now: time.Now, domains: map[string]*failureDomain{}}
}

func clip(s string) string {
	if len(s) <= maxLoggedMessage {
		return s
	}
	return s[:maxLoggedMessage] + "…"
}

// fail records a failure of kind in domain; msg says what happened and
// attrs add context to the line. It logs at level at once for the first
// failure of a kind, then a summary at most once per period.
func (f *failureLog) fail(level slog.Level, domain, kind, msg string, attrs ...any) {
	msg = clip(msg)
	now := f.now()
	f.mu.Lock()
	d := f.domains[domain]
	if d == nil {
		d = &failureDomain{since: now, kinds: map[string]*failureKind{}}
		f.domains[domain] = d
	}
	d.total++
	k := d.kinds[kind]
	first := k == nil
	if first {
		k = &failureKind{}
		d.kinds[kind] = k
	}
	k.count++
	k.unreported++
	k.last = msg
	var line []any
	switch {
	case first:
		line = append([]any{"kind", kind, "err", msg}, attrs...)
		k.unreported, k.lastLog = 0, now
	case now.Sub(k.lastLog) >= f.period:
		line = append([]any{"kind", kind, "failures", k.unreported, "over", roundDuration(now.Sub(k.lastLog)),
			"total", k.count, "last_err", msg}, attrs...)
		k.unreported, k.lastLog = 0, now
	}
	f.mu.Unlock()
	if line == nil {
		return
	}
	text := domain + ": " + kind
	if !first {
		text = domain + ": still failing: " + kind
	}
	f.logger.Log(context.Background(), level, text, line...)
}

// ok records a success in domain; after failures it logs the recovery once.
func (f *failureLog) ok(domain, what string, attrs ...any) {
	f.mu.Lock()
	d := f.domains[domain]
	if d == nil {
		f.mu.Unlock()
		return
	}
	delete(f.domains, domain)
	now := f.now()
	f.mu.Unlock()
	kinds := make([]string, 0, len(d.kinds))
	for k, v := range d.kinds {
		kinds = append(kinds, k+" ×"+strconv.FormatInt(v.count, 10))
	}
	sort.Strings(kinds)
	f.logger.Info(domain+": "+what, append([]any{"after_failures", d.total, "over", roundDuration(now.Sub(d.since)),
		"kinds", strings.Join(kinds, ", ")}, attrs...)...)
}

// roundDuration shows a duration to the second, or to the millisecond
// under ten seconds.
func roundDuration(d time.Duration) string {
	if d >= 10*time.Second {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}

package failurelog

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Log reports failures that repeat (a write to InfluxDB, to the spool, to
// a state file) to the journal without flooding it: the first failure of
// each kind is logged at once, further ones of that kind at most once per
// period as a summary (how many, the last one), and
// the recovery once when the failures of a domain stop.
//
// A domain is a path that fails and recovers as one: "influx" (write
// requests), "spool" (the disk). Kinds within a domain tell failures apart
// ("HTTP 401", "timeout", "no space left on device").
type Log struct {
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

func New(logger *slog.Logger, period time.Duration) *Log {
	return &Log{logger: logger, period: period, now: time.Now, domains: map[string]*failureDomain{}}
}

// Clip bounds a message for the journal (a server's error text can be
// long).
func Clip(s string) string {
	if len(s) <= maxLoggedMessage {
		return s
	}
	return s[:maxLoggedMessage] + "…"
}

// Fail records a failure of kind in domain; msg says what happened and
// attrs add context to the line. It logs at level at once for the first
// failure of a kind, then a summary at most once per period.
func (f *Log) Fail(level slog.Level, domain, kind, msg string, attrs ...any) {
	msg = Clip(msg)
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

// OK records a success in domain; after failures it logs the recovery once.
func (f *Log) OK(domain, what string, attrs ...any) {
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

// ErrnoKind names a failure by its errno's text ("no space left on
// device", "permission denied"), so that different failures of one path
// are summarised apart; "error" when the error carries no errno.
func ErrnoKind(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en.Error()
	}
	return "error"
}

// roundDuration shows a duration to the second, or to the millisecond
// under ten seconds.
func roundDuration(d time.Duration) string {
	if d >= 10*time.Second {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}

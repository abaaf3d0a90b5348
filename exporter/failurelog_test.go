package exporter

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFailuresAreLogged: every kind of failed write reaches the journal:
// the first at once, then at most one summary per LogEvery while it goes
// on (with the count), and one line when writes succeed again. (Before:
// 401, 400, 413, 429, time-outs and a full disk left no line at all.)
// Rejections, drops and the full disk are logged the same way
// (TestRefusalsAreIsolatedInBoundedRequests, TestDiskFullServerUp).
func TestFailuresAreLogged(t *testing.T) {
	const failFor = 900 * time.Millisecond
	const every = 300 * time.Millisecond
	for _, tc := range []struct {
		name string
		kind string
		fail func(w http.ResponseWriter, r *http.Request)
	}{
		{"401", "HTTP 401", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"code":"unauthorized","message":"authorization failed"}`, http.StatusUnauthorized)
		}},
		{"403", "HTTP 403", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"code":"forbidden","message":"user is required to write to database"}`, http.StatusForbidden)
		}},
		{"400 about the request", "HTTP 400", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Influxdb-Error", "bucket name is invalid")
			http.Error(w, `{"error":"bucket name is invalid"}`, http.StatusBadRequest)
		}},
		{"404", "HTTP 404", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"error":"database not found: \"ddm\""}`, http.StatusNotFound)
		}},
		{"429", "HTTP 429", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}},
		{"500", "HTTP 500", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "engine: cache full", http.StatusInternalServerError)
		}},
		{"timeout", "timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}},
		{"connection closed", "connection closed by the server", func(w http.ResponseWriter, _ *http.Request) {
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close()
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var failing atomic.Bool
			failing.Store(true)
			f := &fakeInflux{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failing.Load() {
					_, _ = io.Copy(io.Discard, r.Body)
					tc.fail(w, r)
					return
				}
				f.handle(w, r)
			}))
			t.Cleanup(srv.Close)
			var logs lockedBuffer
			cfg := testConfig(t, srv.URL)
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			cfg.LogEvery = every
			cfg.Timeout = 100 * time.Millisecond
			cfg.RetryInterval = 20 * time.Millisecond
			cfg.MaxRetryInterval = 40 * time.Millisecond
			w := newWriter(t, cfg)
			w.Write(seqPoints(0, 50)...)
			start := time.Now()
			waitStats(t, w, 10*time.Second, "failing", func(s Stats) bool { return s.Retries > 0 })
			for time.Since(start) < failFor {
				w.Write(seqPoints(0, 1)...)
				time.Sleep(20 * time.Millisecond)
			}
			mid := w.Stats()
			failing.Store(false)
			end := waitStats(t, w, 10*time.Second, "recovered", func(s Stats) bool { return s.SpoolPoints == 0 && s.QueueDepth == 0 && s.Sent > 0 })
			if end.Sent != end.Written || end.Dropped+end.Rejected != 0 || int64(len(f.acceptedSeqs())) != end.Sent {
				t.Errorf("ledger: written %d, sent %d, dropped %d, rejected %d; the server holds %d", end.Written, end.Sent, end.Dropped, end.Rejected, len(f.acceptedSeqs()))
			}
			waitStats(t, w, 5*time.Second, "recovery logged", func(Stats) bool { return strings.Contains(logs.String(), "influx: writes accepted again") })
			out := logs.String()
			first := regexp.MustCompile(`msg="influx: ` + regexp.QuoteMeta(tc.kind) + `"`)
			still := regexp.MustCompile(`msg="influx: still failing: ` + regexp.QuoteMeta(tc.kind) + `" kind=(?:"[^"]*"|\S+) failures=(\d+)`)
			if n := len(first.FindAllString(out, -1)); n != 1 {
				t.Errorf("%d first-failure lines, want 1:\n%s", n, out)
			}
			sums := still.FindAllStringSubmatch(out, -1)
			if len(sums) == 0 || len(sums) > int(failFor/every)+2 {
				t.Errorf("%d summaries for %d failures over %v with LogEvery %v:\n%s", len(sums), mid.Retries, failFor, every, out)
			}
			if n := strings.Count(out, "influx: writes accepted again"); n != 1 {
				t.Errorf("%d recovery lines:\n%s", n, out)
			}
			if lines := strings.Count(out, "\n"); lines > len(sums)+4 {
				t.Errorf("%d journal lines for %d failures:\n%s", lines, mid.Retries, out)
			}
			t.Logf("%d failed requests over %v: %d journal lines (1 first, %d summaries, 1 recovery)", mid.Retries, failFor, strings.Count(out, "\n"), len(sums))
		})
	}
}

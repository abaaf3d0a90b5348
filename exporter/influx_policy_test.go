package exporter

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestErrorPolicies drives the writer against a fake server answering the
// error codes of the policy. In every case: order is kept, nothing is
// delivered twice, and nothing is dropped.
func TestErrorPolicies(t *testing.T) {
	const n = 300
	big := strings.Repeat("x", 6000)
	type want struct {
		sent, rejected int64
		minRetries     int64
		minAuth        int64
		missing        []int // seqs that must not arrive
	}
	for _, tc := range []struct {
		name    string
		points  func() []Point
		respond func(n int, body []byte, lines [][]byte) (int, string, http.Header)
		refuse  func(line []byte) bool
		want    want
		check   func(t *testing.T, f *fakeInflux)
	}{
		{
			name: "413 splits the batch",
			respond: func(_ int, _ []byte, lines [][]byte) (int, string, http.Header) {
				if len(lines) > 30 {
					return http.StatusRequestEntityTooLarge, "Request Entity Too Large", nil
				}
				return 0, "", nil
			},
			want: want{sent: n},
			check: func(t *testing.T, f *fakeInflux) {
				if f.count(http.StatusRequestEntityTooLarge) == 0 {
					t.Error("no 413 seen")
				}
				for _, r := range f.requests() {
					if r.status == http.StatusNoContent && r.lines > 30 {
						t.Errorf("accepted a request of %d lines", r.lines)
					}
				}
			},
		},
		{
			name: "413 for a single point rejects that point only",
			points: func() []Point {
				pts := seqPoints(0, n)
				pts[42].AddString("blob", big)
				return pts
			},
			respond: func(_ int, body []byte, _ [][]byte) (int, string, http.Header) {
				if len(body) > 5000 {
					return http.StatusRequestEntityTooLarge, "Request Entity Too Large", nil
				}
				return 0, "", nil
			},
			want: want{sent: n - 1, rejected: 1, missing: []int{42}},
		},
		{
			name: "500 and 503 are retried",
			respond: func(i int, _ []byte, _ [][]byte) (int, string, http.Header) {
				switch {
				case i <= 3:
					return http.StatusInternalServerError, "internal error", nil
				case i <= 5:
					return http.StatusServiceUnavailable, "unavailable", nil
				}
				return 0, "", nil
			},
			want: want{sent: n, minRetries: 5},
		},
		{
			name: "401 is retried and counted, not dropped",
			respond: func(i int, _ []byte, _ [][]byte) (int, string, http.Header) {
				if i <= 4 {
					return http.StatusUnauthorized, "authorization failed", nil
				}
				return 0, "", nil
			},
			want: want{sent: n, minRetries: 4, minAuth: 4},
		},
		{
			name: "403 is retried and counted, not dropped",
			respond: func(i int, _ []byte, _ [][]byte) (int, string, http.Header) {
				if i <= 2 {
					return http.StatusForbidden, "user is required to write to database", nil
				}
				return 0, "", nil
			},
			want: want{sent: n, minRetries: 2, minAuth: 2},
		},
		{
			name: "404 database not found is retried",
			respond: func(i int, _ []byte, _ [][]byte) (int, string, http.Header) {
				if i <= 3 {
					return http.StatusNotFound, `database not found: "ddm"`, nil
				}
				return 0, "", nil
			},
			want: want{sent: n, minRetries: 3},
		},
		{
			name: "400 about the request is retried, not dropped",
			respond: func(i int, _ []byte, _ [][]byte) (int, string, http.Header) {
				if i <= 3 {
					return http.StatusBadRequest, "bucket name is invalid", nil
				}
				return 0, "", nil
			},
			want: want{sent: n, minRetries: 3},
		},
		{
			name: "400 partial write isolates and rejects the bad points",
			points: func() []Point {
				pts := seqPoints(0, n)
				for _, i := range []int{7, 150, 299} {
					pts[i].AddString("conflict", "x")
				}
				return pts
			},
			refuse: func(l []byte) bool { return bytes.Contains(l, []byte("conflict=")) },
			want:   want{sent: n - 3, rejected: 3, missing: []int{7, 150, 299}},
			check: func(t *testing.T, f *fakeInflux) {
				// One request per batch: a partial write is resolved by
				// the answer, not by isolating the points.
				if r := len(f.requests()); r > n/100+2 {
					t.Errorf("%d requests for %d points in batches of 100", r, n)
				}
			},
		},
		{
			name: "429 honours Retry-After",
			respond: func(i int, _ []byte, _ [][]byte) (int, string, http.Header) {
				if i == 1 {
					return http.StatusTooManyRequests, "slow down", http.Header{"Retry-After": {"1"}}
				}
				return 0, "", nil
			},
			want: want{sent: n, minRetries: 1},
			check: func(t *testing.T, f *fakeInflux) {
				r := f.requests()
				if len(r) < 2 || r[1].at.Sub(r[0].at) < 900*time.Millisecond {
					t.Errorf("second request %v after the 429, want >= 1s (Retry-After)", r[1].at.Sub(r[0].at))
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeInflux(t, tc.respond)
			f.refuseLine = tc.refuse
			cfg := testConfig(t, f.srv.URL)
			cfg.MaxRetryInterval = 2 * time.Second
			w := newWriter(t, cfg)
			pts := seqPoints(0, n)
			if tc.points != nil {
				pts = tc.points()
			}
			for i := 0; i < len(pts); i += 50 {
				w.Write(pts[i:min(i+50, len(pts))]...)
			}
			st := waitStats(t, w, 30*time.Second, "spool drained", func(s Stats) bool {
				return s.Written == n && s.QueueDepth == 0 && s.SpoolPoints == 0
			})
			seqs := f.acceptedSeqs()
			checkOrdered(t, seqs)
			if st.Sent != tc.want.sent || int64(len(seqs)) != tc.want.sent {
				t.Errorf("sent %d, server accepted %d, want %d", st.Sent, len(seqs), tc.want.sent)
			}
			if st.Rejected != tc.want.rejected {
				t.Errorf("rejected %d, want %d", st.Rejected, tc.want.rejected)
			}
			if st.Dropped != 0 {
				t.Errorf("dropped %d", st.Dropped)
			}
			if st.Retries < tc.want.minRetries || st.AuthErrors < tc.want.minAuth {
				t.Errorf("retries %d auth errors %d, want >= %d, %d", st.Retries, st.AuthErrors, tc.want.minRetries, tc.want.minAuth)
			}
			for _, m := range tc.want.missing {
				if slices.Contains(seqs, m) {
					t.Errorf("seq %d arrived", m)
				}
			}
			if tc.want.rejected > 0 && st.LastError == "" {
				t.Error("rejection without LastError")
			}
			if tc.check != nil {
				tc.check(t, f)
			}
			t.Logf("%d points: %d accepted, %d rejected, %d requests (%d retried, %d auth errors)",
				n, len(seqs), st.Rejected, st.Requests, st.Retries, st.AuthErrors)
		})
	}
}

// TestRequestShape: gzip, ns precision, bucket and org as configured, the
// token in the Authorization header, and the token nowhere else.
func TestRequestShape(t *testing.T) {
	const secret = "ddm:s3cr3t-token"
	var logs bytes.Buffer
	// Token files and variables are read by config.Token (config tests,
	// and cmd/ddm's TestSecurityTokenNeverShown through the real binary).
	for _, src := range []string{"Token"} {
		t.Run(src, func(t *testing.T) {
			f := newFakeInflux(t, func(i int, _ []byte, _ [][]byte) (int, string, http.Header) {
				if i == 1 {
					return http.StatusUnauthorized, "unauthorized", nil
				}
				return 0, "", nil
			})
			cfg := testConfig(t, f.srv.URL)
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cfg.Token = secret
			w := newWriter(t, cfg)
			w.Write(seqPoints(0, 10)...)
			st := waitStats(t, w, 10*time.Second, "sent", func(s Stats) bool { return s.Sent == 10 })
			for _, r := range f.requests() {
				if r.auth != "Token "+secret {
					t.Errorf("Authorization %q", r.auth)
				}
				if !r.gzip {
					t.Error("body not gzipped")
				}
				if !strings.Contains(r.query, "precision=ns") || !strings.Contains(r.query, "bucket=ddm%2Fautogen") {
					t.Errorf("query %s", r.query)
				}
			}
			for _, s := range []string{st.LastError, cfg.String(), logs.String()} {
				if strings.Contains(s, "s3cr3t") {
					t.Errorf("token leaked: %s", s)
				}
			}
			var lv bytes.Buffer
			slog.New(slog.NewJSONHandler(&lv, nil)).Info("cfg", "config", cfg)
			if strings.Contains(lv.String(), "s3cr3t") {
				t.Errorf("token in a structured log: %s", lv.String())
			}
		})
	}
}

// TestTLS: verification is on by default; a CA file makes it pass;
// InsecureSkipVerify skips it.
func TestTLS(t *testing.T) {
	var accepted atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accepted.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		set      func(*InfluxConfig)
		delivers bool
	}{
		{"verification on, unknown CA", func(*InfluxConfig) {}, false},
		{"CA file", func(c *InfluxConfig) { c.CAFile = ca }, true},
		{"insecure skip verify", func(c *InfluxConfig) { c.InsecureSkipVerify = true }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, srv.URL)
			tc.set(&cfg)
			w := newWriter(t, cfg)
			w.Write(seqPoints(0, 5)...)
			if tc.delivers {
				waitStats(t, w, 10*time.Second, "sent", func(s Stats) bool { return s.Sent == 5 })
				return
			}
			st := waitStats(t, w, 10*time.Second, "retries", func(s Stats) bool { return s.Retries >= 3 })
			if st.Sent != 0 || st.SpoolPoints != 5 || !strings.Contains(st.LastError, "certificate") {
				t.Errorf("sent %d spool %d last error %q", st.Sent, st.SpoolPoints, st.LastError)
			}
		})
	}
	if _, err := NewInfluxWriter(InfluxConfig{URL: srv.URL, Bucket: "b", SpoolDir: t.TempDir(), CAFile: "/nonexistent"}); err == nil {
		t.Error("missing CA file accepted")
	}
}

// TestCloseDeadline: with the server down (refusing, or accepting and never
// answering), Close returns by its deadline and leaves the points spooled
// for the next writer.
func TestCloseDeadline(t *testing.T) {
	refused := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}
	blackhole := func(t *testing.T) string {
		stop := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-stop:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(func() { close(stop); srv.Close() })
		return srv.URL
	}
	for _, tc := range []struct {
		name string
		url  func(*testing.T) string
	}{{"connection refused", refused}, {"server never answers", blackhole}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t, tc.url(t))
			cfg.Timeout = 30 * time.Second
			w, err := NewInfluxWriter(cfg)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(seqPoints(0, 200)...)
			waitStats(t, w, 10*time.Second, "spooled", func(s Stats) bool { return s.SpoolPoints == 200 })
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			start := time.Now()
			err = w.Close(ctx)
			took := time.Since(start)
			if took > 1500*time.Millisecond {
				t.Errorf("Close took %v with a 1s deadline", took)
			}
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "200 points left") {
				t.Errorf("Close: %v", err)
			}
			w.Write(seqPoint(999))
			if st := w.Stats(); st.Dropped != 1 {
				t.Errorf("write after close: dropped %d, want 1", st.Dropped)
			}
			cfg.URL = refused(t)
			w2 := newWriter(t, cfg)
			if st := w2.Stats(); st.SpoolPoints != 200 {
				t.Errorf("next writer finds %d points spooled, want 200", st.SpoolPoints)
			}
			t.Logf("Close returned after %v; 200 points left spooled and found by the next writer", took.Round(time.Millisecond))
		})
	}
}

// TestSpoolFullDropsOldest: with the server away, a spool bounded to 16 KiB
// keeps the newest points, drops the oldest and counts every one of them;
// when the server is back, what was kept arrives in order.
func TestSpoolFullDropsOldest(t *testing.T) {
	var open atomic.Bool
	f := newFakeInflux(t, func(int, []byte, [][]byte) (int, string, http.Header) {
		if !open.Load() {
			return http.StatusServiceUnavailable, "down", nil
		}
		return 0, "", nil
	})
	const n, max = 1000, 16 << 10
	cfg := testConfig(t, f.srv.URL)
	cfg.SpoolMaxBytes = max
	cfg.segmentSize = 4 << 10
	w := newWriter(t, cfg)
	for i := 0; i < n; i += 50 {
		w.Write(seqPoints(i, i+50)...)
	}
	st := waitStats(t, w, 20*time.Second, "all points spooled or counted", func(s Stats) bool {
		// The batch in flight stays in memory (QueueDepth) when the bound
		// removes it from disk: it is still sent.
		return s.Written == n && s.QueueDepth <= cfg.BatchSize && s.SpoolPoints+int64(s.QueueDepth)+s.Dropped == n
	})
	if st.Dropped == 0 || st.SpoolBytes > max {
		t.Fatalf("dropped %d, spool %d bytes (max %d)", st.Dropped, st.SpoolBytes, max)
	}
	kept := st.SpoolPoints
	inflight := st.QueueDepth
	open.Store(true)
	st = waitStats(t, w, 20*time.Second, "drained", func(s Stats) bool { return s.SpoolPoints == 0 })
	seqs := f.acceptedSeqs()
	checkOrdered(t, seqs)
	if st.Sent+st.Dropped != n || int64(len(seqs)) != st.Sent {
		t.Errorf("sent %d + dropped %d != %d (server has %d)", st.Sent, st.Dropped, n, len(seqs))
	}
	// The newest `kept` points all arrived.
	for i := n - int(kept); i < n; i++ {
		if !slices.Contains(seqs, i) {
			t.Fatalf("seq %d (among the newest %d) missing", i, kept)
		}
	}
	t.Logf("%d points into a %d-byte spool: %d dropped (oldest), %d kept and delivered in order (%d of them the batch in flight when the bound removed it from disk)", n, max, st.Dropped, st.Sent, inflight)
}

// TestQueueFullDropsOldest: Write never blocks; beyond QueueSize the
// oldest queued points are dropped and counted.
func TestQueueFullDropsOldest(t *testing.T) {
	f := newFakeInflux(t, nil)
	cfg := testConfig(t, f.srv.URL)
	cfg.QueueSize = 100
	w := newWriter(t, cfg)
	start := time.Now()
	// 1000 points in one call: the queue (trimmed under its lock, before
	// the spooler can take it) keeps the newest 100.
	w.Write(seqPoints(0, 1000)...)
	if d := time.Since(start); d > time.Second {
		t.Errorf("Write took %v", d)
	}
	st := waitStats(t, w, 10*time.Second, "delivered", func(s Stats) bool { return s.Sent+s.Dropped == 1000 })
	if st.Dropped != 900 || st.Sent != 100 {
		t.Errorf("dropped %d sent %d, want 900 and 100", st.Dropped, st.Sent)
	}
	seqs := f.acceptedSeqs()
	if len(seqs) != 100 || seqs[0] != 900 || seqs[99] != 999 {
		t.Errorf("accepted %v", seqs)
	}
}

func TestInvalidPoints(t *testing.T) {
	f := newFakeInflux(t, nil)
	w := newWriter(t, testConfig(t, f.srv.URL))
	empty := NewPoint("ddm_test", t0)
	bad := seqPoint(1)
	bad.Measurement = ""
	nan := seqPoint(2)
	nan.AddFloat("x", math.NaN())
	w.Write(empty, bad, nan, seqPoint(3))
	st := waitStats(t, w, 10*time.Second, "sent", func(s Stats) bool { return s.Sent == 2 })
	if st.Invalid != 2 || st.NonFiniteFields != 1 || st.Written != 4 {
		t.Errorf("invalid %d nonfinite %d written %d", st.Invalid, st.NonFiniteFields, st.Written)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []InfluxConfig{
		{URL: "", Bucket: "b", SpoolDir: "x"},
		{URL: "ftp://x", Bucket: "b", SpoolDir: "x"},
		{URL: "http://x:8086", Bucket: "", SpoolDir: "x"},
		{URL: "http://x:8086", Bucket: "b", SpoolDir: ""},
		{URL: "http://x:8086", Bucket: "b", SpoolDir: "x", Token: "user:pass\nword"},
		{URL: "http://x:8086", Bucket: "b", SpoolDir: "x", Token: "user:pass\u0085word"}, // a C1 control, refused by the configuration too
	} {
		if _, err := NewInfluxWriter(cfg); err == nil {
			t.Errorf("%v accepted", cfg)
		}
	}
}

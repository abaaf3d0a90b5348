package exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// t0 is the base time of test points: point i is read at t0 + i ms.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// seqPoint is test point number i.
func seqPoint(i int) Point {
	p := NewPoint("ddm_test", t0.Add(time.Duration(i)*time.Millisecond))
	p.AddTag("host", "test")
	p.AddTag("port", fmt.Sprintf("Ethernet%d", i%4))
	p.AddInt("seq", int64(i))
	p.AddFloat("value", float64(i)/8)
	return p
}

func seqPoints(from, to int) []Point {
	pts := make([]Point, 0, to-from)
	for i := from; i < to; i++ {
		pts = append(pts, seqPoint(i))
	}
	return pts
}

// lineSeq returns the seq field of a line of line protocol (-1 if none).
func lineSeq(line []byte) int {
	seq := -1
	_, _ = lineFields(line, func(k []byte, v lineprotocol.Value) bool {
		if string(k) == "seq" && v.Kind() == lineprotocol.Int {
			seq = int(v.IntV())
			return false
		}
		return true
	})
	return seq
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testConfig is a writer configuration with short intervals for tests.
func testConfig(t *testing.T, url string) InfluxConfig {
	return InfluxConfig{
		URL:              url,
		Bucket:           "ddm/autogen",
		SpoolDir:         t.TempDir() + "/spool",
		BatchSize:        100,
		FlushInterval:    50 * time.Millisecond,
		RetryInterval:    20 * time.Millisecond,
		MaxRetryInterval: 200 * time.Millisecond,
		Timeout:          5 * time.Second,
		Logger:           quietLogger(),
	}
}

func newWriter(t *testing.T, cfg InfluxConfig) *InfluxWriter {
	t.Helper()
	w, err := NewInfluxWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Only to release the spool: a test that wants the flush calls
		// Close itself. Past the deadline Close still stops its goroutines
		// and closes the spool; it just stops retrying, which against a
		// server a test has left down took 2 s of many tests.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = w.Close(ctx)
	})
	return w
}

// waitStats polls the writer's stats until cond holds (no fixed sleeps).
func waitStats(t *testing.T, w *InfluxWriter, timeout time.Duration, what string, cond func(Stats) bool) Stats {
	t.Helper()
	var st Stats
	influxtest.Wait(t, timeout, what, func() bool {
		st = w.Stats()
		return cond(st)
	})
	return st
}

// fakeInflux is an httptest server speaking the v2 write API: it records
// the lines of the requests it accepts and answers what respond says.
type fakeInflux struct {
	srv *httptest.Server
	// respond returns the status for request n (1-based) with these
	// lines; 0 accepts (204). msg goes in the JSON error body.
	respond func(n int, body []byte, lines [][]byte) (status int, msg string, hdr http.Header)
	// refuseLine, if set, makes the server behave as InfluxDB 1.8 with a
	// field type conflict: it writes the other lines of a request and
	// answers 400 "partial write: field type conflict: ... dropped=N".
	refuseLine func(line []byte) bool

	mu       sync.Mutex
	n        int
	statuses []int
	accepted [][]byte
	reqs     []fakeReq
}

type fakeReq struct {
	at      time.Time
	query   string
	auth    string
	gzip    bool
	lines   int
	bodyLen int
	status  int
}

func newFakeInflux(t *testing.T, respond func(n int, body []byte, lines [][]byte) (int, string, http.Header)) *fakeInflux {
	f := &fakeInflux{respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.handle))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeInflux) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v2/write" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var rd io.Reader = r.Body
	gz := r.Header.Get("Content-Encoding") == "gzip"
	if gz {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rd = zr
	}
	body, err := io.ReadAll(rd)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	lines := bytes.Split(bytes.TrimSpace(body), []byte("\n"))
	req := fakeReq{at: time.Now(), query: r.URL.RawQuery, auth: r.Header.Get("Authorization"), gzip: gz, lines: len(lines), bodyLen: len(body)}
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()

	status, msg, hdr := 0, "", http.Header(nil)
	if f.respond != nil {
		status, msg, hdr = f.respond(n, body, lines)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if status == 0 && f.refuseLine != nil {
		var kept [][]byte
		for _, l := range lines {
			if !f.refuseLine(l) {
				kept = append(kept, l)
			}
		}
		if dropped := len(lines) - len(kept); dropped > 0 {
			f.accepted = append(f.accepted, kept...)
			status = http.StatusBadRequest
			msg = fmt.Sprintf(`partial write: field type conflict: input field "conflict" on measurement "ddm_test" is type string, already exists as type float dropped=%d`, dropped)
		}
	}
	if status == 0 {
		status = http.StatusNoContent
	}
	req.status = status
	f.reqs = append(f.reqs, req)
	if status == http.StatusNoContent {
		f.statuses = append(f.statuses, http.StatusNoContent)
		f.accepted = append(f.accepted, lines...)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	f.statuses = append(f.statuses, status)
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": "error", "message": msg})
}

func (f *fakeInflux) acceptedSeqs() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]int, 0, len(f.accepted))
	for _, l := range f.accepted {
		out = append(out, lineSeq(l))
	}
	return out
}

func (f *fakeInflux) count(status int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.statuses {
		if s == status {
			n++
		}
	}
	return n
}

func (f *fakeInflux) requests() []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeReq(nil), f.reqs...)
}

// checkOrdered fails unless seqs is strictly increasing (order kept, no
// duplicates).
func checkOrdered(t *testing.T, seqs []int) {
	t.Helper()
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("delivery out of order or duplicated at %d: %d after %d", i, seqs[i], seqs[i-1])
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

package exporter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
)

// Outage chaos against a real InfluxDB 1.8: the server SIGKILLed while
// batches are in flight, a server slower than the writer's timeout (which
// still applies what the writer gave up on), a flaky sequence of 503,
// timeouts, resets and 500, the spool's disk full (RLIMIT_FSIZE in a
// helper process), and the writer itself SIGKILLed mid-flow. Each case
// ends with the ledger: sent + dropped + rejected == written (Stats), and
// InfluxDB holding exactly `sent` distinct points (a point sent twice
// is stored once: same series and timestamp). (401, 403,
// 404, 413, 429, a 400 about the request and partial writes are covered
// by TestErrorPolicies, TestInfluxAuthRecovers, TestInflux413Real and
// TestInfluxFieldTypeConflict; an outage with a restart by TestInfluxOutage
// and TestInfluxCrashReplay.)

// chaosProducer writes seqPoints [0, n) in bursts of `burst` every
// `every`, as a poll loop does, until n or stop.
type chaosProducer struct {
	w     Sink
	n     atomic.Int64
	stop  chan struct{}
	done  chan struct{}
	burst int
}

func produce(w Sink, burst int, every time.Duration, limit int) *chaosProducer {
	p := &chaosProducer{w: w, stop: make(chan struct{}), done: make(chan struct{}), burst: burst}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			from := int(p.n.Load())
			if from >= limit {
				return
			}
			to := min(from+burst, limit)
			w.Write(seqPoints(from, to)...)
			p.n.Store(int64(to))
		}
	}()
	return p
}

func (p *chaosProducer) finish() int {
	close(p.stop)
	<-p.done
	return int(p.n.Load())
}

// serverSeqs returns the seqs in InfluxDB (a point written twice, same
// series and timestamp, is stored once), checking their timestamps.
func serverSeqs(t *testing.T, s *influxtest.Server) map[int]int {
	t.Helper()
	seen := map[int]int{}
	for _, r := range s.Query(t, `SELECT seq FROM ddm_test`) {
		seq, ok := r.Int("seq")
		if !ok {
			t.Fatalf("row without seq: %v", r.Values)
		}
		if want := seqPoint(int(seq)).Time; !r.Time().Equal(want) {
			t.Fatalf("seq %d at %v, written at %v", seq, r.Time(), want)
		}
		seen[int(seq)]++
	}
	return seen
}

// ledger checks the end of a case: the writer resolved every point it was
// given (sent + dropped + rejected == written, nothing left queued or
// spooled) and the server holds exactly the sent points, each once. It
// returns the stats.
func ledger(t *testing.T, w *InfluxWriter, s *influxtest.Server, written int, timeout time.Duration) Stats {
	t.Helper()
	st := waitStats(t, w, timeout, "every point resolved", func(st Stats) bool {
		return st.Written == int64(written) && st.Sent+st.Dropped+st.Rejected == st.Written && st.SpoolPoints == 0 && st.QueueDepth == 0
	})
	if seen := serverSeqs(t, s); int64(len(seen)) != st.Sent {
		t.Fatalf("InfluxDB holds %d distinct points, the writer counts %d sent", len(seen), st.Sent)
	}
	return st
}

// TestChaosInfluxKilled: influxd is SIGKILLed three times while a write
// request is in flight (a loopback proxy in front of it says when a batch
// has reached the server and no answer has come back yet) and restarted
// each time. A batch the server may have applied before dying is sent
// again; InfluxDB absorbs it (same series and timestamp).
func TestChaosInfluxKilled(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	target, _ := url.Parse(s.URL())
	inFlight := make(chan struct{}, 1)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/write" {
			select {
			case inFlight <- struct{}{}:
			default:
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)

	cfg := serverConfig(t, s)
	cfg.URL = proxy.URL
	cfg.BatchSize = 500
	cfg.RetryInterval = 50 * time.Millisecond
	cfg.MaxRetryInterval = 500 * time.Millisecond
	w := newWriter(t, cfg)
	p := produce(w, 50, 20*time.Millisecond, 1<<30)

	kills := 0
	for kills < 3 {
		influxtest.Wait(t, 20*time.Second, "points flowing", func() bool { return w.Stats().Sent > int64(2000*kills+500) })
		// Drain the signal of an earlier request, then kill as soon as
		// the next one is in flight.
		select {
		case <-inFlight:
		default:
		}
		select {
		case <-inFlight:
		case <-time.After(10 * time.Second):
			t.Fatal("no write request in 10 s")
		}
		s.Kill()
		kills++
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		s.Restart(t)
	}
	influxtest.Wait(t, 20*time.Second, "flowing after the last restart", func() bool { return w.Stats().Sent > int64(2000*kills+500) })
	n := p.finish()
	st := ledger(t, w, s, n, 60*time.Second)
	if st.Dropped != 0 || st.Rejected != 0 || st.Retries == 0 {
		t.Errorf("dropped %d rejected %d retries %d: want 0, 0 and some", st.Dropped, st.Rejected, st.Retries)
	}
	t.Logf("influxd SIGKILLed %d times with a batch in flight: %d points written, %d sent, %d in InfluxDB once each, 0 dropped, %d requests, %d retried",
		kills, n, st.Sent, st.Sent, st.Requests, st.Retries)
}

// TestChaosSlowServer: a loopback proxy holds each write request 1 to 2.5 s
// before passing it on, longer than the writer's 1.5 s timeout for some; the
// server applies even the requests the writer gave up on (the proxy has
// read the body and forwards it whatever the client does), so the retry
// is a duplicate that InfluxDB absorbs.
func TestChaosSlowServer(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	target, _ := url.Parse(s.URL())
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	delays := []time.Duration{time.Second, 2500 * time.Millisecond, 1250 * time.Millisecond, 2 * time.Second}
	var reqs, late atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		n := reqs.Add(1)
		time.Sleep(delays[int(n-1)%len(delays)])
		if r.Context().Err() != nil {
			late.Add(1) // the writer gave up: forwarded all the same
		}
		r2 := r.Clone(context.WithoutCancel(r.Context()))
		r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		rp.ServeHTTP(w, r2)
	}))
	t.Cleanup(proxy.Close)

	cfg := serverConfig(t, s)
	cfg.URL = proxy.URL
	cfg.BatchSize = 400
	cfg.Timeout = 1500 * time.Millisecond
	cfg.RetryInterval = 100 * time.Millisecond
	cfg.MaxRetryInterval = 500 * time.Millisecond
	w := newWriter(t, cfg)
	const n = 1600
	p := produce(w, 100, 100*time.Millisecond, n)
	<-p.done
	start := time.Now()
	st := ledger(t, w, s, n, 70*time.Second)
	if st.Dropped != 0 || st.Rejected != 0 {
		t.Errorf("dropped %d rejected %d", st.Dropped, st.Rejected)
	}
	if st.Retries == 0 || late.Load() == 0 {
		t.Errorf("%d retries, %d requests applied after the writer gave up: the proxy's delays did not exceed the timeout", st.Retries, late.Load())
	}
	if d := time.Since(start); st.Requests > 0 && d/time.Duration(st.Requests) < delays[0]/2 {
		t.Errorf("%d requests in %v: the proxy did not slow them", st.Requests, d)
	}
	t.Logf("requests held 1-2.5 s, timeout 1.5 s: %d points, %d requests, %d retried, %d applied by the server after the writer gave up; %d sent, %d in InfluxDB once each",
		n, st.Requests, st.Retries, late.Load(), st.Sent, st.Sent)
}

// TestChaosFlakySequence: a server that answers 503, then lets the request
// time out, then resets the connection, then 500, then 503 again with a
// Retry-After, twice over, before it accepts. The writer keeps the order,
// retries on its own timer and loses nothing.
func TestChaosFlakySequence(t *testing.T) {
	t.Parallel()
	f := &fakeInflux{}
	const timeout = time.Second
	var n atomic.Int64
	script := []string{"503", "timeout", "reset", "500", "503-retry-after", "timeout", "503", "reset", "500", "timeout"}
	var seen []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(script) {
			f.handle(w, r)
			return
		}
		mu.Lock()
		seen = append(seen, script[i])
		mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
		switch script[i] {
		case "503":
			http.Error(w, `{"code":"unavailable","message":"overloaded"}`, http.StatusServiceUnavailable)
		case "503-retry-after":
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"code":"unavailable","message":"overloaded"}`, http.StatusServiceUnavailable)
		case "500":
			http.Error(w, `{"code":"internal error","message":"engine: cache full"}`, http.StatusInternalServerError)
		case "timeout":
			select {
			case <-r.Context().Done():
			case <-time.After(3 * timeout):
			}
			http.Error(w, "too late", http.StatusServiceUnavailable)
		case "reset":
			hj, ok := w.(http.Hijacker)
			if !ok {
				panic("no hijacker")
			}
			c, _, err := hj.Hijack()
			if err == nil {
				if tc, ok := c.(interface{ SetLinger(int) error }); ok {
					_ = tc.SetLinger(0) // RST, not FIN
				}
				_ = c.Close()
			}
		}
	}))
	t.Cleanup(srv.Close)
	cfg := testConfig(t, srv.URL)
	cfg.Timeout = timeout
	cfg.BatchSize = 150
	cfg.MaxRetryInterval = 300 * time.Millisecond
	w := newWriter(t, cfg)
	const total = 900
	p := produce(w, 50, 20*time.Millisecond, total)
	<-p.done
	st := waitStats(t, w, 40*time.Second, "all resolved", func(st Stats) bool {
		return st.Written == total && st.Sent+st.Dropped+st.Rejected == st.Written && st.SpoolPoints == 0
	})
	seqs := f.acceptedSeqs()
	checkOrdered(t, seqs)
	if st.Sent != total || int64(len(seqs)) != st.Sent || st.Dropped != 0 || st.Rejected != 0 {
		t.Fatalf("sent %d, server accepted %d, dropped %d, rejected %d; want %d sent", st.Sent, len(seqs), st.Dropped, st.Rejected, total)
	}
	if st.Retries < int64(len(script)) {
		t.Errorf("%d retries for %d failed requests", st.Retries, len(script))
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("server script %v, then accepting: %d points, %d requests, %d retries, %d accepted once each in order, 0 dropped", seen, total, st.Requests, st.Retries, len(seqs))
}

// The helper processes: DDM_CHAOS_HELPER names the mode.
const chaosHelperEnv = "DDM_CHAOS_HELPER"

// chaosHelperStats is what a helper prints at the end.
type chaosHelperStats struct {
	Stats
	Phase1 Stats
}

// TestChaosHelperProcess is not a test: TestChaosSpoolDiskFull and
// TestChaosWriterKilled run it as a child process.
func TestChaosHelperProcess(t *testing.T) {
	switch os.Getenv(chaosHelperEnv) {
	case "diskfull":
		diskFullHelper()
	case "writer":
		writerHelper()
	case "urgentfull":
		urgentFullHelper(t)
	}
}

func helperConfig() InfluxConfig {
	return InfluxConfig{
		URL: os.Getenv("DDM_CHAOS_URL"), Bucket: os.Getenv("DDM_CHAOS_BUCKET"), SpoolDir: os.Getenv("DDM_CHAOS_SPOOL"),
		BatchSize: 200, FlushInterval: 50 * time.Millisecond, RetryInterval: 20 * time.Millisecond, MaxRetryInterval: 200 * time.Millisecond,
		Timeout: 5 * time.Second, Logger: quietLogger(),
	}
}

func helperFail(format string, args ...any) {
	fmt.Printf("ERROR "+format+"\n", args...)
	os.Exit(1)
}

// diskFullHelper runs a writer whose files may not grow beyond 64 KiB
// (RLIMIT_FSIZE; SIGXFSZ ignored, so a write past it fails with EFBIG)
// while the server is away; says FULL once points were dropped; waits for
// SPACE on stdin; lifts the limit; writes more; and says DONE with its
// stats once everything is resolved.
func diskFullHelper() {
	signal.Ignore(syscall.SIGXFSZ)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		helperFail("getrlimit: %v", err)
	}
	low := syscall.Rlimit{Cur: 64 << 10, Max: lim.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &low); err != nil {
		helperFail("setrlimit: %v", err)
	}
	cfg := helperConfig()
	cfg.QueueSize = 1000
	cfg.MemoryMaxBytes = 64 << 10
	var logs lockedBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	w, err := NewInfluxWriter(cfg)
	if err != nil {
		helperFail("%v", err)
	}
	const phase1, phase2 = 6000, 2000
	for i := 0; i < phase1; i += 100 {
		w.Write(seqPoints(i, i+100)...)
		time.Sleep(5 * time.Millisecond)
	}
	// The disk refuses (EFBIG): the spool keeps the points in memory, and
	// drops the oldest of them beyond MemoryMaxBytes. The journal says so.
	deadline := time.Now().Add(20 * time.Second)
	efbig := ""
	for {
		st := w.Stats()
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "spool: file too large") {
				efbig = l
			}
		}
		if st.Dropped > 0 && efbig != "" {
			break
		}
		if time.Now().After(deadline) {
			helperFail("the spool never filled: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p1 := w.Stats()
	p1.LastError = efbig
	b, _ := json.Marshal(p1)
	fmt.Printf("FULL %s\n", b)
	sc := bufio.NewScanner(os.Stdin)
	if !sc.Scan() || sc.Text() != "SPACE" {
		helperFail("no SPACE on stdin")
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		helperFail("setrlimit: %v", err)
	}
	// Space is back: the spooler catches up within its retry backoff,
	// then new points flow at a poll loop's pace.
	deadline = time.Now().Add(10 * time.Second)
	for w.Stats().QueueDepth > 0 {
		if time.Now().After(deadline) {
			helperFail("the queue did not reach the spool with space back: %+v", w.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := phase1; i < phase1+phase2; i += 100 {
		w.Write(seqPoints(i, i+100)...)
		time.Sleep(50 * time.Millisecond)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		st := w.Stats()
		if st.Written == phase1+phase2 && st.Sent+st.Dropped+st.Rejected == st.Written && st.SpoolPoints == 0 && st.QueueDepth == 0 {
			break
		}
		if time.Now().After(deadline) {
			b, _ := json.Marshal(st)
			fmt.Printf("DONE %s\n", b)
			helperFail("not resolved in 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		helperFail("close: %v", err)
	}
	b, _ = json.Marshal(chaosHelperStats{Stats: w.Stats(), Phase1: p1})
	fmt.Printf("DONE %s\n", b)
	os.Exit(0)
}

// writerHelper writes 50 points every 10 ms for ever, printing after each
// Write "W <points written so far> <unix ns>" and the writer's durable
// count (sent + spooled: a prefix of the points, since nothing is dropped,
// give or take the batch in flight).
func writerHelper() {
	w, err := NewInfluxWriter(helperConfig())
	if err != nil {
		helperFail("%v", err)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i += 50 {
		w.Write(seqPoints(i, i+50)...)
		st := w.Stats()
		fmt.Fprintf(out, "W %d %d %d\n", i+50, time.Now().UnixNano(), st.Sent+st.SpoolPoints)
		out.Flush()
		time.Sleep(10 * time.Millisecond)
	}
}

// startHelper runs TestChaosHelperProcess in mode with env; it returns
// the process, its stdin and its stdout lines.
func startHelper(t *testing.T, mode string, env ...string) (*exec.Cmd, io.WriteCloser, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChaosHelperProcess$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), chaosHelperEnv+"="+mode), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1<<16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, stdin, lines
}

// expect returns the next line starting with prefix (other lines are
// skipped), failing on an ERROR line, EOF or timeout.
func expect(t *testing.T, lines <-chan string, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("helper exited before %s", prefix)
			}
			if strings.HasPrefix(l, "ERROR") {
				t.Fatalf("helper: %s", l)
			}
			if rest, ok := strings.CutPrefix(l, prefix+" "); ok {
				return rest
			}
		case <-deadline:
			t.Fatalf("no %s from the helper in %v", prefix, timeout)
		}
	}
}

// TestChaosSpoolDiskFull: the spool's disk is full (RLIMIT_FSIZE 64 KiB in
// a helper process) while InfluxDB is away. The writer keeps running and
// accepting points; what it cannot spool waits in its bounded queue, and
// beyond the queue the oldest points are dropped and counted. When space
// is back (the limit lifted) and the server too, everything kept is
// delivered, once.
func TestChaosSpoolDiskFull(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	s.Stop()
	_, stdin, lines := startHelper(t, "diskfull", "DDM_CHAOS_URL="+s.URL(), "DDM_CHAOS_BUCKET="+s.Bucket(),
		"DDM_CHAOS_SPOOL="+t.TempDir()+"/spool")
	var p1 Stats
	if err := json.Unmarshal([]byte(expect(t, lines, "FULL", 40*time.Second)), &p1); err != nil {
		t.Fatal(err)
	}
	// Space comes back first, then the server.
	if _, err := io.WriteString(stdin, "SPACE\n"); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	var st chaosHelperStats
	if err := json.Unmarshal([]byte(expect(t, lines, "DONE", 45*time.Second)), &st); err != nil {
		t.Fatal(err)
	}
	if st.Sent+st.Dropped+st.Rejected != st.Written || st.Written != 8000 {
		t.Errorf("written %d, sent %d + dropped %d + rejected %d", st.Written, st.Sent, st.Dropped, st.Rejected)
	}
	seen := serverSeqs(t, s)
	if int64(len(seen)) != st.Sent {
		t.Errorf("InfluxDB holds %d distinct points, the writer counts %d sent", len(seen), st.Sent)
	}
	// The points written after space came back all arrived.
	missing := 0
	for i := 6000; i < 8000; i++ {
		if seen[i] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of the 2000 points written after space came back are missing", missing)
	}
	if st.Dropped == 0 || p1.Dropped == 0 {
		t.Errorf("nothing dropped while the disk was full: %+v", p1)
	}
	t.Logf("disk full (64 KiB files, EFBIG), server away: after 6000 points %d spooled, %d queued, %d dropped (%q); space and server back, 2000 more: written %d = sent %d + dropped %d + rejected %d; InfluxDB holds %d",
		p1.SpoolPoints, p1.QueueDepth, p1.Dropped, p1.LastError, st.Written, st.Sent, st.Dropped, st.Rejected, len(seen))
}

// TestChaosWriterKilled: the writer's process is SIGKILLed while points
// flow to InfluxDB (a batch may be in flight). A new writer on the same
// spool delivers the rest. In InfluxDB: a prefix of the points, no hole,
// none twice, every point the writer had made durable (sent or spooled)
// among them; the only points missing are the last ones, still in the
// in-memory queue when the process died (the documented crash window).
func TestChaosWriterKilled(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	spoolDir := t.TempDir() + "/spool"
	cmd, _, lines := startHelper(t, "writer", "DDM_CHAOS_URL="+s.URL(), "DDM_CHAOS_BUCKET="+s.Bucket(), "DDM_CHAOS_SPOOL="+spoolDir)
	// Let it run a little over a second, to a random point.
	runFor := time.Duration(1000+rand.IntN(800)) * time.Millisecond
	expect(t, lines, "W", 30*time.Second)
	time.Sleep(runFor)
	killed := time.Now()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// The lines printed before the kill: what was written, when, and the
	// durable count.
	type wline struct {
		written int
		at      time.Time
		durable int
	}
	var ws []wline
	for l := range lines {
		f := strings.Fields(strings.TrimPrefix(l, "W "))
		if len(f) != 3 {
			continue
		}
		n, _ := strconv.Atoi(f[0])
		ns, _ := strconv.ParseInt(f[1], 10, 64)
		d, _ := strconv.Atoi(f[2])
		ws = append(ws, wline{n, time.Unix(0, ns), d})
	}
	if len(ws) == 0 {
		t.Fatal("the helper printed nothing")
	}
	last := ws[len(ws)-1]

	cfg := serverConfig(t, s)
	cfg.SpoolDir = spoolDir
	w := newWriter(t, cfg)
	replay := w.Stats()
	st := waitStats(t, w, 30*time.Second, "spool replayed", func(st Stats) bool { return st.SpoolPoints == 0 && st.QueueDepth == 0 })
	if st.Sent+st.Dropped+st.Rejected+st.Corrupt != replay.SpoolPoints+replay.Corrupt {
		t.Errorf("replay: %d spooled, sent %d + dropped %d + rejected %d + corrupt %d", replay.SpoolPoints, st.Sent, st.Dropped, st.Rejected, st.Corrupt)
	}
	seen := serverSeqs(t, s)
	k := len(seen)
	for seq, c := range seen {
		if seq >= k || c != 1 {
			t.Fatalf("InfluxDB: seq %d present %d time(s) among %d points: not a prefix written once", seq, c, k)
		}
	}
	// Stats counts a batch as sent a moment before it leaves the spool,
	// so sent + spooled may count the batch in flight twice: the durable
	// prefix is at least that less one batch.
	maxDurable := 0
	for _, l := range ws {
		maxDurable = max(maxDurable, l.durable-helperConfig().BatchSize)
	}
	if k < maxDurable {
		t.Errorf("%d points in InfluxDB, but the writer had made %d durable", k, maxDurable)
	}
	if k > last.written+50 {
		t.Errorf("%d points in InfluxDB, more than the %d written", k, last.written+50)
	}
	// The points lost are the tail still in memory: every one of them was
	// written in the last moment before the kill. The spooler gathers
	// Writes for up to 50 ms, then writes and fsyncs; 250 ms allows for
	// the fsync and scheduling on a loaded machine.
	var oldestLost time.Duration
	for _, l := range ws {
		if l.written > k {
			oldestLost = max(oldestLost, killed.Sub(l.at))
		}
	}
	if oldestLost > 250*time.Millisecond {
		t.Errorf("a point written %v before the kill was lost (spool window ~50 ms)", oldestLost)
	}
	t.Logf("writer SIGKILLed after %v: %d points written (%d durable at the last report); the next writer replayed %d spooled (%d corrupt); InfluxDB holds seqs [0, %d) once each; %d lost from the in-memory queue, written at most %v before the kill",
		runFor, last.written, maxDurable, replay.SpoolPoints, st.Corrupt, k, max(0, last.written-k), oldestLost.Round(time.Millisecond))
}

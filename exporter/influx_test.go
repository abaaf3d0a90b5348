package exporter

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
)

func serverConfig(t *testing.T, s *influxtest.Server) InfluxConfig {
	cfg := testConfig(t, s.URL())
	cfg.Bucket = s.Bucket()
	cfg.Token = s.Token()
	return cfg
}

// TestInfluxSchemaRoundTrip writes the documented example points to a real
// InfluxDB 1.8 and reads them back: every documented field has its
// documented type on the server, tags are the documented ones, values and
// timestamps are as written, the dark lane has no dBm, and a NaN never
// arrives.
func TestInfluxSchemaRoundTrip(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t, influxtest.WithFlux())
	w := newWriter(t, serverConfig(t, s))

	pts := examplePoints()
	nanMod := exampleModule()
	nanMod.TemperatureC = fp(math.NaN())
	pts = append(pts, ModulePoints(Source{Host: "leaf01", Port: "Ethernet16", Time: exampleTime}, nanMod)[0])
	w.Write(pts...)
	st := waitStats(t, w, 30*time.Second, "all points sent", func(s Stats) bool { return s.Sent == int64(len(pts)) })
	if st.NonFiniteFields != 1 || st.Rejected != 0 || st.Invalid != 0 {
		t.Errorf("stats %+v", st)
	}

	for _, m := range Schema() {
		types := s.FieldTypes(t, m.Name)
		for _, f := range m.Fields {
			if types[f.Name] != f.Kind.String() {
				t.Errorf("%s.%s: server type %q, documented %s", m.Name, f.Name, types[f.Name], f.Kind)
			}
		}
		if len(types) != len(m.Fields) {
			t.Errorf("%s: server has %d fields, documented %d", m.Name, len(types), len(m.Fields))
		}
		var doc []string
		for _, tg := range m.Tags {
			doc = append(doc, tg.Name)
		}
		for _, k := range s.TagKeys(t, m.Name) {
			if !slices.Contains(doc, k) {
				t.Errorf("%s: server tag %s not documented", m.Name, k)
			}
		}
	}

	rows := s.Query(t, `SELECT * FROM xcvr_lane WHERE port = 'Ethernet8' AND lane = '1'`)
	if len(rows) != 1 {
		t.Fatalf("lane 1: %d rows", len(rows))
	}
	r := rows[0]
	if !r.Time().Equal(exampleTime) {
		t.Errorf("time %v, want %v", r.Time(), exampleTime)
	}
	for col, want := range map[string]float64{"tx_bias_ma": 6.75, "tx_power_mw": 1.2589, "tx_power_dbm": 1, "rx_power_dbm": -1} {
		if got, ok := r.Float(col); !ok || got != want {
			t.Errorf("lane 1 %s = %v, want %v", col, r.Values[col], want)
		}
	}
	if r.Values["data_path_state"] != "DPActivated" || r.Values["rx_los"] != false {
		t.Errorf("lane 1 %v", r.Values)
	}

	// 0 mW: tx_power_mw = 0 and no dBm at all.
	if rows := s.Query(t, `SELECT tx_power_dbm, rx_power_dbm FROM xcvr_lane WHERE lane = '3'`); len(rows) != 0 {
		t.Errorf("dark lane has dBm: %v", rows)
	}
	if rows := s.Query(t, `SELECT tx_power_mw, rx_los FROM xcvr_lane WHERE lane = '3'`); len(rows) != 1 || rows[0].Values["rx_los"] != true {
		t.Errorf("dark lane: %v", rows)
	} else if v, _ := rows[0].Float("tx_power_mw"); v != 0 {
		t.Errorf("dark lane tx_power_mw %v", v)
	}

	// NaN dropped, the rest of the point written.
	rows = s.Query(t, `SELECT temperature_c, vcc_v FROM xcvr_module WHERE port = 'Ethernet16'`)
	if len(rows) != 1 || rows[0].Values["temperature_c"] != nil {
		t.Errorf("NaN module: %v", rows)
	}

	// Strings are fields; the VDM side is a tag.
	if rows := s.Query(t, `SELECT serial_number FROM xcvr_info`); len(rows) != 1 || rows[0].Values["serial_number"] != "AC2601020001" {
		t.Errorf("info: %v", rows)
	}
	if n := s.Count(t, "value", "xcvr_vdm", `observable = 'pre_fec_ber'`); n != 2 {
		t.Errorf("pre_fec_ber points %d, want 2 (media, host)", n)
	}

	// The same data through Flux (what generated dashboards will use).
	flux := s.QueryFlux(t, `from(bucket: "`+s.Bucket()+`") |> range(start: 2026-01-01T00:00:00Z)
  |> filter(fn: (r) => r._measurement == "xcvr_lane" and r._field == "tx_power_mw")`)
	if len(flux) != 4 {
		t.Errorf("flux: %d records, want 4 lanes", len(flux))
	}
}

// outageDuration is DDM_OUTAGE_SECONDS, a fixed outage for a longer run
// by hand; 0 (unset) lets the outage end on what the writer did during it.
func outageDuration(t *testing.T) time.Duration {
	v := os.Getenv("DDM_OUTAGE_SECONDS")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("DDM_OUTAGE_SECONDS=%q", v)
	}
	return time.Duration(n) * time.Second
}

// checkArrived queries every test point back and fails unless seqs [0, n)
// each arrived exactly once with its original timestamp.
func checkArrived(t *testing.T, s *influxtest.Server, n int) {
	t.Helper()
	rows := s.Query(t, `SELECT seq, value FROM ddm_test`)
	seen := make([]int, n)
	dup, wrongTime := 0, 0
	for _, r := range rows {
		seq, ok := r.Int("seq")
		if !ok || seq < 0 || int(seq) >= n {
			t.Fatalf("bad row %v", r.Values)
		}
		seen[seq]++
		if seen[seq] > 1 {
			dup++
		}
		if want := seqPoint(int(seq)).Time; !r.Time().Equal(want) {
			wrongTime++
		}
	}
	missing := 0
	for _, c := range seen {
		if c == 0 {
			missing++
		}
	}
	if len(rows) != n || dup != 0 || missing != 0 || wrongTime != 0 {
		t.Fatalf("%d points written: %d rows, %d missing, %d duplicates, %d with a changed timestamp", n, len(rows), missing, dup, wrongTime)
	}
}

// TestInfluxOutage: the server is stopped while points keep coming, until
// the writer has failed and retried on its own timer past its backoff
// ceiling and 500 points have come in meanwhile (or for
// DDM_OUTAGE_SECONDS), then restarted: every point arrives exactly once
// with its original timestamp, in order of the spool.
func TestInfluxOutage(t *testing.T) {
	t.Parallel()
	outage := outageDuration(t)
	s := influxtest.Start(t)
	cfg := serverConfig(t, s)
	cfg.BatchSize = 200
	cfg.FlushInterval = 100 * time.Millisecond
	cfg.RetryInterval = 100 * time.Millisecond
	cfg.MaxRetryInterval = time.Second
	w := newWriter(t, cfg)

	// 10 points every 100 ms, like a poll loop, until told to stop.
	var mu sync.Mutex
	produced := 0
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			mu.Lock()
			start := time.Now()
			w.Write(seqPoints(produced, produced+10)...)
			// Write only queues in memory: it never waits for the server
			// (down for seconds here). The bound leaves room for a loaded
			// machine's scheduling, which once held a Write 257 ms.
			if d := time.Since(start); d > time.Second {
				t.Errorf("Write blocked %v", d)
			}
			produced += 10
			mu.Unlock()
		}
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return produced }

	influxtest.Wait(t, 10*time.Second, "points flowing", func() bool { return w.Stats().Sent >= 100 })
	s.Stop()
	atStop := w.Stats()
	sentAtStop := atStop.Sent
	producedAtStop := count()
	outageStart := time.Now()
	if outage > 0 {
		influxtest.Wait(t, outage+5*time.Second, "outage over", func() bool { return time.Since(outageStart) >= outage })
	} else {
		// Six failed tries take the backoff (100 ms doubling) to its 1 s
		// ceiling and keep it there; 500 points are 5 s of the producer.
		influxtest.Wait(t, 60*time.Second, "6 retries and 500 points during the outage", func() bool {
			return w.Stats().Retries >= atStop.Retries+6 && count()-producedAtStop >= 500
		})
	}
	outage = time.Since(outageStart)
	mid := w.Stats()
	if mid.Sent != sentAtStop || mid.Retries < 3 || mid.SpoolPoints < int64(count()-producedAtStop)/2 {
		t.Errorf("during the outage: sent %d (at stop %d), retries %d, spool %d points", mid.Sent, sentAtStop, mid.Retries, mid.SpoolPoints)
	}
	s.Restart(t)
	influxtest.Wait(t, 10*time.Second, "points flowing again", func() bool { return w.Stats().Sent > mid.Sent+100 })
	close(stop)
	<-done
	n := count()
	st := waitStats(t, w, 60*time.Second, "all sent", func(s Stats) bool { return s.Sent == int64(n) && s.SpoolPoints == 0 })
	if st.Dropped != 0 || st.Rejected != 0 {
		t.Errorf("dropped %d rejected %d", st.Dropped, st.Rejected)
	}
	checkArrived(t, s, n)
	t.Logf("%v outage, %d points (%d written during it, spool peaked >= %d points / %d bytes), %d arrived, 0 duplicates, 0 timestamps changed, %d retries",
		outage, n, mid.Written-int64(producedAtStop), mid.SpoolPoints, mid.SpoolBytes, n, st.Retries)
}

const helperEnv = "DDM_EXPORTER_HELPER"

// TestHelperProcess is not a test: run by TestInfluxCrashReplay as a child
// process, it spools points for an unreachable server, says so, and waits
// to be killed.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	n, _ := strconv.Atoi(os.Getenv("DDM_HELPER_N"))
	w, err := NewInfluxWriter(InfluxConfig{
		URL: os.Getenv("DDM_HELPER_URL"), Bucket: os.Getenv("DDM_HELPER_BUCKET"), SpoolDir: os.Getenv("DDM_HELPER_SPOOL"),
		BatchSize: 100, FlushInterval: 50 * time.Millisecond, RetryInterval: 20 * time.Millisecond, MaxRetryInterval: 200 * time.Millisecond,
		Logger: quietLogger(),
	})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	for i := 0; i < n; i += 100 {
		w.Write(seqPoints(i, min(i+100, n))...)
	}
	for w.Stats().SpoolPoints != int64(n) {
		time.Sleep(10 * time.Millisecond)
	}
	st := w.Stats()
	fmt.Printf("SPOOLED %d retries=%d\n", st.SpoolPoints, st.Retries)
	time.Sleep(time.Hour) // until SIGKILL
}

// TestInfluxCrashReplay: a writer process is SIGKILLed during an outage
// with its points spooled; a new writer on the same spool, with the server
// back, delivers every one of them exactly once with its timestamp.
func TestInfluxCrashReplay(t *testing.T) {
	t.Parallel()
	const n = 1000
	s := influxtest.Start(t)
	s.Stop() // the outage
	spoolDir := t.TempDir() + "/spool"

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "DDM_HELPER_N="+strconv.Itoa(n),
		"DDM_HELPER_URL="+s.URL(), "DDM_HELPER_BUCKET="+s.Bucket(), "DDM_HELPER_SPOOL="+spoolDir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var said string
	select {
	case said = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("helper did not spool in 30s")
	}
	if !strings.HasPrefix(said, "SPOOLED "+strconv.Itoa(n)) {
		t.Fatalf("helper said %q", said)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no Close, no flush
		t.Fatal(err)
	}
	_ = cmd.Wait()

	s.Restart(t)
	cfg := serverConfig(t, s)
	cfg.SpoolDir = spoolDir
	w := newWriter(t, cfg)
	if st := w.Stats(); st.SpoolPoints+st.Sent != n || st.Corrupt != 0 {
		t.Fatalf("new writer found %d spooled (+%d sent), %d corrupt; want %d", st.SpoolPoints, st.Sent, st.Corrupt, n)
	}
	st := waitStats(t, w, 30*time.Second, "replayed", func(s Stats) bool { return s.Sent == n && s.SpoolPoints == 0 })
	checkArrived(t, s, n)
	t.Logf("helper (%s) killed with %d points spooled; the next writer replayed %d, %d arrived once each with their timestamps", said, n, st.Sent, n)
}

// TestInfluxAuthRecovers: a real InfluxDB with authentication on and the
// user not created yet answers 401/403; the writer keeps the points,
// counts the errors, and delivers everything once the user exists.
func TestInfluxAuthRecovers(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t, influxtest.WithAuthNoUser())
	cfg := serverConfig(t, s)
	cfg.Token = "ddm:secret"
	w := newWriter(t, cfg)
	w.Write(seqPoints(0, 500)...)
	mid := waitStats(t, w, 20*time.Second, "auth errors", func(s Stats) bool { return s.AuthErrors >= 3 })
	if mid.Sent != 0 || mid.Dropped != 0 || mid.SpoolPoints != 500 {
		t.Fatalf("while refused: %+v", mid)
	}
	s.CreateAdmin(t, "ddm", "secret")
	st := waitStats(t, w, 20*time.Second, "sent", func(s Stats) bool { return s.Sent == 500 })
	checkArrived(t, s, 500)
	t.Logf("%d auth errors while the user did not exist, 0 dropped, 500 arrived after", st.AuthErrors)
}

// TestInflux413Real: InfluxDB's own max-body-size answers 413; the writer
// splits batches until they fit and every point arrives. (1.8 applies the
// limit to a plain body only: a gzipped one is checked against its
// Content-Length, which the client's streamed gzip body does not set, so
// this test turns gzip off.)
func TestInflux413Real(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		max    int
		noGzip bool
	}{{"plain", 4000, true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := influxtest.Start(t, influxtest.WithMaxBodySize(tc.max))
			cfg := serverConfig(t, s)
			cfg.BatchSize = 500
			cfg.DisableGzip = tc.noGzip
			w := newWriter(t, cfg)
			w.Write(seqPoints(0, 500)...)
			st := waitStats(t, w, 30*time.Second, "sent", func(s Stats) bool { return s.Sent == 500 })
			checkArrived(t, s, 500)
			if st.Requests <= 3 || st.Rejected != 0 || st.Retries != 0 {
				t.Errorf("requests %d rejected %d retries %d", st.Requests, st.Rejected, st.Retries)
			}
			t.Logf("500 points against max-body-size %d: %d requests, all arrived", tc.max, st.Requests)
		})
	}
}

func TestCloseFlushes(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	cfg := serverConfig(t, s)
	cfg.FlushInterval = time.Hour // only Close sends
	cfg.BatchSize = 100000
	w, err := NewInfluxWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(seqPoints(0, 300)...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Sent != 300 || st.SpoolPoints != 0 {
		t.Errorf("after Close: %+v", st)
	}
	checkArrived(t, s, 300)
	if err := w.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestInfluxFieldTypeConflict: InfluxDB 1.8 answers a field type conflict
// with 400 "partial write"; the writer isolates the one bad point, rejects
// and counts it, and every other point lands once.
func TestInfluxFieldTypeConflict(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	w := newWriter(t, serverConfig(t, s))
	pts := seqPoints(0, 200)
	bad := NewPoint("ddm_test", pts[120].Time)
	bad.AddTag("host", "test")
	bad.AddTag("port", "conflict")
	bad.AddInt("seq", 120)
	bad.AddString("value", "not a float") // value is a float field
	pts[120] = bad
	w.Write(pts...)
	st := waitStats(t, w, 30*time.Second, "resolved", func(s Stats) bool { return s.Sent+s.Rejected == 200 && s.SpoolPoints == 0 })
	if st.Rejected != 1 || st.Sent != 199 || !strings.Contains(st.LastError, "field type conflict") {
		t.Fatalf("sent %d rejected %d last error %q", st.Sent, st.Rejected, st.LastError)
	}
	rows := s.Query(t, `SELECT seq FROM ddm_test`)
	if len(rows) != 199 {
		t.Fatalf("%d rows, want 199", len(rows))
	}
	for _, r := range rows {
		if seq, _ := r.Int("seq"); seq == 120 {
			t.Fatal("the conflicting point landed")
		}
	}
	t.Logf("200 points, 1 with a conflicting field type: %d requests, 1 rejected (%s), 199 arrived", st.Requests, st.LastError)
}

package exporter

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
)

// modulePointsAt are the points of the example module on port at read
// time i ms after exampleTime: one xcvr_module point (with the boolean
// field present) and the other measurements.
func modulePointsAt(port, i int) []Point {
	return ModulePoints(Source{Host: "leaf01", Port: fmt.Sprintf("Ethernet%d", port), Time: exampleTime.Add(time.Duration(i) * time.Millisecond)}, exampleModule())
}

// TestInfluxTypeConflictDoesNotStall: a real InfluxDB 1.8 where
// xcvr_module.present is already a string (another writer got there
// first). Every xcvr_module point ddm sends carries present as a boolean.
// InfluxDB writes the rest of each request and answers "partial write:
// field type conflict ... dropped=N": the batch is resolved by that one
// answer, the conflict is remembered, later xcvr_module points are
// rejected locally (never sent), the journal says so once, and every other
// measurement arrives whole. (Before: the writer halved batches to find
// the refused points, 15,397 requests in 65 s, the spool growing.)
func TestInfluxTypeConflictDoesNotStall(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	s.Exec(t, `CREATE DATABASE "`+s.Database()+`"`)
	w0 := newWriter(t, serverConfig(t, s))
	other := NewPoint("xcvr_module", exampleTime.Add(-time.Hour))
	other.AddTag("host", "other-writer")
	other.AddString("present", "yes")
	w0.Write(other)
	waitStats(t, w0, 10*time.Second, "the string field", func(st Stats) bool { return st.Sent == 1 })

	var logs lockedBuffer
	cfg := serverConfig(t, s)
	cfg.BatchSize = 500
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	w := newWriter(t, cfg)
	var written, module int
	// One Write: the spooler cuts a record (a request) per BatchSize points
	// of a burst, and a burst of many calls on a loaded machine can span
	// its 50 ms coalescing window and add a partial batch.
	var all []Point
	for i := 0; i < 200; i++ {
		for port := 1; port <= 4; port++ {
			pts := modulePointsAt(port, i)
			for _, p := range pts {
				if p.Measurement == "xcvr_module" {
					module++
				}
			}
			written += len(pts)
			all = append(all, pts...)
		}
	}
	w.Write(all...)
	st := waitStats(t, w, 30*time.Second, "all resolved", func(st Stats) bool {
		return st.Written == int64(written) && st.Sent+st.Rejected == st.Written && st.SpoolPoints == 0 && st.QueueDepth == 0
	})
	if st.Rejected != int64(module) {
		t.Errorf("rejected %d, want the %d xcvr_module points", st.Rejected, module)
	}
	batches := (written + cfg.BatchSize - 1) / cfg.BatchSize
	if st.Requests > int64(batches)+2 || st.Retries != 0 {
		t.Errorf("%d requests (%d retried) for %d points in batches of %d", st.Requests, st.Retries, written, cfg.BatchSize)
	}
	if n := s.Count(t, "tx_power_mw", "xcvr_lane", `"host"='leaf01'`); n != int64(200*4*4) {
		t.Errorf("xcvr_lane: %d points in InfluxDB, want %d", n, 200*4*4)
	}
	if n := s.Count(t, "temperature_c", "xcvr_module", `"host"='leaf01'`); n != 0 {
		t.Errorf("%d xcvr_module points landed", n)
	}
	if c := strings.Count(logs.String(), `msg="rejected: field type conflict: xcvr_module.present is string in InfluxDB"`); c != 1 {
		t.Errorf("%d journal lines for the conflict, want 1 (then a summary per LogEvery):\n%s", c, logs.String())
	}
	t.Logf("xcvr_module.present a string in InfluxDB: %d points written in %d batches: %d requests, %d xcvr_module points rejected (the first batch's by the server's partial write, the rest locally), %d others sent; one journal line",
		written, batches, st.Requests, st.Rejected, st.Sent)
}

// TestRefusalsAreIsolatedInBoundedRequests: hostile and partial servers
// that refuse without saying which points: the writer isolates what it can
// within 2·log2(n)+8 refused requests per batch, rejects the rest with a
// count, and a refusal about one measurement never holds back the others.
// Ledger: written = sent + rejected.
func TestRefusalsAreIsolatedInBoundedRequests(t *testing.T) {
	const n, batch = 2000, 500
	mixed := func() []Point {
		pts := make([]Point, 0, n)
		for i := 0; i < n; i++ {
			p := seqPoint(i)
			if i%5 == 0 {
				p.Measurement = "ddm_refused"
			}
			pts = append(pts, p)
		}
		return pts
	}
	for _, tc := range []struct {
		name         string
		status       int
		msg          string
		refuse       func(body []byte) bool
		wantSent     int64
		maxRefusedPB int // refused requests per batch at most
	}{
		{"400 to every request", http.StatusBadRequest, "unable to parse 'x': invalid field format", func([]byte) bool { return true }, 0, isolationBudget(batch)},
		{"413 to every request", http.StatusRequestEntityTooLarge, "Request Entity Too Large", func([]byte) bool { return true }, 0, isolationBudget(batch)},
		{"422 to every request", http.StatusUnprocessableEntity, "failure writing points", func([]byte) bool { return true }, 0, isolationBudget(batch)},
		{"400 for one measurement, the batch refused whole", http.StatusBadRequest, "unable to parse 'ddm_refused': invalid field format",
			func(b []byte) bool { return bytes.Contains(b, []byte("ddm_refused")) }, n - n/5, isolationBudget(batch)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeInflux(t, func(_ int, body []byte, _ [][]byte) (int, string, http.Header) {
				if tc.refuse(body) {
					return tc.status, tc.msg, nil
				}
				return 0, "", nil
			})
			var logs lockedBuffer
			cfg := testConfig(t, f.srv.URL)
			cfg.BatchSize = batch
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			w := newWriter(t, cfg)
			start := time.Now()
			w.Write(mixed()...)
			st := waitStats(t, w, 20*time.Second, "all resolved", func(st Stats) bool {
				return st.Written == n && st.Sent+st.Rejected == n && st.SpoolPoints == 0 && st.QueueDepth == 0
			})
			took := time.Since(start)
			refused := st.Requests - int64(f.count(http.StatusNoContent))
			if st.Sent != tc.wantSent || int64(len(f.acceptedSeqs())) != st.Sent {
				t.Errorf("sent %d (server holds %d), want %d", st.Sent, len(f.acceptedSeqs()), tc.wantSent)
			}
			if max := int64(tc.maxRefusedPB * n / batch); refused > max {
				t.Errorf("%d refused requests for %d batches, want at most %d", refused, n/batch, max)
			}
			if st.Retries != 0 || st.Dropped != 0 {
				t.Errorf("retries %d dropped %d", st.Retries, st.Dropped)
			}
			if !strings.Contains(logs.String(), "rejected: ") {
				t.Errorf("no journal line for the rejections:\n%s", logs.String())
			}
			t.Logf("%d points in batches of %d: %d sent, %d rejected; %d requests (%d refused) in %v", n, batch, st.Sent, st.Rejected, st.Requests, refused, took.Round(time.Millisecond))
		})
	}
}

// TestPartialWriteAnswers: InfluxDB's partial write answers are read for
// the count of dropped points and the conflicting field.
func TestPartialWriteAnswers(t *testing.T) {
	for _, tc := range []struct {
		msg      string
		dropped  int
		conflict conflict
		kind     string
	}{
		{`partial write: field type conflict: input field "present" on measurement "xcvr_module" is type boolean, already exists as type string dropped=13`,
			13, conflict{"xcvr_module", "present", "string"}, "field type conflict: xcvr_module.present is string in InfluxDB"},
		{`partial write: points beyond retention policy dropped=2`, 2, conflict{}, "partial write: points beyond retention policy"},
		{`partial write: max-values-per-tag limit exceeded (100001/100000): measurement="xcvr_lane" tag="port" value="x" dropped=1`,
			1, conflict{}, "partial write: max-values-per-tag limit exceeded"},
		{`failure writing points to database: partial write: field type conflict: input field "f" on measurement "m \"q\"" is type string, already exists as type float dropped=1`,
			1, conflict{`m \"q\"`, "f", "float"}, `field type conflict: m \"q\".f is float in InfluxDB`},
	} {
		if d := parseDropped(tc.msg); d != tc.dropped {
			t.Errorf("%q: dropped %d, want %d", tc.msg, d, tc.dropped)
		}
		c, ok := parseConflict(tc.msg)
		if ok != (tc.conflict != conflict{}) || c != tc.conflict {
			t.Errorf("%q: conflict %+v %v, want %+v", tc.msg, c, ok, tc.conflict)
		}
		if k := partialKind(fmt.Errorf("%s", tc.msg)); k != tc.kind {
			t.Errorf("%q: kind %q, want %q", tc.msg, k, tc.kind)
		}
	}
}

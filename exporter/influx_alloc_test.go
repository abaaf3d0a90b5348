package exporter

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
)

// lanePoints is a batch shaped like the agent's: n xcvr_lane-like points of
// 5 floats and 20 flags, from seq on.
func lanePoints(seq, n int) []Point {
	pts := make([]Point, 0, n)
	for i := seq; i < seq+n; i++ {
		p := NewPoint("ddm_lane", t0.Add(time.Duration(i)*time.Millisecond))
		p.AddTag("host", "bench")
		p.AddTag("lane", fmt.Sprint(i%8+1))
		p.AddTag("port", fmt.Sprintf("Ethernet%d", i/8%64+1))
		p.AddInt("seq", int64(i))
		for j := range 5 {
			p.AddFloat(fmt.Sprintf("value_%d", j), float64(i%977)*0.0137+float64(j))
		}
		for j := range 20 {
			p.AddBool(fmt.Sprintf("flag_%02d", j), (i+j)%7 == 0)
		}
		pts = append(pts, p)
	}
	return pts
}

// TestWriterSteadyStateMemory: once warm, the writer's path from Write to
// InfluxDB reuses its memory: the queue, the batch read back from the
// spool, the request body, the gzip writer and its output. What it still
// allocates per request is the HTTP exchange's. Before, every request made
// a new gzip writer (about 800 kB), and every batch was copied into fresh
// memory four times (queue growth, the spool read, the body, a string
// copy): 4.5 MB per batch of 1,000 points, against 48 kB now.
func TestWriterSteadyStateMemory(t *testing.T) {
	srv := influxtest.Start(t)
	cfg := testConfig(t, srv.URL())
	cfg.Bucket = srv.Bucket()
	cfg.BatchSize = 1000
	cfg.FlushInterval = 20 * time.Millisecond
	w := newWriter(t, cfg)
	const batch = 1000
	batches := make([][]Point, 12)
	for i := range batches {
		batches[i] = lanePoints(i*batch, batch)
	}
	send := func(pts []Point) {
		want := w.Stats().Sent + int64(len(pts))
		w.Write(pts...)
		influxtest.Wait(t, 20*time.Second, "the batch delivered", func() bool { return w.Stats().Sent >= want })
	}
	for _, b := range batches[:4] { // warm-up: the buffers grow to a batch
		send(b)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	req0 := w.Stats().Requests
	for _, b := range batches[4:] {
		send(b)
	}
	runtime.ReadMemStats(&after)
	st := w.Stats()
	requests := st.Requests - req0
	if requests < int64(len(batches)-4) || st.Rejected != 0 || st.Dropped != 0 {
		t.Fatalf("%d requests for %d batches; stats %+v", requests, len(batches)-4, st)
	}
	perBatch := (after.TotalAlloc - before.TotalAlloc) / uint64(len(batches)-4)
	t.Logf("%d kB allocated per batch of %d points (%d requests)", perBatch>>10, batch, requests)
	// The lines of a batch are about 400 kB: a single copy of them in
	// fresh memory would pass this bound.
	if limit := uint64(128 << 10); perBatch > limit {
		t.Errorf("%d kB allocated per batch of %d points, want at most %d kB", perBatch>>10, batch, limit>>10)
	}
	if n := srv.Count(t, "seq", "ddm_lane", ""); n != int64(len(batches)*batch) {
		t.Errorf("InfluxDB holds %d points, want %d", n, len(batches)*batch)
	}
}

package exporter

import (
	"fmt"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/schema"
)

// flagEvents is n flag events on distinct lanes and reads of one port:
// every one its own point (host, port, lane, flag, time).
func flagEvents(from, n int) []Point {
	pts := make([]Point, n)
	for i := range pts {
		k := from + i
		pts[i] = FlagEventPoint(FlagEvent{Host: "h", Port: "Ethernet1/12", Lane: 1 + k%8, Flag: "rx_los",
			Time: t0.Add(time.Duration(k) * 100 * time.Millisecond), Since: t0.Add(time.Duration(k-1) * 100 * time.Millisecond),
			Count: 1 + k/8, Scan: true})
	}
	return pts
}

// TestWriteNowSendsAtOnce: with a flush interval of an hour, points from
// Write wait for a full batch while points from WriteNow reach InfluxDB at
// once, taking the batch points queued before them along (the spool is
// sent in order).
func TestWriteNowSendsAtOnce(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	cfg := serverConfig(t, s)
	cfg.FlushInterval = time.Hour
	cfg.BatchSize = 5000
	w := newWriter(t, cfg)

	w.Write(seqPoints(0, 10)...)
	// The batch waits: nothing is sent while the spooler and the flush
	// interval hold it (give the spooler its coalescing time and more).
	time.Sleep(300 * time.Millisecond)
	if st := w.Stats(); st.Sent != 0 || st.Requests != 0 {
		t.Fatalf("before WriteNow: %d sent in %d requests, want none (flush interval 1h)", st.Sent, st.Requests)
	}
	w.WriteNow(flagEvents(0, 3)...)
	waitStats(t, w, 30*time.Second, "the urgent points and the batch before them sent", func(st Stats) bool { return st.Sent == 13 })
	if n := s.Count(t, schema.FlagCount, schema.XcvrFlagEvent, ""); n != 3 {
		t.Errorf("InfluxDB holds %d xcvr_flag_event points, want 3", n)
	}
	if n := s.Count(t, "seq", "ddm_test", ""); n != 10 {
		t.Errorf("InfluxDB holds %d batch points, want 10", n)
	}
}

// TestWriteNowOutage: events written during an InfluxDB outage are
// spooled with the batch points, and once the server is back each is in
// InfluxDB exactly once (counted on the server), none dropped.
func TestWriteNowOutage(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	cfg := serverConfig(t, s)
	cfg.FlushInterval = time.Hour
	w := newWriter(t, cfg)

	w.WriteNow(flagEvents(0, 5)...)
	waitStats(t, w, 30*time.Second, "first events sent", func(st Stats) bool { return st.Sent == 5 })
	s.Stop()
	const during = 40
	for i := range during / 4 {
		w.Write(seqPoints(i*10, i*10+10)...)
		w.WriteNow(flagEvents(5+i*4, 4)...)
	}
	st := waitStats(t, w, 30*time.Second, "the writer retrying", func(st Stats) bool { return st.Retries >= 2 })
	if st.Sent != 5 || st.SpoolPoints+int64(st.QueueDepth) < during+100 {
		t.Fatalf("during the outage: %d sent (want 5), %d spooled, %d in memory (want %d)", st.Sent, st.SpoolPoints, st.QueueDepth, during+100)
	}
	s.Restart(t)
	// The spool's head is urgent: sent with the retry after the restart,
	// not at the next flush interval (an hour).
	st = waitStats(t, w, 60*time.Second, "everything sent after the outage", func(st Stats) bool { return st.Sent == 5+during+100 })
	if st.Dropped != 0 || st.Rejected != 0 {
		t.Errorf("dropped %d, rejected %d", st.Dropped, st.Rejected)
	}
	if n := s.Count(t, schema.FlagCount, schema.XcvrFlagEvent, ""); n != 5+during {
		t.Errorf("InfluxDB holds %d xcvr_flag_event points, want %d (each event once)", n, 5+during)
	}
	if n := s.Count(t, "seq", "ddm_test", ""); n != 100 {
		t.Errorf("InfluxDB holds %d batch points, want 100", n)
	}
	// Each event once: its count field per lane is distinct.
	rows := s.Query(t, fmt.Sprintf("SELECT count(%s) FROM %s GROUP BY %s", schema.FlagCount, schema.XcvrFlagEvent, schema.TagLane))
	if len(rows) != 8 {
		t.Errorf("%d lanes with events, want 8", len(rows))
	}
}

package exporter

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
// once, in a request of their own (the urgent lane): the batch points
// queued before them stay in their spool.
func TestWriteNowSendsAtOnce(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	cfg := serverConfig(t, s)
	cfg.FlushInterval = time.Hour
	cfg.BatchSize = 5000
	w := newWriter(t, cfg)

	w.Write(seqPoints(0, 10)...)
	waitStats(t, w, 10*time.Second, "the batch points spooled", func(st Stats) bool { return st.SpoolPoints == 10 })
	w.WriteNow(flagEvents(0, 3)...)
	st := waitStats(t, w, 30*time.Second, "the urgent points sent", func(st Stats) bool { return st.Sent == 3 })
	if st.Requests != 1 || st.SpoolPoints != 10 {
		t.Errorf("after WriteNow: %d requests (want 1), %d points spooled (want the 10 batch points)", st.Requests, st.SpoolPoints)
	}
	if n := s.Count(t, schema.FlagCount, schema.XcvrFlagEvent, ""); n != 3 {
		t.Errorf("InfluxDB holds %d xcvr_flag_event points, want 3", n)
	}
	if n := s.Count(t, "seq", "ddm_test", ""); n != 0 {
		t.Errorf("InfluxDB holds %d batch points, want none before the flush interval", n)
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
	// Each lane sends its spool with its retry after the restart, the batch
	// lane too: not at the next flush interval (an hour).
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

// serverProxy is an influxtest.Proxy in front of an InfluxDB: a write
// request whose lines hold says so waits until release is closed (a server
// stuck on that request). It counts the lines of every write the server
// accepted.
type serverProxy struct {
	srv     *httptest.Server
	release chan struct{}
	held    atomic.Int64 // requests waiting now

	mu       sync.Mutex
	accepted map[string]int // line -> times the server accepted it
}

func newServerProxy(t *testing.T, target string, hold func(lines [][]byte) bool) *serverProxy {
	p := &serverProxy{release: make(chan struct{}), accepted: map[string]int{}}
	p.srv = influxtest.StartProxy(t, target, influxtest.ProxyHooks{
		Before: func(ctx context.Context, w *influxtest.Write) {
			if hold == nil || !hold(w.Lines) {
				return
			}
			p.held.Add(1)
			defer p.held.Add(-1)
			select {
			case <-p.release:
			case <-ctx.Done():
			}
		},
		After: func(w *influxtest.Write) {
			if w.Status/100 != 2 {
				return
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			for _, l := range w.Lines {
				p.accepted[string(l)]++
			}
		},
	})
	// Before the proxy's own cleanup (cleanups run last first): a request
	// still held is let go.
	t.Cleanup(func() {
		select {
		case <-p.release:
		default:
			close(p.release)
		}
	})
	return p
}

// acceptedTwice returns the lines the server accepted more than once, and
// how many distinct lines it accepted.
func (p *serverProxy) acceptedTwice() (twice []string, distinct int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l, n := range p.accepted {
		if n > 1 {
			twice = append(twice, l)
		}
	}
	return twice, len(p.accepted)
}

func isBatchLine(l []byte) bool { return bytes.HasPrefix(l, []byte("ddm_test,")) }

// TestWriteNowPassesAStuckBatch: the server hangs on the request of a batch
// of Write's points (it answers it only when the test lets it); events
// written with WriteNow meanwhile are queryable in InfluxDB at once, not
// after the hung request (before the urgent lane had a sender of its own
// they waited for it: the spool was sent in order, one request at a time).
// Once the server answers, every point is there once.
func TestWriteNowPassesAStuckBatch(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	px := newServerProxy(t, s.URL(), func(lines [][]byte) bool { return slices.ContainsFunc(lines, isBatchLine) })
	cfg := serverConfig(t, s)
	cfg.URL = px.srv.URL
	cfg.Timeout = 30 * time.Second // the hung request is not given up
	w := newWriter(t, cfg)

	w.Write(seqPoints(0, 100)...)
	influxtest.Wait(t, 10*time.Second, "the batch's request hung on the server", func() bool { return px.held.Load() == 1 })
	w.WriteNow(flagEvents(0, 3)...)
	influxtest.Wait(t, 10*time.Second, "the events queryable in InfluxDB", func() bool {
		return s.Count(t, schema.FlagCount, schema.XcvrFlagEvent, "") == 3
	})
	if px.held.Load() != 1 || s.Count(t, "seq", "ddm_test", "") != 0 {
		t.Fatalf("the events arrived, but the batch's request is not hung any more (held %d): the test proves nothing", px.held.Load())
	}
	close(px.release)
	st := waitStats(t, w, 30*time.Second, "the batch sent once the server answered", func(st Stats) bool { return st.Sent == 103 })
	if st.Dropped+st.Rejected != 0 || st.SpoolPoints != 0 {
		t.Errorf("dropped %d, rejected %d, %d left in the spool", st.Dropped, st.Rejected, st.SpoolPoints)
	}
	if twice, n := px.acceptedTwice(); len(twice) > 0 || n != 103 {
		t.Errorf("the server accepted %d distinct points (want 103), %d of them more than once", n, len(twice))
	}
}

// TestWriteNowOutageWriterRestart: during an InfluxDB outage events
// (WriteNow) and batch points (Write) go to their spools on disk; the
// writer is closed with them unsent; a new writer on the same spool
// folder, with the server back, delivers every one of them exactly once
// (each line accepted once by the server, counted in InfluxDB).
func TestWriteNowOutageWriterRestart(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	px := newServerProxy(t, s.URL(), nil)
	cfg := serverConfig(t, s)
	cfg.URL = px.srv.URL
	s.Stop()
	w1, err := NewInfluxWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const events, batch = 40, 100
	for i := range events / 4 {
		w1.Write(seqPoints(i*batch/10, (i+1)*batch/10)...)
		w1.WriteNow(flagEvents(i*4, 4)...)
	}
	waitStats(t, w1, 30*time.Second, "everything spooled on disk, both lanes retrying", func(st Stats) bool {
		return st.SpoolPoints == events+batch && st.Retries >= 2
	})
	urgentSegs, _ := filepath.Glob(filepath.Join(cfg.SpoolDir, urgentSegPre+"*"+spoolSegSuf))
	if len(urgentSegs) == 0 {
		t.Fatal("no urgent lane segment on disk during the outage")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	err = w1.Close(ctx)
	cancel()
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d points left in the spool", events+batch)) {
		t.Fatalf("Close during the outage: %v, want %d points left in the spool", err, events+batch)
	}

	s.Restart(t)
	w2 := newWriter(t, cfg)
	st := waitStats(t, w2, 30*time.Second, "the spools delivered", func(st Stats) bool { return st.Sent == events+batch && st.SpoolPoints == 0 })
	if st.Dropped+st.Rejected+st.Corrupt != 0 {
		t.Errorf("dropped %d, rejected %d, corrupt %d", st.Dropped, st.Rejected, st.Corrupt)
	}
	if twice, n := px.acceptedTwice(); len(twice) > 0 || n != events+batch {
		t.Errorf("the server accepted %d distinct points (want %d), these more than once: %q", n, events+batch, twice)
	}
	if n := s.Count(t, schema.FlagCount, schema.XcvrFlagEvent, ""); n != events {
		t.Errorf("InfluxDB holds %d xcvr_flag_event points, want %d", n, events)
	}
	if n := s.Count(t, "seq", "ddm_test", ""); n != batch {
		t.Errorf("InfluxDB holds %d batch points, want %d", n, batch)
	}
}

// TestLanesRecoverTogether: during an outage each lane backs off on its
// own; the server asks the batch lane to wait 30 s (Retry-After) and the
// urgent lane nothing. When the server is back, the urgent lane's next
// try succeeds and ends the batch lane's wait: everything is delivered
// within seconds, not at the end of the 30 s.
func TestLanesRecoverTogether(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	down.Store(true)
	var batchFails, urgentFails atomic.Int64
	f := newFakeInflux(t, func(_ int, _ []byte, lines [][]byte) (int, string, http.Header) {
		if !down.Load() {
			return 0, "", nil
		}
		if slices.ContainsFunc(lines, isBatchLine) {
			batchFails.Add(1)
			return http.StatusServiceUnavailable, "down", http.Header{"Retry-After": {"30"}}
		}
		urgentFails.Add(1)
		return http.StatusServiceUnavailable, "down", nil
	})
	cfg := testConfig(t, f.srv.URL)
	cfg.MaxRetryInterval = 30 * time.Second
	w := newWriter(t, cfg)
	w.Write(seqPoints(0, 50)...)
	w.WriteNow(flagEvents(0, 5)...)
	influxtest.Wait(t, 10*time.Second, "both lanes refused", func() bool { return batchFails.Load() >= 1 && urgentFails.Load() >= 2 })
	down.Store(false)
	waitStats(t, w, 5*time.Second, "both lanes delivered", func(st Stats) bool { return st.Sent == 55 })
	if batchFails.Load() != 1 {
		t.Errorf("the batch lane tried %d times during the outage, want 1 (Retry-After 30 s)", batchFails.Load())
	}
}

// TestUrgentLaneWithinTheSpoolBound: during an outage SpoolMaxBytes bounds
// both lanes together. Batch points fill the spool, then events arrive:
// the batch lane drops its oldest points (counted) to make room, the
// events are all kept, and once the server is back every event and every
// batch point not counted as dropped arrive.
func TestUrgentLaneWithinTheSpoolBound(t *testing.T) {
	t.Parallel()
	var open atomic.Bool
	f := newFakeInflux(t, func(int, []byte, [][]byte) (int, string, http.Header) {
		if !open.Load() {
			return http.StatusServiceUnavailable, "down", nil
		}
		return 0, "", nil
	})
	const max = 16 << 10
	cfg := testConfig(t, f.srv.URL)
	cfg.SpoolMaxBytes = max
	cfg.segmentSize = 2 << 10
	cfg.BatchSize = 10 // records of 10 points, segments of a few records
	w := newWriter(t, cfg)
	const batch, events = 200, 60
	w.Write(seqPoints(0, batch)...)
	waitStats(t, w, 10*time.Second, "the batch points spooled, none dropped", func(s Stats) bool { return s.SpoolPoints == batch })
	for i := 0; i < events; i += 10 {
		w.WriteNow(flagEvents(i, 10)...)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := w.Stats()
		// The batches in flight stay in memory (QueueDepth) when the bound
		// removes them from disk.
		if s.Written == batch+events && s.QueueDepth <= 2*cfg.BatchSize && s.Dropped > 0 && s.SpoolBytes <= max &&
			s.SpoolPoints+int64(s.QueueDepth)+s.Dropped == batch+events {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the events spooled and the batch lane within what they leave: not after 10 s: %+v", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	open.Store(true)
	st := waitStats(t, w, 20*time.Second, "drained", func(s Stats) bool { return s.SpoolPoints == 0 && s.QueueDepth == 0 })
	var gotEvents, gotBatch int
	f.mu.Lock()
	for _, l := range f.accepted {
		if isBatchLine(l) {
			gotBatch++
		} else {
			gotEvents++
		}
	}
	f.mu.Unlock()
	if gotEvents != events || int64(gotBatch)+st.Dropped != batch || st.Sent != int64(gotEvents+gotBatch) {
		t.Errorf("the server got %d of %d events and %d batch points (%d dropped of %d); sent %d", gotEvents, events, gotBatch, st.Dropped, batch, st.Sent)
	}
	t.Logf("%d batch points then %d events into a %d-byte spool: %d batch points dropped (oldest), every event delivered", batch, events, max, st.Dropped)
}

// TestWriteNowSendsWhileTheDiskSyncs: the urgent lane's record is written
// to its segment and sent while the disk is still making it durable (an
// fsync on a busy disk took 156 ms in the onset benchmark): the server has
// the events while the sync hangs, and the sync is still done.
func TestWriteNowSendsWhileTheDiskSyncs(t *testing.T) {
	t.Parallel()
	f := newFakeInflux(t, nil)
	cfg := testConfig(t, f.srv.URL)
	release := make(chan struct{})
	var hung, synced atomic.Int64
	cfg.fsync = func(file *os.File) error {
		if strings.HasPrefix(filepath.Base(file.Name()), urgentSegPre) {
			hung.Add(1)
			<-release
			defer synced.Add(1)
		}
		return fdatasync(file)
	}
	w := newWriter(t, cfg)
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the writer's Close (cleanups run last first)
	w.WriteNow(flagEvents(0, 3)...)
	influxtest.Wait(t, 10*time.Second, "the events at the server", func() bool { return len(f.acceptedSeqs()) == 3 })
	if hung.Load() != 1 || synced.Load() != 0 {
		t.Fatalf("the events were sent, but %d syncs hung and %d were done: the test proves nothing", hung.Load(), synced.Load())
	}
	segs, _ := filepath.Glob(filepath.Join(cfg.SpoolDir, urgentSegPre+"*"))
	if len(segs) != 1 {
		t.Fatalf("%d urgent segments while the sync hangs, want the one holding the events", len(segs))
	}
	unblock()
	influxtest.Wait(t, 10*time.Second, "the sync done", func() bool { return synced.Load() == 1 })
	if st := w.Stats(); st.Sent != 3 || st.Dropped+st.Corrupt != 0 || st.LastError != "" {
		t.Errorf("sent %d (want 3), dropped %d, corrupt %d, last error %q", st.Sent, st.Dropped, st.Corrupt, st.LastError)
	}
}

// TestUrgentSyncFailureIsLogged: when the disk fails to sync an urgent
// record (EIO), the failure is logged as the spool's and the record, written
// already, is still delivered once.
func TestUrgentSyncFailureIsLogged(t *testing.T) {
	t.Parallel()
	f := newFakeInflux(t, nil)
	cfg := testConfig(t, f.srv.URL)
	var logs lockedBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	cfg.fsync = func(file *os.File) error {
		if strings.HasPrefix(filepath.Base(file.Name()), urgentSegPre) {
			return syscall.EIO
		}
		return fdatasync(file)
	}
	w := newWriter(t, cfg)
	w.WriteNow(flagEvents(0, 3)...)
	st := waitStats(t, w, 10*time.Second, "the events sent and the failure noted", func(st Stats) bool {
		return st.Sent == 3 && strings.Contains(st.LastError, "input/output error")
	})
	if n := len(f.acceptedSeqs()); n != 3 || st.Dropped+st.Corrupt != 0 {
		t.Errorf("the server has %d events (want 3); dropped %d, corrupt %d", n, st.Dropped, st.Corrupt)
	}
	if !strings.Contains(logs.String(), `msg="spool: input/output error"`) {
		t.Errorf("the sync failure is not in the log:\n%s", logs.String())
	}
}

// TestCloseDrainsBothLanes: Close sends what both lanes hold, the batch
// lane's points too though its flush interval (an hour) has not come.
func TestCloseDrainsBothLanes(t *testing.T) {
	t.Parallel()
	f := newFakeInflux(t, nil)
	cfg := testConfig(t, f.srv.URL)
	cfg.FlushInterval = time.Hour
	w, err := NewInfluxWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(seqPoints(0, 30)...)
	w.WriteNow(flagEvents(0, 4)...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var events, batch int
	f.mu.Lock()
	for _, l := range f.accepted {
		if isBatchLine(l) {
			batch++
		} else {
			events++
		}
	}
	f.mu.Unlock()
	if st := w.Stats(); events != 4 || batch != 30 || st.Sent != 34 || st.SpoolPoints != 0 {
		t.Errorf("after Close the server has %d events (want 4) and %d batch points (want 30); sent %d, %d left", events, batch, st.Sent, st.SpoolPoints)
	}
}

// TestBatchPassesAStuckUrgentLane: the other way round, the server hangs
// on the events' request; the batches go on, and once the server answers
// the events arrive, each once.
func TestBatchPassesAStuckUrgentLane(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	px := newServerProxy(t, s.URL(), func(lines [][]byte) bool { return !slices.ContainsFunc(lines, isBatchLine) })
	cfg := serverConfig(t, s)
	cfg.URL = px.srv.URL
	cfg.Timeout = 30 * time.Second
	w := newWriter(t, cfg)

	w.WriteNow(flagEvents(0, 3)...)
	influxtest.Wait(t, 10*time.Second, "the events' request hung on the server", func() bool { return px.held.Load() == 1 })
	w.Write(seqPoints(0, 250)...)
	waitStats(t, w, 10*time.Second, "the batches sent", func(st Stats) bool { return st.Sent == 250 })
	if px.held.Load() != 1 || s.Count(t, schema.FlagCount, schema.XcvrFlagEvent, "") != 0 {
		t.Fatalf("the batches arrived, but the events' request is not hung any more (held %d): the test proves nothing", px.held.Load())
	}
	close(px.release)
	waitStats(t, w, 30*time.Second, "the events sent once the server answered", func(st Stats) bool { return st.Sent == 253 })
	if twice, n := px.acceptedTwice(); len(twice) > 0 || n != 253 {
		t.Errorf("the server accepted %d distinct points (want 253), %d of them more than once", n, len(twice))
	}
}

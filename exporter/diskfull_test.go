package exporter

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/internal/smallfs"
)

// switchableServer is a fake InfluxDB that answers 503 until up is set.
func switchableServer(t *testing.T) (*fakeInflux, *atomic.Bool) {
	var up atomic.Bool
	f := newFakeInflux(t, func(int, []byte, [][]byte) (int, string, http.Header) {
		if !up.Load() {
			return http.StatusServiceUnavailable, "down", nil
		}
		return 0, "", nil
	})
	return f, &up
}

// checkOnce fails unless every seq the server accepted is there once.
func checkOnce(t *testing.T, seqs []int) map[int]bool {
	t.Helper()
	seen := map[int]bool{}
	for _, q := range seqs {
		if seen[q] {
			t.Fatalf("seq %d delivered twice", q)
		}
		seen[q] = true
	}
	return seen
}

// TestDiskFullRecoversInPlace: the spool fills its own filesystem (a
// 256 KiB tmpfs, spool_max_bytes far above it) during an outage. The writer
// goes on: the disk keeps what it holds, the newest points are held in
// memory (bounded, the oldest of them dropped and counted), the failure is
// logged once. The process stops with the disk full, and a crash leaves a
// torn record at the end that fills the last bytes; the next writer opens
// on the full disk (no start-up failure, no space needed), truncates the
// torn record in place and counts nothing lost that was spooled. When the
// server is back everything kept arrives once, segments are deleted as
// they are sent, and the points held in memory go back to disk. Ledger
// over both writers: written = sent + dropped.
func TestDiskFullRecoversInPlace(t *testing.T) {
	mnt := smallfs.Mount(t, 256<<10)
	f, up := switchableServer(t)
	var logs lockedBuffer
	cfg := testConfig(t, f.srv.URL)
	cfg.SpoolDir = filepath.Join(mnt, "state", "spool")
	cfg.MemoryMaxBytes = 64 << 10
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	w1, err := NewInfluxWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const burst = 100
	next := 0
	for ; next < 8000; next += burst {
		w1.Write(seqPoints(next, next+burst)...)
		time.Sleep(2 * time.Millisecond)
		if st := w1.Stats(); st.Dropped > 0 && st.QueueDepth > 0 {
			next += burst
			break
		}
	}
	st1 := waitStats(t, w1, 10*time.Second, "disk full: newest in memory, oldest of them dropped", func(s Stats) bool {
		return s.Dropped > 0 && s.QueueDepth > 0 && s.Written == int64(next)
	})
	if n := strings.Count(logs.String(), "spool: no space left on device"); n != 1 {
		t.Errorf("%d log lines for the full disk, want 1 (then a summary per LogEvery):\n%s", n, logs.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_ = w1.Close(ctx) // the server is down: what is on disk stays; memory is counted dropped
	cancel()
	c1 := w1.Stats()

	// A torn record (a crash mid-write) takes the last free bytes.
	segs := segPaths(t, cfg.SpoolDir)
	tail, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := append(append([]byte{}, magicBytes...), 0xff, 0x10, 0, 0, 5)
	for {
		if _, err := tail.Write(torn); err != nil {
			break
		}
	}
	tail.Close()
	if free := smallfs.Free(t, mnt); free != 0 {
		t.Fatalf("the disk is not full: %d bytes free", free)
	}

	w2, err := NewInfluxWriter(cfg)
	if err != nil {
		t.Fatalf("restart on a full disk: %v", err)
	}
	t.Cleanup(func() { _ = w2.Close(context.Background()) })
	start := w2.Stats()
	if start.SpoolPoints != c1.SpoolPoints || start.Corrupt != 0 {
		t.Errorf("restart found %d points (%d corrupt); the first writer left %d", start.SpoolPoints, start.Corrupt, c1.SpoolPoints)
	}
	w2.Write(seqPoints(next, next+500)...) // still full: held in memory
	next += 500
	up.Store(true)
	st2 := waitStats(t, w2, 20*time.Second, "all delivered", func(s Stats) bool {
		return s.Written == 500 && s.SpoolPoints == 0 && s.QueueDepth == 0 && s.Sent+s.Dropped == start.SpoolPoints+500
	})
	seen := checkOnce(t, f.acceptedSeqs())
	sent, dropped := c1.Sent+st2.Sent, c1.Dropped+st2.Dropped
	if int64(next) != sent+dropped || int64(len(seen)) != sent {
		t.Fatalf("written %d, sent %d + dropped %d; the server holds %d", next, sent, dropped, len(seen))
	}
	for i := next - 500; i < next; i++ {
		if !seen[i] {
			t.Fatalf("seq %d, written after the restart, never arrived", i)
		}
	}
	if segs := segPaths(t, cfg.SpoolDir); len(segs) > 1 {
		t.Errorf("%d segments left after everything was sent", len(segs))
	}
	t.Logf("256 KiB filesystem: %d points written; first writer: %d on disk, %d held in memory, %d dropped when the disk was full; restart on the full disk with a torn record: %d found, 0 corrupt; after the server came back: %d sent + %d dropped = %d written, each once",
		next, st1.SpoolPoints, st1.QueueDepth, c1.Dropped, start.SpoolPoints, sent, dropped, next)
}

// TestDiskFullServerUp: the spool's filesystem is full (filled by someone
// else) while InfluxDB is up: every point still reaches it, from memory,
// nothing is dropped, the full disk is logged once, and when space comes
// back the journal says the spool writes to disk again.
func TestDiskFullServerUp(t *testing.T) {
	mnt := smallfs.Mount(t, 64<<10)
	f := newFakeInflux(t, nil)
	var logs lockedBuffer
	cfg := testConfig(t, f.srv.URL)
	cfg.SpoolDir = filepath.Join(mnt, "spool")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	w := newWriter(t, cfg)
	filler := filepath.Join(mnt, "someone-elses-file")
	smallfs.Fill(t, filler, 0)
	const n = 3000
	for i := 0; i < n; i += 100 {
		w.Write(seqPoints(i, i+100)...)
		time.Sleep(5 * time.Millisecond)
	}
	st := waitStats(t, w, 10*time.Second, "all sent", func(s Stats) bool { return s.Sent == n })
	if st.Dropped != 0 || len(checkOnce(t, f.acceptedSeqs())) != n {
		t.Fatalf("disk full, server up: %+v", st)
	}
	if c := strings.Count(logs.String(), "spool: no space left on device"); c != 1 {
		t.Fatalf("%d log lines for the full disk, want 1:\n%s", c, logs.String())
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// Points keep coming, as from the poll loop: the disk is tried again
	// (at most once a second) and takes them.
	m := n
	influxtest.Wait(t, 5*time.Second, "recovery logged", func() bool {
		w.Write(seqPoints(m, m+10)...)
		m += 10
		return strings.Contains(logs.String(), "spool: writing to disk again")
	})
	st = waitStats(t, w, 10*time.Second, "sent after space came back", func(s Stats) bool { return s.Sent == int64(m) })
	if st.Dropped != 0 || len(checkOnce(t, f.acceptedSeqs())) != m {
		t.Fatalf("after space came back: %+v", st)
	}
	t.Logf("64 KiB filesystem full, server up: %d points written, %d sent (the first %d from memory), 0 dropped; journal: the full disk once, then the recovery", m, st.Sent, n)
}

// TestDiskFreedWhileBatchInFlight: the disk refused some records (held in
// memory) and a batch holding them is in flight to a server that does not
// answer; when the disk has room again, newer records go to disk (not to
// memory, where the bound would drop them), the batch in flight stays
// whole, and once it is delivered nothing is left in memory.
func TestDiskFreedWhileBatchInFlight(t *testing.T) {
	mnt := smallfs.Mount(t, 64<<10)
	filler := filepath.Join(mnt, "someone-elses-file")
	smallfs.Fill(t, filler, 0)
	s, err := openSpool(spoolOptions{dir: filepath.Join(mnt, "spool"), segmentSize: 8 << 10, logger: quietLogger()})
	if err != nil {
		t.Fatalf("open on a full disk: %v", err)
	}
	defer s.close()
	for i := 0; i < 20; i += 10 {
		_ = s.append(payloadOf(testLines(i, i+10)), 10) // the disk refuses: held in memory
	}
	if st := s.stats(); st.memPoints != 20 || st.diskPoints != 0 {
		t.Fatalf("full disk: %+v", st)
	}
	b := s.peek(100)
	if b == nil || b.points != 20 {
		t.Fatalf("peek: %+v", b)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the spool tries the disk again after a second
	appendLines(t, s, testLines(20, 50), 10)
	if st := s.stats(); st.diskPoints != 30 || st.memPoints != 20 {
		t.Fatalf("space back, batch in flight: %d on disk, %d in memory; want 30 and 20", st.diskPoints, st.memPoints)
	}
	s.ack(b, true)
	got := drain(t, s)
	if st := s.stats(); st.memPoints != 0 || len(got) != 30 || lineSeq(got[0]) != 20 {
		t.Fatalf("after the ack: %+v, %d lines to send from seq %d", st, len(got), lineSeq(got[0]))
	}
}

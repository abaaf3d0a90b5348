package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/internal/smallfs"
	"github.com/ddm-agent/ddm/schema"
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

// urgentFullReport is what urgentFullHelper prints before it waits to be
// killed.
type urgentFullReport struct {
	Stats
	Bulk, Events          int   // points written with Write and WriteNow
	UrgentDisk, UrgentMem int64 // the events on disk and held in memory
	BatchMem              int64 // bulk points held in memory (a SIGKILL loses them)
	MakeRoomLogs          int   // journal lines: batch points dropped for events
}

// makeRoomDrop is the reason the journal gives for bulk points dropped to
// make room for events.
const makeRoomDrop = "disk full: the oldest points of the batch lane dropped to make room for events"

// queued is the number of points in the writer's queues, not spooled yet.
func queued(w *InfluxWriter) int {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	return len(w.batch.queue.ends) + len(w.urgent.queue.ends)
}

// urgentFullHelper runs a writer on DDM_CHAOS_SPOOL (a small filesystem)
// while InfluxDB is away: bulk points (Write) until the disk is full and
// the batch lane holds points in memory, then rounds of more bulk points
// and flag events (WriteNow); a file in DDM_CHAOS_FILLER takes the few
// KiB the bulk points left free before each. Once both queues are in the spools (and the
// events on disk, or 3 s passed), it prints READY and its report, and
// waits to be killed.
func urgentFullHelper(t *testing.T) {
	cfg := helperConfig()
	if v := os.Getenv("DDM_CHAOS_SEGMENT"); v != "" {
		cfg.segmentSize, _ = strconv.ParseInt(v, 10, 64)
	}
	var logs lockedBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	w, err := NewInfluxWriter(cfg)
	if err != nil {
		helperFail("%v", err)
	}
	bulk := 0
	deadline := time.Now().Add(20 * time.Second)
	for w.batch.spool.stats().memPoints == 0 {
		w.Write(seqPoints(bulk, bulk+100)...)
		bulk += 100
		time.Sleep(2 * time.Millisecond)
		if time.Now().After(deadline) {
			helperFail("the disk never filled: %+v", w.Stats())
		}
	}
	const rounds, per = 8, 4
	for r := range rounds {
		w.Write(seqPoints(bulk, bulk+100)...)
		bulk += 100
		for queued(w) > 0 {
			time.Sleep(time.Millisecond) // the bulk points not in the spool yet
		}
		// The batch lane's last write, cut off, left a few KiB free:
		// someone else takes them, so the disk has no room for an event.
		// (Not the room an event made: the bulk points retake it.)
		if filler := os.Getenv("DDM_CHAOS_FILLER"); smallfs.Free(t, filepath.Dir(filler)) < 32<<10 {
			smallfs.Fill(t, filler, 0)
		}
		w.WriteNow(flagEvents(r*per, per)...)
		time.Sleep(150 * time.Millisecond)
	}
	events := rounds * per
	deadline = time.Now().Add(3 * time.Second)
	for {
		if queued(w) == 0 && w.urgent.spool.stats().diskPoints == int64(events) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	u, b := w.urgent.spool.stats(), w.batch.spool.stats()
	rep := urgentFullReport{Stats: w.Stats(), Bulk: bulk, Events: events, UrgentDisk: u.diskPoints, UrgentMem: u.memPoints,
		BatchMem: b.memPoints, MakeRoomLogs: strings.Count(logs.String(), "dropped: "+makeRoomDrop)}
	out, _ := json.Marshal(rep)
	fmt.Printf("READY %s\n", out)
	select {}
}

// TestUrgentSurvivesFullDiskAndKill: InfluxDB is away and the spool's
// filesystem (a 256 KiB tmpfs) is full of bulk points, more of them held
// in memory; flag events written then make room on disk by dropping the
// batch lane's oldest segment (counted, logged once) instead of waiting in
// memory. The process is SIGKILLed (no Close); a new writer on the same
// spool, with InfluxDB back, delivers every event exactly once, and every
// bulk point is sent, counted as dropped, or was held in memory at the
// kill. Before: the events were held in memory while the bulk points kept
// the disk, and the kill lost every one of them. Once with the default
// segment size (sized to the filesystem: 32 KiB here; before, the bound
// gave 1 MiB, and the first event dropped the one segment that filled the
// disk) and once with 16 KiB segments.
func TestUrgentSurvivesFullDiskAndKill(t *testing.T) {
	s := influxtest.Start(t)
	for _, tc := range []struct {
		name    string
		segment int64
	}{
		{"default segments", 0},
		{"16 KiB segments", 16 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mnt := smallfs.Mount(t, 256<<10)
			spoolDir := filepath.Join(mnt, "state", "spool")
			s.Stop()
			cmd, _, lines := startHelper(t, "urgentfull", "DDM_CHAOS_URL="+s.URL(), "DDM_CHAOS_BUCKET="+s.Bucket(),
				"DDM_CHAOS_SPOOL="+spoolDir, "DDM_CHAOS_FILLER="+filepath.Join(mnt, "someone-elses-file"), fmt.Sprintf("DDM_CHAOS_SEGMENT=%d", tc.segment))
			var rep urgentFullReport
			if err := json.Unmarshal([]byte(expect(t, lines, "READY", 40*time.Second)), &rep); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if rep.Dropped == 0 || rep.MakeRoomLogs != 1 {
				t.Errorf("bulk points dropped for the events: %d, logged %d times (want some, logged once)", rep.Dropped, rep.MakeRoomLogs)
			}
			// Segments are sized to the filesystem: 8 event records cost a
			// few of its 64ths, not most of the bulk points.
			if rep.Dropped*4 > int64(rep.Bulk) {
				t.Errorf("%d of %d bulk points dropped for %d events", rep.Dropped, rep.Bulk, rep.Events)
			}
			if rep.Written != int64(rep.Bulk+rep.Events) || rep.Dropped+rep.SpoolPoints+rep.BatchMem+rep.UrgentMem != rep.Written {
				t.Errorf("at the kill: written %d (%d bulk + %d events) != dropped %d + on disk %d + in memory %d + %d",
					rep.Written, rep.Bulk, rep.Events, rep.Dropped, rep.SpoolPoints, rep.BatchMem, rep.UrgentMem)
			}

			s.Restart(t)
			px := newServerProxy(t, s.URL(), nil)
			cfg := serverConfig(t, s)
			cfg.URL, cfg.SpoolDir = px.srv.URL, spoolDir
			w := newWriter(t, cfg)
			replay := w.Stats()
			st := waitStats(t, w, 20*time.Second, "the spools delivered", func(st Stats) bool { return st.SpoolPoints == 0 && st.QueueDepth == 0 })
			if st.Sent != replay.SpoolPoints || st.Dropped+st.Rejected+st.Corrupt != 0 {
				t.Errorf("replay: %d points spooled, %d sent, %d dropped, %d rejected, %d corrupt", replay.SpoolPoints, st.Sent, st.Dropped, st.Rejected, st.Corrupt)
			}
			twice, distinct := px.acceptedTwice()
			if len(twice) > 0 || int64(distinct) != st.Sent {
				t.Errorf("the server accepted %d distinct points (want %d), these more than once: %q", distinct, st.Sent, twice)
			}
			// Every subtest writes the same events: InfluxDB holds them once.
			n := s.Count(t, schema.FlagCount, schema.XcvrFlagEvent, "")
			if n != int64(rep.Events) {
				t.Errorf("InfluxDB holds %d of the %d flag events (at the kill %d on disk, %d in memory)", n, rep.Events, rep.UrgentDisk, rep.UrgentMem)
			}
			t.Logf("%s, 256 KiB filesystem, InfluxDB away: %d bulk points and %d events written; at the SIGKILL %d bulk points dropped for the events (%d journal lines), %d spooled, %d bulk points in memory, events %d on disk and %d in memory; after the restart %d sent, %d accepted twice, %d events in InfluxDB",
				tc.name, rep.Bulk, rep.Events, rep.Dropped, rep.MakeRoomLogs, rep.SpoolPoints, rep.BatchMem, rep.UrgentDisk, rep.UrgentMem, st.Sent, len(twice), n)
		})
	}
}

// TestUrgentMemoryMakesRoomLater: the urgent spool's records held in
// memory (the disk full and nothing to drop for them yet) go to disk once
// makeRoom can free space: at the spooler's next retry, and at close
// (before: at close they were counted as lost).
func TestUrgentMemoryMakesRoomLater(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close bool // moved by close; else by retryDisk
	}{{"retry", false}, {"close", true}} {
		t.Run(tc.name, func(t *testing.T) {
			mnt := smallfs.Mount(t, 64<<10)
			filler := filepath.Join(mnt, "bulk")
			smallfs.Fill(t, filler, 0)
			var armed atomic.Bool
			makeRoom := func() bool { // the batch lane, once it has a segment to give up
				if !armed.Swap(false) {
					return false
				}
				return os.Truncate(filler, 0) == nil
			}
			dir := filepath.Join(mnt, "spool")
			s, err := openSpool(spoolOptions{dir: dir, lane: laneUrgent, noSync: true, logger: quietLogger(), makeRoom: makeRoom})
			if err != nil {
				t.Fatal(err)
			}
			lines := testLines(0, 20)
			for i := 0; i < len(lines); i += 5 {
				_ = s.append(payloadOf(lines[i:i+5]), 5)
			}
			if st := s.stats(); st.memPoints != 20 || st.diskPoints != 0 {
				t.Fatalf("full disk, no room to make: %d in memory, %d on disk; want 20, 0", st.memPoints, st.diskPoints)
			}
			armed.Store(true)
			if tc.close {
				if err := s.close(); err != nil {
					t.Fatalf("close: %v", err)
				}
			} else {
				// The disk is tried again a second after it failed, not before.
				s.retryDisk()
				if st := s.stats(); st.memPoints != 20 {
					t.Fatalf("retried within the second after the failure: %d in memory, want 20", st.memPoints)
				}
				s.mu.Lock()
				s.diskRetryAt = time.Now() // the second has passed (no wall-clock sleep)
				s.mu.Unlock()
				s.retryDisk()
				if st := s.stats(); st.memPoints != 0 || st.diskPoints != 20 {
					t.Errorf("after the retry: %d in memory, %d on disk; want 0, 20", st.memPoints, st.diskPoints)
				}
				_ = s.close()
			}
			s, err = openSpool(spoolOptions{dir: dir, lane: laneUrgent, noSync: true, logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			if got := drain(t, s); !slices.EqualFunc(got, lines, bytes.Equal) {
				t.Errorf("reopened: %d points, want the 20 in order", len(got))
			}
		})
	}
}

package exporter

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func testLines(from, to int) [][]byte {
	var out [][]byte
	for i := from; i < to; i++ {
		p := seqPoint(i)
		b, err := appendLine(nil, &p, 0)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}

// payloadOf joins lines into a spool record's payload.
func payloadOf(lines [][]byte) []byte {
	var b []byte
	for _, l := range lines {
		b = append(append(b, l...), '\n')
	}
	return b
}

// appendLines appends lines to the spool in records of per lines.
func appendLines(t testing.TB, s *spool, lines [][]byte, per int) {
	t.Helper()
	for i := 0; i < len(lines); i += per {
		chunk := lines[i:min(i+per, len(lines))]
		if err := s.append(payloadOf(chunk), len(chunk)); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

func openTestSpool(t testing.TB, dir string, max int64) *spool {
	t.Helper()
	s, err := openSpool(spoolOptions{dir: dir, maxBytes: max, segmentSize: 512, noSync: true, logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// drain returns every line the spool would send, leaving them in it.
func drain(t testing.TB, s *spool) [][]byte {
	t.Helper()
	b := s.peek(1 << 30)
	if b == nil {
		return nil
	}
	lines := splitLines(bytes.Clone(b.payload)) // the spool reuses the payload's memory after the ack
	s.ack(b, false)
	return lines
}

// segPaths lists a spool's segment files in order.
func segPaths(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		if _, ok := parseSegFileName(de.Name()); ok {
			out = append(out, filepath.Join(dir, de.Name()))
		}
	}
	slices.Sort(out)
	return out
}

func dirBytes(t testing.TB, dir string) int64 {
	var n int64
	for _, p := range segPaths(t, dir) {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

func TestSpoolReplayInOrder(t *testing.T) {
	dir := t.TempDir()
	s := openTestSpool(t, dir, 0)
	want := testLines(0, 200)
	appendLines(t, s, want, 10)
	// Send 50, acknowledge them.
	b := s.peek(50)
	got := splitLines(b.payload)
	if len(got) != 50 || !bytes.Equal(got[0], want[0]) {
		t.Fatalf("peek: %d", len(got))
	}
	s.ack(b, true)
	if st := s.stats(); st.diskPoints != 150 || st.bytes != dirBytes(t, dir) {
		t.Errorf("after ack: %d points, %d bytes (files %d)", st.diskPoints, st.bytes, dirBytes(t, dir))
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if n := len(segPaths(t, dir)); n < 3 {
		t.Fatalf("want several segments, have %d", n)
	}

	s = openTestSpool(t, dir, 0)
	defer s.close()
	got = drain(t, s)
	if len(got) != 150 {
		t.Fatalf("replayed %d, want 150", len(got))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[50+i]) {
			t.Fatalf("entry %d: %s, want %s", i, got[i], want[50+i])
		}
	}
	if c := s.stats().corrupt; c != 0 {
		t.Errorf("corrupt %d on a clean spool", c)
	}
	// Acknowledging everything empties it, and it still takes appends.
	b = s.peek(1000)
	s.ack(b, true)
	if s.len() != 0 {
		t.Fatalf("len %d", s.len())
	}
	appendLines(t, s, testLines(500, 510), 10)
	if got := drain(t, s); len(got) != 10 || lineSeq(got[0]) != 500 {
		t.Fatalf("after emptying: %d", len(got))
	}
}

func TestSpoolBound(t *testing.T) {
	dir := t.TempDir()
	const max = 4096
	s := openTestSpool(t, dir, max)
	defer s.close()
	lines := testLines(0, 400)
	for i := 0; i < len(lines); i += 5 {
		appendLines(t, s, lines[i:i+5], 5)
		if st := s.stats(); st.bytes > max {
			t.Fatalf("spool %d bytes > %d", st.bytes, max)
		}
	}
	st := s.stats()
	if st.dropped+st.diskPoints != 400 || st.dropped == 0 {
		t.Fatalf("dropped %d + kept %d != 400", st.dropped, st.diskPoints)
	}
	if st.bytes != dirBytes(t, dir) {
		t.Errorf("accounted %d bytes, files hold %d", st.bytes, dirBytes(t, dir))
	}
	got := drain(t, s)
	if lineSeq(got[0]) != 400-int(st.diskPoints) || lineSeq(got[len(got)-1]) != 399 {
		t.Errorf("kept seqs %d..%d, want the newest %d", lineSeq(got[0]), lineSeq(got[len(got)-1]), st.diskPoints)
	}
}

// TestSpoolInflightDrop: points dropped by the bound while in flight are
// counted as dropped only if the send then fails.
func TestSpoolInflightDrop(t *testing.T) {
	for _, tc := range []struct {
		name        string
		delivered   bool
		wantDropped int64
	}{{"send fails", false, 10}, {"send succeeds", true, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// Room for exactly the four records of the next twenty points.
			var room int64
			for i := 10; i < 30; i += 5 {
				room += int64(recHeaderSize + len(payloadOf(testLines(i, i+5))))
			}
			s, err := openSpool(spoolOptions{dir: dir, maxBytes: room, segmentSize: 500, noSync: true, logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			appendLines(t, s, testLines(0, 10), 5)
			b := s.peek(10)
			// More points push the ten in flight out.
			appendLines(t, s, testLines(10, 30), 5)
			if st := s.stats(); st.dropped != 0 || st.memPoints != 10 || st.diskPoints != 20 {
				t.Fatalf("in-flight points dropped from disk: %d counted dropped, %d held in memory, %d on disk; want 0, 10, 20", st.dropped, st.memPoints, st.diskPoints)
			}
			s.ack(b, tc.delivered)
			st := s.stats()
			if st.dropped != tc.wantDropped || st.memPoints != 0 || st.diskPoints != 20 {
				t.Errorf("dropped %d kept %d, want dropped %d", st.dropped, st.diskPoints, tc.wantDropped)
			}
			if got := drain(t, s); len(got) == 0 || lineSeq(got[0]) < 10 {
				t.Errorf("after the ack the spool sends from seq %d", lineSeq(got[0]))
			}
		})
	}
}

// makeTemplate makes a clean spool of 60 points in records of 3, in several
// 512-byte segments, to be copied for each corruption case.
func makeTemplate(tb testing.TB) string {
	dir := filepath.Join(tb.TempDir(), "template")
	s := openTestSpool(tb, dir, 0)
	appendLines(tb, s, testLines(0, 60), 3)
	if err := s.close(); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// copySpool copies a spool's files into a new folder; it returns the folder
// and the copied segments.
func copySpool(t testing.TB, src string) (string, []string) {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "spool")
	if err := os.MkdirAll(dst, 0o750); err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, de.Name()), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dst, segPaths(t, dst)
}

// segSeqs returns the seqs each segment holds.
func segSeqs(t testing.TB, segs []string) [][]int {
	var out [][]int
	for _, p := range segs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int
		walkRecords(b, func(_ int, payload []byte, _ int64) bool {
			for _, l := range splitLines(payload) {
				seqs = append(seqs, lineSeq(l))
			}
			return true
		})
		out = append(out, seqs)
	}
	return out
}

// checkReplay opens a damaged spool and checks the promise: no panic, no
// error, the entries of every undamaged segment replay in order, whatever
// replays is valid, and a damaged segment that lost points is reported.
func checkReplay(t testing.TB, dir string, damaged int, before [][]int) {
	t.Helper()
	s, err := openSpool(spoolOptions{dir: dir, segmentSize: 512, noSync: true, logger: quietLogger()})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	got := drain(t, s)
	corrupt := s.stats().corrupt
	var seqs []int
	for _, l := range got {
		if err := validLine(l); err != nil {
			t.Fatalf("replayed an invalid entry %q: %v", l, err)
		}
		seqs = append(seqs, lineSeq(l))
	}
	// Undamaged segments' entries, in order, as a subsequence.
	var want []int
	for i, ss := range before {
		if i != damaged {
			want = append(want, ss...)
		}
	}
	k := 0
	for _, q := range seqs {
		if k < len(want) && q == want[k] {
			k++
		}
	}
	if k != len(want) {
		t.Fatalf("undamaged entries lost: replayed %v, want %v among them", seqs, want)
	}
	total := 0
	for _, ss := range before {
		total += len(ss)
	}
	if len(seqs) < total && corrupt == 0 {
		// The one loss the format cannot see: the last segment cut at a
		// record boundary looks like a spool that ended there.
		var all []int
		for _, ss := range before {
			all = append(all, ss...)
		}
		if damaged != len(before)-1 || !slices.Equal(seqs, all[:len(seqs)]) {
			t.Fatalf("%d of %d entries replay and no corruption is reported", len(seqs), total)
		}
	}
	if tt, ok := t.(*testing.T); ok && !testing.Short() {
		tt.Logf("%d of %d entries replay, %d reported corrupt", len(seqs), total, corrupt)
	}
	// The spool keeps working, and a second open finds it clean.
	if err := s.append(payloadOf(testLines(1000, 1001)), 1); err != nil {
		t.Fatalf("append after recovery: %v", err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s2, err := openSpool(spoolOptions{dir: dir, segmentSize: 512, noSync: true, logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	again := drain(t, s2)
	c2 := s2.stats().corrupt
	s2.close()
	if len(again) != len(got)+1 {
		t.Fatalf("second open: %d entries (want %d), corrupt %d", len(again), len(got)+1, c2)
	}
}

func TestSpoolCorruption(t *testing.T) {
	tmpl := makeTemplate(t)
	for _, tc := range []struct {
		name string
		seg  func(n int) int // which segment to damage, of n
		edit func(b []byte) []byte
	}{
		{"torn tail", func(n int) int { return n - 1 }, func(b []byte) []byte { return b[:len(b)-3] }},
		{"torn header", func(n int) int { return n - 1 }, func(b []byte) []byte {
			return append(b, magicBytes...)
		}},
		{"garbage appended to tail", func(n int) int { return n - 1 }, func(b []byte) []byte { return append(b, 0xff, 0xff, 0xff) }},
		{"middle segment zeroed", func(n int) int { return n / 2 }, func(b []byte) []byte { return make([]byte, len(b)) }},
		{"middle segment short", func(n int) int { return n / 2 }, func(b []byte) []byte { return b[:len(b)/2] }},
		{"middle segment emptied", func(n int) int { return n / 2 }, func(b []byte) []byte { return nil }},
		{"payload byte flipped", func(n int) int { return 0 }, func(b []byte) []byte {
			b[recHeaderSize+3] ^= 0x20
			return b
		}},
		{"middle segment with garbage appended", func(n int) int { return n / 2 }, func(b []byte) []byte {
			return append(b, []byte("not a record at all")...)
		}},
		{"first segment flipped byte", func(n int) int { return 0 }, func(b []byte) []byte { b[len(b)/2] ^= 0x5a; return b }},
		{"first record's length flipped", func(n int) int { return 0 }, func(b []byte) []byte { b[5] ^= 0x01; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, segs := copySpool(t, tmpl)
			before := segSeqs(t, segs)
			k := tc.seg(len(segs))
			b, err := os.ReadFile(segs[k])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(segs[k], tc.edit(b), 0o640); err != nil {
				t.Fatal(err)
			}
			checkReplay(t, dir, k, before)
		})
	}
	t.Run("middle segment deleted", func(t *testing.T) {
		dir, segs := copySpool(t, tmpl)
		before := segSeqs(t, segs)
		k := len(segs) / 2
		if err := os.Remove(segs[k]); err != nil {
			t.Fatal(err)
		}
		checkReplay(t, dir, k, before)
	})
	t.Run("head file damaged", func(t *testing.T) {
		dir, segs := copySpool(t, tmpl)
		before := segSeqs(t, segs)
		if err := os.WriteFile(filepath.Join(dir, spoolHeadName), []byte("garbage"), 0o640); err != nil {
			t.Fatal(err)
		}
		checkReplay(t, dir, -1, before)
	})
}

// FuzzSpoolReplay: arbitrary bytes in a spool segment (replacing it,
// appended to it, or over its start) never panic; corruption is reported
// and the rest replays.
func FuzzSpoolReplay(f *testing.F) {
	f.Add([]byte{0, 0})
	f.Add([]byte{1, 1, 0xff, 0xff, 0xff, 0xff})
	f.Add(append([]byte{2, 0}, magicBytes...))
	f.Add(append([]byte{0, 1}, payloadOf(testLines(0, 2))...))
	f.Add([]byte{3, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Add(append([]byte{1, 0}, bytes.Repeat(append(magicBytes, 5, 0, 0, 0), 20)...))
	tmpl := makeTemplate(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		dir, segs := copySpool(t, tmpl)
		before := segSeqs(t, segs)
		k := int(data[0]) % len(segs)
		mode, payload := data[1]%3, data[2:]
		b, err := os.ReadFile(segs[k])
		if err != nil {
			t.Fatal(err)
		}
		switch mode {
		case 0:
			b = payload
		case 1:
			b = append(b, payload...)
		case 2:
			b = append(slices.Clone(payload), b[min(len(payload), len(b)):]...)
		}
		if err := os.WriteFile(segs[k], b, 0o640); err != nil {
			t.Fatal(err)
		}
		checkReplay(t, dir, k, before)
	})
}

// TestSpoolLocked: two writers on one spool directory would interleave
// records and remove each other's segments; the second is refused until the
// first closes.
func TestSpoolLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	s := openTestSpool(t, dir, 0)
	if _, err := openSpool(spoolOptions{dir: dir, logger: quietLogger()}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second open: %v", err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s2 := openTestSpool(t, dir, 0)
	s2.close()
}

// TestSpoolImportsEarlierFormat: a spool left by a ddm of the earlier
// format (tidwall/wal binary segments, one line per entry, named by their
// first index) is imported in order at open, its files removed; a damaged
// entry is counted, and the import is not repeated.
func TestSpoolImportsEarlierFormat(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	entry := func(b []byte) []byte { return append(binary.AppendUvarint(nil, uint64(len(b))), b...) }
	lines := testLines(0, 30)
	var seg1, seg2 []byte
	for _, l := range lines[:20] {
		seg1 = append(seg1, entry(l)...)
	}
	seg1 = append(seg1, entry([]byte("not line protocol"))...)
	for _, l := range lines[20:] {
		seg2 = append(seg2, entry(l)...)
	}
	for name, b := range map[string][]byte{"00000000000000000041": seg1, "00000000000000000062": seg2, "00000000000000000062.START": nil} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	s := openTestSpool(t, dir, 0)
	got := drain(t, s)
	if len(got) != 30 || s.stats().corrupt != 1 {
		t.Fatalf("imported %d lines, %d corrupt; want 30 and 1", len(got), s.stats().corrupt)
	}
	for i := range got {
		if !bytes.Equal(got[i], lines[i]) {
			t.Fatalf("line %d: %s, want %s", i, got[i], lines[i])
		}
	}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if _, _, legacy := legacySegIndex(de.Name()); legacy {
			t.Errorf("%s left after the import", de.Name())
		}
	}
	s.close()
	s = openTestSpool(t, dir, 0)
	defer s.close()
	if again := drain(t, s); len(again) != 30 {
		t.Fatalf("second open: %d lines", len(again))
	}
}

// BenchmarkSpoolAppend: one record of 50 points (a 50 ms burst of the
// writer's queue) written and fsynced per operation, the sender taking
// batches of 5000 off the head as it goes.
func BenchmarkSpoolAppend(b *testing.B) {
	s, err := openSpool(spoolOptions{dir: filepath.Join(b.TempDir(), "spool"), maxBytes: 1 << 30, logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.close()
	payload := payloadOf(testLines(0, 50))
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.append(payload, 50); err != nil {
			b.Fatal(err)
		}
		if s.len() >= 5000 {
			s.ack(s.peek(5000), true)
		}
	}
}

// TestSpoolLanesShareTheBound: the writer's two spools in one folder keep
// maxBytes together: when the urgent lane's spool grows, the batch lane's
// drops its oldest segments (counted) to make room, and the urgent one
// loses nothing. Each lane replays only its own files.
func TestSpoolLanesShareTheBound(t *testing.T) {
	dir := t.TempDir()
	const max = 8 << 10
	open := func(lane spoolLane, shared func() (int64, int64)) *spool {
		s, err := openSpool(spoolOptions{dir: dir, lane: lane, maxBytes: max, segmentSize: 512, noSync: true, logger: quietLogger(), shared: shared})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	urgent := open(laneUrgent, nil)
	batch := open(laneBatch, urgent.held)
	batchLines, urgentLines := testLines(0, 100), testLines(1000, 1060)
	appendLines(t, batch, batchLines, 5)
	if st := batch.stats(); st.dropped != 0 || st.bytes > max {
		t.Fatalf("the batch spool alone: %d bytes, %d dropped; want it within %d bytes, none dropped", st.bytes, st.dropped, max)
	}
	appendLines(t, urgent, urgentLines, 5)
	batch.enforce()
	bs, us := batch.stats(), urgent.stats()
	onDisk := int64(0)
	for _, pat := range []string{spoolSegPre + "*", urgentSegPre + "*"} {
		paths, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range paths {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			onDisk += st.Size()
		}
	}
	if bs.bytes+us.bytes > max || onDisk != bs.bytes+us.bytes {
		t.Errorf("together %d + %d bytes (%d on disk), want within %d", bs.bytes, us.bytes, onDisk, max)
	}
	if us.dropped != 0 || us.diskPoints != int64(len(urgentLines)) {
		t.Errorf("the urgent spool dropped %d and holds %d points, want none dropped and %d held", us.dropped, us.diskPoints, len(urgentLines))
	}
	if bs.dropped == 0 || bs.dropped+bs.diskPoints != int64(len(batchLines)) {
		t.Errorf("the batch spool dropped %d and holds %d of %d points, want some dropped and the rest held", bs.dropped, bs.diskPoints, len(batchLines))
	}
	gotBatch, gotUrgent := drain(t, batch), drain(t, urgent)
	if !slices.EqualFunc(gotBatch, batchLines[len(batchLines)-len(gotBatch):], bytes.Equal) {
		t.Error("the batch spool kept other points than its newest")
	}
	if !slices.EqualFunc(gotUrgent, urgentLines, bytes.Equal) {
		t.Errorf("the urgent spool replays %d points, not its own %d", len(gotUrgent), len(urgentLines))
	}
	for _, s := range []*spool{batch, urgent} {
		if err := s.close(); err != nil {
			t.Fatal(err)
		}
	}
	// Reopened, each lane finds its own points and only those.
	urgent = open(laneUrgent, nil)
	batch = open(laneBatch, urgent.held)
	if b, u := len(drain(t, batch)), len(drain(t, urgent)); b != len(gotBatch) || u != len(urgentLines) {
		t.Errorf("reopened: the batch spool holds %d points (want %d), the urgent one %d (want %d)", b, len(gotBatch), u, len(urgentLines))
	}
	_ = batch.close()
	_ = urgent.close()
}

// TestSpoolMakeRoom: the batch spool gives up its oldest segment for the
// urgent one (spoolOptions.makeRoom), the tail too when it is the only one;
// the points it held are counted as dropped, those of a batch in flight
// when that batch fails; the rest replays in order, also after a reopen;
// with nothing on disk it frees nothing.
func TestSpoolMakeRoom(t *testing.T) {
	for _, tc := range []struct {
		name        string
		points      int   // appended in records of 5 (one record a 512-byte segment)
		segment     int64 // segment size
		inflight    bool  // a batch of the first 5 points in flight, then failed
		wantFreed   bool
		wantDropped int64
		wantFirst   int // seq of the first point left; -1: none left
	}{
		{"oldest of several segments", 40, 512, false, true, 5, 5},
		{"the only segment, the tail", 10, 1 << 20, false, true, 10, -1},
		{"the segment in flight", 40, 512, true, true, 5, 5},
		{"nothing on disk", 0, 512, false, false, 0, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var drops int64
			s, err := openSpool(spoolOptions{dir: dir, segmentSize: tc.segment, noSync: true, logger: quietLogger(),
				onDrop: func(why string, n int64) { drops += n }})
			if err != nil {
				t.Fatal(err)
			}
			appendLines(t, s, testLines(0, tc.points), 5)
			var b *spoolBatch
			if tc.inflight {
				b = s.peek(5)
			}
			before, _ := s.held()
			if freed := s.makeRoom(); freed != tc.wantFreed {
				t.Fatalf("makeRoom freed space: %v, want %v", freed, tc.wantFreed)
			}
			if b != nil {
				s.ack(b, false)
			}
			st := s.stats()
			if after, _ := s.held(); st.dropped != tc.wantDropped || drops != tc.wantDropped || after != st.bytes || (tc.wantFreed && after >= before) {
				t.Errorf("dropped %d (reported %d), want %d; held %d bytes before, %d after (stats %d)", st.dropped, drops, tc.wantDropped, before, after, st.bytes)
			}
			if st.diskPoints+st.dropped != int64(tc.points) || dirBytes(t, dir) != st.bytes {
				t.Errorf("%d points on disk + %d dropped, want %d; %d bytes in the files, the spool counts %d", st.diskPoints, st.dropped, tc.points, dirBytes(t, dir), st.bytes)
			}
			// The spool goes on: new points after the rest, in order, also
			// after a reopen.
			appendLines(t, s, testLines(100, 105), 5)
			if err := s.close(); err != nil {
				t.Fatal(err)
			}
			s = openTestSpool(t, dir, 0)
			defer s.close()
			var want []int
			if tc.wantFirst >= 0 {
				for i := tc.wantFirst; i < tc.points; i++ {
					want = append(want, i)
				}
			}
			want = append(want, 100, 101, 102, 103, 104)
			var got []int
			for _, l := range drain(t, s) {
				got = append(got, lineSeq(l))
			}
			if !slices.Equal(got, want) {
				t.Errorf("replays %v, want %v", got, want)
			}
		})
	}
}

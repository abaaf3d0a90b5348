package exporter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"

	"github.com/tidwall/wal"
)

// The spool is a write-ahead log (github.com/tidwall/wal, binary format:
// each entry is a uvarint length and the bytes) holding one point per entry
// as one line of line protocol with a nanosecond timestamp. Entries are
// appended by the InfluxWriter's spooler goroutine and removed from the
// front (TruncateFront) by its sender goroutine only after the server
// accepted them, or by the size bound, oldest first.
//
// Opening a spool checks every segment: each must split into entries, each
// entry must be one valid line, and each segment but the last must hold
// exactly the entries its name (its first index) and the next segment's
// name say. The library itself trusts its files (a short middle segment
// makes its Read panic), so a spool that fails the check is rebuilt: the
// entries that pass are copied in order into a fresh log, the rest are
// counted as corrupt and logged.
type spool struct {
	mu     sync.Mutex
	dir    string
	lock   *os.File // flock on <dir>.lock: one process per spool
	opts   wal.Options
	log    *wal.Log
	max    int64
	bytes  int64
	first  uint64 // first entry present
	next   uint64 // index the next entry gets; the spool holds [first, next)
	logger *slog.Logger

	// In-flight range [infFirst, infEnd) handed out by peek; infDropEnd is
	// the end of its prefix that the size bound removed meanwhile.
	infFirst, infEnd, infDropEnd uint64

	dropped int64
	corrupt int64
}

type spoolOptions struct {
	dir         string
	maxBytes    int64 // 0: unbounded
	segmentSize int   // 0: derived from maxBytes
	noSync      bool  // tests only: skip fsync
	logger      *slog.Logger
}

// entrySize is the size of an entry of n bytes on disk.
func entrySize(n int) int64 {
	var b [binary.MaxVarintLen64]byte
	return int64(binary.PutUvarint(b[:], uint64(n)) + n)
}

func openSpool(o spoolOptions) (*spool, error) {
	if o.dir == "" {
		return nil, errors.New("spool: no directory")
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	seg := o.segmentSize
	if seg <= 0 {
		seg = 1 << 20
		if o.maxBytes > 0 {
			seg = int(min(max(o.maxBytes/64, 32<<10), 1<<20))
		}
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	s := &spool{
		dir: dir, max: o.maxBytes, logger: o.logger,
		opts: wal.Options{
			SegmentSize:      seg,
			NoSync:           o.noSync,
			LogFormat:        wal.Binary,
			SegmentCacheSize: 2,
			AllowEmpty:       true,
			DirPerms:         0o750,
			FilePerms:        0o640,
		},
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("spool %s is in use by another process: %w", dir, err)
	}
	s.lock = lock
	ok := false
	defer func() {
		if !ok {
			s.unlock()
		}
	}()
	if err := s.cleanLeftovers(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}

	if err := s.load(); err != nil {
		return nil, err
	}
	ok = true
	s.enforceLocked()
	return s, nil
}

// load opens the log and checks it against the segment files, rebuilding
// it from what can be read when they disagree (a torn or damaged entry).
func (s *spool) load() error {
	// Open once so the library finishes an interrupted truncation (its
	// START/END files), then check what is on disk.
	l, openErr := s.walOpen(s.dir)
	sc, err := scanSpool(s.dir)
	if err != nil {
		if l != nil {
			_ = l.Close()
		}
		return fmt.Errorf("spool %s: %w", s.dir, err)
	}
	ok := openErr == nil && sc.consistent()
	if ok {
		first, err1 := l.FirstIndex()
		last, err2 := l.LastIndex()
		ok = err1 == nil && err2 == nil && (len(sc.segs) == 0 || first == sc.segs[0].index) && last+1-first == sc.entries
		if ok {
			s.log, s.first, s.next, s.bytes = l, first, last+1, sc.bytes
		}
	}
	if !ok {
		if l != nil {
			_ = l.Close()
		}
		if openErr != nil {
			s.logger.Warn("spool: the log does not open; rebuilding it from what can be read", "dir", s.dir, "err", openErr)
		}
		if err := s.rebuild(sc); err != nil {
			return fmt.Errorf("spool %s: rebuild: %w", s.dir, err)
		}
	}
	return nil
}

func (s *spool) unlock() {
	if s.lock != nil {
		_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		_ = s.lock.Close()
		s.lock = nil
	}
}

// walOpen opens the log, turning a panic of the library on a damaged file
// into an error.
func (s *spool) walOpen(dir string) (l *wal.Log, err error) {
	defer func() {
		if r := recover(); r != nil {
			l, err = nil, fmt.Errorf("%w: %v", wal.ErrCorrupt, r)
		}
	}()
	opts := s.opts
	return wal.Open(dir, &opts)
}

// cleanLeftovers finishes or discards an interrupted rebuild.
func (s *spool) cleanLeftovers() error {
	rb, bad := s.dir+".rebuild", s.dir+".corrupt"
	if _, err := os.Stat(s.dir); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(rb); err == nil {
			// Crashed between the two renames: the rebuilt log is complete.
			if err := os.Rename(rb, s.dir); err != nil {
				return fmt.Errorf("spool: %w", err)
			}
		}
	}
	if err := os.RemoveAll(rb); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := os.RemoveAll(bad); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

type segScan struct {
	index   uint64
	path    string
	size    int64
	count   uint64 // entries the segment splits into
	invalid uint64 // entries that are not one valid line
	torn    int    // bytes at the end that do not split into entries
}

type spoolScan struct {
	segs    []segScan
	entries uint64
	bytes   int64
}

// consistent reports whether every segment splits cleanly into valid lines
// and the segments' entry counts agree with their names.
func (sc *spoolScan) consistent() bool {
	for i, g := range sc.segs {
		if g.invalid > 0 || g.torn > 0 {
			return false
		}
		if i+1 < len(sc.segs) && g.index+g.count != sc.segs[i+1].index {
			return false
		}
	}
	return true
}

// segmentFiles lists the log's segment files (named by their first index,
// 20 digits), in index order.
func segmentFiles(dir string) ([]segScan, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []segScan
	for _, de := range des {
		name := de.Name()
		if len(name) != 20 || !de.Type().IsRegular() {
			continue
		}
		idx, err := strconv.ParseUint(name, 10, 64)
		if err != nil || idx == 0 {
			continue
		}
		segs = append(segs, segScan{index: idx, path: filepath.Join(dir, name)})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].index < segs[j].index })
	return segs, nil
}

func scanSpool(dir string) (*spoolScan, error) {
	segs, err := segmentFiles(dir)
	if err != nil {
		return nil, err
	}
	sc := &spoolScan{segs: segs}
	for i := range sc.segs {
		g := &sc.segs[i]
		data, err := os.ReadFile(g.path)
		if err != nil {
			return nil, err
		}
		g.size = int64(len(data))
		g.torn = splitEntries(data, func(e []byte) {
			g.count++
			if validLine(e) != nil {
				g.invalid++
			}
		})
		sc.entries += g.count
		sc.bytes += g.size
	}
	return sc, nil
}

// splitEntries splits a segment of the library's binary format (uvarint
// length, then the bytes) and calls fn with each entry. It returns the
// number of bytes at the end that do not form an entry.
func splitEntries(data []byte, fn func(e []byte)) (torn int) {
	for len(data) > 0 {
		size, n := binary.Uvarint(data)
		if n <= 0 || uint64(len(data)-n) < size {
			return len(data)
		}
		end := n + int(size)
		fn(data[n:end])
		data = data[end:]
	}
	return 0
}

// rebuild copies the entries that pass the check into a fresh log (in a
// sibling directory, then swapped in) and counts the rest as corrupt.
func (s *spool) rebuild(sc *spoolScan) error {
	rb, bad := s.dir+".rebuild", s.dir+".corrupt"
	if err := os.RemoveAll(rb); err != nil {
		return err
	}
	nl, err := s.walOpen(rb)
	if err != nil {
		return err
	}
	var (
		idx        uint64 = 1
		kept       uint64
		bytes      int64
		lost       int64
		tornBytes  int
		badEntries uint64
		badBefore  uint64
	)
	for i, g := range sc.segs {
		data, err := os.ReadFile(g.path)
		if err != nil {
			_ = nl.Close()
			return err
		}
		last := i+1 == len(sc.segs)
		var limit uint64
		if !last {
			limit = sc.segs[i+1].index - g.index // segments are sorted by index
		}
		var b wal.Batch
		var n, keptSeg, extra uint64
		torn := splitEntries(data, func(e []byte) {
			n++
			if len(e) == 0 {
				return // ddm never writes an empty entry: zeroed bytes
			}
			if !last && n > limit {
				extra++ // beyond what the segment's name allows
				return
			}
			if validLine(e) != nil {
				badEntries++
				return
			}
			b.Write(idx, e)
			idx++
			kept++
			keptSeg++
			bytes += entrySize(len(e))
		})
		tornBytes += torn
		if last {
			// The tail's true count is unknown: count what is there and bad.
			lost += int64(badEntries - badBefore)
			if torn > 0 {
				lost++
			}
		} else {
			lost += int64(limit-keptSeg) + int64(extra)
		}
		badBefore = badEntries
		if err := nl.WriteBatch(&b); err != nil {
			_ = nl.Close()
			return err
		}
	}
	if err := nl.Close(); err != nil {
		return err
	}
	if err := os.RemoveAll(bad); err != nil {
		return err
	}
	if err := os.Rename(s.dir, bad); err != nil {
		return err
	}
	if err := os.Rename(rb, s.dir); err != nil {
		return err
	}
	if err := os.RemoveAll(bad); err != nil {
		return err
	}
	l, err := s.walOpen(s.dir)
	if err != nil {
		return err
	}
	first, _ := l.FirstIndex()
	last, _ := l.LastIndex()
	s.log, s.first, s.next, s.bytes = l, first, last+1, bytes
	if lost == 0 {
		return nil
	}
	s.corrupt += lost
	s.logger.Warn("spool: corrupt entries discarded; the rest replays",
		"dir", s.dir, "kept", kept, "lost_entries", lost, "invalid_entries", badEntries, "torn_bytes", tornBytes)
	return nil
}

// read reads one entry, turning a panic of the library into an error.
func (s *spool) readLocked(i uint64) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%w: %v", wal.ErrCorrupt, r)
		}
	}()
	return s.log.Read(i)
}

// append writes lines at the end of the spool and applies the size bound.
// It returns how many lines were written (all of them unless err != nil).
func (s *spool) append(lines [][]byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil && s.lock != nil {
		s.reopenLocked() // closed after a failed write: try again
	}
	if s.log == nil {
		return 0, wal.ErrClosed
	}
	var b wal.Batch
	for i, l := range lines {
		b.Write(s.next+uint64(i), l)
	}
	err := s.log.WriteBatch(&b)
	n := len(lines)
	if err != nil {
		// tidwall/wal keeps the entries of a failed batch in memory as if
		// written (a full disk, EFBIG): reopen the log so that what it holds
		// is what the segment files hold, and count as written only the
		// entries that reached them. The reopen also recounts the bytes.
		before := s.next
		s.reopenLocked()
		n = 0
		if s.log != nil && s.next > before {
			n = int(min(s.next-before, uint64(len(lines))))
		}
		s.enforceLocked()
		return n, err
	}
	for _, l := range lines {
		s.bytes += entrySize(len(l))
	}
	s.next += uint64(n)
	s.enforceLocked()
	return n, err
}

// enforceLocked drops the oldest entries while the spool is over its bound.
func (s *spool) enforceLocked() {
	if s.max <= 0 || s.bytes <= s.max {
		return
	}
	k := s.first
	var freed int64
	for k < s.next && s.bytes-freed > s.max {
		e, err := s.readLocked(k)
		if err != nil {
			break
		}
		freed += entrySize(len(e))
		k++
	}
	if k == s.first {
		// The head cannot be read: drop it anyway, the bound must hold.
		if s.first < s.next {
			k = s.first + 1
			s.corrupt++
		} else {
			return
		}
	}
	n := k - s.first
	var overlap uint64
	if s.infEnd > s.infFirst {
		lo, hi := max(s.first, s.infFirst), min(k, s.infEnd)
		if hi > lo {
			overlap = hi - lo
			s.infDropEnd = max(s.infDropEnd, hi)
		}
	}
	s.dropped += int64(n - overlap)
	s.truncateLocked(k, freed)
}

// truncateLocked removes the entries before k; freed is their size.
func (s *spool) truncateLocked(k uint64, freed int64) {
	if k <= s.first {
		return
	}
	if err := s.log.TruncateFront(k); err != nil {
		// The library asks to be reopened after a failed truncation.
		s.logger.Warn("spool: truncate failed; reopening", "dir", s.dir, "err", err)
		s.reopenLocked()
		return
	}
	s.first = k
	s.bytes -= freed
	if s.first == s.next || s.bytes < 0 {
		s.recountLocked()
	}
}

func (s *spool) reopenLocked() {
	if s.log != nil {
		_ = s.log.Close()
		s.log = nil
	}
	if err := s.load(); err != nil {
		// Left closed; append tries again (space may come back).
		s.logger.Error("spool: reopen failed", "dir", s.dir, "err", err)
		s.log = nil
	}
}

// recountLocked sets bytes from the segment files' sizes.
func (s *spool) recountLocked() {
	segs, err := segmentFiles(s.dir)
	if err != nil {
		return
	}
	var n int64
	for _, g := range segs {
		if st, err := os.Stat(g.path); err == nil {
			n += st.Size()
		}
	}
	s.bytes = n
}

// peek returns up to n entries from the head and marks them in flight.
func (s *spool) peek(n int) (first uint64, lines [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.log != nil && s.first < s.next {
		end := min(s.first+uint64(n), s.next)
		lines = lines[:0]
		for i := s.first; i < end; i++ {
			e, err := s.readLocked(i)
			if err != nil {
				break
			}
			lines = append(lines, e)
		}
		if len(lines) == 0 {
			// The head entry cannot be read: count it and move on.
			s.corrupt++
			s.logger.Warn("spool: unreadable entry discarded", "dir", s.dir, "index", s.first)
			s.truncateLocked(s.first+1, 0)
			s.recountLocked()
			continue
		}
		s.infFirst, s.infEnd, s.infDropEnd = s.first, s.first+uint64(len(lines)), 0
		return s.first, lines
	}
	return s.first, nil
}

// ack removes the first resolved entries of a batch peek returned
// (accepted or rejected for good) and ends the in-flight range. Entries of
// the batch that the size bound dropped meanwhile and that were not
// resolved are counted as dropped.
func (s *spool) ack(first uint64, lines [][]byte, resolved int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	end := first + uint64(resolved)
	if s.infDropEnd > end {
		s.dropped += int64(s.infDropEnd - max(end, s.infFirst))
	}
	s.infFirst, s.infEnd, s.infDropEnd = 0, 0, 0
	if s.log == nil || end <= s.first {
		return
	}
	var freed int64
	for i := s.first; i < end; i++ {
		freed += entrySize(len(lines[i-first]))
	}
	s.truncateLocked(end, freed)
}

func (s *spool) stats() (bytes, points, dropped, corrupt int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes, int64(s.next - s.first), s.dropped, s.corrupt
}

func (s *spool) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.next - s.first)
}

func (s *spool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.unlock()
	if s.log == nil {
		return nil
	}
	err := s.log.Close()
	s.log = nil
	return err
}

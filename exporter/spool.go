package exporter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The spool is ddm's own: a folder of append-only segment files, each a
// sequence of records, one record per batch of points the spooler took from
// the writer's queue:
//
//	magic "ddm1" | payload length | points | CRC-32C of (length, points, payload)   4 bytes each, little-endian
//	payload: the points' lines of line protocol, each ending in '\n'
//
// A segment is named by the index of its first point (ddm-spool-<20
// digits>.seg), so the points a segment must hold are known from the names
// of it and the next. A small head file (ddm-spool.head, rewritten in
// place) says where the unsent points start. The sender reads whole records
// from the head; once the server has resolved a batch the head moves past
// it, and a segment wholly behind the head is deleted.
//
// Nothing here needs free space to recover. A write that fails (a full
// disk, EFBIG, EIO) is cut off again with ftruncate, which frees space, and
// the record is kept in memory instead (bounded; the oldest dropped and
// counted), after everything on disk and before anything newer, so the
// sender goes on delivering it while the disk refuses; the memory is moved
// back to disk, in order, once a write succeeds again. The writer's urgent
// spool first makes room on a full disk (spoolOptions.makeRoom: the batch
// spool drops its oldest segment, counted), so a crash loses bulk points
// before events. At open a torn or
// damaged record is skipped in place (records resynchronise on the next
// valid one; the tail is truncated after its last valid record), what was
// lost is counted (exactly where the segment names tell, else from the
// damaged record's header, at least one point) and logged, and the spool
// starts. A disk that refuses even the folder or the lock at start leaves
// the spool in memory until it can be attached.
//
// Records are whole batches and are found by scanning, not by the file's
// size: zeros after the last record read as its end, so segments may be
// preallocated, and a batch's lines go to disk and to the server as they
// were encoded.
type spool struct {
	mu     sync.Mutex
	dir    string
	opts   spoolOptions
	logger *slog.Logger

	attached bool     // the folder is locked and loaded
	lock     *os.File // flock on ddm-spool.lock: one process per spool
	headFile *os.File // ddm-spool.head, nil if it could not be made

	segs      []*segment // oldest first; the last one is the tail
	headOff   int64      // where the unsent records of segs[0] start
	tail      *os.File   // the last segment, open for appending; nil: make a new one
	nextIndex uint64     // index of the next point appended: the name of a new segment
	bytes     int64      // size of the segment files

	mem       []memRecord // records the disk refused, after every record on disk
	memBytes  int64
	memPoints int64
	memSeq    uint64 // sequence number of the next memory record

	diskErr     error     // the last disk failure, nil once a write succeeded
	diskRetryAt time.Time // no disk write before then after a failure
	unsynced    bool      // syncLater: the tail holds records not synced yet

	inflight   *spoolBatch // handed out by peek, not yet acknowledged
	infDropped int64       // points of inflight the bounds removed meanwhile

	// Reused by peek, one batch in flight at a time: the batch's payload
	// (valid until the next peek) and the record being read.
	batchBuf, readBuf     []byte
	batchBound, readBound reuseBound

	dropped int64 // points removed by the bounds (disk and memory), never sent
	corrupt int64 // points lost to damaged records

	// heldDisk and heldMem mirror bytes and memBytes for held, which reads
	// them without the lock: the batch spool asks held of the urgent one
	// while holding its own lock, and the urgent one may take the batch
	// spool's lock (makeRoom) while holding its own.
	heldDisk, heldMem atomic.Int64
}

type spoolOptions struct {
	dir         string
	lane        spoolLane // which of the writer's spools: the names of its files
	maxBytes    int64     // bound of the segment files; 0: unbounded
	memMaxBytes int64     // bound of the records kept in memory; 0: 16 MiB
	// shared, if not nil, is what another spool under the same bounds
	// holds (segment bytes, bytes in memory): this one keeps within what
	// that leaves, so the two together keep the bounds. The writer's batch
	// spool yields so to its urgent one: events before samples.
	shared      func() (disk, mem int64)
	segmentSize int64 // 0: derived from maxBytes
	noSync      bool  // tests only: skip fsync
	// syncLater: append writes a record without waiting for the disk to
	// make it durable; the caller tells the sender first and then calls
	// sync (the urgent lane: an fsync on a busy disk takes 100 ms and more,
	// and the record can be read and sent meanwhile). A process crash
	// loses nothing (the page cache has the record); a crash of the
	// machine loses what was not synced yet, as it loses the queue.
	syncLater bool
	// fsync makes a segment's data durable; nil: fdatasync. Tests replace
	// it (a disk slow to sync).
	fsync  func(*os.File) error
	logger *slog.Logger
	// onDisk is told of every failed disk write (err) and of the first
	// success after failures (nil). May be nil.
	onDisk func(err error)
	// onDrop is told of points the bounds removed. May be nil.
	onDrop func(why string, points int64)
	// makeRoom, if not nil, is called when the disk has no space left for
	// a record (ENOSPC, EDQUOT): it frees some (the writer's urgent spool:
	// the batch spool drops its oldest segment, counted) and reports
	// whether it did; the write is then tried again. Events are the last
	// points a full disk loses. It must not call back into this spool.
	makeRoom func() bool
}

type segment struct {
	first  uint64 // index of its first point: its name
	path   string
	size   int64 // bytes (the tail: the end of its last whole record)
	points int64 // points of its valid records not yet behind the head
}

type memRecord struct {
	seq     uint64
	payload []byte
	points  int64
}

// spoolBatch is what peek hands out: whole records from the head.
type spoolBatch struct {
	payload []byte // the lines, each ending in '\n'
	points  int64
	spans   []segSpan // points taken from each segment
	endSeg  uint64    // the disk part ends in segment endSeg at endOff
	endOff  int64
	onDisk  bool
	memEnd  uint64 // memory records with seq < memEnd are in the batch
}

type segSpan struct {
	first  uint64
	points int64
}

// The record format.
const (
	recMagic      = 0x316d6464 // "ddm1"
	recHeaderSize = 16
	recMaxPayload = 64 << 20
	headFileSize  = 20 // first index of the head segment, offset, CRC-32C
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func recordHeader(h *[recHeaderSize]byte, payload []byte, points int64) {
	binary.LittleEndian.PutUint32(h[0:], recMagic)
	binary.LittleEndian.PutUint32(h[4:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[8:], uint32(points))
	c := crc32.Update(0, castagnoli, h[4:12])
	binary.LittleEndian.PutUint32(h[12:], crc32.Update(c, castagnoli, payload))
}

// recordAt parses the record at the start of b; ok is false unless b starts
// with one whole valid record (magic, checksum, and as many lines as the
// header says).
func recordAt(b []byte) (payload []byte, points int64, size int, ok bool) {
	if len(b) < recHeaderSize || binary.LittleEndian.Uint32(b) != recMagic {
		return nil, 0, 0, false
	}
	n := binary.LittleEndian.Uint32(b[4:])
	p := binary.LittleEndian.Uint32(b[8:])
	if n == 0 || n > recMaxPayload || int64(n) > int64(len(b)-recHeaderSize) {
		return nil, 0, 0, false
	}
	payload = b[recHeaderSize : recHeaderSize+int(n)]
	c := crc32.Update(0, castagnoli, b[4:12])
	if crc32.Update(c, castagnoli, payload) != binary.LittleEndian.Uint32(b[12:]) ||
		payload[n-1] != '\n' || bytes.Count(payload, []byte{'\n'}) != int(p) {
		return nil, 0, 0, false
	}
	return payload, int64(p), recHeaderSize + int(n), true
}

// claimedPoints is what a damaged record at the start of b says it held:
// its header's count when the header is there; else 1 (something was lost,
// how much is not knowable), or 0 at the very end (atEnd): bytes after the
// last record without a header are the start of a write that never
// completed, whose points were never reported as spooled.
func claimedPoints(b []byte, atEnd bool) int64 {
	if len(b) >= 12 && binary.LittleEndian.Uint32(b) == recMagic {
		if p := binary.LittleEndian.Uint32(b[8:]); p > 0 && p < recMaxPayload {
			return int64(p)
		}
	}
	if atEnd {
		return 0
	}
	return 1
}

var magicBytes = binary.LittleEndian.AppendUint32(nil, recMagic)

// walkRecords calls fn for every valid record of b, in order, with its
// offset. A damaged region is skipped up to the next valid record; lost
// counts the points the damaged regions claimed. end is the offset after
// the last valid record.
func walkRecords(b []byte, fn func(off int, payload []byte, points int64) bool) (end int, lost int64, badBytes int) {
	off := 0
	for off < len(b) {
		payload, p, size, ok := recordAt(b[off:])
		if ok {
			if !fn(off, payload, p) {
				return off, lost, badBytes
			}
			off += size
			end = off
			continue
		}
		next := resync(b, off+1)
		lost += claimedPoints(b[off:], next == len(b))
		badBytes += next - off
		off = next
	}
	return end, lost, badBytes
}

// resync returns the offset of the next valid record at or after from, or
// len(b).
func resync(b []byte, from int) int {
	for from < len(b) {
		i := bytes.Index(b[from:], magicBytes)
		if i < 0 {
			return len(b)
		}
		if _, _, _, ok := recordAt(b[from+i:]); ok {
			return from + i
		}
		from += i + 1
	}
	return len(b)
}

// filesystemSize is the size in bytes of the filesystem that holds dir
// (or would: its nearest existing parent), 0 if not knowable.
func filesystemSize(dir string) int64 {
	for p := dir; ; p = filepath.Dir(p) {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err == nil {
			return int64(st.Blocks) * st.Bsize
		}
		if p == filepath.Dir(p) {
			return 0
		}
	}
}

// diskRefuses reports whether err says the disk takes no writes now: full
// (isOutOfSpace), the file at its size limit, read-only, or failing. The
// spool then keeps records in memory and tries the disk again later.
func diskRefuses(err error) bool {
	return isOutOfSpace(err) || errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EIO)
}

func openSpool(o spoolOptions) (*spool, error) {
	if o.dir == "" {
		return nil, errors.New("spool: no directory")
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := CheckSpoolDir(dir); err != nil {
		return nil, err
	}
	if o.segmentSize <= 0 {
		o.segmentSize = 1 << 20
		if o.maxBytes > 0 {
			o.segmentSize = min(max(o.maxBytes/64, 32<<10), 1<<20, max(o.maxBytes/4, 512))
		}
		// A full disk drops whole segments (the batch lane's oldest, to
		// make room for events): on a small filesystem, a small part of it.
		if fs := filesystemSize(dir); fs > 0 {
			o.segmentSize = min(o.segmentSize, max(fs/64, 32<<10))
		}
	}
	if o.memMaxBytes <= 0 {
		o.memMaxBytes = 16 << 20
	}
	if o.fsync == nil {
		o.fsync = fdatasync
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	s := &spool{dir: dir, opts: o, logger: o.logger, nextIndex: 1}
	if err := s.attachLocked(); err != nil {
		if !diskRefuses(err) {
			return nil, err
		}
		// The disk refuses even the folder or its lock: start in memory,
		// attach when a write is tried again.
		s.diskFailedLocked(err)
	}
	s.heldDisk.Store(s.bytes)
	return s, nil
}

// attachLocked creates and locks the folder, and loads what it holds.
func (s *spool) attachLocked() error {
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return fmt.Errorf("spool %s: %w", s.dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(s.dir, s.opts.lane.lockName()), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return fmt.Errorf("spool %s: %w", s.dir, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return fmt.Errorf("spool %s is in use by another process: %w", s.dir, err)
	}
	s.lock = lock
	if err := s.loadLocked(); err != nil {
		s.unlock()
		return err
	}
	s.attached = true
	if s.opts.lane == laneBatch {
		s.importLegacyLocked()
	}
	s.enforceLocked()
	return nil
}

// readHead returns where the unsent points start: (first index of the
// segment, offset); (0, 0) when the head file is missing or damaged.
func readHead(f *os.File) (seg uint64, off int64) {
	var b [headFileSize]byte
	if n, _ := f.ReadAt(b[:], 0); n != headFileSize {
		return 0, 0
	}
	if crc32.Checksum(b[:16], castagnoli) != binary.LittleEndian.Uint32(b[16:]) {
		return 0, 0
	}
	return binary.LittleEndian.Uint64(b[0:]), int64(binary.LittleEndian.Uint64(b[8:]))
}

// writeHeadLocked records the head in place (no new space once the file
// exists). A failure costs at most a re-send after a crash, which InfluxDB
// absorbs (same series and timestamp).
func (s *spool) writeHeadLocked() {
	if s.headFile == nil {
		return
	}
	var b [headFileSize]byte
	if len(s.segs) > 0 {
		binary.LittleEndian.PutUint64(b[0:], s.segs[0].first)
		binary.LittleEndian.PutUint64(b[8:], uint64(s.headOff))
	} else {
		binary.LittleEndian.PutUint64(b[0:], s.nextIndex)
	}
	binary.LittleEndian.PutUint32(b[16:], crc32.Checksum(b[:16], castagnoli))
	// Not synced: after a crash of the process the page cache has it; after
	// a power loss an older head only means sent points are sent again.
	if _, err := s.headFile.WriteAt(b[:], 0); err != nil {
		s.logger.Warn("spool: cannot record the head; after a crash some sent points would be sent again", "dir", s.dir, "err", err)
	}
}

// loadLocked reads the segments, checks every record, truncates a torn tail
// in place, counts and logs what is lost, and finds the head.
func (s *spool) loadLocked() error {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("spool %s: %w", s.dir, err)
	}
	var segs []*segment
	for _, de := range des {
		if first, ok := s.opts.lane.parseSegFileName(de.Name()); ok && de.Type().IsRegular() {
			segs = append(segs, &segment{first: first, path: filepath.Join(s.dir, de.Name())})
		}
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].first < segs[j].first })

	hf, err := os.OpenFile(filepath.Join(s.dir, s.opts.lane.headName()), os.O_CREATE|os.O_RDWR, 0o640)
	var headSeg uint64
	var headOff int64
	if err != nil {
		s.logger.Warn("spool: no head file; after a crash some sent points would be sent again", "dir", s.dir, "err", err)
	} else {
		s.headFile = hf
		headSeg, headOff = readHead(hf)
	}

	var lost, badBytes int64
	var kept []*segment
	for i, g := range segs {
		if g.first < headSeg && i+1 < len(segs) {
			// Wholly behind the head: sent; the process stopped before
			// deleting it.
			s.removeSegFile(g.path)
			continue
		}
		tail := i+1 == len(segs)
		data, err := os.ReadFile(g.path)
		if err != nil {
			// Unreadable (EIO): what it held is lost, the rest starts.
			n := int64(1)
			if !tail {
				n = int64(segs[i+1].first - g.first)
			}
			lost += n
			s.logger.Error("spool: a segment cannot be read; its points are lost and it is removed", "path", g.path, "err", err, "points", n)
			s.removeSegFile(g.path)
			continue
		}
		start := int64(0)
		if g.first == headSeg {
			start = min(headOff, int64(len(data)))
		}
		var consumed, valid int64
		end, claimed, bad := walkRecords(data, func(off int, _ []byte, p int64) bool {
			if int64(off) < start {
				consumed += p
			} else {
				valid += p
			}
			return true
		})
		segLost := claimed
		if !tail {
			// The names say how many points this segment held.
			if want := int64(segs[i+1].first-g.first) - consumed; want >= valid {
				segLost = want - valid
			}
		}
		if bad > 0 || segLost > 0 {
			lost += segLost
			badBytes += int64(bad)
		}
		g.size, g.points = int64(len(data)), valid
		if tail {
			s.nextIndex = g.first + uint64(consumed+valid+claimed)
			if end < len(data) {
				// A torn or damaged end: cut it off in place.
				if err := os.Truncate(g.path, int64(end)); err != nil {
					s.logger.Warn("spool: cannot truncate the damaged end of the last segment; a new segment follows it", "path", g.path, "err", err)
				} else {
					g.size = int64(end)
				}
			}
		}
		kept = append(kept, g)
	}
	if n := len(segs); n > 0 && (len(kept) == 0 || kept[len(kept)-1] != segs[n-1]) {
		// The last segment was unreadable: new names must still sort after it.
		s.nextIndex = max(s.nextIndex, segs[n-1].first+1)
	}
	s.segs = kept
	s.headOff = 0
	if len(kept) > 0 && kept[0].first == headSeg {
		s.headOff = min(headOff, kept[0].size)
	}
	s.nextIndex = max(s.nextIndex, headSeg+1, 1)
	s.bytes = 0
	for _, g := range kept {
		s.bytes += g.size
	}
	if len(kept) > 0 {
		t := kept[len(kept)-1]
		f, err := os.OpenFile(t.path, os.O_RDWR, 0)
		if err == nil {
			s.tail = f
		}
	}
	switch {
	case lost > 0:
		s.corrupt += lost
		s.logger.Warn("spool: damaged records skipped; the rest replays", "dir", s.dir, "lost_points", lost, "damaged_bytes", badBytes)
	case badBytes > 0:
		s.logger.Info("spool: cut off an incomplete write; nothing spooled was lost", "dir", s.dir, "bytes", badBytes)
	}
	return nil
}

func (s *spool) removeSegFile(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.logger.Warn("spool: cannot remove a segment", "path", path, "err", err)
	}
}

func (s *spool) unlock() {
	if s.lock != nil {
		_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		_ = s.lock.Close()
		s.lock = nil
	}
}

// append adds a record of points lines (payload: each line ending in
// '\n'); the caller may reuse payload once it returns (what the disk
// refuses is copied). It never fails: what the disk refuses is kept in
// memory. It returns the disk's error, if any.
func (s *spool) append(payload []byte, points int) error {
	if points <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.unlockPublish()
	p := int64(points)
	if s.diskUsableLocked() {
		if _, err := s.flushMemLocked(); err == nil {
			if err := s.writeLocked(payload, p); err == nil {
				s.diskOKLocked()
				s.enforceLocked()
				return nil
			} else {
				s.diskFailedLocked(err)
			}
		}
	}
	s.mem = append(s.mem, memRecord{seq: s.memSeq, payload: bytes.Clone(payload), points: p})
	s.memSeq++
	s.memBytes += int64(len(payload))
	s.memPoints += p
	s.enforceLocked()
	return s.diskErr
}

// retryDisk moves the records held in memory to disk if the disk takes
// them again (the spooler calls it every second: an idle writer still gets
// its points back on disk).
func (s *spool) retryDisk() {
	s.mu.Lock()
	defer s.unlockPublish()
	if len(s.mem) == 0 && s.attached {
		return
	}
	if !s.diskUsableLocked() {
		return
	}
	if moved, err := s.flushMemLocked(); err == nil && moved > 0 {
		s.diskOKLocked()
		s.enforceLocked()
	}
	if s.unsynced && s.tail != nil {
		// No sender waits for these: durable now.
		s.unsynced = false
		if err := s.opts.fsync(s.tail); err != nil {
			s.diskFailedLocked(&os.PathError{Op: "sync", Path: s.tail.Name(), Err: err})
		}
	}
}

// diskUsableLocked reports whether a disk write may be tried now (and
// attaches the folder if the start could not).
func (s *spool) diskUsableLocked() bool {
	if s.diskErr != nil && time.Now().Before(s.diskRetryAt) {
		return false
	}
	if !s.attached {
		if err := s.attachLocked(); err != nil {
			s.diskFailedLocked(err)
			return false
		}
	}
	return true
}

func (s *spool) diskFailedLocked(err error) {
	s.diskErr = err
	s.diskRetryAt = time.Now().Add(time.Second)
	if s.opts.onDisk != nil {
		s.opts.onDisk(err)
	}
}

func (s *spool) diskOKLocked() {
	if s.diskErr != nil {
		s.diskErr = nil
		if s.opts.onDisk != nil {
			s.opts.onDisk(nil)
		}
	}
}

// flushMemLocked moves the records kept in memory to disk, oldest first.
// Records in flight stay in memory until their batch is resolved (their
// acknowledgement removes them from there); being the oldest, everything
// moved to disk still comes after them.
func (s *spool) flushMemLocked() (moved int, err error) {
	keep := 0
	if s.inflight != nil {
		for keep < len(s.mem) && s.mem[keep].seq < s.inflight.memEnd {
			keep++
		}
	}
	done := keep
	for ; done < len(s.mem); done++ {
		r := s.mem[done]
		if err = s.writeLocked(r.payload, r.points); err != nil {
			s.diskFailedLocked(err)
			break
		}
		s.memBytes -= int64(len(r.payload))
		s.memPoints -= r.points
	}
	// Remove [keep, done): they are on disk now.
	n := copy(s.mem[keep:], s.mem[done:])
	clear(s.mem[keep+n:])
	s.mem = s.mem[:keep+n]
	if len(s.mem) == 0 {
		s.mem = nil
	}
	return done - keep, err
}

// writeLocked appends one record (writeRecordLocked); when the disk has no
// space left for it, it has makeRoom free some and tries again, as long as
// makeRoom frees any.
func (s *spool) writeLocked(payload []byte, points int64) error {
	err := s.writeRecordLocked(payload, points)
	// Bounded: the other lane could retake the room between tries.
	for try := 0; try < maxMakeRoom && err != nil && s.opts.makeRoom != nil && isOutOfSpace(err) && s.opts.makeRoom(); try++ {
		err = s.writeRecordLocked(payload, points)
	}
	return err
}

// maxMakeRoom bounds the segments one record may have makeRoom drop.
const maxMakeRoom = 256

// isOutOfSpace reports whether err says the filesystem is full: the one
// refusal (of diskRefuses') that dropping older segments can lift, unlike
// a limit on the file's size.
func isOutOfSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// writeRecordLocked appends one record to the tail segment, making a new one
// when there is none or it is full. A failed write is cut off again.
func (s *spool) writeRecordLocked(payload []byte, points int64) error {
	size := int64(recHeaderSize + len(payload))
	if len(payload) > recMaxPayload {
		return fmt.Errorf("spool: a record of %d bytes is over %d", len(payload), recMaxPayload)
	}
	if s.tail != nil {
		t := s.segs[len(s.segs)-1]
		if t.size > 0 && t.size+size > s.opts.segmentSize {
			s.closeTailLocked()
		}
	}
	if s.tail == nil {
		if err := s.newTailLocked(); err != nil {
			return err
		}
	}
	t := s.segs[len(s.segs)-1]
	var h [recHeaderSize]byte
	recordHeader(&h, payload, points)
	err := pwriteAll(s.tail, [][]byte{h[:], payload}, t.size)
	if err == nil && !s.opts.noSync {
		if s.opts.syncLater {
			s.unsynced = true
		} else {
			err = s.opts.fsync(s.tail)
		}
	}
	if err != nil {
		err = &os.PathError{Op: "write", Path: t.path, Err: err}
		// Cut the record off: the file ends after its last whole record
		// again (truncating frees space; it needs none).
		if terr := s.tail.Truncate(t.size); terr != nil {
			// The end stays damaged; the scan at the next open skips it.
			// Append to a new segment from now on.
			s.closeTailLocked()
		}
		if t.size == 0 {
			s.dropEmptyTailLocked()
		}
		return err
	}
	t.size += size
	t.points += points
	s.bytes += size
	s.nextIndex += uint64(points)
	return nil
}

func (s *spool) newTailLocked() error {
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return err
	}
	path := filepath.Join(s.dir, s.opts.lane.segFileName(s.nextIndex))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o640)
	if err != nil {
		return err
	}
	if !s.opts.noSync {
		if d, err := os.Open(s.dir); err == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	s.tail = f
	s.segs = append(s.segs, &segment{first: s.nextIndex, path: path})
	if len(s.segs) == 1 {
		s.headOff = 0
		s.writeHeadLocked()
	}
	return nil
}

func (s *spool) closeTailLocked() {
	if s.tail != nil {
		if s.unsynced {
			// Records written for a sync later: durable before the file
			// is left behind.
			if err := s.opts.fsync(s.tail); err != nil {
				s.diskFailedLocked(&os.PathError{Op: "sync", Path: s.tail.Name(), Err: err})
			}
			s.unsynced = false
		}
		_ = s.tail.Close()
		s.tail = nil
	}
}

// sync makes the records append wrote without waiting (syncLater) durable.
// It does not hold the spool's lock while the disk works: the sender reads
// and sends them meanwhile. Only the goroutine that appends calls it. A
// failure is a disk failure (logged, the next records held in memory for a
// while); the records stay where they are and are still sent; if the
// system drops them before they are, the damage is found and counted when
// they are read back.
func (s *spool) sync() {
	s.mu.Lock()
	f := s.tail
	if !s.unsynced || f == nil {
		s.mu.Unlock()
		return
	}
	s.unsynced = false
	s.mu.Unlock()
	// The os.File keeps its descriptor open while the sync runs, should
	// the tail be closed meanwhile (its records all sent).
	err := s.opts.fsync(f)
	if err != nil && !errors.Is(err, os.ErrClosed) {
		s.mu.Lock()
		s.diskFailedLocked(&os.PathError{Op: "sync", Path: f.Name(), Err: err})
		s.mu.Unlock()
	}
}

// fdatasync is the spool's fsync: the data and the size, not the times.
// It holds the file's descriptor through the call (a concurrent Close
// waits for it).
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fdatasync(int(fd)) }); err != nil {
		return err
	}
	return serr
}

// dropEmptyTailLocked removes a tail segment that holds nothing (made for a
// write that failed).
func (s *spool) dropEmptyTailLocked() {
	t := s.segs[len(s.segs)-1]
	s.closeTailLocked()
	s.removeSegFile(t.path)
	s.segs = s.segs[:len(s.segs)-1]
}

// enforceLocked applies the bounds: the segment files to maxBytes (whole
// segments, oldest first, never the tail), the memory to memMaxBytes
// (oldest records first).
func (s *spool) enforceLocked() {
	var diskDropped, memDropped int64
	maxBytes, memMaxBytes := s.opts.maxBytes, s.opts.memMaxBytes
	if s.opts.shared != nil {
		disk, mem := s.opts.shared()
		if maxBytes > 0 {
			maxBytes = max(maxBytes-disk, 1)
		}
		memMaxBytes = max(memMaxBytes-mem, 1)
	}
	for maxBytes > 0 && s.bytes > maxBytes && len(s.segs) > 1 {
		diskDropped += s.dropHeadSegLocked()
	}
	for s.memBytes > memMaxBytes && len(s.mem) > 0 {
		r := s.mem[0]
		if s.inflight != nil && r.seq < s.inflight.memEnd {
			s.infDropped += r.points
		} else {
			memDropped += r.points
		}
		s.mem[0] = memRecord{}
		s.mem = s.mem[1:]
		s.memBytes -= int64(len(r.payload))
		s.memPoints -= r.points
	}
	s.dropped += diskDropped + memDropped
	if s.opts.onDrop != nil {
		if diskDropped > 0 {
			s.opts.onDrop("spool full (spool_max_bytes): oldest points dropped", diskDropped)
		}
		if memDropped > 0 {
			s.opts.onDrop("disk refuses the spool and the memory bound is reached: oldest points held in memory dropped", memDropped)
		}
	}
}

func (s *spool) inflightPointsIn(first uint64) int64 {
	if s.inflight == nil {
		return 0
	}
	for _, sp := range s.inflight.spans {
		if sp.first == first {
			return sp.points
		}
	}
	return 0
}

// peek returns whole records from the head, up to maxPoints points (at
// least one record), and marks them in flight until ack. It returns nil
// when the spool is empty or a batch is already in flight.
func (s *spool) peek(maxPoints int) *spoolBatch {
	s.mu.Lock()
	defer s.unlockPublish()
	if s.inflight != nil {
		return nil
	}
	b := &spoolBatch{payload: s.batchBuf[:0]}
	limit := int64(maxPoints)
	full := false
	for i := 0; i < len(s.segs) && !full; i++ {
		g := s.segs[i]
		from := int64(0)
		if i == 0 {
			from = s.headOff
		}
		if g.points == 0 && i+1 < len(s.segs) {
			continue
		}
		var taken int64
		var err error
		full, err = s.readRecords(g, from, func(off int64, payload []byte, p int64) bool {
			if b.points > 0 && b.points+p > limit {
				return false
			}
			b.payload = append(b.payload, payload...)
			b.points += p
			taken += p
			b.onDisk, b.endSeg, b.endOff = true, g.first, off+int64(recHeaderSize+len(payload))
			return true
		})
		if err != nil {
			s.logger.Warn("spool: cannot read a segment; its points are lost", "path", g.path, "err", err)
			s.corrupt += g.points - taken
			g.points = taken
			if i == 0 && taken == 0 {
				s.headOff = g.size
			}
		}
		if taken > 0 {
			b.spans = append(b.spans, segSpan{first: g.first, points: taken})
		}
	}
	if !full {
		for _, r := range s.mem {
			if b.points > 0 && b.points+r.points > limit {
				break
			}
			b.payload = append(b.payload, r.payload...)
			b.points += r.points
			b.memEnd = r.seq + 1
		}
	}
	s.batchBuf = s.batchBound.bytes(b.payload)
	if b.points == 0 {
		s.stepOverEmptyLocked()
		return nil
	}
	s.inflight, s.infDropped = b, 0
	return b
}

// readRecords calls fn with the valid records of g from offset from, in
// order, until fn returns false (stopped: true) or the segment ends. It
// reads record by record; a damaged record makes it read the rest of the
// segment and resynchronise on the next valid one.
func (s *spool) readRecords(g *segment, from int64, fn func(off int64, payload []byte, points int64) bool) (stopped bool, err error) {
	f, err := os.Open(g.path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var h [recHeaderSize]byte
	off := from
	for off < g.size {
		if _, err := f.ReadAt(h[:], off); err == nil && binary.LittleEndian.Uint32(h[:]) == recMagic {
			n := int64(binary.LittleEndian.Uint32(h[4:]))
			if n > 0 && n <= recMaxPayload && off+recHeaderSize+n <= g.size {
				// Grown with room to spare: records differ a little in size.
				buf := slices.Grow(s.readBuf[:0], int(recHeaderSize+n))[:recHeaderSize+n]
				s.readBuf = s.readBound.bytes(buf)
				if _, err := f.ReadAt(buf, off); err != nil {
					return false, err
				}
				if payload, p, size, ok := recordAt(buf); ok {
					if !fn(off, payload, p) {
						return true, nil
					}
					off += int64(size)
					continue
				}
			}
		}
		// Damaged: the rest of the segment, resynchronised.
		rest, err := s.readSeg(g, off)
		if err != nil {
			return false, err
		}
		walkRecords(rest, func(o int, payload []byte, p int64) bool {
			if !fn(off+int64(o), payload, p) {
				stopped = true
				return false
			}
			return true
		})
		return stopped, nil
	}
	return false, nil
}

func (s *spool) readSeg(g *segment, from int64) ([]byte, error) {
	f, err := os.Open(g.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if from >= g.size {
		return nil, nil
	}
	buf := make([]byte, g.size-from)
	n, err := f.ReadAt(buf, from)
	if n == len(buf) {
		return buf, nil
	}
	return nil, err
}

// stepOverEmptyLocked removes head segments that hold nothing more to send
// (what they still claimed is counted as lost), so an unreadable segment
// never blocks the spool.
func (s *spool) stepOverEmptyLocked() {
	moved := false
	for len(s.segs) > 1 {
		g := s.segs[0]
		s.corrupt += g.points
		s.bytes -= g.size
		s.removeSegFile(g.path)
		s.segs = s.segs[1:]
		s.headOff, moved = 0, true
	}
	if len(s.segs) == 1 {
		g := s.segs[0]
		s.corrupt += g.points
		g.points = 0
		if s.headOff != g.size {
			s.headOff, moved = g.size, true
		}
	}
	if moved {
		s.writeHeadLocked()
	}
}

// ack ends the flight of b. delivered: the server resolved every point of
// it (accepted or refused for good), so the head moves past it; else it
// stays to be sent again, and what the bounds removed of it meanwhile is
// counted as dropped.
func (s *spool) ack(b *spoolBatch, delivered bool) {
	s.mu.Lock()
	defer s.unlockPublish()
	if b == nil || s.inflight != b {
		return
	}
	s.inflight = nil
	if !delivered {
		s.dropped += s.infDropped
		if s.infDropped > 0 && s.opts.onDrop != nil {
			s.opts.onDrop("spool full (spool_max_bytes): oldest points dropped", s.infDropped)
		}
		s.infDropped = 0
		return
	}
	s.infDropped = 0
	for _, sp := range b.spans {
		for _, g := range s.segs {
			if g.first == sp.first {
				g.points = max(g.points-sp.points, 0)
			}
		}
	}
	if b.onDisk {
		moved := false
		for len(s.segs) > 1 && s.segs[0].first < b.endSeg {
			g := s.segs[0]
			s.bytes -= g.size
			s.removeSegFile(g.path)
			s.segs = s.segs[1:]
			s.headOff, moved = 0, true
		}
		if len(s.segs) > 0 && s.segs[0].first == b.endSeg && s.headOff < b.endOff {
			s.headOff, moved = b.endOff, true
		}
		// A segment wholly sent goes; so does a tail wholly sent once it is
		// an eighth full, or at once while the disk refuses writes (its
		// space is what the disk lacks).
		if len(s.segs) > 0 && s.headOff >= s.segs[0].size {
			g := s.segs[0]
			if len(s.segs) > 1 || g.size >= s.opts.segmentSize/8 || s.diskErr != nil {
				if len(s.segs) == 1 {
					s.closeTailLocked()
				}
				s.bytes -= g.size
				s.removeSegFile(g.path)
				s.segs = s.segs[1:]
				s.headOff, moved = 0, true
			}
		}
		if moved {
			s.writeHeadLocked()
		}
	}
	for len(s.mem) > 0 && s.mem[0].seq < b.memEnd {
		r := s.mem[0]
		s.mem[0] = memRecord{}
		s.mem = s.mem[1:]
		s.memBytes -= int64(len(r.payload))
		s.memPoints -= r.points
	}
	if len(s.mem) == 0 {
		s.mem = nil
	}
}

// enforce applies the bounds now (the writer calls it on the batch spool
// when the urgent one grew: see spoolOptions.shared).
func (s *spool) enforce() {
	s.mu.Lock()
	defer s.unlockPublish()
	s.enforceLocked()
}

// held is what the spool holds: segment bytes and bytes in memory (as of
// the last call that changed them; it does not wait for the lock).
func (s *spool) held() (disk, mem int64) {
	return s.heldDisk.Load(), s.heldMem.Load()
}

// unlockPublish publishes what the spool holds for held and unlocks it:
// every method that changes bytes or memBytes unlocks with it.
func (s *spool) unlockPublish() {
	s.heldDisk.Store(s.bytes)
	s.heldMem.Store(s.memBytes)
	s.mu.Unlock()
}

// makeRoom frees disk space for the other lane's spool (spoolOptions.
// makeRoom): it drops the oldest segment that holds anything (the tail
// too, if it is the only one), counting its unsent points as dropped. It
// reports whether it freed any space.
func (s *spool) makeRoom() bool {
	s.mu.Lock()
	defer s.unlockPublish()
	if !s.attached {
		return false
	}
	var freed, dropped int64
	for freed == 0 && len(s.segs) > 0 {
		if len(s.segs) == 1 {
			s.closeTailLocked()
		}
		freed += s.segs[0].size
		dropped += s.dropHeadSegLocked()
	}
	s.dropped += dropped
	if dropped > 0 && s.opts.onDrop != nil {
		s.opts.onDrop("disk full: the oldest points of the batch lane dropped to make room for events", dropped)
	}
	return freed > 0
}

// dropHeadSegLocked removes the oldest segment and returns the points it
// held that were not in flight (those of the batch in flight are counted
// when it is resolved: see infDropped).
func (s *spool) dropHeadSegLocked() (dropped int64) {
	g := s.segs[0]
	inf := s.inflightPointsIn(g.first)
	s.infDropped += inf
	s.bytes -= g.size
	s.removeSegFile(g.path)
	s.segs = s.segs[1:]
	s.headOff = 0
	s.writeHeadLocked()
	return g.points - inf
}

type spoolStats struct {
	bytes, diskPoints, memPoints, dropped, corrupt int64
}

// add sums the stats of two spools.
func (a spoolStats) add(b spoolStats) spoolStats {
	return spoolStats{bytes: a.bytes + b.bytes, diskPoints: a.diskPoints + b.diskPoints, memPoints: a.memPoints + b.memPoints,
		dropped: a.dropped + b.dropped, corrupt: a.corrupt + b.corrupt}
}

func (s *spool) stats() spoolStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pts int64
	for _, g := range s.segs {
		pts += g.points
	}
	// Points of the batch in flight whose segments the bound removed are
	// held by the sender, in memory, until they are resolved.
	return spoolStats{bytes: s.bytes, diskPoints: pts, memPoints: s.memPoints + s.infDropped, dropped: s.dropped, corrupt: s.corrupt}
}

// len is the number of points waiting: on disk and in memory.
func (s *spool) len() int {
	st := s.stats()
	return int(st.diskPoints + st.memPoints)
}

// close moves what is held in memory to disk if it can (counting it as
// dropped if not) and releases the folder.
func (s *spool) close() error {
	s.mu.Lock()
	defer s.unlockPublish()
	if s.inflight != nil {
		s.dropped += s.infDropped
		s.inflight, s.infDropped = nil, 0
	}
	var err error
	if len(s.mem) > 0 {
		if s.attached {
			_, err = s.flushMemLocked()
		} else {
			err = s.diskErr
		}
		if len(s.mem) > 0 {
			lost := s.memPoints
			s.dropped += lost
			s.mem, s.memBytes, s.memPoints = nil, 0, 0
			if s.opts.onDrop != nil {
				s.opts.onDrop("closing with the disk refusing the spool: points held in memory lost", lost)
			}
		}
	}
	s.closeTailLocked()
	if s.headFile != nil {
		_ = s.headFile.Close()
		s.headFile = nil
	}
	s.unlock()
	s.attached = false
	return err
}

// pwriteAll writes bufs at off; a short write is continued, so that a
// failure comes back as the system's error (ENOSPC, EFBIG).
func pwriteAll(f *os.File, bufs [][]byte, off int64) error {
	for len(bufs) > 0 {
		n, err := unix.Pwritev(int(f.Fd()), bufs, off)
		if err != nil {
			return err
		}
		if n == 0 {
			return syscall.EIO
		}
		off += int64(n)
		for n > 0 && len(bufs) > 0 {
			k := min(n, len(bufs[0]))
			bufs[0] = bufs[0][k:]
			n -= k
			if len(bufs[0]) == 0 {
				bufs = bufs[1:]
			}
		}
	}
	return nil
}

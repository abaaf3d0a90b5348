package cmis

import (
	"fmt"
	"sort"
	"time"
)

// PageSize is the size of lower memory and of every upper page, in bytes.
const PageSize = 128

// Device addresses (7-bit) of module management memory.
const (
	AddrA0 = 0x50 // CMIS, SFF-8636, and SFF-8472 serial ID (A0h)
	AddrA2 = 0x51 // SFF-8472 diagnostics (A2h)
)

// PageID names one 128-byte window of module memory.
//
// Lower memory (bytes 0-127 at 0x50) is PageID{Lower: true}. An upper page is
// Bank/Page; only pages 10h-FFh are banked, so Bank is 0 for the others.
// SFF-8472 modules are modelled with Addr: A0h lower/upper are Addr 0x50
// lower and page 00h, A2h lower/upper are Addr 0x51 lower and page 00h.
type PageID struct {
	Addr  uint8 // 7-bit I2C address; 0 means AddrA0
	Lower bool  // bytes 0-127
	Bank  uint8
	Page  uint8
}

// Lower is the lower memory at 0x50.
var Lower = PageID{Lower: true}

// Upper returns the ID of upper page p in bank b at 0x50.
func Upper(bank, page uint8) PageID { return PageID{Bank: bank, Page: page} }

// A2Lower and A2Upper are SFF-8472 diagnostics memory (A2h bytes 0-127 and
// 128-255, the latter page 00h when A2h paging is not in use).
var (
	A2Lower = PageID{Addr: AddrA2, Lower: true}
	A2Upper = PageID{Addr: AddrA2}
)

// norm makes the two spellings of address 0x50 (0 and AddrA0) one map key.
func (id PageID) norm() PageID {
	if id.Addr == AddrA0 {
		id.Addr = 0
	}
	return id
}

func (id PageID) addr() uint8 {
	if id.Addr == 0 {
		return AddrA0
	}
	return id.Addr
}

// Base is the I2C byte offset of the first byte of the window: 0 for lower
// memory, 128 for an upper page.
func (id PageID) Base() int {
	if id.Lower {
		return 0
	}
	return PageSize
}

// String formats the ID the way the vectors text format writes section
// headers: "lower", "page 11h", "page 11h bank 1", "a2", "a2 page 00h".
func (id PageID) String() string {
	prefix := ""
	if id.addr() == AddrA2 {
		prefix = "a2 "
		if id.Lower {
			return "a2 lower"
		}
	}
	if id.Lower {
		return prefix + "lower"
	}
	s := fmt.Sprintf("%spage %02Xh", prefix, id.Page)
	if id.Bank != 0 {
		s += fmt.Sprintf(" bank %d", id.Bank)
	}
	return s
}

func (id PageID) less(o PageID) bool {
	if id.addr() != o.addr() {
		return id.addr() < o.addr()
	}
	if id.Lower != o.Lower {
		return id.Lower
	}
	if id.Bank != o.Bank {
		return id.Bank < o.Bank
	}
	return id.Page < o.Page
}

// Snapshot is the bytes of module memory that were read at one time: lower
// memory plus whichever upper pages a read plan asked for. Pages may be read
// in part; a Snapshot tracks which bytes it holds so the decoder never
// decodes a byte that was not read.
type Snapshot struct {
	// Time is when the bytes were read (zero for a saved dump without one).
	Time  time.Time
	pages map[PageID]*window
}

type window struct {
	data  [PageSize]byte
	valid [2]uint64 // bit i set: data[i] was read
}

// NewSnapshot returns an empty snapshot.
func NewSnapshot() *Snapshot { return &Snapshot{pages: map[PageID]*window{}} }

// Set stores b at offset off (an I2C offset: 0-127 for lower memory,
// 128-255 for upper pages) of page id. It returns an error if the range does
// not fit in the page's window.
func (s *Snapshot) Set(id PageID, off int, b []byte) error {
	base := id.Base()
	if off < base || off+len(b) > base+PageSize {
		return fmt.Errorf("cmis: %d bytes at offset %d do not fit in %s (offsets %d-%d)", len(b), off, id, base, base+PageSize-1)
	}
	if s.pages == nil {
		s.pages = map[PageID]*window{}
	}
	id = id.norm()
	w := s.pages[id]
	if w == nil {
		w = &window{}
		s.pages[id] = w
	}
	for i, v := range b {
		j := off - base + i
		w.data[j] = v
		w.valid[j/64] |= 1 << (j % 64)
	}
	return nil
}

// SetPage stores a whole 128-byte window.
func (s *Snapshot) SetPage(id PageID, b []byte) error {
	if len(b) != PageSize {
		return fmt.Errorf("cmis: %s: page holds %d bytes, want %d", id, len(b), PageSize)
	}
	return s.Set(id, id.Base(), b)
}

// Has reports whether every byte of [off, off+n) of page id was read.
func (s *Snapshot) Has(id PageID, off, n int) bool {
	w := s.pages[id.norm()]
	return w != nil && w.has(off-id.Base(), n)
}

// has reports whether bytes [j, j+n) of the window were read, testing the
// validity bitmap a 64-bit word at a time.
func (w *window) has(j, n int) bool {
	if j < 0 || n <= 0 || j+n > PageSize {
		return false
	}
	for word := j / 64; word <= (j+n-1)/64; word++ {
		lo := max(j, word*64) - word*64
		hi := min(j+n, word*64+64) - word*64
		mask := ^uint64(0)
		if hi-lo < 64 {
			mask = (uint64(1)<<(hi-lo) - 1) << lo
		}
		if w.valid[word]&mask != mask {
			return false
		}
	}
	return true
}

// hasAny reports whether any byte of [j, j+n) of the window was read.
func (w *window) hasAny(j, n int) bool {
	for i := max(j, 0); i < min(j+n, PageSize); i++ {
		if w.valid[i/64]&(1<<(i%64)) != 0 {
			return true
		}
	}
	return false
}

// empty reports whether no byte of the window was read (a window kept by
// Reset for reuse).
func (w *window) empty() bool { return w.valid == [2]uint64{} }

// window returns the window of id, or nil; s may be nil.
func (s *Snapshot) window(id PageID) *window {
	if s == nil {
		return nil
	}
	return s.pages[id.norm()]
}

// HasPage reports whether any byte of page id was read.
func (s *Snapshot) HasPage(id PageID) bool {
	w := s.pages[id.norm()]
	return w != nil && !w.empty()
}

// Bytes returns the n bytes at offset off of page id, or nil if any of them
// was not read. The slice aliases the snapshot; do not modify it.
func (s *Snapshot) Bytes(id PageID, off, n int) []byte {
	if s == nil {
		return nil
	}
	w := s.pages[id.norm()]
	j := off - id.Base()
	if w == nil || !w.has(j, n) {
		return nil
	}
	return w.data[j : j+n]
}

// Page returns the whole 128-byte window of id and whether every byte was read.
func (s *Snapshot) Page(id PageID) ([]byte, bool) {
	w := s.pages[id.norm()]
	if w == nil || w.empty() {
		return nil, false
	}
	return w.data[:], w.valid == [2]uint64{^uint64(0), ^uint64(0)}
}

// Pages lists the windows the snapshot holds, lower memory first, then upper
// pages by bank and page, then A2h.
func (s *Snapshot) Pages() []PageID {
	ids := make([]PageID, 0, len(s.pages))
	for id, w := range s.pages {
		if !w.empty() {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].less(ids[j]) })
	return ids
}

// Merge copies every byte that o holds into s, overwriting. The agent uses it
// to lay a fast-cadence read over the cached static pages.
func (s *Snapshot) Merge(o *Snapshot) {
	for id, w := range o.pages {
		if w.empty() {
			continue
		}
		if s.pages == nil {
			s.pages = map[PageID]*window{}
		}
		d := s.pages[id]
		if d == nil {
			d = &window{}
			s.pages[id] = d
		}
		for j := 0; j < PageSize; j++ {
			if w.valid[j/64]&(1<<(j%64)) != 0 {
				d.data[j] = w.data[j]
			}
		}
		d.valid[0] |= w.valid[0]
		d.valid[1] |= w.valid[1]
	}
	if !o.Time.IsZero() {
		s.Time = o.Time
	}
}

// Reset forgets every byte s holds but keeps its memory, so that a read
// repeated every cycle (the fast and VDM cadences) fills the same windows
// again without allocating.
func (s *Snapshot) Reset() {
	s.Time = time.Time{}
	for _, w := range s.pages {
		w.valid = [2]uint64{}
	}
}

// CopyFrom makes s hold exactly what o holds, reusing s's windows; after the
// first copy of a given shape it does not allocate.
func (s *Snapshot) CopyFrom(o *Snapshot) {
	s.Reset()
	if s.pages == nil {
		s.pages = make(map[PageID]*window, len(o.pages))
	}
	s.Time = o.Time
	for id, w := range o.pages {
		if w.empty() {
			continue
		}
		cw := s.pages[id]
		if cw == nil {
			cw = &window{}
			s.pages[id] = cw
		}
		*cw = *w
	}
}

// Clone returns a deep copy of s.
func (s *Snapshot) Clone() *Snapshot {
	c := &Snapshot{Time: s.Time, pages: make(map[PageID]*window, len(s.pages))}
	for id, w := range s.pages {
		cw := *w
		c.pages[id] = &cw
	}
	return c
}

// byteAt returns one byte and whether it was read.
func (s *Snapshot) byteAt(id PageID, off int) (byte, bool) {
	b := s.Bytes(id, off, 1)
	if b == nil {
		return 0, false
	}
	return b[0], true
}

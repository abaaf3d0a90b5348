package flightrec

import (
	"time"
	"unsafe"
)

// slot is a Record as the ring holds it: 32 bytes instead of 72 (time as
// Unix nanoseconds, the monitors of the reading's kind only).
type slot struct {
	nanos int64
	flags uint32
	// v: a lane's bias, Tx and Rx power; the module's temperature and
	// Vcc; a VDM reading's value.
	v    [3]float32
	lane uint16
	kind uint8
	vdm  uint8
}

const slotSize = int(unsafe.Sizeof(slot{}))

// Kinds of slot.
const (
	kindLane uint8 = iota
	kindModule
	kindScan
	kindVDM
)

func pack(r *Record) slot {
	s := slot{nanos: r.Time.UnixNano(), flags: r.Flags, lane: uint16(r.Lane), vdm: r.VDM}
	switch {
	case r.VDM != 0:
		s.kind, s.v = kindVDM, [3]float32{r.Value, NaN, NaN}
	case r.Scan:
		s.kind, s.v = kindScan, [3]float32{NaN, NaN, NaN}
	case r.Lane == 0:
		s.kind, s.v = kindModule, [3]float32{r.TemperatureC, r.VccV, NaN}
	default:
		s.kind, s.v = kindLane, [3]float32{r.TxBiasMA, r.TxPowerMW, r.RxPowerMW}
	}
	return s
}

func (s *slot) unpack() Record {
	r := Record{Time: time.Unix(0, s.nanos).UTC(), Lane: int(s.lane), Flags: s.flags, VDM: s.vdm,
		TxBiasMA: NaN, TxPowerMW: NaN, RxPowerMW: NaN, TemperatureC: NaN, VccV: NaN, Value: NaN}
	switch s.kind {
	case kindVDM:
		r.Value = s.v[0]
	case kindScan:
		r.Scan = true
	case kindModule:
		r.TemperatureC, r.VccV = s.v[0], s.v[1]
	default:
		r.TxBiasMA, r.TxPowerMW, r.RxPowerMW = s.v[0], s.v[1], s.v[2]
	}
	return r
}

// ring is one port's readings, oldest first from head, and its flight.
type ring struct {
	slots   []slot
	head, n int
	// total counts the readings ever pushed: the one pushed k-th has the
	// sequence number k (1-based). handed is the sequence number of the
	// newest reading handed out in a flight: none up to it is handed out
	// again, whatever its time (a VDM read may end after a later fast
	// read started).
	total, handed uint64
	// lanes and vdm are the module's shape: its lanes (of the last fast
	// read) and VDM observables (of the last VDM read).
	lanes, vdm int
	// open is the flight whose after-window is running (nil: none);
	// listed counts the triggers it lists, causes their causes.
	open   *Flight
	listed int
	causes map[string]bool
}

// readsIn is how many reads at the given cadence the window holds, with
// one to spare for a read that comes early.
func readsIn(window, every time.Duration) int {
	return int((window+every-1)/every) + 1
}

// capacity is the readings a port of this shape needs for the window
// before a trigger at the fastest cadences: each fast read's module and
// lanes, a flag scan's reading per lane per fast read (a lane that flaps
// faster pushes out the oldest), each VDM read's observables.
func capacity(lanes, vdm int, o Options) int {
	fast := readsIn(o.Before, o.Interval)
	return fast*(1+lanes) + fast*lanes + readsIn(o.Before, o.VDMInterval)*vdm
}

// reshape sizes the ring for the module that made recs: a fast read
// gives its lanes (a change of lanes is another module: no VDM until its
// first VDM read), a VDM read its observables; a flag scan before any
// fast read its highest lane. A ring whose size changes keeps its newest
// readings.
func (rg *ring) reshape(recs []Record, o Options) {
	lanes, vdm := rg.lanes, rg.vdm
	switch {
	case recs[0].VDM != 0:
		vdm = len(recs)
	case recs[0].Scan:
		for _, r := range recs {
			if len(rg.slots) == 0 && r.Lane > lanes {
				lanes = r.Lane
			}
		}
	default:
		lanes = 0
		for _, r := range recs {
			if r.Lane > 0 {
				lanes++
			}
		}
		if lanes != rg.lanes && rg.slots != nil {
			// Another module: its VDM observables are counted at its
			// first VDM read.
			vdm = 0
		}
	}
	if lanes == rg.lanes && vdm == rg.vdm && rg.slots != nil {
		return
	}
	rg.lanes, rg.vdm = lanes, vdm
	size := capacity(lanes, vdm, o)
	if size == len(rg.slots) {
		return
	}
	slots := make([]slot, size)
	keep := min(rg.n, size)
	for k := 0; k < keep; k++ {
		slots[k] = rg.slots[(rg.head+rg.n-keep+k)%len(rg.slots)]
	}
	rg.slots, rg.head, rg.n = slots, 0, keep
}

func (rg *ring) push(s slot) {
	rg.total++
	if rg.n < len(rg.slots) {
		rg.slots[(rg.head+rg.n)%len(rg.slots)] = s
		rg.n++
		return
	}
	rg.slots[rg.head] = s
	rg.head = (rg.head + 1) % len(rg.slots)
}

// each calls fn with every reading in the ring, oldest first, and its
// sequence number.
func (rg *ring) each(fn func(seq uint64, s *slot)) {
	first := rg.total - uint64(rg.n) + 1
	for k := 0; k < rg.n; k++ {
		fn(first+uint64(k), &rg.slots[(rg.head+k)%len(rg.slots)])
	}
}

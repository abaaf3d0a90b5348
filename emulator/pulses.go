package emulator

import (
	"math/rand/v2"
	"time"
)

// Pulse trains: short losses of signal on chosen lanes (FaultLOSPulses).
//
// A real module latches a flag within microseconds of the event, whatever
// its monitor refresh; the emulator's other faults act at its internal
// update (1 s by default). A pulse therefore latches RxLOS and RxCDR LOL
// at every access that falls inside it or comes after an onset the module
// had not yet latched, so a 30 ms pulse between two updates is still seen,
// at onset, on the emulator's clock.

// Default pulse shapes (FaultLOSPulses without Down or Up bounds).
const (
	DefaultPulseDownMin = 30 * time.Millisecond
	DefaultPulseDownMax = 300 * time.Millisecond
	DefaultPulseUpMin   = 200 * time.Millisecond
	DefaultPulseUpMax   = 2 * time.Second
)

// maxOnsets bounds the onsets a module keeps for Onsets.
const maxOnsets = 1 << 16

// Onset is when an injected fault began on a module, on the module's
// clock: with the machine's clock (ddm emulate, ddm run --emulate) that is
// the wall clock, the reference an onset-to-queryable figure measures
// from.
type Onset struct {
	Kind FaultKind
	// Lane is global and 1-based.
	Lane int
	At   time.Time
	// Down is how long the fault lasted.
	Down time.Duration
}

// pulse is one loss of signal, [start, end), last latched at latched. A
// read clears the latch; while the pulse lasts, the module's next sample of
// the condition sets it again: the next access at a later instant, not at
// the same one (a host that reads on every IntL edge would otherwise loop
// at one instant of a virtual clock, each read's access latching again).
type pulse struct{ start, end, latched time.Time }

// pulseTrain generates one lane's pulses in order, as far as asked.
type pulseTrain struct {
	lane     int // 0-based
	f        Fault
	rng      *rand.Rand
	next     time.Time // onset of the next pulse not generated yet
	stop     time.Time // zero: no end
	upcoming []pulse   // generated, not yet latched whole
}

func newPulseTrains(c *config) []*pulseTrain {
	var out []*pulseTrain
	for fi, f := range c.faults {
		if f.Kind != FaultLOSPulses {
			continue
		}
		for _, lane := range f.Lanes {
			seed := mix(c.seed ^ uint64(fi)<<32 ^ uint64(lane))
			tr := &pulseTrain{lane: lane - 1, f: f.withPulseDefaults(), rng: rand.New(rand.NewPCG(seed, mix(seed)))}
			tr.next = c.origin.Add(f.Start + tr.draw(tr.f.UpMin, tr.f.UpMax))
			if f.Duration > 0 {
				tr.stop = c.origin.Add(f.Start + f.Duration)
			}
			out = append(out, tr)
		}
	}
	return out
}

func (tr *pulseTrain) draw(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(tr.rng.Int64N(int64(hi-lo)+1))
}

// generate appends the pulses that begin at or before t, calling onset for
// each.
func (tr *pulseTrain) generate(t time.Time, onset func(Onset)) {
	for !tr.next.After(t) && (tr.stop.IsZero() || tr.next.Before(tr.stop)) {
		down := tr.draw(tr.f.DownMin, tr.f.DownMax)
		p := pulse{start: tr.next, end: tr.next.Add(down)}
		tr.upcoming = append(tr.upcoming, p)
		onset(Onset{Kind: FaultLOSPulses, Lane: tr.lane + 1, At: p.start, Down: down})
		tr.next = p.end.Add(tr.draw(tr.f.UpMin, tr.f.UpMax))
	}
}

// active reports whether a pulse of the train covers t (generated ones
// only: generate first).
func (tr *pulseTrain) active(t time.Time) bool {
	for _, p := range tr.upcoming {
		if !t.Before(p.start) && t.Before(p.end) {
			return true
		}
	}
	return false
}

// latchDue reports whether some pulse began at or before t and was not
// yet latched whole: one under way at t, or one that began and ended since
// the last access. Pulses over by t are dropped.
func (tr *pulseTrain) latchDue(t time.Time) bool {
	due := false
	keep := tr.upcoming[:0]
	for _, p := range tr.upcoming {
		if p.start.After(t) {
			keep = append(keep, p)
			continue
		}
		if p.latched.IsZero() || t.After(p.latched) {
			due, p.latched = true, t
		}
		if t.Before(p.end) {
			keep = append(keep, p) // still down: latches again next access
		}
	}
	tr.upcoming = keep
	return due
}

// losLatcher is a personality that can latch a lane's loss of signal at
// once (outside the internal update).
type losLatcher interface {
	latchLOS(m *Module, lane int)
}

// pulseLOS reports whether lane (0-based) is inside a pulse at t; the
// internal update encodes its Rx power as lost then. Called with m.mu held.
func (m *Module) pulseLOS(lane int, t time.Time) bool {
	for _, tr := range m.pulses {
		if tr.lane == lane {
			tr.generate(t, m.recordOnset)
			if tr.active(t) {
				return true
			}
		}
	}
	return false
}

// latchPulses latches RxLOS and RxCDR LOL of every lane with a pulse under
// way at now or begun since the last access, and of every lane while a
// fibre cut lasts. Called with m.mu held, after
// the internal updates due.
func (m *Module) latchPulses(now time.Time) {
	l, ok := m.p.(losLatcher)
	if !ok {
		return
	}
	if m.md.faultActive(FaultFiberCut, now) && m.prev != nil && m.prev.state == stateReady {
		// A cut fibre is a loss of signal that lasts: like a pulse still
		// down, it latches again at once after a read clears it, not at
		// the next update (which would show a lasting cut as a pulse a
		// second to a host that reads the flags more often).
		for i := range m.prev.lanes {
			if m.prev.lanes[i].active {
				l.latchLOS(m, i)
			}
		}
	}
	if len(m.pulses) == 0 {
		return
	}
	for _, tr := range m.pulses {
		tr.generate(now, m.recordOnset)
		if tr.latchDue(now) && m.prev != nil && m.prev.state == stateReady &&
			tr.lane < len(m.prev.lanes) && m.prev.lanes[tr.lane].active {
			l.latchLOS(m, tr.lane)
		}
	}
}

func (m *Module) recordOnset(o Onset) {
	if len(m.onsets) >= maxOnsets {
		m.onsets = m.onsets[1:]
	}
	m.onsets = append(m.onsets, o)
}

// Onsets returns the onsets of the injected pulses that began by now (the
// newest 65,536), oldest first.
func (m *Module) Onsets() []Onset {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.clk.Now()
	for _, tr := range m.pulses {
		tr.generate(now, m.recordOnset)
	}
	return append([]Onset(nil), m.onsets...)
}

// latchLOS sets RxLOS and RxCDR LOL of global lane (0-based) on its bank's
// page 11h (134-153 latch; 147 RxLOS, 148 RxCDR LOL).
func (c *cmisP) latchLOS(m *Module, lane int) {
	bank, i := lane/8, lane%8
	if i >= c.per {
		return
	}
	p11 := m.mem.get(upperWin(roleA0, uint8(bank), 0x11))
	if p11 == nil {
		return
	}
	p11[idx(147)] |= 1 << i
	p11[idx(148)] |= 1 << i
}

// latchLOS sets Rx LOS (lower 3) and Rx CDR LOL (lower 5) of lane.
func (c *sff8636P) latchLOS(m *Module, lane int) {
	if lane >= 4 {
		return
	}
	lo := m.mem.get(lowerWin(roleA0))
	lo[3] |= 1 << lane
	lo[5] |= 1 << lane
}

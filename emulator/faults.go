package emulator

import (
	"fmt"
	"math"
	"time"
)

// Window is when a fault or scenario is active, relative to the module's
// origin (see WithOrigin): from Start for Duration (0: for ever), repeated
// every Every (0: once).
type Window struct {
	Start    time.Duration `json:"start,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	Every    time.Duration `json:"every,omitempty"`
}

// active reports whether t falls inside the window.
func (w Window) active(origin, t time.Time) bool {
	d := t.Sub(origin) - w.Start
	if d < 0 {
		return false
	}
	if w.Every > 0 {
		d %= w.Every
	}
	return w.Duration <= 0 || d < w.Duration
}

// lastEnd returns the end of the latest occurrence that ended at or before
// t, if any.
func (w Window) lastEnd(origin, t time.Time) (time.Time, bool) {
	if w.Duration <= 0 {
		return time.Time{}, false
	}
	d := t.Sub(origin) - w.Start
	if d < w.Duration {
		return time.Time{}, false
	}
	if w.Every <= 0 {
		return origin.Add(w.Start + w.Duration), true
	}
	k := (d - w.Duration) / w.Every
	return origin.Add(w.Start + k*w.Every + w.Duration), true
}

func (w Window) validate() error {
	switch {
	case w.Start < 0 || w.Duration < 0 || w.Every < 0:
		return fmt.Errorf("negative start, duration or every")
	case w.Every > 0 && w.Duration <= 0:
		return fmt.Errorf("every needs a duration")
	case w.Every > 0 && w.Every <= w.Duration:
		return fmt.Errorf("every (%s) must be longer than duration (%s)", w.Every, w.Duration)
	}
	return nil
}

// FaultKind names a fault.
type FaultKind string

// Faults.
const (
	// FaultNACK: each transaction is NACKed with probability Rate (a seeded
	// RNG: the same seed NACKs the same transactions).
	FaultNACK FaultKind = "nack"
	// FaultBusy: every transaction is NACKed (a module stuck busy).
	FaultBusy FaultKind = "busy"
	// FaultUnplug: the module is absent (nothing answers) while active and
	// is re-inserted, from power-up, when the window ends. With Every it
	// unplugs and replugs on a schedule; with no Duration it stays out.
	FaultUnplug FaultKind = "unplug"
	// FaultRefusedPages: a page select of one of Pages is kept in byte 127
	// but the module serves page 00h's bytes (the Acacia ZR+ behaviour:
	// pages 22h, 23h, 2Ah, 2Bh read back as page 00h).
	FaultRefusedPages FaultKind = "refused_pages"
	// FaultCorrupt: each read is corrupted with probability Rate: one bit
	// of one byte returned is flipped (memory itself is untouched). With
	// Pages, only reads of those upper pages.
	FaultCorrupt FaultKind = "corrupt"
	// FaultSlowFreeze: a VDM freeze or unfreeze requested while active
	// takes Delay (default 800 ms) instead of the module's freeze delay.
	FaultSlowFreeze FaultKind = "slow_freeze"
	// FaultFiberCut: the received light is gone on every lane while
	// active (a cut fibre or a far end that went dark): Rx power reads
	// about -40 dBm, RxLOS and RxCDR LOL latch, Tx is untouched.
	FaultFiberCut FaultKind = "fiber_cut"
	// FaultModule: a CMIS module is in ModuleFault while active (lower
	// byte 3), its data paths deactivated, with fault cause custom (32) in
	// lower byte 41; it powers up again when the window ends.
	FaultModule FaultKind = "module_fault"
	// FaultLOSPulses: short losses of signal on Lanes (global, 1-based),
	// from Start for Duration (0: for ever): each lane is down for a time
	// drawn from [DownMin, DownMax] (default 30-300 ms), then up for one
	// from [UpMin, UpMax] (default 0.2-2 s), seeded by the module's seed.
	// RxLOS and RxCDR LOL latch at the pulse's onset on the module's clock,
	// not at its next internal update (see pulses.go); Onsets lists them.
	FaultLOSPulses FaultKind = "los_pulses"
)

// DefaultSlowFreeze is the freeze delay of FaultSlowFreeze without a Delay.
const DefaultSlowFreeze = 800 * time.Millisecond

// Fault is an injected misbehaviour of one module.
type Fault struct {
	Kind FaultKind `json:"kind"`
	Window
	Rate  float64       `json:"rate,omitempty"`
	Pages []uint8       `json:"pages,omitempty"`
	Delay time.Duration `json:"delay,omitempty"`
	// Lanes and the pulse shape of FaultLOSPulses.
	Lanes   []int         `json:"lanes,omitempty"`
	DownMin time.Duration `json:"down_min,omitempty"`
	DownMax time.Duration `json:"down_max,omitempty"`
	UpMin   time.Duration `json:"up_min,omitempty"`
	UpMax   time.Duration `json:"up_max,omitempty"`
}

// withPulseDefaults fills the pulse shape's zero bounds.
func (f Fault) withPulseDefaults() Fault {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&f.DownMin, DefaultPulseDownMin)
	def(&f.DownMax, max(DefaultPulseDownMax, f.DownMin))
	def(&f.UpMin, DefaultPulseUpMin)
	def(&f.UpMax, max(DefaultPulseUpMax, f.UpMin))
	return f
}

// Validate reports a fault that cannot be applied.
func (f Fault) Validate() error {
	if err := f.Window.validate(); err != nil {
		return fmt.Errorf("%s: %v", f.Kind, err)
	}
	switch f.Kind {
	case FaultNACK, FaultCorrupt:
		if !(f.Rate >= 0 && f.Rate <= 1) {
			return fmt.Errorf("%s: rate %v is not a probability in [0, 1]", f.Kind, f.Rate)
		}
	case FaultRefusedPages:
		if len(f.Pages) == 0 {
			return fmt.Errorf("%s: no pages", f.Kind)
		}
	case FaultBusy, FaultUnplug, FaultFiberCut, FaultModule:
	case FaultLOSPulses:
		if f.Every > 0 {
			return fmt.Errorf("%s: every does not apply (the pulses repeat on their own)", f.Kind)
		}
		if len(f.Lanes) == 0 {
			return fmt.Errorf("%s: no lanes", f.Kind)
		}
		for _, l := range f.Lanes {
			if l < 1 {
				return fmt.Errorf("%s: lane %d is not 1-based", f.Kind, l)
			}
		}
		p := f.withPulseDefaults()
		if p.DownMin <= 0 || p.UpMin <= 0 || p.DownMax < p.DownMin || p.UpMax < p.UpMin {
			return fmt.Errorf("%s: want 0 < down_min <= down_max and 0 < up_min <= up_max", f.Kind)
		}
	case FaultSlowFreeze:
		if f.Delay < 0 {
			return fmt.Errorf("%s: negative delay", f.Kind)
		}
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	return nil
}

func (f Fault) hasPage(p uint8) bool {
	for _, q := range f.Pages {
		if q == p {
			return true
		}
	}
	return false
}

// DegradationKind names a scripted degradation.
type DegradationKind string

// Degradations.
const (
	// TxFade: the lane's Tx power (an ELSFP laser's output power) falls
	// Rate dB per hour, for Duration (0: for ever), then holds.
	TxFade DegradationKind = "tx_fade"
	// RxFade: the lane's Rx power falls Rate dB per hour; its pre-FEC BER
	// follows.
	RxFade DegradationKind = "rx_fade"
	// BERRamp: the lane's pre-FEC BER moves log-linearly to Target over
	// Duration, then holds there.
	BERRamp DegradationKind = "ber_ramp"
	// TempRunaway: the module temperature rises Rate °C per minute until
	// it reaches Target °C (default 95).
	TempRunaway DegradationKind = "temp_runaway"
	// LaserAgeing: an ageing laser whose power control raises its bias to
	// keep the Tx power: the lane's bias climbs from its nominal toward
	// Target mA (default 65, see ageingTarget) along 1-exp(-3e/Duration),
	// 95 % of the way after Duration, while the Tx power holds; from then
	// on the bias stays on its plateau and the Tx power falls Rate dB per
	// hour (0: holds).
	LaserAgeing DegradationKind = "laser_ageing"
	// HostErrors: the host-side (electrical) pre-FEC BER moves
	// log-linearly to Target over Duration, then holds; while it is at or
	// above the KP4 limit (2.4e-4) the lane's Tx CDR LOL latches. The media
	// side stays clean.
	HostErrors DegradationKind = "host_errors"
	// LaserFault: laser Lane of an external laser source (0: every laser)
	// fails from Start for Duration (0: for ever): no output while it stays
	// on, so its fault bit latches and the engine lanes it feeds go dark.
	LaserFault DegradationKind = "laser_fault"
)

// Degradation is a scripted change of a module's values over time, from
// Start (relative to the module's origin). Lane is global and 1-based; 0
// means every lane.
type Degradation struct {
	Kind     DegradationKind `json:"kind"`
	Lane     int             `json:"lane,omitempty"`
	Start    time.Duration   `json:"start,omitempty"`
	Duration time.Duration   `json:"duration,omitempty"`
	Rate     float64         `json:"rate,omitempty"`
	Target   float64         `json:"target,omitempty"`
}

// Validate reports a degradation that cannot be applied.
func (d Degradation) Validate() error {
	if d.Start < 0 || d.Duration < 0 || d.Lane < 0 {
		return fmt.Errorf("%s: negative start, duration or lane", d.Kind)
	}
	finite := !math.IsNaN(d.Rate) && !math.IsInf(d.Rate, 0) && !math.IsNaN(d.Target) && !math.IsInf(d.Target, 0)
	if !finite {
		return fmt.Errorf("%s: rate and target must be finite", d.Kind)
	}
	switch d.Kind {
	case TxFade, RxFade, TempRunaway:
		if d.Rate < 0 {
			return fmt.Errorf("%s: negative rate", d.Kind)
		}
	case LaserAgeing:
		if d.Duration <= 0 || d.Rate < 0 || d.Target < 0 {
			return fmt.Errorf("%s: want a positive duration (the climb), a rate >= 0 (dB/h after it) and a target bias >= 0 mA", d.Kind)
		}
	case LaserFault:
	case BERRamp, HostErrors:
		if !(d.Target > 0 && d.Target <= 0.5) {
			return fmt.Errorf("%s: target BER %v not in (0, 0.5]", d.Kind, d.Target)
		}
	default:
		return fmt.Errorf("unknown degradation kind %q", d.Kind)
	}
	return nil
}

// progress returns how far into the degradation t is: the elapsed time,
// capped at Duration when it has one, and whether it has started.
func (d Degradation) progress(origin, t time.Time) (time.Duration, bool) {
	e := t.Sub(origin) - d.Start
	if e < 0 {
		return 0, false
	}
	if d.Duration > 0 && e > d.Duration {
		e = d.Duration
	}
	return e, true
}

func (d Degradation) appliesTo(lane int) bool { return d.Lane == 0 || d.Lane == lane+1 }

// within reports whether t is inside the degradation's window: from Start
// for Duration, or for ever when Duration is 0.
func (d Degradation) within(origin, t time.Time) bool {
	e := t.Sub(origin) - d.Start
	return e >= 0 && (d.Duration == 0 || e < d.Duration)
}

// nacks reports whether the module NACKs a transaction at now: stuck busy,
// or a NACK drawn from the seeded RNG.
func (m *Module) nacks(now time.Time) bool {
	nack := false
	for _, f := range m.cfg.faults {
		if !f.active(m.cfg.origin, now) {
			continue
		}
		switch f.Kind {
		case FaultBusy:
			nack = true
		case FaultNACK:
			if m.rng.Float64() < f.Rate {
				nack = true
			}
		}
	}
	return nack
}

// corrupt flips one bit of r with each active corrupt fault's probability;
// first is the window the read started in.
func (m *Module) corrupt(now time.Time, first win, r []byte) {
	for _, f := range m.cfg.faults {
		if f.Kind != FaultCorrupt || !f.active(m.cfg.origin, now) {
			continue
		}
		if len(f.Pages) > 0 && (first.lower || !f.hasPage(first.page)) {
			continue
		}
		if m.rng.Float64() < f.Rate {
			r[m.rng.IntN(len(r))] ^= 1 << m.rng.IntN(8)
		}
	}
}

// refused reports whether a select of page is refused the Acacia way.
func (m *Module) refused(now time.Time, page uint8) bool {
	for _, f := range m.cfg.faults {
		if f.Kind == FaultRefusedPages && f.active(m.cfg.origin, now) && f.hasPage(page) {
			return true
		}
	}
	return false
}

// freezeDelay is how long a VDM freeze or unfreeze requested at now takes.
func (m *Module) freezeDelay(now time.Time) time.Duration {
	d := m.cfg.freezeDelay
	for _, f := range m.cfg.faults {
		if f.Kind == FaultSlowFreeze && f.active(m.cfg.origin, now) {
			slow := f.Delay
			if slow == 0 {
				slow = DefaultSlowFreeze
			}
			d = max(d, slow)
		}
	}
	return d
}

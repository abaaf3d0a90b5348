package flightrec

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultBefore      = 60 * time.Second
	DefaultAfter       = 30 * time.Second
	DefaultInterval    = time.Second
	DefaultVDMInterval = 10 * time.Second
)

// MaxAfterFactor bounds a flight that joined triggers keep extending: its
// after-window ends at most MaxAfterFactor × After past its opening
// trigger (90 s: a flight spans at most 2.5 minutes with the minute
// before); a trigger after that opens the next flight. It was 10: in a
// storm of flaps on every lane of 64 ports each port's flight grew to 6
// minutes, some 900 KB, and the journal's bound could not hold each
// port's newest.
const MaxAfterFactor = 3

// MaxTriggers bounds the triggers a flight lists: past it, a trigger
// whose cause the flight already lists still extends the after-window but
// is only counted (Flight.Unrecorded), so a port whose lanes flap for
// ever makes a flight every 90 s (MaxAfterFactor × After) that lists
// some 64 triggers, not thousands (every flap is still its own xcvr_flag_event point and
// counted in xcvr_flag). A trigger of a new cause is always listed: the
// causes are bounded by the module's lanes, flags and alarm rules.
const MaxTriggers = 64

// Options configure a Recorder; zero values mean the defaults.
type Options struct {
	// Before and After are the window around a trigger.
	Before, After time.Duration
	// Interval and VDMInterval are the agent's fast and VDM cadences:
	// with the module's lanes and VDM observables they size each port's
	// ring to hold the window before a trigger.
	Interval, VDMInterval time.Duration
	// Journal keeps what the flights hand out for SaveFile (the pipeline
	// sets it when it has a state folder); without it nothing is kept.
	Journal bool
	// JournalBytes bounds the journal's size (0: MaxJournalBytes).
	JournalBytes int64
}

// Record is one reading of a lane (Lane >= 1) or of the module (Lane 0):
// a fast read's monitors, a flag scan's flags (Scan), or one VDM
// observable (VDM). Monitors not read are NaN.
type Record struct {
	Time time.Time
	Lane int
	// Scan: a flag scan's reading (flags alone, the monitors NaN).
	Scan bool
	// VDM is a VDM reading's observable type id (cmis.LookupObservable
	// names it), 0 for the others; its value is Value.
	VDM uint8
	// Flags are the latched flags seen (cmis.LaneFlags or
	// cmis.ModuleFlags bits; a VDM reading's cmis.LimitFlags).
	Flags uint32
	// Lane monitors.
	TxBiasMA, TxPowerMW, RxPowerMW float32
	// Module monitors.
	TemperatureC, VccV float32
	// Value is a VDM reading's value.
	Value float32
}

// Read names what made a reading: "fast", "scan" or "vdm".
func (r Record) Read() string {
	switch {
	case r.VDM != 0:
		return "vdm"
	case r.Scan:
		return "scan"
	}
	return "fast"
}

// NaN is the value of a monitor not read.
var NaN = float32(math.NaN())

// Trigger is one event that opened or joined a flight.
type Trigger struct {
	At time.Time
	// Cause is the flag or alarm rule with its lane (rx_los/lane6).
	Cause string
	// Opened: this trigger opened the flight (the others joined it).
	Opened bool
}

// Flight is what one trigger or read hands out of a flight: the readings
// and the triggers new in it. LoadFile returns each flight whole.
type Flight struct {
	Port string
	// ID names the flight: port/cause@ms of its opening trigger.
	ID string
	// Trigger and At are the opening trigger's cause and time.
	Trigger string
	At      time.Time
	// Until is the end of the after-window as it stands.
	Until    time.Time
	Triggers []Trigger
	Records  []Record
	// Unrecorded counts the triggers that joined the flight past
	// MaxTriggers with a cause it already lists (so far).
	Unrecorded int
}

// Recorder keeps the rings of every port. It is safe for concurrent use.
type Recorder struct {
	o     Options
	mu    sync.Mutex
	ports map[string]*ring
	j     journal
	// saving serializes SaveFile: a rewrite renamed over the journal
	// while another save appends would lose that append.
	saving sync.Mutex
}

// New makes a Recorder.
func New(o Options) *Recorder {
	if o.Before <= 0 {
		o.Before = DefaultBefore
	}
	if o.After <= 0 {
		o.After = DefaultAfter
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.VDMInterval <= 0 {
		o.VDMInterval = DefaultVDMInterval
	}
	return &Recorder{o: o, ports: map[string]*ring{}}
}

// Options returns the options in effect.
func (r *Recorder) Options() Options { return r.o }

func (r *Recorder) ring(port string) *ring {
	rg := r.ports[port]
	if rg == nil {
		rg = &ring{}
		r.ports[port] = rg
	}
	return rg
}

// Add records one read's readings of a port (all of the same time and
// kind) and returns those that belong to the port's open flight, if any.
func (r *Recorder) Add(port string, recs ...Record) *Flight {
	if len(recs) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rg := r.ring(port)
	rg.reshape(recs, r.o)
	for i := range recs {
		rg.push(pack(&recs[i]))
	}
	if rg.open == nil {
		return nil
	}
	if !rg.open.spans(recs[0].Time, r.o.Before) {
		rg.open = nil
		return nil
	}
	rg.handed = rg.total
	f := rg.open.handout()
	f.Records = append([]Record(nil), recs...)
	r.j.add(r.o.Journal, &f, false)
	return &f
}

// Trigger records a link fault or an alarm of the port at at (cause: the
// flag or alarm rule, with its lane). If the port's flight is open (at is
// within its windows: see spans), the trigger joins it and extends its
// after-window; otherwise it opens a flight with the readings of the
// window before it not yet handed out. It returns what is new: the
// trigger, and the readings of an opening.
func (r *Recorder) Trigger(port, cause string, at time.Time) Flight {
	r.mu.Lock()
	defer r.mu.Unlock()
	rg := r.ring(port)
	tr := Trigger{At: at, Cause: cause}
	if o := rg.open; o != nil && o.spans(at, r.o.Before) {
		end, limit := at.Add(r.o.After), o.At.Add(MaxAfterFactor*r.o.After)
		if end.After(limit) {
			end = limit
		}
		if end.After(o.Until) {
			o.Until = end
		}
		if rg.listed >= MaxTriggers && rg.causes[cause] {
			// Counted, not listed; the journal keeps the count.
			o.Unrecorded++
			f := o.handout()
			r.j.add(r.o.Journal, &f, false)
			return f
		}
		rg.listed++
		rg.causes[cause] = true
		f := o.handout()
		f.Triggers = []Trigger{tr}
		r.j.add(r.o.Journal, &f, false)
		return f
	}
	f := Flight{Port: port, Trigger: cause, At: at, Until: at.Add(r.o.After), Triggers: []Trigger{{At: at, Cause: cause, Opened: true}},
		ID: fmt.Sprintf("%s/%s@%d", port, cause, at.UnixMilli())}
	from := at.Add(-r.o.Before).UnixNano()
	rg.each(func(seq uint64, s *slot) {
		if seq > rg.handed && s.nanos >= from {
			f.Records = append(f.Records, s.unpack())
		}
	})
	rg.handed = rg.total
	open := f
	open.Triggers, open.Records = nil, nil
	rg.open = &open
	rg.listed, rg.causes = 1, map[string]bool{cause: true}
	r.j.add(r.o.Journal, &f, true)
	return f
}

// spans tells whether a reading or trigger at t belongs to the open
// flight f: from its window before (before) to the end of its
// after-window. Past the end the flight is over; before the window the
// wall clock stepped back (NTP correcting a clock that ran ahead), and a
// flight whose Until is now far ahead would otherwise take every reading
// until the clock caught up (an hour of them after a 1 h step) and
// swallow the next link fault's own flight. A step back shorter than the
// window before keeps the flight open and lengthens it by the step.
func (f *Flight) spans(t time.Time, before time.Duration) bool {
	return !t.After(f.Until) && !t.Before(f.At.Add(-before))
}

// handout is an empty handout of the open flight.
func (f *Flight) handout() Flight {
	return Flight{Port: f.Port, ID: f.ID, Trigger: f.Trigger, At: f.At, Until: f.Until, Unrecorded: f.Unrecorded}
}

// Window returns a copy of a port's readings in the ring, oldest first.
func (r *Recorder) Window(port string) []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	rg := r.ports[port]
	if rg == nil {
		return nil
	}
	out := make([]Record, 0, rg.n)
	rg.each(func(_ uint64, s *slot) { out = append(out, s.unpack()) })
	return out
}

// Capacity returns the readings a port's ring holds (0: none yet).
func (r *Recorder) Capacity(port string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rg := r.ports[port]; rg != nil {
		return len(rg.slots)
	}
	return 0
}

// HeldBytes is the memory the rings hold.
func (r *Recorder) HeldBytes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rg := range r.ports {
		n += cap(rg.slots) * slotSize
	}
	return n
}

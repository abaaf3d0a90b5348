package flightrec

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultBefore   = 60 * time.Second
	DefaultAfter    = 30 * time.Second
	DefaultCapacity = 4096
)

// Options configure a Recorder; zero values mean the defaults.
type Options struct {
	// Before and After are the window around a trigger.
	Before, After time.Duration
	// Capacity is the readings each port's ring holds (a fast read of an
	// 8-lane module is 9 of them: 90 s at a 1 s cadence is 810), allocated
	// with the port's first reading.
	Capacity int
}

// Record is one reading of a lane (Lane >= 1) or of the module (Lane 0).
// Monitors not read are NaN.
type Record struct {
	Time time.Time
	Lane int
	// Scan: a flag scan's reading (flags alone, the monitors NaN).
	Scan bool
	// Flags are the latched flags seen (cmis.LaneFlags or
	// cmis.ModuleFlags bits).
	Flags uint32
	// Lane monitors.
	TxBiasMA, TxPowerMW, RxPowerMW float32
	// Module monitors.
	TemperatureC, VccV float32
}

// NaN is the value of a monitor not read.
var NaN = float32(math.NaN())

// Flight is the readings of one trigger's window handed out at once: the
// window before it when it fires, then the readings after it as they
// arrive.
type Flight struct {
	Port string
	// ID names the flight: port/trigger@ms of the trigger.
	ID      string
	Trigger string
	At      time.Time
	Records []Record
}

// Recorder keeps the rings of every port. It is safe for concurrent use.
type Recorder struct {
	o     Options
	mu    sync.Mutex
	ports map[string]*ring
	// dirty: the kept flights changed since SaveFile.
	dirty bool
}

// ring is one port's readings, oldest first from head.
type ring struct {
	recs    []Record
	head, n int
	// handed is the time of the newest reading handed out in a flight:
	// no reading at or before it is handed out again.
	handed time.Time
	// open is the flight whose after-window is running (nil: none).
	open  *Flight
	until time.Time
	// kept is the port's last flights, for the state folder (save.go).
	kept []Flight
}

// New makes a Recorder.
func New(o Options) *Recorder {
	if o.Before <= 0 {
		o.Before = DefaultBefore
	}
	if o.After <= 0 {
		o.After = DefaultAfter
	}
	if o.Capacity <= 0 {
		o.Capacity = DefaultCapacity
	}
	return &Recorder{o: o, ports: map[string]*ring{}}
}

// Options returns the options in effect.
func (r *Recorder) Options() Options { return r.o }

func (r *Recorder) ring(port string) *ring {
	rg := r.ports[port]
	if rg == nil {
		rg = &ring{recs: make([]Record, r.o.Capacity)}
		r.ports[port] = rg
	}
	return rg
}

// Add records one read's readings of a port (all of the same time) and
// returns those that belong to the port's open flight, if any.
func (r *Recorder) Add(port string, recs ...Record) *Flight {
	if len(recs) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rg := r.ring(port)
	for _, rec := range recs {
		i := (rg.head + rg.n) % len(rg.recs)
		rg.recs[i] = rec
		if rg.n < len(rg.recs) {
			rg.n++
		} else {
			rg.head = (rg.head + 1) % len(rg.recs)
		}
	}
	if rg.open == nil {
		return nil
	}
	t := recs[0].Time
	if t.After(rg.until) {
		rg.open = nil
		return nil
	}
	if !t.After(rg.handed) {
		return nil
	}
	rg.handed = t
	f := *rg.open
	f.Records = append([]Record(nil), recs...)
	rg.keep(&f, r.o.Capacity)
	r.dirty = true
	return &f
}

// Trigger opens a flight of the port at at, named by trigger (a flag or
// an alarm rule, with its lane), and returns it with the readings of the
// window before it not yet handed out in another flight. The readings of
// the next After are handed out by Add, to this flight (an earlier one
// still open ends here).
func (r *Recorder) Trigger(port, trigger string, at time.Time) Flight {
	r.mu.Lock()
	defer r.mu.Unlock()
	rg := r.ring(port)
	f := Flight{Port: port, Trigger: trigger, At: at, ID: fmt.Sprintf("%s/%s@%d", port, trigger, at.UnixMilli())}
	from := at.Add(-r.o.Before)
	for k := 0; k < rg.n; k++ {
		rec := rg.recs[(rg.head+k)%len(rg.recs)]
		if rec.Time.Before(from) || !rec.Time.After(rg.handed) {
			continue
		}
		f.Records = append(f.Records, rec)
	}
	if n := len(f.Records); n > 0 {
		rg.handed = f.Records[n-1].Time
	}
	rg.keep(&f, r.o.Capacity)
	r.dirty = true
	open := f
	open.Records = nil
	rg.open, rg.until = &open, at.Add(r.o.After)
	return f
}

// Window returns a copy of a port's readings in the ring, oldest first.
func (r *Recorder) Window(port string) []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	rg := r.ports[port]
	if rg == nil {
		return nil
	}
	out := make([]Record, rg.n)
	for k := range out {
		out[k] = rg.recs[(rg.head+k)%len(rg.recs)]
	}
	return out
}

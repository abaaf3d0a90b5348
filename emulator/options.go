package emulator

import (
	"time"

	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

// Timings are a module's state-machine durations after insertion: LowPwr
// for LowPwr, then ModulePwrUp for PwrUp, then ModuleReady; each data path
// is in DPInit for DPInit and DPTxTurnOn for TxTurnOn before DPActivated.
// An ELSFP laser ramps for LaserRamp before it is on. Zero fields take the
// defaults.
type Timings struct {
	LowPwr    time.Duration
	PwrUp     time.Duration
	DPInit    time.Duration
	TxTurnOn  time.Duration
	LaserRamp time.Duration
}

// DefaultTimings returns the timings used for the zero fields of Timings:
// LowPwr 100 ms, PwrUp 1 s, DPInit 500 ms, TxTurnOn 100 ms, LaserRamp
// 200 ms.
func DefaultTimings() Timings {
	return Timings{
		LowPwr:    100 * time.Millisecond,
		PwrUp:     1 * time.Second,
		DPInit:    500 * time.Millisecond,
		TxTurnOn:  100 * time.Millisecond,
		LaserRamp: 200 * time.Millisecond,
	}
}

func (t Timings) withDefaults() Timings {
	d := DefaultTimings()
	for _, f := range []struct{ v, def *time.Duration }{
		{&t.LowPwr, &d.LowPwr}, {&t.PwrUp, &d.PwrUp}, {&t.DPInit, &d.DPInit},
		{&t.TxTurnOn, &d.TxTurnOn}, {&t.LaserRamp, &d.LaserRamp},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return t
}

// Defaults of the module options.
const (
	DefaultFreezeDelay    = 5 * time.Millisecond
	DefaultUpdateInterval = 100 * time.Millisecond
	DefaultLoad           = 0.5
)

type config struct {
	clk          Clock
	seed         uint64
	serial       string
	address      uint16
	origin       time.Time
	insertion    time.Time
	timings      Timings
	freezeDelay  time.Duration
	update       time.Duration
	load         float64
	faults       []Fault
	degradations []Degradation
	laserSource  *Module
	laserFeeds   []LaserFeed
	pacing       func(time.Duration)
	openDump     func(string) (*dumpfile.Dump, error)
}

func newConfig(opts []Option) config {
	c := config{seed: 1, freezeDelay: DefaultFreezeDelay, update: DefaultUpdateInterval, load: DefaultLoad,
		openDump: dumpfile.ReadFile}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.clk == nil {
		c.clk = RealClock{}
	}
	if c.origin.IsZero() {
		c.origin = c.clk.Now()
	}
	if c.insertion.IsZero() {
		c.insertion = c.origin
	}
	if c.address == 0 {
		c.address = 0x50
	}
	if c.update <= 0 {
		c.update = DefaultUpdateInterval
	}
	if c.freezeDelay < 0 {
		c.freezeDelay = 0
	}
	c.timings = c.timings.withDefaults()
	return c
}

// Option configures a module (NewModule) or a platform (LoadPlatform,
// DefaultPlatform, ParsePlatform), whose modules all get it.
type Option func(*config)

// WithClock sets the clock (default RealClock).
func WithClock(c Clock) Option { return func(cf *config) { cf.clk = c } }

// WithSeed seeds the module's randomness: per-lane spreads, noise and the
// fault RNG. The same seed gives the same module. A platform derives each
// port's seed from this one and the port name.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// WithSerial sets the serial number (default: the profile's prefix and
// digits from the seed).
func WithSerial(sn string) Option { return func(c *config) { c.serial = sn } }

// WithAddress sets the module's device address (default 0x50). An SFF-8472
// module also answers at the next address (A2h diagnostics).
func WithAddress(addr uint16) Option { return func(c *config) { c.address = addr } }

// WithOrigin sets time zero of scenarios (faults and degradations); the
// default is the clock's time at creation.
func WithOrigin(t time.Time) Option { return func(c *config) { c.origin = t } }

// WithInsertion sets when the module was inserted (default: the origin).
// Its state machine runs from then; before then it is absent.
func WithInsertion(t time.Time) Option { return func(c *config) { c.insertion = t } }

// WithTimings sets the state-machine durations.
func WithTimings(t Timings) Option { return func(c *config) { c.timings = t } }

// WithFreezeDelay sets how long after a VDM freeze (or unfreeze) request
// FreezeDone (UnfreezeDone) is set (default 5 ms of clock time).
func WithFreezeDelay(d time.Duration) Option { return func(c *config) { c.freezeDelay = d } }

// WithUpdateInterval sets the module's internal update period: monitors,
// flags and VDM statistics change at most this often (default 100 ms).
func WithUpdateInterval(d time.Duration) Option { return func(c *config) { c.update = d } }

// WithLoad sets the initial load factor (0 idle to 1 full; default 0.5);
// see Module.SetLoad.
func WithLoad(f float64) Option { return func(c *config) { c.load = clampLoad(f) } }

// WithFaults adds faults.
func WithFaults(f ...Fault) Option {
	return func(c *config) { c.faults = append(c.faults, f...) }
}

// WithDegradations adds scripted degradations.
func WithDegradations(d ...Degradation) Option {
	return func(c *config) { c.degradations = append(c.degradations, d...) }
}

// WithLaserSource links an optical engine (npo-3.2t) to the ELSFP that
// feeds it: its VDM "ELS input power" and its Tx power follow the ELSFP's
// laser output (laser ⌊lane·lasers/lanes⌋ feeds lane), including the
// ELSFP's own faults and degradations.
func WithLaserSource(els *Module) Option { return func(c *config) { c.laserSource = els } }

// WithLaserFeeds says which laser of the laser source (WithLaserSource)
// lights which of the engine's lanes; a lane no feed names gets no light.
// Without it the lasers light equal shares of the lanes in order.
func WithLaserFeeds(feeds ...LaserFeed) Option {
	return func(c *config) { c.laserFeeds = append([]LaserFeed(nil), feeds...) }
}

// WithPacing makes a platform's buses sleep each transaction's wire time
// (see Bus.SetPacing). Modules ignore it.
func WithPacing(sleep func(time.Duration)) Option { return func(c *config) { c.pacing = sleep } }

func clampLoad(f float64) float64 {
	if !(f >= 0) {
		return 0
	}
	if f > 1 {
		return 1
	}
	return f
}

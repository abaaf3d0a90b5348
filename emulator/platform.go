package emulator

import (
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/internal/fileerr"
	"github.com/ddm-agent/ddm/topology"
)

// Platform is a whole switch: root I²C adapters, the mux channels the
// kernel exposes as buses of their own, and modules in the ports, with
// their scenarios. Load one from YAML (LoadPlatform, ParsePlatform) or use
// DefaultPlatform.
type Platform struct {
	name      string
	clk       Clock
	buses     map[string]*Bus
	ports     []PortSpec
	modules   map[string]*Module
	scenarios []Scenario

	pinMu sync.Mutex
	pins  map[string]*IntLPin // the GPIOs asked for so far (intl.go)
}

// BusSpec describes a root adapter and the muxes on it.
type BusSpec struct {
	Name  string
	Speed physic.Frequency
	Muxes []MuxSpec
	line  int
}

// MuxSpec is a PCA9548 at Address whose channels appear as the named buses
// (channel 0 first).
type MuxSpec struct {
	Address  uint16
	Channels []string
	line     int
}

// PortSpec is a cage (or an on-board engine): where its module answers and
// what it is.
type PortSpec struct {
	Name    string
	Bus     string
	Address uint16
	// Profile is a built-in profile name or "file:PATH"; empty with Absent.
	Profile string
	// LaserSource names the ELSFP port feeding this optical engine, and
	// Lasers which of its lasers feed which of the engine's lanes (none:
	// the lasers in order, each feeding an equal share of the lanes).
	LaserSource string
	Lasers      []LaserFeed
	// Absent: an empty cage; nothing answers at Address.
	Absent bool
	Serial string
	line   int
}

// LaserFeed says that laser Laser (1-based) of the engine's laser source
// feeds lanes Lanes (global, 1-based), which carry switch port Port.
type LaserFeed struct {
	Laser int
	Lanes []int
	Port  string
	line  int
}

// Scenario is a fault or degradation of one port's module. Kind is a
// FaultKind or a DegradationKind; times are relative to the platform's
// start (its origin).
type Scenario struct {
	Port     string
	Kind     string
	Lane     int
	Start    time.Duration
	Duration time.Duration
	Every    time.Duration
	Rate     float64
	Target   float64
	Pages    []uint8
	Delay    time.Duration
	line     int
}

// fault returns the scenario as a Fault if it is one.
func (s Scenario) fault() (Fault, bool) {
	switch k := FaultKind(s.Kind); k {
	case FaultNACK, FaultBusy, FaultUnplug, FaultRefusedPages, FaultCorrupt, FaultSlowFreeze, FaultFiberCut, FaultModule:
		return Fault{Kind: k, Window: Window{Start: s.Start, Duration: s.Duration, Every: s.Every},
			Rate: s.Rate, Pages: s.Pages, Delay: s.Delay}, true
	case FaultLOSPulses:
		// One lane a scenario line (several lines for several lanes).
		return Fault{Kind: k, Window: Window{Start: s.Start, Duration: s.Duration}, Lanes: []int{s.Lane}}, true
	}
	return Fault{}, false
}

func (s Scenario) degradation() (Degradation, bool) {
	switch k := DegradationKind(s.Kind); k {
	case TxFade, RxFade, BERRamp, TempRunaway, LaserAgeing, HostErrors, LaserFault:
		return Degradation{Kind: k, Lane: s.Lane, Start: s.Start, Duration: s.Duration, Rate: s.Rate, Target: s.Target}, true
	}
	return Degradation{}, false
}

// platformSpec is a whole platform description, from YAML or from code.
type platformSpec struct {
	Name      string
	Buses     []BusSpec
	Ports     []PortSpec
	Scenarios []Scenario
	dir       string // for relative file: profiles
}

// Name returns the platform's name.
func (p *Platform) Name() string { return p.name }

// Clock returns the platform's clock.
func (p *Platform) Clock() Clock { return p.clk }

// Buses returns every bus, root adapters and mux channels, by name.
func (p *Platform) Buses() map[string]*Bus {
	m := make(map[string]*Bus, len(p.buses))
	for k, v := range p.buses {
		m[k] = v
	}
	return m
}

// Ports returns the ports in the order they were described.
func (p *Platform) Ports() []PortSpec { return append([]PortSpec(nil), p.ports...) }

// Module returns the module in a port, or nil for an empty or unknown port.
func (p *Platform) Module(port string) *Module { return p.modules[port] }

// Scenarios returns the scenarios.
func (p *Platform) Scenarios() []Scenario { return append([]Scenario(nil), p.scenarios...) }

// PlatformError is an error in a platform description, with the line (of
// the YAML file) it is about; Line is 0 when there is no line.
type PlatformError = fileerr.Error

// Platform size limits (a switch has at most a few hundred ports).
const (
	maxBuses     = 1024
	maxPorts     = 4096
	maxScenarios = 4096
)

// portSeed derives a port's seed from the platform seed and its name.
func portSeed(seed uint64, port string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(port))
	return mix(seed ^ h.Sum64())
}

// build checks spec and makes the platform; errors name the line.
func build(file string, spec *platformSpec, opts []Option) (*Platform, error) {
	fail := func(line int, format string, args ...any) error {
		return &PlatformError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	base := newConfig(opts)
	p := &Platform{name: spec.Name, clk: base.clk, buses: map[string]*Bus{}, modules: map[string]*Module{}}
	if err := p.makeBuses(spec, base, fail); err != nil {
		return nil, err
	}
	byName := map[string]*PortSpec{}
	used := map[string]int{} // bus and address -> line
	for i := range spec.Ports {
		ps := &spec.Ports[i]
		if err := p.checkPort(ps, byName, used, fail); err != nil {
			return nil, err
		}
	}
	perPort := map[string][]Option{}
	for _, sc := range spec.Scenarios {
		if byName[sc.Port] == nil {
			return nil, fail(sc.line, "scenario for unknown port %q", sc.Port)
		}
		if f, ok := sc.fault(); ok {
			if err := f.Validate(); err != nil {
				return nil, fail(sc.line, "port %s: %v", sc.Port, err)
			}
			perPort[sc.Port] = append(perPort[sc.Port], WithFaults(f))
		} else if d, ok := sc.degradation(); ok {
			if err := d.Validate(); err != nil {
				return nil, fail(sc.line, "port %s: %v", sc.Port, err)
			}
			perPort[sc.Port] = append(perPort[sc.Port], WithDegradations(d))
		} else {
			return nil, fail(sc.line, "unknown scenario kind %q", sc.Kind)
		}
		p.scenarios = append(p.scenarios, sc)
	}
	// Laser sources first: engines link to them.
	for pass := 0; pass < 2; pass++ {
		for i := range spec.Ports {
			ps := &spec.Ports[i]
			if ps.Absent || (ps.LaserSource != "") != (pass == 1) {
				continue
			}
			if err := p.makeModule(ps, spec.dir, base, opts, perPort[ps.Name], fail); err != nil {
				return nil, err
			}
		}
	}
	p.ports = spec.Ports
	return p, nil
}

func (p *Platform) makeBuses(spec *platformSpec, base config, fail func(int, string, ...any) error) error {
	if len(spec.Buses) > maxBuses {
		return fail(0, "%d buses (at most %d)", len(spec.Buses), maxBuses)
	}
	for _, bs := range spec.Buses {
		if bs.Name == "" {
			return fail(bs.line, "bus without a name")
		}
		if p.buses[bs.Name] != nil {
			return fail(bs.line, "bus %q defined twice", bs.Name)
		}
		if bs.Speed < 0 || bs.Speed > 5*physic.MegaHertz {
			return fail(bs.line, "bus %s: speed %s out of range (0, 5 MHz]", bs.Name, bs.Speed)
		}
		root := NewBus(bs.Name, bs.Speed, base.clk)
		root.SetPacing(base.pacing)
		p.buses[bs.Name] = root
		for _, ms := range bs.Muxes {
			for _, n := range ms.Channels {
				if p.buses[n] != nil || n == "" {
					return fail(ms.line, "mux channel bus %q is empty or defined twice", n)
				}
			}
			chans, err := root.AddMux(ms.Address, ms.Channels...)
			if err != nil {
				return fail(ms.line, "%v", err)
			}
			for _, c := range chans {
				p.buses[c.String()] = c
			}
			if len(p.buses) > maxBuses*MaxMuxChannels {
				return fail(ms.line, "too many buses")
			}
		}
	}
	return nil
}

func (p *Platform) checkPort(ps *PortSpec, byName map[string]*PortSpec, used map[string]int, fail func(int, string, ...any) error) error {
	switch {
	case len(byName) >= maxPorts:
		return fail(ps.line, "more than %d ports", maxPorts)
	case ps.Name == "":
		return fail(ps.line, "port without a name")
	case byName[ps.Name] != nil:
		return fail(ps.line, "port %q defined twice (first on line %d)", ps.Name, byName[ps.Name].line)
	case p.buses[ps.Bus] == nil:
		return fail(ps.line, "port %s: unknown bus %q", ps.Name, ps.Bus)
	case ps.Address == 0 || ps.Address >= 0x7F:
		return fail(ps.line, "port %s: address %#02x is not a 7-bit device address", ps.Name, ps.Address)
	case ps.Absent && (ps.Profile != "" || ps.LaserSource != "" || len(ps.Lasers) > 0):
		return fail(ps.line, "port %s: an absent port has no profile or laser source", ps.Name)
	case !ps.Absent && ps.Profile == "":
		return fail(ps.line, "port %s: no profile (use absent: true for an empty cage)", ps.Name)
	}
	if !ps.Absent && !strings.HasPrefix(ps.Profile, FilePrefix) {
		if _, ok := LookupProfile(ps.Profile); !ok {
			return fail(ps.line, "port %s: unknown profile %q (have %s, or file:PATH)", ps.Name, ps.Profile, strings.Join(Profiles(), ", "))
		}
	}
	addrs := []uint16{ps.Address}
	if pr, ok := LookupProfile(ps.Profile); ok && pr.Spec == SpecSFF8472 {
		addrs = append(addrs, ps.Address+1)
	}
	for _, a := range addrs {
		key := fmt.Sprintf("%s@%#02x", ps.Bus, a)
		if line, dup := used[key]; dup {
			return fail(ps.line, "port %s: bus %s address %#02x already used (line %d)", ps.Name, ps.Bus, a, line)
		}
		if p.buses[ps.Bus].hasDevice(a) {
			return fail(ps.line, "port %s: bus %s address %#02x is a mux", ps.Name, ps.Bus, a)
		}
		used[key] = ps.line
	}
	byName[ps.Name] = ps
	return nil
}

func (p *Platform) makeModule(ps *PortSpec, dir string, base config, opts, extra []Option, fail func(int, string, ...any) error) error {
	o := append(append([]Option(nil), opts...),
		WithClock(base.clk), WithOrigin(base.origin), WithInsertion(base.insertion),
		WithSeed(portSeed(base.seed, ps.Name)), WithAddress(ps.Address))
	if ps.Serial != "" {
		o = append(o, WithSerial(ps.Serial))
	}
	if ps.LaserSource != "" {
		els := p.modules[ps.LaserSource]
		if els == nil || els.md == nil || els.md.p.Lasers == 0 {
			return fail(ps.line, "port %s: laser_source %q is not an ELSFP port", ps.Name, ps.LaserSource)
		}
		o = append(o, WithLaserSource(els))
		if len(ps.Lasers) > 0 {
			if err := checkFeeds(ps, els.md.p.Lasers, fail); err != nil {
				return err
			}
			o = append(o, WithLaserFeeds(ps.Lasers...))
		}
	} else if len(ps.Lasers) > 0 {
		return fail(ps.Lasers[0].line, "port %s: lasers without a laser_source", ps.Name)
	}
	o = append(o, extra...)
	profile := ps.Profile
	if path, ok := strings.CutPrefix(profile, FilePrefix); ok && !filepath.IsAbs(path) && dir != "" {
		profile = FilePrefix + filepath.Join(dir, path)
	}
	m, err := NewModule(profile, o...)
	if err != nil {
		return fail(ps.line, "port %s: %v", ps.Name, err)
	}
	m.AttachTo(p.buses[ps.Bus])
	p.modules[ps.Name] = m
	return nil
}

// hasDevice reports whether something answers at addr.
func (b *Bus) hasDevice(addr uint16) bool {
	b.w.mu.Lock()
	defer b.w.mu.Unlock()
	return b.devices[addr] != nil
}

// checkFeeds checks an engine's lasers against its source's laser count:
// each laser exists and no lane is fed twice.
func checkFeeds(ps *PortSpec, lasers int, fail func(int, string, ...any) error) error {
	fed := map[int]int{}
	for _, f := range ps.Lasers {
		if f.Laser < 1 || f.Laser > lasers {
			return fail(f.line, "port %s: laser %d: %s has lasers 1-%d", ps.Name, f.Laser, ps.LaserSource, lasers)
		}
		for _, l := range f.Lanes {
			if prev, dup := fed[l]; dup {
				return fail(f.line, "port %s: lane %d is fed by lasers %d and %d", ps.Name, l, prev, f.Laser)
			}
			fed[l] = f.Laser
		}
	}
	return nil
}

// Topology returns which laser of which laser source feeds which engine
// lanes and ports: each engine's lasers, or where it names none, the
// source's lasers in order, each feeding an equal share of its lanes (as
// the emulator lights them).
func (p *Platform) Topology() *topology.Map {
	m := &topology.Map{}
	for _, ps := range p.ports {
		if ps.LaserSource == "" || ps.Absent {
			continue
		}
		if len(ps.Lasers) > 0 {
			for _, f := range ps.Lasers {
				m.Feeds = append(m.Feeds, topology.Feed{Source: ps.LaserSource, Laser: f.Laser, Engine: ps.Name,
					Lanes: append([]int(nil), f.Lanes...), Port: f.Port})
			}
			continue
		}
		eng, els := p.modules[ps.Name], p.modules[ps.LaserSource]
		if eng == nil || els == nil || eng.md == nil || els.md == nil {
			continue
		}
		lanes, lasers := eng.md.p.Lanes, els.md.p.Lasers
		byLaser := map[int][]int{}
		for i := 0; i < lanes; i++ {
			byLaser[defaultLaser(i, lasers, lanes)] = append(byLaser[defaultLaser(i, lasers, lanes)], i+1)
		}
		for l := 0; l < lasers; l++ {
			if len(byLaser[l]) > 0 {
				m.Feeds = append(m.Feeds, topology.Feed{Source: ps.LaserSource, Laser: l + 1, Engine: ps.Name, Lanes: byLaser[l]})
			}
		}
	}
	if len(m.Feeds) == 0 {
		return nil
	}
	return m
}

// defaultLaser is the laser (0-based) lighting engine lane i (0-based)
// when the platform names none: each laser an equal share, in order.
func defaultLaser(i, lasers, lanes int) int { return i * lasers / max(lanes, 1) }

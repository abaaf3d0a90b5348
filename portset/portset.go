package portset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/host/v3"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/topology"
)

// Port is an opened port: what the agent reads, and the pager it shares
// with the other ports of its bus (nil for the file and netlink
// transports).
type Port struct {
	agent.Port
	Pager *i2c.Pager
}

// Set is a set of opened ports and what to close when done.
type Set struct {
	Ports []Port
	// Platform is the emulated platform, when the ports are emulated.
	Platform *emulator.Platform
	// ConfigTopology is the configuration's optical topology, if it has
	// one.
	ConfigTopology *topology.Map
	// GPIO finds a port's interrupt pin by name (nil: periph's registry,
	// gpioreg.ByName, after host.Init).
	GPIO    func(name string) (gpio.PinIO, error)
	closers []io.Closer
}

// Close closes what the ports opened (device and sysfs files, netlink
// sockets).
func (s *Set) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// AgentPorts is the ports as the agent takes them.
func (s *Set) AgentPorts() []agent.Port {
	out := make([]agent.Port, len(s.Ports))
	for i, p := range s.Ports {
		out[i] = p.Port
	}
	return out
}

// Topology is the optical topology of the ports (which laser source
// lights which engine lanes): the configuration's or the emulated
// platform's; nil for none.
func (s *Set) Topology() *topology.Map {
	switch {
	case s == nil:
		return nil
	case s.ConfigTopology != nil:
		return s.ConfigTopology
	case s.Platform != nil:
		return s.Platform.Topology()
	}
	return nil
}

// Names lists the ports' names, in order.
func (s *Set) Names() []string {
	out := make([]string, len(s.Ports))
	for i, p := range s.Ports {
		out[i] = p.Name
	}
	return out
}

// Open opens the ports of a configuration: the emulated platform it names
// (Config.Emulate, at the given bus speed), else its ports and their
// optical topology. On error
// nothing is left open.
func Open(cfg *config.Config, speed physic.Frequency) (*Set, error) {
	if cfg.Emulate != "" {
		s, err := OpenEmulated(cfg.Emulate, speed)
		if err != nil {
			return nil, err
		}
		if err := s.WireInterrupts(cfg.Ports); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	s := &Set{}
	for _, p := range cfg.Ports {
		if err := s.OpenPort(p); err != nil {
			s.Close()
			return nil, err
		}
	}
	topo, err := cfg.Topology()
	if err != nil {
		s.Close()
		return nil, err
	}
	s.ConfigTopology = topo
	return s, nil
}

// OpenPort adds one configured port to the set, with its interrupt pin
// when it has one. An error names the port's line in the configuration
// file (its interrupt key's, for the pin).
func (s *Set) OpenPort(p config.Port) error {
	if err := s.openTransport(p); err != nil {
		return p.Err(err)
	}
	return s.wireInterrupt(len(s.Ports)-1, p)
}

// WireInterrupts wires the interrupt pins of an emulated switch's ports as
// the configuration's port entries without a transport name them (with
// emulate:, a port entry names a port of the emulated switch and says
// where its IntL is wired: `interrupt: gpio IntL-Ethernet1/5`).
func (s *Set) WireInterrupts(ports []config.Port) error {
	for _, p := range ports {
		if p.Transport != "" {
			continue
		}
		i := slices.IndexFunc(s.Ports, func(o Port) bool { return o.Name == p.Name })
		if i < 0 {
			return p.Err(fmt.Errorf("port %s: not a port of the emulated switch (%s)", p.Name, strings.Join(s.Names(), ", ")))
		}
		if err := s.wireInterrupt(i, p); err != nil {
			return err
		}
	}
	return nil
}

// wireInterrupt gives s.Ports[i] the interrupt pin p names, if any: from
// s.GPIO, else the emulated platform's GPIOs, else periph's registry. An
// error names the interrupt key's line in the configuration file.
func (s *Set) wireInterrupt(i int, p config.Port) error {
	name := p.InterruptGPIO()
	if name == "" {
		return nil
	}
	lookup := s.GPIO
	switch {
	case lookup == nil && s.Platform != nil:
		lookup = func(name string) (gpio.PinIO, error) {
			pin, err := s.Platform.GPIO(name)
			if err != nil {
				return nil, err
			}
			return pin, nil
		}
	case lookup == nil:
		lookup = periphGPIO
	}
	pin, err := lookup(name)
	if err == nil && pin == nil {
		err = errors.New("no such GPIO")
	}
	if err == nil {
		// IntL is active low: it falls when the module latches a flag.
		err = pin.In(gpio.PullUp, gpio.FallingEdge)
	}
	if err != nil {
		return p.InterruptErr(fmt.Errorf("port %s: interrupt gpio %s: %w", p.Name, name, err))
	}
	s.Ports[i].Interrupt = pin
	return nil
}

// periphGPIO looks a GPIO up in periph's registry, once its host drivers
// are loaded.
func periphGPIO(name string) (gpio.PinIO, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("loading periph's host drivers: %w", err)
	}
	return gpioreg.ByName(name), nil
}

func (s *Set) openTransport(p config.Port) error {
	switch p.Transport {
	case "i2c":
		return s.openI2C(p)
	case "optoe":
		m, err := i2c.OpenOptoe(p.Path, i2c.OptoeOptions{})
		if err != nil {
			return fmt.Errorf("port %s: %w", p.Name, err)
		}
		s.closers = append(s.closers, m)
		s.Ports = append(s.Ports, Port{Port: agent.Port{Name: p.Name, Bus: "optoe:" + p.Path, Addr: uint8(p.Address), Mem: m}})
	case "netlink":
		m, err := i2c.OpenNetlink(p.Interface)
		if err != nil {
			return fmt.Errorf("port %s: %w", p.Name, err)
		}
		s.closers = append(s.closers, m)
		s.Ports = append(s.Ports, Port{Port: agent.Port{Name: p.Name, Bus: "netlink:" + p.Interface, Addr: uint8(p.Address), Mem: m, NoFreeze: true}})
	default:
		return fmt.Errorf("port %s: unknown transport %q", p.Name, p.Transport)
	}
	return nil
}

// openI2C opens /dev/i2c-N once per bus number; ports on the same bus
// share its pager.
func (s *Set) openI2C(p config.Port) error {
	busName := fmt.Sprintf("/dev/i2c-%d", p.Bus)
	var pager *i2c.Pager
	for _, o := range s.Ports {
		if o.Bus == busName {
			pager = o.Pager
		}
	}
	if pager == nil {
		bus, err := i2c.OpenI2CDev(p.Bus)
		if err != nil {
			return fmt.Errorf("port %s: %w", p.Name, err)
		}
		s.closers = append(s.closers, bus)
		pager = i2c.NewPager(bus, i2c.PagerOptions{Shared: p.Shared})
	}
	s.Ports = append(s.Ports, pagerPort(p.Name, busName, uint8(p.Address), pager))
	return nil
}

func pagerPort(name, bus string, addr uint8, pager *i2c.Pager) Port {
	return Port{Pager: pager, Port: agent.Port{Name: name, Bus: bus, Addr: addr, Mem: pager.Module(addr),
		Forget: func() { pager.Forget(addr) }}}
}

// EmulatorUpdate is how often emulated modules update their monitors:
// real modules refresh theirs every 100 ms to 1 s, and the emulator's
// dynamics cost CPU per update, which counts against the agent in the
// whole-process benchmark.
const EmulatorUpdate = time.Second

// EmulatorOptions are the options of running emulated modules on clk
// (the real clock for ddm, a virtual one for the soak): inserted an hour
// before start (warm and ModuleReady), their scenarios starting at start,
// monitors updated every EmulatorUpdate.
func EmulatorOptions(clk emulator.Clock, start time.Time) []emulator.Option {
	return []emulator.Option{emulator.WithClock(clk), emulator.WithOrigin(start),
		emulator.WithInsertion(start.Add(-time.Hour)), emulator.WithUpdateInterval(EmulatorUpdate)}
}

// OpenEmulated opens an emulated profile (one module), a platform file,
// or the default platform ("default"), live (EmulatorOptions).
func OpenEmulated(what string, speed physic.Frequency) (*Set, error) {
	pl, err := Platform(what, speed, EmulatorOptions(emulator.RealClock{}, time.Now()))
	if err != nil {
		return nil, err
	}
	return OnPlatform(pl, i2c.PagerOptions{})
}

// OnPlatform opens the ports of an emulated platform: one pager per
// channel bus (with the given options: a virtual clock's run skips the
// retry waits), the root adapter as the agent's bus (mux channels share
// their wire: one worker polls them all, in turn, as the wire allows).
func OnPlatform(pl *emulator.Platform, po i2c.PagerOptions) (*Set, error) {
	s := &Set{Platform: pl}
	pagers := map[string]*i2c.Pager{}
	for _, p := range pl.Ports() {
		bus := pl.Buses()[p.Bus]
		if bus == nil {
			return nil, fmt.Errorf("emulator: port %s names unknown bus %q", p.Name, p.Bus)
		}
		if pagers[p.Bus] == nil {
			pagers[p.Bus] = i2c.NewPager(bus, po)
		}
		s.Ports = append(s.Ports, pagerPort(p.Name, bus.Root().String(), uint8(p.Address), pagers[p.Bus]))
	}
	return s, nil
}

// Platform builds an emulated platform: a profile name (one port on its
// own bus at the given speed), "default" (the 64-port switch), or a
// platform file.
func Platform(what string, speed physic.Frequency, opts []emulator.Option) (*emulator.Platform, error) {
	if _, ok := emulator.LookupProfile(what); ok || strings.HasPrefix(what, emulator.FilePrefix) {
		yaml := fmt.Sprintf("name: %s\nbuses:\n  - {name: %q, speed: %dkHz}\nports:\n  - {name: %q, bus: %q, profile: %q}\n",
			what, "emu-"+what, speed/physic.KiloHertz, what, "emu-"+what, what)
		return emulator.ParsePlatform("profile "+what, []byte(yaml), opts...)
	}
	if what == "default" {
		return emulator.DefaultPlatform(opts...), nil
	}
	if _, err := os.Stat(what); err != nil {
		return nil, fmt.Errorf("--emulate %q: not a profile (%s) nor a platform file: %w", what, strings.Join(emulator.Profiles(), ", "), err)
	}
	return emulator.LoadPlatform(what, opts...)
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/topology"
)

// portFlags are the flags `ddm dump` and `ddm run` share to name modules:
// a configuration file, single-port shortcuts for the three transports,
// or the emulator.
type portFlags struct {
	config  string
	emulate string
	i2cBus  int
	address int
	optoe   string
	netlink string
	busKHz  int
	// afterEmulate is the argument that followed a space-form --emulate
	// and was not taken as its value (see positional).
	afterEmulate string
}

func (f *portFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.config, "config", "c", "", "configuration file (ports, cadences, sinks)")
	fs.StringVar(&f.emulate, "emulate", "", "use the emulator: a profile name, a platform YAML file, or 'default' (the 64-port switch)")
	fs.Lookup("emulate").NoOptDefVal = "default"
	fs.IntVar(&f.i2cBus, "i2c-bus", -1, "read one module on /dev/i2c-N")
	fs.IntVar(&f.address, "address", 0x50, "device address with --i2c-bus")
	fs.Lookup("address").DefValue = "0x50" // as I²C addresses are written, not 80
	fs.StringVar(&f.optoe, "optoe", "", "read one module through an optoe sysfs eeprom file")
	fs.StringVar(&f.netlink, "netlink", "", "read one NIC module through ethtool netlink (interface name)")
	fs.IntVar(&f.busKHz, "bus-khz", 400, "emulated bus speed in kHz (100, 400 or 1000)")
}

// positional returns the command's positional arguments, given the
// command line the flags were parsed from. `--emulate X` with a space
// parses as --emulate (the default platform) and X as an argument, since
// --emulate's value is optional: when X names a profile or a platform
// file, it is taken as --emulate's value; otherwise X is remembered, so
// that if it names no port either, the error says why it is not a profile
// (emulateValueError).
func (f *portFlags) positional(fs *pflag.FlagSet, cmdline []string) []string {
	args := fs.Args()
	if f.emulate != "default" || len(args) == 0 {
		return args
	}
	a := args[0]
	_, profile := emulator.LookupProfile(a)
	_, statErr := os.Stat(a)
	isPlatform := statErr == nil && (strings.HasSuffix(a, ".yaml") || strings.HasSuffix(a, ".yml"))
	if profile || strings.HasPrefix(a, "file:") || isPlatform {
		f.emulate = a
		return args[1:]
	}
	for i, w := range cmdline {
		if w == "--" {
			break
		}
		if w == "--emulate" && i+1 < len(cmdline) && cmdline[i+1] == a {
			f.afterEmulate = a
		}
	}
	return args
}

// noArguments checks the command line of a command that takes no
// argument but its flags (run, top): none is left over (one that followed
// --emulate is said not to be an --emulate value), and the flags name
// modules to read.
func (f *portFlags) noArguments(fs *pflag.FlagSet, cmdline []string) error {
	if extra := f.positional(fs, cmdline); len(extra) > 0 {
		if err := f.emulateValueError(extra[0]); err != nil {
			return err
		}
		return fmt.Errorf("unexpected arguments %v", extra)
	}
	if !f.named() {
		return errors.New("no modules to read: use --config FILE (the switch's ports; see systemd/ddm.yaml) or --emulate (the emulated 64-port switch)")
	}
	return nil
}

// emulateValueError is, for the argument that followed a space-form
// --emulate and named no port, why it is not an --emulate value either:
// the same error as --emulate=NAME. It is nil for any other name.
func (f *portFlags) emulateValueError(name string) error {
	if name == "" || name != f.afterEmulate {
		return nil
	}
	_, err := emulatedPlatform(name, physic.Frequency(f.busKHz)*physic.KiloHertz, nil)
	return err
}

// target is an opened port.
type target struct {
	agent.Port
	pager *i2c.Pager // nil for file and netlink transports
}

// targets is a set of opened ports and what to close when done.
type targets struct {
	ports   []target
	closers []io.Closer
	// emulated holds the emulator platform when running on it.
	platform *emulator.Platform
	// cfgTopology is the configuration's optical topology, if it has one.
	cfgTopology *topology.Map
	// emulatedPager configures the pagers of an emulated platform (ddm
	// rules test: NACK backoff on virtual time).
	emulatedPager i2c.PagerOptions
}

// agentPorts lists the ports for agent.New.
func (t *targets) agentPorts() []agent.Port {
	ports := make([]agent.Port, len(t.ports))
	for i, p := range t.ports {
		ports[i] = p.Port
	}
	return ports
}

// topology is the optical topology of the ports: the configuration's or
// the emulated platform's (nil for none).
func (t *targets) topology() *topology.Map {
	switch {
	case t == nil:
		return nil
	case t.cfgTopology != nil:
		return t.cfgTopology
	case t.platform != nil:
		return t.platform.Topology()
	}
	return nil
}

func (t *targets) Close() error {
	for _, c := range t.closers {
		c.Close()
	}
	return nil
}

// single is the one port --i2c-bus, --optoe or --netlink names.
func (f *portFlags) single() (config.Port, bool) {
	switch {
	case f.i2cBus >= 0:
		return config.Port{Name: fmt.Sprintf("i2c-%d", f.i2cBus), Transport: "i2c", Bus: f.i2cBus, Address: config.Hex(f.address)}, true
	case f.optoe != "":
		return config.Port{Name: f.optoe, Transport: "optoe", Path: f.optoe, Address: 0x50}, true
	case f.netlink != "":
		return config.Port{Name: f.netlink, Transport: "netlink", Interface: f.netlink, Address: 0x50}, true
	}
	return config.Port{}, false
}

// named reports whether the flags name any modules to read.
func (f *portFlags) named() bool {
	_, one := f.single()
	return one || f.config != "" || f.emulate != ""
}

// open resolves the flags (and configuration) to ports.
func (f *portFlags) open(cfg *config.Config) (*targets, error) {
	t := &targets{}
	p, one := f.single()
	switch {
	case f.emulate != "":
		return t, t.openEmulated(f.emulate, physic.Frequency(f.busKHz)*physic.KiloHertz)
	case one:
		return t, t.openPort(p)
	case cfg != nil:
		if cfg.Emulate != "" {
			return t, t.openEmulated(cfg.Emulate, physic.Frequency(f.busKHz)*physic.KiloHertz)
		}
		for _, p := range cfg.Ports {
			if err := t.openPort(p); err != nil {
				t.Close()
				return nil, err
			}
		}
		topo, err := cfg.Topology()
		if err != nil {
			t.Close()
			return nil, err
		}
		t.cfgTopology = topo
		return t, nil
	}
	return nil, fmt.Errorf("no modules named: use --config, --emulate, --i2c-bus, --optoe or --netlink")
}

func (t *targets) openPort(p config.Port) error {
	switch p.Transport {
	case "i2c":
		return t.openI2C(p)
	case "optoe":
		m, err := i2c.OpenOptoe(p.Path, i2c.OptoeOptions{})
		if err != nil {
			return fmt.Errorf("port %s: %w", p.Name, err)
		}
		t.closers = append(t.closers, m)
		t.ports = append(t.ports, target{Port: agent.Port{Name: p.Name, Bus: "optoe:" + p.Path, Addr: uint8(p.Address), Mem: m}})
	case "netlink":
		m, err := i2c.OpenNetlink(p.Interface)
		if err != nil {
			return fmt.Errorf("port %s: %w", p.Name, err)
		}
		t.closers = append(t.closers, m)
		t.ports = append(t.ports, target{Port: agent.Port{Name: p.Name, Bus: "netlink:" + p.Interface, Addr: uint8(p.Address), Mem: m, NoFreeze: true}})
	default:
		return fmt.Errorf("port %s: unknown transport %q", p.Name, p.Transport)
	}
	return nil
}

// openI2C opens /dev/i2c-N once per bus number; ports on the same bus
// share its pager.
func (t *targets) openI2C(p config.Port) error {
	busName := fmt.Sprintf("/dev/i2c-%d", p.Bus)
	var pager *i2c.Pager
	for _, o := range t.ports {
		if o.Bus == busName {
			pager = o.pager
		}
	}
	if pager == nil {
		bus, err := i2c.OpenI2CDev(p.Bus)
		if err != nil {
			return fmt.Errorf("port %s: %w", p.Name, err)
		}
		t.closers = append(t.closers, bus)
		pager = i2c.NewPager(bus, i2c.PagerOptions{Shared: p.Shared})
	}
	t.ports = append(t.ports, pagerPort(p.Name, busName, uint8(p.Address), pager))
	return nil
}

func pagerPort(name, bus string, addr uint8, pager *i2c.Pager) target {
	return target{pager: pager, Port: agent.Port{Name: name, Bus: bus, Addr: addr, Mem: pager.Module(addr),
		Forget: func() { pager.Forget(addr) }}}
}

// openEmulated opens an emulated profile (one module), a platform file, or
// the default platform.
func (t *targets) openEmulated(what string, speed physic.Frequency) error {
	pl, err := emulatedPlatform(what, speed, emulatedNow())
	if err != nil {
		return err
	}
	return t.openPlatform(pl)
}

// openPlatform opens the ports of an emulated platform, a pager per bus.
func (t *targets) openPlatform(pl *emulator.Platform) error {
	t.platform = pl
	pagers := map[string]*i2c.Pager{}
	for _, p := range pl.Ports() {
		bus := pl.Buses()[p.Bus]
		if bus == nil {
			return fmt.Errorf("emulator: port %s names unknown bus %q", p.Name, p.Bus)
		}
		if pagers[p.Bus] == nil {
			pagers[p.Bus] = i2c.NewPager(bus, t.emulatedPager)
		}
		// Mux channels share their root adapter's wire: one worker polls
		// them all, in turn, as the wire allows.
		t.ports = append(t.ports, pagerPort(p.Name, bus.Root().String(), uint8(p.Address), pagers[p.Bus]))
	}
	return nil
}

// emulatedNow: emulated modules on the real clock, inserted an hour ago
// (warm and ModuleReady, as on a running switch), their scenarios starting
// now, updating their monitors every second (real modules refresh their
// monitors every 100 ms to 1 s; the emulator's dynamics cost CPU per update,
// which counts against the agent in the whole-process benchmark).
func emulatedNow() []emulator.Option {
	return []emulator.Option{emulator.WithClock(emulator.RealClock{}), emulator.WithInsertion(time.Now().Add(-time.Hour)),
		emulator.WithUpdateInterval(time.Second)}
}

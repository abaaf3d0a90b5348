package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/portset"
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
	_, err := portset.Platform(name, physic.Frequency(f.busKHz)*physic.KiloHertz, nil)
	return err
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
func (f *portFlags) open(cfg *config.Config) (*portset.Set, error) {
	speed := physic.Frequency(f.busKHz) * physic.KiloHertz
	p, one := f.single()
	switch {
	case f.emulate != "":
		s, err := portset.OpenEmulated(f.emulate, speed)
		if err == nil && cfg != nil {
			if err = s.WireInterrupts(cfg.Ports); err != nil {
				s.Close()
				return nil, err
			}
		}
		return s, err
	case one:
		s := &portset.Set{}
		return s, s.OpenPort(p)
	case cfg != nil:
		return portset.Open(cfg, speed)
	}
	return nil, fmt.Errorf("no modules named: use --config, --emulate, --i2c-bus, --optoe or --netlink")
}

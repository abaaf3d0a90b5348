package portset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/emulator"
)

// TestOpenPortInterrupt: a port with `interrupt: gpio NAME` gets that pin,
// set up as an input pulled up with falling edges (IntL is active low); a
// GPIO that does not exist or refuses edges is an error naming the port
// and the pin, and the port is not opened half-way.
func TestOpenPortInterrupt(t *testing.T) {
	eeprom := filepath.Join(t.TempDir(), "eeprom")
	if err := os.WriteFile(eeprom, make([]byte, 256), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(eeprom), "dev_class"), []byte("3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := &gpiotest.Pin{N: "GPIO17", EdgesChan: make(chan gpio.Level)}
	noEdges := &gpiotest.Pin{N: "GPIO18"} // no EdgesChan: In with an edge fails
	lookup := func(name string) (gpio.PinIO, error) {
		switch name {
		case "GPIO17":
			return good, nil
		case "GPIO18":
			return noEdges, nil
		case "GPIO19":
			return nil, errors.New("gpio driver not loaded")
		}
		return nil, nil
	}
	for _, tc := range []struct {
		interrupt, err string
	}{
		{"gpio GPIO17", ""},
		{"", ""},
		{"gpio GPIO99", "port p1: interrupt gpio GPIO99: no such GPIO"},
		{"gpio GPIO18", "port p1: interrupt gpio GPIO18: gpiotest: please set p.EdgesChan first"},
		{"gpio GPIO19", "port p1: interrupt gpio GPIO19: gpio driver not loaded"},
	} {
		s := &Set{GPIO: lookup}
		err := s.OpenPort(config.Port{Name: "p1", Transport: "optoe", Path: eeprom, Address: 0x50, Interrupt: tc.interrupt})
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.interrupt, err, tc.err)
			}
			s.Close()
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.interrupt, err)
		}
		got := s.Ports[0].Interrupt
		switch {
		case tc.interrupt == "" && got != nil:
			t.Errorf("no interrupt configured, got pin %v", got)
		case tc.interrupt != "" && got != gpio.PinIn(good):
			t.Errorf("%q: pin %v, want GPIO17", tc.interrupt, got)
		case tc.interrupt != "" && good.P != gpio.PullUp:
			t.Errorf("%q: pull %v, want up (IntL is open drain, active low)", tc.interrupt, good.P)
		}
		s.Close()
	}
}

// TestConfigInterrupt: the configuration accepts "gpio NAME" and names the
// line of anything else.
func TestConfigInterrupt(t *testing.T) {
	head := "ports:\n  - name: p1\n    transport: optoe\n    path: /x\n"
	if _, err := config.Parse("c.yaml", []byte(head+"    interrupt: gpio GPIO17\n")); err != nil {
		t.Fatal(err)
	}
	_, err := config.Parse("c.yaml", []byte(head+"    interrupt: GPIO17\n"))
	if err == nil || !strings.Contains(err.Error(), `c.yaml:5: port "p1": interrupt "GPIO17": want "gpio NAME"`) {
		t.Errorf("error %v", err)
	}
}

// TestWireEmulatedInterrupts: with emulate, a port entry without a
// transport names a port of the emulated switch and wires its IntL to the
// emulated GPIO it names (IntL-PORT); a port, a GPIO or an IntL that does
// not exist is an error naming them, and nothing stays open.
func TestWireEmulatedInterrupts(t *testing.T) {
	for _, tc := range []struct {
		emulate, yaml, err string
	}{
		{"osfp-800g-dr8", "  - {name: osfp-800g-dr8, interrupt: gpio IntL-osfp-800g-dr8}\n", ""},
		{"qsfp28-100g-lr4", "  - {name: qsfp28-100g-lr4, interrupt: gpio IntL-qsfp28-100g-lr4}\n", ""},
		{"osfp-800g-dr8", "  - {name: Ethernet9, interrupt: gpio IntL-Ethernet9}\n", "port Ethernet9: not a port of the emulated switch (osfp-800g-dr8)"},
		{"osfp-800g-dr8", "  - {name: osfp-800g-dr8, interrupt: gpio GPIO17}\n", `port osfp-800g-dr8: interrupt gpio GPIO17: emulator: no GPIO "GPIO17" on the emulated switch (a cage's IntL is IntL- and its port's name: IntL-osfp-800g-dr8)`},
		{"sfp28-25g", "  - {name: sfp28-25g, interrupt: gpio IntL-sfp28-25g}\n", "has no IntL (SFF-8472 cages wire Rx_LOS and Tx_Fault, not an interrupt)"},
	} {
		cfg, err := config.Parse("c.yaml", []byte("emulate: "+tc.emulate+"\nports:\n"+tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(cfg, 400*physic.KiloHertz)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.yaml, err)
		}
		pin, ok := s.Ports[0].Interrupt.(*emulator.IntLPin)
		// Low: the module was inserted an hour ago and nobody read the
		// flags its power-up latched.
		if !ok || pin.Name() != "IntL-"+tc.emulate || pin.Read() != gpio.Low {
			t.Errorf("%s: pin %v, want the cage's IntL, low", tc.yaml, s.Ports[0].Interrupt)
		}
		s.Close()
	}
	// Without emulate a port still needs a transport; with it, a port entry
	// without one must say where its IntL is.
	for _, tc := range []struct{ yaml, err string }{
		{"ports:\n  - {name: p1, interrupt: gpio GPIO17}\n", `port "p1": transport missing`},
		{"emulate: default\nports:\n  - {name: Ethernet1/1}\n", `port "Ethernet1/1": with emulate, a port without a transport names a port of the emulated switch to set its interrupt; interrupt missing`},
	} {
		if _, err := config.Parse("c.yaml", []byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.err)
		}
	}
}

// TestInterruptErrorsNameTheLine: opening a configured port's interrupt
// GPIO fails with the configuration file and the interrupt key's line, as
// the configuration's own errors do (a port the emulated switch does not
// have, or a transport that fails to open: the port entry's line). Before, these errors named the port and
// the pin but no line: "port p1: interrupt gpio NOSUCH99: no such GPIO".
func TestInterruptErrorsNameTheLine(t *testing.T) {
	eeprom := filepath.Join(t.TempDir(), "eeprom")
	if err := os.WriteFile(eeprom, make([]byte, 256), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(eeprom), "dev_class"), []byte("3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	optoe := "  - name: p0\n    transport: optoe\n    path: " + eeprom + "\n" +
		"  - name: p1\n    transport: optoe\n    path: " + eeprom + "\n    address: 0x50\n    interrupt: gpio NOSUCH99\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown pin", "ports:\n" + optoe,
			"c.yaml:9: port p1: interrupt gpio NOSUCH99: no such GPIO"},
		{"transport that fails", "ports:\n  - name: p0\n    transport: optoe\n    path: " + eeprom + "-missing\n",
			"c.yaml:2: port p0: "},
		{"unknown emulated pin", "emulate: osfp-800g-dr8\n\nports:\n  - name: osfp-800g-dr8\n    interrupt: gpio GPIO17\n",
			`c.yaml:5: port osfp-800g-dr8: interrupt gpio GPIO17: emulator: no GPIO "GPIO17" on the emulated switch`},
		{"emulated port without IntL", "emulate: sfp28-25g\nports:\n  - {name: sfp28-25g, interrupt: gpio IntL-sfp28-25g}\n",
			"c.yaml:3: port sfp28-25g: interrupt gpio IntL-sfp28-25g: emulator: "},
		{"unknown emulated port", "emulate: osfp-800g-dr8\nports:\n  - name: osfp-800g-dr8\n    interrupt: gpio IntL-osfp-800g-dr8\n  - name: Ethernet9\n    interrupt: gpio IntL-Ethernet9\n",
			"c.yaml:5: port Ethernet9: not a port of the emulated switch (osfp-800g-dr8)"},
	} {
		cfg, err := config.Parse("c.yaml", []byte(tc.yaml))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		s, err := Open(cfg, 400*physic.KiloHertz)
		if err == nil {
			s.Close()
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to begin %q", tc.name, err, tc.want)
		}
		var fe *config.Error
		if !errors.As(err, &fe) || fe.File != "c.yaml" {
			t.Errorf("%s: error %v is not a config.Error of c.yaml", tc.name, err)
		}
	}
}

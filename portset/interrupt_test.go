package portset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/ddm-agent/ddm/config"
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
	if err == nil || !strings.Contains(err.Error(), `c.yaml:2: port "p1": interrupt "GPIO17": want "gpio NAME"`) {
		t.Errorf("error %v", err)
	}
}

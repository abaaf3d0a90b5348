package config

import (
	"strings"
	"testing"
)

// TestInterruptRefusesNonsense: an interrupt that is not "gpio NAME", or a
// pin already given to another port, is refused at the interrupt key's
// line. Before, the error named the port's line, and two ports on one pin
// passed: each port's goroutine waits for the pin's edges and an edge wakes
// only one of them, so the other module's flags waited for the timer that
// interrupt mode turns off.
func TestInterruptRefusesNonsense(t *testing.T) {
	port := func(name, extra string) string {
		return "  - name: " + name + "\n    transport: optoe\n    path: /sys/bus/i2c/devices/10-0050/eeprom\n" + extra
	}
	for _, tc := range []struct{ name, text, want string }{
		{"no pin name", "ports:\n" + port("p1", "    interrupt: gpio\n"), `c.yaml:5: port "p1": interrupt "gpio": want "gpio NAME"`},
		{"not gpio", "ports:\n" + port("p1", "    interrupt: GPIO17\n"), `c.yaml:5: port "p1": interrupt "GPIO17": want "gpio NAME"`},
		{"two names", "ports:\n" + port("p1", "    interrupt: gpio A B\n"), `c.yaml:5: port "p1": interrupt "gpio A B"`},
		{"same pin twice", "ports:\n" + port("p1", "    interrupt: gpio GPIO17\n") + port("p2", "    interrupt: gpio GPIO17\n"),
			`c.yaml:9: port "p2": interrupt gpio GPIO17 is port "p1"'s already (line 5)`},
		{"same pin, other spacing", "ports:\n" + port("p1", "    interrupt: gpio  GPIO17\n") + port("p2", "    interrupt: ' gpio GPIO17'\n"),
			`c.yaml:9: port "p2": interrupt gpio GPIO17 is port "p1"'s already (line 5)`},
	} {
		_, err := Parse("c.yaml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	ok := "ports:\n" + port("p1", "    interrupt: gpio GPIO17\n") + port("p2", "    interrupt: gpio GPIO18\n") + port("p3", "")
	if _, err := Parse("c.yaml", []byte(ok)); err != nil {
		t.Errorf("a pin per port: %v", err)
	}
}

package portset

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
)

// TestOnPlatformSharesWires: the default switch's ports are opened with
// one pager per channel bus, and the agent's bus of each is its root
// adapter (mux channels share their wire's worker), in the platform's
// order, with names the agent and the pipeline share.
func TestOnPlatformSharesWires(t *testing.T) {
	pl := emulator.DefaultPlatform(EmulatorOptions(emulator.RealClock{}, time.Now())...)
	s, err := OnPlatform(pl, i2c.PagerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Ports) != len(pl.Ports()) || len(s.AgentPorts()) != len(s.Ports) || len(s.Names()) != len(s.Ports) {
		t.Fatalf("%d ports, %d agent ports, %d names for a platform of %d", len(s.Ports), len(s.AgentPorts()), len(s.Names()), len(pl.Ports()))
	}
	pagerOf := map[string]*i2c.Pager{}
	for i, ps := range pl.Ports() {
		p := s.Ports[i]
		bus := pl.Buses()[ps.Bus]
		if p.Name != ps.Name || s.Names()[i] != ps.Name || p.Bus != bus.Root().String() || p.Addr != uint8(ps.Address) {
			t.Errorf("port %d: %s on %s at %#x, want %s on %s at %#x", i, p.Name, p.Bus, p.Addr, ps.Name, bus.Root(), ps.Address)
		}
		if prev, ok := pagerOf[ps.Bus]; ok && prev != p.Pager {
			t.Errorf("%s: a pager of its own on channel bus %s", p.Name, ps.Bus)
		}
		pagerOf[ps.Bus] = p.Pager
		if p.Mem == nil || p.Forget == nil {
			t.Errorf("%s: no memory or forget", p.Name)
		}
	}
	if s.Platform != pl {
		t.Error("the set does not keep its platform")
	}
}

// TestOpenErrors: what cannot be opened says which port and why, and
// leaves nothing open.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-eeprom")
	cases := []struct {
		name string
		open func() (*Set, error)
		want string
	}{
		{"unknown profile or file", func() (*Set, error) { return OpenEmulated("no-such-profile", 400*physic.KiloHertz) },
			`--emulate "no-such-profile": not a profile`},
		{"unknown transport", func() (*Set, error) {
			return Open(&config.Config{Ports: []config.Port{{Name: "p1", Transport: "carrier-pigeon"}}}, 400*physic.KiloHertz)
		}, `port p1: unknown transport "carrier-pigeon"`},
		{"optoe file missing", func() (*Set, error) {
			return Open(&config.Config{Ports: []config.Port{{Name: "p2", Transport: "optoe", Path: missing, Address: 0x50}}}, 400*physic.KiloHertz)
		}, "port p2: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.open()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want one containing %q", err, c.want)
			}
			if s != nil {
				t.Errorf("a set returned with the error: %+v", s)
			}
		})
	}
}

// TestOpenEmulatedDefault: --emulate (and a configuration's emulate:
// default) opens the 64-port switch, keeping its platform for the optical
// topology.
func TestOpenEmulatedDefault(t *testing.T) {
	s, err := Open(&config.Config{Emulate: "default"}, 400*physic.KiloHertz)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Platform == nil || len(s.Ports) != 64 {
		t.Fatalf("the default platform opened %d ports (platform %v)", len(s.Ports), s.Platform != nil)
	}
}

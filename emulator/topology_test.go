package emulator

import (
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/topology"
)

const npoPlatform = `name: npo-test
buses:
  - {name: i2c-1, speed: 1MHz}
ports:
  - {name: els1, bus: i2c-1, address: 0x50, profile: elsfp}
  - name: npo1
    bus: i2c-1
    address: 0x52
    profile: npo-3.2t
    laser_source: els1
    lasers:
%s
`

// TestPlatformLaserFeeds: the platform file's lasers become the
// topology, and light the engine's lanes as they say.
func TestPlatformLaserFeeds(t *testing.T) {
	yaml := strings.Replace(npoPlatform, "%s", `      - {laser: 1, lanes: 1-4, port: Ethernet2/1}
      - {laser: 3, lanes: "5,6,7,8", port: Ethernet2/2}`, 1)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := NewManualClock(t0)
	p, err := ParsePlatform("npo.yaml", []byte(yaml), WithClock(clk), WithOrigin(t0), WithInsertion(t0.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	m := p.Topology()
	want := []topology.Feed{
		{Source: "els1", Laser: 1, Engine: "npo1", Lanes: []int{1, 2, 3, 4}, Port: "Ethernet2/1"},
		{Source: "els1", Laser: 3, Engine: "npo1", Lanes: []int{5, 6, 7, 8}, Port: "Ethernet2/2"},
	}
	if m == nil || len(m.Feeds) != 2 || m.Feeds[0].Port != want[0].Port || topology.LanesText(m.Feeds[1].Lanes) != "5-8" || m.Feeds[1].Laser != 3 {
		t.Fatalf("topology %+v, want %+v", m, want)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	md := p.Module("npo1").md
	for _, tc := range []struct {
		lane  int // 0-based
		laser int
		lit   bool
	}{{0, 0, true}, {3, 0, true}, {4, 2, true}, {8, 0, false}, {31, 0, false}} {
		laser, lit := md.laserOf(tc.lane)
		if lit != tc.lit || (lit && laser != tc.laser) {
			t.Errorf("lane %d: laser %d lit %v, want %d %v", tc.lane+1, laser, lit, tc.laser, tc.lit)
		}
	}
	if in := md.elsInputDBm(8, t0); in != -40 {
		t.Errorf("an unfed lane gets %v dBm of laser light", in)
	}
}

// TestDefaultPlatformTopology: the default switch's engine is lit by
// els1's 8 lasers, 4 lanes and one port each.
func TestDefaultPlatformTopology(t *testing.T) {
	m := DefaultPlatform().Topology()
	if m == nil || len(m.Feeds) != 8 {
		t.Fatalf("topology %+v", m)
	}
	for i, f := range m.Feeds {
		if f.Source != "els1" || f.Engine != "npo1" || f.Laser != i+1 || topology.LanesText(f.Lanes) != topology.LanesText([]int{4*i + 1, 4*i + 2, 4*i + 3, 4*i + 4}) ||
			f.Port != "Ethernet2/"+string(rune('1'+i)) {
			t.Errorf("feed %d: %+v", i, f)
		}
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}

// TestLaserFault: a laser_fault on an ELSFP laser darkens it (fault bit)
// and the engine lanes it feeds, and no others.
func TestLaserFault(t *testing.T) {
	yaml := strings.Replace(npoPlatform, "%s", `      - {laser: 1, lanes: 1-4}
      - {laser: 2, lanes: 5-8}`, 1) + `scenarios:
  - {port: els1, kind: laser_fault, lane: 2, start: 10s, duration: 20s}
`
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := NewManualClock(t0)
	p, err := ParsePlatform("npo.yaml", []byte(yaml), WithClock(clk), WithOrigin(t0), WithInsertion(t0.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	els, npo := p.Module("els1").md, p.Module("npo1").md
	for _, tc := range []struct {
		at   time.Duration
		dark bool
	}{{5 * time.Second, false}, {15 * time.Second, true}, {35 * time.Second, false}} {
		at := t0.Add(tc.at)
		if got := els.laserPowerMW(1, at) == 0; got != tc.dark {
			t.Errorf("at %v laser 2 dark %v, want %v", tc.at, got, tc.dark)
		}
		if els.laserPowerMW(0, at) == 0 {
			t.Errorf("at %v laser 1 is dark too", tc.at)
		}
		if got := npo.elsInputDBm(5, at) == -40; got != tc.dark {
			t.Errorf("at %v engine lane 6 dark %v, want %v", tc.at, got, tc.dark)
		}
		if npo.elsInputDBm(1, at) == -40 {
			t.Errorf("at %v engine lane 2 (laser 1) is dark", tc.at)
		}
	}
}

// TestPlatformLaserFeedErrors: a wrong lasers entry names its line.
func TestPlatformLaserFeedErrors(t *testing.T) {
	tests := []struct{ lasers, want string }{
		{`      - {laser: 9, lanes: 1-4}`, "npo.yaml:12: port npo1: laser 9: els1 has lasers 1-8"},
		{`      - {laser: 1, lanes: 1-4}
      - {laser: 2, lanes: 4-8}`, "npo.yaml:13: port npo1: lane 4 is fed by lasers 1 and 2"},
		{`      - {laser: 1, lanes: 4-1}`, `npo.yaml:12: port npo1: lanes "4-1": "4-1" is not a range low-high`},
		{`      - {laser: 1}`, "npo.yaml:12: port npo1: a lasers entry needs laser and lanes"},
		{`      - {laser: one, lanes: 1}`, `npo.yaml:12: port npo1: laser "one": want a laser number 1-64`},
		{`      - {laser: 1, lanes: 1, colour: red}`, "colour"},
	}
	for _, tc := range tests {
		_, err := ParsePlatform("npo.yaml", []byte(strings.Replace(npoPlatform, "%s", tc.lasers, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("lasers %q: error %v, want %q", tc.lasers, err, tc.want)
		}
	}
	noSource := `name: x
buses: [{name: i2c-1}]
ports:
  - {name: npo1, bus: i2c-1, profile: npo-3.2t, lasers: [{laser: 1, lanes: 1-4}]}
`
	if _, err := ParsePlatform("x.yaml", []byte(noSource)); err == nil || !strings.Contains(err.Error(), "lasers without a laser_source") {
		t.Errorf("lasers without a source: %v", err)
	}
}

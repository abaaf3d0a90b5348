package emulator

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

// fuzzPlatformSeeds are platform descriptions that parse, and near misses.
var fuzzPlatformSeeds = []string{
	`name: npo
buses: [{name: i2c-1}]
ports:
  - {name: els1, bus: i2c-1, profile: elsfp}
  - {name: npo1, bus: i2c-1, address: 0x52, profile: npo-3.2t, laser_source: els1,
     lasers: [{laser: 1, lanes: 1-4, port: Ethernet2/1}, {laser: 2, lanes: "5,6,7,8"}]}
scenarios:
  - {port: els1, kind: laser_fault, lane: 2, start: 1s, duration: 5s}
`,
	`name: lab
seed: 7
buses:
  - name: i2c-1
    speed: 400kHz
    muxes:
      - address: 0x70
        channels: [i2c-10, i2c-11]
  - name: i2c-2
    muxes:
      - {address: 0x71, first: 20, count: 4}
ports:
  - {name: Ethernet1/1, bus: i2c-10, profile: osfp-800g-dr8}
  - {name: els1, bus: i2c-11, address: 0x50, profile: elsfp}
  - {name: Ethernet1/2, bus: i2c-1, address: 0x52, profile: npo-3.2t, laser_source: els1}
  - {name: Ethernet1/3, bus: i2c-20, absent: true}
  - {name: sfp, bus: i2c-21, profile: sfp28-25g, serial: X1}
  - {name: dump, bus: i2c-22, profile: "file:vector.txt"}
scenarios:
  - {port: Ethernet1/1, kind: ber_ramp, lane: 3, start: 2m, duration: 30m, target: 3e-4}
  - {port: Ethernet1/1, kind: unplug, start: 5m, duration: 30s, every: 10m}
  - {port: sfp, kind: nack, rate: 0.3}
  - {port: els1, kind: refused_pages, pages: [0x1B, 0x20]}
  - {port: dump, kind: corrupt, rate: 1, pages: [0]}
  - {port: Ethernet1/2, kind: slow_freeze, delay: 2s}
  - {port: Ethernet1/1, kind: busy, start: 1s, duration: 1s}
  - {port: Ethernet1/1, kind: temp_runaway, rate: 90, target: 90}
`,
	`buses: [{name: b, speed: 1MHz}]
ports: [{name: p, bus: b, profile: qsfp28-100g-lr4}]
scenarios: [{port: p, kind: rx_fade, lane: 2, rate: 1000}]
`,
	"buses:\n  - &b {name: x}\nports:\n  - {name: p, bus: *b}\n",
	"name: [\n",
	"ports:\n  - {name: p, bus: nowhere, profile: osfp-800g-dr8}\n",
	"scenarios:\n  - {port: p, kind: unplug, every: 1s}\n",
	"",
	"---\n...\n",
}

// FuzzParsePlatform: any platform text either parses into a platform whose
// ports all sit on its buses and answer there, or fails with a
// *PlatformError naming a line of the text; it never panics or hangs.
// "file:" profiles resolve to a bundled vector (or fail), never to the
// path the input names: the fuzzer must not read /dev/zero or a FIFO.
func FuzzParsePlatform(f *testing.F) {
	for _, s := range fuzzPlatformSeeds {
		f.Add([]byte(s))
	}
	vec, err := dumpfile.ReadFile(filepath.Join("..", "testdata", "vectors", "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt"))
	if err != nil {
		f.Fatal(err)
	}
	open := func(path string) (*dumpfile.Dump, error) {
		if strings.Contains(path, "vector") {
			return vec, nil
		}
		return nil, errors.New("no such dump")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return // the parser's own bound is 4 MiB; a large input only slows the fuzzer
		}
		clk := NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		p, err := ParsePlatform("fuzz.yaml", data, WithClock(clk), func(c *config) { c.openDump = open })
		if err != nil {
			var pe *PlatformError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *PlatformError", err, err)
			}
			if lines := yamlLines(data); pe.Line < 0 || pe.Line > lines+1 {
				t.Fatalf("error names line %d of a %d-line text: %v", pe.Line, lines, err)
			}
			return
		}
		buses := p.Buses()
		faulty := map[string]bool{}
		for _, sc := range p.Scenarios() {
			faulty[sc.Port] = true
		}
		for i, ps := range p.Ports() {
			b := buses[ps.Bus]
			if b == nil {
				t.Fatalf("port %s on bus %q, which the platform does not have", ps.Name, ps.Bus)
			}
			m := p.Module(ps.Name)
			if ps.Absent != (m == nil) {
				t.Fatalf("port %s: absent %v, module %v", ps.Name, ps.Absent, m)
			}
			if i >= 16 {
				continue // enough reads per input
			}
			id := make([]byte, 1)
			err := b.Tx(ps.Address, []byte{0}, id)
			switch {
			case ps.Absent && err == nil:
				t.Fatalf("empty port %s answers", ps.Name)
			case !ps.Absent && !faulty[ps.Name] && err != nil:
				t.Fatalf("port %s (no scenario) does not answer at %#x: %v", ps.Name, ps.Address, err)
			}
		}
	})
}

// yamlLines counts lines as the YAML parser does: CR LF, CR and LF end a
// line, and so do NEL, LS and PS (libyaml's breaks).
func yamlLines(data []byte) int {
	s := string(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")))
	n := 1
	for _, r := range s {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}

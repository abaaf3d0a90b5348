package config

import (
	"strings"
	"testing"
)

const npoPorts = `ports:
  - name: els1
    transport: i2c
    bus: 66
  - name: npo1
    transport: i2c
    bus: 65
    laser_source: els1
    lasers:
`

// TestTopology: an engine's laser_source and lasers make the optical
// topology; a wrong one names its port and line.
func TestTopology(t *testing.T) {
	c, err := Parse("c.yaml", []byte(npoPorts+"      - {laser: 1, lanes: 1-4, port: Ethernet2/1}\n      - {laser: 2, lanes: \"5,6,7,8\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Topology()
	if err != nil || m == nil || len(m.Feeds) != 2 || m.Feeds[0].Source != "els1" || m.Feeds[0].Engine != "npo1" ||
		m.Feeds[0].Port != "Ethernet2/1" || len(m.Feeds[1].Lanes) != 4 || m.Feeds[1].Laser != 2 {
		t.Fatalf("topology %+v, %v", m, err)
	}
	tests := []struct{ name, text, want string }{
		{"unknown source", strings.Replace(npoPorts, "laser_source: els1", "laser_source: els9", 1) + "      - {laser: 1, lanes: 1-4}\n",
			`c.yaml:5: port "npo1": laser_source "els9" is not a port of the configuration`},
		{"no lasers", strings.TrimSuffix(npoPorts, "    lasers:\n"), `c.yaml:5: port "npo1": laser_source "els1": list its lasers`},
		{"bad lanes", npoPorts + "      - {laser: 1, lanes: 4-1}\n", `c.yaml:5: port "npo1": laser 1: lanes "4-1": "4-1" is not a range low-high`},
		{"lane twice", npoPorts + "      - {laser: 1, lanes: 1-4}\n      - {laser: 2, lanes: 4-8}\n", "npo1 lane 4 is fed by els1 laser 1 and els1 laser 2"},
		{"laser out of range", npoPorts + "      - {laser: 65, lanes: 1-4}\n", "lasers are 1-64"},
		{"lasers without source", strings.Replace(npoPorts, "    laser_source: els1\n", "", 1) + "      - {laser: 1, lanes: 1-4}\n",
			`c.yaml:5: port "npo1": lasers without a laser_source`},
		{"typo", npoPorts + "      - {laser: 1, lane: 1-4}\n", "lane"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	plain, err := Parse("c.yaml", []byte("ports:\n  - {name: a, transport: i2c}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := plain.Topology(); m != nil || err != nil {
		t.Errorf("a configuration without lasers has topology %+v, %v", m, err)
	}
}

package emulator

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3/physic"
)

// DefaultPlatform returns the built-in 64-port AI-fabric switch described
// in the package documentation: 8 root adapters, each with a PCA9548 whose
// 8 channels are buses i2c-10 to i2c-73, one module a channel, and a few
// lanes and ports misbehaving on a schedule.
func DefaultPlatform(opts ...Option) *Platform {
	p, err := defaultPlatform(opts)
	if err != nil { // cannot happen: the tests build it
		return &Platform{name: "default", clk: newConfig(opts).clk, buses: map[string]*Bus{}, modules: map[string]*Module{}}
	}
	return p
}

func defaultPlatform(opts []Option) (*Platform, error) {
	return build("default platform", defaultSpec(), opts)
}

// defaultSpec lays out the default switch.
func defaultSpec() *platformSpec {
	s := &platformSpec{Name: "ai-fabric-64"}
	speeds := []physic.Frequency{
		physic.MegaHertz, physic.MegaHertz, physic.MegaHertz, physic.MegaHertz, physic.MegaHertz,
		400 * physic.KiloHertz, 400 * physic.KiloHertz, 100 * physic.KiloHertz,
	}
	var channels []string
	for r, sp := range speeds {
		var names []string
		for c := 0; c < MaxMuxChannels; c++ {
			names = append(names, fmt.Sprintf("i2c-%d", 10+MaxMuxChannels*r+c))
		}
		channels = append(channels, names...)
		s.Buses = append(s.Buses, BusSpec{Name: fmt.Sprintf("i2c-%d", r+1), Speed: sp,
			Muxes: []MuxSpec{{Address: 0x70, Channels: names}}})
	}
	port := func(name, profile string) {
		s.Ports = append(s.Ports, PortSpec{Name: name, Bus: channels[len(s.Ports)], Address: 0x50, Profile: profile})
	}
	eth := 1
	front := func(n int, profile string) {
		for i := 0; i < n; i++ {
			port(fmt.Sprintf("Ethernet1/%d", eth), profile)
			eth++
		}
	}
	front(28, "osfp-800g-dr8")         // i2c-10..37
	front(16, "osfp-1.6t-dr8")         // i2c-38..53
	front(8, "qsfpdd-400g-fr4")        // i2c-54..61
	front(1, "osfpxd-1.6t-16")         // i2c-62
	front(2, "osfp-800g-dr8")          // i2c-63, 64
	port("npo1", "npo-3.2t")           // i2c-65
	port("els1", "elsfp")              // i2c-66, on the management bus
	front(4, "qsfp28-100g-lr4")        // i2c-67..70
	front(2, "sfp28-25g")              // i2c-71, 72
	port("mgmt0", "sfp-10g-lr-extcal") // i2c-73
	for i := range s.Ports {
		if s.Ports[i].Name == "npo1" {
			// Each of the ELSFP's 8 lasers lights one 400G-DR4 port's 4
			// lanes of the engine: Ethernet2/1-8.
			s.Ports[i].LaserSource = "els1"
			for l := 1; l <= 8; l++ {
				s.Ports[i].Lasers = append(s.Ports[i].Lasers, LaserFeed{Laser: l,
					Lanes: []int{4*l - 3, 4*l - 2, 4*l - 1, 4 * l}, Port: fmt.Sprintf("Ethernet2/%d", l)})
			}
		}
	}
	// The scenarios unfold within the first minute and a half, so a demo
	// (make demo runs about 80 s) sees each of them reach an alarm: a BER
	// ramp past the KP4 limit, a laser fading below its Tx power alarm, a
	// temperature runaway past the module's high alarm, a module unplugged
	// and re-inserted, and two misbehaving modules (NACKs, refused pages).
	s.Scenarios = []Scenario{
		{Port: "Ethernet1/5", Kind: string(BERRamp), Lane: 3, Start: 0, Duration: 10 * time.Second, Target: 3e-4},
		{Port: "Ethernet1/12", Kind: string(TxFade), Lane: 6, Start: 0, Rate: 2400, Duration: 15 * time.Second},
		{Port: "Ethernet1/30", Kind: string(TempRunaway), Start: 5 * time.Second, Rate: 90, Target: 90},
		{Port: "Ethernet1/20", Kind: string(FaultNACK), Rate: 0.02},
		{Port: "Ethernet1/47", Kind: string(FaultUnplug), Start: 15 * time.Second, Duration: 20 * time.Second, Every: 10 * time.Minute},
		{Port: "Ethernet1/38", Kind: string(FaultRefusedPages), Pages: []uint8{0x21, 0x25, 0x29}},
	}
	return s
}

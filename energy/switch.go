package energy

import (
	"sort"
	"sync"
)

// Switch is the energy of a whole switch's modules.
type Switch struct {
	// Ports is the number of modules counted; Measured and Advertised how
	// many of their powers were measured or advertised maxima.
	Ports      int `json:"ports"`
	Measured   int `json:"measured_ports"`
	Advertised int `json:"advertised_ports"`
	// PowerW is the sum of every module's power (laser sources included),
	// RateGbps the sum of their data rates.
	PowerW   float64 `json:"power_w"`
	RateGbps float64 `json:"data_rate_gbps"`
	// RatedPowerW is the power of the modules that have a data rate.
	RatedPowerW float64 `json:"rated_power_w"`
	// WPerTbps is PowerW over RateGbps: the optics' cost per unit of
	// capacity, laser sources and modules without a known rate included.
	WPerTbps *float64 `json:"w_per_tbps,omitempty"`
	// PJPerBit counts only the modules with both a power and a data rate:
	// the energy per bit of the modules that carry the traffic.
	PJPerBit *float64 `json:"pj_per_bit,omitempty"`
	// NearLimit is the number of modules whose measured power is near
	// their advertised maximum, out of LimitKnown modules that have both;
	// NearLimitShare the fraction.
	NearLimit      int      `json:"near_limit_ports"`
	LimitKnown     int      `json:"limit_known_ports"`
	NearLimitShare *float64 `json:"near_limit_share,omitempty"`
}

// Total sums ports.
func Total(ports []*Port) Switch {
	var s Switch
	var ratedGbps float64
	for _, p := range ports {
		if p == nil {
			continue
		}
		s.Ports++
		if p.PowerW != nil {
			s.PowerW += *p.PowerW
			if p.Basis == Measured {
				s.Measured++
			} else {
				s.Advertised++
			}
		}
		if p.RateKnown {
			s.RateGbps += p.Rate.Gbps
			if p.PowerW != nil {
				s.RatedPowerW += *p.PowerW
				ratedGbps += p.Rate.Gbps
			}
		}
		if p.LoadFraction != nil {
			s.LimitKnown++
			if p.NearLimit {
				s.NearLimit++
			}
		}
	}
	if s.RateGbps > 0 {
		v := s.PowerW / (s.RateGbps / 1000)
		s.WPerTbps = &v
	}
	if ratedGbps > 0 {
		v := PicojoulesPerBit(s.RatedPowerW, ratedGbps)
		s.PJPerBit = &v
	}
	if s.LimitKnown > 0 {
		v := float64(s.NearLimit) / float64(s.LimitKnown)
		s.NearLimitShare = &v
	}
	return s
}

// Part is the total of the modules of one part number.
type Part struct {
	PartNumber string `json:"part_number"`
	Switch
}

// ByPart totals ports per part number, sorted by part number.
func ByPart(ports []*Port) []Part {
	groups := map[string][]*Port{}
	for _, p := range ports {
		if p != nil {
			groups[p.PartNumber] = append(groups[p.PartNumber], p)
		}
	}
	out := make([]Part, 0, len(groups))
	for pn, ps := range groups {
		out = append(out, Part{PartNumber: pn, Switch: Total(ps)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PartNumber < out[j].PartNumber })
	return out
}

// Fleet keeps the last energy view of each port, for totals over a
// switch whose ports are read at different times. It is safe for
// concurrent use.
type Fleet struct {
	mu    sync.Mutex
	ports map[string]*Port
}

// NewFleet returns an empty Fleet.
func NewFleet() *Fleet { return &Fleet{ports: map[string]*Port{}} }

// Set records port's energy view; nil (an empty cage) removes it.
func (f *Fleet) Set(port string, p *Port) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p == nil {
		delete(f.ports, port)
		return
	}
	f.ports[port] = p
}

// Ports returns the recorded views, sorted by port name.
func (f *Fleet) Ports() []*Port {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*Port, 0, len(f.ports))
	for _, p := range f.ports {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Port < out[j].Port })
	return out
}

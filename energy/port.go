package energy

import (
	"github.com/ddm-agent/ddm/cmis"
)

// Basis says where a power figure comes from.
type Basis string

const (
	// Advertised: the module's declared maximum power consumption (CMIS
	// 00h:201, SFF-8636 power class, SFF-8472 power level).
	Advertised Basis = "advertised"
	// Measured: computed from monitors the module reports (an ELSFP's
	// supply current times its supply voltage).
	Measured Basis = "measured"
)

// NearLimitFraction is how close to its advertised maximum a measured
// power must be for the port to count as near its power limit.
const NearLimitFraction = 0.9

// Port is the energy view of one module.
type Port struct {
	Port       string `json:"port,omitempty"`
	PartNumber string `json:"part_number,omitempty"`
	// PowerClass and MaxPowerW are what the module advertises.
	PowerClass int      `json:"power_class,omitempty"`
	MaxPowerW  *float64 `json:"max_power_w,omitempty"`
	// MeasuredW is the power computed from the module's monitors, and
	// MeasuredFrom the monitors it comes from.
	MeasuredW    *float64 `json:"measured_power_w,omitempty"`
	MeasuredFrom string   `json:"measured_from,omitempty"`
	// PowerW is the figure the rest uses: measured when there is one,
	// else the advertised maximum; Basis says which.
	PowerW *float64 `json:"power_w,omitempty"`
	Basis  Basis    `json:"basis,omitempty"`
	// Rate is the data rate of the active application; RateKnown is false
	// (with the reason in Rate.From) when there is none.
	Rate      Rate `json:"data_rate"`
	RateKnown bool `json:"-"`
	// PJPerBit is PowerW over the data rate.
	PJPerBit *float64 `json:"pj_per_bit,omitempty"`
	// LoadFraction is MeasuredW over MaxPowerW; NearLimit is true when it
	// is at least NearLimitFraction.
	LoadFraction *float64 `json:"load_fraction,omitempty"`
	NearLimit    bool     `json:"near_limit,omitempty"`
	// Reference compares the module with the reference ranges of its
	// class, when it has one.
	Reference *Comparison `json:"reference,omitempty"`
}

// ForModule returns the energy view of module m in port. A nil module
// (an empty cage) gives nil.
func ForModule(port string, m *cmis.Module) *Port {
	if m == nil {
		return nil
	}
	p := &Port{Port: port, PartNumber: m.PartNumber, PowerClass: m.PowerClass, MaxPowerW: positive(m.MaxPowerW)}
	if m.VccV != nil && m.SupplyCurrentMA != nil {
		w := *m.VccV * *m.SupplyCurrentMA / 1000
		p.MeasuredW, p.MeasuredFrom = &w, "vcc_v × supply_current_ma"
	}
	switch {
	case p.MeasuredW != nil:
		p.PowerW, p.Basis = p.MeasuredW, Measured
	case p.MaxPowerW != nil:
		p.PowerW, p.Basis = p.MaxPowerW, Advertised
	}
	p.Rate, p.RateKnown = DataRate(m)
	if p.PowerW != nil && p.RateKnown && p.Rate.Gbps > 0 {
		pj := PicojoulesPerBit(*p.PowerW, p.Rate.Gbps)
		p.PJPerBit = &pj
	}
	if p.MeasuredW != nil && p.MaxPowerW != nil {
		f := *p.MeasuredW / *p.MaxPowerW
		p.LoadFraction, p.NearLimit = &f, f >= NearLimitFraction
	}
	p.Reference = Compare(m, p)
	return p
}

// PicojoulesPerBit is watts over Gb/s in pJ/bit: 1 W at 1 Gb/s is 1 nJ/bit.
func PicojoulesPerBit(watts, gbps float64) float64 { return watts / gbps * 1000 }

// positive drops a zero or negative maximum power: a module that leaves
// the byte 0 advertises nothing.
func positive(v *float64) *float64 {
	if v == nil || *v <= 0 {
		return nil
	}
	return v
}

package energy

import (
	"strings"

	"github.com/ddm-agent/ddm/cmis"
)

// Reference is the power range published for a class of optics. The
// ranges are docs/ENERGY.md's table, with their sources there; a test
// keeps the two the same.
type Reference struct {
	Class       string `json:"class"`
	Description string `json:"description"`
	// RateGbps is the data rate the watt range is quoted at; MinW and
	// MaxW the range. MinPJ and MaxPJ are the same range per bit, which is
	// what a module is compared on (for NPO/CPO engines the watts are
	// quoted per 800G-1.6T, so only the per-bit range applies).
	RateGbps   float64 `json:"rate_gbps,omitempty"`
	MinW, MaxW float64 `json:"-"`
	MinPJ      float64 `json:"min_pj_per_bit"`
	MaxPJ      float64 `json:"max_pj_per_bit"`
}

// References is the reference table, in docs/ENERGY.md's order.
func References() []Reference {
	return []Reference{
		{Class: "dsp-800g", Description: "800G pluggable with DSP", RateGbps: 800, MinW: 14, MaxW: 16, MinPJ: 17.5, MaxPJ: 20},
		{Class: "lpo-800g", Description: "800G linear pluggable (LPO)", RateGbps: 800, MinW: 8, MaxW: 9, MinPJ: 10, MaxPJ: 11.25},
		{Class: "dsp-1.6t", Description: "1.6T pluggable with DSP", RateGbps: 1600, MinW: 28, MaxW: 32, MinPJ: 17.5, MaxPJ: 20},
		{Class: "npo-cpo", Description: "near- or co-packaged optical engine, 5-9 W per 800G-1.6T", MinW: 5, MaxW: 9, MinPJ: 5.0 / 1.6, MaxPJ: 9.0 / 0.8},
	}
}

// Verdicts of a comparison.
const (
	Below  = "below"
	Within = "within"
	Above  = "above"
)

// Comparison is a module's energy per bit against its class's range.
type Comparison struct {
	Class   string  `json:"class"`
	MinPJ   float64 `json:"min_pj_per_bit"`
	MaxPJ   float64 `json:"max_pj_per_bit"`
	Verdict string  `json:"verdict"`
}

// Class returns the reference class of m at data rate gbps, or "" when
// the table has none for it: near- or co-packaged engines (SFF-8024
// vendor identifier 80h, as FBOSS and SONiC use it), linear pluggables (a
// LEI host interface or an -LPO media interface), and optical pluggables
// with a DSP at 800G and 1.6T. Copper, active cables, laser sources and
// other rates have no class.
func Class(m *cmis.Module, gbps float64) string {
	if m.IdentifierCode == cmis.IDCPO {
		return "npo-cpo"
	}
	smf := strings.HasSuffix(m.MediaType, "(SMF)")
	if m.Spec != "CMIS" || (!smf && !strings.HasSuffix(m.MediaType, "(MMF)")) {
		return ""
	}
	lpo := false
	for _, a := range activeApps(m) {
		if (a.HostInterfaceID >= 0x20 && a.HostInterfaceID <= 0x23) || (smf && a.MediaID >= 0x8F && a.MediaID <= 0x92) {
			lpo = true
		}
	}
	switch {
	case lpo && gbps == 800:
		return "lpo-800g"
	case lpo:
		return ""
	case gbps == 800:
		return "dsp-800g"
	case gbps == 1600:
		return "dsp-1.6t"
	}
	return ""
}

// activeApps is the applications the active control set names, or the
// first advertised one when there is no active set.
func activeApps(m *cmis.Module) []cmis.Application {
	var out []cmis.Application
	seen := map[uint8]bool{}
	for _, sel := range m.ActiveAppSel {
		if sel == 0 || seen[sel] {
			continue
		}
		seen[sel] = true
		if a := appByAppSel(m, sel); a != nil {
			out = append(out, *a)
		}
	}
	if len(out) == 0 && len(m.Applications) > 0 {
		out = append(out, m.Applications[0])
	}
	return out
}

// Compare places p's energy per bit in the range of m's class; nil when
// there is no class or no energy per bit.
func Compare(m *cmis.Module, p *Port) *Comparison {
	if p.PJPerBit == nil {
		return nil
	}
	class := Class(m, p.Rate.Gbps)
	for _, r := range References() {
		if r.Class != class {
			continue
		}
		c := &Comparison{Class: class, MinPJ: r.MinPJ, MaxPJ: r.MaxPJ, Verdict: Within}
		switch pj := *p.PJPerBit; {
		case pj < r.MinPJ:
			c.Verdict = Below
		case pj > r.MaxPJ:
			c.Verdict = Above
		}
		return c
	}
	return nil
}

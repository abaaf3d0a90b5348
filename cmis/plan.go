package cmis

import "fmt"

// Cadence names a class of reads with its own schedule.
type Cadence int

// Cadences.
const (
	// Static: identity, advertisement, thresholds, VDM descriptors and VDM
	// thresholds. Read at insertion and when state or firmware changes.
	Static Cadence = iota
	// Fast: module monitors, module flags, lane monitors and lane flags.
	Fast
	// VDM: VDM samples and VDM flags (CMIS), read inside a freeze.
	VDM
)

func (c Cadence) String() string {
	switch c {
	case Static:
		return "static"
	case Fast:
		return "fast"
	case VDM:
		return "vdm"
	}
	return fmt.Sprintf("cadence(%d)", int(c))
}

// Range is one contiguous read: Length bytes from I2C offset Offset of Page.
// A Range never crosses the 127/128 boundary and is at most 128 bytes long,
// so the pager can fetch it with one page select (if any) and one read.
type Range struct {
	Page   PageID
	Offset int
	Length int
}

func (r Range) String() string {
	return fmt.Sprintf("%s [%d..%d]", r.Page, r.Offset, r.Offset+r.Length-1)
}

// End is one past the last offset.
func (r Range) End() int { return r.Offset + r.Length }

// missing keeps the ranges whose bytes s does not hold yet.
func missing(s *Snapshot, rs []Range) []Range {
	var out []Range
	for _, r := range rs {
		if !s.Has(r.Page, r.Offset, r.Length) {
			out = append(out, r)
		}
	}
	return out
}

// MaxBanks is the most banks a module has: CMIS 5.3 page 01h byte 142
// bits 1-0 advertise 1, 2 or 4 (lanes 1-8, 1-16, 1-32). A read plan never
// names a bank beyond it, and the I²C guard refuses one.
const MaxBanks = 4

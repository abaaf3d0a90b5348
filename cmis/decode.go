package cmis

import (
	"errors"
	"fmt"
)

// ErrNoLowerMemory is returned by Decode when the snapshot lacks the
// identifier byte, without which nothing else can be interpreted.
var ErrNoLowerMemory = errors.New("cmis: snapshot has no lower memory (byte 0, the identifier, was not read)")

// Decode interprets a snapshot of module memory. It never fails on odd
// content: what it cannot trust (bad checksums, pages that are copies of
// another page, values out of range) is reported in Module.Warnings and left
// out. It returns an error only when the identifier byte is missing.
//
// Decode is the static decode (NewLayout) followed by the per-read decode
// (Layout.DecodeInto) of the same snapshot. A poller that reads the same
// module every second makes the Layout once and decodes only each read.
func Decode(s *Snapshot) (*Module, error) {
	l, err := newLayout(s)
	if err != nil {
		return nil, err
	}
	m := new(Module)
	*m = l.base
	// Sized once: a 32-lane engine has 160 VDM values.
	st := storage{lanes: make([]Lane, 0, l.Lanes()), vdm: make([]VDMValue, 0, l.cmis.vdmCount)}
	l.dynamic(m, &layered{base: l.view}, &st)
	return m, nil
}

// Plan returns the ranges still to be read for cadence c, given what the
// snapshot already holds. For Static, call it repeatedly, reading what it
// returns each time, until it returns nothing: each round may depend on the
// advertisement read in the one before (page 01h names the banks and VDM
// groups, VDM descriptors name the sample slots). For Fast and VDM it
// returns the full set of ranges for one cycle, which need the static pages
// in s.
func Plan(s *Snapshot, c Cadence) []Range {
	id, ok := s.byteAt(Lower, 0)
	if !ok {
		if c == Static {
			return []Range{{Page: Lower, Offset: 0, Length: PageSize}}
		}
		return nil
	}
	switch FamilyOf(id) {
	case FamilyCMIS:
		return planCMIS(s, c)
	case FamilySFF8636:
		return planSFF8636(s, c)
	case FamilySFF8472:
		return planSFF8472(s, c)
	}
	return nil
}

func (m *Module) warnf(format string, args ...any) {
	m.Warnings = append(m.Warnings, fmt.Sprintf(format, args...))
}

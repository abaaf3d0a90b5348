package cmis

import (
	"errors"
	"fmt"
	"sort"
)

// ErrNoLowerMemory is returned by Decode when the snapshot lacks the
// identifier byte, without which nothing else can be interpreted.
var ErrNoLowerMemory = errors.New("cmis: snapshot has no lower memory (byte 0, the identifier, was not read)")

// Decode interprets a snapshot of module memory. It never fails on odd
// content: what it cannot trust (bad checksums, pages that are copies of
// another page, values out of range) is reported in Module.Warnings and left
// out. It returns an error only when the identifier byte is missing.
func Decode(s *Snapshot) (*Module, error) {
	id, ok := s.byteAt(Lower, 0)
	if !ok {
		return nil, ErrNoLowerMemory
	}
	m := &Module{IdentifierCode: id, Identifier: IdentifierName(id)}
	switch FamilyOf(id) {
	case FamilyCMIS:
		decodeCMIS(s, m)
	case FamilySFF8636:
		decodeSFF8636(s, m)
	case FamilySFF8472:
		decodeSFF8472(s, m)
	default:
		m.Spec = "unknown"
		m.warnf("identifier %02Xh (%s) has no known management interface; nothing decoded", id, m.Identifier)
	}
	sort.SliceStable(m.Checksums, func(i, j int) bool { return m.Checksums[i].Page < m.Checksums[j].Page })
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

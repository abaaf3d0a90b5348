package emulator

import (
	"errors"
	"fmt"

	"github.com/ddm-agent/ddm/cmis"
)

// fileP serves a saved dump: its first snapshot, byte for byte, with the
// paging, write and clear-on-read rules of its management interface. It has
// no dynamics and never rewrites a page, so a dump's checksums (good or bad)
// are served as captured.
type fileP struct {
	fam   cmis.Family
	image *memory
	a2    bool
}

func newFileModule(path string, c config) (*Module, error) {
	d, err := c.openDump(path)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if d == nil || len(d.Snapshots) == 0 || d.Snapshots[0] == nil {
		return nil, fmt.Errorf("emulator: %s: dump holds no snapshot", path)
	}
	s := d.Snapshots[0]
	f := &fileP{image: newMemory()}
	for _, id := range s.Pages() {
		b, _ := s.Page(id)
		addr := uint16(id.Addr)
		if addr == 0 {
			addr = roleA0
		}
		if addr != roleA0 && addr != roleA2 {
			continue
		}
		f.a2 = f.a2 || addr == roleA2
		copy(f.image.ensure(win{addr: addr, lower: id.Lower, bank: id.Bank, page: id.Page})[:], b)
	}
	lo := f.image.get(lowerWin(roleA0))
	if lo == nil {
		return nil, fmt.Errorf("emulator: %s: %w", path, errors.New("dump has no lower memory"))
	}
	f.fam = cmis.FamilyOf(lo[0])
	f.a2 = f.a2 || f.fam == cmis.FamilySFF8472
	if f.a2 {
		f.image.ensure(lowerWin(roleA2))
		f.image.ensure(upperWin(roleA2, 0, 0))
	}
	f.image.ensure(upperWin(roleA0, 0, 0))
	return newModule(FilePrefix+path, f, nil, c), nil
}

func (f *fileP) roles() []uint16 {
	if f.a2 {
		return []uint16{roleA0, roleA2}
	}
	return []uint16{roleA0}
}

func (f *fileP) build(string) *memory { return f.image.clone() }
func (f *fileP) spans() []span        { return nil }
func (f *fileP) cmis() bool           { return f.fam != cmis.FamilySFF8636 && f.fam != cmis.FamilySFF8472 }

func (f *fileP) class(w win, off int) byteClass {
	switch f.fam {
	case cmis.FamilySFF8636:
		return (&sff8636P{}).class(w, off)
	case cmis.FamilySFF8472:
		return (&sff8472P{}).class(w, off)
	}
	return (&cmisP{}).class(w, off)
}

func (f *fileP) paged(role uint16) bool {
	if f.fam == cmis.FamilySFF8472 {
		return role == roleA2
	}
	return role == roleA0
}

func (f *fileP) banked(page uint8) bool { return f.cmis() && page >= 0x10 && page != vdmCtrlPage }

func (f *fileP) hasPage(bank, page uint8) bool {
	addr := uint16(roleA0)
	if f.fam == cmis.FamilySFF8472 {
		addr = roleA2
	}
	if !f.banked(page) {
		bank = 0
	}
	return f.image.get(upperWin(addr, bank, page)) != nil
}

func (f *fileP) wrap() int {
	if f.fam == cmis.FamilySFF8472 {
		return 0
	}
	return pageSize
}

func (f *fileP) live(*Module, win, int) (byte, bool) { return 0, false }
func (f *fileP) apply(*Module, *sample, *sample)     {}

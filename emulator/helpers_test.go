package emulator

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"periph.io/x/conn/v3/physic"
)

// t0 is the tests' epoch.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// reader reads module memory through a bus the way the agent's pager does:
// one page select (bank and page together when the bank changes) and one
// read per range, never across the 127/128 boundary.
type reader struct {
	bus        *Bus
	addr       uint16
	sff8472    bool
	bank, page int
	refused    []string // pages the module refused (the agent's ErrRefused)
}

var errRefused = errors.New("page refused")

func newReader(b *Bus, addr uint16) *reader { return &reader{bus: b, addr: addr, bank: -1, page: -1} }

func (r *reader) sel(bank, page uint8) error {
	if r.sff8472 || (int(bank) == r.bank && int(page) == r.page) {
		return nil
	}
	var err error
	if int(bank) != r.bank {
		err = r.bus.Tx(r.addr, []byte{126, bank, page}, nil)
	} else {
		err = r.bus.Tx(r.addr, []byte{127, page}, nil)
	}
	if err != nil {
		return err
	}
	got := []byte{0}
	if err := r.bus.Tx(r.addr, []byte{127}, got); err != nil {
		return err
	}
	if got[0] != page {
		r.page = int(got[0])
		r.refused = append(r.refused, fmt.Sprintf("bank %d page %02Xh", bank, page))
		return errRefused
	}
	r.bank, r.page = int(bank), int(page)
	return nil
}

func (r *reader) read(s *cmis.Snapshot, rg cmis.Range) error {
	addr := r.addr
	if rg.Page.Addr == cmis.AddrA2 {
		addr = r.addr + 1
	} else if !rg.Page.Lower {
		if err := r.sel(rg.Page.Bank, rg.Page.Page); err != nil {
			return err
		}
	}
	buf := make([]byte, rg.Length)
	if err := r.bus.Tx(addr, []byte{byte(rg.Offset)}, buf); err != nil {
		return err
	}
	return s.Set(rg.Page, rg.Offset, buf)
}

// readAll reads what the decoder's plans ask for: static pages until the
// plan is done, the fast ranges, and the VDM ranges inside a freeze.
func (r *reader) readAll(t *testing.T, clk *ManualClock) *cmis.Snapshot {
	t.Helper()
	s := cmis.NewSnapshot()
	for round := 0; round < 10; round++ {
		rs := cmis.Plan(s, cmis.Static)
		if len(rs) == 0 {
			break
		}
		for _, rg := range rs {
			if err := r.read(s, rg); err != nil && !errors.Is(err, errRefused) {
				t.Fatalf("static %s: %v", rg, err)
			}
		}
		if b, ok := s.Page(cmis.Lower); ok && b[0] == 0x03 {
			r.sff8472 = true
		}
	}
	for _, rg := range cmis.Plan(s, cmis.Fast) {
		if err := r.read(s, rg); err != nil && !errors.Is(err, errRefused) {
			t.Fatalf("fast %s: %v", rg, err)
		}
	}
	if vdm := cmis.Plan(s, cmis.VDM); len(vdm) > 0 && s.HasPage(cmis.Upper(0, 0x2F)) {
		r.freeze(t, clk, true)
		for _, rg := range vdm {
			if err := r.read(s, rg); err != nil && !errors.Is(err, errRefused) {
				t.Fatalf("vdm %s: %v", rg, err)
			}
		}
		r.freeze(t, clk, false)
	}
	return s
}

// freeze writes the VDM freeze request and waits (on the manual clock) for
// the done bit.
func (r *reader) freeze(t *testing.T, clk *ManualClock, on bool) {
	t.Helper()
	if err := r.sel(0, 0x2F); err != nil {
		t.Fatal(err)
	}
	v, bit := byte(0), byte(0x40)
	if on {
		v, bit = 0x80, 0x80
	}
	if err := r.bus.Tx(r.addr, []byte{144, v}, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		got := []byte{0}
		if err := r.bus.Tx(r.addr, []byte{145}, got); err != nil {
			t.Fatal(err)
		}
		if got[0]&bit != 0 {
			return
		}
		clk.Advance(time.Millisecond)
	}
	t.Fatalf("freeze %v: done bit never set", on)
}

// newTestModule returns a module of profile on a 400 kHz bus at 0x50 with
// a manual clock.
func newTestModule(t *testing.T, profile string, opts ...Option) (*Module, *Bus, *ManualClock) {
	t.Helper()
	clk := NewManualClock(t0)
	m, err := NewModule(profile, append([]Option{WithClock(clk)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBus("i2c-test", 400*physic.KiloHertz, clk)
	m.AttachTo(b)
	return m, b, clk
}

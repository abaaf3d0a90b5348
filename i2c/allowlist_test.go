//go:build linux

package i2c

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
)

// The write allowlist on every transport, in one table. A monitoring agent
// writes three things to a module and nothing else: the bank and page
// select (bytes 126-127) and bit 7 of the VDM freeze byte (page 2Fh byte
// 144). Every other write — any offset of pages 00h, 10h, 11h and 2Fh, in
// lengths of 1, 2 and 8 bytes, over-long selects, and 2Fh:144 with any
// bit other than 7 changing — must fail with the transport's error before
// it reaches the module, and leave the module's memory (or the driver's
// file) exactly as it was.

// allowPages are the pages swept: lower memory and the static page (00h),
// the lane control and status pages (10h, 11h) and the VDM control page.
var allowPages = []uint8{0x00, 0x10, 0x11, VDMControlPage}

// allowRig is one transport under test.
type allowRig struct {
	// write attempts a write of p at offset off of page (bank 0).
	write func(page uint8, off int, p []byte) error
	// memory returns the module's memory (or file) as it is now.
	memory func() []byte
	// sent returns a description of every write that reached the module
	// (or the driver, or the kernel) that the allowlist does not admit;
	// empty when none did.
	sent func() []string
	// refused is what every refused write wraps.
	refused error
	// pageBlind: the transport does not know the page (the SMBus bus
	// checks offsets only; the pager above it knows the page and is the
	// authority), so 144 is admitted on its own and the 2Fh:144 bit cases
	// do not apply.
	pageBlind bool
	// freezeByte is 2Fh:144's value before the test (for the bit cases).
	freezeByte byte
	// admit runs writes the allowlist admits, proving the rig sees writes
	// when they happen (nil when the transport has no write at all).
	admit func(t *testing.T)
}

// allowCase is one write that must be refused.
type allowCase struct {
	page uint8
	off  int
	p    []byte
}

func (c allowCase) String() string {
	return fmt.Sprintf("page %02Xh offset %d, %d byte(s) % x", c.page, c.off, len(c.p), c.p)
}

// allowCases lists the writes that must be refused.
func allowCases(pageBlind bool, freeze byte) []allowCase {
	var cs []allowCase
	for _, page := range allowPages {
		for off := 0; off < 256; off++ {
			if off == BankSelect || off == PageSelect || off == VDMFreezeByte && (page == VDMControlPage || pageBlind) {
				continue
			}
			for _, n := range []int{1, 2, 8} {
				if off+n > 256 {
					continue
				}
				p := bytes.Repeat([]byte{0xA5}, n)
				p[0] = byte(off) ^ 0xFF
				cs = append(cs, allowCase{page, off, p})
			}
		}
		if pageBlind {
			break // the page is not part of what the bus sees
		}
	}
	// Over-long selects and freeze writes.
	cs = append(cs,
		allowCase{0x00, BankSelect, []byte{0, 0, 0}},
		allowCase{0x00, PageSelect, []byte{0, 0}},
		allowCase{VDMControlPage, VDMFreezeByte, []byte{freeze | VDMFreezeBit, 0}},
	)
	if pageBlind {
		return cs
	}
	// 2Fh:144 with any bit other than 7 changing, with or without bit 7.
	for v := 0; v < 256; v++ {
		if (byte(v)^freeze)&^VDMFreezeBit != 0 {
			cs = append(cs, allowCase{VDMControlPage, VDMFreezeByte, []byte{byte(v)}})
		}
	}
	return cs
}

func TestWriteAllowlist(t *testing.T) {
	for _, tc := range []struct {
		name string
		rig  func(t *testing.T) *allowRig
	}{
		{"pager over the emulator", pagerRig},
		{"optoe driver file", optoeRig},
		{"ethtool netlink", netlinkRig},
		{"SMBus bus", smbusRig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rig(t)
			before := r.memory()
			cases := allowCases(r.pageBlind, r.freezeByte)
			for _, c := range cases {
				err := r.write(c.page, c.off, c.p)
				if !errors.Is(err, r.refused) {
					t.Fatalf("write at %v: %v, want %v", c, err, r.refused)
				}
			}
			if s := r.sent(); len(s) > 0 {
				t.Fatalf("%d write(s) outside the allowlist reached the module, first %s", len(s), s[0])
			}
			if after := r.memory(); !bytes.Equal(before, after) {
				i := 0
				for i < len(before) && i < len(after) && before[i] == after[i] {
					i++
				}
				t.Fatalf("module memory changed (first difference at byte %d of the image)", i)
			}
			if r.admit != nil {
				r.admit(t)
			}
			t.Logf("%d refused writes, none reached the module, memory unchanged", len(cases))
		})
	}
}

// pagerRig: the pager over an emulated OSFP 800G DR8 (it has pages 10h,
// 11h and 2Fh), its clock stopped so that its memory changes only by
// what the host writes. The emulator logs every byte a host writes.
func pagerRig(t *testing.T) *allowRig {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := emulator.NewManualClock(t0)
	bus := emulator.NewBus("allow0", 400*physic.KiloHertz, clk)
	m, err := emulator.NewModule("osfp-800g-dr8", emulator.WithClock(clk), emulator.WithOrigin(t0.Add(-time.Hour)),
		emulator.WithInsertion(t0.Add(-time.Hour)), emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	m.AttachTo(bus)
	mem := NewPager(bus, PagerOptions{}).Module(0x50)
	ctx := context.Background()
	image := func() []byte {
		// Every page of every bank, in a fixed order. The page select
		// (lower bytes 126-127) moves with the pager's selects, which
		// the allowlist admits: it is left out.
		s := m.Snapshot()
		var out []byte
		for _, id := range s.Pages() {
			b, _ := s.Page(id)
			b = bytes.Clone(b)
			if id.Lower && id.Addr != cmis.AddrA2 {
				b[BankSelect], b[PageSelect] = 0, 0
			}
			out = append(out, fmt.Sprintf("%v", id)...)
			out = append(out, b...)
		}
		return out
	}
	freeze := m.Snapshot()
	fb := freeze.Bytes(cmis.Upper(0, VDMControlPage), VDMFreezeByte, 1)
	if fb == nil {
		t.Fatal("the emulated module has no page 2Fh")
	}
	seen := 0
	outside := func() []string {
		var bad []string
		ws := m.Writes()
		for _, w := range ws[seen:] {
			admitted := w.Offset == BankSelect || w.Offset == PageSelect ||
				w.Page == VDMControlPage && w.Offset == VDMFreezeByte && (w.Value^fb[0])&^VDMFreezeBit == 0
			if !admitted {
				bad = append(bad, fmt.Sprintf("%+v", w))
			}
		}
		return bad
	}
	return &allowRig{
		write: func(page uint8, off int, p []byte) error {
			return mem.Write(ctx, 0x50, 0, page, off, p)
		},
		memory:     image,
		sent:       outside,
		refused:    ErrWriteRefused,
		freezeByte: fb[0],
		admit: func(t *testing.T) {
			seen = len(m.Writes())
			// A page select and a freeze request and release reach the module.
			if err := mem.Write(ctx, 0x50, 0, 0x00, PageSelect, []byte{0x11}); err != nil {
				t.Fatalf("page select: %v", err)
			}
			if err := mem.Write(ctx, 0x50, 0, VDMControlPage, VDMFreezeByte, []byte{fb[0] | VDMFreezeBit}); err != nil {
				t.Fatalf("freeze request: %v", err)
			}
			if err := mem.Write(ctx, 0x50, 0, VDMControlPage, VDMFreezeByte, []byte{fb[0] &^ VDMFreezeBit}); err != nil {
				t.Fatalf("freeze release: %v", err)
			}
			var at144 int
			for _, w := range m.Writes()[seen:] {
				if w.Offset == VDMFreezeByte {
					at144++
				}
			}
			if at144 != 2 {
				t.Errorf("the module saw %d writes of 2Fh:144, want 2 (freeze and release)", at144)
			}
			if bad := outside(); len(bad) > 0 {
				t.Errorf("admitted writes include %v", bad)
			}
		},
	}
}

// optoeRig: an optoe3 (CMIS) driver file laid out as the driver does, with
// the emulated module's pages 00h-02h, 10h, 11h and 2Fh.
func optoeRig(t *testing.T) *allowRig {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := emulator.NewManualClock(t0)
	m, err := emulator.NewModule("osfp-800g-dr8", emulator.WithClock(clk), emulator.WithOrigin(t0.Add(-time.Hour)),
		emulator.WithInsertion(t0.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Snapshot()
	w := map[int][]byte{0: window(t, s, cmis.Lower)}
	for _, pg := range []uint8{0x00, 0x01, 0x02, 0x10, 0x11, VDMControlPage} {
		w[oneAddrWindow(0, int(pg), OptoeBankPagesHLD)] = window(t, s, cmis.Upper(0, pg))
	}
	path := optoeDevice(t, OptoeCMIS, -1, stockSize, w)
	o := openOptoe(t, path, OptoeOptions{})
	if !o.rw {
		t.Fatal("the file opened read-only: the test would not prove the allowlist")
	}
	fb := s.Bytes(cmis.Upper(0, VDMControlPage), VDMFreezeByte, 1)
	file := func() []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ctx := context.Background()
	return &allowRig{
		write: func(page uint8, off int, p []byte) error {
			if off == BankSelect || off == PageSelect {
				// optoe selects pages itself: even an admitted select is
				// refused, as not supported.
				err := o.Write(ctx, 0x50, 0, page, off, p)
				if errors.Is(err, ErrNotSupported) {
					return fmt.Errorf("%w (%w)", ErrWriteRefused, err)
				}
				return err
			}
			return o.Write(ctx, 0x50, 0, page, off, p)
		},
		memory: file,
		sent: func() []string {
			if n := o.Stats().BytesWritten; n != 0 {
				return []string{fmt.Sprintf("%d bytes written to the driver", n)}
			}
			return nil
		},
		refused:    ErrWriteRefused,
		freezeByte: fb[0],
		admit: func(t *testing.T) {
			before := file()
			at := int64(oneAddrWindow(0, VDMControlPage, OptoeBankPagesHLD)*cmis.PageSize + VDMFreezeByte - cmis.PageSize)
			if err := o.Write(ctx, 0x50, 0, VDMControlPage, VDMFreezeByte, []byte{fb[0] ^ VDMFreezeBit}); err != nil {
				t.Fatalf("freeze bit: %v", err)
			}
			after := file()
			if after[at] != fb[0]^VDMFreezeBit {
				t.Errorf("freeze byte %02Xh, want %02Xh", after[at], fb[0]^VDMFreezeBit)
			}
			after[at] = before[at]
			if !bytes.Equal(before, after) {
				t.Error("the freeze write changed more than the freeze byte")
			}
		},
	}
}

// netlinkRig: ethtool netlink has no module write; every write fails with
// ErrNotSupported and no request reaches the kernel (the genltest double
// counts them).
func netlinkRig(t *testing.T) *allowRig {
	var requests atomic.Int64
	n := testNetlink(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		requests.Add(1)
		return nil, errors.New("no request expected")
	})
	ctx := context.Background()
	return &allowRig{
		write:  func(page uint8, off int, p []byte) error { return n.Write(ctx, 0x50, 0, page, off, p) },
		memory: func() []byte { return nil },
		sent: func() []string {
			if k := requests.Load(); k != 0 {
				return []string{fmt.Sprintf("%d netlink requests", k)}
			}
			if st := n.Stats(); st.Transactions != 0 || st.BytesWritten != 0 {
				return []string{fmt.Sprintf("stats %+v", st)}
			}
			return nil
		},
		refused: ErrNotSupported,
		admit: func(t *testing.T) {
			// Not even a page select or a freeze passes.
			for _, w := range []allowCase{{0, PageSelect, []byte{0x11}}, {0, BankSelect, []byte{1, 0x11}}, {VDMControlPage, VDMFreezeByte, []byte{0x80}}} {
				if err := n.Write(ctx, 0x50, 0, w.page, w.off, w.p); !errors.Is(err, ErrNotSupported) {
					t.Errorf("%v: %v, want ErrNotSupported", w, err)
				}
			}
			if requests.Load() != 0 {
				t.Error("a write sent a netlink request")
			}
		},
	}
}

// smbusRig: the SMBus bus's own guard, below the pager: it admits writes
// at 126 (1-2 bytes), 127 and 144 (1 byte) only, and refuses the rest
// before any ioctl.
func smbusRig(t *testing.T) *allowRig {
	b, f := testSMBus(t)
	return &allowRig{
		write: func(_ uint8, off int, p []byte) error {
			return b.Tx(0x50, append([]byte{byte(off)}, p...), nil)
		},
		memory: func() []byte { return bytes.Clone(f.mem[:]) },
		sent: func() []string {
			var out []string
			for _, c := range f.calls {
				out = append(out, fmt.Sprintf("ioctl rw %d command %d size %d", c.rw, c.cmd, c.size))
			}
			return out
		},
		refused:   ErrWriteRefused,
		pageBlind: true,
		admit: func(t *testing.T) {
			if err := b.Tx(0x50, []byte{PageSelect, 0x11}, nil); err != nil {
				t.Fatalf("page select: %v", err)
			}
			if len(f.calls) != 1 || f.calls[0].rw != smbusWrite || f.calls[0].cmd != PageSelect {
				t.Errorf("page select: calls %+v", f.calls)
			}
		},
	}
}

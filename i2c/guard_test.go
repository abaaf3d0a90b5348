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

// The guard on every transport, in one table. Each transport is reached
// only through a Guard, so each must show the same behaviour:
//
//   - a monitoring agent writes three things to a module and nothing else:
//     the page select (127), bank and page (126-127) and the VDM freeze
//     bit (page 2Fh byte 144 bit 7). Every other write (any offset of
//     pages 00h, 10h, 11h and 2Fh, in lengths of 1, 2 and 8 bytes,
//     over-long selects, 2Fh:144 with any other bit changing) fails with
//     ErrWriteRefused before it reaches the module, and leaves its memory
//     (or the driver's file) as it was;
//   - a read that breaks the range rules is ErrRange and never reaches
//     the transport;
//   - the counters say the same for the same reads: one transaction and
//     n bytes per read, plus the select and its read-back where the host
//     selects pages;
//   - without the Rules, every write is refused.

// allowPages are the pages swept: lower memory and the static page (00h),
// the lane control and status pages (10h, 11h) and the VDM control page.
var allowPages = []uint8{0x00, 0x10, 0x11, vdmControlPage}

// guardRig is one transport under test, behind its Guard (no rules yet).
type guardRig struct {
	mem *Guard
	// memory returns the module's memory (or file) as it is now.
	memory func() []byte
	// sent describes every write that reached the module (or the driver,
	// or the kernel) that the allowlist does not admit.
	sent func() []string
	// freezeByte is 2Fh:144's value before the test.
	freezeByte byte
	// writes: the transport can write (the freeze bit); hostPaging: the
	// host selects pages (a raw bus).
	writes, hostPaging bool
}

// guardRigs are the transports: the emulator's bus and i2c-dev's SMBus
// ioctl layer under a Pager, the optoe driver's file in a temp dir, ethtool
// netlink through its genltest double.
var guardRigs = []struct {
	name string
	rig  func(t *testing.T) *guardRig
}{
	{"emulator bus", emulatorRig},
	{"i2c-dev SMBus ioctls", smbusRig},
	{"optoe file", optoeRig},
	{"ethtool netlink", netlinkRig},
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
func allowCases(freeze byte) []allowCase {
	var cs []allowCase
	for _, page := range allowPages {
		for off := 0; off < 256; off++ {
			if off == BankSelect || off == PageSelect || off == vdmFreezeByte && page == vdmControlPage {
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
	}
	// Over-long and short selects, and over-long freeze writes.
	cs = append(cs,
		allowCase{0x00, BankSelect, []byte{0, 0, 0}},
		allowCase{0x00, BankSelect, []byte{1}},
		allowCase{0x00, PageSelect, []byte{0, 0}},
		allowCase{vdmControlPage, vdmFreezeByte, []byte{freeze | vdmFreezeBit, 0}},
	)
	// 2Fh:144 with any bit other than 7 changing, with or without bit 7.
	for v := 0; v < 256; v++ {
		if (byte(v)^freeze)&^vdmFreezeBit != 0 {
			cs = append(cs, allowCase{vdmControlPage, vdmFreezeByte, []byte{byte(v)}})
		}
	}
	return cs
}

func withRules(t *testing.T, r *guardRig) *guardRig {
	t.Helper()
	if err := r.mem.SetRules(testRules()); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGuardRefusesForbiddenWrites: every transport refuses every write
// outside the allowlist with ErrWriteRefused, none reaches the module, no
// byte is counted as written, and the module's memory is unchanged; the
// freeze bit passes where the transport can write.
func TestGuardRefusesForbiddenWrites(t *testing.T) {
	for _, tc := range guardRigs {
		t.Run(tc.name, func(t *testing.T) {
			r := withRules(t, tc.rig(t))
			ctx := context.Background()
			before := r.memory()
			cases := allowCases(r.freezeByte)
			for _, c := range cases {
				err := r.mem.Write(ctx, AddrA0, 0, c.page, c.off, c.p)
				if !errors.Is(err, ErrWriteRefused) {
					t.Fatalf("write at %v: %v, want ErrWriteRefused", c, err)
				}
				var e *Error
				if !errors.As(err, &e) || e.Page != c.page || e.Offset != c.off {
					t.Fatalf("write at %v: %v does not say where", c, err)
				}
			}
			if s := r.sent(); len(s) > 0 {
				t.Fatalf("%d write(s) outside the allowlist reached the module, first %s", len(s), s[0])
			}
			// The freeze-byte cases read the byte first (after a select of
			// page 2Fh where the host selects): the selects are all that
			// was written.
			st := r.mem.Stats()
			if st.BytesWritten != st.PageSelects {
				t.Fatalf("stats %+v after refused writes: bytes written beyond the 1-byte page selects", st)
			}
			if after := r.memory(); !bytes.Equal(before, after) {
				t.Fatalf("module memory changed (first difference at byte %d of the image)", firstDiff(before, after))
			}
			// The freeze bit, set and cleared: two one-byte writes where
			// the transport writes, ErrNotSupported where it cannot.
			for _, v := range []byte{r.freezeByte ^ vdmFreezeBit, r.freezeByte} {
				err := r.mem.Write(ctx, AddrA0, 0, vdmControlPage, vdmFreezeByte, []byte{v})
				switch {
				case r.writes && err != nil:
					t.Fatalf("freeze bit to %02Xh: %v", v, err)
				case !r.writes && !errors.Is(err, ErrNotSupported):
					t.Fatalf("freeze bit on a transport without writes: %v, want ErrNotSupported", err)
				}
			}
			want := int64(0)
			if r.writes {
				want = 2
			}
			if d := r.mem.Stats().Sub(st); d.BytesWritten-d.PageSelects != want {
				t.Errorf("counted %+v: want %d bytes written (the freeze and its release) besides page selects", d, want)
			}
			if s := r.sent(); len(s) > 0 {
				t.Errorf("admitted writes include %v", s)
			}
			t.Logf("%d refused writes, none reached the module, memory unchanged", len(cases))
		})
	}
}

// TestGuardWithoutRulesRefusesWrites: a Memory that was not given the
// Rules refuses every write, the freeze and the page selects included,
// on every transport.
func TestGuardWithoutRulesRefusesWrites(t *testing.T) {
	for _, tc := range guardRigs {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rig(t)
			ctx := context.Background()
			before := r.memory()
			for _, c := range []allowCase{
				{vdmControlPage, vdmFreezeByte, []byte{r.freezeByte ^ vdmFreezeBit}},
				{0x00, PageSelect, []byte{0x11}},
				{0x00, BankSelect, []byte{1, 0x11}},
			} {
				if err := r.mem.Write(ctx, AddrA0, 0, c.page, c.off, c.p); !errors.Is(err, ErrWriteRefused) && !errors.Is(err, ErrNotSupported) {
					t.Errorf("%v without rules: %v, want refused", c, err)
				}
			}
			if st := r.mem.Stats(); st.Transactions != 0 {
				t.Errorf("stats %+v: a write without rules reached the transport", st)
			}
			if r.hostPaging {
				// An upper page needs a select, which is a write.
				if err := r.mem.Read(ctx, AddrA0, 0, 0x11, 128, make([]byte, 8)); !errors.Is(err, ErrWriteRefused) {
					t.Errorf("upper page without rules: %v, want ErrWriteRefused", err)
				}
			}
			if !bytes.Equal(before, r.memory()) || len(r.sent()) > 0 {
				t.Error("a write without rules reached the module")
			}
		})
	}
}

// TestGuardRangeChecks: reads that break the range rules fail with
// ErrRange on every transport, and nothing reaches it.
func TestGuardRangeChecks(t *testing.T) {
	for _, tc := range guardRigs {
		t.Run(tc.name, func(t *testing.T) {
			r := withRules(t, tc.rig(t))
			for _, c := range []struct {
				name             string
				addr, bank, page uint8
				off, n           int
			}{
				{"empty", AddrA0, 0, 0, 0, 0},
				{"129 bytes", AddrA0, 0, 0x11, 128, 129},
				{"crosses 127/128", AddrA0, 0, 0, 120, 16},
				{"past 255", AddrA0, 0, 0x11, 250, 10},
				{"negative offset", AddrA0, 0, 0, -1, 1},
				{"offset 256", AddrA0, 0, 0x11, 256, 1},
				{"device 0x52", 0x52, 0, 0, 0, 1},
				{"device 0x80", 0x80, 0, 0, 0, 1},
				{"bank 4", AddrA0, cmis.MaxBanks, 0x11, 128, 8},
			} {
				err := r.mem.Read(context.Background(), c.addr, c.bank, c.page, c.off, make([]byte, c.n))
				if !errors.Is(err, ErrRange) {
					t.Errorf("%s: %v, want ErrRange", c.name, err)
				}
			}
			if st := r.mem.Stats(); st != (Stats{}) {
				t.Errorf("stats %+v: a read out of range reached the transport", st)
			}
		})
	}
}

// TestGuardCountsAlike: the same reads are counted the same way on every
// transport: one transaction and n bytes per read; where the host selects
// pages, the first read of an upper page adds the select (a 1-byte write)
// and its 2-byte read-back, and the next read of that page adds nothing.
// Lower memory is the same on every page and bank, and an unbanked page
// ignores the bank: the guard reads them so, and so each transport.
func TestGuardCountsAlike(t *testing.T) {
	for _, tc := range guardRigs {
		t.Run(tc.name, func(t *testing.T) {
			r := withRules(t, tc.rig(t))
			ctx := context.Background()
			step := func(name string, bank, page uint8, off, n int, want Stats) []byte {
				t.Helper()
				before := r.mem.Stats()
				p := make([]byte, n)
				if err := r.mem.Read(ctx, AddrA0, bank, page, off, p); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				d := r.mem.Stats().Sub(before)
				if d.BusTime <= 0 {
					t.Errorf("%s: no wire time counted (%+v)", name, d)
				}
				d.BusTime = 0
				if d != want {
					t.Errorf("%s: counted %+v, want %+v", name, d, want)
				}
				return p
			}
			step("lower memory", 0, 0, 0, 128, Stats{Transactions: 1, BytesRead: 128})
			// Lower memory named with a bank and a page is lower memory: no
			// select. (Its contents may differ: latched flags clear on read.)
			step("lower memory, page 11h bank 1 named", 1, 0x11, 0, 128, Stats{Transactions: 1, BytesRead: 128})
			first := Stats{Transactions: 1, BytesRead: 128}
			if r.hostPaging {
				first = Stats{Transactions: 3, BytesRead: 128 + 2, BytesWritten: 1, PageSelects: 1}
			}
			p0 := step("page 00h, first", 0, 0, 128, 128, first)
			if got := step("page 00h, again", 0, 0, 128, 128, Stats{Transactions: 1, BytesRead: 128}); !bytes.Equal(got, p0) {
				t.Error("page 00h read twice differs")
			}
			// Page 00h is not banked: bank 2 named is bank 0, no select.
			if got := step("page 00h, bank 2 named", 2, 0, 128, 128, Stats{Transactions: 1, BytesRead: 128}); !bytes.Equal(got, p0) {
				t.Error("page 00h with a bank named differs")
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// emulatorRig: a Pager over the emulator's bus with an OSFP 800G DR8 (it
// has pages 10h, 11h and 2Fh), its clock stopped so that its memory
// changes only by what the host writes. The emulator logs every byte a
// host writes.
func emulatorRig(t *testing.T) *guardRig {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := emulator.NewManualClock(t0)
	bus := emulator.NewBus("allow0", 400*physic.KiloHertz, clk)
	m, err := emulator.NewModule("osfp-800g-dr8", emulator.WithClock(clk), emulator.WithOrigin(t0.Add(-time.Hour)),
		emulator.WithInsertion(t0.Add(-time.Hour)), emulator.WithSeed(1), emulator.WithFreezeDelay(0))
	if err != nil {
		t.Fatal(err)
	}
	m.AttachTo(bus)
	image := func() []byte {
		// Every page of every bank, in a fixed order. The page select
		// (lower bytes 126-127) moves with the selects, which the
		// allowlist admits, and the freeze byte with the freeze: both
		// are left out.
		s := m.Snapshot()
		var out []byte
		for _, id := range s.Pages() {
			b, _ := s.Page(id)
			b = bytes.Clone(b)
			if id.Lower && id.Addr != cmis.AddrA2 {
				b[BankSelect], b[PageSelect] = 0, 0
			}
			if id == cmis.Upper(0, vdmControlPage) {
				b[vdmFreezeByte-128] = 0
			}
			out = append(out, fmt.Sprintf("%v", id)...)
			out = append(out, b...)
		}
		return out
	}
	fb := m.Snapshot().Bytes(cmis.Upper(0, vdmControlPage), vdmFreezeByte, 1)
	if fb == nil {
		t.Fatal("the emulated module has no page 2Fh")
	}
	return &guardRig{
		mem:    NewPager(bus, PagerOptions{}).Module(0x50),
		memory: image,
		sent: func() []string {
			var bad []string
			for _, w := range m.Writes() {
				admitted := w.Offset == BankSelect || w.Offset == PageSelect ||
					w.Page == vdmControlPage && w.Offset == vdmFreezeByte && (w.Value^fb[0])&^vdmFreezeBit == 0
				if !admitted {
					bad = append(bad, fmt.Sprintf("%+v", w))
				}
			}
			return bad
		},
		freezeByte: fb[0],
		writes:     true,
		hostPaging: true,
	}
}

// smbusRig: a Pager over i2c-dev's SMBus bus, whose ioctls go to a fake
// that records them (flat memory: a select reads back as written).
func smbusRig(t *testing.T) *guardRig {
	b, f := testSMBus(t)
	f.mem[vdmFreezeByte] = 0x05
	fb := f.mem[vdmFreezeByte]
	image := func() []byte {
		m := bytes.Clone(f.mem[:])
		m[BankSelect], m[PageSelect], m[vdmFreezeByte] = 0, 0, 0
		return m
	}
	return &guardRig{
		mem:    NewPager(b, PagerOptions{}).Module(0x50),
		memory: image,
		sent: func() []string {
			var out []string
			for _, c := range f.calls {
				if c.rw != smbusWrite || c.data == nil { // reads and pointer sets
					continue
				}
				switch {
				case c.cmd == PageSelect && c.size == smbusByteData,
					c.cmd == BankSelect && c.size == smbusI2CBlockData && c.data[0] == 2,
					c.cmd == vdmFreezeByte && c.size == smbusByteData && (c.data[0]^fb)&^vdmFreezeBit == 0:
					continue
				}
				out = append(out, fmt.Sprintf("ioctl write command %d size %d data % x", c.cmd, c.size, c.data[:4]))
			}
			return out
		},
		freezeByte: fb,
		writes:     true,
		hostPaging: true,
	}
}

// optoeRig: an optoe3 (CMIS) driver file laid out as the driver does, with
// the emulated module's pages 00h-02h, 10h, 11h and 2Fh.
func optoeRig(t *testing.T) *guardRig {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m, err := emulator.NewModule("osfp-800g-dr8", emulator.WithClock(emulator.NewManualClock(t0)), emulator.WithOrigin(t0.Add(-time.Hour)),
		emulator.WithInsertion(t0.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Snapshot()
	w := map[int][]byte{0: window(t, s, cmis.Lower)}
	for _, pg := range []uint8{0x00, 0x01, 0x02, 0x10, 0x11, vdmControlPage} {
		w[oneAddrWindow(0, int(pg), OptoeBankPagesHLD)] = window(t, s, cmis.Upper(0, pg))
	}
	path := optoeDevice(t, OptoeCMIS, -1, stockSize, w)
	o, err := OpenOptoe(path, OptoeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	if !optoeOf(o).rw {
		t.Fatal("the file opened read-only: the test would not prove the allowlist")
	}
	fb := s.Bytes(cmis.Upper(0, vdmControlPage), vdmFreezeByte, 1)
	at := oneAddrWindow(0, vdmControlPage, OptoeBankPagesHLD)*WindowSize + vdmFreezeByte - WindowSize
	file := func() []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[at] = 0 // the freeze bit moves with the freeze
		return b
	}
	orig := file()
	return &guardRig{
		mem:    o,
		memory: file,
		sent: func() []string {
			now := file()
			if !bytes.Equal(now, orig) {
				return []string{fmt.Sprintf("file changed at byte %d", firstDiff(orig, now))}
			}
			return nil
		},
		freezeByte: fb[0],
		writes:     true,
	}
}

// netlinkRig: ethtool netlink through the genltest double, serving lower
// memory and page 00h of a real module; it has no module write, and the
// double counts every request.
func netlinkRig(t *testing.T) *guardRig {
	s := vector(t, vecDR8)
	pages := map[uint8][]byte{0: append(window(t, s, cmis.Lower), window(t, s, cmis.Upper(0, 0))...)}
	var requests atomic.Int64
	c := testNetlinkConn(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		requests.Add(1)
		r := decodeEEPROMGet(t, greq)
		img, ok := pages[r.page]
		if !ok || r.bank != 0 {
			return nil, errors.New("page not served")
		}
		return eepromReply(t, "eth3", img[r.offset:r.offset+r.length]), nil
	})
	g := NewGuard(c, GuardOptions{NoWrites: true})
	t.Cleanup(func() { _ = g.Close() })
	return &guardRig{
		mem:    g,
		memory: func() []byte { return nil },
		sent: func() []string {
			// The tests that call it make no read: any request is a write
			// that got through.
			if k := requests.Load(); k != 0 {
				return []string{fmt.Sprintf("%d netlink requests", k)}
			}
			return nil
		},
	}
}

// TestGuardTxAdmitsOnlyTheAllowlist: the guard checks the allowlist again
// on every write transaction, whoever builds it (the page cache, the
// freeze's read-modify-write, a future caller inside this package), so a
// bug above it cannot write to a module either.
func TestGuardTxAdmitsOnlyTheAllowlist(t *testing.T) {
	for _, tc := range guardRigs {
		t.Run(tc.name, func(t *testing.T) {
			r := withRules(t, tc.rig(t))
			before := r.memory()
			for _, a := range []Access{
				{Op: OpWrite, Addr: AddrA0, Off: 26, Data: []byte{0x10}},                                                   // low power request
				{Op: OpWrite, Addr: AddrA0, Page: 0x10, Off: 130, Data: []byte{0xFF}},                                      // Tx disable
				{Op: OpWrite, Addr: AddrA0, Page: vdmControlPage, Off: vdmFreezeByte, Data: []byte{0x81}, old: 0x00},       // bit 0 too
				{Op: OpWrite, Addr: AddrA2, Page: vdmControlPage, Off: vdmFreezeByte, Data: []byte{0x80}, old: 0x00},       // not A0h
				{Op: OpWrite, Addr: AddrA0, Page: vdmControlPage, Off: vdmFreezeByte, Data: []byte{0x80, 0x00}, old: 0x00}, // 2 bytes
				{Op: OpSelect, Addr: AddrA0, Off: PageSelect, Data: []byte{1, 2}},                                          // over-long select
				{Op: OpSelect, Addr: AddrA0, Off: 125, Data: []byte{1}},                                                    // not a select byte
				{Op: Op(9), Addr: AddrA0, Off: 127, Data: []byte{1}},                                                       // no such op
			} {
				r.mem.lock.Lock()
				_, err := r.mem.tx(context.Background(), a)
				r.mem.lock.Unlock()
				if !errors.Is(err, ErrWriteRefused) {
					t.Errorf("%s at page %02Xh offset %d % x: %v, want ErrWriteRefused", a.Op, a.Page, a.Off, a.Data, err)
				}
			}
			if st := r.mem.Stats(); st.Transactions != 0 {
				t.Errorf("stats %+v: a refused transaction reached the transport", st)
			}
			if !bytes.Equal(before, r.memory()) || len(r.sent()) > 0 {
				t.Error("a refused transaction reached the module")
			}
		})
	}
}

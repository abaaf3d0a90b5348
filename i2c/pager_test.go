package i2c_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/modread"
)

// The pager is tested against the emulator, which behaves as module
// hardware does (page select semantics, refusal, clear-on-read flags, VDM
// freeze, NACKs) and is itself tested against the specs and real dumps.

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type rig struct {
	clk   *emulator.ManualClock
	bus   *emulator.Bus
	mods  map[uint16]*emulator.Module
	pager *i2c.Pager
}

// newRig puts modules on one 400 kHz bus, inserted an hour ago (ready).
func newRig(t *testing.T, profiles map[uint16]string, opts ...emulator.Option) *rig {
	t.Helper()
	r := &rig{clk: emulator.NewManualClock(t0), mods: map[uint16]*emulator.Module{}}
	r.bus = emulator.NewBus("emu0", 400*physic.KiloHertz, r.clk)
	for addr, p := range profiles {
		o := append([]emulator.Option{emulator.WithClock(r.clk), emulator.WithAddress(addr), emulator.WithOrigin(t0.Add(-time.Hour)),
			emulator.WithInsertion(t0.Add(-time.Hour)), emulator.WithSeed(1)}, opts...)
		m, err := emulator.NewModule(p, o...)
		if err != nil {
			t.Fatal(err)
		}
		m.AttachTo(r.bus)
		r.mods[addr] = m
	}
	r.pager = i2c.NewPager(r.bus, i2c.PagerOptions{Wait: func(ctx context.Context, d time.Duration) error {
		r.clk.Advance(d) // the emulator's time moves with the waits
		return ctx.Err()
	}})
	for addr := range profiles {
		// What a Reader gives every Memory: the pager's guards keep it.
		if err := r.pager.Module(uint8(addr)).SetRules(modread.BusRules()); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// readAll reads what ddm dump reads: static, fast and VDM (in a freeze).
func readAll(t *testing.T, ctx context.Context, mem i2c.Memory, addr uint8, wait func(context.Context, time.Duration) error) (*cmis.Snapshot, error) {
	t.Helper()
	s := cmis.NewSnapshot()
	if err := modread.ReadStatic(ctx, mem, s); err != nil {
		return s, err
	}
	if err := modread.Fetch(ctx, mem, cmis.Plan(s, cmis.Fast), s); err != nil {
		return s, err
	}
	if vdm := cmis.Plan(s, cmis.VDM); len(vdm) > 0 {
		release, err := modread.Freeze(ctx, mem, addr, modread.FreezeOptions{Wait: wait})
		if err != nil {
			return s, err
		}
		if err := modread.Fetch(ctx, mem, vdm, s); err != nil {
			return s, err
		}
		if err := release(ctx); err != nil {
			return s, err
		}
	}
	return s, nil
}

func TestPagerEveryProfile(t *testing.T) {
	for _, p := range emulator.Profiles() {
		if strings.HasPrefix(p, "file:") {
			continue
		}
		t.Run(p, func(t *testing.T) {
			r := newRig(t, map[uint16]string{0x50: p})
			mem := r.pager.Module(0x50)
			wait := func(ctx context.Context, d time.Duration) error { r.clk.Advance(d); return nil }
			s, err := readAll(t, context.Background(), mem, 0x50, wait)
			if err != nil {
				t.Fatal(err)
			}
			m, err := cmis.Decode(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range m.Checksums {
				if !c.OK {
					t.Errorf("checksum %+v", c)
				}
			}
			if m.Vendor == "" || m.SerialNumber == "" {
				t.Errorf("identity not read: %+v", m)
			}
			// What the pager read decodes like the module's own memory.
			want, _ := cmis.Decode(r.mods[0x50].Snapshot())
			if fmt.Sprint(want.Thresholds) != fmt.Sprint(m.Thresholds) || want.PartNumber != m.PartNumber || len(want.Lanes) != len(m.Lanes) {
				t.Errorf("pager read differs from module memory:\n got %v %s lanes %d\nwant %v %s lanes %d",
					m.Thresholds, m.PartNumber, len(m.Lanes), want.Thresholds, want.PartNumber, len(want.Lanes))
			}
			st := mem.Stats()
			pages := map[cmis.PageID]bool{}
			for _, id := range s.Pages() {
				if !id.Lower {
					pages[id] = true
				}
			}
			// One select per page read at most, plus one per re-visit of a
			// page the plan needs twice (2Fh before and after the samples;
			// each bank's 11h, whose active control set the static read
			// takes and whose monitors the fast read takes).
			revisits := 2
			if m.Advertisement != nil && m.Spec == "CMIS" && len(m.Lanes) > 0 {
				revisits += m.Advertisement.Banks
			}
			if st.PageSelects > int64(len(pages)+revisits) {
				t.Errorf("%d page selects for %d upper pages", st.PageSelects, len(pages))
			}
			if st.NACKs != 0 || st.Retries != 0 || st.Errors != 0 {
				t.Errorf("stats %+v", st)
			}
			total, ignored := r.mods[0x50].WriteCounts()
			if ignored != 0 {
				t.Errorf("%d of %d writes hit bytes a host may not write", ignored, total)
			}
			for _, w := range r.mods[0x50].Writes() {
				if w.Offset != i2c.BankSelect && w.Offset != i2c.PageSelect && !(w.Page == cmis.VDMControlPage && w.Offset == cmis.VDMFreezeRequest) {
					t.Errorf("write outside the allowlist reached the module: %+v", w)
				}
			}
		})
	}
}

// TestPagerSelectsOnlyWhenPageChanges: a second fast cycle of a one-bank
// module reads page 11h again without writing byte 127.
func TestPagerSelectsOnlyWhenPageChanges(t *testing.T) {
	r := newRig(t, map[uint16]string{0x50: "osfp-800g-dr8"})
	mem := r.pager.Module(0x50)
	ctx := context.Background()
	s := cmis.NewSnapshot()
	if err := modread.ReadStatic(ctx, mem, s); err != nil {
		t.Fatal(err)
	}
	fast := cmis.Plan(s, cmis.Fast)
	if err := modread.Fetch(ctx, mem, fast, s); err != nil {
		t.Fatal(err)
	}
	before := mem.Stats()
	if err := modread.Fetch(ctx, mem, fast, s); err != nil {
		t.Fatal(err)
	}
	d := mem.Stats().Sub(before)
	if d.PageSelects != 0 || d.Transactions != int64(len(fast)) {
		t.Errorf("second fast cycle: %d selects, %d transactions for %d ranges", d.PageSelects, d.Transactions, len(fast))
	}
}

// TestPagerBanks: a 32-lane engine reads page 11h of banks 0-3; each bank
// change is one 2-byte write at 126.
func TestPagerBanks(t *testing.T) {
	r := newRig(t, map[uint16]string{0x50: "npo-3.2t"})
	mem := r.pager.Module(0x50)
	ctx := context.Background()
	s := cmis.NewSnapshot()
	if err := modread.ReadStatic(ctx, mem, s); err != nil {
		t.Fatal(err)
	}
	if err := modread.Fetch(ctx, mem, cmis.Plan(s, cmis.Fast), s); err != nil {
		t.Fatal(err)
	}
	m, _ := cmis.Decode(s)
	if len(m.Lanes) != 32 || m.Lanes[31].Lane != 32 || m.Lanes[31].TxPowerMW == nil {
		t.Fatalf("%d lanes", len(m.Lanes))
	}
	twoByte := 0 // writes of byte 126: the pager sends it only with 127
	for _, w := range r.mods[0x50].Writes() {
		if w.Offset == i2c.BankSelect { // the pager writes 126 only as bank+page

			twoByte++
		}
	}
	if twoByte == 0 {
		t.Error("no bank+page 2-byte write for banks 1-3")
	}
}

func TestPagerRefusedPages(t *testing.T) {
	// The Acacia behaviour: the module keeps the page number but serves
	// page 00h. The pager cannot tell (the read-back matches); the decoder
	// hides the copies and says so.
	r := newRig(t, map[uint16]string{0x50: "osfp-800g-dr8"}, emulator.WithFaults(emulator.Fault{Kind: emulator.FaultRefusedPages, Pages: []uint8{0x20, 0x28}}))
	mem := r.pager.Module(0x50)
	s := cmis.NewSnapshot()
	if err := modread.ReadStatic(context.Background(), mem, s); err != nil {
		t.Fatal(err)
	}
	m, _ := cmis.Decode(s)
	w := strings.Join(m.Warnings, "\n")
	if !strings.Contains(w, "page 20h reads back identical to page 00h") {
		t.Errorf("copy of page 00h not reported: %s", w)
	}
	if len(m.VDM) != 0 {
		t.Errorf("VDM decoded from refused descriptor pages")
	}
}

func TestPagerRefusesPageTheModuleLacks(t *testing.T) {
	// A page the module does not have: it clears byte 127 and the pager's
	// read-back reports ErrRefused; Fetch goes on with the other ranges.
	r := newRig(t, map[uint16]string{0x50: "qsfpdd-400g-fr4"})
	mem := r.pager.Module(0x50)
	s := cmis.NewSnapshot()
	err := modread.Fetch(context.Background(), mem, []cmis.Range{
		{Page: cmis.Upper(0, 0x77), Offset: 128, Length: 8},
		{Page: cmis.Upper(0, 0), Offset: 128, Length: 16},
	}, s)
	var fe *modread.FetchError
	if !errors.As(err, &fe) || !errors.Is(err, i2c.ErrRefused) || len(fe.Refused) != 1 {
		t.Fatalf("err %v, want one refused range", err)
	}
	if !s.Has(cmis.Upper(0, 0), 128, 16) {
		t.Error("the page that exists was not read after the refusal")
	}
}

func TestPagerAllowlist(t *testing.T) {
	r := newRig(t, map[uint16]string{0x50: "osfp-800g-dr8"})
	mem := r.pager.Module(0x50)
	ctx := context.Background()
	for off := 0; off < 256; off++ {
		if off == i2c.BankSelect || off == i2c.PageSelect {
			continue
		}
		for _, page := range []uint8{0, 0x10, 0x2F} {
			if page == cmis.VDMControlPage && off == cmis.VDMFreezeRequest {
				continue
			}
			if err := mem.Write(ctx, 0x50, 0, page, off, []byte{0xFF}); !errors.Is(err, i2c.ErrWriteRefused) {
				t.Fatalf("write page %02Xh byte %d: %v, want ErrWriteRefused", page, off, err)
			}
		}
	}
	// The freeze byte: only bit 7 may change.
	if err := mem.Write(ctx, 0x50, 0, 0x2F, 144, []byte{0x81}); !errors.Is(err, i2c.ErrWriteRefused) {
		t.Errorf("freeze byte with bit 0: %v", err)
	}
	if err := mem.Write(ctx, 0x50, 0, 0x2F, 144, []byte{0x80}); err != nil {
		t.Errorf("freeze request: %v", err)
	}
	for _, w := range r.mods[0x50].Writes() {
		if w.Offset != i2c.BankSelect && w.Offset != i2c.PageSelect && w.Offset != cmis.VDMFreezeRequest {
			t.Errorf("write reached the module: %+v", w)
		}
	}
}

func TestPagerRetriesBoundedAndOthersUnaffected(t *testing.T) {
	r := newRig(t, map[uint16]string{0x50: "osfp-800g-dr8"})
	// A stuck-busy module at 0x51 on the same bus, answering before it
	// went busy would make it "busy"; never answering makes it "absent".
	busy, err := emulator.NewModule("osfp-800g-dr8", emulator.WithClock(r.clk), emulator.WithAddress(0x52),
		emulator.WithOrigin(t0.Add(-time.Hour)), emulator.WithInsertion(t0.Add(-time.Hour)),
		emulator.WithFaults(emulator.Fault{Kind: emulator.FaultBusy, Window: emulator.Window{Start: time.Hour + time.Minute}}))
	if err != nil {
		t.Fatal(err)
	}
	busy.AttachTo(r.bus)
	ctx := context.Background()
	buf := make([]byte, 1)
	bm := r.pager.Module(0x52)
	if err := bm.Read(ctx, 0x50, 0, 0, 0, buf); err != nil {
		t.Fatalf("before the fault: %v", err)
	}
	r.clk.Advance(2 * time.Minute)
	err = bm.Read(ctx, 0x50, 0, 0, 0, buf)
	if !errors.Is(err, i2c.ErrBusy) {
		t.Fatalf("stuck busy: %v, want ErrBusy", err)
	}
	if st := bm.Stats(); st.Retries != 3 || st.NACKs != 4 {
		t.Errorf("stuck busy stats %+v, want 3 retries and 4 NACKs", st)
	}
	// Nothing at 0x53: absent.
	if err := r.pager.Module(0x53).Read(ctx, 0x50, 0, 0, 0, buf); !errors.Is(err, i2c.ErrAbsent) {
		t.Errorf("empty address: %v, want ErrAbsent", err)
	}
	// The healthy module is read as usual.
	if _, err := readAll(t, ctx, r.pager.Module(0x50), 0x50, func(context.Context, time.Duration) error { r.clk.Advance(time.Millisecond); return nil }); err != nil {
		t.Errorf("healthy module: %v", err)
	}
}

func TestPagerRetriesNACKs(t *testing.T) {
	r := newRig(t, map[uint16]string{0x50: "osfp-800g-dr8"}, emulator.WithFaults(emulator.Fault{Kind: emulator.FaultNACK, Rate: 0.3}))
	mem := r.pager.Module(0x50)
	s, err := readAll(t, context.Background(), mem, 0x50, func(context.Context, time.Duration) error { r.clk.Advance(time.Millisecond); return nil })
	if err != nil {
		t.Fatalf("30%% NACK rate: %v", err)
	}
	if m, _ := cmis.Decode(s); len(m.Lanes) != 8 {
		t.Errorf("%d lanes", len(m.Lanes))
	}
	if st := mem.Stats(); st.NACKs == 0 || st.Retries != st.NACKs {
		t.Errorf("stats %+v: every NACK retried", st)
	}
}

func TestPagerBusTimeIsWireTime(t *testing.T) {
	r := newRig(t, map[uint16]string{0x50: "osfp-800g-dr8"})
	mem := r.pager.Module(0x50)
	buf := make([]byte, 128)
	if err := mem.Read(context.Background(), 0x50, 0, 0, 0, buf); err != nil {
		t.Fatal(err)
	}
	// start + addr(9) + offset(9) + restart + addr(9) + 128×9 + stop bits at 400 kHz.
	bits := 1 + 9 + 9 + 1 + 9 + 128*9 + 1
	want := time.Duration(bits) * time.Second / 400000
	if got := mem.Stats().BusTime; got != want {
		t.Errorf("bus time %v, want %v (%d bits at 400 kHz)", got, want, bits)
	}
}

// TestPagerNeverSelectsOnUnpagedA0: SFF-8472's A0h has no page select
// (byte 127 is vendor data). Even when its upper memory is the first thing
// read, before anything told the pager what module this is, nothing is
// written to it: the guard reads the identifier first. A page other than
// 00h there is refused, and the A2h device still pages.
func TestPagerNeverSelectsOnUnpagedA0(t *testing.T) {
	r := newRig(t, map[uint16]string{0x50: "sfp28-25g"})
	mem := r.pager.Module(0x50)
	ctx := context.Background()
	if err := mem.Read(ctx, 0x50, 0, 0, 128, make([]byte, 128)); err != nil {
		t.Fatal(err)
	}
	if err := mem.Read(ctx, 0x50, 0, 1, 128, make([]byte, 8)); !errors.Is(err, i2c.ErrRefused) {
		t.Errorf("A0h page 01h: %v, want ErrRefused", err)
	}
	if err := mem.Write(ctx, 0x50, 0, 0, i2c.PageSelect, []byte{1}); !errors.Is(err, i2c.ErrRefused) && !errors.Is(err, i2c.ErrWriteRefused) {
		t.Errorf("page select on A0h: %v, want refused", err)
	}
	if err := mem.Write(ctx, 0x50, 0, cmis.VDMControlPage, cmis.VDMFreezeRequest, []byte{cmis.VDMFreezeRequestBit}); !errors.Is(err, i2c.ErrWriteRefused) {
		t.Errorf("VDM freeze on an SFP: %v, want ErrWriteRefused", err)
	}
	for _, w := range r.mods[0x50].Writes() {
		if w.Addr == 0x50 {
			t.Errorf("write reached SFF-8472 A0h: %+v", w)
		}
	}
	if st := mem.Stats(); st.PageSelects != 0 || st.BytesWritten != 0 {
		t.Errorf("stats %+v: want no select, nothing written", st)
	}
}

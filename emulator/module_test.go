package emulator

import (
	"bytes"
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/ddm-agent/ddm/cmis"
)

func rd(t *testing.T, b *Bus, addr uint16, off byte, n int) []byte {
	t.Helper()
	buf := make([]byte, n)
	if err := b.Tx(addr, []byte{off}, buf); err != nil {
		t.Fatalf("read %d bytes at %d: %v", n, off, err)
	}
	return buf
}

func wr(t *testing.T, b *Bus, addr uint16, w ...byte) {
	t.Helper()
	if err := b.Tx(addr, w, nil); err != nil {
		t.Fatalf("write % x: %v", w, err)
	}
}

// page returns a window of the module's memory, for comparison.
func page(t *testing.T, m *Module, id cmis.PageID) []byte {
	t.Helper()
	p, ok := m.Snapshot().Page(id)
	if !ok {
		t.Fatalf("module has no %s", id)
	}
	return p
}

func TestPageSelect(t *testing.T) {
	tests := []struct {
		name      string
		profile   string
		faults    []Fault
		write     []byte // written at 0x50
		want127   byte
		wantPage  cmis.PageID // what 128-255 must show
		wantBank  byte        // 126 read back
		wantShown byte        // expected byte 142 (page 01h) check skipped when 0
	}{
		{"page 01h", "osfp-800g-dr8", nil, []byte{127, 0x01}, 0x01, cmis.Upper(0, 1), 0, 0},
		{"page 11h", "osfp-800g-dr8", nil, []byte{127, 0x11}, 0x11, cmis.Upper(0, 0x11), 0, 0},
		{"unsupported page 12h is refused", "osfp-800g-dr8", nil, []byte{127, 0x12}, 0x00, cmis.Upper(0, 0), 0, 0},
		{"VDM group 2 page 21h absent on a 1-group module", "osfp-800g-dr8", nil, []byte{127, 0x21}, 0x00, cmis.Upper(0, 0), 0, 0},
		{"ELSFP has no page 11h", "elsfp", nil, []byte{127, 0x11}, 0x00, cmis.Upper(0, 0), 0, 0},
		{"ELSFP page 1Bh", "elsfp", nil, []byte{127, 0x1B}, 0x1B, cmis.Upper(0, 0x1B), 0, 0},
		{"2-byte bank+page write", "osfpxd-1.6t-16", nil, []byte{126, 1, 0x11}, 0x11, cmis.Upper(1, 0x11), 1, 0},
		{"bank 2 on a 2-bank module is refused", "osfpxd-1.6t-16", nil, []byte{126, 2, 0x11}, 0x00, cmis.Upper(0, 0), 2, 0},
		{"bank ignored for unbanked page 01h", "osfpxd-1.6t-16", nil, []byte{126, 3, 0x01}, 0x01, cmis.Upper(0, 1), 3, 0},
		{"bank 3 of a 4-bank engine", "npo-3.2t", nil, []byte{126, 3, 0x24}, 0x24, cmis.Upper(3, 0x24), 3, 0},
		{"VDM control 2Fh is module-wide", "npo-3.2t", nil, []byte{126, 2, 0x2F}, 0x2F, cmis.Upper(0, 0x2F), 2, 0},
		{"refused-pages fault keeps 127 and serves page 00h", "osfp-1.6t-dr8",
			[]Fault{{Kind: FaultRefusedPages, Pages: []uint8{0x21, 0x25}}}, []byte{127, 0x21}, 0x21, cmis.Upper(0, 0), 0, 0},
		{"refused-pages fault leaves other pages alone", "osfp-1.6t-dr8",
			[]Fault{{Kind: FaultRefusedPages, Pages: []uint8{0x21, 0x25}}}, []byte{127, 0x20}, 0x20, cmis.Upper(0, 0x20), 0, 0},
		{"SFF-8636 page 03h", "qsfp28-100g-lr4", nil, []byte{127, 0x03}, 0x03, cmis.Upper(0, 3), 0, 0},
		{"SFF-8636 page 01h is refused", "qsfp28-100g-lr4", nil, []byte{127, 0x01}, 0x00, cmis.Upper(0, 0), 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, b, clk := newTestModule(t, tc.profile, WithFaults(tc.faults...))
			clk.Advance(5 * time.Second)
			wr(t, b, 0x50, tc.write...)
			if got := rd(t, b, 0x50, 127, 1)[0]; got != tc.want127 {
				t.Errorf("127 reads %02Xh, want %02Xh", got, tc.want127)
			}
			if tc.profile != "qsfp28-100g-lr4" {
				if got := rd(t, b, 0x50, 126, 1)[0]; got != tc.wantBank {
					t.Errorf("126 reads %d, want %d", got, tc.wantBank)
				}
			}
			// Compare a stable stretch of the upper page (no live values).
			want := page(t, m, tc.wantPage)
			got := rd(t, b, 0x50, 128, 128)
			if tc.wantPage.Page == 0x11 || tc.wantPage.Page == 0x24 || tc.wantPage.Page == 0x1B {
				got, want = got[:26], want[:26] // 128-153: states and flags at rest
				if tc.wantPage.Page == 0x1B {
					got, want = got[:16], want[:16] // setpoints
				}
			}
			if !bytes.Equal(got, want) {
				t.Errorf("upper page:\n got % x\nwant % x", got, want)
			}
		})
	}
}

func TestBankTakesEffectWithPageSelect(t *testing.T) {
	m, b, clk := newTestModule(t, "osfpxd-1.6t-16")
	clk.Advance(5 * time.Second)
	bank0 := page(t, m, cmis.Upper(0, 0x20))
	bank1 := page(t, m, cmis.Upper(1, 0x20))
	if !bytes.Equal(bank0, bank1) || bank1[1] == 0 {
		t.Fatalf("descriptor pages differ or are empty: % x", bank1[:8])
	}
	wr(t, b, 0x50, 127, 0x20)
	wr(t, b, 0x50, 126, 1) // bank alone: not acted upon yet
	if got := rd(t, b, 0x50, 126, 1)[0]; got != 1 {
		t.Errorf("126 reads %d, want 1", got)
	}
	if got := m.sel.bank; got != 0 {
		t.Errorf("bank in effect %d before 127 is written, want 0", got)
	}
	wr(t, b, 0x50, 127, 0x11) // now bank 1 page 11h
	wr(t, b, 0x50, 127, 0x20) // still bank 1
	if m.sel.bank != 1 || m.sel.page != 0x20 {
		t.Errorf("selection %+v, want bank 1 page 20h", m.sel)
	}
	// Descriptors are the same layout in each bank (lanes are per bank).
	if got := rd(t, b, 0x50, 128, 128); !bytes.Equal(got, bank1) {
		t.Errorf("bank 1 page 20h reads % x", got[:16])
	}
}

func TestSequentialReads(t *testing.T) {
	m, b, clk := newTestModule(t, "qsfpdd-400g-fr4")
	clk.Advance(5 * time.Second)
	p00 := page(t, m, cmis.Upper(0, 0))
	// Lower memory runs into the upper page.
	buf := rd(t, b, 0x50, 120, 16)
	if !bytes.Equal(buf[8:], p00[:8]) {
		t.Errorf("read across 127/128: % x, want upper % x", buf[8:], p00[:8])
	}
	// 255 wraps to 128.
	buf = rd(t, b, 0x50, 250, 10)
	if !bytes.Equal(buf[:6], p00[122:]) || !bytes.Equal(buf[6:], p00[:4]) {
		t.Errorf("read across 255: % x", buf)
	}
	// A read alone continues from the pointer (now 132).
	cur := make([]byte, 4)
	if err := b.Tx(0x50, nil, cur); err != nil || !bytes.Equal(cur, p00[4:8]) {
		t.Errorf("current-address read % x (%v), want % x", cur, err, p00[4:8])
	}
	// SFF-8472 A0h is a 256-byte device: 255 wraps to 0.
	_, sb, sclk := newTestModule(t, "sfp28-25g")
	sclk.Advance(5 * time.Second)
	buf = rd(t, sb, 0x50, 254, 4)
	if buf[2] != 0x03 { // A0h byte 0: identifier
		t.Errorf("SFF-8472 read across 255: % x, want byte 0 (03h) after 255", buf)
	}
	if got := rd(t, sb, 0x51, 0, 2); got[0] == 0 && got[1] == 0 {
		t.Error("A2h thresholds read as zero")
	}
}

func TestWritesToReadOnlyBytesAreIgnored(t *testing.T) {
	tests := []struct {
		profile string
		addr    uint16
		write   []byte
		check   byte // offset read back
		ignored int64
	}{
		{"osfp-800g-dr8", 0x50, []byte{14, 0xAA, 0xBB}, 14, 2},   // temperature monitor
		{"osfp-800g-dr8", 0x50, []byte{0, 0x55}, 0, 1},           // identifier
		{"osfp-800g-dr8", 0x50, []byte{129, 'X', 'Y'}, 129, 2},   // vendor name (page 00h)
		{"osfp-800g-dr8", 0x50, []byte{8, 0xFF}, 8, 1},           // latched flags
		{"qsfp28-100g-lr4", 0x50, []byte{22, 0, 0}, 22, 2},       // temperature
		{"sfp28-25g", 0x51, []byte{96, 0x12}, 96, 1},             // A2h temperature
		{"sfp28-25g", 0x50, []byte{20, 'Z'}, 20, 1},              // A0h vendor
		{"sfp28-25g", 0x51, []byte{127, 0x05}, 127, 0},           // A2h page select: accepted, refused
		{"osfp-800g-dr8", 0x50, []byte{126, 0, 0x2F}, 127, 0},    // allowlisted
		{"osfp-800g-dr8", 0x50, []byte{118, 0x12, 0x34}, 118, 0}, // password: write-only
		{"osfp-800g-dr8", 0x50, []byte{26, 0x10}, 26, 0},         // module controls: host-writable
	}
	for _, tc := range tests {
		m, b, clk := newTestModule(t, tc.profile)
		clk.Advance(5 * time.Second)
		before := m.Snapshot()
		wr(t, b, tc.addr, tc.write...)
		total, ignored := m.WriteCounts()
		if total != int64(len(tc.write)-1) || ignored != tc.ignored {
			t.Errorf("%s write % x: counts %d/%d ignored, want %d/%d", tc.profile, tc.write, ignored, total, tc.ignored, len(tc.write)-1)
		}
		log := m.Writes()
		if len(log) != len(tc.write)-1 || log[0].Offset != int(tc.write[0]) || log[0].Addr != tc.addr {
			t.Errorf("%s: write log %+v", tc.profile, log)
		}
		if tc.ignored > 0 {
			id := cmis.PageID{Addr: uint8(tc.addr), Lower: tc.check < 128}
			want := before.Bytes(id, int(tc.check), 1)
			if got := m.Snapshot().Bytes(id, int(tc.check), 1); tc.check != 8 && !bytes.Equal(got, want) {
				t.Errorf("%s: byte %d changed from %x to %x", tc.profile, tc.check, want, got)
			}
		}
	}
	// Write-only bytes read back as zero.
	_, b, _ := newTestModule(t, "osfp-800g-dr8")
	wr(t, b, 0x50, 118, 0x12)
	if got := rd(t, b, 0x50, 118, 1)[0]; got != 0 {
		t.Errorf("password byte reads %02x, want 0", got)
	}
}

// hotProfile is an 800G DR8 whose temperature warning sits just above its
// operating temperature at load 0.5, so the load factor moves it across.
func hotProfile() Profile {
	p, _ := LookupProfile("osfp-800g-dr8")
	p.Temp = lim(80, -5, 50, 0)
	return p
}

func TestClearOnReadAndRelatch(t *testing.T) {
	clk := NewManualClock(t0)
	m, err := NewModuleFromProfile(hotProfile(), WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	b := NewBus("i2c-0", 0, clk)
	m.AttachTo(b)
	const tempHW = 0x04 // lower byte 9 bit 2
	clk.Advance(20 * time.Minute)
	rd(t, b, 0x50, 8, 4) // clear what power-up latched
	wr(t, b, 0x50, 127, 0x11)
	rd(t, b, 0x50, 134, 20)
	// Hot: the condition is present.
	m.SetLoad(1)
	clk.Advance(20 * time.Minute)
	if got := rd(t, b, 0x50, 3, 1)[0]; got&1 != 0 {
		t.Errorf("byte 3 = %02x: IntL not asserted with a flag latched", got)
	}
	if got := rd(t, b, 0x50, 9, 1)[0]; got&tempHW == 0 {
		t.Fatalf("byte 9 = %02x: temperature high warning not latched at %.1f °C", got, temp(t, m))
	}
	if got := rd(t, b, 0x50, 9, 1)[0]; got != 0 {
		t.Errorf("second read of byte 9 = %02x, want 0 (clear on read)", got)
	}
	if got := rd(t, b, 0x50, 3, 1)[0]; got&1 != 1 {
		t.Errorf("byte 3 = %02x: IntL still asserted after the flags were read", got)
	}
	clk.Advance(DefaultUpdateInterval)
	if got := rd(t, b, 0x50, 9, 1)[0]; got&tempHW == 0 {
		t.Errorf("byte 9 = %02x: a persisting condition did not latch again", got)
	}
	// A condition that came and went between reads stays latched.
	m.SetLoad(0)
	clk.Advance(20 * time.Minute)
	rd(t, b, 0x50, 9, 1)
	clk.Advance(time.Second)
	if got := rd(t, b, 0x50, 9, 1)[0]; got != 0 {
		t.Fatalf("byte 9 = %02x while cool (%.1f °C), want 0", got, temp(t, m))
	}
	m.SetLoad(1)
	clk.Advance(15 * time.Minute)
	m.SetLoad(0)
	clk.Advance(15 * time.Minute)
	if got := rd(t, b, 0x50, 9, 1)[0]; got&tempHW == 0 {
		t.Errorf("byte 9 = %02x: a warning between two reads was lost", got)
	}
}

func temp(t *testing.T, m *Module) float64 {
	t.Helper()
	d, _ := cmis.Decode(m.Snapshot())
	if d.TemperatureC == nil {
		t.Fatal("no temperature")
	}
	return *d.TemperatureC
}

func TestLaneFlagsClearOnReadAndSummary(t *testing.T) {
	// Lane 2 of bank 1 fades: its Rx power falls below the low alarm.
	m, b, clk := newTestModule(t, "osfpxd-1.6t-16",
		WithDegradations(Degradation{Kind: RxFade, Lane: 10, Rate: 60}))
	clk.Advance(15 * time.Minute) // 15 dB down: LOS too
	for bank := byte(0); bank < 2; bank++ {
		wr(t, b, 0x50, 126, bank, 0x11)
		rd(t, b, 0x50, 134, 20) // DPStateChanged and friends from power-up
	}
	clk.Advance(DefaultUpdateInterval)
	if got := rd(t, b, 0x50, 5, 1)[0]; got&0x01 == 0 {
		t.Errorf("byte 5 (bank 1 summary) = %02x, want bit 0", got)
	}
	if got := rd(t, b, 0x50, 4, 1)[0]; got&0x01 != 0 {
		t.Errorf("byte 4 (bank 0 summary) = %02x, want bit 0 clear", got)
	}
	flags := rd(t, b, 0x50, 134, 20)
	for _, c := range []struct {
		off  int
		name string
	}{{147, "RxLOS"}, {148, "RxCDR LOL"}, {150, "Rx power low alarm"}, {152, "Rx power low warning"}} {
		if flags[c.off-134] != 0x02 {
			t.Errorf("byte %d (%s) = %02x, want 02 (lane 2 of the bank)", c.off, c.name, flags[c.off-134])
		}
	}
	if again := rd(t, b, 0x50, 134, 20); !bytes.Equal(again, make([]byte, 20)) {
		t.Errorf("flags after reading them: % x, want zeros", again)
	}
	if got := rd(t, b, 0x50, 5, 1)[0]; got&0x01 != 0 {
		t.Errorf("byte 5 = %02x after the page 11h flags were read, want bit 0 clear", got)
	}
	_ = m
}

func TestSFF8636ClearOnRead(t *testing.T) {
	_, b, clk := newTestModule(t, "qsfp28-100g-lr4",
		WithDegradations(Degradation{Kind: RxFade, Lane: 3, Rate: 60}))
	clk.Advance(15 * time.Minute)
	if got := rd(t, b, 0x50, 2, 1)[0]; got != 0x00 {
		t.Errorf("byte 2 = %02x, want 00 (paged, IntL asserted, data ready)", got)
	}
	f := rd(t, b, 0x50, 3, 12)
	if f[0] != 0x04 { // Rx LOS lane 3
		t.Errorf("byte 3 = %02x, want 04", f[0])
	}
	if f[6-3]&0x01 == 0 { // byte 6 b0: initialization complete
		t.Errorf("byte 6 = %02x, want init complete", f[6-3])
	}
	if f[10-3]>>4 != 0x05 { // byte 10 high nibble: lane 3 Rx power LA (b2) and LW (b0)
		t.Errorf("byte 10 = %02x, want lane 3 low alarm and low warning in the high nibble", f[7])
	}
	if again := rd(t, b, 0x50, 3, 12); !bytes.Equal(again, make([]byte, 12)) {
		t.Errorf("flags after reading: % x", again)
	}
	if got := rd(t, b, 0x50, 2, 1)[0]; got != 0x02 {
		t.Errorf("byte 2 = %02x after reading the flags, want 02 (IntL deasserted)", got)
	}
}

func TestStateMachineAfterInsertion(t *testing.T) {
	tm := Timings{LowPwr: 200 * time.Millisecond, PwrUp: 2 * time.Second, DPInit: time.Second, TxTurnOn: 300 * time.Millisecond}
	_, b, clk := newTestModule(t, "osfp-800g-dr8", WithTimings(tm))
	steps := []struct {
		at        time.Duration
		state, dp byte
	}{
		{0, stateLowPwr, dpDeactivated},
		{199 * time.Millisecond, stateLowPwr, dpDeactivated},
		{200 * time.Millisecond, statePwrUp, dpDeactivated},
		{2200 * time.Millisecond, stateReady, dpInit},
		{3200 * time.Millisecond, stateReady, dpTxTurnOn},
		{3500 * time.Millisecond, stateReady, dpActivated},
		{time.Hour, stateReady, dpActivated},
	}
	prev := steps[0]
	for _, s := range steps {
		clk.Set(t0.Add(s.at))
		st := rd(t, b, 0x50, 3, 1)[0]
		if got := st >> 1 & 7; got != s.state {
			t.Errorf("at %v: module state %d, want %d", s.at, got, s.state)
		}
		changed := rd(t, b, 0x50, 8, 1)[0]&1 != 0
		if changed != (s.state != prev.state) {
			t.Errorf("at %v: ModuleStateChanged %v, want %v", s.at, changed, s.state != prev.state)
		}
		wr(t, b, 0x50, 127, 0x11)
		p11 := rd(t, b, 0x50, 128, 7)
		for i := 0; i < 4; i++ {
			if p11[i] != s.dp<<4|s.dp {
				t.Errorf("at %v: page 11h byte %d = %02x, want data-path state %d for both lanes", s.at, 128+i, p11[i], s.dp)
			}
		}
		if dpChanged := p11[6] == 0xFF; dpChanged != (s.dp != prev.dp) {
			t.Errorf("at %v: DPStateChanged %02x, want changed=%v", s.at, p11[6], s.dp != prev.dp)
		}
		prev = s
	}
	// SFF: Data_Not_Ready, then ready.
	_, sb, sclk := newTestModule(t, "sfp28-25g")
	if got := rd(t, sb, 0x51, 110, 1)[0]; got&1 != 1 {
		t.Errorf("SFP at insertion: A2h 110 = %02x, want Data_Ready_Bar", got)
	}
	sclk.Advance(2 * time.Second)
	if got := rd(t, sb, 0x51, 110, 1)[0]; got&1 != 0 {
		t.Errorf("SFP after power-up: A2h 110 = %02x, want ready", got)
	}
}

func TestHotPlugSchedule(t *testing.T) {
	m, b, clk := newTestModule(t, "qsfpdd-400g-fr4",
		WithFaults(Fault{Kind: FaultUnplug, Window: Window{Start: time.Minute, Duration: 30 * time.Second, Every: 5 * time.Minute}}))
	clk.Advance(50 * time.Second)
	wr(t, b, 0x50, 127, 0x11)
	if st := rd(t, b, 0x50, 3, 1)[0] >> 1 & 7; st != stateReady {
		t.Fatalf("state %d before the unplug", st)
	}
	for _, at := range []time.Duration{time.Minute, 89 * time.Second, 6*time.Minute + 10*time.Second} {
		clk.Set(t0.Add(at))
		if err := b.Tx(0x50, []byte{0}, make([]byte, 1)); !errors.Is(err, syscall.ENXIO) {
			t.Errorf("at %v: %v, want ENXIO while unplugged", at, err)
		}
		if m.Present() {
			t.Errorf("at %v: Present", at)
		}
	}
	clk.Set(t0.Add(6*time.Minute + 30*time.Second)) // replugged at 6m30s
	if st := rd(t, b, 0x50, 3, 1)[0] >> 1 & 7; st != stateLowPwr {
		t.Errorf("state %d just after re-insertion, want LowPwr", st)
	}
	if got := rd(t, b, 0x50, 127, 1)[0]; got != 0 {
		t.Errorf("page select %02x after re-insertion, want 0", got)
	}
}

// TestWriteLogMemory: the write log every emulated module keeps is a ring
// of WriteLogSize records allocated once, so ten thousand page selects
// (about 15 minutes of an agent's reads) cost a module at most its ring,
// not a log grown to 4096 records by doubling (720 kB allocated; 40 kB now).
func TestWriteLogMemory(t *testing.T) {
	m, b, _ := newTestModule(t, "osfp-800g-dr8")
	wr(t, b, 0x50, 127, 0) // the first write allocates the ring
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10000 {
		wr(t, b, 0x50, 127, 0)
	}
	runtime.ReadMemStats(&after)
	// The bound: the ring once more, plus the bus's few bytes a write
	// (about 4: 40 kB here).
	const recordBytes = int(unsafe.Sizeof(WriteRecord{}))
	if grew, bound := after.TotalAlloc-before.TotalAlloc, uint64(WriteLogSize*recordBytes+80_000); grew > bound {
		t.Errorf("10000 writes allocated %d bytes, want at most %d", grew, bound)
	}
	if got := len(m.Writes()); got != WriteLogSize {
		t.Errorf("write log holds %d records, want the last %d", got, WriteLogSize)
	}
	if total, _ := m.WriteCounts(); total != 10001 {
		t.Errorf("WriteCounts total %d, want 10001", total)
	}
}

package i2c_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/modread"
)

// Bus cost per module and cadence, on the emulator's virtual bus clock
// (start, address, data and stop bits of every transaction): deterministic,
// so it is measured exactly, not timed. docs/BENCHMARKS.md carries the
// table that `go test -run TestBusCost -v ./i2c/` prints.

const khz400 = 400 * physic.KiloHertz

// wire is the bit count of one transaction: start, address byte + ACK, the
// written bytes, and for a read a repeated start, address byte and the read
// bytes, then stop.
func wire(w, r int) int {
	bits := 1 + 9 + 9*w + 1
	if r > 0 {
		bits += 1 + 9 + 9*r
	}
	return bits
}

func bitsToTime(bits int, f physic.Frequency) time.Duration {
	return time.Duration(int64(bits) * int64(time.Second) / int64(f/physic.Hertz))
}

// minimum is the least a cadence can cost: one transaction per range (1
// offset byte written, the range read) and, for each upper page the plan
// touches that is not already selected, one page-select write (2 bytes; 3
// with the bank).
func minimum(plan []cmis.Range, selected cmis.PageID, haveSel bool) (tx, bytes, selects, bits int) {
	seen := map[cmis.PageID]bool{}
	cur, have := selected, haveSel
	for _, r := range modread.SortRanges(plan) {
		if !r.Page.Lower && (!have || cur != r.Page) && !seen[r.Page] {
			seen[r.Page] = true
			selects++
			tx++
			w := 2
			if r.Page.Bank != cur.Bank {
				w = 3
			}
			bits += wire(w, 0)
			cur, have = r.Page, true
		}
		tx++
		bytes += r.Length
		bits += wire(1, r.Length)
	}
	return
}

type costRow struct {
	profile, cadence                 string
	tx, bytes, selects               int64
	busTime, minTime                 time.Duration
	minTx, minSelects, pagesRead     int
	fbossTime, fbossSleep, sonicTime time.Duration
	sonicTx                          int
}

// measure runs one module through static, then steady-state fast and VDM
// cycles, and returns per-cadence costs (the second fast cycle, the second
// VDM cycle: steady state, page already selected where it can be).
func measure(t testing.TB, profile string) []costRow {
	clk := emulator.NewManualClock(t0)
	bus := emulator.NewBus("bench", khz400, clk)
	m, err := emulator.NewModule(profile, emulator.WithClock(clk), emulator.WithOrigin(t0.Add(-time.Hour)), emulator.WithInsertion(t0.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	m.AttachTo(bus)
	wait := func(ctx context.Context, d time.Duration) error { clk.Advance(d); return nil }
	pager := i2c.NewPager(bus, i2c.PagerOptions{Wait: wait})
	mem := pager.Module(0x50)
	ctx := context.Background()
	s := cmis.NewSnapshot()
	var rows []costRow
	before := mem.Stats()
	if err := modread.ReadStatic(ctx, mem, s); err != nil {
		t.Fatal(err)
	}
	st := mem.Stats().Sub(before)
	// The static plan's ranges, round by round, replayed from what was read.
	var static []cmis.Range
	replay := cmis.NewSnapshot()
	for round := 0; round < 10; round++ {
		rs := cmis.Plan(replay, cmis.Static)
		progress := false
		for _, r := range rs {
			if b := s.Bytes(r.Page, r.Offset, r.Length); b != nil {
				_ = replay.Set(r.Page, r.Offset, b)
				static = append(static, r)
				progress = true
			}
		}
		if !progress {
			break
		}
	}
	// Static: the pager reads back each first page select, so its minimum
	// is the plan plus one read-back per page.
	tx, by, sel, bits := minimum(static, cmis.PageID{}, false)
	bits += sel * wire(1, 2)
	tx += sel
	rows = append(rows, costRow{profile: profile, cadence: "static", tx: st.Transactions, bytes: st.BytesRead, selects: st.PageSelects,
		busTime: st.BusTime, minTime: bitsToTime(bits, khz400), minTx: tx, minSelects: sel, pagesRead: countPages(static)})
	_ = by

	fast := cmis.Plan(s, cmis.Fast)
	vdm := cmis.Plan(s, cmis.VDM)
	var lastFast, lastVDM i2c.Stats
	var timing modread.FreezeTiming // learned across cycles, as the agent keeps it per port
	var selBeforeFast cmis.PageID
	for cycle := 0; cycle < 3; cycle++ {
		before = mem.Stats()
		if err := modread.Fetch(ctx, mem, fast, s); err != nil {
			t.Fatal(err)
		}
		lastFast = mem.Stats().Sub(before)
		if len(vdm) > 0 {
			before = mem.Stats()
			release, err := modread.Freeze(ctx, mem, 0x50, modread.FreezeOptions{Wait: wait, Learned: &timing})
			if err != nil {
				t.Fatal(err)
			}
			if err := modread.Fetch(ctx, mem, vdm, s); err != nil {
				t.Fatal(err)
			}
			if err := release(ctx); err != nil {
				t.Fatal(err)
			}
			lastVDM = mem.Stats().Sub(before)
		}
		clk.Advance(time.Second)
	}
	// Steady state: a module polled only at the fast cadence keeps its
	// last fast page selected (the last range of the sorted plan).
	fs := modread.SortRanges(fast)
	selBeforeFast = fs[len(fs)-1].Page
	haveSel := !selBeforeFast.Lower
	if len(vdm) > 0 {
		haveSel = false // a VDM cycle ran in between and left page 2Fh selected
	}
	ftx, fby, fsel, fbits := minimum(fast, selBeforeFast, haveSel)
	_ = fby
	row := costRow{profile: profile, cadence: "fast", tx: lastFast.Transactions, bytes: lastFast.BytesRead, selects: lastFast.PageSelects,
		busTime: lastFast.BusTime, minTime: bitsToTime(fbits, khz400), minTx: ftx, minSelects: fsel, pagesRead: countPages(fast)}
	row.fbossTime, row.fbossSleep, row.sonicTime, row.sonicTx = peers(fast)
	rows = append(rows, row)
	if len(vdm) > 0 {
		// Freeze handshake floor: read 144 (RMW), write 144, poll 145 once,
		// then the same to release: about 6 small transactions, plus the
		// page 2Fh select when it is not selected.
		vtx, _, vsel, vbits := minimum(vdm, cmis.Upper(0, 0x2F), true)
		// The handshake: select 2Fh (fast left page 11h), read 144, write
		// 144, poll 145 once; after the samples select 2Fh again, read 144,
		// write 144, poll 145 once.
		hand := 2 * (wire(2, 0) + wire(1, 1) + wire(2, 0) + wire(1, 1))
		rows = append(rows, costRow{profile: profile, cadence: "vdm", tx: lastVDM.Transactions, bytes: lastVDM.BytesRead, selects: lastVDM.PageSelects,
			busTime: lastVDM.BusTime, minTime: bitsToTime(vbits+hand, khz400), minTx: vtx + 8, minSelects: vsel + 2, pagesRead: countPages(vdm) + 2})
	}
	return rows
}

func countPages(rs []cmis.Range) int {
	seen := map[cmis.PageID]bool{}
	for _, r := range rs {
		if !r.Page.Lower {
			seen[r.Page] = true
		}
	}
	return len(seen)
}

// peers models the fast-cadence patterns of the peers described in
// shared/reference/peers-sonic-fboss.md §2.3 and §1.5: FBOSS reads whole
// 128-byte pages (lower and each page of the plan) with a page-select write
// and a 20 ms sleep after every write; SONiC reads field by field (one
// transaction per 2-byte monitor word or flag byte, page restored to 00h
// after each upper-page access by optoe).
func peers(plan []cmis.Range) (fboss, fbossSleep, sonic time.Duration, sonicTx int) {
	pages := map[cmis.PageID]bool{}
	fbits := wire(1, 128) // lower page
	for _, r := range plan {
		if !r.Page.Lower && !pages[r.Page] {
			pages[r.Page] = true
			fbits += wire(2, 0) + wire(1, 128)
		}
	}
	fboss = bitsToTime(fbits, khz400)
	fbossSleep = time.Duration(len(pages)) * 20 * time.Millisecond
	sbits := 0
	for _, r := range plan {
		fields := (r.Length + 1) / 2
		for i := 0; i < fields; i++ {
			sonicTx++
			sbits += wire(1, 2)
			if !r.Page.Lower {
				sonicTx += 2
				sbits += 2 * wire(2, 0) // select, then restore page 0
			}
		}
	}
	return fboss, fbossSleep, bitsToTime(sbits, khz400), sonicTx
}

var busCostProfiles = []string{"qsfpdd-400g-fr4", "osfp-800g-dr8", "osfp-1.6t-dr8", "osfpxd-1.6t-16", "npo-3.2t", "elsfp", "qsfp28-100g-lr4", "sfp28-25g"}

// TestBusCost checks the targets (steady-state bus time within 10% of the
// plan's minimum; at most one page select per page read) and prints the
// table for docs/BENCHMARKS.md.
func TestBusCost(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "| profile | cadence | transactions | bytes read | page selects (pages read) | bus time @400 kHz | minimum | ratio | FBOSS-like (wire + sleeps) | SONiC-like |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range busCostProfiles {
		for _, r := range measure(t, p) {
			ratio := float64(r.busTime) / float64(r.minTime)
			peersCol, sonicCol := "", ""
			if r.cadence == "fast" {
				peersCol = fmt.Sprintf("%.2f ms + %d ms", ms(r.fbossTime), r.fbossSleep.Milliseconds())
				sonicCol = fmt.Sprintf("%d tx, %.2f ms", r.sonicTx, ms(r.sonicTime))
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d (%d) | %.3f ms | %.3f ms | %.2f | %s | %s |\n", r.profile, r.cadence, r.tx, r.bytes,
				r.selects, r.pagesRead, ms(r.busTime), ms(r.minTime), ratio, peersCol, sonicCol)
			if r.cadence != "static" && ratio > 1.10 {
				t.Errorf("%s %s: bus time %v is %.0f%% above the minimum %v", p, r.cadence, r.busTime, (ratio-1)*100, r.minTime)
			}
			if r.selects > int64(r.pagesRead) {
				t.Errorf("%s %s: %d page selects for %d pages read", p, r.cadence, r.selects, r.pagesRead)
			}
		}
	}
	t.Log("\n" + b.String())
	if out := os.Getenv("DDM_BUSCOST_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkPagerFastCycle measures the CPU cost of one fast cycle of an
// 800G module through the pager and the emulator (ns/op, allocs/op).
func BenchmarkPagerFastCycle(b *testing.B) {
	clk := emulator.NewManualClock(t0)
	bus := emulator.NewBus("bench", khz400, clk)
	m, _ := emulator.NewModule("osfp-800g-dr8", emulator.WithClock(clk), emulator.WithOrigin(t0.Add(-time.Hour)), emulator.WithInsertion(t0.Add(-time.Hour)))
	m.AttachTo(bus)
	mem := i2c.NewPager(bus, i2c.PagerOptions{}).Module(0x50)
	s := cmis.NewSnapshot()
	ctx := context.Background()
	if err := modread.ReadStatic(ctx, mem, s); err != nil {
		b.Fatal(err)
	}
	fast := cmis.Plan(s, cmis.Fast)
	b.ReportAllocs()
	for b.Loop() {
		if err := modread.Fetch(ctx, mem, fast, s); err != nil {
			b.Fatal(err)
		}
	}
}

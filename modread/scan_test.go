package modread

import (
	"context"
	"fmt"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
)

// twinModule is newModule with options and its clock.
func twinModule(t *testing.T, profile string, opts ...emulator.Option) (i2c.Memory, *emulator.ManualClock) {
	t.Helper()
	clk := emulator.NewManualClock(start)
	m, err := emulator.NewModule(profile, append([]emulator.Option{emulator.WithClock(clk),
		emulator.WithInsertion(start.Add(-time.Hour)), emulator.WithOrigin(start)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	bus := emulator.NewBus("b", 400*physic.KiloHertz, clk)
	m.AttachTo(bus)
	return i2c.NewPager(bus, i2c.PagerOptions{}).Module(0x50), clk
}

// TestScanFlagsMatchFastRead: two identical modules (same seed, same
// faults, same clock steps), one read by flag scans, the other by fast
// reads: every scan finds the flags the fast read finds, a quiet module
// costs one short read, and a latched lane flag makes the scan read that
// bank's flags and no other's.
func TestScanFlagsMatchFastRead(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		profile string
		lanes   []int
		// quiet is the bytes a scan of a quiet module reads.
		quiet int64
	}{
		{"osfp-800g-dr8", []int{3, 7}, 11},
		{"osfpxd-1.6t-16", []int{12}, 11}, // bank 1 only
		{"qsfp28-100g-lr4", []int{2}, 12},
		{"sfp28-25g", nil, 8},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			var opts []emulator.Option
			if tc.lanes != nil {
				opts = append(opts, emulator.WithFaults(emulator.Fault{Kind: emulator.FaultLOSPulses,
					Window: emulator.Window{Start: time.Second}, Lanes: tc.lanes}))
			}
			scanMem, scanClk := twinModule(t, tc.profile, opts...)
			fastMem, fastClk := twinModule(t, tc.profile, opts...)
			scanner, faster := New(scanMem, Options{}), New(fastMem, Options{})
			for _, r := range []*Reader{scanner, faster} {
				if _, err := r.ReadStatic(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := r.ReadFast(ctx, nil); err != nil { // power-up latches
					t.Fatal(err)
				}
			}
			var f Flags
			var m cmis.Module
			seen, quietScans := 0, 0
			for i := 0; i < 400; i++ {
				scanClk.Advance(50 * time.Millisecond)
				fastClk.Advance(50 * time.Millisecond)
				before := scanMem.Stats()
				if err := scanner.ScanFlags(ctx, &f); err != nil {
					t.Fatal(err)
				}
				io := scanMem.Stats().Sub(before)
				if _, err := faster.ReadFast(ctx, &m); err != nil {
					t.Fatal(err)
				}
				if f.Module != m.Flags {
					t.Fatalf("read %d: scan module flags %v, fast %v", i, f.Module, m.Flags)
				}
				for j, l := range m.Lanes {
					if f.Lanes[j] != l.Flags {
						t.Fatalf("read %d lane %d: scan %v, fast %v", i, l.Lane, f.Lanes[j], l.Flags)
					}
				}
				if !f.Any() {
					quietScans++
					if io.BytesRead != tc.quiet || io.Transactions > 2 {
						t.Fatalf("read %d: a quiet scan read %d bytes in %d transactions, want %d", i, io.BytesRead, io.Transactions, tc.quiet)
					}
					continue
				}
				seen++
				if tc.profile == "osfpxd-1.6t-16" && f.FollowUps != 1 {
					t.Fatalf("read %d: %d banks read after the summaries, want bank 1 alone", i, f.FollowUps)
				}
			}
			if tc.lanes != nil && (seen == 0 || quietScans == 0) {
				t.Errorf("%d scans saw flags, %d were quiet: the pulses should give both", seen, quietScans)
			}
		})
	}
}

// TestScanVDMFlagsReachVDMRead: with ScanVDMFlags, a scan whose summaries
// show a latched VDM flag (CMIS byte 4 bit 3) reads that bank's page 2Ch
// flags, which clears them (so IntL can rise), and the next VDM read
// reports them: two identical modules, one scanned every 50 ms with the
// option, the other not scanned, give the same VDM flags at every VDM
// read. Without the option a scan leaves page 2Ch alone.
func TestScanVDMFlagsReachVDMRead(t *testing.T) {
	ctx := context.Background()
	opts := []emulator.Option{emulator.WithFreezeDelay(0), emulator.WithFaults(emulator.Fault{Kind: emulator.FaultLOSPulses,
		Window: emulator.Window{Start: time.Second}, Lanes: []int{3}})}
	scanMem, scanClk := twinModule(t, "osfp-800g-dr8", opts...)
	twinMem, twinClk := twinModule(t, "osfp-800g-dr8", opts...)
	scanner, twin := New(scanMem, Options{ScanVDMFlags: true}), New(twinMem, Options{})
	for _, r := range []*Reader{scanner, twin} {
		if _, err := r.ReadStatic(ctx); err != nil {
			t.Fatal(err)
		}
	}
	flagged := func(m *cmis.Module) (out []string) {
		for _, v := range m.VDM {
			if v.Flags != 0 {
				out = append(out, fmt.Sprintf("%s/%d:%v", v.Observable, v.Lane, v.Flags))
			}
		}
		return out
	}
	summary2C := func(mem i2c.Memory) bool {
		b := make([]byte, 1)
		if err := mem.Read(ctx, cmis.AddrA0, 0, 0, 4, b); err != nil {
			t.Fatal(err)
		}
		return b[0]&0x08 != 0
	}
	var f Flags
	cleared, withFlags := 0, 0
	for i := 1; i <= 600; i++ {
		scanClk.Advance(50 * time.Millisecond)
		twinClk.Advance(50 * time.Millisecond)
		set := summary2C(scanMem)
		if err := scanner.ScanFlags(ctx, &f); err != nil {
			t.Fatal(err)
		}
		if set && !summary2C(scanMem) {
			cleared++
		}
		if i%40 != 0 {
			continue
		}
		var sm, tm cmis.Module
		if err := scanner.ReadVDM(ctx, scanner.Layout(), cmis.NewSnapshot(), &sm); err != nil {
			t.Fatal(err)
		}
		if err := twin.ReadVDM(ctx, twin.Layout(), cmis.NewSnapshot(), &tm); err != nil {
			t.Fatal(err)
		}
		got, want := fmt.Sprint(flagged(&sm)), fmt.Sprint(flagged(&tm))
		if got != want {
			t.Fatalf("VDM read at %v: flags %s after scans, %s on the module never scanned", time.Duration(i)*50*time.Millisecond, got, want)
		}
		if len(flagged(&tm)) > 0 {
			withFlags++
		}
	}
	if cleared == 0 || withFlags == 0 {
		t.Errorf("%d scans cleared a latched VDM summary, %d VDM reads had flags: the pulses should give both", cleared, withFlags)
	}

	// Without the option, the summary stays set through a scan.
	plain, clk := twinModule(t, "osfp-800g-dr8", opts...)
	r := New(plain, Options{})
	if _, err := r.ReadStatic(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 600 && !summary2C(plain); i++ {
		clk.Advance(50 * time.Millisecond)
	}
	if err := r.ScanFlags(ctx, &f); err != nil || !summary2C(plain) {
		t.Errorf("a scan without ScanVDMFlags (err %v) cleared page 2Ch", err)
	}
}

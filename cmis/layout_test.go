package cmis_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/modread"
	"periph.io/x/conn/v3/physic"
)

// The fast path (a Layout made once from the static pages, then
// DecodeInto per read) must give what Decode gives for the static pages
// merged with the read: the same Module, field by field, on every real
// vector and on every emulated profile as its values move.

// firstDiff names the first field where a and b differ ("" when they are
// equal). Pointers compare by what they point to, NaN equals NaN, and a
// nil slice or map differs from an empty one, as reflect.DeepEqual has it.
func firstDiff(path string, a, b reflect.Value) string {
	if a.Kind() != b.Kind() {
		return fmt.Sprintf("%s: kind %s vs %s", path, a.Kind(), b.Kind())
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return fmt.Sprintf("%s: %v vs %v", path, show(a), show(b))
			}
			return ""
		}
		return firstDiff(path, a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if d := firstDiff(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return fmt.Sprintf("%s: %d elements (nil %v) vs %d (nil %v)", path, a.Len(), a.IsNil(), b.Len(), b.IsNil())
		}
		for i := 0; i < a.Len(); i++ {
			if d := firstDiff(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return fmt.Sprintf("%s: %d entries (nil %v) vs %d (nil %v)", path, a.Len(), a.IsNil(), b.Len(), b.IsNil())
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() {
				return fmt.Sprintf("%s[%v]: missing in the second", path, k)
			}
			if d := firstDiff(fmt.Sprintf("%s[%v]", path, k), a.MapIndex(k), bv); d != "" {
				return d
			}
		}
		return ""
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		if x != y && !(math.IsNaN(x) && math.IsNaN(y)) {
			return fmt.Sprintf("%s: %v vs %v", path, x, y)
		}
		return ""
	}
	if !a.Equal(b) {
		return fmt.Sprintf("%s: %v vs %v", path, show(a), show(b))
	}
	return ""
}

func show(v reflect.Value) any {
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		return v.Elem().Interface()
	}
	return v.Interface()
}

// diffModules is firstDiff of two Modules, "want" first.
func diffModules(want, got *cmis.Module) string {
	return firstDiff("Module", reflect.ValueOf(want), reflect.ValueOf(got))
}

// checkRead decodes read both ways and fails on the first difference. It
// reports whether the fast path (not its merging fallback) decoded it.
func checkRead(t *testing.T, what string, l *cmis.Layout, static, read *cmis.Snapshot, dst *cmis.Module) bool {
	t.Helper()
	merged := static.Clone()
	merged.Merge(read)
	want, err := cmis.Decode(merged)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	fast := cmis.DecodeFast(l, dst, read)
	if !fast {
		l.DecodeInto(dst, read)
	}
	if d := diffModules(want, dst); d != "" {
		t.Errorf("%s: fast decode (fast path %v) differs from Decode: %s", what, fast, d)
	}
	return fast
}

func vectorNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		b := filepath.Base(f)
		if strings.HasSuffix(b, ".expected.txt") || strings.HasSuffix(b, ".ethtool.txt") || b == "README.txt" {
			continue
		}
		out = append(out, f)
	}
	if len(out) < 26 {
		t.Fatalf("%d vectors found in %s, want the 26 real dumps", len(out), vectorDir)
	}
	return out
}

func TestLayoutMatchesDecodeOnEveryVector(t *testing.T) {
	// One destination for every read of every vector, as a poller keeps
	// one per port: each decode must leave nothing of the one before, even
	// of another module.
	var dst cmis.Module
	for _, path := range vectorNames(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			d, err := dumpfile.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			l, static, read := cmis.ReadByPlan(t, d.Snapshots[0], cmis.Fast, cmis.VDM)
			before := *l.Static()
			for i, snap := range d.Snapshots {
				for _, plans := range [][]cmis.Cadence{{cmis.Fast, cmis.VDM}, {cmis.Fast}, {cmis.VDM}, {cmis.Fast, cmis.VDM}} {
					cmis.ReadInto(l, snap, read, plans...)
					what := fmt.Sprintf("read %d of %v", i+1, plans)
					if !checkRead(t, what, l, static, read, &dst) {
						t.Errorf("%s: decoded the slow way", what)
					}
				}
			}
			// A module that answers every planned read, where the dump has
			// no bytes (VDM samples, coherent PM pages): made-up bytes.
			for seed := uint64(1); seed <= 3; seed++ {
				cmis.ReadInto(l, d.Snapshots[0], read, cmis.Fast, cmis.VDM)
				fillPlanned(t, l, read, seed)
				if !checkRead(t, fmt.Sprintf("made-up bytes %d", seed), l, static, read, &dst) {
					t.Errorf("made-up bytes %d: decoded the slow way", seed)
				}
			}
			// And the whole dump as the read: bytes the plans do not read
			// take the merging path, with the same result.
			if checkRead(t, "whole dump", l, static, d.Snapshots[0], &dst) && len(d.Snapshots[0].Pages()) > len(static.Pages()) {
				t.Errorf("whole dump: the fast path took bytes outside the plans")
			}
			if d := diffModules(&before, l.Static()); d != "" {
				t.Errorf("decoding changed the Layout's static decode: %s", d)
			}
		})
	}
}

// fillPlanned sets the bytes of l's Fast and VDM plans that read lacks to
// pseudo-random values.
func fillPlanned(t *testing.T, l *cmis.Layout, read *cmis.Snapshot, seed uint64) {
	t.Helper()
	x := seed * 0x9E3779B97F4A7C15
	for _, c := range []cmis.Cadence{cmis.Fast, cmis.VDM} {
		for _, r := range l.Plan(c) {
			for off := r.Offset; off < r.End(); off++ {
				if read.Has(r.Page, off, 1) {
					continue
				}
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				if err := read.Set(r.Page, off, []byte{byte(x)}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// emulated builds a module of profile on its own bus with a manual clock,
// with the given faults, and a pager to read it the way the agent does.
func emulated(t *testing.T, profile string, faults ...emulator.Fault) (i2c.Memory, *emulator.ManualClock) {
	t.Helper()
	clk := emulator.NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	m, err := emulator.NewModule(profile, emulator.WithClock(clk), emulator.WithSeed(11), emulator.WithFaults(faults...),
		emulator.WithDegradations(
			emulator.Degradation{Kind: emulator.TempRunaway, Start: 3 * time.Second, Rate: 30},
			emulator.Degradation{Kind: emulator.RxFade, Lane: 2, Rate: 20000},
			emulator.Degradation{Kind: emulator.TxFade, Lane: 1, Rate: 40000},
			emulator.Degradation{Kind: emulator.BERRamp, Lane: 3, Duration: 10 * time.Second, Target: 1e-3},
		))
	if err != nil {
		t.Fatal(err)
	}
	bus := emulator.NewBus("i2c-test", physic.MegaHertz, clk)
	m.AttachTo(bus)
	return i2c.NewPager(bus, i2c.PagerOptions{}).Module(0x50), clk
}

// readStatic reads the static pages and makes their Layout.
func readStatic(t *testing.T, mem i2c.Memory) (*cmis.Layout, *cmis.Snapshot) {
	t.Helper()
	s := cmis.NewSnapshot()
	if err := modread.ReadStatic(context.Background(), mem, s); err != nil && !isRefusal(err) {
		t.Fatal(err)
	}
	l, err := cmis.NewLayout(s)
	if err != nil {
		t.Fatal(err)
	}
	return l, s
}

func isRefusal(err error) bool {
	var fe *modread.FetchError
	return errors.As(err, &fe)
}

// TestLayoutMatchesDecodeOnEmulatedModules reads every profile from
// insertion through power-up into degradation (temperature runaway, fading
// lanes, a BER ramp): a Layout made at insertion, then fast reads every
// second and a VDM read every third, the Layout made again when the module
// state changes, as the agent does. Every read decodes alike both ways.
func TestLayoutMatchesDecodeOnEmulatedModules(t *testing.T) {
	ctx := context.Background()
	for _, profile := range emulator.Profiles() {
		t.Run(profile, func(t *testing.T) {
			mem, clk := emulated(t, profile)
			clk.Advance(50 * time.Millisecond) // just inserted: powering up
			l, static := readStatic(t, mem)
			read := cmis.NewSnapshot()
			var dst cmis.Module
			state, slow := l.Static().ModuleState, 0
			for step := 1; step <= 12; step++ {
				clk.Advance(time.Second)
				read.Reset()
				plans := []cmis.Cadence{cmis.Fast}
				if step%3 == 0 {
					plans = append(plans, cmis.VDM)
				}
				for _, c := range plans {
					if err := modread.Fetch(ctx, mem, l.Plan(c), read); err != nil && !isRefusal(err) {
						t.Fatalf("step %d %v: %v", step, c, err)
					}
				}
				if !checkRead(t, fmt.Sprintf("step %d", step), l, static, read, &dst) {
					slow++
				}
				if dst.ModuleState != state {
					// The agent reads the static pages again on a state change.
					state = dst.ModuleState
					l, static = readStatic(t, mem)
				}
			}
			if slow > 0 {
				t.Errorf("%d of 12 reads decoded the slow way", slow)
			}
			if dst.TemperatureC == nil && dst.ModuleState != "" {
				t.Errorf("no temperature after 12 s: the module never came up (state %s)", dst.ModuleState)
			}
		})
	}
}

// TestLayoutFallsBackOnBadReads: pages served as copies of page 00h and
// bits flipped on the wire change what a read holds, even the bytes the
// static decode relied on. The fast path must notice and give Decode's
// result all the same.
func TestLayoutFallsBackOnBadReads(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		profile string
		fault   emulator.Fault
		slow    bool // some read must take the slow way
	}{
		{"osfp-800g-dr8", emulator.Fault{Kind: emulator.FaultRefusedPages, Pages: []uint8{0x11}, Window: emulator.Window{Start: 5 * time.Second}}, true},
		{"osfp-800g-dr8", emulator.Fault{Kind: emulator.FaultRefusedPages, Pages: []uint8{0x24, 0x2C}, Window: emulator.Window{Start: 5 * time.Second}}, true},
		{"npo-3.2t", emulator.Fault{Kind: emulator.FaultCorrupt, Rate: 0.5}, false},
		{"elsfp", emulator.Fault{Kind: emulator.FaultCorrupt, Rate: 0.5}, false},
		{"qsfp28-100g-lr4", emulator.Fault{Kind: emulator.FaultCorrupt, Rate: 0.5}, false},
		{"sfp-10g-lr-extcal", emulator.Fault{Kind: emulator.FaultCorrupt, Rate: 0.5}, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s", tc.profile, tc.fault.Kind), func(t *testing.T) {
			mem, clk := emulated(t, tc.profile, tc.fault)
			clk.Advance(time.Minute)
			l, static := readStatic(t, mem)
			read := cmis.NewSnapshot()
			var dst cmis.Module
			slow := 0
			for step := 1; step <= 10; step++ {
				clk.Advance(time.Second)
				read.Reset()
				for _, c := range []cmis.Cadence{cmis.Fast, cmis.VDM} {
					if err := modread.Fetch(ctx, mem, l.Plan(c), read); err != nil && !isRefusal(err) {
						t.Fatalf("step %d %v: %v", step, c, err)
					}
				}
				if !checkRead(t, fmt.Sprintf("step %d", step), l, static, read, &dst) {
					slow++
				}
			}
			if tc.slow && slow == 0 {
				t.Errorf("every read took the fast path; the copies of page 00h went unnoticed")
			}
		})
	}
}

// TestLayoutSlowPaths: reads the fast path must not decode on its own,
// each made by hand from a real dump.
func TestLayoutSlowPaths(t *testing.T) {
	const (
		dr8  = "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40"
		qsfp = "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom"
	)
	tests := []struct {
		name, vector string
		edit         func(t *testing.T, static, read *cmis.Snapshot)
	}{
		// Flat_mem (lower byte 2 b2) is read every cycle, but the
		// advertisement and thresholds were decoded from the static read.
		{"SFF-8636 Flat_mem set in a later read", qsfp, func(t *testing.T, _, read *cmis.Snapshot) {
			b := read.Bytes(cmis.Lower, 2, 1)
			if b == nil || b[0]&0x04 != 0 {
				t.Fatalf("lower byte 2 = %v, want a paged module's status byte", b)
			}
			set(t, read, cmis.Lower, 2, b[0]|0x04)
		}},
		// Half of the temperature word: only a real merge decodes it.
		{"half of a monitor word read", dr8, func(t *testing.T, _, read *cmis.Snapshot) {
			b := read.Bytes(cmis.Lower, 14, 1)[0]
			read.Reset()
			set(t, read, cmis.Lower, 14, b+1)
		}},
		{"a byte the plans do not read", dr8, func(t *testing.T, _, read *cmis.Snapshot) {
			set(t, read, cmis.Lower, 85, 0x02)
		}},
		{"a page the plans do not read", dr8, func(t *testing.T, _, read *cmis.Snapshot) {
			set(t, read, cmis.Upper(0, 0x10), 128, 0xFF)
		}},
		{"page 11h reads back as page 00h", dr8, func(t *testing.T, static, read *cmis.Snapshot) {
			p00, _ := static.Page(cmis.Upper(0, 0))
			if err := read.Set(cmis.Upper(0, 0x11), 128, p00[:74]); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := dumpfile.ReadFile(filepath.Join(vectorDir, tc.vector+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			l, static, read := cmis.ReadByPlan(t, d.Snapshots[0], cmis.Fast, cmis.VDM)
			tc.edit(t, static, read)
			var dst cmis.Module
			if checkRead(t, tc.name, l, static, read, &dst) {
				t.Errorf("decoded on the fast path")
			}
		})
	}
}

func set(t *testing.T, s *cmis.Snapshot, id cmis.PageID, off int, b byte) {
	t.Helper()
	if err := s.Set(id, off, []byte{b}); err != nil {
		t.Fatal(err)
	}
}

// TestCloneSurvivesTheNextDecode: a poller refills one Module per port and
// hands out clones; a clone must keep its values when the Module is
// refilled, and be equal to it until then.
func TestCloneSurvivesTheNextDecode(t *testing.T) {
	for _, name := range []string{
		"cmis_400g_qsfpdd_zr_juniper_740-157132_sfppi_2E1CZFA750085", // coherent PM (made up)
		"cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40",
		"sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom",
		"sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom",
	} {
		t.Run(name, func(t *testing.T) {
			d, err := dumpfile.ReadFile(filepath.Join(vectorDir, name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			l, _, read := cmis.ReadByPlan(t, d.Snapshots[0], cmis.Fast, cmis.VDM)
			fillPlanned(t, l, read, 7)
			var m cmis.Module
			l.DecodeInto(&m, read)
			want := l.Decode(read)
			c := m.Clone()
			if d := diffModules(want, c); d != "" {
				t.Fatalf("clone differs: %s", d)
			}
			// Every byte of the read changes: every value of m does.
			for _, id := range read.Pages() {
				b, _ := read.Page(id)
				for i := range b {
					b[i] ^= 0x55
				}
			}
			l.DecodeInto(&m, read)
			if d := diffModules(want, c); d != "" {
				t.Errorf("refilling the Module changed its clone: %s", d)
			}
			if diffModules(want, &m) == "" {
				t.Errorf("the second read decoded to the same Module: the test changed nothing")
			}
		})
	}
}

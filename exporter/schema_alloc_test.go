package exporter

import (
	"reflect"

	"github.com/ddm-agent/ddm/energy"
	"testing"
)

// TestModulePointsAllocations: a module's fast points and its VDM points
// take their tags and fields from one array each (pointSlab), and no flag
// name list is copied per point: three allocations per call whatever the
// number of lanes or VDM values (it was 3-4 per point: about 30 for this
// module's fast points, 30 for its VDM points).
func TestModulePointsAllocations(t *testing.T) {
	m := exampleModule()
	flags := []FlagCount{{Lane: 1, Flag: "rx_los", Events: 2, Reads: 3, Active: true}, {Flag: "temperature_high_warning", Events: 1, Reads: 1}}
	e := energy.ForModule(exampleSource.Port, m)
	for _, tc := range []struct {
		name string
		f    func()
		max  float64
	}{
		{"ModulePoints", func() { ModulePoints(exampleSource, m) }, 3},
		{"VDMPoints", func() { VDMPoints(exampleSource, m) }, 3},
		{"FlagPoints", func() { FlagPoints(exampleSource, flags) }, 3},
		{"EnergyPoint", func() { EnergyPoint(exampleSource, e) }, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tc.f); n > tc.max {
				t.Errorf("%s: %v allocations per call, want at most %v", tc.name, n, tc.max)
			}
		})
	}
}

// TestPointSlabShares: a point that outgrows its share of the slab moves to
// its own array and leaves its neighbour's fields as they were.
func TestPointSlabShares(t *testing.T) {
	a := newPointSlab(4, 4)
	p := a.point(exampleSource, "m", 2, 2)
	q := a.point(exampleSource, "m", 2, 2)
	q.AddInt("q", 1)
	for i := range 5 {
		p.AddInt("p", int64(i))
	}
	if got := q.Fields; len(got) != 1 || got[0].Key != "q" || got[0].I != 1 {
		t.Fatalf("neighbour's fields changed: %+v", got)
	}
	if len(p.Fields) != 5 {
		t.Fatalf("grown point has %d fields, want 5", len(p.Fields))
	}
	// A third point finds the slab full and gets arrays of its own.
	r := a.point(exampleSource, "m", 2, 2)
	r.AddInt("r", 2)
	want := []Tag{{"host", exampleSource.Host}, {"port", exampleSource.Port}}
	if !reflect.DeepEqual(r.Tags, want) || len(r.Fields) != 1 || !reflect.DeepEqual(q.Tags, want) {
		t.Fatalf("third point: tags %+v fields %+v; second's tags %+v", r.Tags, r.Fields, q.Tags)
	}
}

func BenchmarkModulePoints(b *testing.B) {
	m := exampleModule()
	b.ReportAllocs()
	for b.Loop() {
		ModulePoints(exampleSource, m)
		VDMPoints(exampleSource, m)
	}
}

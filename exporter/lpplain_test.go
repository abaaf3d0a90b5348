package exporter

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/schema"
)

// TestPlainEncodingMatchesLibrary: the plain encoder writes exactly what the
// line-protocol library writes, for every point it takes, and leaves the
// rest to the library; ddm's own points all take the plain way.
func TestPlainEncodingMatchesLibrary(t *testing.T) {
	check := func(t *testing.T, p *Point, precision time.Duration) (plain bool) {
		t.Helper()
		want, werr := appendLineChecked([]byte("prefix"), p, precision)
		got, ok := appendLinePlain([]byte("prefix"), p, precision)
		if !ok {
			if !bytes.Equal(got, []byte("prefix")) {
				t.Fatalf("%+v: refused, but left %q in the buffer", p, got)
			}
			return false
		}
		if werr != nil {
			t.Fatalf("%+v: plain encoding %q, the library refuses it: %v", p, got, werr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%+v:\nplain   %q\nlibrary %q", p, got, want)
		}
		return true
	}

	t.Run("ddm's points", func(t *testing.T) {
		pts := append(examplePoints(), exampleEnergy()...)
		pts = append(pts, exampleVDMAlarms()...)
		for i := range pts {
			if !check(t, &pts[i], time.Millisecond) {
				line, _ := appendLineChecked(nil, &pts[i], time.Millisecond)
				t.Errorf("not encoded the plain way: %s", line)
			}
		}
	})

	t.Run("edge cases", func(t *testing.T) {
		at := time.Date(2026, 12, 6, 1, 2, 3, 456789012, time.UTC)
		base := func() Point {
			p := NewPoint("m", at)
			p.AddTag("host", "h")
			p.AddFloat("f", 1)
			return p
		}
		tests := []struct {
			name  string
			edit  func(p *Point)
			plain bool
		}{
			{"plain", func(p *Point) {}, true},
			{"space in a tag value", func(p *Point) { p.AddTag("port", "Ethernet 1") }, false},
			{"comma in the measurement", func(p *Point) { p.Measurement = "a,b" }, false},
			{"equals in a field key", func(p *Point) { p.Fields[0].Key = "a=b" }, false},
			{"trailing backslash in a tag value", func(p *Point) { p.AddTag("port", `x\`) }, false},
			{"non-ASCII tag value", func(p *Point) { p.AddTag("port", "é") }, false},
			{"tags out of order", func(p *Point) { p.Tags = append(p.Tags, Tag{"a", "b"}) }, false},
			{"duplicate tag key", func(p *Point) { p.Tags = append(p.Tags, Tag{"host", "b"}) }, false},
			{"quote in a string", func(p *Point) { p.AddString("s", `say "hi"`) }, false},
			{"backslash in a string", func(p *Point) { p.AddString("s", `a\b`) }, false},
			{"UTF-8 string", func(p *Point) { p.AddString("s", "température 25 °C") }, true},
			{"invalid UTF-8 string", func(p *Point) { p.Fields = append(p.Fields, Field{Key: "s", Kind: String, S: "\xff"}) }, false},
			{"tab in a string", func(p *Point) { p.Fields = append(p.Fields, Field{Key: "s", Kind: String, S: "a\tb"}) }, false},
			{"empty string", func(p *Point) { p.AddString("s", "") }, true},
			{"NaN set by hand", func(p *Point) { p.Fields[0].F = math.NaN() }, false},
			{"huge and tiny floats", func(p *Point) { p.AddFloat("g", 1e300); p.AddFloat("h", -5e-324) }, true},
			{"ints and bools", func(p *Point) { p.AddInt("i", math.MinInt64); p.AddBool("b", false) }, true},
			{"unknown kind", func(p *Point) { p.Fields = append(p.Fields, Field{Key: "k"}) }, false},
			{"no fields", func(p *Point) { p.Fields = nil }, false},
			{"zero time", func(p *Point) { p.Time = time.Time{} }, false},
			{"time out of range", func(p *Point) { p.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }, false},
			{"before 1970", func(p *Point) { p.Time = time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC) }, true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				for _, prec := range []time.Duration{0, time.Nanosecond, time.Millisecond, time.Second} {
					p := base()
					tc.edit(&p)
					if got := check(t, &p, prec); got != tc.plain {
						t.Errorf("precision %v: plain %v, want %v", prec, got, tc.plain)
					}
				}
			})
		}
	})

	t.Run("random", func(t *testing.T) {
		// Names and values mostly of plain characters with now and then one
		// that line protocol escapes or refuses, tags sorted or not, any
		// float (NaN and infinities included) and time: every point the
		// plain encoder takes must come out as the library writes it.
		r := rand.New(rand.NewPCG(11, 12))
		plainChars := []string{"a", "Z", "0", "_", "-", "/", ".", ":", "~"}
		special := []string{",", "=", " ", `"`, `\`, "é", "\t", "\x7f", "\xff"}
		word := func() string {
			var b strings.Builder
			for range 1 + r.IntN(6) {
				if r.IntN(40) == 0 {
					b.WriteString(special[r.IntN(len(special))])
				} else {
					b.WriteString(plainChars[r.IntN(len(plainChars))])
				}
			}
			return b.String()
		}
		plain := 0
		for range 20000 {
			p := NewPoint(word(), time.Unix(0, r.Int64N(4e18)-1e18))
			for range r.IntN(4) {
				p.Tags = append(p.Tags, Tag{word(), word()}) // in any order
			}
			if r.IntN(4) > 0 {
				slices.SortFunc(p.Tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
			}
			for range 1 + r.IntN(5) {
				switch r.IntN(4) {
				case 0:
					p.AddFloat(word(), math.Float64frombits(r.Uint64()))
				case 1:
					p.AddInt(word(), int64(r.Uint64()))
				case 2:
					p.AddBool(word(), r.IntN(2) == 0)
				default:
					p.Fields = append(p.Fields, Field{Key: word(), Kind: String, S: word()})
				}
			}
			if len(p.Fields) == 0 {
				continue
			}
			if check(t, &p, time.Duration(r.IntN(3))*time.Millisecond) {
				plain++
			}
		}
		if plain < 2000 {
			t.Errorf("only %d of 20,000 random points took the plain way: the test compares too little", plain)
		}
		t.Logf("%d of 20,000 random points encoded the plain way, all as the library does", plain)
	})
}

// BenchmarkAppendLine: one of ddm's points (the example module's first
// lane) encoded the plain way and through the library.
func BenchmarkAppendLine(b *testing.B) {
	pts := examplePoints()
	var lane *Point
	for i := range pts {
		if pts[i].Measurement == schema.XcvrLane {
			lane = &pts[i]
			break
		}
	}
	for _, bc := range []struct {
		name string
		enc  func([]byte, *Point, time.Duration) ([]byte, error)
	}{{"plain", appendLine}, {"library", appendLineChecked}} {
		b.Run(bc.name, func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = bc.enc(buf[:0], lane, time.Millisecond)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

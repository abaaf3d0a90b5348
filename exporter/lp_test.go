package exporter

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

func TestPointEncoding(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	for _, tc := range []struct {
		name string
		p    func() Point
		want string
		err  bool
	}{
		{"types", func() Point {
			p := NewPoint("m", at)
			p.AddTag("host", "h1").AddFloat("f", 1.5).AddInt("i", -3).AddString("s", "a").AddBool("b", true)
			return p
		}, `m,host=h1 f=1.5,i=-3i,s="a",b=true 1700000000123456789`, false},
		{"tags sorted, empty dropped", func() Point {
			p := NewPoint("m", at)
			p.AddTag("port", "E1").AddTag("host", "h").AddTag("lane", "").AddTag("bus", "b")
			p.AddInt("x", 1)
			return p
		}, `m,bus=b,host=h,port=E1 x=1i 1700000000123456789`, false},
		{"escaping", func() Point {
			p := NewPoint("my meas,x", at)
			p.AddTag("port", "Ethernet 1,a=b").AddString("s", `say "hi" \ there`)
			return p
		}, `my\ meas\,x,port=Ethernet\ 1\,a\=b s="say \"hi\" \\ there" 1700000000123456789`, false},
		{"tiny and huge floats", func() Point {
			p := NewPoint("m", at)
			p.AddFloat("ber", 2.4e-5).AddFloat("big", 1e21).AddFloat("whole", 3)
			return p
		}, `m ber=2.4e-05,big=1e+21,whole=3 1700000000123456789`, false},
		{"newline in a string", func() Point {
			p := NewPoint("m", at)
			p.AddString("s", "a\nb\r\nc")
			return p
		}, `m s="a b  c" 1700000000123456789`, false},
		{"invalid utf-8 in a string", func() Point {
			p := NewPoint("m", at)
			p.AddString("s", "a\xffb")
			return p
		}, "m s=\"a\uFFFDb\" 1700000000123456789", false},
		{"NaN and Inf dropped", func() Point {
			p := NewPoint("m", at)
			p.AddFloat("a", math.NaN()).AddFloat("b", math.Inf(1)).AddFloat("c", math.Inf(-1)).AddFloat("d", 1)
			return p
		}, `m d=1 1700000000123456789`, false},
		{"no fields", func() Point { return NewPoint("m", at) }, "", true},
		{"control character in a tag", func() Point {
			p := NewPoint("m", at)
			p.AddTag("port", "a\x01").AddInt("x", 1)
			return p
		}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p().LineProtocol()
			if tc.err {
				if err == nil {
					t.Fatalf("no error, got %s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
			if err := validLine([]byte(got)); err != nil {
				t.Errorf("own output invalid: %v", err)
			}
		})
	}
}

func TestPrecision(t *testing.T) {
	p := seqPoint(0)
	p.Time = time.Unix(10, 123456789)
	for prec, want := range map[time.Duration]string{
		0:                "10123456789",
		time.Millisecond: "10123000000",
		time.Second:      "10000000000",
	} {
		b, err := appendLine(nil, &p, prec)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(string(b), " "+want) {
			t.Errorf("precision %v: %s", prec, b)
		}
	}
}

func TestValidLine(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`m,a=b f=1 1`, true},
		{`m f=1i,s="x" 1700000000000000000`, true},
		{`m f=1`, false}, // no timestamp
		{`m 1`, false},   // no fields
		{`m f=1 1\nm f=2 2`, false},
		{"m f=1 1\nm f=2 2", false},
		{``, false},
		{`m f=nan 1`, false},
		{`m f="unterminated 1`, false},
		{"\x00\x01", false},
	} {
		err := validLine([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("validLine(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestLineProtocolWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewLineProtocolWriter(&buf)
	pts := examplePoints()
	w.Write(pts...)
	w.Write(NewPoint("empty", exampleTime)) // invalid: no fields
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(pts) {
		t.Fatalf("%d lines for %d points", len(lines), len(pts))
	}
	for i, l := range lines {
		want, _ := pts[i].LineProtocol()
		if l != want {
			t.Errorf("line %d:\n got %s\nwant %s", i, l, want)
		}
	}
	// Telegraf's parser (line protocol, ns) reads it back.
	dec := lineprotocol.NewDecoderWithBytes(buf.Bytes())
	n := 0
	for dec.Next() {
		m, err := dec.Measurement()
		if err != nil || !strings.HasPrefix(string(m), "xcvr_") {
			t.Fatalf("line %d: %q %v", n, m, err)
		}
		for {
			k, _, err := dec.NextTag()
			if err != nil {
				t.Fatal(err)
			}
			if k == nil {
				break
			}
		}
		for {
			k, _, err := dec.NextField()
			if err != nil {
				t.Fatal(err)
			}
			if k == nil {
				break
			}
		}
		ts, err := dec.Time(lineprotocol.Nanosecond, time.Time{})
		if err != nil || !ts.Equal(exampleTime) {
			t.Fatalf("time %v %v", ts, err)
		}
		n++
	}
	st := w.Stats()
	if st.Sent != int64(len(pts)) || st.Invalid != 1 || st.Written != int64(len(pts))+1 {
		t.Errorf("stats %+v", st)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.Write(seqPoint(1))
	if st := w.Stats(); st.Dropped != 1 {
		t.Errorf("write after close: dropped %d", st.Dropped)
	}
}

type failWriter struct{ fail bool }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.fail {
		return 0, errors.New("broken pipe")
	}
	return len(p), nil
}

func TestLineProtocolWriterErrors(t *testing.T) {
	fw := &failWriter{fail: true}
	w := NewLineProtocolWriter(fw)
	w.Write(seqPoints(0, 3)...)
	st := w.Stats()
	if st.Dropped != 3 || !strings.Contains(st.LastError, "broken pipe") {
		t.Errorf("stats %+v", st)
	}
	fw.fail = false // the destination recovers: later points get through
	w.Write(seqPoints(3, 5)...)
	if st := w.Stats(); st.Sent != 2 {
		t.Errorf("after recovery: %+v", st)
	}
}

func TestMulti(t *testing.T) {
	var a, b bytes.Buffer
	la, lb := NewLineProtocolWriter(&a), NewLineProtocolWriter(&b)
	prom := NewPrometheusSink(PromOptions{})
	m := Multi(la, lb, prom)
	m.Write(seqPoints(0, 4)...)
	if a.String() != b.String() || strings.Count(a.String(), "\n") != 4 {
		t.Errorf("a %q b %q", a.String(), b.String())
	}
	if st := m.(interface{ Stats() Stats }).Stats(); st.Sent != 4 {
		t.Errorf("Multi stats %+v", st)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.Write(seqPoint(5))
	if la.Stats().Dropped != 1 || lb.Stats().Dropped != 1 {
		t.Error("Multi.Close did not close every sink")
	}
}

package pipeline

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/flightrec"
	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/schema"
)

// fastSample is a fast read of an 8-lane module at t.
func fastSample(port string, t time.Time) agent.Sample {
	m := &cmis.Module{Spec: "CMIS", TemperatureC: ptrF(41), VccV: ptrF(3.3)}
	for l := 1; l <= 8; l++ {
		m.Lanes = append(m.Lanes, cmis.Lane{Lane: l, TxBiasMA: ptrF(7), TxPowerMW: ptrF(1.1), RxPowerMW: ptrF(0.9)})
	}
	return agent.Sample{Port: port, Bus: "i2c-1", Kind: agent.KindFast, Time: t, Steady: t, Module: m}
}

// TestFlightRecorderOutage: a LOS on Ethernet1/12 lane 6 while InfluxDB is
// down, and a LOL 10 s later whose window overlaps: both flights (the
// minute before the first, the 30 s after each) are spooled and, once the
// server is back, in InfluxDB exactly once: the points counted on the
// server are the readings of the windows, none twice; the other port
// wrote no flight.
func TestFlightRecorderOutage(t *testing.T) {
	t.Parallel()
	s := influxtest.Start(t)
	w, err := exporter.NewInfluxWriter(exporter.InfluxConfig{URL: s.URL(), Bucket: s.Bucket(), Token: s.Token(), SpoolDir: t.TempDir(),
		FlushInterval: 50 * time.Millisecond, RetryInterval: 20 * time.Millisecond, MaxRetryInterval: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = w.Close(ctx)
	}()
	state := t.TempDir()
	p := New(Options{Host: "h", Rules: builtinRules(t), Sink: w, StateDir: state})
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	read := func(from, to int) {
		for i := from; i < to; i++ {
			p.Observe(fastSample("Ethernet1/12", at(i)))
			p.Observe(fastSample("Ethernet1/13", at(i)))
		}
	}
	flag := func(name string, sec int) {
		p.ObserveFlags([]agent.FlagEvent{{Port: "Ethernet1/12", Bus: "i2c-1", Lane: 6, Flag: name, Time: at(sec).Add(500 * time.Millisecond),
			Since: at(sec).Add(400 * time.Millisecond), Scan: true, Count: 1}})
	}
	read(0, 81)
	influxtest.Wait(t, 30*time.Second, "the readings before the outage sent", func() bool { st := w.Stats(); return st.Sent == st.Written })
	s.Stop()
	flag("rx_los", 80)     // window: reads 21..80 (9 readings each) and the scan's
	read(81, 91)           // the first flight's after-window
	flag("rx_cdr_lol", 90) // overlaps: the scan's reading alone is new
	read(91, 130)          // the second's after-window: reads 91..120
	const want = 60*9 + 1 + 10*9 + 1 + 30*9
	if st := w.Stats(); st.Retries == 0 && st.Sent == st.Written {
		t.Fatalf("the writer sent everything with the server down: %+v", st)
	}
	s.Restart(t)
	influxtest.Wait(t, 60*time.Second, "everything sent after the outage", func() bool { st := w.Stats(); return st.Sent == st.Written })
	if st := w.Stats(); st.Dropped != 0 || st.Rejected != 0 || st.Invalid != 0 {
		t.Errorf("dropped %d, rejected %d, invalid %d", st.Dropped, st.Rejected, st.Invalid)
	}
	if n := s.Count(t, schema.Trigger, schema.XcvrFlight, ""); n != want {
		t.Errorf("InfluxDB holds %d xcvr_flight points, want %d (each reading of the windows once)", n, want)
	}
	if n := s.Count(t, schema.Trigger, schema.XcvrFlight, "port = 'Ethernet1/13'"); n != 0 {
		t.Errorf("Ethernet1/13 wrote %d flight points, want none", n)
	}
	rows := s.Query(t, "SELECT count(trigger) FROM xcvr_flight GROUP BY flight")
	if len(rows) != 2 {
		t.Errorf("%d flights in InfluxDB, want 2: %v", len(rows), rows)
	}
	// The minute before the LOS: lane 6's readings from 21 s to 80 s.
	if n := s.Count(t, schema.RxPowerMW, schema.XcvrFlight, "lane = '6' AND flight = 'Ethernet1/12/rx_los/lane6@"+
		itoa(at(80).Add(500*time.Millisecond).UnixMilli())+"' AND time <= "+itoa(at(80).UnixNano())); n != 60 {
		t.Errorf("lane 6 readings before the LOS: %d, want 60", n)
	}
	// The state folder holds both flights for ddm dump --flight, each with
	// the readings it wrote.
	p.SaveFlights()
	saved, err := flightrec.LoadFile(filepath.Join(state, flightrec.FileName))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range saved {
		if f.Port != "Ethernet1/12" {
			t.Errorf("a flight of %s saved", f.Port)
		}
		total += len(f.Records)
	}
	if len(saved) != 2 || total != want {
		t.Errorf("saved %d flights with %d readings, want 2 with %d", len(saved), total, want)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
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

// vdmSample is a VDM read of an 8-lane module at t: pre-FEC BER, errored
// frames and laser temperature of each lane, the BER rising with sec.
func vdmSample(port string, t time.Time, sec int) agent.Sample {
	m := &cmis.Module{Spec: "CMIS"}
	for l := 1; l <= 8; l++ {
		m.VDM = append(m.VDM,
			cmis.VDMValue{TypeID: 15, Observable: "pre_fec_ber_media", Lane: l, Value: 1e-7 * float64(sec)},
			cmis.VDMValue{TypeID: 23, Observable: "errored_frames_media", Lane: l, Value: 0},
			cmis.VDMValue{TypeID: 4, Observable: "laser_temperature", Lane: l, Value: 45.5})
	}
	return agent.Sample{Port: port, Bus: "i2c-1", Kind: agent.KindVDM, Time: t, Steady: t, Module: m}
}

// TestFlightRecorderOutage: a LOS on Ethernet1/12 lane 6 while InfluxDB is
// down, and a LOL 10 s later, inside the LOS's after-window: one flight
// (the minute before the LOS with its fast reads, scans and VDM reads,
// the after-window extended to 30 s after the LOL) is spooled and, once
// the server is back, in InfluxDB exactly once: the points counted on the
// server are the readings of the window, none twice, and both triggers;
// the other port wrote no flight.
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
			if i%10 == 0 { // the VDM cadence, 300 ms after the fast read
				p.Observe(vdmSample("Ethernet1/12", at(i).Add(300*time.Millisecond), i))
				p.Observe(vdmSample("Ethernet1/13", at(i).Add(300*time.Millisecond), i))
			}
		}
	}
	flag := func(name string, sec int) {
		p.ObserveFlags([]agent.FlagEvent{{Port: "Ethernet1/12", Bus: "i2c-1", Lane: 6, Flag: name, Time: at(sec).Add(500 * time.Millisecond),
			Since: at(sec).Add(400 * time.Millisecond), Scan: true, Count: 1}})
	}
	read(0, 81)
	influxtest.Wait(t, 30*time.Second, "the readings before the outage sent", func() bool { st := w.Stats(); return st.Sent == st.Written })
	s.Stop()
	flag("rx_los", 80)     // window: fast reads 21..80 (9 readings each), VDM reads 30..80 (24 each), the scan's
	read(81, 91)           // the after-window
	flag("rx_cdr_lol", 90) // joins: its scan's reading, the after-window to 120.5 s
	read(91, 130)          // fast reads 91..120, VDM reads 90..120
	// Fast: 60 s before, 40 s after; scans: 2; VDM: 6 reads before (30.3
	// to 80.3 s), 4 after (90.3 to 120.3 s). Without VDM: 902.
	const want = 60*9 + 10*9 + 30*9 + 2 + 10*24
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
	if n := s.Count(t, schema.Value, schema.XcvrFlight, "source = 'vdm'"); n != 10*24 {
		t.Errorf("InfluxDB holds %d VDM readings of the flight, want %d", n, 10*24)
	}
	rows := s.Query(t, "SELECT count(trigger) FROM xcvr_flight GROUP BY flight")
	if len(rows) != 1 {
		t.Errorf("%d flights in InfluxDB, want 1: %v", len(rows), rows)
	}
	if n := s.Count(t, schema.Opened, schema.XcvrFlightTrigger, "\"trigger\" = 'rx_cdr_lol/lane6' AND opened = false"); n != 1 {
		t.Errorf("the LOL joined the LOS's flight %d times, want 1", n)
	}
	if n := s.Count(t, schema.Opened, schema.XcvrFlightTrigger, ""); n != 2 {
		t.Errorf("%d flight triggers in InfluxDB, want 2", n)
	}
	// The minute before the LOS: lane 6's readings from 21 s to 80 s.
	if n := s.Count(t, schema.RxPowerMW, schema.XcvrFlight, "lane = '6' AND flight = 'Ethernet1/12/rx_los/lane6@"+
		itoa(at(80).Add(500*time.Millisecond).UnixMilli())+"' AND time <= "+itoa(at(80).UnixNano())); n != 60 {
		t.Errorf("lane 6 readings before the LOS: %d, want 60", n)
	}
	// The VDM of the minute before: lane 6's pre-FEC BER at 30.3 to 80.3 s,
	// the last 8e-6.
	ber := s.Query(t, "SELECT value FROM xcvr_flight WHERE lane = '6' AND observable = 'pre_fec_ber' AND side = 'media' AND time <= "+
		itoa(at(80).Add(500*time.Millisecond).UnixNano()))
	if len(ber) != 6 || num(ber[len(ber)-1].Values["value"]) != 8e-6 {
		t.Errorf("lane 6 pre-FEC BER before the LOS: %v, want 6 readings, the last 8e-06", ber)
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
	if len(saved) != 1 || total != want || len(saved[0].Triggers) != 2 {
		t.Errorf("saved %d flights with %d readings, want 1 with %d and 2 triggers", len(saved), total, want)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// num is a value of a query's answer as a float (NaN if it is none).
func num(v any) float64 {
	f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// TestOnePulseOneFlight: one pulse on lane 6 latches LOS and LOL in the
// same flag scan, and the next fast read sees both latched, so the
// latched_faults rule fires for each: one flight, its four triggers each
// an xcvr_flight_trigger point of its own (time and cause), no point of
// the flight written twice. A LOS after the after-window opens a second
// flight.
func TestOnePulseOneFlight(t *testing.T) {
	var sink memSink
	p := New(Options{Host: "h", Rules: builtinRules(t), Sink: &sink})
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	pulse := func(sec float64) {
		var evs []agent.FlagEvent
		for _, f := range []string{"rx_los", "rx_cdr_lol"} {
			evs = append(evs, agent.FlagEvent{Port: "Ethernet1/12", Bus: "i2c-1", Lane: 6, Flag: f, Time: at(sec), Since: at(sec - 0.1), Scan: true, Count: 1})
		}
		p.ObserveFlags(evs)
	}
	for i := 0; i < 200; i++ {
		s := fastSample("Ethernet1/12", at(float64(i)))
		if i == 71 || i == 151 {
			s.Module.Lanes[5].Flags = cmis.RxLOS | cmis.RxCDRLOL // latched at the pulse, read now
		}
		p.Observe(s)
		if i%10 == 0 {
			p.Observe(vdmSample("Ethernet1/12", at(float64(i)+0.3), i))
		}
		if i == 70 || i == 150 {
			pulse(float64(i) + 0.5)
		}
	}
	flights := map[string]bool{}
	keys := map[string]bool{}
	for _, pt := range append(sink.of(schema.XcvrFlight), sink.of(schema.XcvrFlightTrigger)...) {
		flights[pt.Tag(schema.TagFlight)] = true
		k := pointKey(t, pt)
		if keys[k] {
			t.Errorf("two points share their identity: %s", k)
		}
		keys[k] = true
	}
	type trig struct {
		cause  string
		at     time.Time
		opened bool
	}
	byFlight := map[string][]trig{}
	for _, pt := range sink.of(schema.XcvrFlightTrigger) {
		f, _ := pt.Field(schema.Opened)
		byFlight[pt.Tag(schema.TagFlight)] = append(byFlight[pt.Tag(schema.TagFlight)], trig{pt.Tag(schema.Trigger), pt.Time, f.B})
	}
	first := "Ethernet1/12/rx_los/lane6@" + itoa(at(70.5).UnixMilli())
	want := []trig{{"rx_los/lane6", at(70.5), true}, {"rx_cdr_lol/lane6", at(70.5), false},
		{"latched_faults:rx_los/lane6", at(71), false}, {"latched_faults:rx_cdr_lol/lane6", at(71), false}}
	if len(flights) != 2 || len(byFlight) != 2 || fmt.Sprint(byFlight[first]) != fmt.Sprint(want) {
		t.Errorf("flights %v; triggers of %s: %v, want %v", flights, first, byFlight[first], want)
	}
	vdm := 0
	for _, pt := range sink.of(schema.XcvrFlight) {
		if pt.Tag(schema.TagFlight) == first && pt.Tag(schema.TagSource) == exporter.SourceVDM {
			vdm++
		}
	}
	// VDM reads at 20.3 .. 70.3 s (the minute before 70.5 s) and 80.3 ..
	// 100.3 s (the 30 s after 71 s).
	if vdm != 9*24 {
		t.Errorf("the first flight holds %d VDM readings, want %d", vdm, 9*24)
	}
}

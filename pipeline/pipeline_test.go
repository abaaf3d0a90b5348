package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/schema"
)

// memSink keeps every point written.
type memSink struct {
	mu  sync.Mutex
	pts []exporter.Point
}

func (m *memSink) Write(pts ...exporter.Point) {
	m.mu.Lock()
	m.pts = append(m.pts, pts...)
	m.mu.Unlock()
}

func (m *memSink) Close(context.Context) error { return nil }

func (m *memSink) of(measurement string) []exporter.Point {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []exporter.Point
	for _, p := range m.pts {
		if p.Measurement == measurement {
			out = append(out, p)
		}
	}
	return out
}

func builtinRules(t testing.TB) *alarm.Rules {
	t.Helper()
	rules, err := alarm.Parse("<built-in rules>", alarm.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func ptrF(v float64) *float64 { return &v }

func TestSamplePoints(t *testing.T) {
	m := &cmis.Module{Spec: "CMIS", Identifier: "OSFP", TemperatureC: ptrF(40), Lanes: []cmis.Lane{{Lane: 1, TxPowerMW: ptrF(1)}},
		VDM: []cmis.VDMValue{{TypeID: 15, Observable: "pre_fec_ber_media", Lane: 1, Value: 1e-6}}}
	now := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		kind                            agent.Kind
		module, lane, vdm, info, energy int
	}{
		{agent.KindFast, 1, 1, 0, 0, 1},
		{agent.KindStatic, 1, 1, 0, 1, 1},
		{agent.KindVDM, 0, 0, 1, 0, 0},
		{agent.KindAbsent, 1, 0, 0, 0, 0},
		{agent.KindError, 0, 0, 0, 0, 0},
	} {
		var s memSink
		s.Write(SamplePoints("h", agent.Sample{Port: "p", Kind: tc.kind, Time: now, Module: m})...)
		got := [5]int{len(s.of(schema.XcvrModule)), len(s.of(schema.XcvrLane)), len(s.of(schema.XcvrVDM)), len(s.of(schema.XcvrInfo)), len(s.of(schema.XcvrEnergy))}
		if want := [5]int{tc.module, tc.lane, tc.vdm, tc.info, tc.energy}; got != want {
			t.Errorf("%v: module, lane, vdm, info, energy points %v, want %v", tc.kind, got, want)
		}
	}
}

// TestObserveAndSelfTelemetry: samples become points, the built-in rules
// fire on them (a latched loss of signal), and the self-telemetry counts
// per bus what the samples said: ports, modules present (a failed read is
// of a module still there; an empty cage is not), read errors and the sum
// of the ports' latest cumulative I/O counters.
func TestObserveAndSelfTelemetry(t *testing.T) {
	var sink memSink
	var status []string
	var transitions []alarm.Event // what Options.Alarms was given (ddm rules test prints it)
	p := New(Options{Host: "leaf01", Rules: builtinRules(t), Sink: &sink, Ports: []string{"a", "b", "c"},
		Status: func(s string) { status = append(status, s) }, Alarms: func(evs []alarm.Event) { transitions = append(transitions, evs...) }})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := &cmis.Module{Spec: "CMIS", Identifier: "OSFP", TemperatureC: ptrF(40), Lanes: []cmis.Lane{{Lane: 1, TxPowerMW: ptrF(1)}}}
	los := &cmis.Module{Spec: "CMIS", Identifier: "OSFP", Lanes: []cmis.Lane{{Lane: 1, TxPowerMW: ptrF(1), Flags: cmis.RxLOS}}}
	io := func(n int64) i2c.Stats {
		return i2c.Stats{Transactions: n, BytesRead: 10 * n, BusTime: time.Duration(n) * time.Millisecond}
	}
	for _, s := range []agent.Sample{
		{Port: "a", Bus: "i2c-1", Kind: agent.KindStatic, Time: t0, Module: m, IOTotal: io(5)},
		{Port: "a", Bus: "i2c-1", Kind: agent.KindFast, Time: t0.Add(time.Second), Module: m, IOTotal: io(7)},
		{Port: "b", Bus: "i2c-1", Kind: agent.KindError, Time: t0.Add(time.Second), IOTotal: io(2)},
		{Port: "c", Bus: "i2c-2", Kind: agent.KindStatic, Time: t0, Module: m, IOTotal: io(3)},
		{Port: "c", Bus: "i2c-2", Kind: agent.KindFast, Time: t0.Add(time.Second / 2), Module: los, IOTotal: io(3)},
		{Port: "c", Bus: "i2c-2", Kind: agent.KindAbsent, Time: t0.Add(time.Second), IOTotal: io(4)},
	} {
		p.Observe(s)
	}
	if p.Samples() != 6 {
		t.Errorf("%d samples counted, want 6", p.Samples())
	}
	if n := len(sink.of(schema.XcvrInfo)); n != 2 {
		t.Errorf("%d xcvr_info points, want 2 (the static reads)", n)
	}
	fired := false
	for _, a := range sink.of(schema.XcvrAlarm) {
		if a.Tag(schema.TagPort) == "c" && a.Tag(schema.TagRule) == "latched_faults" && a.Tag(schema.TagObservable) == "rx_los" {
			fired = true
		}
	}
	if !fired {
		t.Errorf("no xcvr_alarm point for the loss of signal on port c; alarms %v", sink.of(schema.XcvrAlarm))
	}
	if n := len(sink.of(schema.XcvrAlarm)); len(transitions) != n || n == 0 {
		t.Errorf("Options.Alarms was given %d transitions, the sink %d xcvr_alarm points: %v", len(transitions), n, transitions)
	}

	p.WriteSelf(t0.Add(10*time.Second), map[string]agent.BusProgress{"i2c-1": {PassTime: 40 * time.Millisecond}}, 1)
	want := map[string]map[string]float64{
		"i2c-1": {schema.Ports: 2, schema.ModulesPresent: 2, schema.ReadErrors: 1, schema.Transactions: 9, schema.BytesRead: 90, schema.BusTimeS: 0.009, schema.CycleTimeS: 0.04},
		"i2c-2": {schema.Ports: 1, schema.ModulesPresent: 0, schema.ReadErrors: 0, schema.Transactions: 4, schema.BytesRead: 40, schema.BusTimeS: 0.004, schema.CycleTimeS: 0},
	}
	bus := sink.of(schema.XcvrAgent)
	if len(bus) != 2 {
		t.Fatalf("%d xcvr_agent points, want one per bus (the sink has no Stats)", len(bus))
	}
	for _, pt := range bus {
		w := want[pt.Tag(schema.TagBus)]
		if w == nil {
			t.Errorf("xcvr_agent point of unknown bus %q", pt.Tag(schema.TagBus))
			continue
		}
		for field, v := range w {
			f, ok := pt.Field(field)
			got := float64(f.I)
			if f.Kind == exporter.Float {
				got = f.F
			}
			if !ok || got != v {
				t.Errorf("bus %s: %s = %v (present %v), want %v", pt.Tag(schema.TagBus), field, got, ok, v)
			}
		}
	}
	if len(status) != 1 || !strings.HasPrefix(status[0], "3 ports, 2 modules present, ") {
		t.Errorf("status %q", status)
	}
}

// TestSaveAlarmStateReportsFailure: a state file that cannot be replaced
// (here a folder stands where it should be, so the rename fails) is logged,
// not silently lost; a saved state is restored by the next pipeline.
func TestSaveAlarmStateReportsFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alarms.json")
	var logBuf bytes.Buffer
	p := New(Options{Host: "h", Rules: builtinRules(t), Sink: &memSink{}, StateDir: filepath.Dir(path), Log: slog.New(slog.NewTextHandler(&logBuf, nil))})

	p.Save()
	if _, err := os.Stat(path); err != nil || logBuf.Len() > 0 {
		t.Fatalf("first save: %v, log %q", err, logBuf.String())
	}
	os.Remove(path)
	os.MkdirAll(filepath.Join(path, "in-the-way"), 0o700)
	p.Save()
	if !strings.Contains(logBuf.String(), "alarm state not saved") {
		t.Errorf("failed rename not logged: %q", logBuf.String())
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "alarms.json" {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// TestStateSaveFailuresDoNotFlood: a state file that cannot be written
// (a full disk, a path in the way) is logged once, not at every save (the
// flights are saved every second), and its recovery once.
func TestStateSaveFailuresDoNotFlood(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, AlarmStateFile)
	var logBuf bytes.Buffer
	p := New(Options{Host: "h", Rules: builtinRules(t), Sink: &memSink{}, StateDir: dir, Log: slog.New(slog.NewTextHandler(&logBuf, nil))})
	if err := os.MkdirAll(filepath.Join(path, "in-the-way"), 0o700); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		p.Save()
	}
	if n := strings.Count(logBuf.String(), "alarm state not saved"); n != 1 {
		t.Errorf("%d lines for 100 failed saves within a minute, want 1:\n%s", n, logBuf.String())
	}
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	p.Save()
	p.Save()
	if n := strings.Count(logBuf.String(), "saved again"); n != 1 {
		t.Errorf("%d recovery lines, want 1:\n%s", n, logBuf.String())
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("state not written after the recovery: %v", err)
	}
}

// TestLoadDropsPortsNotConfigured: the saved state of a port the
// configuration no longer has is dropped at Load (its alarms could never
// resolve), the others' kept: the next pipeline does not fire them again.
func TestLoadDropsPortsNotConfigured(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alarms.json")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	los := &cmis.Module{Spec: "CMIS", Identifier: "OSFP", Lanes: []cmis.Lane{{Lane: 1, TxPowerMW: ptrF(1), Flags: cmis.RxLOS}}}
	first := New(Options{Host: "h", Rules: builtinRules(t), Sink: &memSink{}, StateDir: filepath.Dir(path)})
	for _, port := range []string{"kept", "gone"} {
		first.Observe(agent.Sample{Port: port, Bus: "b", Kind: agent.KindFast, Time: t0, Module: los})
	}
	if len(first.Active()) != 2 {
		t.Fatalf("%d alarms active, want the loss of signal of both ports", len(first.Active()))
	}
	first.Save()

	var logBuf bytes.Buffer
	second := New(Options{Host: "h", Rules: builtinRules(t), Sink: &memSink{}, StateDir: filepath.Dir(path), Ports: []string{"kept"},
		Log: slog.New(slog.NewTextHandler(&logBuf, nil))})
	second.Start()
	ports := map[string]bool{}
	for _, a := range second.Active() {
		ports[a.Port] = true
	}
	if !ports["kept"] || ports["gone"] {
		t.Errorf("alarms restored for %v, want port kept only", ports)
	}
	if !strings.Contains(logBuf.String(), "ports=gone") {
		t.Errorf("dropped port not logged: %q", logBuf.String())
	}
}

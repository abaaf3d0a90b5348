package pipeline

import (
	"context"
	"github.com/ddm-agent/ddm/internal/failurelog"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/energy"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/flightrec"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/outlook"
	"github.com/ddm-agent/ddm/topology"
)

// Options configure a Pipeline.
type Options struct {
	// Host tags every point and labels every alarm.
	Host string
	// Rules are the alarm rules the samples are evaluated against.
	Rules *alarm.Rules
	// Sink receives every point. Its Write must not block (every exporter
	// sink queues).
	Sink exporter.Sink
	// Log receives the port events, the alarm and laser events and the
	// failures of the state files; nil discards them.
	Log *slog.Logger
	// StateDir holds the alarm state (AlarmStateFile) and the forecast
	// history (outlook.FileName); empty keeps both in memory only.
	StateDir string
	// Ports names every port of the configuration: Start drops the saved
	// alarm state and forecast history of any other, and the status
	// counts them.
	Ports []string
	// Interval is the agent's fast cadence: Run ticks at the smaller of it
	// and one second, and the first forecast comes once every port has
	// been read twice.
	Interval time.Duration
	// Seed, when set, is the InfluxDB the forecast history of ports that
	// have none is seeded from at start.
	Seed outlook.Querier
	// Topology is the optical topology of the ports (which laser source
	// lights which engine lanes); nil for none.
	Topology *topology.Map
	// FlightBefore and FlightAfter are the flight recorder's window
	// around a link fault or an alarm (xcvr_flight); zero: the defaults
	// (flightrec.DefaultBefore, DefaultAfter).
	FlightBefore, FlightAfter time.Duration
	// VDMInterval is the agent's VDM cadence (zero: 10 s, the agent's default);
	// with Interval it sizes the flight recorder's rings.
	VDMInterval time.Duration
	// Status, when set, is given a one-line summary after each write of
	// the self-telemetry (systemd's STATUS=).
	Status func(string)
	// Alarms, when set, is given each sample's alarm transitions after
	// their points were written: `ddm rules test` prints what the
	// pipeline fired rather than evaluating the rules a second way. It is
	// called from the bus workers, concurrently.
	Alarms func(events []alarm.Event)
}

// AlarmStateFile is the alarm state's file name in Options.StateDir.
const AlarmStateFile = "alarms.json"

// Cadences of Run's work.
const (
	// SelfEvery is the period of the xcvr_agent points. The first waits
	// for a pass over every bus (it carries the pass's duration), at most
	// this long.
	SelfEvery = 10 * time.Second
	// RestateEvery is the period of the restatement of firing alarms
	// (xcvr_alarm with transition=false).
	RestateEvery = time.Minute
	// SaveEvery is the period of the alarm-state saves between Start and
	// the Save at the end.
	SaveEvery = time.Minute
	// TransitionSaveDelay bounds how long an alarm transition waits to be
	// in the saved state (at Run's first tick after it, but not sooner
	// than this after the last save): a process killed before that fires
	// the alarm again, or resolves it again, when it restarts. The bound
	// keeps a storm of transitions from rewriting the file (hundreds of
	// KiB of rate and baseline history) every tick.
	TransitionSaveDelay = 5 * time.Second
)

// Pipeline turns samples into points, alarms and self-telemetry. Observe
// is safe for concurrent use (every bus worker calls it).
type Pipeline struct {
	o      Options
	engine *alarm.Engine
	log    *slog.Logger
	// fleet is each port's last energy view, for the switch totals.
	fleet *energy.Fleet
	// tracker keeps the per-lane history and diagnoses firing alarms;
	// forecasts runs it (Start makes it).
	tracker   *outlook.Tracker
	forecasts *outlook.Service
	// optics correlates laser sources with the engine lanes they light.
	optics *optics
	// flags writes the latch-aware flag counters (xcvr_flag).
	flags flagWriter
	// flight is the flight recorder of every port.
	flight *flightrec.Recorder
	// saves logs the state files' failed writes: the flights are saved
	// every tick they changed, so a full disk would otherwise log a line a
	// second for as long as it lasts.
	saves *failurelog.Log

	mu    sync.Mutex
	buses map[string]*busState
	// samples counts the module reads observed, to explain a run that
	// delivered nothing.
	samples atomic.Int64
	// transitions is set by an alarm transition not yet saved.
	transitions atomic.Bool
}

// busState is one bus's self-telemetry.
type busState struct {
	readErrors int64
	present    map[string]bool
	ports      map[string]bool
	io         map[string]i2c.Stats // per port, cumulative
}

// New makes a pipeline with a fresh alarm engine and forecast history
// (Start restores the saved ones).
func New(o Options) *Pipeline {
	log := o.Log
	if log == nil {
		// Discarded before any record is formatted: the soak and the
		// tests observe thousands of samples a second.
		log = slog.New(slog.DiscardHandler)
	}
	tr := outlook.New()
	return &Pipeline{o: o, log: log, buses: map[string]*busState{}, fleet: energy.NewFleet(), tracker: tr,
		engine: alarm.NewEngine(o.Rules, alarm.Options{Labels: map[string]string{"host": o.Host}, Diagnose: tr.Diagnose}),
		saves:  failurelog.New(log, time.Minute),
		optics: newOptics(o.Topology, o.Host, log), flight: flightrec.New(flightrec.Options{Before: o.FlightBefore, After: o.FlightAfter, Interval: o.Interval,
			VDMInterval: o.VDMInterval, Journal: o.StateDir != ""})}
}

// Samples is the number of samples observed so far.
func (p *Pipeline) Samples() int64 { return p.samples.Load() }

// Active is the alarms pending or firing now.
func (p *Pipeline) Active() []alarm.Event { return p.engine.Active() }

// Observe handles one sample: points to the sink, energy view and forecast
// history kept, alarms evaluated, events to the log. It implements
// agent.Observer: it runs on the bus workers and never blocks.
func (p *Pipeline) Observe(s agent.Sample) {
	p.samples.Add(1)
	switch s.Kind {
	case agent.KindAbsent:
		p.fleet.Set(s.Port, nil)
	case agent.KindFast, agent.KindStatic:
		p.fleet.Set(s.Port, energy.ForModule(s.Port, s.Module))
	}
	pts := SamplePoints(p.o.Host, s)
	pts = append(pts, p.flags.points(p.o.Host, s)...)
	switch s.Kind {
	case agent.KindFast, agent.KindStatic:
		if f := p.flight.Add(s.Port, FlightRecords(s)...); f != nil {
			pts = append(pts, FlightPoints(p.o.Host, *f)...)
		}
	case agent.KindVDM:
		if f := p.flight.Add(s.Port, VDMRecords(s)...); f != nil {
			pts = append(pts, FlightPoints(p.o.Host, *f)...)
		}
	}
	pts = append(pts, p.optics.observe(s, p.engine.Active)...)
	for _, ev := range s.Events {
		level := slog.LevelInfo
		if ev.Type == agent.EventInterruptSilent {
			level = slog.LevelWarn // the port's flaps rest on the timer: a wiring to fix
		}
		p.log.Log(context.Background(), level, "port event", "port", s.Port, "event", ev.Type, "detail", ev.Text)
	}
	if s.Kind == agent.KindError {
		p.log.Debug("read failed", "port", s.Port, "err", s.Err, "failures", s.Health.ConsecutiveFailures)
	} else {
		steady := s.Steady
		if steady.IsZero() {
			steady = s.Time
		}
		// Before the rules: a firing alarm's diagnosis reads this sample.
		p.tracker.Observe(s.Port, s.Time, s.Module)
		events := p.engine.EvaluateAt(s.Port, s.Time, steady, s.Module, s.Kind != agent.KindAbsent)
		// Alarm transitions take the sink's urgent lane: written at
		// once, not with the next batch.
		if ev := p.alarmEvents(events); len(ev) > 0 {
			exporter.WriteNow(p.o.Sink, ev...)
			pts = append(pts, p.alarmTriggers(events)...)
		}
		if len(events) > 0 && p.o.Alarms != nil {
			p.o.Alarms(events)
		}
	}
	if len(pts) > 0 {
		p.o.Sink.Write(pts...)
	}
	p.account(s)
}

// alarmEvents logs alarm state changes and returns their xcvr_alarm
// points, linked to the laser event that darkens their lane.
func (p *Pipeline) alarmEvents(events []alarm.Event) []exporter.Point {
	if len(events) > 0 {
		p.transitions.Store(true)
	}
	pts := EventPoints(p.o.Host, events, true)
	laserEvents := p.optics.link(pts, events)
	for i, ev := range events {
		attrs := append([]any{"port", ev.Port, "lane", ev.Lane, "rule", ev.Rule, "severity", ev.Severity.String(),
			"value", ev.Value, "threshold", ev.Threshold, "summary", ev.Summary}, outlook.EventAttrs(ev)...)
		if laserEvents[i] != "" {
			attrs = append(attrs, "laser_event", laserEvents[i])
		}
		p.log.Warn("alarm "+ev.State.String(), attrs...)
	}
	return pts
}

// account adds a sample to its bus's self-telemetry.
func (p *Pipeline) account(s agent.Sample) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.buses[s.Bus]
	if b == nil {
		b = &busState{present: map[string]bool{}, ports: map[string]bool{}, io: map[string]i2c.Stats{}}
		p.buses[s.Bus] = b
	}
	b.ports[s.Port] = true
	if s.IOTotal != (i2c.Stats{}) {
		b.io[s.Port] = s.IOTotal
	}
	if s.Kind != agent.KindVDM {
		b.present[s.Port] = s.Kind != agent.KindAbsent
	}
	if s.Kind == agent.KindError {
		b.readErrors++
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/energy"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/atomicfile"
	"github.com/ddm-agent/ddm/internal/plural"
	"github.com/ddm-agent/ddm/internal/sdnotify"
	"github.com/ddm-agent/ddm/outlook"
)

// ddmDaemon wires the agent to the alarm engine and the sinks, keeps the
// self-telemetry, and talks to systemd.
type ddmDaemon struct {
	cfg    *config.Config
	ts     *targets
	engine *alarm.Engine
	sink   exporter.Sink
	log    *slog.Logger

	mu    sync.Mutex
	buses map[string]*busState
	// samples counts the module reads observed, to explain a run that
	// delivered nothing.
	samples atomic.Int64
	// fleet is each port's last energy view, for the switch totals.
	fleet *energy.Fleet
	// forecasts keeps the per-lane history, forecasts every
	// alarm.ForecastEvery and diagnoses firing alarms (outlook).
	forecasts *outlook.Service
	// seedFrom, when set, is the InfluxDB the forecast history is seeded
	// from at start.
	seedFrom outlook.Querier
	// optics correlates laser sources with the engine lanes they light.
	optics *optics
}

type busState struct {
	stats   exporter.BusStats
	present map[string]bool
	ports   map[string]bool
	io      map[string]i2c.Stats // per port, cumulative
}

func newDaemon(cfg *config.Config, ts *targets, rules *alarm.Rules, sink exporter.Sink, log *slog.Logger) *ddmDaemon {
	tr := outlook.New()
	return &ddmDaemon{cfg: cfg, ts: ts, engine: alarm.NewEngine(rules, alarm.Options{Labels: map[string]string{"host": cfg.Host}, Diagnose: tr.Diagnose}),
		sink: sink, log: log, buses: map[string]*busState{}, fleet: energy.NewFleet(), forecasts: &outlook.Service{Tracker: tr},
		optics: newOptics(topologyOf(ts), cfg.Host, log)}
}

func (d *ddmDaemon) alarmStatePath() string {
	return filepath.Join(filepath.Dir(d.cfg.Influx.SpoolDir), "alarms.json")
}

// run polls until ctx ends.
func (d *ddmDaemon) run(ctx context.Context) error {
	d.loadAlarmState()
	d.forecasts = outlook.NewService(d.forecasts.Tracker, outlook.ServiceOptions{Host: d.cfg.Host, Ports: d.portNames(),
		Path: filepath.Join(filepath.Dir(d.cfg.Influx.SpoolDir), outlook.FileName), Seed: d.seedFrom,
		Engine: d.engine, Events: func(evs []alarm.Event) { d.sink.Write(d.alarmEvents(evs)...) }, Write: d.sink.Write, Log: d.log,
		// The first forecast once every port has been read twice.
		First: min(max(2*time.Duration(d.cfg.Interval), 2*time.Second), time.Minute)})
	ag, err := newAgent(d.cfg, d.ts, agent.ObserverFunc(d.observe))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		d.housekeeping(ctx, ag)
	}()
	go func() {
		defer wg.Done()
		d.forecasts.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		sdnotify.Run(ctx, ag, sdnotify.Options{Log: d.log})
	}()
	d.log.Info("ddm running", "ports", len(d.ts.ports), "buses", len(ag.Buses()), "interval", time.Duration(d.cfg.Interval),
		"vdm_interval", time.Duration(d.cfg.VDMInterval), "output", orDefault(d.cfg.Output, "none"), "state", filepath.Dir(d.cfg.Influx.SpoolDir))
	err = ag.Run(ctx)
	cancel()
	wg.Wait()
	daemon.SdNotify(false, daemon.SdNotifyStopping)
	d.saveAlarmState()
	return err
}

// observe handles one sample: points to the sinks, alarms evaluated,
// events to the journal. It runs on the bus workers and must not block:
// the sinks queue.
func (d *ddmDaemon) observe(s agent.Sample) {
	d.samples.Add(1)
	switch s.Kind {
	case agent.KindAbsent:
		d.fleet.Set(s.Port, nil)
	case agent.KindFast, agent.KindStatic:
		d.fleet.Set(s.Port, energy.ForModule(s.Port, s.Module))
	}
	pts := exporter.SamplePoints(d.cfg.Host, s)
	pts = append(pts, d.optics.observe(s, d.engine.Active)...)
	for _, ev := range s.Events {
		d.log.Info("port event", "port", s.Port, "event", ev.Type, "detail", ev.Text)
	}
	if s.Kind == agent.KindError {
		d.log.Debug("read failed", "port", s.Port, "err", s.Err, "failures", s.Health.ConsecutiveFailures)
	}
	if s.Kind != agent.KindError {
		steady := s.Steady
		if steady.IsZero() {
			steady = s.Time
		}
		// Before the rules: a firing alarm's diagnosis reads this sample.
		d.forecasts.Observe(s.Port, s.Time, s.Module)
		events := d.engine.EvaluateAt(s.Port, s.Time, steady, s.Module, s.Kind != agent.KindAbsent)
		pts = append(pts, d.alarmEvents(events)...)
	}
	if len(pts) > 0 {
		d.sink.Write(pts...)
	}
	d.account(s)
}

// alarmEvents logs alarm events and returns their xcvr_alarm points.
func (d *ddmDaemon) alarmEvents(events []alarm.Event) []exporter.Point {
	pts := exporter.EventPoints(d.cfg.Host, events, true)
	laserEvents := d.optics.link(pts, events)
	for i, ev := range events {
		attrs := append([]any{"port", ev.Port, "lane", ev.Lane, "rule", ev.Rule, "severity", ev.Severity.String(),
			"value", ev.Value, "threshold", ev.Threshold, "summary", ev.Summary}, outlook.EventAttrs(ev)...)
		if laserEvents[i] != "" {
			attrs = append(attrs, "laser_event", laserEvents[i])
		}
		d.log.Warn("alarm "+ev.State.String(), attrs...)
	}
	return pts
}

// account adds a sample to its bus's self-telemetry.
func (d *ddmDaemon) account(s agent.Sample) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.buses[s.Bus]
	if b == nil {
		b = &busState{present: map[string]bool{}, ports: map[string]bool{}, io: map[string]i2c.Stats{}}
		d.buses[s.Bus] = b
	}
	b.ports[s.Port] = true
	if s.IOTotal != (i2c.Stats{}) {
		b.io[s.Port] = s.IOTotal
	}
	if s.Kind != agent.KindVDM {
		b.present[s.Port] = s.Kind != agent.KindAbsent
	}
	if s.Kind == agent.KindError {
		b.stats.ReadErrors++
	}
}

// housekeeping: self-telemetry, active alarms, periodic alarm-state
// saves, wall-clock steps. (systemd readiness and the watchdog run on
// their own timers: internal/sdnotify.)
func (d *ddmDaemon) housekeeping(ctx context.Context, ag *agent.Agent) {
	tick := time.NewTicker(min(time.Duration(d.cfg.Interval), time.Second))
	defer tick.Stop()
	lastSelf, lastActive, lastSave := time.Time{}, time.Time{}, time.Now()
	start := time.Now()
	var steps int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if cs := ag.ClockSteps(); cs.Back > steps {
				steps = cs.Back
				d.log.Warn("the wall clock stepped back; alarm rules keep their own steady time, points from now carry the corrected time (those of the repeated span may overwrite older ones in InfluxDB)",
					"by", cs.Last, "at", cs.At, "steps_back", cs.Back)
			}
			// The first self-telemetry waits for a pass over every bus (it
			// carries the pass's duration), 10 s at most.
			if now.Sub(lastSelf) >= 10*time.Second && (ag.Started() || now.Sub(start) >= 10*time.Second) {
				d.writeSelf(now, ag.Progress(), steps)
				lastSelf = now
			}
			if now.Sub(lastActive) >= time.Minute {
				active := d.engine.Active()
				for i := range active {
					active[i].Time = now
				}
				if len(active) > 0 {
					pts := exporter.EventPoints(d.cfg.Host, active, false)
					d.optics.link(pts, active)
					d.sink.Write(pts...)
				}
				lastActive = now
			}
			if now.Sub(lastSave) >= time.Minute {
				d.saveAlarmState()
				lastSave = now
			}
		}
	}
}

// writeSelf writes xcvr_agent points: one per bus and one for the process
// (queue, spool, drops).
func (d *ddmDaemon) writeSelf(now time.Time, progress map[string]agent.BusProgress, clockStepsBack int64) {
	d.mu.Lock()
	var pts []exporter.Point
	present := 0
	for name, b := range d.buses {
		st := b.stats
		st.IO = i2c.Stats{}
		for _, io := range b.io {
			st.IO = st.IO.Add(io)
		}
		st.Ports = len(b.ports)
		st.ModulesPresent = 0
		for _, p := range b.present {
			if p {
				st.ModulesPresent++
			}
		}
		present += st.ModulesPresent
		st.CycleTime = progress[name].PassTime
		pts = append(pts, exporter.BusPoint(d.cfg.Host, name, now, st))
	}
	d.mu.Unlock()
	if s, ok := d.sink.(interface{ Stats() exporter.Stats }); ok {
		pts = append(pts, exporter.ProcessPoint(d.cfg.Host, now, s.Stats(), exporter.ProcessStats{ClockStepsBack: clockStepsBack}))
	}
	pts = append(pts, exporter.EnergyTotalPoints(d.cfg.Host, now, d.fleet.Ports())...)
	d.sink.Write(pts...)
	daemon.SdNotify(false, fmt.Sprintf("STATUS=%s, %s present, %s firing", plural.Count(len(d.ts.ports), "port", "ports"),
		plural.Count(present, "module", "modules"), plural.Count(len(d.engine.Active()), "alarm", "alarms")))
}

func (d *ddmDaemon) loadAlarmState() {
	f, err := os.Open(d.alarmStatePath())
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			d.log.Warn("alarm state not restored; alarms already firing may fire again", "file", d.alarmStatePath(), "err", err)
		}
		return
	}
	defer f.Close()
	if err := d.engine.LoadState(f); err != nil {
		d.log.Warn("alarm state not restored; alarms already firing may fire again", "file", d.alarmStatePath(), "err", err)
		return
	}
	// A state saved with other ports (another configuration in the same
	// folder, a port removed since) must not restate alarms that can
	// never resolve.
	if dropped := d.engine.Retain(d.portNames()); len(dropped) > 0 {
		d.log.Info("saved alarm state of ports not in this configuration dropped", "file", d.alarmStatePath(), "ports", strings.Join(dropped, " "))
	}
}

// portNames are the configured ports.
func (d *ddmDaemon) portNames() []string {
	names := make([]string, len(d.ts.ports))
	for i, t := range d.ts.ports {
		names[i] = t.Name
	}
	return names
}

// saveAlarmState writes the state atomically (temp file + rename), so a
// crash mid-write leaves the previous state; a failure is logged.
func (d *ddmDaemon) saveAlarmState() {
	if err := atomicfile.Write(d.alarmStatePath(), 0o600, d.engine.SaveState); err != nil {
		d.log.Warn("alarm state not saved", "file", d.alarmStatePath(), "err", err)
	}
}

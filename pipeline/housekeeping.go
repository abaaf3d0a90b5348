package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/plural"
)

// Agent is what Run reads from the agent: its clock steps and its passes.
type Agent interface {
	ClockSteps() agent.ClockSteps
	Started() bool
	Progress() map[string]agent.BusProgress
}

// Run does the pipeline's periodic work until ctx ends: self-telemetry,
// the restatement of firing alarms, alarm-state saves, the log of the
// wall clock's backward steps, and the forecasts (whose history it saves
// when it stops). Call Start before, and Save once the agent stopped, so
// the last samples count.
func (p *Pipeline) Run(ctx context.Context, ag Agent) {
	var wg sync.WaitGroup
	if p.forecasts != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.forecasts.Run(ctx)
		}()
	}
	p.housekeeping(ctx, ag)
	wg.Wait()
}

func (p *Pipeline) housekeeping(ctx context.Context, ag Agent) {
	period := time.Second
	if p.o.Interval > 0 {
		period = min(p.o.Interval, period)
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	lastSelf, lastActive, lastSave := time.Time{}, time.Time{}, time.Now()
	var lastWrite time.Time // of the alarm state, by this Run
	start := time.Now()
	var steps int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if cs := ag.ClockSteps(); cs.Back > steps {
				steps = cs.Back
				p.log.Warn("the wall clock stepped back; alarm rules keep their own steady time, points from now carry the corrected time (those of the repeated span may overwrite older ones in InfluxDB)",
					"by", cs.Last, "at", cs.At, "steps_back", cs.Back)
			}
			if now.Sub(lastSelf) >= SelfEvery && (ag.Started() || now.Sub(start) >= SelfEvery) {
				p.WriteSelf(now, ag.Progress(), steps)
				lastSelf = now
			}
			if now.Sub(lastActive) >= RestateEvery {
				p.restate(now)
				lastActive = now
			}
			p.SaveFlights()
			if now.Sub(lastSave) >= SaveEvery || (p.transitions.Load() && now.Sub(lastWrite) >= TransitionSaveDelay) {
				p.transitions.Store(false) // before: a transition during the save is saved next time
				p.Save()
				lastSave, lastWrite = now, now
			}
		}
	}
}

// restate writes every firing alarm again, stamped now.
func (p *Pipeline) restate(now time.Time) {
	active := p.engine.Active()
	for i := range active {
		active[i].Time = now
	}
	if len(active) > 0 {
		pts := EventPoints(p.o.Host, active, false)
		p.optics.link(pts, active)
		p.o.Sink.Write(pts...)
	}
}

// WriteSelf writes the xcvr_agent points (one per bus, and one for the
// process when the sink has Stats: its queue, spool and drops) and the
// switch's energy totals, then gives the status line to Options.Status.
func (p *Pipeline) WriteSelf(now time.Time, progress map[string]agent.BusProgress, clockStepsBack int64) {
	p.mu.Lock()
	pts := make([]exporter.Point, 0, len(p.buses)+1)
	present := 0
	for name, b := range p.buses {
		var io i2c.Stats
		for _, s := range b.io {
			io = io.Add(s)
		}
		pr := progress[name]
		st := exporter.BusStats{IO: busIO(io), Ports: len(b.ports), ReadErrors: b.readErrors, CycleTime: pr.PassTime,
			CyclePeriod: pr.CyclePeriod, ScanPeriod: pr.ScanPeriod, ScanStretched: pr.ScanStretched, Utilisation: pr.Utilisation}
		for _, on := range b.present {
			if on {
				st.ModulesPresent++
			}
		}
		present += st.ModulesPresent
		pts = append(pts, exporter.BusPoint(p.o.Host, name, now, st))
	}
	p.mu.Unlock()
	if s, ok := p.o.Sink.(interface{ Stats() exporter.Stats }); ok {
		pts = append(pts, exporter.ProcessPoint(p.o.Host, now, s.Stats(), exporter.ProcessStats{ClockStepsBack: clockStepsBack}))
	}
	pts = append(pts, exporter.EnergyTotalPoints(p.o.Host, now, p.fleet.Ports())...)
	p.o.Sink.Write(pts...)
	if p.o.Status != nil {
		p.o.Status(fmt.Sprintf("%s, %s present, %s firing", plural.Count(len(p.o.Ports), "port", "ports"),
			plural.Count(present, "module", "modules"), plural.Count(len(p.engine.Active()), "alarm", "alarms")))
	}
}

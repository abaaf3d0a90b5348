package pipeline

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/flightrec"
	"github.com/ddm-agent/ddm/internal/atomicfile"
	"github.com/ddm-agent/ddm/internal/failurelog"
	"github.com/ddm-agent/ddm/outlook"
)

// stateFile is the path of a file in the state folder; "" without one.
func (p *Pipeline) stateFile(name string) string {
	if p.o.StateDir == "" {
		return ""
	}
	return filepath.Join(p.o.StateDir, name)
}

// Start restores the alarm state and the forecast history from
// Options.StateDir, dropping the ports the configuration does not have (a
// state saved with another configuration in the same folder, or a port
// removed since, must not restate alarms that can never resolve). A file
// that cannot be read is logged: alarms already firing may fire again, and
// forecasts start afresh.
func (p *Pipeline) Start() {
	p.loadAlarmState()
	p.forecasts = outlook.NewService(p.tracker, outlook.ServiceOptions{Host: p.o.Host, Ports: p.o.Ports,
		Path: p.stateFile(outlook.FileName), Seed: p.o.Seed, Engine: p.engine,
		Events: func(evs []alarm.Event) { p.o.Sink.Write(p.alarmEvents(evs)...) }, Write: p.o.Sink.Write, Log: p.log,
		// The first forecast once every port has been read twice.
		First: min(max(2*p.o.Interval, 2*time.Second), time.Minute)})
}

func (p *Pipeline) loadAlarmState() {
	path := p.stateFile(AlarmStateFile)
	if path == "" {
		return
	}
	dropped, err := LoadAlarmState(p.engine, path, p.o.Ports)
	switch {
	case err != nil:
		p.log.Warn("alarm state not restored; alarms already firing may fire again", "file", path, "err", err)
	case len(dropped) > 0:
		p.log.Info("saved alarm state of ports not in this configuration dropped", "file", path, "ports", strings.Join(dropped, " "))
	}
}

// LoadAlarmState restores into eng the alarm state saved at path, keeping
// the ports named (dropped are the others). A missing file is no error:
// nothing was saved yet. ddm top reads the agent's state this way, so it
// shows the alarms the agent has firing from its first screen.
func LoadAlarmState(eng *alarm.Engine, path string, ports []string) (dropped []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	if err := eng.LoadState(f); err != nil {
		return nil, err
	}
	return eng.Retain(ports), nil
}

// Save writes the alarm state and the flag counters to the state folder
// atomically (a crash mid-write leaves the previous state); a failure is
// logged. First it writes the xcvr_flag points of counters that flag
// scans moved after their port's last sample (at shutdown no sample
// follows them).
func (p *Pipeline) Save() {
	if pts := p.flags.pending(p.o.Host); len(pts) > 0 {
		p.o.Sink.Write(pts...)
	}
	path := p.stateFile(AlarmStateFile)
	if path == "" {
		return
	}
	p.saved("alarm state", path, atomicfile.Write(path, 0o600, p.engine.SaveState))
	if path := p.stateFile(FlagCountsFile); path != "" {
		p.saved("flag counters", path, p.flags.save(path))
	}
	p.SaveFlights()
}

// SaveFlights appends what the flight recorder handed out since the last
// save to its journal in the state folder (flightrec.FileName, for ddm
// dump --flight). Run calls it every tick, Save at the end.
func (p *Pipeline) SaveFlights() {
	path := p.stateFile(flightrec.FileName)
	if path == "" {
		return
	}
	p.saved("flights", path, p.flight.SaveFile(path))
	if flights, readings := p.flight.TakeDropped(); flights > 0 {
		// Once per rewrite that dropped something (about every 2 minutes
		// in a storm of flaps on every port), not once per save.
		p.log.Warn("flight journal past its bound: its oldest flights dropped from it (they are in InfluxDB)", "file", path,
			"flights", flights, "readings", readings, "bound_bytes", flightrec.MaxJournalBytes)
	}
}

// saved logs the outcome of writing one state file: its first failure at
// once, a summary at most once a minute while it goes on, and the
// recovery once.
func (p *Pipeline) saved(what, path string, err error) {
	if err != nil {
		p.saves.Fail(slog.LevelWarn, what+" not saved", failurelog.ErrnoKind(err), err.Error(), "file", path)
		return
	}
	p.saves.OK(what+" not saved", "saved again", "file", path)
}

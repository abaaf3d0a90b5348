package outlook

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/vclock"
)

// ServiceOptions connect a tracker to the running agent.
type ServiceOptions struct {
	// Host names the points.
	Host string
	// Path is the history file in the state folder (FileName); empty: the
	// history is not kept across restarts.
	Path string
	// Ports are the configured ports: the history of others is dropped,
	// and only these are seeded.
	Ports []string
	// Seed, when set, fills the history of ports that have none from
	// InfluxDB at start (Tracker.Seed).
	Seed Querier
	// Engine evaluates the forecast and cohort rules on each cycle's
	// outlooks; Events receives what changed state, to be written and
	// logged as the alarm events of a sample are.
	Engine *alarm.Engine
	Events func([]alarm.Event)
	// Write takes the xcvr_forecast and xcvr_cohort points.
	Write func(...exporter.Point)
	Log   *slog.Logger
	// Clock (default the real one); Every is the forecast cadence
	// (default alarm.ForecastEvery), First the wait before the first
	// cycle after start (default 1 min: the first reads are in).
	Clock        vclock.Clock
	Every, First time.Duration
}

// Service runs a tracker inside the agent: it loads the saved history,
// seeds what is missing from InfluxDB, and every Every forecasts, writes
// the points, evaluates the forecast and cohort rules and saves the
// history; a last save when it stops.
type Service struct {
	*Tracker
	o        ServiceOptions
	lastSave time.Time
}

// SaveEvery is how often the history is saved (and when the service
// stops): a month of a 64-port switch is about 12 MB and a second or more
// of CPU to encode; a crash loses at most this much of 28 days.
const SaveEvery = time.Hour

// seedTimeout bounds the start-up seeding: an InfluxDB that does not
// answer must not hold up the forecasts of what the agent reads itself.
const seedTimeout = time.Minute

// NewService loads the saved history of tr (a missing file is a first
// run; a damaged one is logged and the history starts empty) and keeps
// the configured ports'.
func NewService(tr *Tracker, o ServiceOptions) *Service {
	if o.Clock == nil {
		o.Clock = vclock.NewReal()
	}
	if o.Every <= 0 {
		o.Every = alarm.ForecastEvery
	}
	if o.First <= 0 {
		o.First = time.Minute
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Service{Tracker: tr, o: o}
	if o.Path != "" {
		warns, err := tr.LoadFile(o.Path)
		for _, w := range warns {
			o.Log.Warn("forecast history: "+w, "file", o.Path)
		}
		if err != nil {
			o.Log.Warn("forecast history not restored; forecasts start afresh", "file", o.Path, "err", err)
		}
	}
	tr.Retain(o.Ports)
	return s
}

// Run seeds, then forecasts every Every until ctx ends, and saves.
func (s *Service) Run(ctx context.Context) {
	defer s.save()
	if s.o.Seed != nil {
		sctx, cancel := s.o.Clock.WithTimeout(ctx, seedTimeout)
		n, err := s.Seed(sctx, s.o.Seed, s.o.Host, s.o.Ports, s.o.Clock.Now())
		cancel()
		if err != nil {
			s.o.Log.Warn("forecast history not seeded from InfluxDB; forecasts wait for the agent's own history", "err", err, "series_seeded", n)
		} else if n > 0 {
			s.o.Log.Info("forecast history seeded from InfluxDB", "series", n)
		}
	}
	wait := s.o.First
	for s.o.Clock.Sleep(ctx, wait) == nil {
		s.Cycle(s.o.Clock.Now())
		wait = s.o.Every
	}
}

// Cycle is one forecast: points written, forecast and cohort rules
// evaluated, history saved when SaveEvery has passed.
func (s *Service) Cycle(now time.Time) {
	r := s.Update(s.o.Host, now)
	if s.o.Write != nil {
		if pts := r.Points(); len(pts) > 0 {
			s.o.Write(pts...)
		}
	}
	if s.o.Engine != nil {
		var events []alarm.Event
		for _, port := range slices.Sorted(maps.Keys(r.Outlooks)) {
			events = append(events, s.o.Engine.EvaluateOutlook(port, now, now, r.Outlooks[port])...)
		}
		if len(events) > 0 && s.o.Events != nil {
			s.o.Events(events)
		}
	}
	if s.lastSave.IsZero() {
		s.lastSave = now // the first cycle after start: loaded moments ago
	}
	if now.Sub(s.lastSave) >= SaveEvery {
		s.save()
		s.lastSave = now
	}
}

func (s *Service) save() {
	if s.o.Path == "" {
		return
	}
	if err := s.SaveFile(s.o.Path, s.o.Clock.Now()); err != nil {
		s.o.Log.Warn("forecast history not saved", "file", s.o.Path, "err", err)
	}
}

// EventAttrs are the log attributes of an event's likely cause, for the
// journal line of a firing alarm (none without a diagnosis).
func EventAttrs(ev alarm.Event) []any {
	if ev.Cause == "" {
		return nil
	}
	return []any{"cause", ev.Cause, "evidence", strings.Join(ev.Evidence, "; ")}
}

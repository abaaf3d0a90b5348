package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/sdnotify"
	"github.com/ddm-agent/ddm/outlook"
	"github.com/ddm-agent/ddm/pipeline"
	"github.com/ddm-agent/ddm/portset"
)

// ddmDaemon wires the agent to the pipeline (points, alarms, forecasts,
// self-telemetry, state) and talks to systemd.
type ddmDaemon struct {
	cfg  *config.Config
	ts   *portset.Set
	pipe *pipeline.Pipeline
	log  *slog.Logger
}

// newDaemon makes the pipeline for the ports; seed, when set, is the
// InfluxDB the forecast history is seeded from at start.
func newDaemon(cfg *config.Config, ts *portset.Set, rules *alarm.Rules, sink exporter.Sink, seed outlook.Querier, log *slog.Logger) *ddmDaemon {
	pipe := pipeline.New(pipeline.Options{Host: cfg.Host, Rules: rules, Sink: sink, Log: log,
		StateDir: filepath.Dir(cfg.Influx.SpoolDir), Ports: ts.Names(), Interval: time.Duration(cfg.Interval), VDMInterval: time.Duration(cfg.VDMInterval), Seed: seed, Topology: ts.Topology(),
		Status: func(s string) { daemon.SdNotify(false, "STATUS="+s) }})
	return &ddmDaemon{cfg: cfg, ts: ts, pipe: pipe, log: log}
}

// run polls until ctx ends.
func (d *ddmDaemon) run(ctx context.Context) error {
	d.pipe.Start()
	ag, err := newAgent(d.cfg, d.ts, d.pipe)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		d.pipe.Run(ctx, ag)
	}()
	go func() {
		defer wg.Done()
		sdnotify.Run(ctx, ag, sdnotify.Options{Log: d.log})
	}()
	d.log.Info("ddm running", "ports", len(d.ts.Ports), "buses", len(ag.Buses()), "interval", time.Duration(d.cfg.Interval),
		"vdm_interval", time.Duration(d.cfg.VDMInterval), "output", orDefault(d.cfg.Output, "none"), "state", filepath.Dir(d.cfg.Influx.SpoolDir))
	err = ag.Run(ctx)
	cancel()
	wg.Wait()
	daemon.SdNotify(false, daemon.SdNotifyStopping)
	d.pipe.Save()
	return err
}

package grafana

import (
	"fmt"
	"strings"
	"time"
)

// Language is the query language of the InfluxDB data source in Grafana.
type Language string

// Query languages.
const (
	// InfluxQL works on InfluxDB 1.8, on 2.x through a DBRP mapping and on
	// 3.x: the default.
	InfluxQL Language = "influxql"
	// Flux needs a data source configured with `version: Flux`
	// (InfluxDB 1.8 with flux-enabled, or 2.x).
	Flux Language = "flux"
)

// Options configure Export. The zero value exports InfluxQL rules and
// dashboards for a data source with uid "influxdb-ddm".
type Options struct {
	// Language is the data source's query language (default InfluxQL).
	Language Language
	// DatasourceUID is the uid of the InfluxDB data source in Grafana
	// (default "influxdb-ddm"); every query names it.
	DatasourceUID string
	// DatasourceName is the data source's name, for the README (default
	// "InfluxDB ddm").
	DatasourceName string
	// InfluxURL is the URL Grafana reaches InfluxDB at, for the data
	// source provisioning file (default http://127.0.0.1:8086).
	InfluxURL string
	// DashboardsPath is the directory on the Grafana host the dashboard
	// provider loads the dashboards from (default
	// /etc/grafana/provisioning/dashboards: the export's own layout copied
	// into /etc/grafana/provisioning).
	DashboardsPath string
	// Bucket is where ddm writes: the Flux bucket ("ddm/autogen" on
	// InfluxDB 1.8: database/retention-policy; the default). InfluxQL
	// queries name no database (the data source's own) unless
	// QualifyInfluxQL is set, in which case they read
	// "database"."retention-policy"."measurement" from Bucket.
	Bucket          string
	QualifyInfluxQL bool
	// Folder is the Grafana folder of the alert rules and dashboards
	// (default "Transceivers").
	Folder string
	// Group is the alert rule group (default "ddm") and Interval its
	// evaluation interval (default 1m).
	Group    string
	Interval time.Duration
	// OrgID is the Grafana organization (default 1).
	OrgID int64
	// Lookback is how far back a last-value query looks for the latest
	// sample (default 10m, at least twice Interval): a series with no
	// sample that recent has gone away and its alert resolves.
	Lookback time.Duration
	// AlarmLookback is the window of the queries over the agent's own
	// xcvr_alarm points (default 10m): the agent rewrites every firing
	// alarm once a minute, so an alarm still firing always has a point
	// that recent while the agent runs.
	AlarmLookback time.Duration
}

func (o Options) withDefaults() (Options, error) {
	switch o.Language {
	case "":
		o.Language = InfluxQL
	case InfluxQL, Flux:
	default:
		return o, fmt.Errorf("grafana: unknown query language %q (want %s or %s)", o.Language, InfluxQL, Flux)
	}
	if o.DatasourceUID == "" {
		o.DatasourceUID = "influxdb-ddm"
	}
	if o.DatasourceName == "" {
		o.DatasourceName = "InfluxDB ddm"
	}
	if o.Bucket == "" {
		o.Bucket = "ddm/autogen"
	}
	if o.InfluxURL == "" {
		o.InfluxURL = "http://127.0.0.1:8086"
	}
	if err := checkInfluxURL(o.InfluxURL); err != nil {
		return o, err
	}
	if o.DashboardsPath == "" {
		o.DashboardsPath = "/etc/grafana/provisioning/dashboards"
	}
	if err := checkDashboardsPath(o.DashboardsPath); err != nil {
		return o, err
	}
	if o.Folder == "" {
		o.Folder = "Transceivers"
	}
	if o.Group == "" {
		o.Group = "ddm"
	}
	if o.Interval == 0 {
		o.Interval = time.Minute
	}
	if o.Interval < 10*time.Second || o.Interval%time.Second != 0 {
		return o, fmt.Errorf("grafana: evaluation interval %v: want whole seconds, at least 10s", o.Interval)
	}
	if o.OrgID == 0 {
		o.OrgID = 1
	}
	if o.Lookback == 0 {
		o.Lookback = 10 * time.Minute
	}
	if o.Lookback < 2*o.Interval {
		o.Lookback = 2 * o.Interval
	}
	if o.AlarmLookback == 0 {
		o.AlarmLookback = 10 * time.Minute
	}
	if o.AlarmLookback < 2*time.Minute {
		o.AlarmLookback = 2 * time.Minute
	}
	if strings.ContainsAny(o.DatasourceUID, " \t\n\"'") {
		return o, fmt.Errorf("grafana: datasource uid %q has spaces or quotes", o.DatasourceUID)
	}
	return o, nil
}

// bucketParts splits "db/rp" (rp may be absent).
func (o Options) bucketParts() (db, rp string) {
	db, rp, _ = strings.Cut(o.Bucket, "/")
	return db, rp
}

// promDuration writes a duration the way Grafana's provisioning parses
// it (Prometheus style: 1h30m, 15m, 0s); InfluxQL and Flux duration
// literals read the same text.
func promDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	units := []struct {
		u time.Duration
		s string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}}
	for _, u := range units {
		if n := d / u.u; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.s)
			d -= n * u.u
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

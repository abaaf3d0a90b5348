package grafana

// Data written with --reduce: the same reads of two hosts, one writing at
// full rate and one through the reduced export (the real winstat sink),
// in one InfluxDB. The exported rules must alert on the reduced host's
// window extremes (a one-read spike its window's mean hides), and every
// dashboard panel that shows a host at full rate must show the reduced one.

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/internal/statread"
	"github.com/ddm-agent/ddm/schema"
	"github.com/ddm-agent/ddm/winstat"
)

var (
	rdEnd   = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	rdStart = rdEnd.Add(-30 * time.Minute)
)

const rdWindow = 30 * time.Second

const rdRules = `version: 1
rules:
  - name: temp_high
    metric: module.temperature_c
    above: 70
    for: 0s
    severity: major
  - name: rx_low
    metric: lane.rx_power_dbm
    below: -6
    for: 0s
    severity: major
  - name: vcc_band
    metric: module.vcc_v
    outside: [3.2, 3.4]
    for: 0s
    severity: warning
  - name: ber_high
    metric: vdm.pre_fec_ber_media
    above: 1e-4
    for: 0s
    severity: critical
  - name: rx_fall
    metric: lane.rx_power_dbm
    baseline: {window: 20m, drop: 2, resolution: 2m, min_history: 10m}
    for: 0s
    severity: minor
  - name: bias_rise
    metric: lane.tx_bias_ma
    rate: {above: 10, per: 10m, percent: true, resolution: 2m}
    for: 0s
    severity: minor
  - name: vdm_stale
    metric: vdm.pre_fec_ber_media
    absent: 5m
    for: 0s
    severity: warning
`

// rdExpected are the alerts firing at rdEnd. The reduced host has every
// alert of the full-rate one, and those of the one-read spikes in the
// last window (5 s of its 30 s): a full-rate query sees the last read, a
// reduced one the window's extreme.
var rdExpected = func() []alertKey {
	both := []alertKey{
		{"rx_fall", "", "Ethernet1/2", "1", "minor"},
		{"bias_rise", "", "Ethernet1/2", "2", "minor"},
	}
	for lane := 1; lane <= 4; lane++ {
		both = append(both, alertKey{"vdm_stale", "", "Ethernet1/4", fmt.Sprint(lane), "warning"})
	}
	var out []alertKey
	for _, host := range []string{"full01", "red01"} {
		for _, k := range both {
			k.Host = host
			out = append(out, k)
		}
	}
	return append(out,
		alertKey{"temp_high", "red01", "Ethernet1/1", "", "major"},
		alertKey{"rx_low", "red01", "Ethernet1/1", "3", "major"},
		alertKey{"rx_fall", "red01", "Ethernet1/1", "3", "minor"},
		alertKey{"ber_high", "red01", "Ethernet1/1", "2", "critical"},
		alertKey{"vcc_band", "red01", "Ethernet1/3", "", "warning"},
	)
}()

var rdPorts = []string{"Ethernet1/1", "Ethernet1/2", "Ethernet1/3", "Ethernet1/4", "Ethernet1/5"}

// rdSample is a read of port at t: nil when the cage is empty; vdm says
// whether the read has VDM (every 10 s, until it stops on Ethernet1/4).
func rdSample(port string, t time.Time) (m *cmis.Module, vdm bool) {
	at := func(d time.Duration) bool { return t.Equal(rdEnd.Add(-d)) }
	since := func(d time.Duration) bool { return !t.Before(rdEnd.Add(-d)) }
	if port == "Ethernet1/5" && since(8*time.Minute) {
		return nil, false
	}
	temp, vcc := 45.0, 3.3
	switch {
	case port == "Ethernet1/1" && at(20*time.Second):
		temp = 75
	case port == "Ethernet1/3" && at(25*time.Second):
		vcc = 3.1
	}
	m = &cmis.Module{Identifier: "OSFP", Vendor: "EMU OPTICS", PartNumber: "EMU-OSFP800G-DR8", SerialNumber: "SN-" + port, FirmwareVer: "3.2",
		ModuleState: "ModuleReady", ModuleStateCode: 3, TemperatureC: fp(temp), VccV: fp(vcc)}
	for lane := 1; lane <= 4; lane++ {
		rx, bias := -1.0-0.1*float64(lane), 60.0
		switch {
		case port == "Ethernet1/1" && lane == 3 && at(15*time.Second):
			rx = -8
		case port == "Ethernet1/2" && lane == 1 && since(6*time.Minute):
			rx = -4.5
		case port == "Ethernet1/2" && lane == 2 && since(5*time.Minute):
			bias = 70
		}
		l := cmis.Lane{Lane: lane, TxBiasMA: fp(bias), TxPowerMW: fp(mw(1.5)), TxPowerDBM: fp(1.5), RxPowerMW: fp(mw(rx)), RxPowerDBM: fp(rx)}
		if port == "Ethernet1/2" && lane == 4 && at(10*time.Second) {
			l.RxPowerMW, l.RxPowerDBM = fp(0), nil // a dark read: 0 mW has no dBm
		}
		m.Lanes = append(m.Lanes, l)
		ber := 1e-8
		if port == "Ethernet1/1" && lane == 2 && at(20*time.Second) {
			ber = 3e-4
		}
		m.VDM = append(m.VDM, cmis.VDMValue{TypeID: 15, Observable: "pre_fec_ber_media", Lane: lane, Value: ber, Unit: "ratio"})
	}
	vdm = t.Sub(rdStart)%(10*time.Second) == 0 && !(port == "Ethernet1/4" && since(8*time.Minute))
	return m, vdm
}

// rdWrite writes the reads of both hosts: full01 at full rate, red01
// through the reduced export.
func rdWrite(t *testing.T, srv *influxtest.Server) {
	out := &rdCollect{}
	reduced, err := winstat.New(out, rdWindow)
	if err != nil {
		t.Fatal(err)
	}
	var full []exporter.Point
	for at := rdStart; at.Before(rdEnd); at = at.Add(5 * time.Second) {
		for _, port := range rdPorts {
			for _, host := range []string{"full01", "red01"} {
				src := exporter.Source{Host: host, Port: port, Time: at}
				m, vdm := rdSample(port, at)
				pts := exporter.ModulePoints(src, m)
				if vdm {
					pts = append(pts, exporter.VDMPoints(src, m)...)
				}
				if at.Equal(rdStart) {
					pts = append(pts, exporter.InfoPoints(src, m)...)
				}
				if host == "full01" {
					full = append(full, pts...)
				} else {
					reduced.Write(pts...)
				}
			}
		}
	}
	if err := reduced.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	write(t, srv, append(full, out.points...))
	// The reduced host has window statistics, not the monitors.
	if n := srv.Count(t, schema.RxPowerMW, schema.XcvrLane, `"host"='red01'`); n != 0 {
		t.Fatalf("%d full-rate rx_power_mw values of the reduced host", n)
	}
	// The spike is hidden by its window's mean.
	rows := srv.Query(t, fmt.Sprintf(`SELECT %s, %s FROM %s WHERE "host"='red01' AND "port"='Ethernet1/1' AND time = %d`,
		statread.Ident(schema.TemperatureC+schema.StatMean), statread.Ident(schema.TemperatureC+schema.StatMax), schema.XcvrModule, rdEnd.Add(-rdWindow).UnixNano()))
	if mean, _ := rows[0].Float(schema.TemperatureC + schema.StatMean); len(rows) != 1 || mean >= 70 {
		t.Fatalf("the last window of red01 Ethernet1/1: %v, want a mean temperature below the rule's 70", rows)
	}
}

type rdCollect struct{ points []exporter.Point }

func (c *rdCollect) Write(points ...exporter.Point)  { c.points = append(c.points, points...) }
func (c *rdCollect) Close(ctx context.Context) error { return nil }

// TestReducedAgainstInfluxDB: the exported rules, evaluated as Grafana
// would at rdEnd, alert on the reduced host as expected (above on the
// window maximum, below on its minimum, outside on the extreme farther
// from the band, rate and baseline on the means, absent on any window,
// only where the module is still read), in both query languages; and each
// dashboard panel that shows full01 shows red01, with the same values
// where the panel shows a maximum or the window does not change.
func TestReducedAgainstInfluxDB(t *testing.T) {
	srv := influxtest.Start(t, influxtest.WithFlux())
	rdWrite(t, srv)
	rules, err := alarm.Parse("reduced-rules.yaml", []byte(rdRules))
	if err != nil {
		t.Fatal(err)
	}
	runner := newQueryRunner(srv)
	for _, lang := range []Language{InfluxQL, Flux} {
		t.Run("rules/"+string(lang), func(t *testing.T) {
			t.Parallel()
			grp := exportedRules(t, rules, Options{Language: lang, Bucket: srv.Bucket()})
			g := newGrafanaSim(runner, lang)
			var got []alertKey
			for _, r := range grp.Rules {
				ar := newAlertRule(t, r)
				if err := g.eval(ar, rdEnd); err != nil {
					t.Fatalf("rule %s: %v", r.UID, err)
				}
				for _, l := range ar.firing() {
					got = append(got, alertKey{r.Labels["rule"], l["host"], l["port"], l["lane"], r.Labels["severity"]})
				}
			}
			if onlyGrafana, onlyExpected := diffKeys(got, rdExpected); len(onlyGrafana)+len(onlyExpected) > 0 {
				t.Errorf("Grafana would alert differently:\nonly Grafana: %s\nonly expected: %s",
					strings.Join(onlyGrafana, "\n  "), strings.Join(onlyExpected, "\n  "))
			}
		})
		t.Run("dashboards/"+string(lang), func(t *testing.T) {
			t.Parallel()
			b, err := Export(rules, Options{Language: lang, Bucket: srv.Bucket(), QualifyInfluxQL: true})
			if err != nil {
				t.Fatal(err)
			}
			checkReducedDashboards(t, runner, lang, b)
		})
	}
}

// rdVars are the dashboard variables for a host.
func rdVars(lang Language, host string) map[string]string {
	if lang == Flux {
		return map[string]string{"host": `["` + host + `"]`, "port": `["Ethernet1/1","Ethernet1/2"]`, "lane": `["1","2","3"]`}
	}
	return map[string]string{"host": host, "port": `(Ethernet1\/1|Ethernet1\/2)`, "lane": "(1|2|3)"}
}

// checkReducedDashboards runs every dashboard query for full01 and for
// red01: a panel that shows full01 must show red01, and the panels below
// the same values for both.
func checkReducedDashboards(t *testing.T, runner *queryRunner, lang Language, b *Bundle) {
	g := newGrafanaSim(runner, lang)
	same := map[string]float64{ // panel: how close the values must be
		"ddm-switch: panel \"Worst pre-FEC BER per port\"":  1e-9,
		"ddm-port: panel \"Pre-FEC BER per lane\"":          1e-9,
		"ddm-port: panel \"Laser bias per lane\"":           1e-3,
		"ddm-port: panel \"Tx power per lane\"":             1e-3,
		"ddm-switch: panel \"Module temperature per port\"": 0.5,
		// Its band: the maximum has the one-read spike.
		"ddm-port: panel \"Module temperature\"": 0.01,
	}
	checked, sawModules := 0, false
	for _, dq := range dashboardQueries(t, b) {
		// The panel's own time range when it has one (Modules present:
		// the last minutes), else from 5 minutes after the first read: the
		// reduced host's present flag, written when it changes, is older.
		if d := dq.to.Sub(dq.from); d < 6*time.Hour {
			dq.from = rdEnd.Add(-d)
		} else {
			dq.from = rdStart.Add(5 * time.Minute)
		}
		dq.to = rdEnd
		if lang == InfluxQL && strings.HasPrefix(dq.q.Query, "SHOW") {
			continue // tag values, whatever the fields
		}
		perHost := map[string][]frame{}
		for _, host := range []string{"full01", "red01"} {
			frames, err := g.run(dq.q, dq.from, dq.to, rdVars(lang, host))
			if err != nil {
				t.Errorf("%s for %s: %v", dq.what, host, err)
			}
			perHost[host] = frames
		}
		full, red := perHost["full01"], perHost["red01"]
		if len(full) > 0 && len(red) == 0 {
			t.Errorf("%s: shows full01 (%d series) but not red01\n%s", dq.what, len(full), dq.q.Query)
			continue
		}
		if len(full) > 0 {
			checked++
		}
		if strings.Contains(dq.what, "Modules present per switch") {
			sawModules = true
			n := map[string]float64{}
			for _, f := range full {
				if len(f.points) > 0 {
					n[f.labels["host"]] = f.points[len(f.points)-1].v
				}
			}
			if n["full01"] != 4 || n["red01"] != 4 {
				t.Errorf("%s: %v, want 4 modules read lately on each host (Ethernet1/5 was pulled out)", dq.what, n)
			}
		}
		tol, ok := same[dq.what]
		if !ok {
			continue
		}
		// The largest value of each series (labels without the host).
		peaks := func(fs []frame) map[string]float64 {
			out := map[string]float64{}
			for _, f := range fs {
				l := labels{}
				for k, v := range f.labels {
					if k != schema.TagHost {
						l[k] = v
					}
				}
				for _, p := range f.points {
					if v, seen := out[l.key()]; !seen || p.v > v {
						out[l.key()] = p.v
					}
				}
			}
			return out
		}
		pf, pr := peaks(full), peaks(red)
		if len(pf) == 0 || len(pf) != len(pr) {
			t.Errorf("%s: series %v for full01, %v for red01", dq.what, pf, pr)
		}
		for k, v := range pf {
			if w, ok := pr[k]; !ok || math.Abs(v-w) > tol*math.Max(1, math.Abs(v)) {
				t.Errorf("%s %s: peak %g for full01, %g for red01", dq.what, k, v, w)
			}
		}
	}
	if !sawModules {
		t.Error("no Modules present per switch panel")
	}
	if checked < 10 {
		t.Errorf("only %d panels show the hosts", checked)
	}
	t.Logf("%s: %d queries show both hosts", lang, checked)
}

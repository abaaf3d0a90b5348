package outlook

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/schema"
	"github.com/ddm-agent/ddm/winstat"
)

// writeLP posts points to the test server as line protocol.
func writeLP(t *testing.T, srv *influxtest.Server, pts []exporter.Point) {
	t.Helper()
	var b bytes.Buffer
	for _, p := range pts {
		line, err := p.LineProtocol()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	resp, err := http.Post(srv.URL()+"/write?db="+srv.Database()+"&precision=ns", "text/plain", &b)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %s: %s", resp.Status, body)
	}
}

// A new agent on an old switch: six days of a degrading lane are in
// InfluxDB (written as the agent writes them), the state folder is empty.
// Seeded from InfluxDB, the tracker forecasts what a tracker that saw
// every read forecasts; another host's data and a port not configured
// are left out, and a port that has history keeps it.
func TestSeedFromInfluxDB(t *testing.T) {
	srv := influxtest.Start(t)
	e := newEmulated(t, "osfp-800g-dr8", emulator.WithSerial("SN-SEED"),
		emulator.WithDegradations(emulator.Degradation{Kind: emulator.RxFade, Lane: 3, Rate: 0.5 / 24}))
	direct := New()
	var pts []exporter.Point
	// Hourly reads: the lane history's answer is then larger than 64 KiB,
	// the bound of a write's answer, which once cut the seeding short.
	for end := e.clk.Now().Add(6 * day); !e.clk.Now().After(end); e.clk.Advance(time.Hour) {
		m := e.read(t)
		direct.Observe("Ethernet1/1", e.clk.Now(), m)
		for _, host := range []string{"sw1", "sw2"} {
			for _, port := range []string{"Ethernet1/1", "Ethernet1/9"} {
				pts = append(pts, exporter.AllPoints(exporter.Source{Host: host, Port: port, Time: e.clk.Now()}, m)...)
			}
		}
	}
	writeLP(t, srv, pts)
	now := e.clk.Now()

	q, err := exporter.NewInfluxQuerier(exporter.InfluxConfig{URL: srv.URL(), Bucket: srv.Database(), Token: srv.Token()})
	if err != nil {
		t.Fatal(err)
	}
	seeded := New()
	// Ethernet1/2 already has history from the state folder.
	seeded.Observe("Ethernet1/2", now.Add(-time.Hour), e.read(t))
	n, err := seeded.Seed(context.Background(), q, "sw1", []string{"Ethernet1/1", "Ethernet1/2"}, now)
	if err != nil {
		t.Fatal(err)
	}
	// 8 lanes × (3 powers and bias + BER) + 2 module temperatures.
	if n != 8*4+2 {
		t.Errorf("%d series seeded, want 34", n)
	}
	if got := seeded.Ports(); strings.Join(got, " ") != "Ethernet1/1 Ethernet1/2" {
		t.Errorf("ports %v: Ethernet1/9 is not configured", got)
	}
	if id := seeded.ports["Ethernet1/1"].identity; id.Serial != "SN-SEED" {
		t.Errorf("identity %+v", id)
	}
	if h := seeded.ports["Ethernet1/2"].series[Key{3, "rx_power_mw"}]; h.Len() != 1 {
		t.Errorf("Ethernet1/2 had history and was seeded: %d buckets", h.Len())
	}

	seeded.Observe("Ethernet1/1", now, e.read(t))
	a := direct.Update("sw1", now)
	b := seeded.Update("sw1", now)
	kp4 := func(r *Report) float64 {
		for _, f := range r.Forecasts {
			if f.Port == "Ethernet1/1" && f.Lane == 3 && f.Limit == "kp4_limit" {
				return f.Days
			}
		}
		return math.NaN()
	}
	if da, db := kp4(a), kp4(b); !(math.Abs(da-db) < 0.15*da) {
		t.Errorf("KP4 in %.2f days seen directly, %.2f seeded from InfluxDB", da, db)
	}

	// A query InfluxDB refuses is an error that says which.
	bad, _ := exporter.NewInfluxQuerier(exporter.InfluxConfig{URL: srv.URL(), Bucket: "nope", Token: srv.Token()})
	if _, err := New().Seed(context.Background(), bad, "sw1", []string{"Ethernet1/1"}, now); err == nil || !strings.Contains(err.Error(), "module identities") {
		t.Errorf("seed from a missing database: %v", err)
	}
}

// collect is a sink that keeps what is written to it.
type collect struct{ points []exporter.Point }

func (c *collect) Write(points ...exporter.Point)  { c.points = append(c.points, points...) }
func (c *collect) Close(ctx context.Context) error { return nil }

// An agent that writes with --reduce: six days of a degrading lane are in
// InfluxDB as the reduced export writes them (window statistics through
// the real winstat sink, no full-rate monitor values). Seeded from them,
// the tracker has the series and the buckets of a tracker that saw every
// read, and forecasts what it forecasts.
func TestSeedFromReducedInfluxDB(t *testing.T) {
	srv := influxtest.Start(t)
	e := newEmulated(t, "osfp-800g-dr8", emulator.WithSerial("SN-SEED"), emulator.WithUpdateInterval(time.Minute),
		emulator.WithDegradations(emulator.Degradation{Kind: emulator.RxFade, Lane: 3, Rate: 0.5 / 24}))
	direct := New()
	out := &collect{}
	reduced, err := winstat.New(out, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// Each hour, 2 minutes of reads every 15 s (2 windows of 4 reads),
	// so that every 2-hour bucket holds windows of several reads.
	for end := e.clk.Now().Add(6 * day); e.clk.Now().Before(end); {
		hour := e.clk.Now()
		for ; e.clk.Now().Before(hour.Add(2 * time.Minute)); e.clk.Advance(15 * time.Second) {
			m := e.read(t)
			direct.Observe("Ethernet1/1", e.clk.Now(), m)
			reduced.Write(exporter.AllPoints(exporter.Source{Host: "sw1", Port: "Ethernet1/1", Time: e.clk.Now()}, m)...)
		}
		e.clk.Advance(hour.Add(time.Hour).Sub(e.clk.Now()))
	}
	if err := reduced.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for pts := out.points; len(pts) > 0; pts = pts[min(len(pts), 5000):] {
		writeLP(t, srv, pts[:min(len(pts), 5000)])
	}
	if n := srv.Count(t, schema.RxPowerMW, schema.XcvrLane, ""); n != 0 {
		t.Fatalf("%d full-rate rx_power_mw values: the reduced export did not reduce", n)
	}
	if n := srv.Count(t, schema.RxPowerMW+schema.StatMean, schema.XcvrLane, ""); n == 0 {
		t.Fatal("no window means of rx_power_mw")
	}
	now := e.clk.Now()

	q, err := exporter.NewInfluxQuerier(exporter.InfluxConfig{URL: srv.URL(), Bucket: srv.Database(), Token: srv.Token()})
	if err != nil {
		t.Fatal(err)
	}
	seeded := New()
	n, err := seeded.Seed(context.Background(), q, "sw1", []string{"Ethernet1/1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 8*4+2 {
		t.Errorf("%d series seeded from window means, want 34", n)
	}
	if id := seeded.ports["Ethernet1/1"].identity; id.Serial != "SN-SEED" {
		t.Errorf("identity %+v", id)
	}
	// Bucket by bucket, the fading lane's Rx power and the module
	// temperature are what the direct tracker has (its robust mean of the
	// reads against the mean of the window means).
	for _, k := range []Key{{3, cmis.QRxPower}, {0, cmis.QTemperature}, {3, QPreFECBER}} {
		d, s := direct.ports["Ethernet1/1"].series[k], seeded.ports["Ethernet1/1"].series[k]
		if s == nil {
			t.Fatalf("%v: not seeded", k)
		}
		if d.Len() != s.Len() || d.Len() < 70 {
			t.Fatalf("%v: %d buckets seen directly, %d seeded", k, d.Len(), s.Len())
		}
		for i := range d.Buckets {
			db, sb := d.Buckets[i], s.Buckets[i]
			if db.Start != sb.Start || math.Abs(db.Value()-sb.Value()) > 0.02*math.Max(1, math.Abs(db.Value())) {
				t.Errorf("%v bucket %d: %d %.4f seen directly, %d %.4f seeded", k, i, db.Start, db.Value(), sb.Start, sb.Value())
				break
			}
		}
	}
	seeded.Observe("Ethernet1/1", now, e.read(t))
	direct.Observe("Ethernet1/1", now, e.read(t))
	kp4 := func(r *Report) float64 {
		for _, f := range r.Forecasts {
			if f.Port == "Ethernet1/1" && f.Lane == 3 && f.Limit == "kp4_limit" {
				return f.Days
			}
		}
		return math.NaN()
	}
	if da, db := kp4(direct.Update("sw1", now)), kp4(seeded.Update("sw1", now)); !(math.Abs(da-db) < 0.15*da) {
		t.Errorf("KP4 in %.2f days seen directly, %.2f seeded from window means", da, db)
	}
}

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

	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/influxtest"
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

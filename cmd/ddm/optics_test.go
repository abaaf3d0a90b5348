package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/topology"

	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/portset"
)

// npoPlatform is an engine lit by an ELSFP whose 8 lasers each feed one
// 400G port's 4 lanes; laser 2 (Ethernet2/2, npo1 lanes 5-8) fails 2 s in.
func npoPlatform() string {
	var b strings.Builder
	b.WriteString(`name: npo-fault
buses:
  - name: i2c-1
    speed: 1MHz
    muxes:
      - {address: 0x70, channels: [c10, c11]}
ports:
  - {name: els1, bus: c10, profile: elsfp}
  - name: npo1
    bus: c11
    profile: npo-3.2t
    laser_source: els1
    lasers:
`)
	for k := 1; k <= 8; k++ {
		fmt.Fprintf(&b, "      - {laser: %d, lanes: %d-%d, port: Ethernet2/%d}\n", k, 4*k-3, 4*k, k)
	}
	b.WriteString("scenarios:\n  - {port: els1, kind: laser_fault, lane: 2, start: 2s}\n")
	return b.String()
}

// npoRules fire on a module threshold at once, so the dark lanes alarm
// within the test.
const npoRules = `version: 1
rules:
  - name: module_thresholds
    builtin: module_thresholds
    severity: {alarm: critical, warning: warning}
    for: 0s
`

// TestRunLaserFaultCorrelated: a laser of the emulated engine's ELSFP
// fails; the real binary writes one xcvr_laser_event to the real InfluxDB
// naming the port and lanes it darkens, and the alarms of those lanes
// carry its id (or, had they fired first, are listed in it); no other
// lane's alarm is linked.
func TestRunLaserFaultCorrelated(t *testing.T) {
	t.Parallel()
	srv := influxtest.Start(t)
	dir := t.TempDir()
	platform, rules := filepath.Join(dir, "npo.yaml"), filepath.Join(dir, "rules.yaml")
	for name, body := range map[string]string{platform: npoPlatform(), rules: npoRules} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := startDDM(t, "run", "--emulate="+platform, "--rules", rules, "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(),
		"--interval", "250ms", "--vdm-interval", "1s", "--state-dir", filepath.Join(dir, "state"))
	influxtest.Wait(t, 30*time.Second, "the laser event and the dark lanes' alarms", func() bool {
		return srv.Count(t, "event_id", "xcvr_laser_event", "") > 0 &&
			srv.Count(t, "state", "xcvr_alarm", `"port"='npo1' AND "lane"='8' AND "limit"='low_alarm'`) > 0
	})
	p.stop(t, syscall.SIGTERM)

	events := srv.Query(t, `SELECT * FROM "xcvr_laser_event"`)
	if len(events) != 1 {
		t.Fatalf("%d laser events, want 1: %v", len(events), events)
	}
	ev := events[0].Values
	id, _ := ev["event_id"].(string)
	if ev["port"] != "els1" || ev["lane"] != "2" || ev["state"] != "firing" || ev["cause"] != "fault" ||
		ev["ports"] != "Ethernet2/2" || ev["lanes"] != "npo1:5-8" || !strings.HasPrefix(id, "els1/laser2@") {
		t.Errorf("laser event %v", ev)
	}
	linkedBefore, _ := ev["linked_alarms"].(string)
	alarms := srv.Query(t, `SELECT * FROM "xcvr_alarm" WHERE "port"='npo1' AND "transition"=true AND "state"='firing'`)
	dark := 0
	for _, a := range alarms {
		lane, link := a.Values["lane"], a.Values["laser_event"]
		inEvent := lane == "5" || lane == "6" || lane == "7" || lane == "8"
		if !inEvent {
			if link != nil {
				t.Errorf("npo1 lane %v is not fed by laser 2 but its alarm is linked: %v", lane, a.Values)
			}
			continue
		}
		dark++
		listed := strings.Contains(linkedBefore, fmt.Sprintf("npo1 lane %v ", lane))
		if link != id && !listed {
			t.Errorf("npo1 lane %v alarm not linked to %s: %v", lane, id, a.Values)
		}
	}
	if dark < 4 {
		t.Errorf("%d alarms on npo1 lanes 5-8, want one per lane at least: %v", dark, alarms)
	}
	if !strings.Contains(p.stderr.String(), `msg="laser event firing" id=`+id) {
		t.Errorf("the journal does not name the event:\n%s", p.stderr)
	}
}

// TestDumpLaserFeeds: ddm dump shows, beside an engine and beside its
// laser source, which laser lights which lanes and port and each laser's
// state: the failed laser 2 with its fault, in text and JSON. The
// platform runs on a manual clock, 5 s past the fault's start.
func TestDumpLaserFeeds(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := emulator.NewManualClock(t0)
	pl, err := emulator.ParsePlatform("npo.yaml", []byte(npoPlatform()), emulator.WithClock(clk), emulator.WithOrigin(t0),
		emulator.WithInsertion(t0.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(5 * time.Second)
	ts, err := portset.OnPlatform(pl, i2c.PagerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dump := func(asJSON bool, port string) string {
		t.Helper()
		var out, errb bytes.Buffer
		sel, err := selectPorts(ts.Ports, []string{port}, false)
		if err != nil {
			t.Fatal(err)
		}
		if code := dumpTargets(context.Background(), env{stdout: &out, stderr: &errb}, ts, sel, dumpOptions{json: asJSON, timeout: 10 * time.Second}); code != exitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		return out.String()
	}
	out := dump(false, "npo1")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Laser feeds`),
		regexp.MustCompile(`els1 laser 1 +on +[0-9.]+ +- +npo1 lanes 1-4 \(Ethernet2/1\)`),
		regexp.MustCompile(`els1 laser 2 +on +0\.00 +fault +npo1 lanes 5-8 \(Ethernet2/2\)`),
		regexp.MustCompile(`els1 laser 8 +on .* npo1 lanes 29-32 \(Ethernet2/8\)`),
	} {
		if !want.MatchString(out) {
			t.Errorf("dump lacks %s:\n%s", want, out)
		}
	}
	var got struct {
		Feeds []topology.LaserView `json:"laser_feeds"`
	}
	if err := json.Unmarshal([]byte(dump(true, "els1")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Feeds) != 8 || !got.Feeds[1].Read || !got.Feeds[1].Fault || got.Feeds[1].Port != "Ethernet2/2" ||
		topology.LanesText(got.Feeds[1].Lanes) != "5-8" || got.Feeds[0].Fault {
		t.Errorf("laser feeds %+v", got.Feeds)
	}
}

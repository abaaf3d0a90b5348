package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/exporter"
)

// pointKey is what makes a point one point in InfluxDB: measurement, tags
// and timestamp (the line without its fields).
func pointKey(t *testing.T, p exporter.Point) string {
	t.Helper()
	line, err := p.LineProtocol()
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(line, " ")
	return head + line[strings.LastIndex(line, " "):]
}

func TestEventPointsEveryEventIsAPoint(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_900_000, time.UTC)
	ev := func(rule, obs, limit string, sev alarm.Severity, st alarm.State) alarm.Event {
		return alarm.Event{Time: at, Rule: rule, Observable: obs, Limit: limit, Port: "Ethernet1/5", Lane: 3, Severity: sev, State: st}
	}
	cases := []struct {
		name   string
		events []alarm.Event
	}{
		{"VDM observables of one lane fire in one read", []alarm.Event{
			ev("vdm_thresholds", "pre_fec_ber_media", "high_alarm", alarm.Major, alarm.Firing),
			ev("vdm_thresholds", "pre_fec_ber_max_media", "high_alarm", alarm.Major, alarm.Firing),
			ev("vdm_thresholds", "pre_fec_ber_avg_media", "high_alarm", alarm.Major, alarm.Firing),
			ev("vdm_thresholds", "pre_fec_ber_host", "high_alarm", alarm.Major, alarm.Firing),
			ev("vdm_thresholds", "esnr_media", "low_alarm", alarm.Major, alarm.Firing),
		}},
		{"warning and alarm band of one quantity with one severity", []alarm.Event{
			ev("module_thresholds", "temperature_c", "high_alarm", alarm.Major, alarm.Firing),
			ev("module_thresholds", "temperature_c", "high_warning", alarm.Major, alarm.Firing),
		}},
		{"latched flags of one lane", []alarm.Event{
			ev("latched_faults", "rx_los", "", alarm.Major, alarm.Firing),
			ev("latched_faults", "rx_cdr_lol", "", alarm.Major, alarm.Firing),
		}},
		{"resolved by a module swap and fired by the new module", []alarm.Event{
			ev("latched_faults", "rx_los", "", alarm.Major, alarm.Resolved),
			ev("latched_faults", "rx_los", "", alarm.Major, alarm.Firing),
			ev("latched_faults", "rx_los", "", alarm.Major, alarm.Resolved),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pts := EventPoints("leaf01", c.events, true)
			if len(pts) != len(c.events) {
				t.Fatalf("%d points for %d events", len(pts), len(c.events))
			}
			seen := map[string]int{}
			for i, p := range pts {
				k := pointKey(t, p)
				if j, dup := seen[k]; dup {
					t.Errorf("events %d and %d are one point in InfluxDB: %s", j, i, k)
				}
				seen[k] = i
				if d := p.Time.Sub(at); d < 0 || d > time.Duration(len(pts))*time.Millisecond {
					t.Errorf("event %d written %v after its time", i, d)
				}
				if st, _ := p.Field("state"); st.S != c.events[i].State.String() {
					t.Errorf("event %d: state %q, want %q", i, st.S, c.events[i].State)
				}
			}
		})
	}
}

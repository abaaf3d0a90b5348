package topology

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

func TestParseLanes(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		err  string
	}{
		{"1-4", []int{1, 2, 3, 4}, ""},
		{"5, 7,6", []int{5, 6, 7}, ""},
		{"1-2,2-3", []int{1, 2, 3}, ""},
		{"0", nil, "lanes are 1-256"},
		{"1-300", nil, "lanes are 1-256"},
		{"4-1", nil, "not a range"},
		{"a", nil, "not a lane number"},
		{"", nil, "not a lane number"},
	}
	for _, tc := range tests {
		got, err := ParseLanes(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLanes(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseLanes(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, _ := ParseLanes(LanesText(got)); !slices.Equal(back, got) {
			t.Errorf("LanesText(%v) = %q does not read back", got, LanesText(got))
		}
	}
	if s := LanesText([]int{1, 2, 3, 4, 7, 9, 10}); s != "1-4,7,9-10" {
		t.Errorf("LanesText = %q", s)
	}
}

func TestValidate(t *testing.T) {
	ok := Feed{Source: "els1", Laser: 1, Engine: "npo1", Lanes: []int{1, 2}}
	tests := []struct {
		feeds []Feed
		err   string
	}{
		{[]Feed{ok}, ""},
		{[]Feed{ok, {Source: "els2", Laser: 1, Engine: "npo1", Lanes: []int{2}}}, "npo1 lane 2 is fed by els1 laser 1 and els2 laser 1"},
		{[]Feed{{Source: "els1", Laser: 65, Engine: "npo1", Lanes: []int{1}}}, "lasers are 1-64"},
		{[]Feed{{Source: "els1", Laser: 1, Engine: "npo1"}}, "feeds no lanes"},
		{[]Feed{ok, {Source: "npo1", Laser: 1, Engine: "x", Lanes: []int{1}}}, "both a laser source and an engine"},
	}
	for _, tc := range tests {
		err := (&Map{Feeds: tc.feeds}).Validate()
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: %v, want %q", tc.feeds, err, tc.err)
		}
	}
}

func testMap() *Map {
	m := &Map{}
	for l := 1; l <= 4; l++ {
		m.Feeds = append(m.Feeds, Feed{Source: "els1", Laser: l, Engine: "npo1", Lanes: []int{2*l - 1, 2 * l}, Port: "Ethernet2/" + string(rune('0'+l))})
	}
	return m
}

func lasers(f func(l *cmis.Laser)) []cmis.Laser {
	out := make([]cmis.Laser, 4)
	for i := range out {
		p := 60.0
		out[i] = cmis.Laser{Lane: i + 1, State: "on", PowerMW: &p}
		f(&out[i])
	}
	return out
}

// TestCorrelator: a laser's fault is one event naming its ports and lanes,
// held (and linked) while it lasts, escalated but not repeated, resolved
// once; a source that stops answering darkens all its lasers at once.
func TestCorrelator(t *testing.T) {
	c := NewCorrelator(testMap())
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	good := lasers(func(*cmis.Laser) {})
	if ev := c.ObserveSource("els1", at(0), good, true); len(ev) != 0 {
		t.Fatalf("healthy lasers: %+v", ev)
	}
	warn := lasers(func(l *cmis.Laser) { l.Warning = l.Lane == 2 })
	ev := c.ObserveSource("els1", at(1), warn, true)
	if len(ev) != 1 || !ev[0].Firing || ev[0].Laser != 2 || ev[0].Cause != CauseWarning ||
		!slices.Equal(ev[0].Ports(), []string{"Ethernet2/2"}) || ev[0].Lanes() != "npo1:3-4" {
		t.Fatalf("warning: %+v", ev)
	}
	id := ev[0].ID
	if !strings.Contains(ev[0].Summary(), "els1 laser 2 warning: no light for npo1 lanes 3-4 (Ethernet2/2)") {
		t.Errorf("summary %q", ev[0].Summary())
	}
	for lane, want := range map[int]bool{1: false, 3: true, 4: true, 5: false} {
		got, ok := c.Link("npo1", lane)
		if ok != want || (ok && got != id) {
			t.Errorf("lane %d linked to %q %v, want %v", lane, got, ok, want)
		}
	}
	if _, ok := c.Link("Ethernet1/1", 3); ok {
		t.Error("a port the map does not feed is linked")
	}
	fault := lasers(func(l *cmis.Laser) { l.Fault = l.Lane == 2 })
	if ev := c.ObserveSource("els1", at(2), fault, true); len(ev) != 0 {
		t.Errorf("escalation is a new event: %+v", ev)
	}
	if ev := c.ObserveSource("els1", at(3), nil, true); len(ev) != 0 {
		t.Errorf("a read without the laser pages changed the lasers: %+v", ev)
	}
	ev = c.ObserveSource("els1", at(4), good, true)
	if len(ev) != 1 || ev[0].Firing || ev[0].ID != id || ev[0].Cause != CauseFault {
		t.Fatalf("resolve: %+v", ev)
	}
	if _, ok := c.Link("npo1", 3); ok {
		t.Error("a resolved event is still linked")
	}
	ev = c.ObserveSource("els1", at(5), nil, false)
	if len(ev) != 4 || ev[0].Cause != CauseAbsent || ev[3].Laser != 4 {
		t.Errorf("source absent: %+v", ev)
	}
	if ev := c.ObserveSource("npo1", at(6), nil, false); ev != nil {
		t.Errorf("an engine is not a source: %+v", ev)
	}
	if ev := NewCorrelator(nil).ObserveSource("els1", at(7), nil, false); ev != nil {
		t.Errorf("no topology: %+v", ev)
	}
}

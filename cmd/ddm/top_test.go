package main

import (
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/modread"
	"github.com/ddm-agent/ddm/outlook"
	"github.com/ddm-agent/ddm/pipeline"
	"github.com/ddm-agent/ddm/portset"
	"github.com/ddm-agent/ddm/top"
)

var updateTop = flag.Bool("update-top", false, "rewrite cmd/ddm/testdata/top-*.golden from the screens seen now")

// topAt is the instant of the emulated switch the tests look at: its
// scenarios have raised their alarms (BER past the KP4 limit, a fading
// laser, a runaway temperature) and the clock stops there, so the screens
// do not change from one refresh to the next.
const topAt = "100s"

// TestTopPlain: with stdout not a terminal, `ddm top` prints the table
// once, as text without an escape code; on the stopped emulator clock two
// tables printed a second apart are the same, and the same as the golden
// file.
func TestTopPlain(t *testing.T) {
	t.Parallel()
	code, out, errs := runDDM(t, "", "top", "--emulate", "--at", topAt, "--plain", "--count", "2", "--width", "200")
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("plain output has escape codes:\n%q", out)
	}
	first, second, ok := strings.Cut(out, "\n\n")
	if !ok {
		t.Fatalf("want two tables separated by a blank line, got:\n%s", out)
	}
	if first+"\n" != second {
		t.Errorf("two tables of a stopped switch differ:\n%s\n----\n%s", first, second)
	}
	topGolden(t, "top-plain.golden", first)
	for _, want := range []string{"64 ports: 64 read", "L6 tx low_warning", "3.00e-04",
		"critical pre_fec_ber_critical L3", "critical module_thresholds temperature_c high_alarm"} {
		if !strings.Contains(first, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

// TestTopLive: on the real clock (the agent's own cadence, the emulated
// module's scenarios running), the table is printed every interval, as
// many times as asked.
func TestTopLive(t *testing.T) {
	t.Parallel()
	code, out, errs := runDDM(t, "", "top", "--emulate", "sfp28-25g", "--plain", "--count", "3", "--interval", "200ms")
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	if n := strings.Count(out, "1 port: 1 read"); n != 3 {
		t.Errorf("%d tables of the read module, want 3:\n%s", n, out)
	}
	if !strings.Contains(out, "every 200ms") || !strings.Contains(out, "sfp28-25g") {
		t.Errorf("table lacks the interval or the port:\n%s", out)
	}
}

// TestTopKeepsVDMOnFailedHandshake: a VDM read whose freeze handshake
// failed carries no value; the screen keeps the last ones and shows the
// error, and a good read replaces them.
func TestTopKeepsVDMOnFailedHandshake(t *testing.T) {
	src := &topSource{engine: alarm.NewEngine(mustDefaultRules(t), alarm.Options{}), latest: map[string]*topPort{}}
	src.setPorts([]agent.Port{{Name: "p1"}})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	vdm := func(ber float64) *cmis.Module {
		return &cmis.Module{VDM: []cmis.VDMValue{{Observable: "pre_fec_ber_media", Lane: 1, Value: ber}}}
	}
	src.Observe(agent.Sample{Port: "p1", Kind: agent.KindVDM, Time: now, Module: vdm(1e-6)})
	src.Observe(agent.Sample{Port: "p1", Kind: agent.KindVDM, Time: now.Add(time.Second), Module: &cmis.Module{},
		Err: errors.New("freeze: VDM freeze handshake timed out after 500ms")})
	p := src.ports()[0]
	if len(p.VDM) != 1 || p.VDM[0].Value != 1e-6 || !strings.Contains(p.Err, "handshake") {
		t.Fatalf("after a failed handshake: VDM %+v, err %q; want the last value 1e-6 and the error", p.VDM, p.Err)
	}
	src.Observe(agent.Sample{Port: "p1", Kind: agent.KindVDM, Time: now.Add(2 * time.Second), Module: vdm(2e-6)})
	if p := src.ports()[0]; len(p.VDM) != 1 || p.VDM[0].Value != 2e-6 || p.Err != "" {
		t.Fatalf("after a good read: VDM %+v, err %q; want 2e-6 and no error", p.VDM, p.Err)
	}
}

func mustDefaultRules(t *testing.T) *alarm.Rules {
	t.Helper()
	rs, err := loadRules("")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestTopFlags: bad flags are named.
func TestTopFlags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"top"}, "no modules to read"},
		{[]string{"top", "--emulate", "--sort", "colour"}, `--sort "colour": want one of margin, port, temperature, ber, alarms`},
		{[]string{"top", "--config", "/nonexistent/ddm.yaml", "--at", "10s"}, "--at 10s: give a positive time with --emulate"},
		{[]string{"top", "--emulate", "--at", "-1s"}, "--at -1s"},
		{[]string{"top", "--emulate", "--count", "-1"}, "cannot be negative"},
		{[]string{"top", "--emulate", "--interval", "1ns"}, "--interval 1ns: at least 100ms"},
		{[]string{"top", "--config", "/nonexistent/ddm.yaml"}, "/nonexistent/ddm.yaml"},
		{[]string{"top", "--emulate", "nosuchprofile"}, `--emulate "nosuchprofile": not a profile`},
		{[]string{"top", "--emulate", "--rules", "/nonexistent/rules.yaml"}, "/nonexistent/rules.yaml"},
	} {
		code, _, errs := runDDM(t, "", c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, exitUsage, c.want)
		}
	}
}

// TestTopInTmux runs the real binary in a real terminal (tmux, 180x30,
// NO_COLOR), types keys and compares each screen with its golden file:
// the table, sorted by temperature, filtered, alarmed only, the alarmed
// port's lanes, back, the filter cleared, and quit (the terminal gets its screen back and the
// exit status is 0).
func TestTopInTmux(t *testing.T) {
	t.Parallel()
	tm := newTmux(t, "NO_COLOR=1")
	capture := func() string { return tm.capture(false) }
	// expect waits for the screen to show the golden file (the program
	// reads the keys and redraws on its own time); with -update-top, for
	// the screen to show marker and hold still for two refreshes, and
	// writes it.
	expect := func(name, marker string) {
		t.Helper()
		path := filepath.Join("testdata", name)
		deadline := time.Now().Add(30 * time.Second)
		if *updateTop {
			last, since := "", time.Now()
			for time.Now().Before(deadline) {
				if s := capture(); s != last || !strings.Contains(s, marker) {
					last, since = s, time.Now()
				} else if time.Since(since) > 2500*time.Millisecond {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			topGolden(t, name, last)
			return
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./cmd/ddm -run TestTopInTmux -update-top writes it)", err)
		}
		got, began := "", time.Now()
		for time.Now().Before(deadline) {
			if got = capture(); got+"\n" == string(want) {
				t.Logf("%s after %v", name, time.Since(began).Round(time.Millisecond))
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("screen is not %s after 30 s:\n%s\n---- want:\n%s", path, got, want)
	}
	send := func(keys ...string) { tm.run(append([]string{"send-keys", "-t", "0"}, keys...)...) }

	expect("top-tmux-start.golden", "64 ports: 64 read")
	send("t")
	expect("top-tmux-by-temperature.golden", "sort: temperature")
	send("/")
	send("-l", "1/1")
	send("Enter")
	expect("top-tmux-filter.golden", `filter: "1/1"  11 of 64`)
	send("a")
	expect("top-tmux-filter-alarmed.golden", `alarmed only  1 of 64`)
	send("Enter")
	expect("top-tmux-lanes.golden", "LANE DATA PATH")
	// One key at a time: Escape and a key sent together read as alt+key.
	send("Escape")
	expect("top-tmux-back.golden", `alarmed only  1 of 64`)
	send("Escape")
	expect("top-tmux-alarmed.golden", "sort: temperature (worst first)  alarmed only")
	// A narrower terminal: the screen is redrawn to its size, the least
	// needed columns dropped.
	tm.run("resize-window", "-t", "0", "-x", "100", "-y", "12")
	expect("top-tmux-narrow.golden", "PORT          MARGIN")
	send("q")
	expect("top-tmux-quit.golden", "ddm exited 0")
}

// TestTopColoursInTmux: in a real terminal, values beyond an alarm limit
// are red and warnings yellow; under NO_COLOR the same screen has no
// colour at all, only the reverse video of the cursor line and bold
// headings.
func TestTopColoursInTmux(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env       string
		wantColor bool
	}{{"COLORTERM=truecolor", true}, {"NO_COLOR=1", false}} {
		t.Run(c.env, func(t *testing.T) {
			t.Parallel()
			tm := newTmux(t, c.env, "--alarmed")
			var screen string
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if screen = tm.capture(true); strings.Contains(screen, "64 ports: 64 read") {
					break
				}
			}
			var row string
			for _, l := range strings.Split(screen, "\n") {
				if strings.Contains(l, "Ethernet1/30") {
					row = l
				}
			}
			// Ethernet1/30 (not under the cursor) has critical alarms: red.
			red := regexp.MustCompile(`\x1b\[[0-9;]*(31|38;5;1|38;2;[0-9;]+)m`)
			hasColor := regexp.MustCompile(`\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)m`).MatchString(screen)
			switch {
			case row == "":
				t.Fatalf("no Ethernet1/30 row on the screen:\n%q", screen)
			case c.wantColor && !red.MatchString(row):
				t.Errorf("Ethernet1/30's alarms are not red:\n%q", row)
			case !c.wantColor && hasColor:
				t.Errorf("NO_COLOR screen has colours:\n%q", screen)
			case !strings.Contains(screen, "7m"):
				t.Errorf("no reverse video on the cursor line:\n%q", screen)
			}
		})
	}
}

// tmuxSession is `ddm top --emulate --at topAt [FLAG...]` in a detached
// tmux session of its own (its own server socket), 180x30 cells.
type tmuxSession struct {
	t          *testing.T
	tmux, sock string
}

func newTmux(t *testing.T, env string, flags ...string) *tmuxSession {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux not installed: .ci/run installs it")
		}
		t.Skip("tmux not installed (apt-get install tmux)")
	}
	bin := ddmBinary(t)
	s := &tmuxSession{t: t, tmux: tmux, sock: filepath.Join(t.TempDir(), "tmux")}
	// The shell around ddm prints its exit status and keeps the pane.
	s.run("new-session", "-d", "-x", "180", "-y", "30", "-e", env, "-e", "TERM=xterm-256color", "-e", "TZ=UTC",
		"sh -c '"+bin+" top --emulate --at "+topAt+" "+strings.Join(flags, " ")+"; echo ddm exited $?; sleep 60'")
	t.Cleanup(func() { exec.Command(tmux, "-S", s.sock, "kill-server").Run() })
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(s.tmux, append([]string{"-S", s.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// capture is the pane's text, lines without trailing blanks; escapes
// keeps the colour and attribute codes.
func (s *tmuxSession) capture(escapes bool) string {
	args := []string{"capture-pane", "-p"}
	if escapes {
		args = append(args, "-e")
	}
	lines := strings.Split(s.run(args...), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

func topGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateTop {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/ddm -run TestTop -update-top writes it)", err)
	}
	if got+"\n" != string(want) {
		t.Errorf("output differs from %s:\n%s\n---- want:\n%s", path, got, want)
	}
}

// TestTopForecasts: with the agent's forecast history, a lane whose Tx
// power has fallen steadily for ten days gets a forecast crossing of its
// low thresholds, and the table grows its forecast column; a history
// without a crossing shows no column.
func TestTopForecasts(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	module := func(txMW float64) *cmis.Module {
		f := func(v float64) *float64 { return &v }
		m := &cmis.Module{Spec: "CMIS", PartNumber: "PN-FADE", SerialNumber: "SN1", TemperatureC: f(40),
			Thresholds: map[string]cmis.Thresholds{cmis.QTxPower: {HighAlarm: 5, HighWarning: 4, LowWarning: 0.5, LowAlarm: 0.4}}}
		for lane, mw := range []float64{1.2, txMW} {
			m.Lanes = append(m.Lanes, cmis.Lane{Lane: lane + 1, DataPathState: "DPActivated", TxPowerMW: f(mw)})
		}
		return m
	}
	for _, c := range []struct {
		name     string
		perDayMW float64 // lane 2's fall
		want     bool
	}{{"fading", 0.05, true}, {"steady", 0, false}} {
		t.Run(c.name, func(t *testing.T) {
			hist := outlook.New()
			src := &topSource{engine: alarm.NewEngine(mustDefaultRules(t), alarm.Options{}), latest: map[string]*topPort{}, hist: hist}
			src.setPorts([]agent.Port{{Name: "p1"}})
			var now time.Time
			for h := 0; h <= 10*24; h++ {
				now = start.Add(time.Duration(h) * time.Hour)
				// A little noise, as a real monitor has (a noiseless line
				// has no spread to bound its trend with).
				noise := 0.01 * math.Sin(float64(h)*1.7)
				src.Observe(agent.Sample{Port: "p1", Kind: agent.KindFast, Time: now, Module: module(1.2 - c.perDayMW*float64(h)/24 + noise)})
			}
			p := src.ports()[0]
			if !c.want {
				if len(p.Forecasts) != 0 {
					t.Fatalf("forecasts for a steady lane: %+v", p.Forecasts)
				}
				return
			}
			var lane2 *top.Forecast
			for i, f := range p.Forecasts {
				if f.Lane == 2 && f.Quantity == cmis.QTxPower && f.Limit == "low_warning" {
					lane2 = &p.Forecasts[i]
				}
			}
			// 0.7 mW now, falling 0.05 mW a day: 4 days to 0.5 mW.
			if lane2 == nil || lane2.Days < 3 || lane2.Days > 5 {
				t.Fatalf("lane 2's Tx power crosses its low warning in about 4 days; forecasts %+v", p.Forecasts)
			}
			v := &top.View{}
			v.Update([]top.Port{p})
			if screen := v.Render(200, 0, top.Style{}); !strings.Contains(screen, "FORECAST") || !strings.Contains(screen, "L2 tx_power_mw") {
				t.Errorf("the table shows no forecast:\n%s", screen)
			}
		})
	}
}

// TestTopShowsAgentAlarms: the alarms the agent saved as firing in its
// state folder show on top's first table, though the rule's for (1 h) has
// not passed since top started; without that state the table has none.
func TestTopShowsAgentAlarms(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rulesFile, []byte("version: 1\nrules:\n  - name: warm\n    metric: module.temperature_c\n    above: 0\n    for: 1h\n    severity: warning\n"), 0o644)
	rules, err := loadRules(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	// The agent's engine has seen Ethernet1/1 warm for two hours: firing,
	// and saved so.
	pl, err := portset.Platform("default", 400*physic.KiloHertz, nil)
	if err != nil {
		t.Fatal(err)
	}
	var full *modread.Full
	for _, p := range pl.Ports() {
		if p.Name == "Ethernet1/1" {
			pager := i2c.NewPager(pl.Buses()[p.Bus], i2c.PagerOptions{})
			if full, err = modread.New(pager.Module(uint8(p.Address)), modread.Options{}).ReadAll(context.Background(), time.Now); err != nil {
				t.Fatal(err)
			}
		}
	}
	eng := alarm.NewEngine(rules, alarm.Options{})
	now := time.Now()
	eng.Evaluate("Ethernet1/1", now.Add(-2*time.Hour), full.Module, true)
	eng.Evaluate("Ethernet1/1", now, full.Module, true)
	if len(eng.Active()) != 1 {
		t.Fatalf("the agent's engine has %d alarms firing, want 1", len(eng.Active()))
	}
	f, err := os.Create(filepath.Join(dir, pipeline.AlarmStateFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.SaveState(f); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, c := range []struct {
		stateDir string
		want     bool
	}{{dir, true}, {t.TempDir(), false}} {
		code, out, errs := runDDM(t, "", "top", "--emulate", "--rules", rulesFile, "--state-dir", c.stateDir, "--alarmed", "--width", "200", "--wait", "3s")
		if code != exitOK || errs != "" {
			t.Fatalf("exit %d, stderr:\n%s", code, errs)
		}
		if got := strings.Contains(out, "Ethernet1/1 ") && strings.Contains(out, "warning warm"); got != c.want {
			t.Errorf("state %s: the agent's alarm shown %v, want %v:\n%s", c.stateDir, got, c.want, out)
		}
	}
}

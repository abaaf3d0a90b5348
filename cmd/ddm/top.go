package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/vclock"
	"github.com/ddm-agent/ddm/outlook"
	"github.com/ddm-agent/ddm/pipeline"
	"github.com/ddm-agent/ddm/portset"
	"github.com/ddm-agent/ddm/top"
)

// topFlags are `ddm top`'s flags.
type topFlags struct {
	ports       portFlags
	interval    time.Duration
	vdmInterval time.Duration
	rules       string
	sort        string
	filter      string
	alarmed     bool
	plain       bool
	count       int
	width       int
	wait        time.Duration
	at          time.Duration
	stateDir    string
	clock       *vclock.Virtual // with --at
}

// cmdTop is the live view: the agent polls the ports in-process (the
// same scheduler and reader as `ddm run`), the alarm rules are evaluated
// on every sample as the agent's pipeline does, and the top package draws
// the table.
func cmdTop(ctx context.Context, e env, args []string) int {
	fs := newFlags(e, "top")
	var f topFlags
	f.ports.register(fs)
	fs.DurationVar(&f.interval, "interval", 0, "read the monitors and refresh the screen this often (default: the configuration's interval, else 1s)")
	fs.DurationVar(&f.vdmInterval, "vdm-interval", 0, "VDM (pre-FEC BER) cadence (default: the configuration's, else 10s)")
	fs.StringVar(&f.rules, "rules", "", "alarm rules file (default: the configuration's, else the built-in rules)")
	fs.StringVar(&f.sort, "sort", "margin", "sort by "+strings.Join(top.SortNames(), ", "))
	fs.StringVar(&f.filter, "filter", "", "show the ports whose name, part number, flags or alarms contain this")
	fs.BoolVar(&f.alarmed, "alarmed", false, "show only ports with a firing alarm")
	fs.BoolVar(&f.plain, "plain", false, "print the table as text every interval instead of the live screen (the default when stdout is not a terminal, which prints it once)")
	fs.IntVar(&f.count, "count", 0, "with plain output: print the table this many times (default 1 without --plain, else until interrupted)")
	fs.IntVar(&f.width, "width", 0, "with plain output: line width (default $COLUMNS, else 200)")
	fs.DurationVar(&f.wait, "wait", 15*time.Second, "with plain output: wait at most this long for every port's first read (and VDM) before the first table")
	fs.StringVar(&f.stateDir, "state-dir", "", "the agent's state folder, for the forecasts of its history (default: the one ddm run chooses)")
	fs.DurationVar(&f.at, "at", 0, "with --emulate: show the emulated switch this long after its scenarios start, on a stopped clock\n(the alarm rules run through that time first): a screen that does not change, for tests and screenshots")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm top [--config FILE | --emulate [PROFILE|PLATFORM.yaml]] [--interval 1s] [--sort KEY] [--filter TEXT] [--alarmed] [--plain]\n\n"+
			"A live view of the switch: one row per port with the worst lane's margin to its power thresholds (dB, lane\n"+
			"and limit), weakest Rx and Tx power, pre-FEC BER, temperature, set flags, firing alarms and, from the agent's\n"+
			"history, forecasts. Keys: up/down move, enter opens\n"+
			"the port's lanes, esc goes back, s/m/p/t/b sort, r reverses, / filters, a shows alarmed ports only, q quits.\n"+
			"Colours follow NO_COLOR. When stdout is not a terminal, prints the table once.\n\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if err := f.ports.noArguments(fs, args); err != nil {
		errorf(e, "top: %v", err)
		return exitUsage
	}
	sortKey, ok := top.ParseSortKey(f.sort)
	if !ok {
		errorf(e, "top: --sort %q: want one of %s", f.sort, strings.Join(top.SortNames(), ", "))
		return exitUsage
	}
	if f.at != 0 && (f.ports.emulate == "" || f.at < 0) {
		errorf(e, "top: --at %v: give a positive time with --emulate", f.at)
		return exitUsage
	}
	if f.count < 0 || f.interval < 0 || f.vdmInterval < 0 {
		errorf(e, "top: --count, --interval and --vdm-interval cannot be negative")
		return exitUsage
	}
	// A screen redrawn faster than this shows nothing more, and costs the
	// bus and the CPU the agent shares.
	if f.interval > 0 && f.interval < minTopInterval {
		errorf(e, "top: --interval %v: at least %v", f.interval, minTopInterval)
		return exitUsage
	}
	cfg, err := f.config()
	if err != nil {
		errorf(e, "top: %v", err)
		return exitUsage
	}
	rules, err := loadRules(cfg.Rules)
	if err != nil {
		errorf(e, "top: %v", err)
		return exitUsage
	}
	src := &topSource{engine: alarm.NewEngine(rules, alarm.Options{}), latest: map[string]*topPort{}}
	// Under --at the history must be named: the default folder's history
	// is of real time, not of the stopped clock's.
	stateDir := ""
	if f.at == 0 || f.stateDir != "" {
		stateDir = agentStateDir(&f.ports, f.stateDir)
		src.hist = dumpHistory(e, "top", &f.ports, stateDir)
	}
	ag, closePorts, err := f.agent(cfg, src)
	if err != nil {
		errorf(e, "top: %v", err)
		return exitUsage
	}
	defer closePorts()
	if stateDir != "" && f.at == 0 {
		// The agent's alarms: those firing show from the first screen, and
		// the rules' for and clear_for go on from where the agent was.
		path := filepath.Join(stateDir, pipeline.AlarmStateFile)
		if _, err := pipeline.LoadAlarmState(src.engine, path, src.order); err != nil {
			errorf(e, "top: the agent's alarms not shown until they fire here: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	defer func() { cancel(); <-done }()
	if f.at == 0 {
		go func() { ag.Run(ctx); close(done) }()
	} else if err := f.runUntil(ctx, ag, done); err != nil {
		errorf(e, "top: %v", err)
		return exitError
	}

	view := &top.View{Sort: sortKey, Filter: f.filter, AlarmedOnly: f.alarmed, Interval: time.Duration(cfg.Interval).String()}
	out, tty := e.stdout.(*os.File)
	if tty {
		tty = term.IsTerminal(out.Fd())
	}
	if f.plain || !tty {
		return f.printPlain(ctx, e, src, view, time.Duration(cfg.Interval))
	}
	style := top.Style{Color: os.Getenv("NO_COLOR") == "", Attrs: true}
	m := &topModel{view: view, src: src, style: style, every: time.Duration(cfg.Interval)}
	m.view.Update(src.ports())
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(e.stdin), tea.WithOutput(e.stdout))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		errorf(e, "top: %v", err)
		return exitError
	}
	return exitOK
}

// config is the configuration file (if any) with the flags laid over it:
// the ports, the cadences and the rules.
func (f *topFlags) config() (*config.Config, error) {
	c := config.Default("command line")
	if f.ports.config != "" {
		var err error
		if c, err = config.Load(f.ports.config); err != nil {
			return nil, err
		}
	}
	if f.ports.emulate != "" {
		c.Emulate = f.ports.emulate
	}
	if f.interval > 0 {
		c.Interval = config.Duration(f.interval)
	}
	if f.vdmInterval > 0 {
		c.VDMInterval = config.Duration(f.vdmInterval)
	}
	if f.rules != "" {
		c.Rules = f.rules
	}
	if c.Interval == 0 {
		c.Interval = config.Duration(time.Second)
	}
	return c, nil
}

// minTopInterval is the shortest refresh --interval takes.
const minTopInterval = 100 * time.Millisecond

// topStart is when the scenarios of an emulated switch start under --at.
var topStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// agent opens the ports and the agent that reads them for src. With
// --at, the emulated switch and the agent run on a virtual clock, as in
// `ddm rules test`: runUntil moves it to --at and leaves it there.
func (f *topFlags) agent(cfg *config.Config, src *topSource) (*agent.Agent, func(), error) {
	if f.at == 0 {
		ts, err := f.ports.open(cfg)
		if err != nil {
			return nil, nil, err
		}
		src.setPorts(ts.AgentPorts())
		ag, err := newAgent(cfg, ts, src)
		if err != nil {
			ts.Close()
			return nil, nil, err
		}
		return ag, func() { ts.Close() }, nil
	}
	f.clock = vclock.New(topStart)
	// The monitors of a real module refresh about every second (as
	// portset.EmulatorUpdate): finer updates would cost CPU for nothing on screen.
	// The freeze handshake completes at once: on the stopped clock a
	// module's freeze delay would never pass.
	pl, err := portset.Platform(cfg.Emulate, physic.Frequency(f.ports.busKHz)*physic.KiloHertz,
		[]emulator.Option{emulator.WithClock(f.clock), emulator.WithUpdateInterval(time.Second), emulator.WithFreezeDelay(0)})
	if err != nil {
		return nil, nil, err
	}
	ts, err := portset.OnPlatform(pl, i2c.PagerOptions{Wait: vclock.Skip})
	if err != nil {
		return nil, nil, err
	}
	ports := ts.AgentPorts()
	src.setPorts(ports)
	ag, err := agent.New(ports, src, agent.Options{Interval: time.Duration(cfg.Interval), VDMInterval: time.Duration(cfg.VDMInterval), Clock: f.clock})
	return ag, func() {}, err
}

// runUntil starts the agent on the virtual clock and moves the clock to
// --at, an interval at a time (the agent reads and the rules run at each),
// then leaves it there: the screen shows the switch at that instant.
func (f *topFlags) runUntil(ctx context.Context, ag *agent.Agent, done chan struct{}) error {
	// Run itself waits on its workers, not on the clock: a plain goroutine.
	go func() { ag.Run(ctx); close(done) }()
	f.clock.BlockUntil(len(ag.Buses()))
	step := time.Second
	for elapsed := time.Duration(0); elapsed < f.at; elapsed += step {
		if err := ctx.Err(); err != nil {
			return err
		}
		f.clock.Advance(min(step, f.at-elapsed))
	}
	return nil
}

// topSource is the agent's observer: it evaluates the alarm rules on each
// sample and keeps each port's latest reads for the screen.
type topSource struct {
	engine *alarm.Engine

	// hist is the agent's forecast history (nil without one): fed every
	// read, fitted at most every forecastEvery of read time.
	hist *outlook.Tracker

	mu        sync.Mutex
	order     []string
	latest    map[string]*topPort
	newest    time.Time // the latest read
	fitted    time.Time // when hist was last fitted
	forecasts map[string][]top.Forecast
}

// forecastEvery is how often top fits the history again: trends of days
// do not move in a second, and a fit of every series costs CPU.
const forecastEvery = time.Minute

// topPort is one port's latest reads.
type topPort struct {
	state  top.State
	err    string
	module *cmis.Module
	vdm    []cmis.VDMValue
	sawVDM bool
}

func (s *topSource) setPorts(ports []agent.Port) {
	for _, t := range ports {
		s.order = append(s.order, t.Name)
		s.latest[t.Name] = &topPort{}
	}
}

// Observe implements agent.Observer.
func (s *topSource) Observe(smp agent.Sample) {
	if smp.Kind != agent.KindError {
		wall, steady := smp.Time, smp.Steady
		if steady.IsZero() {
			steady = wall
		}
		s.engine.EvaluateAt(smp.Port, wall, steady, smp.Module, smp.Kind != agent.KindAbsent)
	}
	if s.hist != nil && smp.Module != nil && (smp.Kind == agent.KindFast || smp.Kind == agent.KindVDM) {
		s.hist.Observe(smp.Port, smp.Time, smp.Module)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if smp.Time.After(s.newest) {
		s.newest = smp.Time
	}
	p := s.latest[smp.Port]
	if p == nil {
		return
	}
	p.err = ""
	if smp.Err != nil {
		p.err = smp.Err.Error()
	}
	switch smp.Kind {
	case agent.KindAbsent:
		*p = topPort{state: top.Absent}
	case agent.KindError:
		p.state = top.Failed
	case agent.KindVDM:
		p.state, p.module, p.sawVDM = top.Present, smp.Module, true
		// A failed freeze handshake reads no VDM value: the last ones stay
		// on screen, with the error in the port's lanes screen.
		if len(smp.Module.VDM) > 0 || smp.Err == nil {
			p.vdm = smp.Module.VDM
		}
	default:
		p.state, p.module = top.Present, smp.Module
	}
}

// ports is what the screen shows now, in the configured order.
func (s *topSource) ports() []top.Port {
	active := s.engine.Active()
	byPort := map[string][]alarm.Event{}
	for _, a := range active {
		byPort[a.Port] = append(byPort[a.Port], a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hist != nil && !s.newest.IsZero() && (s.forecasts == nil || s.newest.Sub(s.fitted) >= forecastEvery) {
		s.forecasts, s.fitted = crossings(s.hist, s.newest), s.newest
	}
	out := make([]top.Port, len(s.order))
	for i, name := range s.order {
		p := s.latest[name]
		out[i] = top.Port{Name: name, State: p.state, Err: p.err, Module: p.module, VDM: p.vdm, Alarms: byPort[name],
			Forecasts: s.forecasts[name]}
	}
	return out
}

// crossings are the history's forecast threshold crossings as of at, by
// port: the screen's forecast column (shown only when there is one).
func crossings(hist *outlook.Tracker, at time.Time) map[string][]top.Forecast {
	out := map[string][]top.Forecast{}
	for _, f := range hist.Update("", at).All {
		if c := f.Crossing; c != nil {
			out[f.Port] = append(out[f.Port], top.Forecast{Lane: f.Lane, Quantity: f.Quantity, Limit: c.Limit.Name, Days: c.Days})
		}
	}
	return out
}

// ready reports whether every port has been read, and every module that
// has VDM had its VDM read, so a one-shot table is complete.
func (s *topSource) ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.latest {
		if p.state == top.Unread {
			return false
		}
		if p.state == top.Present && !p.sawVDM && p.module != nil && p.module.Advertisement != nil && p.module.Advertisement.VDM {
			return false
		}
	}
	return true
}

// printPlain prints the table as text: once when the first reads are in
// (or --wait has passed), then every interval while --count allows.
func (f *topFlags) printPlain(ctx context.Context, e env, src *topSource, view *top.View, every time.Duration) int {
	count := f.count
	if count == 0 && !f.plain {
		count = 1
	}
	width := f.width
	if width <= 0 {
		width, _ = strconv.Atoi(os.Getenv("COLUMNS"))
	}
	if width <= 0 {
		width = 200
	}
	deadline := time.Now().Add(f.wait)
	for !src.ready() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return exitOK
		case <-time.After(50 * time.Millisecond):
		}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := 0; count == 0 || i < count; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return exitOK
			case <-tick.C:
			}
			fmt.Fprintln(e.stdout)
		}
		view.Update(src.ports())
		if _, err := fmt.Fprintln(e.stdout, view.Render(width, 0, top.Style{})); err != nil {
			errorf(e, "top: %v", err)
			return exitError
		}
	}
	return exitOK
}

// topModel is the live screen: bubbletea calls it with keys, window
// sizes and the refresh tick; the view draws.
type topModel struct {
	view          *top.View
	src           *topSource
	style         top.Style
	every         time.Duration
	width, height int
}

// topTick refreshes the screen and schedules the next; topFirst only
// refreshes (the first reads come in within the first interval).
type (
	topTick  struct{}
	topFirst struct{}
)

func (m *topModel) tick() tea.Cmd {
	return tea.Tick(m.every, func(time.Time) tea.Msg { return topTick{} })
}

func (m *topModel) Init() tea.Cmd {
	return tea.Batch(tea.Tick(200*time.Millisecond, func(time.Time) tea.Msg { return topFirst{} }), m.tick())
}

func (m *topModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		if m.view.Key(msg.String()) {
			return m, tea.Quit
		}
	case topFirst:
		m.view.Update(m.src.ports())
	case topTick:
		m.view.Update(m.src.ports())
		return m, m.tick()
	}
	return m, nil
}

func (m *topModel) View() tea.View {
	w, h := m.width, m.height
	if w == 0 || h == 0 {
		w, h = 80, 24
	}
	v := tea.NewView(m.view.Render(w, h, m.style))
	v.AltScreen = true
	return v
}

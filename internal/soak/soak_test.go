package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/internal/vclock"
	"github.com/ddm-agent/ddm/modread"
	"github.com/ddm-agent/ddm/pipeline"
	"github.com/ddm-agent/ddm/portset"
)

// params are the soak's knobs, from the environment.
type params struct {
	dur           time.Duration
	interval      time.Duration
	vdm           time.Duration
	revalidate    time.Duration
	freezeTimeout time.Duration
	influx        bool
	report        string
	// realTime: the run is on the machine's clock (DDM_SOAK_CLOCK=real),
	// not on virtual time.
	realTime bool
}

func soakParams(t *testing.T) params {
	p := params{dur: time.Minute, interval: 250 * time.Millisecond, report: os.Getenv("DDM_SOAK_REPORT")}
	switch v := os.Getenv("DDM_SOAK_CLOCK"); v {
	case "", "virtual":
	case "real":
		p.realTime, p.dur = true, 20*time.Second
	default:
		t.Fatalf("DDM_SOAK_CLOCK=%q: want virtual (the default) or real", v)
	}
	if v := os.Getenv("DDM_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 5*time.Second {
			t.Fatalf("DDM_SOAK=%q: want a duration of at least 5s (20s, 5m)", v)
		}
		p.dur = d
	}
	if v := os.Getenv("DDM_SOAK_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 50*time.Millisecond {
			t.Fatalf("DDM_SOAK_INTERVAL=%q: want a duration of at least 50ms", v)
		}
		p.interval = d
	}
	// The ratios of the production defaults (1s fast, 10s VDM, a freeze
	// timeout of one fast interval), with VDM and static re-reads more
	// often so that a short run exercises them many times.
	p.vdm = 4 * p.interval
	p.revalidate = 12 * p.interval
	p.freezeTimeout = p.interval
	p.influx = p.realTime && p.dur >= time.Minute
	if v := os.Getenv("DDM_SOAK_INFLUX"); v != "" {
		p.influx = v == "1" || v == "true"
	}
	return p
}

// injected is a fault the soak adds to one port of the default platform.
type injected struct {
	port   string
	faults []emulator.Fault
}

// soakFaults puts two misbehaving modules on each of the eight root buses,
// so every bus worker has healthy ports next to faulty ones. Times are
// relative to the start of the run.
func soakFaults(p params) []injected {
	s := time.Second
	nack := func(rate float64) emulator.Fault { return emulator.Fault{Kind: emulator.FaultNACK, Rate: rate} }
	corrupt := func(rate float64) emulator.Fault { return emulator.Fault{Kind: emulator.FaultCorrupt, Rate: rate} }
	slowFreeze := func(d time.Duration) emulator.Fault {
		return emulator.Fault{Kind: emulator.FaultSlowFreeze, Delay: d}
	}
	window := func(kind emulator.FaultKind, start, dur, every time.Duration) emulator.Fault {
		return emulator.Fault{Kind: kind, Window: emulator.Window{Start: start, Duration: dur, Every: every}}
	}
	return []injected{
		// i2c-1, 1 MHz
		{"Ethernet1/2", []emulator.Fault{nack(0.05)}},
		{"Ethernet1/6", []emulator.Fault{window(emulator.FaultUnplug, 2*s, 12*p.interval, 6*s)}}, // long enough to be taken as removed
		// i2c-2
		{"Ethernet1/10", []emulator.Fault{nack(0.3)}},
		{"Ethernet1/14", []emulator.Fault{corrupt(0.1)}},
		// i2c-3 (the default platform NACKs Ethernet1/20 at 2%)
		{"Ethernet1/18", []emulator.Fault{slowFreeze(4 * p.freezeTimeout)}}, // fails: beyond the freeze timeout
		{"Ethernet1/22", []emulator.Fault{window(emulator.FaultBusy, 3*s, 2*s, 7*s)}},
		// i2c-4
		{"Ethernet1/26", []emulator.Fault{{Kind: emulator.FaultRefusedPages, Pages: []uint8{0x11}}}},
		{"Ethernet1/29", []emulator.Fault{nack(0.1), corrupt(0.05)}},
		// i2c-5 (the default platform refuses pages 21h, 25h, 29h of Ethernet1/38)
		{"Ethernet1/34", []emulator.Fault{slowFreeze(p.freezeTimeout / 2)}}, // slow but in time
		{"Ethernet1/36", []emulator.Fault{corrupt(0.2)}},
		// i2c-6, 400 kHz (the default platform unplugs Ethernet1/47 from 15 s to 35 s)
		{"Ethernet1/42", []emulator.Fault{nack(0.2)}},
		{"Ethernet1/46", []emulator.Fault{window(emulator.FaultBusy, 2*s, 4*s, 9*s)}},
		// i2c-7
		{"Ethernet1/50", []emulator.Fault{window(emulator.FaultUnplug, s, 4*p.interval, 4*s)}}, // a quick swap
		{"Ethernet1/54", []emulator.Fault{slowFreeze(4 * p.freezeTimeout)}},
		// i2c-8, 100 kHz: SFF-8636 and SFF-8472 modules
		{"Ethernet1/56", []emulator.Fault{nack(0.15)}},
		{"Ethernet1/60", []emulator.Fault{corrupt(0.1)}},
	}
}

// tap sits between a bus and a module and counts what the module did: the
// faults as they were injected.
type tap struct {
	m       *emulator.Module
	refused map[uint8]bool

	tx, nacks, reads, freezeReqs, refusedSelects atomic.Int64
}

func (d *tap) Tx(addr uint16, w, r []byte) error {
	err := d.m.Tx(addr, w, r)
	d.tx.Add(1)
	if errors.Is(err, syscall.ENXIO) {
		d.nacks.Add(1)
		return err
	}
	if err != nil {
		return err
	}
	if len(r) > 0 {
		d.reads.Add(1)
	}
	switch {
	case len(w) == 2 && w[0] == cmis.VDMFreezeRequest && w[1]&cmis.VDMFreezeRequestBit != 0:
		d.freezeReqs.Add(1)
	case len(w) == 2 && w[0] == i2c.PageSelect && d.refused[w[1]],
		len(w) == 3 && w[0] == i2c.BankSelect && d.refused[w[2]]:
		d.refusedSelects.Add(1)
	}
	return nil
}

// identity is what a port's module says it is.
type identity struct{ vendor, pn, sn string }

// portRec is what the observer learned about one port. Its size does not
// grow with the run (the leak check would see it).
type portRec struct {
	bus            string
	byKind         [5]int
	good           int // fast, VDM and static samples
	last           time.Time
	maxGap         time.Duration
	longGaps       int // gaps longer than 3 intervals
	events         map[string]int
	io             i2c.Stats
	freezeTimeouts int
	refusedWarn    int // samples warning that a page reads back as page 00h
	checksumWarn   int // samples with a failed page checksum
	vdmValues      int // samples with VDM values
	wrongIdentity  int
	lostIdentity   int // identity left out without a failed checksum
	firstWrong     string
	lastMs         int64 // the last sample's time in ms (the InfluxDB timestamp)
	sameMs         int   // samples in the same millisecond as the one before
}

// stall is the longest time a bus worker went without a sample, and the
// sample that ended it (the read that took the time, or the first after a
// pause of the whole worker).
type stall struct {
	d     time.Duration
	port  string
	kind  agent.Kind
	err   error
	event []string
}

// recorder is the agent's Observer: it hands each sample to the pipeline
// `ddm run` uses (points, alarms, forecasts, to the sink), and keeps
// per-port records.
type recorder struct {
	pipe     *pipeline.Pipeline
	interval time.Duration
	truth    map[string]identity

	mu        sync.Mutex
	ports     map[string]*portRec
	modulePts int64 // xcvr_module points written (one per non-error sample)
	busLast   map[string]time.Time
	stalls    map[string]stall
}

func (r *recorder) Observe(s agent.Sample) {
	r.pipe.Observe(s)

	r.mu.Lock()
	defer r.mu.Unlock()
	pr := r.ports[s.Port]
	// A VDM sample (its own goroutine) writes xcvr_vdm points only, as the
	// daemon does; module points come from fast, static and absent samples.
	if s.Kind != agent.KindError && s.Kind != agent.KindVDM {
		r.modulePts++
		// Points are timestamped to the millisecond: two samples of a
		// port in one millisecond are one point in InfluxDB.
		if ms := s.Time.UnixMilli(); ms == pr.lastMs {
			pr.sameMs++
		} else {
			pr.lastMs = ms
		}
	}
	if last, ok := r.busLast[s.Bus]; ok {
		if d := s.Time.Sub(last); d > r.stalls[s.Bus].d {
			var evs []string
			for _, ev := range s.Events {
				evs = append(evs, ev.Type)
			}
			r.stalls[s.Bus] = stall{d: d, port: s.Port, kind: s.Kind, err: s.Err, event: evs}
		}
	}
	r.busLast[s.Bus] = s.Time
	pr.byKind[s.Kind]++
	pr.io = pr.io.Add(s.IO)
	for _, ev := range s.Events {
		pr.events[ev.Type]++
	}
	if errors.Is(s.Err, modread.ErrFreezeTimeout) {
		pr.freezeTimeouts++
	}
	switch s.Kind {
	case agent.KindFast, agent.KindVDM, agent.KindStatic:
		pr.good++
		if !pr.last.IsZero() {
			gap := s.Time.Sub(pr.last)
			pr.maxGap = max(pr.maxGap, gap)
			if gap > 3*r.interval {
				pr.longGaps++
			}
		}
		pr.last = s.Time
	}
	m := s.Module
	if m == nil {
		return
	}
	if len(m.VDM) > 0 {
		pr.vdmValues++
	}
	badSum := false
	for _, c := range m.Checksums {
		badSum = badSum || !c.OK
	}
	if badSum {
		pr.checksumWarn++
	}
	for _, w := range m.Warnings {
		if strings.Contains(w, "reads back identical to page 00h") {
			pr.refusedWarn++
			break
		}
	}
	// Corrupted bytes may cost the identity (with a checksum warning),
	// never change it.
	want := r.truth[s.Port]
	got := identity{strings.TrimSpace(m.Vendor), strings.TrimSpace(m.PartNumber), strings.TrimSpace(m.SerialNumber)}
	switch {
	case got.vendor != "" && got.vendor != want.vendor, got.pn != "" && got.pn != want.pn, got.sn != "" && got.sn != want.sn:
		pr.wrongIdentity++
		if pr.firstWrong == "" {
			pr.firstWrong = fmt.Sprintf("%+v (true %+v; identifier %02Xh, warnings %q)", got, want, m.IdentifierCode, m.Warnings)
		}
	case (got.pn == "" || got.sn == "") && !badSum:
		pr.lostIdentity++
		if pr.firstWrong == "" {
			pr.firstWrong = fmt.Sprintf("identity %+v lost without a checksum warning (warnings %q)", got, m.Warnings)
		}
	}
}

// resources is one reading of the process's resources.
type resources struct {
	at         time.Duration
	goroutines int
	heap       uint64 // live heap after a GC
	fds        int
}

func readResources(start time.Time) resources {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds := -1
	if des, err := os.ReadDir("/proc/self/fd"); err == nil {
		fds = len(des)
	}
	return resources{at: time.Since(start), goroutines: runtime.NumGoroutine(), heap: ms.HeapAlloc, fds: fds}
}

// thirds returns the peak goroutines and fds and the median heap of the
// first and the last third of the readings.
func thirds(rs []resources) (first, last resources) {
	n := len(rs) / 3
	agg := func(part []resources) resources {
		var out resources
		heaps := make([]uint64, 0, len(part))
		for _, r := range part {
			out.goroutines = max(out.goroutines, r.goroutines)
			out.fds = max(out.fds, r.fds)
			heaps = append(heaps, r.heap)
		}
		slices.Sort(heaps)
		out.heap = heaps[len(heaps)/2]
		return out
	}
	return agg(rs[:n]), agg(rs[len(rs)-n:])
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// TestSoak runs the agent over the default 64-port platform with faults on
// 19 ports (16 added here, 3 of the platform's own) for DDM_SOAK.
func TestSoak(t *testing.T) {
	p := soakParams(t)
	// The modules and the agent on one clock: virtual (stepped below, the
	// same schedule on every run) or the machine's.
	start := time.Now().Round(time.Millisecond)
	var clk vclock.Clock = vclock.NewReal()
	virt := vclock.New(start)
	pagerWait := i2c.PagerOptions{}
	if !p.realTime {
		// NACK retries hold the bus: they take no virtual time.
		clk, pagerWait = virt, i2c.PagerOptions{Wait: vclock.Skip}
	}
	// The options of `ddm run --emulate`: modules inserted an hour ago,
	// their monitors updated as often as ddm's.
	emuOpts := portset.EmulatorOptions(clk, start)
	pl := emulator.DefaultPlatform(emuOpts...)
	buses := pl.Buses()
	faults := soakFaults(p)

	// The faulty modules replace the platform's in their cages: same
	// profile, same address, the faults on top. Every module is reached
	// through a tap.
	faultsOf := map[string][]emulator.Fault{}
	for _, in := range faults {
		faultsOf[in.port] = in.faults
	}
	for _, sc := range pl.Scenarios() {
		switch k := emulator.FaultKind(sc.Kind); k {
		case emulator.FaultNACK, emulator.FaultBusy, emulator.FaultUnplug, emulator.FaultRefusedPages, emulator.FaultCorrupt, emulator.FaultSlowFreeze:
			faultsOf[sc.Port] = append(faultsOf[sc.Port], emulator.Fault{Kind: k, Window: emulator.Window{Start: sc.Start, Duration: sc.Duration, Every: sc.Every},
				Rate: sc.Rate, Pages: sc.Pages, Delay: sc.Delay})
		}
	}
	taps := map[string]*tap{}
	truth := map[string]identity{}
	for i, ps := range pl.Ports() {
		m := pl.Module(ps.Name)
		if m == nil {
			continue
		}
		if in := slices.IndexFunc(faults, func(in injected) bool { return in.port == ps.Name }); in >= 0 {
			if ps.LaserSource != "" {
				t.Fatalf("%s feeds from a laser source: pick another port", ps.Name)
			}
			var err error
			m, err = emulator.NewModule(ps.Profile, append(slices.Clone(emuOpts),
				emulator.WithAddress(ps.Address), emulator.WithSeed(uint64(1000+i)), emulator.WithFaults(faults[in].faults...))...)
			if err != nil {
				t.Fatal(err)
			}
		}
		tp := &tap{m: m, refused: map[uint8]bool{}}
		for _, f := range faultsOf[ps.Name] {
			for _, pg := range f.Pages {
				if f.Kind == emulator.FaultRefusedPages {
					tp.refused[pg] = true
				}
			}
		}
		for _, a := range m.Addresses() {
			buses[ps.Bus].Attach(a, tp)
		}
		// The emulator logs the last host writes of each module: fill the
		// log now, so the fixture's own memory is flat during the run.
		for k := 0; k < 20000; k++ {
			if n, _ := m.WriteCounts(); n >= emulator.WriteLogSize {
				break
			}
			_ = m.Tx(m.Addresses()[0], []byte{i2c.PageSelect, 0}, nil)
		}
		taps[ps.Name] = tp
		mod, err := identityOf(m)
		if err != nil {
			t.Fatalf("%s: %v", ps.Name, err)
		}
		truth[ps.Name] = identity{strings.TrimSpace(mod.Vendor), strings.TrimSpace(mod.PartNumber), strings.TrimSpace(mod.SerialNumber)}
	}

	// The sink: line protocol to io.Discard, or InfluxDB for the long form.
	var sink exporter.Sink
	var srv *influxtest.Server
	var influxW *exporter.InfluxWriter
	if p.influx {
		srv = influxtest.Start(t)
		w, err := exporter.NewInfluxWriter(exporter.InfluxConfig{URL: srv.URL(), Bucket: srv.Bucket(), SpoolDir: t.TempDir() + "/spool"})
		if err != nil {
			t.Fatal(err)
		}
		sink, influxW = w, w
	} else {
		sink = exporter.NewLineProtocolWriter(io.Discard)
	}
	// The ports, opened as `ddm run --emulate` opens them (portset: one
	// pager per channel bus, the root adapter as the agent's bus), and the
	// pipeline `ddm run` hands samples to (the built-in rules, no state
	// folder).
	set, err := portset.OnPlatform(pl, pagerWait)
	if err != nil {
		t.Fatal(err)
	}
	ports := set.AgentPorts()
	rules, err := alarm.Parse("<built-in rules>", alarm.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	pipe := pipeline.New(pipeline.Options{Host: "soak", Rules: rules, Sink: sink, Ports: set.Names(), Interval: p.interval, Topology: set.Topology()})
	rec := &recorder{pipe: pipe, interval: p.interval, truth: truth, ports: map[string]*portRec{},
		busLast: map[string]time.Time{}, stalls: map[string]stall{}}
	for _, sp := range set.Ports {
		rec.ports[sp.Name] = &portRec{bus: sp.Bus, events: map[string]int{}}
	}
	ag, err := agent.New(ports, rec, agent.Options{Interval: p.interval, VDMInterval: p.vdm, Revalidate: p.revalidate, FreezeTimeout: p.freezeTimeout,
		Clock: clk})
	if err != nil {
		t.Fatal(err)
	}

	// Run, reading the process's resources about 30 times.
	var res []resources
	runStart := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ag.Run(ctx); close(done) }()
	if !p.realTime {
		virt.BlockUntil(len(ag.Buses()))
	}
	every := max(p.dur/30, 500*time.Millisecond)
	for ran := time.Duration(0); ran < p.dur; ran += every {
		d := min(every, p.dur-ran)
		if p.realTime {
			time.Sleep(time.Until(runStart.Add(ran + d)))
		} else {
			virt.Advance(d)
		}
		res = append(res, readResources(runStart))
	}
	cancel()
	<-done
	elapsed, realElapsed := p.dur, time.Since(runStart)
	if p.realTime {
		elapsed = realElapsed
	}
	if influxW != nil {
		cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
		if err := influxW.Close(cctx); err != nil {
			t.Errorf("InfluxDB writer close: %v", err)
		}
		ccancel()
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()

	// --- Figures -------------------------------------------------------
	var out strings.Builder
	logf := func(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }
	sinkName := "line protocol to io.Discard"
	if p.influx {
		sinkName = "InfluxDB 1.8 (internal/influxtest)"
	}
	expected := int(elapsed / p.interval)
	clockName := "virtual time"
	if p.realTime {
		clockName = "the machine's clock"
	}
	logf("soak %v on %s (ran %v): interval %v, VDM %v, static re-read %v, freeze timeout %v; %d ports on %d bus workers; sink %s",
		p.dur, clockName, realElapsed.Round(time.Millisecond), p.interval, p.vdm, p.revalidate, p.freezeTimeout, len(ports), len(ag.Buses()), sinkName)
	var kinds [5]int
	total := 0
	for _, pr := range rec.ports {
		for k, n := range pr.byKind {
			kinds[k] += n
			total += n
		}
	}
	logf("cycles: %d per port (elapsed / interval); samples: %d (fast %d, vdm %d, static %d, absent %d, error %d)",
		expected, total, kinds[agent.KindFast], kinds[agent.KindVDM], kinds[agent.KindStatic], kinds[agent.KindAbsent], kinds[agent.KindError])

	// Faults injected, by kind, as the taps counted them.
	type kindSum struct {
		ports                                        []string
		tx, nacks, reads, freezeReqs, refusedSelects int64
	}
	byFault := map[emulator.FaultKind]*kindSum{}
	for port, fs := range faultsOf {
		tp := taps[port]
		for _, f := range fs {
			ks := byFault[f.Kind]
			if ks == nil {
				ks = &kindSum{}
				byFault[f.Kind] = ks
			}
			ks.ports = append(ks.ports, port)
			ks.tx += tp.tx.Load()
			ks.nacks += tp.nacks.Load()
			ks.reads += tp.reads.Load()
			ks.freezeReqs += tp.freezeReqs.Load()
			ks.refusedSelects += tp.refusedSelects.Load()
		}
	}
	var kindNames []string
	for k := range byFault {
		kindNames = append(kindNames, string(k))
	}
	sort.Strings(kindNames)
	logf("faults injected (%d ports):", len(faultsOf))
	for _, k := range kindNames {
		ks := byFault[emulator.FaultKind(k)]
		sort.Strings(ks.ports)
		var what string
		switch emulator.FaultKind(k) {
		case emulator.FaultNACK, emulator.FaultBusy, emulator.FaultUnplug:
			what = fmt.Sprintf("%d of %d transactions NACKed", ks.nacks, ks.tx)
		case emulator.FaultCorrupt:
			what = fmt.Sprintf("%d reads exposed to bit flips", ks.reads)
		case emulator.FaultRefusedPages:
			what = fmt.Sprintf("%d selects of a refused page", ks.refusedSelects)
		case emulator.FaultSlowFreeze:
			what = fmt.Sprintf("%d freeze requests", ks.freezeReqs)
		}
		logf("  %-14s %-60s %s", k, strings.Join(ks.ports, " "), what)
	}

	var seen struct{ errors, readFailed, absent, removed, inserted, refused, freezeTO, checksum, wrong, lost int }
	for _, pr := range rec.ports {
		seen.errors += pr.byKind[agent.KindError]
		seen.readFailed += pr.events["read_failed"]
		seen.absent += pr.byKind[agent.KindAbsent]
		seen.removed += pr.events["removed"]
		seen.inserted += pr.events["inserted"]
		seen.refused += pr.refusedWarn
		seen.freezeTO += pr.freezeTimeouts
		seen.checksum += pr.checksumWarn
		seen.wrong += pr.wrongIdentity
		seen.lost += pr.lostIdentity
	}
	logf("faults seen: %d error samples (%d read_failed events), %d absent samples (%d removed, %d inserted events), %d samples with refused-page warnings, %d freeze timeouts, %d samples with checksum warnings; %d wrong identities, %d identities lost without a checksum warning",
		seen.errors, seen.readFailed, seen.absent, seen.removed, seen.inserted, seen.refused, seen.freezeTO, seen.checksum, seen.wrong, seen.lost)
	var names []string
	for n := range faultsOf {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pr := rec.ports[n]
		logf("  %-13s %-6s good %4d  absent %4d  error %3d  nacks %5d retries %5d errors %4d  events %v  freeze timeouts %d  refused warnings %d  checksum warnings %d  VDM samples %d",
			n, pr.bus, pr.good, pr.byKind[agent.KindAbsent], pr.byKind[agent.KindError], pr.io.NACKs, pr.io.Retries, pr.io.Errors,
			pr.events, pr.freezeTimeouts, pr.refusedWarn, pr.checksumWarn, pr.vdmValues)
	}

	// Cadence of the healthy ports.
	var healthy []string
	for _, ps := range pl.Ports() {
		if _, faulty := faultsOf[ps.Name]; !faulty {
			healthy = append(healthy, ps.Name)
		}
	}
	minPct, missed, longGaps := 1000.0, 0, 0
	var worstGap time.Duration
	worst := ""
	for _, n := range healthy {
		pr := rec.ports[n]
		pct := 100 * float64(pr.good) / float64(expected)
		if pct < minPct {
			minPct, worst = pct, n
		}
		missed += max(0, expected-pr.good)
		longGaps += pr.longGaps
		worstGap = max(worstGap, pr.maxGap)
		if pr.good < expected*90/100 {
			t.Errorf("%s: %d good samples, want at least 90%% of %d", n, pr.good, expected)
		}
		if pr.maxGap > 3*p.interval {
			t.Errorf("%s: a gap of %v between reads (interval %v)", n, pr.maxGap, p.interval)
		}
	}
	logf("cadence: %d healthy ports: fewest good samples %.1f%% of %d (%s), %d missed cadences in all, %d gaps > 3 intervals, longest gap %v (limit %v)",
		len(healthy), minPct, expected, worst, missed, longGaps, worstGap.Round(time.Millisecond), 3*p.interval)

	// Per-bus I/O counters.
	type busIO struct {
		io          i2c.Stats
		nacky, hard bool // a NACK/busy/unplug port; one that must fail transactions
	}
	perBus := map[string]*busIO{}
	for n, pr := range rec.ports {
		b := perBus[pr.bus]
		if b == nil {
			b = &busIO{}
			perBus[pr.bus] = b
		}
		b.io = b.io.Add(pr.io)
		for _, f := range faultsOf[n] {
			switch f.Kind {
			case emulator.FaultBusy, emulator.FaultUnplug:
				b.nacky, b.hard = true, b.hard || f.Start < p.dur
			case emulator.FaultNACK:
				b.nacky = true
				b.hard = b.hard || f.Rate >= 0.2
			}
		}
	}
	var busNames []string
	for b := range perBus {
		busNames = append(busNames, b)
	}
	sort.Strings(busNames)
	for _, b := range busNames {
		st := perBus[b]
		sl := rec.stalls[b]
		logf("  bus %-6s transactions %7d  nacks %5d  retries %5d  errors %4d  page selects %6d  longest wait for a sample %v (ended by %s %v %v err %v)",
			b, st.io.Transactions, st.io.NACKs, st.io.Retries, st.io.Errors, st.io.PageSelects, sl.d.Round(time.Millisecond), sl.port, sl.kind, sl.event, sl.err)
		if st.nacky && (st.io.NACKs == 0 || st.io.Retries == 0) {
			t.Errorf("bus %s has NACKing modules but its samples count %d NACKs, %d retries", b, st.io.NACKs, st.io.Retries)
		}
		if st.hard && st.io.Errors == 0 {
			t.Errorf("bus %s has modules that fail every try but its samples count no errors", b)
		}
	}

	sameMs := 0
	for n, pr := range rec.ports {
		sameMs += pr.sameMs
		if pr.sameMs > 0 {
			t.Errorf("%s: %d samples in the same millisecond as the sample before: InfluxDB keeps one point of each pair", n, pr.sameMs)
		}
	}
	logf("timestamps: %d samples in the same millisecond as the port's previous one", sameMs)

	// Resources.
	rs := res
	if len(rs) < 6 {
		t.Fatalf("%d resource readings", len(rs))
	}
	first, last := thirds(rs)
	logf("resources (%d readings; first third peak/median vs last third): goroutines %d -> %d, heap %s -> %s, fds %d -> %d; at start %d goroutines, %s, %d fds; at end %d goroutines, %s, %d fds",
		len(rs), first.goroutines, last.goroutines, mib(first.heap), mib(last.heap), first.fds, last.fds,
		rs[0].goroutines, mib(rs[0].heap), rs[0].fds, rs[len(rs)-1].goroutines, mib(rs[len(rs)-1].heap), rs[len(rs)-1].fds)

	// The sink.
	if st, ok := sink.(interface{ Stats() exporter.Stats }); ok {
		s := st.Stats()
		logf("sink: %d points written, %d sent, %d dropped, %d rejected, %d invalid, %d requests, %d retries", s.Written, s.Sent, s.Dropped, s.Rejected, s.Invalid, s.Requests, s.Retries)
		if s.Dropped != 0 || s.Rejected != 0 || s.Invalid != 0 || s.Sent != s.Written {
			t.Errorf("sink: %+v: every point should have been sent", s)
		}
	}
	if srv != nil {
		n := srv.Count(t, "present", "xcvr_module", "")
		logf("InfluxDB: %d xcvr_module points, %d written (%d of them in the same millisecond as the one before)", n, rec.modulePts, sameMs)
		// The writer delivers every point; samples in the same
		// millisecond (reported above) are one point in InfluxDB.
		if n != rec.modulePts-int64(sameMs) {
			t.Errorf("InfluxDB holds %d xcvr_module points, the soak wrote %d (%d sharing a millisecond)", n, rec.modulePts, sameMs)
		}
	}

	report := out.String()
	t.Log("\n" + report)
	if p.report != "" {
		if err := os.WriteFile(p.report, []byte(report), 0o644); err != nil {
			t.Errorf("DDM_SOAK_REPORT: %v", err)
		}
	}

	// --- Checks ---------------------------------------------------------
	for _, n := range names {
		pr := rec.ports[n]
		for _, f := range faultsOf[n] {
			if f.Start >= elapsed {
				continue // scheduled after the run ended
			}
			switch f.Kind {
			case emulator.FaultNACK:
				if pr.io.NACKs == 0 || pr.io.Retries == 0 {
					t.Errorf("%s NACKs at %.0f%%: its samples count %d NACKs, %d retries", n, 100*f.Rate, pr.io.NACKs, pr.io.Retries)
				}
			case emulator.FaultUnplug:
				// A module that stops answering is taken as removed after
				// AbsentAfter (3) failed reads, the retries backing off 2
				// then 4 intervals: an absence shorter than about 7
				// intervals shows as failed reads and a state change
				// (re-inserted modules start from power-up).
				long := f.Duration == 0 || f.Duration >= 8*p.interval
				switch {
				case long && (pr.byKind[agent.KindAbsent] == 0 || pr.events["removed"] == 0):
					t.Errorf("%s was unplugged for %v: %d absent samples, %d removed events", n, f.Duration, pr.byKind[agent.KindAbsent], pr.events["removed"])
				case long && f.Every > 0 && f.Start+f.Duration < elapsed-8*p.interval && pr.events["inserted"] < 2:
					t.Errorf("%s was plugged back: %d inserted events", n, pr.events["inserted"])
				case !long && pr.byKind[agent.KindError]+pr.byKind[agent.KindAbsent] == 0:
					t.Errorf("%s was unplugged for %v: no failed read reported", n, f.Duration)
				}
			case emulator.FaultBusy:
				if pr.byKind[agent.KindError] == 0 || pr.events["read_failed"] == 0 {
					t.Errorf("%s stuck busy: %d error samples, %d read_failed events", n, pr.byKind[agent.KindError], pr.events["read_failed"])
				}
			case emulator.FaultRefusedPages:
				if taps[n].refusedSelects.Load() > 0 && pr.refusedWarn == 0 {
					t.Errorf("%s refused %d page selects and no sample warns of it", n, taps[n].refusedSelects.Load())
				}
			case emulator.FaultSlowFreeze:
				if f.Delay > p.freezeTimeout && pr.freezeTimeouts == 0 {
					t.Errorf("%s freezes in %v (timeout %v) and no sample reports a freeze timeout", n, f.Delay, p.freezeTimeout)
				}
				if f.Delay < p.freezeTimeout && (pr.freezeTimeouts > 0 || pr.vdmValues == 0) {
					t.Errorf("%s freezes in %v (timeout %v): %d freeze timeouts, %d VDM samples", n, f.Delay, p.freezeTimeout, pr.freezeTimeouts, pr.vdmValues)
				}
			}
		}
	}
	if seen.checksum == 0 {
		t.Error("no sample of the corrupting modules carries a checksum warning")
	}
	for n, pr := range rec.ports {
		if pr.wrongIdentity > 0 || pr.lostIdentity > 0 {
			t.Errorf("%s: %d samples with a wrong identity, %d lost without a warning; first: %s", n, pr.wrongIdentity, pr.lostIdentity, pr.firstWrong)
		}
	}
	// No growth between the first and the last third. The tolerances: two
	// goroutines (a GC worker or timer goroutine may be running at a
	// reading) or six with InfluxDB (the HTTP client's connection
	// goroutines come and go); a quarter of the first third's heap plus
	// 2 MiB (the heap after a GC still holds the sink's buffers and the
	// samples in flight, which vary with the moment of the reading); two
	// file descriptors (four with InfluxDB: a connection being replaced).
	gTol, fdTol := 2, 2
	if p.influx {
		gTol, fdTol = 6, 4
	}
	// Each port may have one VDM read in flight (its own goroutine, while
	// the module confirms the freeze): bounded by the ports with VDM.
	for _, pr := range rec.ports {
		if pr.vdmValues > 0 {
			gTol++
		}
	}
	if last.goroutines > first.goroutines+gTol {
		t.Errorf("goroutines grew from %d to %d", first.goroutines, last.goroutines)
	}
	if last.heap > first.heap+first.heap/4+2<<20 {
		t.Errorf("heap grew from %s to %s", mib(first.heap), mib(last.heap))
	}
	if last.fds > first.fds+fdTol {
		t.Errorf("file descriptors grew from %d to %d", first.fds, last.fds)
	}
}

// identityOf decodes a module's memory for the soak's truth table, before
// the run: on virtual time the modules' clock has not moved, so no
// scripted unplug window is open yet (the first opens a second into the
// run); on the machine's clock setup on a loaded machine can reach one,
// and the fixture waits it out, as the agent does.
func identityOf(m *emulator.Module) (*cmis.Module, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		mod, err := cmis.Decode(m.Snapshot())
		if err == nil || time.Now().After(deadline) {
			return mod, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

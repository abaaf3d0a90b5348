package agent

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/internal/plural"
	"github.com/ddm-agent/ddm/modread"
)

// portState is what the agent keeps per port between reads.
type portState struct {
	port    Port
	present bool
	// reader reads the module: it keeps the static pages (identity,
	// advertisement, thresholds, VDM descriptors) and their Layout, and
	// reuses the fast read's snapshot. Forgetting them (reader.Forget)
	// makes the next read a static read. Each fast read is decoded into
	// module, reused from cycle to cycle.
	reader   *modread.Reader
	staticAt time.Time
	module   cmis.Module
	// last module state and firmware, to notice changes that call for a
	// static re-read.
	lastState  uint8
	lastFW     string
	pendingFW  string // a new firmware version seen once, to confirm
	lastSerial string
	// good holds, per checksummed page, the last copy read whose checksums
	// passed: a static read that fails a checksum keeps it (a bit flipped on
	// the wire must not blank the identity for a revalidation period).
	// Dropped when the cage may hold another module (removal, failed reads).
	good map[cmis.PageID][]byte
	// firstRead: the module was just found (at start or insertion) and has
	// not been read whole yet; see maskFirstRead.
	firstRead bool
	nextFast  time.Time // next read of any kind
	flags     *FlagHistory
	// scan is the port's flag-scan state (scan.go), intr its interrupt
	// pin's (interrupt.go).
	scan   scanState
	intr   interruptState
	health Health
	// vdm is shared with the port's VDM goroutine.
	vdm struct {
		mu   sync.Mutex
		busy bool      // a VDM read is in flight
		next time.Time // when the next may start
		// read and module belong to the VDM read in flight (reused by the
		// next one): the worker touches them only to start one.
		read   *cmis.Snapshot
		module cmis.Module
	}
	vdmInterval time.Duration
	agent       *Agent
}

// read does what is due for the port now (on the steady clock: it keeps
// the cadences) and returns the sample.
func (ps *portState) read(ctx context.Context, o Options, now time.Time) Sample {
	var s Sample
	if !ps.present {
		if err := ps.reader.Probe(ctx); err != nil {
			return ps.failed(ctx, err, o)
		}
		ps.present, ps.firstRead = true, true
		ps.intr.armed = false
		ps.reader.Forget()
		ps.flags = ps.newFlagHistory(o)
		ps.forget()
		s.Events = append(s.Events, Event{Time: o.Clock.Now(), Type: "inserted", Text: "module inserted"})
	}
	kind := KindFast
	// After failed reads the cage may hold another module (pulled and
	// replaced faster than AbsentAfter reads): read the static pages again,
	// and noticeChanges reports a different serial as a replacement.
	if ps.health.ConsecutiveFailures > 0 {
		ps.reader.Forget()
		ps.good = nil
	}
	if ps.reader.Static() == nil || now.Sub(ps.staticAt) >= o.Revalidate {
		ev, err := ps.readStatic(ctx, o, now)
		s.Events = append(s.Events, ev...)
		if err != nil {
			r := ps.failed(ctx, err, o)
			r.Events = append(s.Events, r.Events...)
			return r
		}
		kind = KindStatic
	}
	// The fast read goes into the reader's snapshot, reused, decoded over
	// the static pages (without copying them) into ps.module.
	read, err := ps.reader.ReadFast(ctx, &ps.module)
	if !modread.Decoded(err) {
		r := ps.failed(ctx, err, o)
		r.Events = append(s.Events, r.Events...)
		return r
	}
	s.Err = err // a refused page: the rest decoded
	first := ps.firstRead
	if layout := ps.reader.Layout(); len(layout.Plan(cmis.VDM)) > 0 && ps.vdmDue(now) {
		ps.startVDM(o, layout, read, now, first)
	}
	t := o.Clock.Now()
	// The observer may keep the sample's Module; ps.module is refilled next
	// cycle, so the sample gets a copy (a handful of allocations, against
	// some 150 for a full decode).
	m := ps.module.Clone()
	if first {
		maskFirstRead(m)
		ps.firstRead = false
	}
	s.Kind, s.Time, s.Module, s.IOTotal = kind, t, m, ps.port.Mem.Stats()
	s.Events = append(s.Events, ps.noticeChanges(m, t)...)
	ps.noteFlags(ps.flags.add(m, t, ps.scan.events), t, false)
	ps.checkAnnounced(t)
	s.Events = append(s.Events, ps.takeInterruptEvents()...)
	// The sample's flags are those latched since the last sample: what
	// the flag scans read (and so cleared) in between as well.
	ps.scan.mergeInto(m)
	ps.scan.hold = false
	s.Flags = ps.flags.clone()
	if ps.health.ConsecutiveFailures > 0 {
		s.Events = append(s.Events, Event{Time: t, Type: "recovered",
			Text: "read again after " + plural.Count(ps.health.ConsecutiveFailures, "failure", "failures")})
	}
	ps.health.LastGood, ps.health.ConsecutiveFailures = t, 0
	return s
}

func (ps *portState) forget() {
	if ps.port.Forget != nil {
		ps.port.Forget()
	}
}

// readStatic reads the static pages and records what changed; at is the
// steady time of the read, which the next revalidation counts from.
func (ps *portState) readStatic(ctx context.Context, o Options, at time.Time) ([]Event, error) {
	prev := ps.reader.Static() // nil after Forget: nothing to compare
	s, err := ps.reader.ReadStatic(ctx)
	if !modread.Decoded(err) {
		return nil, err
	}
	var ev []Event
	now := o.Clock.Now()
	staticAt := at
	layout := ps.reader.Layout()
	// Lower memory was read whole, latched flags included, and that read
	// cleared them: account for them now or they are lost.
	layout.DecodeInto(&ps.module, nil)
	if ps.firstRead {
		maskFirstRead(&ps.module)
	}
	ps.noteFlags(ps.flags.add(&ps.module, now, ps.scan.events), now, false)
	if kept := ps.keepGoodPages(s, layout.Static()); len(kept) > 0 {
		// The pages put back change the static decode: made again.
		if err := ps.reader.SetStatic(s); err != nil {
			return nil, err
		}
		// Read the static pages again soon, not a revalidation later.
		retry := min(max(10*o.Interval, 10*time.Second), o.Revalidate)
		staticAt = at.Add(retry - o.Revalidate)
		ev = append(ev, Event{Time: now, Type: "checksum_failed",
			Text: fmt.Sprintf("%s failed its checksum on a static read; the last good copy is kept, read again in %v", strings.Join(kept, ", "), retry)})
	}
	if prev != nil && !sameStatic(prev, s) {
		ev = append(ev, Event{Time: now, Type: "static_changed", Text: "identity, advertisement or thresholds changed since the last read"})
	}
	ps.staticAt = staticAt
	return ev, nil
}

// keepGoodPages puts back the last good copy of each page of s whose
// checksum failed (m is s decoded), and remembers the pages whose checksums
// passed. It returns the names of the pages put back.
func (ps *portState) keepGoodPages(s *cmis.Snapshot, m *cmis.Module) []string {
	failed := map[string]bool{}
	for _, c := range m.Checksums {
		if !c.OK {
			failed[c.Page] = true
		}
	}
	if ps.good == nil {
		ps.good = map[cmis.PageID][]byte{}
	}
	var kept []string
	for _, id := range s.Pages() {
		name := id.String()
		switch {
		case failed[name]:
			if g, ok := ps.good[id]; ok && s.SetPage(id, g) == nil {
				kept = append(kept, name)
			}
		case hasChecksum(m, name):
			if b, ok := s.Page(id); ok {
				ps.good[id] = append([]byte(nil), b...)
			}
		}
	}
	return kept
}

func hasChecksum(m *cmis.Module, page string) bool {
	for _, c := range m.Checksums {
		if c.Page == page {
			return true
		}
	}
	return false
}

// sameStatic compares the static pages other than lower memory (whose
// monitors change every read).
func sameStatic(a, b *cmis.Snapshot) bool {
	for _, id := range b.Pages() {
		if id.Lower {
			continue
		}
		pa, _ := a.Page(id)
		pb, _ := b.Page(id)
		if string(pa) != string(pb) {
			return false
		}
	}
	return true
}

// vdmDue reports whether a VDM read should start now: due, and none in
// flight for this port.
func (ps *portState) vdmDue(now time.Time) bool {
	ps.vdm.mu.Lock()
	defer ps.vdm.mu.Unlock()
	if ps.vdm.busy || now.Before(ps.vdm.next) {
		return false
	}
	ps.vdm.busy, ps.vdm.next = true, now.Add(ps.vdmInterval)
	return true
}

// startVDM reads the VDM ranges inside a freeze on its own goroutine, so
// the bus worker goes on reading the other ports while the module confirms
// the freeze (most of a VDM read's time is waiting for FreezeDone and
// UnfreezeDone, with the bus idle). The transactions still go through the
// pager one at a time. The result is a KindVDM sample of its own, which
// also carries the fast values of fast, the read of the cycle that started
// it (first: the module's first read).
func (ps *portState) startVDM(o Options, layout *cmis.Layout, fast *cmis.Snapshot, start time.Time, first bool) {
	if ps.vdm.read == nil {
		ps.vdm.read = cmis.NewSnapshot()
	}
	read := ps.vdm.read
	read.CopyFrom(fast)
	ps.agent.wg.Add(1)
	o.Clock.Go(func() {
		defer ps.agent.wg.Done()
		ctx, cancel := o.Clock.WithTimeout(ps.agent.runCtx, o.ReadTimeout+2*o.FreezeTimeout)
		defer cancel()
		s := Sample{Port: ps.port.Name, Bus: ps.port.Bus, Kind: KindVDM}
		// Decoded before the read is released: the next VDM read reuses
		// read and ps.vdm.module.
		err := ps.reader.ReadVDM(ctx, layout, read, &ps.vdm.module)
		handshake := modread.IsHandshake(err)
		// Absent, busy or a bus error: the fast cadence reports it.
		gone := !modread.Decoded(err)
		if !gone {
			s.Err, s.Time = err, o.Clock.Now()
			s.Module, s.IOTotal = ps.vdm.module.Clone(), ps.port.Mem.Stats()
			s.Steady = ps.agent.clock.steady()
			if first {
				// The lane flags in this read are those of the first read.
				maskFirstRead(s.Module)
			}
		}
		ps.vdm.mu.Lock()
		if handshake {
			// Pause this module's VDM and say so, rather than asking again
			// every interval.
			pause := max(10*o.VDMInterval, time.Minute)
			ps.vdm.next = start.Add(pause)
			s.Events = append(s.Events, Event{Time: o.Clock.Now(), Type: "vdm_paused",
				Text: fmt.Sprintf("VDM freeze handshake failed (%v); VDM paused for %v", err, pause)})
		}
		ps.vdm.busy = false
		ps.vdm.mu.Unlock()
		if !gone && ps.agent.obs != nil && ps.agent.runCtx.Err() == nil {
			ps.agent.obs.Observe(s)
		}
	})
}

// Latched flags that report a change of state rather than a condition.
const (
	laneChangeFlags   = cmis.DataPathStateChanged | cmis.RxOutputStatusChanged
	moduleChangeFlags = cmis.ModuleStateChanged
)

// maskFirstRead clears the change flags of the first read of a module (at
// start or insertion). A latched change flag says the state changed since
// the previous read; on the first read there was none, and what the module
// latched is its own power-up (or whatever happened before ddm watched):
// every lane of every module would report data_path_state_changed at each
// start of ddm. The state itself is in the sample; the fault and threshold
// flags are kept (a loss of signal latched before the read is news).
func maskFirstRead(m *cmis.Module) {
	m.Flags &^= moduleChangeFlags
	for i := range m.Lanes {
		m.Lanes[i].Flags &^= laneChangeFlags
	}
}

// noticeChanges compares module identity, state and firmware with the last
// read. A state or firmware change calls for a static re-read on the next
// cycle; a new serial number is another module in the cage.
func (ps *portState) noticeChanges(m *cmis.Module, t time.Time) []Event {
	var ev []Event
	if ps.lastSerial != "" && m.SerialNumber != "" && m.SerialNumber != ps.lastSerial {
		ev = append(ev, Event{Time: t, Type: "replaced", Text: fmt.Sprintf("module %s replaced by %s %s", ps.lastSerial, m.PartNumber, m.SerialNumber)})
		ps.flags = ps.newFlagHistory(ps.agent.opts)
	}
	if m.SerialNumber != "" {
		ps.lastSerial = m.SerialNumber
	}
	if ps.lastState != 0 && m.ModuleStateCode != ps.lastState {
		ev = append(ev, Event{Time: t, Type: "state_changed", Text: fmt.Sprintf("module state %s", m.ModuleState)})
		ps.reader.Forget()
	}
	// A firmware version counts as changed when two reads in a row agree on
	// the new one: a bit flipped on the wire must not trigger a static
	// re-read and an event.
	switch {
	case ps.lastFW == "" || m.FirmwareVer == ps.lastFW:
		ps.lastFW, ps.pendingFW = m.FirmwareVer, ""
	case m.FirmwareVer != ps.pendingFW:
		ps.pendingFW = m.FirmwareVer
	default:
		ev = append(ev, Event{Time: t, Type: "firmware_changed", Text: fmt.Sprintf("firmware %s -> %s", ps.lastFW, m.FirmwareVer)})
		ps.reader.Forget()
		ps.lastFW, ps.pendingFW = m.FirmwareVer, ""
	}
	ps.lastState = m.ModuleStateCode
	return ev
}

// failed turns a read error into a sample: absent (with a removal event if
// the module was there) or an error with backoff.
func (ps *portState) failed(ctx context.Context, err error, o Options) Sample {
	now := o.Clock.Now()
	// A module that NACKs every try for AbsentAfter reads in a row is gone.
	if ps.present {
		err = modread.Absence(err, ps.health.ConsecutiveFailures+1, o.AbsentAfter)
	}
	if IsAbsent(err) {
		s := Sample{Kind: KindAbsent, Time: now, Err: err}
		if ps.present {
			s.Events = append(s.Events, Event{Time: now, Type: "removed", Text: "module removed"})
		}
		ps.present, ps.lastState, ps.lastFW, ps.lastSerial, ps.good = false, 0, "", "", nil
		ps.reader.Forget()
		ps.health.ConsecutiveFailures = 0
		ps.forget()
		return s
	}
	ps.health.ConsecutiveFailures++
	s := Sample{Kind: KindError, Time: now, Err: err}
	if ps.health.ConsecutiveFailures == 1 && ctx.Err() == nil {
		s.Events = append(s.Events, Event{Time: now, Type: "read_failed", Text: err.Error()})
	}
	return s
}

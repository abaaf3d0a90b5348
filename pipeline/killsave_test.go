package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/schema"
)

// idleAgent is what Run reads from an agent that has nothing to report.
type idleAgent struct{}

func (idleAgent) ClockSteps() agent.ClockSteps           { return agent.ClockSteps{} }
func (idleAgent) Started() bool                          { return true }
func (idleAgent) Progress() map[string]agent.BusProgress { return nil }

// TestAlarmTransitionSavedSoon: an alarm transition is in the saved alarm
// state within a few seconds, so a process killed (SIGKILL, power cut)
// soon after it does not fire the alarm again when it restarts: a second
// firing point in InfluxDB for one state change, and a second flight. Before,
// the state was saved once a minute (SaveEvery) and at a clean stop only:
// a kill up to a minute after the transition repeated it.
func TestAlarmTransitionSavedSoon(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now()
	los := &cmis.Module{Spec: "CMIS", Identifier: "OSFP", Lanes: []cmis.Lane{{Lane: 1, TxPowerMW: ptrF(1), Flags: cmis.RxLOS}}}
	sample := func(at time.Time) agent.Sample {
		return agent.Sample{Port: "Ethernet1", Bus: "b", Kind: agent.KindFast, Time: at, Module: los}
	}

	first := New(Options{Host: "h", Rules: builtinRules(t), Sink: &memSink{}, StateDir: dir, Interval: 100 * time.Millisecond, Ports: []string{"Ethernet1"}})
	first.Start()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		first.Run(ctx, idleAgent{})
	}()
	first.Observe(sample(t0))
	if len(first.Active()) == 0 {
		t.Fatal("no alarm for a loss of signal")
	}
	// Poll for the save (the pipeline's ticker is real time).
	path := filepath.Join(dir, AlarmStateFile)
	deadline := time.Now().Add(TransitionSaveDelay + 3*time.Second)
	for {
		if _, err := os.Stat(path); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The kill: Run ends without the Save of a clean stop.
	cancel()
	wg.Wait()

	sink := &memSink{}
	second := New(Options{Host: "h", Rules: builtinRules(t), Sink: sink, StateDir: dir, Ports: []string{"Ethernet1"}})
	second.Start()
	second.Observe(sample(t0.Add(time.Second)))
	for _, p := range sink.of(schema.XcvrAlarm) {
		if f, ok := p.Field(schema.Transition); ok && f.B {
			t.Errorf("the restarted pipeline wrote the alarm's transition again: %v", p)
		}
	}
}

package modread

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
)

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newModule puts an emulated module of profile, powered up an hour ago,
// alone on a bus, and returns the emulator's module and its memory.
func newModule(t *testing.T, profile string) (*emulator.Module, i2c.Memory) {
	t.Helper()
	clk := emulator.NewManualClock(start)
	m, err := emulator.NewModule(profile, emulator.WithClock(clk), emulator.WithInsertion(start.Add(-time.Hour)), emulator.WithFreezeDelay(0))
	if err != nil {
		t.Fatal(err)
	}
	bus := emulator.NewBus("b", 400*physic.KiloHertz, clk)
	m.AttachTo(bus)
	return m, i2c.NewPager(bus, i2c.PagerOptions{}).Module(0x50)
}

func asJSON(t *testing.T, m *cmis.Module) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadPathsAgree: on every emulator profile, the agent's way (static
// once, then a fast read and a VDM read decoded into reused Modules) gives
// the module that ReadAll (one snapshot, full decode: `ddm dump`) gives.
func TestReadPathsAgree(t *testing.T) {
	ctx := context.Background()
	for _, p := range emulator.Profiles() {
		t.Run(p, func(t *testing.T) {
			_, mem := newModule(t, p)
			// The first read clears the flags the module latched at power-up
			// (clear on read): both paths below read the module as it is
			// then, on a clock that does not move.
			if _, err := New(mem, Options{}).ReadAll(ctx, time.Now); err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			r := New(mem, Options{})
			if err := r.Probe(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := r.ReadStatic(ctx); !Decoded(err) {
				t.Fatal(err)
			}
			var fast, vdm cmis.Module
			for range 2 { // the second round refills the Modules' memory
				read, err := r.ReadFast(ctx, &fast)
				if err != nil {
					t.Fatal(err)
				}
				v := read.Clone()
				if err := r.ReadVDM(ctx, r.Layout(), v, &vdm); err != nil {
					t.Fatal(err)
				}
			}
			full, err := New(mem, Options{}).ReadAll(ctx, func() time.Time { return start })
			if err != nil || full == nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if !full.Snapshot.Time.Equal(start) || full.IO.Transactions == 0 {
				t.Errorf("ReadAll: time %v, %d transactions", full.Snapshot.Time, full.IO.Transactions)
			}
			want := asJSON(t, full.Module)
			if got := asJSON(t, &vdm); got != want {
				t.Errorf("fast+VDM read differs from ReadAll:\n%s\n%s", got, want)
			}
			if len(r.Layout().Plan(cmis.VDM)) == 0 {
				if got := asJSON(t, &fast); got != want {
					t.Errorf("fast read differs from ReadAll:\n%s\n%s", got, want)
				}
			}
		})
	}
}

// cancelOnFreeze cancels a context once the module confirms the freeze,
// as a shutdown would in the middle of a VDM read.
type cancelOnFreeze struct {
	i2c.Memory
	cancel context.CancelFunc
}

func (c *cancelOnFreeze) Read(ctx context.Context, addr, bank, page uint8, off int, p []byte) error {
	err := c.Memory.Read(ctx, addr, bank, page, off, p)
	if err == nil && page == 0x2F && off == 145 && len(p) > 0 && p[0]&0x80 != 0 {
		c.cancel()
	}
	return err
}

// TestReadVDMReleasesOnCancel: a VDM read whose context ends while the
// module is frozen still releases the freeze (a module left frozen stops
// its statistics for every reader).
func TestReadVDMReleasesOnCancel(t *testing.T) {
	_, mem := newModule(t, "osfp-800g-dr8")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := New(&cancelOnFreeze{Memory: mem, cancel: cancel}, Options{})
	if _, err := r.ReadStatic(ctx); err != nil {
		t.Fatal(err)
	}
	var m cmis.Module
	err := r.ReadVDM(ctx, r.Layout(), cmis.NewSnapshot(), &m)
	if !errors.Is(err, context.Canceled) || Decoded(err) {
		t.Fatalf("ReadVDM after cancel: %v (decoded %v), want context.Canceled and no decode", err, Decoded(err))
	}
	b := make([]byte, 1)
	if err := mem.Read(context.Background(), cmis.AddrA0, 0, 0x2F, 144, b); err != nil {
		t.Fatal(err)
	}
	if b[0]&0x80 != 0 {
		t.Errorf("2Fh:144 = %#02x: the freeze request was left set", b[0])
	}
}

// writeCounter counts writes by offset.
type writeCounter struct {
	i2c.Memory
	writes map[int]int
}

func (w *writeCounter) Write(ctx context.Context, addr, bank, page uint8, off int, p []byte) error {
	w.writes[off]++
	return w.Memory.Write(ctx, addr, bank, page, off, p)
}

// TestNoFreeze: a transport that cannot write reads the VDM samples
// without the handshake, and never writes the freeze bit.
func TestNoFreeze(t *testing.T) {
	_, mem := newModule(t, "osfp-800g-dr8")
	wc := &writeCounter{Memory: mem, writes: map[int]int{}}
	full, err := New(wc, Options{NoFreeze: true}).ReadAll(context.Background(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if wc.writes[144] != 0 {
		t.Errorf("%d writes of the freeze byte with NoFreeze", wc.writes[144])
	}
	if len(full.Module.VDM) == 0 {
		t.Error("no VDM values read without the freeze")
	}
	wc.writes = map[int]int{}
	if _, err := New(wc, Options{}).ReadAll(context.Background(), time.Now); err != nil {
		t.Fatal(err)
	}
	if wc.writes[144] != 2 {
		t.Errorf("%d writes of the freeze byte with the handshake, want 2 (freeze, release)", wc.writes[144])
	}
}

// TestErrors: an empty cage, a read before the static pages, and how each
// error is classified.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	clk := emulator.NewManualClock(start)
	empty := i2c.NewPager(emulator.NewBus("empty", 400*physic.KiloHertz, clk), i2c.PagerOptions{Wait: func(context.Context, time.Duration) error { return nil }}).Module(0x50)
	r := New(empty, Options{})
	if err := r.Probe(ctx); !errors.Is(err, i2c.ErrAbsent) && !errors.Is(err, i2c.ErrBusy) {
		t.Errorf("probe of an empty cage: %v", err)
	}
	if full, err := r.ReadAll(ctx, time.Now); full != nil || Decoded(err) {
		t.Errorf("ReadAll of an empty cage: %v, %v", full, err)
	}
	if read, err := r.ReadFast(ctx, nil); read != nil || err == nil {
		t.Errorf("ReadFast before ReadStatic: %v, %v", read, err)
	}
	tests := []struct {
		name               string
		err                error
		partial, handshake bool
	}{
		{"nil", nil, false, false},
		{"refused page", &FetchError{Module: "m", Refused: []cmis.Range{{Page: cmis.PageID{Page: 0x20}}}, Err: errors.New("NACK")}, true, false},
		{"freeze timeout", ErrFreezeTimeout, false, true},
		{"write refused", i2c.ErrWriteRefused, false, true},
		{"absent", i2c.ErrAbsent, false, false},
		{"busy", i2c.ErrBusy, false, false},
		{"deadline", context.DeadlineExceeded, false, false},
	}
	for _, tc := range tests {
		if got := IsPartial(tc.err); got != tc.partial {
			t.Errorf("%s: IsPartial %v", tc.name, got)
		}
		if got := IsHandshake(tc.err); got != tc.handshake {
			t.Errorf("%s: IsHandshake %v", tc.name, got)
		}
		if got, want := Decoded(tc.err), tc.err == nil || tc.partial || tc.handshake; got != want {
			t.Errorf("%s: Decoded %v", tc.name, got)
		}
	}
}

// TestAbsence: a module that NACKs every try (busy) is taken as removed on
// its DefaultAbsentAfter-th read in a row, an unanswered address at once,
// and any other error never.
func TestAbsence(t *testing.T) {
	busy := fmt.Errorf("%w: NACK after 4 tries", i2c.ErrBusy)
	tests := []struct {
		name   string
		err    error
		inARow int
		absent bool
	}{
		{"busy, first read", busy, 1, false},
		{"busy, second read", busy, 2, false},
		{"busy, third read", busy, 3, true},
		{"busy, tenth read", busy, 10, true},
		{"absent", i2c.ErrAbsent, 1, true},
		{"bus error", i2c.ErrBus, 5, false},
		{"refused page", &FetchError{Module: "m", Refused: []cmis.Range{{}}, Err: busy}, 1, false},
	}
	for _, tc := range tests {
		err := Absence(tc.err, tc.inARow, DefaultAbsentAfter)
		if got := errors.Is(err, i2c.ErrAbsent); got != tc.absent {
			t.Errorf("%s: %v: absent %v, want %v", tc.name, err, got, tc.absent)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: %v does not wrap %v", tc.name, err, tc.err)
		}
	}
}

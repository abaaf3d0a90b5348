package emulator

import (
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// echo is a device that acknowledges everything and reads back zeros.
type echo struct{}

func (echo) Tx(uint16, []byte, []byte) error { return nil }

func TestBusTimeOneByteWrite128ByteRead(t *testing.T) {
	b := NewBus("i2c-0", 400*physic.KiloHertz, nil)
	b.Attach(0x50, echo{})
	// Worked by hand: start (1) + address 0x50 W + ACK (9) + offset byte +
	// ACK (9) + repeated start (1) + address 0x50 R + ACK (9) + 128 data
	// bytes with ACK/NACK (128 x 9 = 1152) + stop (1) = 1182 bit times.
	// At 400 kHz a bit is 2.5 µs: 1182 x 2.5 µs = 2.955 ms.
	const want = 2955 * time.Microsecond
	if err := b.Tx(0x50, []byte{0}, make([]byte, 128)); err != nil {
		t.Fatal(err)
	}
	if got := b.BusTime(); got != want {
		t.Fatalf("BusTime = %v, want %v", got, want)
	}
}

func TestBusTime(t *testing.T) {
	tests := []struct {
		name  string
		speed physic.Frequency
		addr  uint16
		w, r  int
		want  time.Duration
	}{
		// start + addr + 2 bytes + stop = 1+9+18+1 = 29 bits.
		{"page select at 400 kHz", 400 * physic.KiloHertz, 0x50, 2, 0, 29 * 2500 * time.Nanosecond},
		// bank+page select: 1+9+27+1 = 38 bits at 1 µs.
		{"bank and page select at 1 MHz", physic.MegaHertz, 0x50, 3, 0, 38 * time.Microsecond},
		// current-address read of 1 byte: 1+9+9+1 = 20 bits at 10 µs.
		{"1-byte read at 100 kHz", 100 * physic.KiloHertz, 0x50, 0, 1, 200 * time.Microsecond},
		// NACK: start, address, stop = 11 bits.
		{"address NACK at 400 kHz", 400 * physic.KiloHertz, 0x51, 1, 128, 11 * 2500 * time.Nanosecond},
		{"empty transaction", 400 * physic.KiloHertz, 0x50, 0, 0, 0},
		{"10-bit address out of range", 400 * physic.KiloHertz, 0x400, 1, 1, 0},
		{"message too long", 400 * physic.KiloHertz, 0x50, 0, 8193, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBus("i2c-0", tc.speed, nil)
			b.Attach(0x50, echo{})
			_ = b.Tx(tc.addr, make([]byte, tc.w), make([]byte, tc.r))
			if got := b.BusTime(); got != tc.want {
				t.Errorf("BusTime = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBusErrors(t *testing.T) {
	b := NewBus("i2c-3", 0, nil)
	if b.Speed() != DefaultSpeed {
		t.Errorf("default speed %v, want %v", b.Speed(), DefaultSpeed)
	}
	err := b.Tx(0x50, []byte{0}, make([]byte, 1))
	if !errors.Is(err, syscall.ENXIO) {
		t.Errorf("Tx to an empty address: %v, want ENXIO", err)
	}
	var te *TxError
	if !errors.As(err, &te) || te.Bus != "i2c-3" || te.Addr != 0x50 {
		t.Errorf("error %#v does not name the bus and address", err)
	}
	if err := b.Tx(0x400, []byte{0}, nil); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("address 0x400: %v, want EINVAL", err)
	}
	b.Attach(0x50, echo{})
	if err := b.Tx(0x50, []byte{0}, make([]byte, 1)); err != nil {
		t.Errorf("attached: %v", err)
	}
	b.Detach(0x50)
	if err := b.Tx(0x50, []byte{0}, nil); !errors.Is(err, syscall.ENXIO) {
		t.Errorf("detached: %v, want ENXIO", err)
	}
	if err := b.SetSpeed(0); err == nil {
		t.Error("SetSpeed(0) accepted")
	}
	if err := b.SetSpeed(physic.MegaHertz); err != nil || b.Speed() != physic.MegaHertz {
		t.Errorf("SetSpeed(1 MHz): %v, speed %v", err, b.Speed())
	}
	var _ i2c.Bus = b
}

func TestMuxChannels(t *testing.T) {
	root := NewBus("i2c-1", 400*physic.KiloHertz, nil)
	chans, err := root.AddMux(0x70, "i2c-10", "i2c-11")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chans {
		c.Attach(0x50, echo{})
	}
	bit := 2500 * time.Nanosecond
	read1 := 20 * bit     // 1-byte current-address read
	selectMux := 20 * bit // control register write
	steps := []struct {
		bus        *Bus
		wantOwn    time.Duration
		wantTotal  time.Duration
		wantSelect byte
	}{
		{chans[0], selectMux + read1, selectMux + read1, 0x01},         // first use selects channel 0
		{chans[0], selectMux + 2*read1, selectMux + 2*read1, 0x01},     // already selected
		{chans[1], selectMux + read1, 2*selectMux + 3*read1, 0x02},     // switch to channel 1
		{chans[0], 2*selectMux + 3*read1, 3*selectMux + 4*read1, 0x01}, // and back
	}
	for i, s := range steps {
		if err := s.bus.Tx(0x50, nil, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		if got := s.bus.BusTime(); got != s.wantOwn {
			t.Errorf("step %d: %s BusTime %v, want %v", i, s.bus, got, s.wantOwn)
		}
		// Each step below also reads the mux register on the root: 20 bits.
		if got, want := root.BusTime(), s.wantTotal+time.Duration(i)*read1; got != want {
			t.Errorf("step %d: root BusTime %v, want %v", i, got, want)
		}
		reg := make([]byte, 1)
		if err := root.Tx(0x70, nil, reg); err != nil || reg[0] != s.wantSelect {
			t.Errorf("step %d: mux register %02x (%v), want %02x", i, reg[0], err, s.wantSelect)
		}
	}
	if _, err := root.AddMux(0x70, "x"); err == nil {
		t.Error("second mux at 0x70 accepted")
	}
	if _, err := root.AddMux(0x71, make([]string, 9)...); err == nil {
		t.Error("9-channel mux accepted")
	}
}

func TestPacing(t *testing.T) {
	b := NewBus("i2c-0", 100*physic.KiloHertz, nil)
	b.Attach(0x50, echo{})
	var slept []time.Duration
	b.SetPacing(func(d time.Duration) { slept = append(slept, d) })
	_ = b.Tx(0x50, []byte{127, 1}, nil)
	b.SetPacing(nil)
	_ = b.Tx(0x50, []byte{127, 1}, nil)
	if len(slept) != 1 || slept[0] != 290*time.Microsecond {
		t.Errorf("pacing slept %v, want [290µs]", slept)
	}
}

// TestConcurrentTx runs transactions from many goroutines on the channels
// of two roots and on the modules of a platform (go test -race).
func TestConcurrentTx(t *testing.T) {
	clk := NewManualClock(t0)
	p := DefaultPlatform(WithClock(clk))
	buses := p.Buses()
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			ports := p.Ports()
			for i := 0; i < 200; i++ {
				ps := ports[(g*7+i)%len(ports)]
				b := buses[ps.Bus]
				buf := make([]byte, 16)
				_ = b.Tx(ps.Address, []byte{127, byte(i % 3)}, nil)
				_ = b.Tx(ps.Address, []byte{128}, buf)
				_ = b.Tx(ps.Address, []byte{3}, buf)
				if i%50 == 0 {
					clk.Advance(100 * time.Millisecond)
					p.Module(ps.Name).SetLoad(float64(i%3) / 2)
					_ = p.Module(ps.Name).Writes()
				}
				_ = b.BusTime()
			}
		}(g)
	}
	wg.Wait()
	// The wire time of every channel adds up to its root's.
	sum := map[string]time.Duration{}
	for _, b := range buses {
		if b.parent != nil {
			sum[b.parent.String()] += b.BusTime()
		}
	}
	for name, s := range sum {
		if got := buses[name].BusTime(); got != s {
			t.Errorf("%s: BusTime %v, channels sum to %v", name, got, s)
		}
	}
}

package emulator

import (
	"errors"
	"fmt"
	mbits "math/bits"
	"sync"
	"syscall"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// Device is something that answers on an emulated bus: a module, or the
// mux that switches a bus's channels. Tx is one I²C transaction addressed to
// addr: w is written, then (with a repeated start) r is read. A device that
// does not acknowledge its address returns an error wrapping syscall.ENXIO,
// as the kernel reports an address NACK.
type Device interface {
	Tx(addr uint16, w, r []byte) error
}

// maxMsg is the longest message the kernel's i2c-dev accepts (8192 bytes).
const maxMsg = 8192

// DefaultSpeed is the bus speed NewBus uses when given none.
const DefaultSpeed = 100 * physic.KiloHertz

// Bus is an emulated I²C bus: a root adapter, or one channel of a mux on
// another Bus (as the kernel exposes a PCA954x channel: a bus of its own
// whose transactions share the parent's wires). It implements periph's
// i2c.Bus and is safe for concurrent use: transactions on a root bus and all
// of its channels are serialised, as on real wires.
type Bus struct {
	name string
	clk  Clock
	w    *wire

	// For a mux channel: the bus the mux sits on, the mux and the channel.
	parent *Bus
	mux    *pca9548
	ch     int

	// Guarded by w.mu.
	devices map[uint16]Device
	own     time.Duration // wire time of this bus's own transactions
	rem     uint64        // remainder of the last time division, in 1e-15 s·µHz
}

// wire is what a root adapter and its mux channels share: the lock that
// serialises them, the clock speed and the total wire time.
type wire struct {
	mu    sync.Mutex
	speed physic.Frequency
	pace  func(time.Duration)
	total time.Duration
}

var _ i2c.Bus = (*Bus)(nil)

// NewBus returns an empty root bus. speed is the SCL frequency (100 kHz,
// 400 kHz, 1 MHz); zero or less means DefaultSpeed. clk is the clock of
// the devices on the bus (Clock returns it; nil means RealClock); the bus's
// own time is virtual wire time (BusTime), not clock time.
func NewBus(name string, speed physic.Frequency, clk Clock) *Bus {
	if speed <= 0 {
		speed = DefaultSpeed
	}
	if clk == nil {
		clk = RealClock{}
	}
	return &Bus{name: name, clk: clk, w: &wire{speed: speed}, devices: map[uint16]Device{}}
}

// Clock returns the clock the bus was made with.
func (b *Bus) Clock() Clock { return b.clk }

// String returns the bus name.
func (b *Bus) String() string { return b.name }

// Speed returns the bus clock frequency.
func (b *Bus) Speed() physic.Frequency {
	b.w.mu.Lock()
	defer b.w.mu.Unlock()
	return b.w.speed
}

// SetSpeed changes the SCL frequency. On a mux channel it changes the speed
// of the parent's wires, and so of every channel, as it does on Linux.
func (b *Bus) SetSpeed(f physic.Frequency) error {
	if f <= 0 || f > 5*physic.MegaHertz {
		return fmt.Errorf("%s: speed %s out of range (0, 5 MHz]", b.name, f)
	}
	b.w.mu.Lock()
	b.w.speed = f
	b.w.mu.Unlock()
	return nil
}

// SetPacing makes every transaction take real time: sleep is called with
// the transaction's wire time while the bus is held (time.Sleep for a
// real-time demo). nil, the default, turns pacing off. It applies to the
// root bus and all of its channels.
func (b *Bus) SetPacing(sleep func(time.Duration)) {
	b.w.mu.Lock()
	b.w.pace = sleep
	b.w.mu.Unlock()
}

// Attach puts d at address addr, replacing what was there. A device that
// answers at two addresses (an SFF-8472 module at 0x50 and 0x51) is
// attached at both. A nil d detaches.
func (b *Bus) Attach(addr uint16, d Device) {
	b.w.mu.Lock()
	defer b.w.mu.Unlock()
	if d == nil {
		delete(b.devices, addr)
		return
	}
	b.devices[addr] = d
}

// Detach removes whatever answers at addr: the cage is empty.
func (b *Bus) Detach(addr uint16) { b.Attach(addr, nil) }

// BusTime returns the wire time spent so far. On a root bus it is the time
// of every transaction on the wires, its channels' included; on a mux
// channel it is the time of that channel's own transactions, including the
// mux writes that selected the channel for them.
func (b *Bus) BusTime() time.Duration {
	b.w.mu.Lock()
	defer b.w.mu.Unlock()
	if b.parent == nil {
		return b.w.total
	}
	return b.own
}

// TxError is the error of a failed transaction. It wraps the errno the
// Linux i2c-dev driver would return (syscall.ENXIO for an address NACK).
type TxError struct {
	Bus  string
	Addr uint16
	Err  error
}

func (e *TxError) Error() string { return fmt.Sprintf("%s: Tx at %#02x: %v", e.Bus, e.Addr, e.Err) }

// Unwrap returns the errno.
func (e *TxError) Unwrap() error { return e.Err }

// Tx does one transaction: write w, then read len(r) bytes, at addr. With
// nothing at addr, or a device that does not acknowledge, it returns a
// *TxError wrapping syscall.ENXIO. Addresses of 0x400 and above, and
// messages longer than 8192 bytes, are rejected with EINVAL before
// anything goes on the wire, as i2c-dev does. An empty transaction does
// nothing.
func (b *Bus) Tx(addr uint16, w, r []byte) error {
	if addr >= 0x400 || len(w) > maxMsg || len(r) > maxMsg {
		return &TxError{Bus: b.name, Addr: addr, Err: syscall.EINVAL}
	}
	if len(w) == 0 && len(r) == 0 {
		return nil
	}
	b.w.mu.Lock()
	defer b.w.mu.Unlock()
	nbits := b.selectPath()
	d := b.devices[addr]
	var err error
	if d == nil {
		err = syscall.ENXIO
	} else {
		err = d.Tx(addr, w, r)
	}
	if errors.Is(err, syscall.ENXIO) {
		nbits += nackBits
	} else {
		nbits += txBits(len(w), len(r))
	}
	dur := b.account(nbits)
	if b.w.pace != nil {
		b.w.pace(dur)
	}
	if err != nil {
		return &TxError{Bus: b.name, Addr: addr, Err: err}
	}
	return nil
}

// Bits on the wire. Every message starts with a start bit and the address
// byte plus its acknowledge (9 bits); every data byte is 9 bits with its
// acknowledge; a combined write-then-read has a repeated start and a second
// address byte; a stop bit ends it.
const (
	startBits = 1
	byteBits  = 9
	stopBits  = 1
	// nackBits: start, address byte not acknowledged, stop.
	nackBits = startBits + byteBits + stopBits
	// muxSelectBits: a PCA954x control register write (start, address,
	// one data byte, stop).
	muxSelectBits = startBits + 2*byteBits + stopBits
)

// txBits is the number of bit times of a transaction writing nw bytes and
// then reading nr bytes.
func txBits(nw, nr int) uint64 {
	n := uint64(0)
	if nw > 0 {
		n += startBits + byteBits + byteBits*uint64(nw)
	}
	if nr > 0 {
		n += startBits + byteBits + byteBits*uint64(nr) // a repeated start if nw > 0
	}
	return n + stopBits
}

// account adds nbits bit times at the current speed to this bus and to the
// wire's total, carrying the remainder of the division so that the sum
// stays exact. The caller holds w.mu.
func (b *Bus) account(nbits uint64) time.Duration {
	// ns = bits · 1e9 / Hz = bits · 1e15 / µHz (physic.Frequency is in µHz).
	f := uint64(b.w.speed)
	hi, lo := mbits.Mul64(nbits, 1e15)
	lo, carry := mbits.Add64(lo, b.rem, 0)
	hi += carry
	if hi >= f { // more than 2^64 ns: cannot happen with 8 KiB messages
		b.rem = 0
		return 0
	}
	q, rem := mbits.Div64(hi, lo, f)
	b.rem = rem
	d := time.Duration(q)
	b.own += d
	b.w.total += d
	return d
}

// selectPath makes sure every mux between the root and this bus has this
// bus's channel selected, and returns the bit times of the control writes
// that took. The caller holds w.mu.
func (b *Bus) selectPath() uint64 {
	if b.parent == nil {
		return 0
	}
	n := b.parent.selectPath()
	if want := uint8(1) << b.ch; b.mux.selected != want {
		b.mux.selected = want
		n += muxSelectBits
	}
	return n
}

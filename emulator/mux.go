package emulator

import (
	"fmt"
	"syscall"
)

// MaxMuxChannels is the channel count of a PCA9548 (the largest PCA954x).
const MaxMuxChannels = 8

// pca9548 is an 8-channel I²C mux: one control register, bit i enabling
// channel i. Its state is guarded by the wire lock of the bus it sits on.
type pca9548 struct {
	addr     uint16
	selected uint8
}

// Tx writes or reads the control register, as the kernel's pca954x driver
// does (one byte).
func (m *pca9548) Tx(addr uint16, w, r []byte) error {
	if addr != m.addr {
		return syscall.ENXIO
	}
	if len(w) > 0 {
		m.selected = w[len(w)-1]
	}
	for i := range r {
		r[i] = m.selected
	}
	return nil
}

// AddMux puts a PCA9548 at address addr on b and returns one bus per name,
// channel 0 first, as the kernel exposes mux channels: each its own bus,
// sharing b's wires, speed and lock. A transaction on a channel first
// writes the mux's control register if another channel is selected, which
// costs wire time like any transaction. Muxes may be nested.
func (b *Bus) AddMux(addr uint16, names ...string) ([]*Bus, error) {
	if len(names) == 0 || len(names) > MaxMuxChannels {
		return nil, fmt.Errorf("%s: a mux has 1 to %d channels, not %d", b.name, MaxMuxChannels, len(names))
	}
	if addr >= 0x80 {
		return nil, fmt.Errorf("%s: mux address %#02x is not a 7-bit address", b.name, addr)
	}
	b.w.mu.Lock()
	defer b.w.mu.Unlock()
	if _, taken := b.devices[addr]; taken {
		return nil, fmt.Errorf("%s: address %#02x is already in use", b.name, addr)
	}
	m := &pca9548{addr: addr}
	b.devices[addr] = m
	chans := make([]*Bus, len(names))
	for i, n := range names {
		chans[i] = &Bus{name: n, clk: b.clk, w: b.w, parent: b, mux: m, ch: i, devices: map[uint16]Device{}}
	}
	return chans, nil
}

// Root returns the adapter whose wires b uses: b itself, or for a mux
// channel the bus the mux (or mux chain) sits on. Ports under one root share
// one wire, so the agent polls them with one worker.
func (b *Bus) Root() *Bus {
	for b.parent != nil {
		b = b.parent
	}
	return b
}

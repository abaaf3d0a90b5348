//go:build linux

package i2c

import (
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// SMBus transfer encoding (include/uapi/linux/i2c.h).
const (
	smbusRead  = 1 // I2C_SMBUS_READ
	smbusWrite = 0 // I2C_SMBUS_WRITE

	smbusByte         = 1 // I2C_SMBUS_BYTE: send/receive one byte (command is the byte sent)
	smbusByteData     = 2 // I2C_SMBUS_BYTE_DATA: one byte at a command (offset)
	smbusI2CBlockData = 8 // I2C_SMBUS_I2C_BLOCK_DATA: block[0] bytes at a command, no count byte on the wire

	smbusBlockMax = 32 // I2C_SMBUS_BLOCK_MAX
)

// smbusData is union i2c_smbus_data: a byte, a word, or block[0] = count
// followed by up to 32 bytes (+1 for PEC).
type smbusData [smbusBlockMax + 2]byte

// smbusIoctlData is struct i2c_smbus_ioctl_data; Go's alignment gives the
// C layout (read_write at 0, command at 1, size at 4, data at 8).
type smbusIoctlData struct {
	readWrite uint8
	command   uint8
	size      uint32
	data      *smbusData
}

// smbusBus is an i2c.Bus for SMBus-only adapters, where periph's
// I2C_RDWR fails. It translates the pager's transactions:
//
//	w=[off] r=n          ceil(n/32) I²C-block reads at off, off+32, ...
//	w=[off]              "send byte": sets the module's address pointer
//	w=[off, b]           byte-data write
//	w=[off, b1 .. bk]    I²C-block write (bank and page at 126 together)
//	w=nil r=n            n "receive byte" reads at the current pointer
//
// It is a bus, not a Memory: the Pager's Guards are what checks and counts
// every transaction on it (one pager transaction may be several SMBus
// calls: a 128-byte read is four 32-byte block reads).
type smbusBus struct {
	name  string
	fd    int
	funcs uint
	sys   ioctler

	mu      sync.Mutex
	addr    uint16 // the address I2C_SLAVE last set
	addrSet bool
}

var _ i2c.BusCloser = (*smbusBus)(nil)

func newSMBus(name string, fd int, funcs uint, sys ioctler, addr uint16) *smbusBus {
	return &smbusBus{name: name, fd: fd, funcs: funcs, sys: sys, addr: addr, addrSet: true}
}

// String names the device node.
func (b *smbusBus) String() string { return b.name + " (SMBus)" }

// SetSpeed is not available: the bus clock is platform configuration.
func (b *smbusBus) SetSpeed(physic.Frequency) error {
	return fmt.Errorf("%s: %w: the bus clock is set by the platform (device tree or adapter module parameter)", b.name, ErrNotSupported)
}

// Close closes the device node.
func (b *smbusBus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fd < 0 {
		return nil
	}
	err := unix.Close(b.fd)
	b.fd = -1
	return err
}

// Tx implements i2c.Bus.
func (b *smbusBus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.fd < 0:
		return fmt.Errorf("%s: %w: closed", b.name, ErrBus)
	case addr > 0x7F:
		return fmt.Errorf("%s: %w: address 0x%X: SMBus takes 7-bit addresses", b.name, ErrNotSupported, addr)
	case len(w) > 1 && len(r) > 0:
		return fmt.Errorf("%s: %w: a %d-byte write then a read has no SMBus form", b.name, ErrNotSupported, len(w))
	case len(w) == 0 && len(r) == 0:
		return nil
	}
	if !b.addrSet || b.addr != addr {
		if err := claimAddr(b.sys, b.fd, b.name, addr); err != nil {
			b.addrSet = false
			return err
		}
		b.addr, b.addrSet = addr, true
	}
	switch {
	case len(w) == 1 && len(r) > 0:
		return b.readBlocks(addr, w[0], r)
	case len(w) == 0:
		return b.receiveBytes(addr, r)
	case len(w) == 1:
		return b.call(addr, "send byte", funcSMBusWriteByte, smbusWrite, w[0], smbusByte, nil)
	case len(w) == 2:
		d := &smbusData{w[1]}
		return b.call(addr, "byte-data write", funcSMBusWriteByteData, smbusWrite, w[0], smbusByteData, d)
	}
	if len(w)-1 > smbusBlockMax {
		return fmt.Errorf("%s 0x%02X: %w: a %d-byte write is more than one SMBus block", b.name, addr, ErrNotSupported, len(w)-1)
	}
	d := &smbusData{byte(len(w) - 1)}
	copy(d[1:], w[1:])
	return b.call(addr, "I²C-block write", funcSMBusWriteI2CBlock, smbusWrite, w[0], smbusI2CBlockData, d)
}

// readBlocks reads len(r) bytes from offset off in I²C-block reads of at
// most 32 bytes, each at its own command (offset): no read relies on the
// module's address pointer.
func (b *smbusBus) readBlocks(addr uint16, off byte, r []byte) error {
	if int(off)+len(r) > 256 {
		return fmt.Errorf("%s 0x%02X: %w: %d bytes from offset %d run past byte 255", b.name, addr, ErrNotSupported, len(r), off)
	}
	for k := 0; k < len(r); k += smbusBlockMax {
		n := min(smbusBlockMax, len(r)-k)
		cmd := off + byte(k)
		d := &smbusData{byte(n)}
		if err := b.call(addr, "I²C-block read", funcSMBusReadI2CBlock, smbusRead, cmd, smbusI2CBlockData, d); err != nil {
			return err
		}
		if int(d[0]) < n {
			return fmt.Errorf("%s 0x%02X: %w: I²C-block read at offset %d returned %d of %d bytes", b.name, addr, ErrBus, cmd, d[0], n)
		}
		copy(r[k:k+n], d[1:1+n])
	}
	return nil
}

// receiveBytes reads at the module's address pointer, a byte at a time.
func (b *smbusBus) receiveBytes(addr uint16, r []byte) error {
	for i := range r {
		d := &smbusData{}
		if err := b.call(addr, "receive byte", funcSMBusReadByte, smbusRead, 0, smbusByte, d); err != nil {
			return err
		}
		r[i] = d[0]
	}
	return nil
}

// call issues one I2C_SMBUS ioctl, after checking that the
// adapter offers the transfer.
func (b *smbusBus) call(addr uint16, what string, need uint, rw, cmd uint8, size uint32, d *smbusData) error {
	if b.funcs&need == 0 {
		return fmt.Errorf("%s 0x%02X: %w: the adapter has no SMBus %s (I2C_FUNCS %#08x)", b.name, addr, ErrNotSupported, what, b.funcs)
	}
	// req and d escape to the heap (they go through an interface), where
	// nothing moves; the kernel reads d through req.data.
	req := &smbusIoctlData{readWrite: rw, command: cmd, size: size, data: d}
	if err := b.sys.ioctl(uintptr(b.fd), ioctlI2CSMBus, unsafe.Pointer(req)); err != nil {
		return fmt.Errorf("%s: %s at 0x%02X offset %d: %w", b.name, what, addr, cmd, classifyBusErr(err, addr))
	}
	return nil
}

//go:build linux

package i2c

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/ddm-agent/ddm/cmis"
	"golang.org/x/sys/unix"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
)

// smbusCall is one I2C_SMBUS ioctl as the kernel would receive it.
type smbusCall struct {
	raw  []byte // struct i2c_smbus_ioctl_data, byte for byte
	rw   uint8
	cmd  uint8
	size uint32
	data []byte // union i2c_smbus_data at the call, nil for a nil pointer
}

// fakeIoctl stands in for i2c-dev: it records every call, serves
// I²C-block and receive-byte reads from mem and keeps what is written
// (one flat 256-byte memory: a page select reads back as written).
type fakeIoctl struct {
	funcs   uint
	mem     [256]byte
	ptr     byte
	calls   []smbusCall
	slaves  []uintptr
	slaveEr error
	smbusEr error // returned by every I2C_SMBUS call
	short   bool  // block reads return one byte less
}

func (f *fakeIoctl) ioctl(_ uintptr, req uint, arg unsafe.Pointer) error {
	switch req {
	case ioctlI2CFuncs:
		*(*uint)(arg) = f.funcs
		return nil
	case ioctlI2CSMBus:
	default:
		return syscall.ENOTTY
	}
	d := (*smbusIoctlData)(arg)
	c := smbusCall{
		raw: bytes.Clone(unsafe.Slice((*byte)(arg), unsafe.Sizeof(*d))),
		rw:  d.readWrite, cmd: d.command, size: d.size,
	}
	if d.data != nil {
		c.data = bytes.Clone(d.data[:])
	}
	f.calls = append(f.calls, c)
	if f.smbusEr != nil {
		return f.smbusEr
	}
	switch {
	case d.readWrite == smbusRead && d.size == smbusI2CBlockData:
		n := int(d.data[0])
		copy(d.data[1:1+n], f.mem[d.command:])
		if f.short {
			d.data[0]--
		}
	case d.readWrite == smbusRead && d.size == smbusByte:
		d.data[0] = f.mem[f.ptr]
		f.ptr++
	case d.readWrite == smbusWrite && d.size == smbusByte:
		f.ptr = d.command
	case d.readWrite == smbusWrite && d.size == smbusByteData:
		f.mem[d.command] = d.data[0]
	case d.readWrite == smbusWrite && d.size == smbusI2CBlockData:
		copy(f.mem[d.command:], d.data[1:1+d.data[0]])
	}
	return nil
}

func (f *fakeIoctl) ioctlInt(_ uintptr, req uint, arg uintptr) error {
	if req != ioctlI2CSlave {
		return syscall.ENOTTY
	}
	f.slaves = append(f.slaves, arg)
	return f.slaveEr
}

const smbusFuncs = funcSMBusReadByte | funcSMBusWriteByte | funcSMBusWriteByteData | funcSMBusReadI2CBlock | funcSMBusWriteI2CBlock

func testSMBus(t *testing.T) (*smbusBus, *fakeIoctl) {
	t.Helper()
	f := &fakeIoctl{funcs: smbusFuncs}
	copy(f.mem[128:], window(t, vector(t, vecDR8), cmis.Upper(0, 0x11)))
	return newSMBus("/dev/i2c-7", 99, f.funcs, f, 0x50), f
}

// checkRaw checks the bytes of struct i2c_smbus_ioctl_data: read_write,
// command, two bytes of padding, size (native endian), the data pointer.
func checkRaw(t *testing.T, c smbusCall, rw, cmd uint8, size uint32) {
	t.Helper()
	if len(c.raw) != 8+int(unsafe.Sizeof(uintptr(0))) {
		t.Fatalf("struct is %d bytes", len(c.raw))
	}
	if c.raw[0] != rw || c.raw[1] != cmd || c.raw[2] != 0 || c.raw[3] != 0 || binary.NativeEndian.Uint32(c.raw[4:8]) != size {
		t.Errorf("i2c_smbus_ioctl_data % x: want read_write %d command %d size %d", c.raw, rw, cmd, size)
	}
	if (c.data == nil) != (binary.NativeEndian.Uint64(append(c.raw[8:], make([]byte, 8)...)) == 0) {
		t.Errorf("data pointer does not match the union")
	}
}

func TestSMBusBlockReadChunks(t *testing.T) {
	b, f := testSMBus(t)
	r := make([]byte, 74)
	if err := b.Tx(0x50, []byte{128}, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r, f.mem[128:202]) {
		t.Errorf("data:\n got %x\nwant %x", r, f.mem[128:202])
	}
	want := [][2]int{{128, 32}, {160, 32}, {192, 10}}
	if len(f.calls) != len(want) {
		t.Fatalf("%d calls, want 3", len(f.calls))
	}
	for i, w := range want {
		c := f.calls[i]
		checkRaw(t, c, smbusRead, uint8(w[0]), smbusI2CBlockData)
		if int(c.data[0]) != w[1] {
			t.Errorf("call %d: block[0] %d, want %d", i, c.data[0], w[1])
		}
	}
	if len(f.slaves) != 0 {
		t.Errorf("I2C_SLAVE issued for the address already set: %v", f.slaves)
	}

	// A whole lower page: four blocks.
	f.calls = nil
	if err := b.Tx(0x50, []byte{0}, make([]byte, 128)); err != nil || len(f.calls) != 4 {
		t.Errorf("lower page: %d calls, %v", len(f.calls), err)
	}
	f.short = true
	if err := b.Tx(0x50, []byte{128}, r); !errors.Is(err, ErrBus) || !strings.Contains(err.Error(), "31 of 32") {
		t.Errorf("short block: %v", err)
	}
	if err := b.Tx(0x50, []byte{250}, make([]byte, 10)); !errors.Is(err, ErrNotSupported) {
		t.Errorf("past byte 255: %v", err)
	}
}

func TestSMBusWrites(t *testing.T) {
	b, f := testSMBus(t)
	// Freeze request: byte-data write.
	if err := b.Tx(0x50, []byte{vdmFreezeByte, 0x80}, nil); err != nil {
		t.Fatal(err)
	}
	// Bank and page together: I²C-block write of 2 bytes at 126.
	if err := b.Tx(0x50, []byte{BankSelect, 1, 0x11}, nil); err != nil {
		t.Fatal(err)
	}
	// Page only: byte-data write at 127.
	if err := b.Tx(0x50, []byte{PageSelect, 0x02}, nil); err != nil {
		t.Fatal(err)
	}
	// Pointer set, then receive bytes.
	if err := b.Tx(0x50, []byte{130}, nil); err != nil {
		t.Fatal(err)
	}
	r := make([]byte, 2)
	if err := b.Tx(0x50, nil, r); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 6 {
		t.Fatalf("%d calls, want 6", len(f.calls))
	}
	checkRaw(t, f.calls[0], smbusWrite, vdmFreezeByte, smbusByteData)
	if f.calls[0].data[0] != 0x80 {
		t.Errorf("byte-data value %02X", f.calls[0].data[0])
	}
	checkRaw(t, f.calls[1], smbusWrite, BankSelect, smbusI2CBlockData)
	if !bytes.Equal(f.calls[1].data[:3], []byte{2, 1, 0x11}) {
		t.Errorf("block write union % x, want 02 01 11", f.calls[1].data[:3])
	}
	checkRaw(t, f.calls[2], smbusWrite, PageSelect, smbusByteData)
	checkRaw(t, f.calls[3], smbusWrite, 130, smbusByte)
	if f.calls[3].data != nil {
		t.Error("send byte carries a data union")
	}
	checkRaw(t, f.calls[4], smbusRead, 0, smbusByte)
	if !bytes.Equal(r, f.mem[130:132]) {
		t.Errorf("receive bytes %x, want %x", r, f.mem[130:132])
	}
	f.calls = nil
	if err := b.Tx(0x50, []byte{126, 0}, make([]byte, 1)); !errors.Is(err, ErrNotSupported) {
		t.Errorf("2-byte write then read: %v", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("%d refused writes reached the bus", len(f.calls))
	}
	b.funcs &^= funcSMBusWriteI2CBlock
	if err := b.Tx(0x50, []byte{BankSelect, 1, 0x11}, nil); !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "I²C-block write") {
		t.Errorf("bank+page without I²C-block writes: %v", err)
	}
}

func TestSMBusErrors(t *testing.T) {
	for _, tc := range []struct {
		errno syscall.Errno
		want  error
		nack  bool
	}{
		{syscall.ENXIO, ErrAbsent, true},
		{unix.EREMOTEIO, ErrAbsent, true},
		{syscall.ETIMEDOUT, ErrBus, false},
		{syscall.EAGAIN, ErrBus, false},
	} {
		t.Run(tc.errno.Error(), func(t *testing.T) {
			b, f := testSMBus(t)
			f.smbusEr = tc.errno
			err := b.Tx(0x50, []byte{128}, make([]byte, 74))
			if !errors.Is(err, tc.want) || !errors.Is(err, tc.errno) || IsNACK(err) != tc.nack {
				t.Errorf("%v: want %v wrapping the errno, NACK %v", err, tc.want, tc.nack)
			}
			if tc.nack && !errors.Is(err, syscall.ENXIO) {
				t.Errorf("%v: a NACK must wrap ENXIO", err)
			}
			if !strings.Contains(err.Error(), "/dev/i2c-7") || !strings.Contains(err.Error(), "offset 128") {
				t.Errorf("%v: want the device and the offset", err)
			}
			if len(f.calls) != 1 {
				t.Errorf("%d calls: want one failed transaction", len(f.calls))
			}
		})
	}
}

func TestSMBusAddress(t *testing.T) {
	b, f := testSMBus(t)
	// A2h of an SFP: I2C_SLAVE once for 0x51, once to come back.
	for _, a := range []uint16{0x51, 0x51, 0x50} {
		if err := b.Tx(a, []byte{0}, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.slaves) != 2 || f.slaves[0] != 0x51 || f.slaves[1] != 0x50 {
		t.Errorf("I2C_SLAVE calls %v, want [0x51 0x50]", f.slaves)
	}
	f.slaveEr = syscall.EBUSY
	err := b.Tx(0x51, []byte{0}, make([]byte, 1))
	if !errors.Is(err, syscall.EBUSY) || !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "optoe transport") {
		t.Errorf("address owned by a driver: %v", err)
	}
	if err := b.Tx(0x80, []byte{0}, make([]byte, 1)); !errors.Is(err, ErrNotSupported) {
		t.Errorf("10-bit address: %v", err)
	}
}

func TestChooseBus(t *testing.T) {
	for _, tc := range []struct {
		funcs uint
		want  busKind
	}{
		{funcI2C | smbusFuncs, busI2C},
		{funcI2C, busI2C},
		{smbusFuncs, busSMBus},
		{funcSMBusReadI2CBlock | funcSMBusWriteByteData, busSMBus},
		{funcSMBusReadI2CBlock, 0},
		{funcSMBusReadByte | funcSMBusWriteByteData, 0},
		{0, 0},
	} {
		got, err := chooseBus(tc.funcs)
		if got != tc.want || (tc.want == 0) != (err != nil) {
			t.Errorf("I2C_FUNCS %#x: %v, %v; want %v", tc.funcs, got, err, tc.want)
		}
	}
}

// testOpener is an i2cDevOpener over a fake /dev with node i2c-7.
func testOpener(t *testing.T, f *fakeIoctl) (i2cDevOpener, *bool) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "i2c-7"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	periph := false
	return i2cDevOpener{dir: dir, sys: f, newI2C: func(bus int) (i2c.BusCloser, error) {
		periph = true
		if bus != 7 {
			t.Errorf("periph opened bus %d", bus)
		}
		return &i2ctest.Playback{}, nil
	}}, &periph
}

func TestOpenI2CDev(t *testing.T) {
	f := &fakeIoctl{funcs: funcI2C | smbusFuncs}
	o, periph := testOpener(t, f)
	b, err := o.open(7)
	if err != nil || !*periph {
		t.Fatalf("plain I²C adapter: %T, %v; want periph's bus", b, err)
	}
	if len(f.slaves) != 1 || f.slaves[0] != 0x50 {
		t.Errorf("I2C_SLAVE calls %v: want the 0x50 ownership check", f.slaves)
	}

	f = &fakeIoctl{funcs: smbusFuncs}
	o, periph = testOpener(t, f)
	b, err = o.open(7)
	if err != nil || *periph {
		t.Fatalf("SMBus adapter: %T, %v", b, err)
	}
	sb, ok := b.(*smbusBus)
	if !ok || !strings.HasSuffix(sb.String(), "i2c-7 (SMBus)") {
		t.Fatalf("SMBus adapter: got %T %v", b, b)
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
	if err := b.Tx(0x50, []byte{0}, make([]byte, 1)); !errors.Is(err, ErrBus) {
		t.Errorf("Tx after Close: %v", err)
	}

	f = &fakeIoctl{funcs: funcI2C, slaveEr: syscall.EBUSY}
	o, periph = testOpener(t, f)
	if _, err := o.open(7); !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), "optoe") || *periph {
		t.Errorf("0x50 owned by optoe: %v", err)
	}

	f = &fakeIoctl{funcs: funcSMBusReadByte}
	o, _ = testOpener(t, f)
	if _, err := o.open(7); !errors.Is(err, ErrNotSupported) {
		t.Errorf("byte-only adapter: %v", err)
	}
	if _, err := o.open(8); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "i2c-dev") {
		t.Errorf("missing node: %v", err)
	}
}

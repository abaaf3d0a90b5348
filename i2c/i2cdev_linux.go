//go:build linux

package i2c

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/host/v3/sysfs"
)

// i2c-dev ioctls and functionality bits (include/uapi/linux/i2c-dev.h,
// i2c.h; not in x/sys/unix).
const (
	ioctlI2CSlave = 0x0703 // set the address of later SMBus/read/write calls; EBUSY if a driver owns it
	ioctlI2CFuncs = 0x0705 // adapter functionality mask (unsigned long)
	ioctlI2CSMBus = 0x0720 // one SMBus transfer (struct i2c_smbus_ioctl_data)

	funcI2C                = 0x00000001 // plain I²C (I2C_RDWR): what periph's sysfs bus uses
	funcSMBusReadByte      = 0x00020000
	funcSMBusWriteByte     = 0x00040000
	funcSMBusWriteByteData = 0x00100000
	funcSMBusReadI2CBlock  = 0x04000000
	funcSMBusWriteI2CBlock = 0x08000000
)

// errRemoteIO is EREMOTEIO, the NACK errno of several adapters (its value
// differs between architectures).
const errRemoteIO = unix.EREMOTEIO

// OpenI2CDev opens Linux I²C bus /dev/i2c-<bus> for the pager.
//
// When the adapter does plain I²C (I2C_FUNCS has I2C_FUNC_I2C) it returns
// periph's sysfs bus (sysfs.NewI2C; only that driver is opened, host.Init
// is not called, so GPIO and 1-wire are never probed): one I2C_RDWR per
// Tx, a 128-byte page in one combined write+read. On SMBus-only adapters
// (i2c-i801, the usual x86 switch CPU host, and the mux channels under
// it), where I2C_RDWR fails, it returns an SMBus bus of its own (32-byte
// I²C-block reads; see smbusBus).
//
// It refuses a bus where a kernel driver (optoe, at24, sfp) owns module
// address 0x50: I2C_RDWR skips the kernel's ownership check and would
// silently race that driver's page selects. Use the optoe transport there.
//
// Muxes: the kernel's i2c-mux-pca954x driver exposes each mux channel as
// its own /dev/i2c-N and switches channels itself on every transfer; ddm
// opens channel buses by number (resolve the number from sysfs, since it
// is not stable across boots) and never writes a mux from user space,
// which would fight the kernel's channel selection.
func OpenI2CDev(bus int) (i2c.BusCloser, error) {
	o := i2cDevOpener{
		dir: "/dev",
		sys: sysIoctl{},
		newI2C: func(n int) (i2c.BusCloser, error) {
			b, err := sysfs.NewI2C(n)
			if err != nil {
				return nil, err
			}
			return b, nil
		},
	}
	return o.open(bus)
}

// i2cDevOpener holds what OpenI2CDev touches, so tests can replace the
// device directory, the ioctls and periph's constructor.
type i2cDevOpener struct {
	dir    string
	sys    ioctler
	newI2C func(bus int) (i2c.BusCloser, error)
}

func (o i2cDevOpener) open(bus int) (i2c.BusCloser, error) {
	if bus < 0 {
		return nil, fmt.Errorf("i2c-dev: %w: bus %d", ErrNotSupported, bus)
	}
	path := filepath.Join(o.dir, "i2c-"+strconv.Itoa(bus))
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("i2c-dev %s: %w (is the i2c-dev module loaded, and may ddm open the node?)", path, &os.PathError{Op: "open", Path: path, Err: err})
	}
	keep := false
	defer func() {
		if !keep {
			_ = unix.Close(fd)
		}
	}()
	var funcs uint // unsigned long
	if err := o.sys.ioctl(uintptr(fd), ioctlI2CFuncs, unsafe.Pointer(&funcs)); err != nil {
		return nil, fmt.Errorf("%s: I2C_FUNCS: %w", path, classifyBusErr(err, AddrA0))
	}
	if err := claimAddr(o.sys, fd, path, AddrA0); err != nil {
		return nil, err
	}
	kind, err := chooseBus(funcs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if kind == busI2C {
		return o.newI2C(bus)
	}
	keep = true
	return newSMBus(path, fd, funcs, o.sys, AddrA0), nil
}

type busKind int

const (
	busI2C busKind = iota + 1
	busSMBus
)

// chooseBus picks plain I²C when the adapter has it, else SMBus when it
// has at least I²C-block reads and byte-data writes (the page select);
// bank+page writes need I²C-block writes too, and fail at that Tx if
// missing.
func chooseBus(funcs uint) (busKind, error) {
	const smbusNeed = funcSMBusReadI2CBlock | funcSMBusWriteByteData
	switch {
	case funcs&funcI2C != 0:
		return busI2C, nil
	case funcs&smbusNeed == smbusNeed:
		return busSMBus, nil
	}
	return 0, fmt.Errorf("%w: the adapter does neither plain I²C nor SMBus I²C-block reads with byte-data writes (I2C_FUNCS %#08x)", ErrNotSupported, funcs)
}

// claimAddr points fd at addr with I2C_SLAVE. EBUSY means a kernel driver
// is bound there (optoe, at24, sfp); I2C_SLAVE_FORCE would read anyway and
// race the driver, so ddm refuses and says what to use instead.
func claimAddr(sys ioctler, fd int, name string, addr uint16) error {
	err := sys.ioctlInt(uintptr(fd), ioctlI2CSlave, uintptr(addr))
	var e syscall.Errno
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e) && e == syscall.EBUSY:
		return fmt.Errorf("%s: %w: address 0x%02X is owned by a kernel driver (optoe, at24 or sfp); read the module through that driver's sysfs eeprom file with the optoe transport instead: %w", name, ErrNotSupported, addr, err)
	}
	return fmt.Errorf("%s: I2C_SLAVE 0x%02X: %w", name, addr, classifyBusErr(err, addr))
}

// ioctler issues ioctl(2). Pointer and integer arguments are separate
// methods so that a pointer is never laundered through a uintptr outside
// the syscall (the GC must see it), and tests can read what it points to.
type ioctler interface {
	ioctl(fd uintptr, req uint, arg unsafe.Pointer) error
	ioctlInt(fd uintptr, req uint, arg uintptr) error
}

// sysIoctl is the real ioctl(2).
type sysIoctl struct{}

func (sysIoctl) ioctl(fd uintptr, req uint, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(arg))
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}

func (sysIoctl) ioctlInt(fd uintptr, req uint, arg uintptr) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), arg)
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}

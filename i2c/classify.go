package i2c

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// Errno classification. Each transport meets the same errnos with a
// different meaning (a NACK on a raw bus is worth retrying; the same ENXIO
// from optoe comes after the driver's own 25 ms of retries), so each has
// its own mapping. All of them keep the errno in the chain (%w), so
// errors.Is(err, syscall.ENXIO), os.ErrPermission and friends still work
// on what they return. The kernel's conventions are in
// Documentation/i2c/fault-codes.rst; the netlink ones in
// net/ethtool/eeprom.c (summarised in the project's reference notes,
// linux-access.md §2 and §4).

// IsNACK reports whether err is an address NACK: the module did not
// acknowledge (absent, or busy updating its memory). On a raw bus the guard retries
// these with backoff. It recognises ENXIO and EREMOTEIO (the NACK errno of
// several adapters) in the chain, and periph's sysfs-i2c errors, which
// format the errno with %v and so lose it: for those it matches the errno's
// text. Errors from Optoe and Netlink that carry ENXIO also wrap ErrAbsent:
// their kernel driver has already retried, so check ErrAbsent first there.
func IsNACK(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENXIO) || errors.Is(err, errRemoteIO) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "no such device or address") || strings.Contains(s, "remote I/O error")
}

// errnoOf returns the errno in err's chain.
func errnoOf(err error) (syscall.Errno, bool) {
	var e syscall.Errno
	ok := errors.As(err, &e)
	return e, ok
}

// wrapErrno returns "sentinel: hint: err", keeping both in the chain.
func wrapErrno(sentinel error, hint string, err error) error {
	if hint == "" {
		return fmt.Errorf("%w: %w", sentinel, err)
	}
	return fmt.Errorf("%w: %s: %w", sentinel, hint, err)
}

// classifyBusErr maps the errno of a raw i2c-dev transfer (an I2C_SMBUS
// ioctl) for the device at addr. A NACK (ENXIO, or EREMOTEIO, which is
// normalised to also wrap ENXIO) wraps ErrAbsent, because at that instant
// nothing answered; the guard decides between absent and busy after its
// retries (IsNACK).
func classifyBusErr(err error, addr uint16) error {
	e, _ := errnoOf(err)
	switch {
	case e == syscall.ENXIO:
		return wrapErrno(ErrAbsent, fmt.Sprintf("address 0x%02X did not acknowledge (no module, or the module is busy)", addr), err)
	case e == errRemoteIO:
		return fmt.Errorf("%w: address 0x%02X did not acknowledge (no module, or the module is busy): %w (%w)", ErrAbsent, addr, syscall.ENXIO, err)
	case e == syscall.ETIMEDOUT:
		return wrapErrno(ErrBus, "transfer timed out (clock stretched too long, or the bus is stuck)", err)
	case e == syscall.EAGAIN:
		return wrapErrno(ErrBus, "arbitration lost (another master drives this bus)", err)
	case e == syscall.EBUSY:
		return wrapErrno(ErrBus, "bus busy", err)
	case e == syscall.EOPNOTSUPP:
		return wrapErrno(ErrBus, "the adapter does not support this transfer", err)
	}
	return wrapErrno(ErrBus, "", err)
}

// classifyDriverErr maps the errno of a read or write through a kernel
// EEPROM driver's file (optoe). The driver has already retried a NACK for
// its write-cycle window, so ENXIO means nothing is there.
func classifyDriverErr(err error) error {
	e, _ := errnoOf(err)
	switch {
	case e == syscall.ENXIO || e == errRemoteIO || e == syscall.ENODEV:
		return wrapErrno(ErrAbsent, "no module answers (the driver gave up after its retries)", err)
	case e == syscall.ETIMEDOUT:
		return wrapErrno(ErrBus, "the driver timed out", err)
	case errors.Is(err, os.ErrPermission):
		return wrapErrno(ErrBus, "permission denied: run ddm as root or in the group that owns the file", err)
	}
	return wrapErrno(ErrBus, "", err)
}

// classifyNetlinkErr maps the errno of an ETHTOOL_MSG_MODULE_EEPROM_GET
// request for (bank, page). EOPNOTSUPP and EINVAL for anything but page
// 00h of bank 0 also wrap ErrRefused: the driver cannot reach that page
// (the phylink SFP driver reads page 0 only; the legacy fallback has no
// banks and ends at the driver's eeprom_len), which Fetch treats as a
// missing page rather than a failed module.
func classifyNetlinkErr(err error, bank, page uint8) error {
	e, _ := errnoOf(err)
	other := bank != 0 || page != 0
	switch {
	case e == syscall.ENODEV || e == syscall.ENOENT:
		return wrapErrno(ErrBus, "no such network interface in ddm's network namespace (check the name with `ip link`)", err)
	case e == syscall.EPERM || e == syscall.EACCES:
		return wrapErrno(ErrNotSupported, "reading module EEPROM needs CAP_NET_ADMIN (run as root, or grant AmbientCapabilities=CAP_NET_ADMIN in the unit)", err)
	case e == syscall.EOPNOTSUPP && other:
		return fmt.Errorf("%w: %w: the NIC driver cannot read this page or bank: %w", ErrNotSupported, ErrRefused, err)
	case e == syscall.EOPNOTSUPP:
		return wrapErrno(ErrNotSupported, "the NIC driver has no module EEPROM access (use the optoe or i2c-dev transport if the cage is on a host I²C bus)", err)
	case e == syscall.EINVAL:
		return wrapErrno(ErrRefused, "the kernel or driver rejected this page (not present, or beyond what the driver exposes)", err)
	case e == syscall.EIO || e == syscall.ENXIO || e == errRemoteIO:
		return wrapErrno(ErrAbsent, "the driver reports no module in the cage", err)
	case e == syscall.EBUSY || e == syscall.EAGAIN:
		return wrapErrno(ErrBusy, "the driver or module is busy", err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return wrapErrno(ErrBus, "no reply from the kernel before the deadline", err)
	}
	return wrapErrno(ErrBus, "", err)
}

package i2c

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestIsNACK(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{syscall.ENXIO, true},
		{fmt.Errorf("wrapped: %w", syscall.ENXIO), true},
		{classifyBusErr(syscall.ENXIO, 0x50), true},
		// periph formats the errno with %v: only the text is left.
		{fmt.Errorf("sysfs-i2c: %v", syscall.ENXIO), true},
		{errors.New("sysfs-i2c: remote I/O error"), true},
		{syscall.ETIMEDOUT, false},
		{fmt.Errorf("sysfs-i2c: %v", syscall.ETIMEDOUT), false},
		{ErrBus, false},
	} {
		if got := IsNACK(tc.err); got != tc.want {
			t.Errorf("IsNACK(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestClassifyBusErr(t *testing.T) {
	for _, tc := range []struct {
		errno syscall.Errno
		want  error
		nack  bool
	}{
		{syscall.ENXIO, ErrAbsent, true},
		{syscall.ETIMEDOUT, ErrBus, false},
		{syscall.EAGAIN, ErrBus, false},
		{syscall.EOPNOTSUPP, ErrBus, false},
	} {
		err := classifyBusErr(tc.errno, 0x50)
		if !errors.Is(err, tc.want) || !errors.Is(err, tc.errno) || IsNACK(err) != tc.nack {
			t.Errorf("%v: %v, want %v wrapping the errno, NACK %v", tc.errno, err, tc.want, tc.nack)
		}
	}
}

func TestClassifyDriverErr(t *testing.T) {
	for _, tc := range []struct {
		errno syscall.Errno
		want  error
	}{
		{syscall.ENXIO, ErrAbsent},
		{syscall.ENODEV, ErrAbsent},
		{syscall.EIO, ErrBus},
		{syscall.ETIMEDOUT, ErrBus},
		{syscall.EACCES, ErrBus},
	} {
		err := classifyDriverErr(&os.PathError{Op: "read", Path: "/sys/bus/i2c/devices/12-0050/eeprom", Err: tc.errno})
		if !errors.Is(err, tc.want) || !errors.Is(err, tc.errno) {
			t.Errorf("%v: %v, want %v and the errno kept", tc.errno, err, tc.want)
		}
	}
}

func TestClassifyNetlinkErr(t *testing.T) {
	for _, tc := range []struct {
		errno      syscall.Errno
		bank, page uint8
		want       []error
		not        []error
	}{
		{syscall.ENODEV, 0, 0, []error{ErrBus}, nil},
		{syscall.ENOENT, 0, 0, []error{ErrBus, os.ErrNotExist}, nil},
		{syscall.EPERM, 0, 0, []error{ErrNotSupported, os.ErrPermission}, nil},
		{syscall.EOPNOTSUPP, 0, 0, []error{ErrNotSupported}, []error{ErrRefused}},
		{syscall.EOPNOTSUPP, 1, 0x11, []error{ErrNotSupported, ErrRefused}, nil},
		{syscall.EINVAL, 0, 0x03, []error{ErrRefused}, nil},
		{syscall.EIO, 0, 0, []error{ErrAbsent}, nil},
		{syscall.ENXIO, 0, 0, []error{ErrAbsent}, nil},
		{syscall.EBUSY, 0, 0, []error{ErrBusy}, nil},
		{syscall.EMSGSIZE, 0, 0, []error{ErrBus}, nil},
	} {
		err := classifyNetlinkErr(tc.errno, tc.bank, tc.page)
		for _, w := range append(tc.want, tc.errno) {
			if !errors.Is(err, w) {
				t.Errorf("%v bank %d page %02Xh: %v does not wrap %v", tc.errno, tc.bank, tc.page, err, w)
			}
		}
		for _, w := range tc.not {
			if errors.Is(err, w) {
				t.Errorf("%v bank %d page %02Xh: %v wraps %v", tc.errno, tc.bank, tc.page, err, w)
			}
		}
	}
}

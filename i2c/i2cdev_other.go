//go:build !linux

package i2c

import (
	"fmt"
	"syscall"

	"periph.io/x/conn/v3/i2c"
)

// errRemoteIO stands for Linux's EREMOTEIO, which this platform does not
// have: it matches no error.
const errRemoteIO = ^syscall.Errno(0)

// OpenI2CDev returns an error: i2c-dev is Linux only.
func OpenI2CDev(bus int) (i2c.BusCloser, error) {
	return nil, fmt.Errorf("i2c-dev bus %d: %w", bus, errUnsupportedOS("i2c-dev"))
}

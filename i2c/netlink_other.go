//go:build !linux

package i2c

import (
	"fmt"
	"runtime"
)

// errUnsupportedOS says that a Linux-only transport was asked for here.
func errUnsupportedOS(what string) error {
	return fmt.Errorf("%w: %s is Linux only, not %s/%s", ErrNotSupported, what, runtime.GOOS, runtime.GOARCH)
}

// OpenNetlink returns an error: ethtool netlink is Linux only.
func OpenNetlink(ifname string) (*Guard, error) {
	return nil, fmt.Errorf("ethtool netlink %s: %w", ifname, errUnsupportedOS("ethtool netlink"))
}

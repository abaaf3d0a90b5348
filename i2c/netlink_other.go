//go:build !linux

package i2c

import (
	"context"
	"fmt"
	"runtime"
)

// Netlink is a module on a network interface, read through ethtool
// netlink. ethtool netlink exists only on Linux; elsewhere every method
// returns an error naming the platform.
type Netlink struct{ ifname string }

var _ Memory = (*Netlink)(nil)

// errUnsupportedOS says that a Linux-only transport was asked for here.
func errUnsupportedOS(what string) error {
	return fmt.Errorf("%w: %s is Linux only, not %s/%s", ErrNotSupported, what, runtime.GOOS, runtime.GOARCH)
}

// OpenNetlink returns an error: ethtool netlink is Linux only.
func OpenNetlink(ifname string) (*Netlink, error) {
	return nil, fmt.Errorf("ethtool netlink %s: %w", ifname, errUnsupportedOS("ethtool netlink"))
}

// Read returns an error: ethtool netlink is Linux only.
func (n *Netlink) Read(context.Context, uint8, uint8, uint8, int, []byte) error {
	return errUnsupportedOS("ethtool netlink")
}

// Write returns an error: ethtool netlink is Linux only.
func (n *Netlink) Write(context.Context, uint8, uint8, uint8, int, []byte) error {
	return errUnsupportedOS("ethtool netlink")
}

// Stats returns zero counters.
func (n *Netlink) Stats() Stats { return Stats{} }

// String names the interface.
func (n *Netlink) String() string { return "ethtool netlink " + n.ifname }

// Close does nothing.
func (n *Netlink) Close() error { return nil }

//go:build linux

package i2c

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// The ethtool netlink transport reads modules on NICs (GPU servers, hosts)
// with ETHTOOL_MSG_MODULE_EEPROM_GET (Linux 5.13+), the request behind
// "ethtool -m DEV page N bank B". The NIC driver (or its firmware) does
// the page selects; user space has no module write at all, so Write
// returns ErrNotSupported and VDM samples are read unfrozen on NICs.
//
// Kernel rules (net/ethtool/eeprom.c, eeprom_parse_request and the
// policy), checked here before a request is sent: length 1-128; a read
// stays within offset 0-127 or 128-255; a page other than 0 is readable
// only at offset 128 and up; I²C address at most 0x7F. A driver without
// the by-page operation falls back to the legacy linear ioctl, which
// ignores the bank on kernels before the fix that refuses it: there a
// bank-1 read may return bank 0's bytes.

// Generic netlink constants (include/uapi/linux/ethtool_netlink.h). The
// MODULE_EEPROM attributes are not in x/sys/unix.
const (
	ethtoolMsgModuleEEPROMGet      = unix.ETHTOOL_MSG_MODULE_EEPROM_GET       // 31
	ethtoolMsgModuleEEPROMGetReply = unix.ETHTOOL_MSG_MODULE_EEPROM_GET_REPLY // 32

	ethtoolAHeaderDevName = unix.ETHTOOL_A_HEADER_DEV_NAME // 2, nested in HEADER

	ethtoolAModuleEEPROMHeader     = 1 // nested
	ethtoolAModuleEEPROMOffset     = 2 // u32
	ethtoolAModuleEEPROMLength     = 3 // u32
	ethtoolAModuleEEPROMPage       = 4 // u8
	ethtoolAModuleEEPROMBank       = 5 // u8
	ethtoolAModuleEEPROMI2CAddress = 6 // u8
	ethtoolAModuleEEPROMData       = 7 // binary, reply only
)

// genlConn is the part of *genetlink.Conn a Netlink uses. Tests put a
// genltest connection here.
type genlConn interface {
	GetFamily(name string) (genetlink.Family, error)
	Execute(m genetlink.Message, family uint16, flags netlink.HeaderFlags) ([]genetlink.Message, error)
	SetDeadline(t time.Time) error
	Close() error
}

// netlinkConn is a module on a network interface, read through ethtool
// netlink: a Link. Its Guard serialises requests (one deadline per
// socket).
type netlinkConn struct {
	ifname string
	conn   genlConn
	family genetlink.Family
}

// OpenNetlink opens a generic netlink socket for the module of interface
// ifname and returns the module's Memory; its Close closes the socket. It
// does not touch the module: a missing interface, a driver without module
// EEPROM access or missing CAP_NET_ADMIN show on the first Read, with an
// error that says which. ethtool netlink has no module write: every
// write returns ErrNotSupported (VDM is read unfrozen on NICs).
// Transactions count requests; the driver's page selects are not visible,
// so PageSelects stays 0.
func OpenNetlink(ifname string) (*Guard, error) {
	if ifname == "" || len(ifname) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("ethtool netlink: %w: interface name %q: want 1 to %d bytes", ErrNotSupported, ifname, unix.IFNAMSIZ-1)
	}
	c, err := genetlink.Dial(nil)
	if err != nil {
		return nil, fmt.Errorf("ethtool netlink %s: %w", ifname, err)
	}
	// Extended acks carry the kernel's reason with an errno ("reading
	// cross half page boundary is illegal"); netlink.OpError prints it.
	_ = c.SetOption(netlink.ExtendedAcknowledge, true)
	n, err := newNetlink(c, ifname)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return NewGuard(n, GuardOptions{NoWrites: true}), nil
}

func newNetlink(c genlConn, ifname string) (*netlinkConn, error) {
	f, err := c.GetFamily(unix.ETHTOOL_GENL_NAME)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("ethtool netlink %s: %w: the kernel has no %q generic netlink family (needs Linux 5.6, module EEPROM pages 5.13): %w", ifname, ErrNotSupported, unix.ETHTOOL_GENL_NAME, err)
	}
	if err != nil {
		return nil, fmt.Errorf("ethtool netlink %s: %w", ifname, err)
	}
	return &netlinkConn{ifname: ifname, conn: c, family: f}, nil
}

// Close closes the socket.
func (n *netlinkConn) Close() error { return n.conn.Close() }

// String names the interface.
func (n *netlinkConn) String() string { return "ethtool netlink " + n.ifname }

// Transfer implements Link: one request per read, for an access the Guard
// checked and normalised (lower memory as page 0 bank 0, which the kernel
// requires; unbanked pages as bank 0). A reply shorter than asked returns
// ErrRefused with the bytes that came copied into a.Data.
func (n *netlinkConn) Transfer(ctx context.Context, a Access) (int, error) {
	if a.Op != OpRead {
		return 0, fmt.Errorf("%w: ethtool netlink has no module EEPROM write (VDM is read unfrozen)", ErrNotSupported)
	}
	req := eepromRequest{offset: uint32(a.Off), length: uint32(len(a.Data)), page: a.Page, bank: a.Bank, addr: a.Addr}
	if err := req.validate(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNotSupported, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	data, err := n.execute(ctx, req)
	if err != nil {
		return 0, err
	}
	switch {
	case len(data) < len(a.Data):
		return copy(a.Data, data), fmt.Errorf("%w: the driver returned %d of %d bytes", ErrRefused, len(data), len(a.Data))
	case len(data) > len(a.Data):
		return 0, fmt.Errorf("%w: the kernel returned %d bytes for a %d-byte read", ErrBus, len(data), len(a.Data))
	}
	return copy(a.Data, data), nil
}

// execute sends one request and returns the reply's DATA. The context's
// deadline becomes the socket's, and cancelling the context wakes a
// blocked receive by moving the deadline to the past.
func (n *netlinkConn) execute(ctx context.Context, req eepromRequest) ([]byte, error) {
	attrs, err := req.encode(n.ifname)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding the request: %w", ErrBus, err)
	}
	msg := genetlink.Message{
		Header: genetlink.Header{Command: ethtoolMsgModuleEEPROMGet, Version: n.family.Version},
		Data:   attrs,
	}
	// A socket that cannot take deadlines (the test double) is used
	// without one; the context is still checked before every request.
	dl, _ := ctx.Deadline()
	_ = n.conn.SetDeadline(dl)
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(woken)
		_ = n.conn.SetDeadline(time.Unix(1, 0))
	})
	msgs, err := n.conn.Execute(msg, n.family.ID, netlink.Request)
	if !stop() {
		<-woken // the wake-up ran: clear it before the next request
		_ = n.conn.SetDeadline(time.Time{})
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("%w (%w)", cerr, err)
		}
		return nil, classifyNetlinkErr(err, req.bank, req.page)
	}
	return parseEEPROMReply(msgs)
}

// eepromRequest is one ETHTOOL_MSG_MODULE_EEPROM_GET.
type eepromRequest struct {
	offset, length   uint32
	page, bank, addr uint8
}

// validate applies the kernel's rules, so that a bad read fails here with
// a clear message instead of EINVAL.
func (r eepromRequest) validate() error {
	switch {
	case r.length < 1 || r.length > 128:
		return fmt.Errorf("length %d: the kernel reads 1 to 128 bytes per request", r.length)
	case r.offset > 255:
		return fmt.Errorf("offset %d: the kernel takes offsets 0-255", r.offset)
	case r.addr > 0x7F:
		return fmt.Errorf("I²C address 0x%02X: the kernel takes 7-bit addresses", r.addr)
	case r.page != 0 && r.offset < 128:
		return fmt.Errorf("page %02Xh offset %d: the kernel reads lower memory only as page 0", r.page, r.offset)
	case r.offset < 128 && r.offset+r.length > 128:
		return fmt.Errorf("offset %d length %d: a read may not cross offset 128", r.offset, r.length)
	case r.offset+r.length > 256:
		return fmt.Errorf("offset %d length %d: a read may not cross offset 256", r.offset, r.length)
	}
	return nil
}

// encode returns the request's attributes: the header names the device,
// and every attribute the kernel requires is present (BANK is optional to
// the kernel and always sent).
func (r eepromRequest) encode(ifname string) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(ethtoolAModuleEEPROMHeader, func(nae *netlink.AttributeEncoder) error {
		nae.String(ethtoolAHeaderDevName, ifname)
		return nil
	})
	ae.Uint32(ethtoolAModuleEEPROMOffset, r.offset)
	ae.Uint32(ethtoolAModuleEEPROMLength, r.length)
	ae.Uint8(ethtoolAModuleEEPROMPage, r.page)
	ae.Uint8(ethtoolAModuleEEPROMBank, r.bank)
	ae.Uint8(ethtoolAModuleEEPROMI2CAddress, r.addr)
	return ae.Encode()
}

// parseEEPROMReply returns the DATA of the one reply message.
func parseEEPROMReply(msgs []genetlink.Message) ([]byte, error) {
	if len(msgs) != 1 {
		return nil, fmt.Errorf("%w: %d reply messages, want 1", ErrBus, len(msgs))
	}
	m := msgs[0]
	if m.Header.Command != ethtoolMsgModuleEEPROMGetReply {
		return nil, fmt.Errorf("%w: reply command %d, want %d", ErrBus, m.Header.Command, ethtoolMsgModuleEEPROMGetReply)
	}
	ad, err := netlink.NewAttributeDecoder(m.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: reply attributes: %w", ErrBus, err)
	}
	var data []byte
	found := false
	for ad.Next() {
		if ad.Type() == ethtoolAModuleEEPROMData {
			data, found = ad.Bytes(), true
		}
	}
	if err := ad.Err(); err != nil {
		return nil, fmt.Errorf("%w: reply attributes: %w", ErrBus, err)
	}
	if !found {
		return nil, fmt.Errorf("%w: reply has no data attribute", ErrBus)
	}
	return data, nil
}

//go:build linux

package i2c

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

var ethtoolFamily = genetlink.Family{ID: 0x1b, Version: unix.ETHTOOL_GENL_VERSION, Name: unix.ETHTOOL_GENL_NAME}

// eepromGet is a decoded MODULE_EEPROM_GET request.
type eepromGet struct {
	devName          string
	offset, length   uint32
	page, bank, addr uint8
	seen             map[uint16]bool
}

// decodeEEPROMGet decodes a request the way the kernel's policy reads it.
func decodeEEPROMGet(t *testing.T, greq genetlink.Message) eepromGet {
	t.Helper()
	if greq.Header.Command != unix.ETHTOOL_MSG_MODULE_EEPROM_GET || greq.Header.Version != ethtoolFamily.Version {
		t.Errorf("request header %+v: want command 31 version 1", greq.Header)
	}
	r := eepromGet{seen: map[uint16]bool{}}
	ad, err := netlink.NewAttributeDecoder(greq.Data)
	if err != nil {
		t.Fatal(err)
	}
	for ad.Next() {
		r.seen[ad.Type()] = true
		switch ad.Type() {
		case 1:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					if nad.Type() == unix.ETHTOOL_A_HEADER_DEV_NAME {
						r.devName = nad.String()
					}
				}
				return nil
			})
		case 2:
			r.offset = ad.Uint32()
		case 3:
			r.length = ad.Uint32()
		case 4:
			r.page = ad.Uint8()
		case 5:
			r.bank = ad.Uint8()
		case 6:
			r.addr = ad.Uint8()
		default:
			t.Errorf("unexpected request attribute %d", ad.Type())
		}
	}
	if err := ad.Err(); err != nil {
		t.Fatal(err)
	}
	return r
}

// eepromReply builds the kernel's reply: the header and DATA.
func eepromReply(t *testing.T, ifname string, data []byte) []genetlink.Message {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	ae.Nested(1, func(nae *netlink.AttributeEncoder) error {
		nae.Uint32(unix.ETHTOOL_A_HEADER_DEV_INDEX, 7)
		nae.String(unix.ETHTOOL_A_HEADER_DEV_NAME, ifname)
		return nil
	})
	ae.Bytes(7, data)
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return []genetlink.Message{{
		Header: genetlink.Header{Command: unix.ETHTOOL_MSG_MODULE_EEPROM_GET_REPLY, Version: ethtoolFamily.Version},
		Data:   b,
	}}
}

// testNetlinkConn returns the ethtool netlink Link on a genltest
// connection that serves the ethtool family and passes module EEPROM
// requests to fn.
func testNetlinkConn(t *testing.T, fn genltest.Func) *netlinkConn {
	t.Helper()
	c := genltest.Dial(genltest.ServeFamily(ethtoolFamily, genltest.CheckRequest(ethtoolFamily.ID, unix.ETHTOOL_MSG_MODULE_EEPROM_GET, netlink.Request, fn)))
	n, err := newNetlink(c, "eth3")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testNetlink returns the Memory of a module behind ethtool netlink on a
// genltest connection that serves the ethtool family and passes module
// EEPROM requests to fn, with the rules a Reader gives it.
func testNetlink(t *testing.T, fn genltest.Func) *Guard {
	t.Helper()
	g := NewGuard(testNetlinkConn(t, fn), GuardOptions{NoWrites: true})
	t.Cleanup(func() { _ = g.Close() })
	if err := g.SetRules(testRules()); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestNetlinkRead(t *testing.T) {
	s := vector(t, vecDR8)
	page11 := window(t, s, cmis.Upper(0, 0x11))
	mem := append(append([]byte(nil), window(t, s, cmis.Lower)...), page11...) // I²C offsets 0-255
	var got eepromGet
	n := testNetlink(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		got = decodeEEPROMGet(t, greq)
		return eepromReply(t, "eth3", mem[got.offset:got.offset+got.length]), nil
	})
	p := make([]byte, 74)
	if err := n.Read(context.Background(), 0x50, 1, 0x11, 128, p); err != nil {
		t.Fatal(err)
	}
	want := eepromGet{devName: "eth3", offset: 128, length: 74, page: 0x11, bank: 1, addr: 0x50}
	if got.devName != want.devName || got.offset != want.offset || got.length != want.length || got.page != want.page || got.bank != want.bank || got.addr != want.addr {
		t.Errorf("request %+v, want %+v", got, want)
	}
	for _, a := range []uint16{1, 2, 3, 4, 5, 6} { // the kernel requires 2, 3, 4, 6
		if !got.seen[a] {
			t.Errorf("request lacks attribute %d", a)
		}
	}
	if !bytes.Equal(p, page11[:74]) {
		t.Errorf("data:\n got %x\nwant %x", p, page11[:74])
	}

	// Lower memory goes as page 0 bank 0 whatever page is named; pages
	// below 10h are not banked.
	if err := n.Read(context.Background(), 0x50, 1, 0x11, 3, make([]byte, 21)); err != nil {
		t.Fatal(err)
	}
	if got.page != 0 || got.bank != 0 || got.offset != 3 {
		t.Errorf("lower memory request %+v: want page 0 bank 0 offset 3", got)
	}
	if err := n.Read(context.Background(), 0x50, 2, 0x01, 128, make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	if got.page != 1 || got.bank != 0 {
		t.Errorf("page 01h request %+v: want bank 0", got)
	}
	if st := n.Stats(); st.Transactions != 3 || st.BytesRead != 74+21+8 || st.PageSelects != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestNetlinkShortReply(t *testing.T) {
	page11 := window(t, vector(t, vecDR8), cmis.Upper(0, 0x11))
	n := testNetlink(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		return eepromReply(t, "eth3", page11[:10]), nil
	})
	p := make([]byte, 74)
	err := n.Read(context.Background(), 0x50, 0, 0x11, 128, p)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "10 of 74") {
		t.Fatalf("short reply: %v, want ErrRefused naming 10 of 74 bytes", err)
	}
	if !bytes.Equal(p[:10], page11[:10]) {
		t.Errorf("the bytes that came were not kept: %x", p[:10])
	}
	if st := n.Stats(); st.Errors != 1 || st.BytesRead != 10 {
		t.Errorf("stats %+v", st)
	}
}

func TestNetlinkErrno(t *testing.T) {
	for _, tc := range []struct {
		errno      unix.Errno
		bank, page uint8
		want       []error
		hint       string
	}{
		{unix.ENODEV, 0, 0, []error{ErrBus}, "no such network interface"},
		{unix.EOPNOTSUPP, 0, 0, []error{ErrNotSupported}, "no module EEPROM access"},
		{unix.EOPNOTSUPP, 1, 0x11, []error{ErrNotSupported, ErrRefused}, "cannot read this page"},
		{unix.EPERM, 0, 0, []error{ErrNotSupported, os.ErrPermission}, "CAP_NET_ADMIN"},
		{unix.EIO, 0, 0, []error{ErrAbsent}, "no module"},
		{unix.ENXIO, 0, 0x11, []error{ErrAbsent}, "no module"},
		{unix.EINVAL, 0, 0x03, []error{ErrRefused}, "rejected this page"},
	} {
		t.Run(tc.errno.Error(), func(t *testing.T) {
			n := testNetlink(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return nil, genltest.Error(int(tc.errno))
			})
			err := n.Read(context.Background(), 0x50, tc.bank, tc.page, 128, make([]byte, 128))
			for _, w := range append(tc.want, tc.errno) {
				if !errors.Is(err, w) {
					t.Errorf("%v does not wrap %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), tc.hint) || !strings.Contains(err.Error(), "ethtool netlink eth3") {
				t.Errorf("%v: want the interface and %q", err, tc.hint)
			}
		})
	}
}

func TestNetlinkKernelLimits(t *testing.T) {
	n := testNetlink(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		t.Errorf("request sent: %+v", decodeEEPROMGet(t, greq))
		return nil, genltest.Error(int(unix.EINVAL))
	})
	for _, tc := range []struct {
		name       string
		addr, page uint8
		off, n     int
	}{
		{"empty", 0x50, 0, 0, 0},
		{"129 bytes", 0x50, 0, 128, 129},
		{"crosses 128", 0x50, 0, 120, 16},
		{"crosses 256", 0x50, 0x11, 250, 10},
		{"negative offset", 0x50, 0, -1, 1},
		{"offset 256", 0x50, 0x11, 256, 1},
		{"10-bit address", 0x80, 0, 0, 1},
	} {
		err := n.Read(context.Background(), tc.addr, 0, tc.page, tc.off, make([]byte, tc.n))
		if !errors.Is(err, ErrRange) {
			t.Errorf("%s: %v, want ErrRange (the guard's, before the kernel's)", tc.name, err)
		}
	}
	// Read never asks for lower memory on a page other than 0 (it
	// rewrites the page), but the rule is checked.
	if err := (eepromRequest{offset: 0, length: 1, page: 1, addr: 0x50}).validate(); err == nil || !strings.Contains(err.Error(), "page 0") {
		t.Errorf("page 1 offset 0: %v", err)
	}
	if err := (eepromRequest{offset: 128, length: 128, page: 0xFF, bank: 3, addr: 0x50}).validate(); err != nil {
		t.Errorf("a whole upper page: %v", err)
	}
	if err := n.Write(context.Background(), 0x50, 0, vdmControlPage, vdmFreezeByte, []byte{0x80}); !errors.Is(err, ErrNotSupported) {
		t.Errorf("write: %v, want ErrNotSupported", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Read(ctx, 0x50, 0, 0, 0, make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if st := n.Stats(); st.Transactions != 0 {
		t.Errorf("%d requests sent", st.Transactions)
	}
}

// blockingConn is a socket whose Execute blocks until its deadline is
// moved to the past, as a netlink receive does.
type blockingConn struct {
	genlConn
	mu        sync.Mutex
	deadlines []time.Time
	woke      chan struct{}
}

func (c *blockingConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadlines = append(c.deadlines, t)
	if !t.IsZero() && time.Until(t) < 0 {
		close(c.woke)
	}
	return nil
}

func (c *blockingConn) Execute(genetlink.Message, uint16, netlink.HeaderFlags) ([]genetlink.Message, error) {
	<-c.woke
	return nil, &netlink.OpError{Op: "receive", Err: os.ErrDeadlineExceeded}
}

func TestNetlinkContext(t *testing.T) {
	c := &blockingConn{woke: make(chan struct{})}
	n := NewGuard(&netlinkConn{ifname: "eth3", conn: c, family: ethtoolFamily}, GuardOptions{NoWrites: true})
	dl := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), dl)
	time.AfterFunc(10*time.Millisecond, cancel)
	err := n.Read(ctx, 0x50, 0, 0x11, 128, make([]byte, 128))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while blocked: %v, want context.Canceled", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// The context's deadline, the wake-up, then no deadline for the next request.
	if len(c.deadlines) != 3 || !c.deadlines[0].Equal(dl) || !c.deadlines[1].Before(time.Now()) || !c.deadlines[2].IsZero() {
		t.Errorf("deadlines %v", c.deadlines)
	}
}

func TestNetlinkNoFamily(t *testing.T) {
	c := genltest.Dial(func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(unix.ENOENT))
	})
	defer c.Close()
	if _, err := newNetlink(c, "eth3"); !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "5.13") {
		t.Errorf("no ethtool family: %v", err)
	}
	if _, err := OpenNetlink(""); !errors.Is(err, ErrNotSupported) {
		t.Errorf("empty interface name: %v", err)
	}
}

func TestParseEEPROMReply(t *testing.T) {
	good := eepromReply(t, "eth3", []byte{1, 2, 3})
	if d, err := parseEEPROMReply(good); err != nil || !bytes.Equal(d, []byte{1, 2, 3}) {
		t.Errorf("good reply: %x, %v", d, err)
	}
	wrongCmd := []genetlink.Message{{Header: genetlink.Header{Command: 31}, Data: good[0].Data}}
	noData := []genetlink.Message{{Header: good[0].Header}}
	for name, msgs := range map[string][]genetlink.Message{"none": nil, "two": append(good, good...), "command": wrongCmd, "no data": noData} {
		if _, err := parseEEPROMReply(msgs); !errors.Is(err, ErrBus) {
			t.Errorf("%s: %v, want ErrBus", name, err)
		}
	}
}

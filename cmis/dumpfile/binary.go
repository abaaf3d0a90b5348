package dumpfile

import "github.com/ddm-agent/ddm/cmis"

// Linear layouts of module memory, shared by raw ioctl images, optoe files
// and legacy "ethtool -m DEV hex on" output. Window k is linear bytes
// [k*128, (k+1)*128).
//
// One-address (SFF-8636, CMIS; optoe1/optoe3): window 0 is lower memory,
// window k (1-256) is upper page k-1 of bank 0; past that, banked pages
// 10h-FFh of bank b >= 1 follow at window b*240 + page + 1 (the SONiC optoe
// bank extension). The ioctl images of 256 (lower + 00h), 512 (+ 01h, 02h)
// and 640 (+ 03h) bytes are prefixes of this layout.
//
// Two-address (SFF-8472; optoe2): windows 0-1 are A0h, window 2 is A2h lower,
// window k >= 3 is A2h page k-3. The 512-byte ioctl image is A0h + A2h.
const (
	maxBank        = 255
	oneAddrWindows = maxBank*240 + 256 + 1
	twoAddrWindows = 3 + 256
)

// twoAddress reports whether identifier id (byte 0, SFF-8024) uses the
// SFF-8472 two-address layout; ok is false for identifiers of unknown
// layout.
func twoAddress(id byte) (two, ok bool) {
	switch {
	case id >= 0x01 && id <= 0x03: // GBIC, soldered, SFP
		return true, true
	case id == 0x0C, id == 0x0D, id == 0x11: // QSFP, QSFP+, QSFP28 (SFF-8636)
		return false, true
	case id >= 0x18 && id <= 0x1B, id >= 0x1E && id <= 0x25, id >= 0x80: // CMIS
		return false, true
	}
	return false, false
}

// linearWindow returns the page of window k of a linear layout.
func linearWindow(two bool, k int) (cmis.PageID, bool) {
	switch {
	case k < 0:
		return cmis.PageID{}, false
	case k == 0:
		return cmis.Lower, true
	case two && k == 1:
		return cmis.Upper(0, 0), true
	case two && k == 2:
		return cmis.A2Lower, true
	case two && k < twoAddrWindows:
		return cmis.PageID{Addr: cmis.AddrA2, Page: uint8(k - 3)}, true
	case two:
		return cmis.PageID{}, false
	case k <= 256:
		return cmis.Upper(0, uint8(k-1)), true
	case k < oneAddrWindows:
		m := k - 1
		bank := (m - 0x10) / 240
		return cmis.Upper(uint8(bank), uint8(m-bank*240)), true
	}
	return cmis.PageID{}, false
}

// readBinary reads a raw ioctl image or an optoe eeprom file.
func readBinary(name string, data []byte) (*Dump, error) {
	n := len(data)
	if n%cmis.PageSize != 0 || n < 2*cmis.PageSize {
		return nil, byteError(name, n, "binary image of %d bytes: want a multiple of 128 bytes, at least 256 (truncated?)", n)
	}
	d := &Dump{Name: name, Format: Optoe}
	switch n {
	case 256, 512, 640:
		d.Format = Raw
	}
	two := false
	if n > 2*cmis.PageSize {
		var ok bool
		if two, ok = twoAddress(data[0]); !ok {
			return nil, byteError(name, 0, "identifier 0x%02x: unknown module type, cannot lay out %d bytes", data[0], n)
		}
	}
	s := cmis.NewSnapshot()
	for k := 0; k < n/cmis.PageSize; k++ {
		id, ok := linearWindow(two, k)
		if !ok {
			return nil, byteError(name, k*cmis.PageSize, "beyond the last page of the linear layout")
		}
		if err := s.SetPage(id, data[k*cmis.PageSize:(k+1)*cmis.PageSize]); err != nil {
			return nil, &ParseError{File: name, Offset: k * cmis.PageSize, Msg: "cannot store page", Err: err}
		}
	}
	d.Snapshots = []*cmis.Snapshot{s}
	return d, nil
}

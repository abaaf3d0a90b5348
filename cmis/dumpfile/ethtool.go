package dumpfile

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/ddm-agent/ddm/cmis"
)

// ethtool's dump_hex (ethtool.c) prints
//
//	Offset\t\tValues
//	------\t\t------
//	0x0000:\t\t18 41 00 ...
//
// with "0x%04x:" offsets and "%02x " bytes, 16 a line, the last line possibly
// shorter. "ethtool -m DEV hex on" without page, bank or i2c uses the legacy
// ioctl and prints offsets into the linear image; with any of them
// ethtool reads one page over netlink and prints page-relative offsets
// (0x0080 onwards for an upper page). The output does not say which page it
// is, so a page dump needs its command line ("ethtool -m DEV page 0x11 bank 1
// hex on", with or without a shell prompt or '#') above it. A command line
// applies to the one dump (header) that follows it; a dump without one is a
// legacy linear dump.

// ethtoolCmd is what an "ethtool -m" command line asked for.
type ethtoolCmd struct {
	paged      bool // page, bank or i2c given: page-relative offsets
	page, bank uint8
	addr       uint8
}

// window is one 128-byte window being collected, with the line that gave
// each byte (0: not given).
type window struct {
	data [cmis.PageSize]byte
	line [cmis.PageSize]int
}

type ethtoolParser struct {
	name   string
	linear map[int]*window         // legacy linear image, by window index
	paged  map[cmis.PageID]*window // netlink page dumps
}

func readEthtool(name string, lines []string) (*Dump, error) {
	d := &Dump{Name: name, Format: EthtoolHex}
	p := &ethtoolParser{name: name, linear: map[int]*window{}, paged: map[cmis.PageID]*window{}}
	cmd := ethtoolCmd{addr: cmis.AddrA0}
	next, closed, inHeader, sawData := -1, false, true, false
	used := false // cmd has been used by a dump: the next header starts afresh
	for i, l := range lines {
		n := i + 1
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		c, isCmd, err := parseEthtoolCmd(f)
		if err != nil {
			return nil, &ParseError{File: name, Line: n, Msg: "bad ethtool command line", Err: err}
		}
		if isCmd {
			cmd, next, closed, used = c, -1, false, false
		}
		if f[0][0] == '#' {
			if inHeader {
				d.Comments = append(d.Comments, comment(l))
			}
			continue
		}
		inHeader = false
		switch {
		case isCmd:
			continue
		case len(f) == 2 && f[0] == "Offset" && f[1] == "Values":
			// Each ethtool run prints one header: a second one without a
			// command line of its own is a legacy (linear) dump.
			if used {
				cmd, used = ethtoolCmd{addr: cmis.AddrA0}, false
			}
			next, closed = -1, false
			continue
		case strings.Trim(strings.Join(f, ""), "-") == "":
			continue
		}
		off, ok := hexOffset(f[0])
		switch {
		case !ok:
			return nil, lineError(name, n, "unrecognized line %q: want ethtool hex output (\"0x0000:  18 41 ...\")", strings.TrimSpace(l))
		case closed:
			return nil, lineError(name, n, "data line after a short line; only the last line of a dump may be short")
		case next >= 0 && off != next:
			return nil, lineError(name, n, "offset 0x%04x does not follow the line before (want 0x%04x)", off, next)
		case len(f) == 1:
			return nil, lineError(name, n, "offset 0x%04x has no bytes", off)
		case len(f) > 17:
			return nil, lineError(name, n, "long line: %d bytes, want at most 16", len(f)-1)
		}
		vals, err := parseHexBytes(f[1:])
		if err != nil {
			return nil, &ParseError{File: name, Line: n, Msg: "bad data line", Err: err}
		}
		data := make([]byte, len(vals))
		for i, v := range vals {
			if v < 0 { // ethtool prints every byte; "--" is ddm's own
				return nil, lineError(name, n, "byte %d is \"--\": ethtool output has no unread bytes", i)
			}
			data[i] = byte(v)
		}
		closed, next, sawData, used = len(data) < 16, off+len(data), true, true
		if cmd.paged {
			err = p.storePaged(n, cmd, off, data)
		} else {
			err = p.storeLinear(n, off, data)
		}
		if err != nil {
			return nil, err
		}
	}
	if !sawData {
		return nil, fileError(name, "no hex data lines")
	}
	s, err := p.snapshot()
	if err != nil {
		return nil, err
	}
	d.Snapshots = []*cmis.Snapshot{s}
	return d, nil
}

// parseEthtoolCmd recognizes an "ethtool -m DEV ..." command line (after any
// prompt) and returns its page, bank and i2c arguments.
func parseEthtoolCmd(f []string) (ethtoolCmd, bool, error) {
	cmd := ethtoolCmd{addr: cmis.AddrA0}
	start := -1
	for i := 0; i+1 < len(f) && start < 0; i++ {
		if path.Base(f[i]) != "ethtool" {
			continue
		}
		for _, a := range f[i+1:] {
			if a == "-m" || a == "--module-info" || a == "--dump-module-eeprom" {
				start = i + 1
				break
			}
		}
	}
	if start < 0 {
		return cmd, false, nil
	}
	for i := start; i+1 < len(f); i++ {
		key := f[i]
		if key != "page" && key != "bank" && key != "i2c" {
			continue
		}
		v, err := strconv.ParseUint(f[i+1], 0, 8)
		if err != nil {
			return cmd, true, fmt.Errorf("%s %q: want a number 0-255", key, f[i+1])
		}
		switch key {
		case "page":
			cmd.page = uint8(v)
		case "bank":
			cmd.bank = uint8(v)
		case "i2c":
			cmd.addr = uint8(v)
		}
		cmd.paged = true
		i++
	}
	switch {
	case cmd.addr != cmis.AddrA0 && cmd.addr != cmis.AddrA2:
		return cmd, true, fmt.Errorf("i2c address 0x%02x: want 0x50 or 0x51", cmd.addr)
	case cmd.bank != 0 && (cmd.page < 0x10 || cmd.addr == cmis.AddrA2):
		return cmd, true, fmt.Errorf("page %02Xh at 0x%02x is not banked", cmd.page, cmd.addr)
	}
	return cmd, true, nil
}

// hexOffset parses an ethtool offset "0x0080:" (the colon is optional: old
// ethtool versions left it out).
func hexOffset(s string) (int, bool) {
	s, ok := strings.CutPrefix(strings.TrimSuffix(s, ":"), "0x")
	if !ok || s == "" || len(s) > 8 {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 32)
	return int(v), err == nil
}

// isEthtool reports whether text holds ethtool hex output.
func isEthtool(lines []string) bool {
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "Offset" && f[1] == "Values" {
			return true
		}
		if len(f) >= 2 && strings.HasSuffix(f[0], ":") {
			if _, ok := hexOffset(f[0]); ok {
				return true
			}
		}
	}
	return false
}

func (p *ethtoolParser) storeLinear(n, off int, data []byte) error {
	if off+len(data) > oneAddrWindows*cmis.PageSize {
		return lineError(p.name, n, "offset 0x%04x is beyond the largest linear layout", off)
	}
	for j, b := range data {
		k, o := (off+j)/cmis.PageSize, (off+j)%cmis.PageSize
		if err := store(p.linear, k, o, b, n); err != nil {
			return lineError(p.name, n, "byte 0x%04x %v", off+j, err)
		}
	}
	return nil
}

func (p *ethtoolParser) storePaged(n int, cmd ethtoolCmd, off int, data []byte) error {
	for j, b := range data {
		o := off + j
		var id cmis.PageID
		switch {
		case o >= 2*cmis.PageSize:
			return lineError(p.name, n, "offset 0x%04x is past the end of page %02Xh (0xff)", o, cmd.page)
		case o >= cmis.PageSize:
			id = cmis.PageID{Addr: cmd.addr, Bank: cmd.bank, Page: cmd.page}
		case cmd.page != 0:
			return lineError(p.name, n, "offset 0x%04x is lower memory, but the command asked for page %02Xh", o, cmd.page)
		default:
			id = cmis.PageID{Addr: cmd.addr, Lower: true}
		}
		if id.Addr == cmis.AddrA0 {
			id.Addr = 0 // the canonical spelling, as cmis.Lower and cmis.Upper
		}
		if err := store(p.paged, id, o%cmis.PageSize, b, n); err != nil {
			return lineError(p.name, n, "offset 0x%04x of %s %v", o, id, err)
		}
	}
	return nil
}

// store records byte b at index j of window key, given on line n.
func store[K comparable](m map[K]*window, key K, j int, b byte, n int) error {
	w := m[key]
	if w == nil {
		w = &window{}
		m[key] = w
	}
	if prev := w.line[j]; prev != 0 {
		return fmt.Errorf("was already given on line %d", prev)
	}
	w.data[j], w.line[j] = b, n
	return nil
}

// snapshot lays the linear image out by its identifier byte and merges the
// page dumps.
func (p *ethtoolParser) snapshot() (*cmis.Snapshot, error) {
	ks := make([]int, 0, len(p.linear))
	for k := range p.linear {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	two := false
	if len(ks) > 0 && ks[len(ks)-1] >= 2 {
		w0 := p.linear[0]
		if w0 == nil || w0.line[0] == 0 {
			return nil, lineError(p.name, firstLine(p.linear[ks[len(ks)-1]]), "bytes past 0x00ff but no identifier byte 0x0000 to choose the memory layout by")
		}
		var ok bool
		if two, ok = twoAddress(w0.data[0]); !ok {
			return nil, lineError(p.name, w0.line[0], "identifier 0x%02x: unknown module type, cannot lay out bytes past 0x00ff", w0.data[0])
		}
	}
	s := cmis.NewSnapshot()
	for _, k := range ks {
		w := p.linear[k]
		id, ok := linearWindow(two, k)
		if !ok {
			return nil, lineError(p.name, firstLine(w), "offset 0x%04x is beyond the last page of the linear layout", k*cmis.PageSize)
		}
		for j, n := range w.line {
			if n == 0 {
				continue
			}
			if pw := p.paged[id]; pw != nil && pw.line[j] != 0 {
				return nil, lineError(p.name, n, "byte 0x%04x (%s) was also given on line %d", k*cmis.PageSize+j, id, pw.line[j])
			}
			if err := s.Set(id, id.Base()+j, w.data[j:j+1]); err != nil {
				return nil, &ParseError{File: p.name, Line: n, Msg: "cannot store byte", Err: err}
			}
		}
	}
	for id, w := range p.paged {
		for j, n := range w.line {
			if n == 0 {
				continue
			}
			if err := s.Set(id, id.Base()+j, w.data[j:j+1]); err != nil {
				return nil, &ParseError{File: p.name, Line: n, Msg: "cannot store byte", Err: err}
			}
		}
	}
	return s, nil
}

// firstLine returns the first line that gave a byte of w.
func firstLine(w *window) int {
	first := 0
	for _, n := range w.line {
		if n != 0 && (first == 0 || n < first) {
			first = n
		}
	}
	return first
}

package dumpfile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ddm-agent/ddm/cmis"
)

// section is the memory a vectors section header names: the window that
// holds I2C offsets 00-7F and the one that holds 80-FF.
type section struct {
	read         int // 1 for the first read, N for "[read N: ...]"
	lo, hi       cmis.PageID
	hasLo, hasHi bool
}

// window returns the page that holds I2C offset off.
func (s section) window(off int) (cmis.PageID, bool) {
	if off < cmis.PageSize {
		return s.lo, s.hasLo
	}
	return s.hi, s.hasHi && off < 2*cmis.PageSize
}

// span describes the offsets the section holds, for messages.
func (s section) span() string {
	switch {
	case s.hasLo && s.hasHi:
		return "00-ff"
	case s.hasLo:
		return "00-7f"
	}
	return "80-ff"
}

type lineKey struct {
	read int
	id   cmis.PageID
	off  int
}

// readVectors parses the vectors text format (testdata/vectors/README.txt).
func readVectors(name string, lines []string) (*Dump, error) {
	d := &Dump{Name: name, Format: Vectors}
	// reads[0] is the first read; reads[n-1] holds only the sections of
	// "[read n: ...]".
	reads := []*cmis.Snapshot{cmis.NewSnapshot()}
	seen := map[lineKey]int{}
	var cur *section
	var curName string
	inHeader := true
	for i, l := range lines {
		n := i + 1
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if l[0] == '#' {
			if inHeader {
				d.Comments = append(d.Comments, comment(l))
			}
			continue
		}
		inHeader = false
		if l[0] == '[' {
			if !strings.HasSuffix(l, "]") {
				return nil, lineError(name, n, "section header %q has no closing ']'", l)
			}
			sec, err := parseSection(l[1 : len(l)-1])
			if err != nil {
				return nil, &ParseError{File: name, Line: n, Msg: fmt.Sprintf("bad section header %s", l), Err: err}
			}
			switch {
			case sec.read == len(reads)+1:
				reads = append(reads, cmis.NewSnapshot())
			case sec.read > len(reads)+1:
				return nil, lineError(name, n, "%s comes before any [read %d: ...] section", l, len(reads)+1)
			}
			cur, curName = &sec, l
			continue
		}
		if cur == nil {
			return nil, lineError(name, n, "data line before any section header")
		}
		off, data, err := parseDataLine(l)
		if err != nil {
			return nil, &ParseError{File: name, Line: n, Msg: "bad data line", Err: err}
		}
		if off%16 != 0 {
			return nil, lineError(name, n, "offset %02x is not a multiple of 16", off)
		}
		if off+16 > 2*cmis.PageSize {
			return nil, lineError(name, n, "offset %02x runs past ff", off)
		}
		id, ok := cur.window(off)
		if !ok {
			return nil, lineError(name, n, "offset %02x is outside section %s (offsets %s)", off, curName, cur.span())
		}
		key := lineKey{cur.read, id, off}
		if prev := seen[key]; prev != 0 {
			return nil, lineError(name, n, "duplicate line: offset %02x of %s was given on line %d", off, curName, prev)
		}
		seen[key] = n
		for j, v := range data {
			if v < 0 {
				continue // "--": a byte that was not read
			}
			if err := reads[cur.read-1].Set(id, off+j, []byte{byte(v)}); err != nil {
				return nil, &ParseError{File: name, Line: n, Msg: "cannot store line", Err: err}
			}
		}
	}
	if len(seen) == 0 {
		return nil, fileError(name, "no data lines")
	}
	base := reads[0]
	d.Snapshots = append(d.Snapshots, base)
	for _, overlay := range reads[1:] {
		s := base.Clone()
		s.Merge(overlay)
		d.Snapshots = append(d.Snapshots, s)
	}
	return d, nil
}

// parseSection parses the text between '[' and ']': an optional "read N:"
// (N 1-255; "read 1:" is the first read) then "lower", "page 11h", "page 11h bank 1", "a0", "a2", "a2 lower" or
// "a2 page 01h". Keywords are case-insensitive.
func parseSection(h string) (section, error) {
	sec := section{read: 1}
	f := strings.Fields(strings.ToLower(h))
	if len(f) >= 2 && f[0] == "read" && strings.HasSuffix(f[1], ":") {
		n, err := strconv.ParseUint(strings.TrimSuffix(f[1], ":"), 10, 8)
		if err != nil || n == 0 {
			return sec, fmt.Errorf("bad read number %q: want 1-255", f[1])
		}
		sec.read, f = int(n), f[2:]
	}
	a2 := len(f) > 0 && f[0] == "a2"
	switch strings.Join(f, " ") {
	case "lower":
		sec.lo, sec.hasLo = cmis.Lower, true
		return sec, nil
	case "a0":
		sec.lo, sec.hi, sec.hasLo, sec.hasHi = cmis.Lower, cmis.Upper(0, 0), true, true
		return sec, nil
	case "a2":
		sec.lo, sec.hi, sec.hasLo, sec.hasHi = cmis.A2Lower, cmis.A2Upper, true, true
		return sec, nil
	case "a2 lower":
		sec.lo, sec.hasLo = cmis.A2Lower, true
		return sec, nil
	}
	if a2 {
		f = f[1:]
	}
	if len(f) != 2 && len(f) != 4 || f[0] != "page" || len(f) == 4 && (a2 || f[2] != "bank") {
		return sec, fmt.Errorf("unknown section: want lower, page NNh, page NNh bank N, a0, a2, a2 lower or a2 page NNh")
	}
	page, err := parsePage(f[1])
	if err != nil {
		return sec, err
	}
	var bank uint64
	if len(f) == 4 {
		if bank, err = strconv.ParseUint(f[3], 10, 8); err != nil {
			return sec, fmt.Errorf("bad bank %q", f[3])
		}
		if bank != 0 && page < 0x10 {
			return sec, fmt.Errorf("page %02Xh is not banked (only pages 10h-FFh are)", page)
		}
	}
	sec.hi, sec.hasHi = cmis.Upper(uint8(bank), page), true
	if a2 {
		sec.hi = cmis.PageID{Addr: cmis.AddrA2, Page: page}
	}
	return sec, nil
}

// parsePage parses a page number written "11h" or "0x11".
func parsePage(s string) (uint8, error) {
	h, ok := strings.CutSuffix(s, "h")
	if !ok {
		h, ok = strings.CutPrefix(s, "0x")
	}
	v, err := strconv.ParseUint(h, 16, 8)
	if !ok || err != nil {
		return 0, fmt.Errorf("bad page %q: want hex like 11h", s)
	}
	return uint8(v), nil
}

// parseDataLine parses "XX: b0 b1 ... b15". A byte written "--" was not
// read (a partial page read by a read plan) and comes back as -1.
func parseDataLine(l string) (int, []int, error) {
	offText, rest, ok := strings.Cut(l, ":")
	if !ok {
		return 0, nil, fmt.Errorf("want \"XX: b0 .. b15\", got %q", l)
	}
	off, err := strconv.ParseUint(strings.TrimSpace(offText), 16, 16)
	if err != nil {
		return 0, nil, fmt.Errorf("bad offset %q: want hex", offText)
	}
	f := strings.Fields(rest)
	switch {
	case len(f) < 16:
		return 0, nil, fmt.Errorf("short line: %d bytes, want 16", len(f))
	case len(f) > 16:
		return 0, nil, fmt.Errorf("long line: %d bytes, want 16", len(f))
	}
	data, err := parseHexBytes(f)
	return int(off), data, err
}

// parseHexBytes parses two-digit hex bytes, and "--" for an unread byte
// (-1).
func parseHexBytes(f []string) ([]int, error) {
	data := make([]int, len(f))
	for i, s := range f {
		if s == "--" {
			data[i] = -1
			continue
		}
		v, err := strconv.ParseUint(s, 16, 8)
		if err != nil || len(s) != 2 {
			return nil, fmt.Errorf("bad hex byte %q", s)
		}
		data[i] = int(v)
	}
	return data, nil
}

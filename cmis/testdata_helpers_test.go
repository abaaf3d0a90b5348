package cmis

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// loadVector reads ../testdata/vectors/<name>.txt (the ".txt" may be given
// or left out) into a Snapshot. It is a small reader of the vectors text
// format (see testdata/vectors/README.txt) for tests inside package cmis,
// which cannot import cmis/dumpfile (that would be an import cycle):
//
//	# comment
//	[lower]              0x50 bytes 00-7F
//	[page 03h]           upper page 03h of bank 0, bytes 80-FF
//	[page 11h bank 1]    upper page 11h of bank 1
//	[a0] / [a2]          SFF-8472 0x50 / 0x51, bytes 00-FF
//	[read 2: lower]      a later read of a section
//	80: 16 hex bytes     offset of the first byte, then the bytes
//
// A later read of a section overwrites the earlier one, the way the agent
// lays a fast read over its cached static pages.
func loadVector(t testing.TB, name string) *Snapshot {
	t.Helper()
	path := filepath.Join("..", "testdata", "vectors", strings.TrimSuffix(name, ".txt")+".txt")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseVector(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

func parseVector(data []byte) (*Snapshot, error) {
	s := NewSnapshot()
	var window func(off int) PageID
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			w, err := vectorSection(strings.Trim(line, "[]"))
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			window = w
		default:
			if window == nil {
				return nil, fmt.Errorf("line %d: bytes before the first section", n)
			}
			off, b, err := vectorLine(line)
			if err == nil {
				err = s.Set(window(off), off, b)
			}
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
		}
	}
	return s, sc.Err()
}

// vectorSection maps a section header to the page that holds an offset.
func vectorSection(h string) (func(off int) PageID, error) {
	if i := strings.Index(h, ":"); strings.HasPrefix(h, "read ") && i > 0 {
		h = strings.TrimSpace(h[i+1:])
	}
	split := func(lower, upper PageID) func(int) PageID {
		return func(off int) PageID {
			if off < PageSize {
				return lower
			}
			return upper
		}
	}
	f := strings.Fields(h)
	switch {
	case h == "lower":
		return func(int) PageID { return Lower }, nil
	case h == "a0":
		return split(Lower, Upper(0, 0)), nil
	case h == "a2":
		return split(A2Lower, A2Upper), nil
	case len(f) >= 2 && f[0] == "page" && strings.HasSuffix(f[1], "h"):
		page, err := strconv.ParseUint(strings.TrimSuffix(f[1], "h"), 16, 8)
		if err != nil {
			return nil, fmt.Errorf("section [%s]: %w", h, err)
		}
		var bank uint64
		if len(f) == 4 && f[2] == "bank" {
			bank, err = strconv.ParseUint(f[3], 10, 8)
		} else if len(f) != 2 {
			err = fmt.Errorf("want [page NNh] or [page NNh bank N]")
		}
		if err != nil {
			return nil, fmt.Errorf("section [%s]: %w", h, err)
		}
		id := Upper(uint8(bank), uint8(page))
		return func(int) PageID { return id }, nil
	}
	return nil, fmt.Errorf("unknown section [%s]", h)
}

// vectorLine parses "XX: b0 b1 ... b15".
func vectorLine(line string) (int, []byte, error) {
	head, rest, ok := strings.Cut(line, ":")
	if !ok {
		return 0, nil, fmt.Errorf("want \"XX: 16 hex bytes\", got %q", line)
	}
	off, err := strconv.ParseUint(head, 16, 8)
	if err != nil {
		return 0, nil, fmt.Errorf("offset %q: %w", head, err)
	}
	f := strings.Fields(rest)
	b := make([]byte, len(f))
	for i, x := range f {
		v, err := strconv.ParseUint(x, 16, 8)
		if err != nil {
			return 0, nil, fmt.Errorf("byte %q: %w", x, err)
		}
		b[i] = byte(v)
	}
	return int(off), b, nil
}

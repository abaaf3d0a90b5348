package dumpfile_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

func TestReadErrors(t *testing.T) {
	line := " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
	hex16 := strings.Repeat("aa ", 16)
	sff := append([]byte{0x03}, make([]byte, 127)...)
	tests := []struct {
		name string
		in   string
		want string // the start of the error message
	}{
		{"empty", "", "f: empty file"},
		{"blank", "\n  \n", "f: empty file"},
		{"not a dump", "\nhello\n", "f:2: not a module dump"},
		{"comments only", "# a\n# b\n", "f: no data lines"},
		{"bad hex", "[lower]\n00:" + strings.Replace(line, "00", "zz", 1), "f:2: bad data line: bad hex byte \"zz\""},
		{"one-digit byte", "[lower]\n00:" + strings.Replace(line, "00", "0", 1), "f:2: bad data line: bad hex byte \"0\""},
		{"short line", "[lower]\n00: 01 02 03", "f:2: bad data line: short line: 3 bytes, want 16"},
		{"long line", "[lower]\n00:" + line + " 00", "f:2: bad data line: long line: 17 bytes"},
		{"no colon", "[lower]\n00" + line, "f:2: bad data line: want"},
		{"bad offset", "[lower]\nxy:" + line, "f:2: bad data line: bad offset"},
		{"offset not aligned", "# c\n[lower]\n08:" + line, "f:3: offset 08 is not a multiple of 16"},
		{"offset past ff", "[a0]\n100:" + line, "f:2: offset 100 runs past ff"},
		{"upper offset in lower", "[lower]\n80:" + line, "f:2: offset 80 is outside section [lower] (offsets 00-7f)"},
		{"lower offset in page", "[page 11h]\n70:" + line, "f:2: offset 70 is outside section [page 11h] (offsets 80-ff)"},
		{"unknown section", "[lower]\n00:" + line + "\n[eeprom]", "f:3: bad section header [eeprom]: unknown section"},
		{"unclosed section", "[lower", "f:1: section header \"[lower\" has no closing ']'"},
		{"bad page", "[page 1xh]", "f:1: bad section header [page 1xh]: bad page"},
		{"unbanked page", "[page 01h bank 1]", "f:1: bad section header [page 01h bank 1]: page 01h is not banked"},
		{"bad read", "[read x: lower]", "f:1: bad section header [read x: lower]: bad read number"},
		{"read gap", "[lower]\n00:" + line + "\n[read 3: lower]", "f:3: [read 3: lower] comes before any [read 2: ...] section"},
		{"data before section", "# c\n\n00:" + line, "f:3: data line before any section header"},
		{"duplicate line", "[lower]\n00:" + line + "\n10:" + line + "\n[a0]\n00:" + line, "f:5: duplicate line: offset 00 of [a0] was given on line 2"},
		{"duplicate in re-read", "[read 2: lower]\n00:" + line + "\n00:" + line, "f:3: duplicate line: offset 00 of [read 2: lower] was given on line 2"},

		{"ethtool unknown line", "Offset\t\tValues\n0x0000:\t" + hex16 + "\nbogus", "f:3: unrecognized line \"bogus\""},
		{"ethtool gap", "Offset\t\tValues\n0x0000:\t" + hex16 + "\n0x0020:\t" + hex16, "f:3: offset 0x0020 does not follow the line before (want 0x0010)"},
		{"ethtool after short", "Offset\t\tValues\n0x0000:\taa\n0x0001:\t" + hex16, "f:3: data line after a short line"},
		{"ethtool bad hex", "0x0000:\t" + strings.Repeat("aa ", 15) + "ag", "f:1: bad data line: bad hex byte \"ag\""},
		{"ethtool long", "0x0000:\t" + hex16 + "aa", "f:1: long line: 17 bytes"},
		{"ethtool no bytes", "Offset Values\n0x0000:", "f:2: offset 0x0000 has no bytes"},
		{"ethtool duplicate", "0x0000:\t" + hex16 + "\nOffset\t\tValues\n0x0008:\t" + hex16, "f:3: byte 0x0008 was already given on line 1"},
		{"ethtool lower of page", "ethtool -m eth0 page 3 hex on\n0x0000:\t" + hex16, "f:2: offset 0x0000 is lower memory, but the command asked for page 03h"},
		{"ethtool past page", "ethtool -m eth0 page 3 hex on\n0x00f8:\t" + hex16, "f:2: offset 0x0100 is past the end of page 03h"},
		{"ethtool bad page", "ethtool -m eth0 page 300 hex on\n0x0080:\t" + hex16, "f:1: bad ethtool command line: page \"300\""},
		{"ethtool bad i2c", "ethtool -m eth0 i2c 0x52 hex on\n0x0080:\t" + hex16, "f:1: bad ethtool command line: i2c address 0x52"},
		{"ethtool unbanked", "ethtool -m eth0 page 2 bank 1 hex on\n0x0080:\t" + hex16, "f:1: bad ethtool command line: page 02h at 0x50 is not banked"},
		{"ethtool page and linear clash", "0x0000:\t" + hex16 + "\nethtool -m eth0 page 0 hex on\n0x0000:\t" + hex16, "f:1: byte 0x0000 (lower) was also given on line 3"},
		{"ethtool no identifier", "0x0100:\t" + hex16, "f:1: bytes past 0x00ff but no identifier byte"},
		{"ethtool unknown identifier", "0x0000:\t05 " + strings.Repeat("aa ", 15) + "\n0x0010:\t" + hex16 + "\nOffset Values\n0x0100:\t" + hex16, "f:1: identifier 0x05: unknown module type"},
		{"ethtool beyond layout", "0x0000:\t03" + "\nOffset Values\n0x8180:\t" + hex16, "f:3: offset 0x8180 is beyond the last page"},
		{"ethtool beyond max", "0x7fffff00:\t" + hex16, "f:1: offset 0x7fffff00 is beyond the largest linear layout"},

		{"binary truncated", "\x18" + strings.Repeat("\x00", 299), "f: byte 300: binary image of 300 bytes: want a multiple of 128"},
		{"binary too short", "\x18" + strings.Repeat("\x00", 127), "f: byte 128: binary image of 128 bytes"},
		{"binary unknown id", "\x00" + strings.Repeat("\x00", 511), "f: byte 0: identifier 0x00: unknown module type, cannot lay out 512 bytes"},
		{"binary sff too long", string(sff) + strings.Repeat("\x00", 128*260-128), "f: byte 33152: beyond the last page"},
	}
	for _, tt := range tests {
		_, err := dumpfile.Read("f", strings.NewReader(tt.in))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		var pe *dumpfile.ParseError
		if !errors.As(err, &pe) || pe.File != "f" {
			t.Errorf("%s: %T %v, want *ParseError for file f", tt.name, err, err)
		}
		if !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s:\n got %q\nwant %q...", tt.name, err, tt.want)
		}
	}
}

type failReader struct{}

var errBroken = errors.New("broken disk")

func (failReader) Read([]byte) (int, error) { return 0, errBroken }

func TestErrorWrapping(t *testing.T) {
	_, err := dumpfile.Read("f", failReader{})
	if !errors.Is(err, errBroken) || err.Error() != "f: read failed: broken disk" {
		t.Errorf("read error: %v", err)
	}
	if _, err := dumpfile.ReadFile("testdata/does-not-exist"); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}
	_, err = dumpfile.Read("f", strings.NewReader("[page 11h bank 300]"))
	var pe *dumpfile.ParseError
	if !errors.As(err, &pe) || pe.Line != 1 || pe.Err == nil || errors.Unwrap(err) != pe.Err {
		t.Errorf("bank 300: %#v", err)
	}
	if _, err := dumpfile.Read("big", bytes.NewReader(make([]byte, 16<<20+1))); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized input: %v", err)
	}
}

func TestFormatString(t *testing.T) {
	for f, want := range map[dumpfile.Format]string{
		dumpfile.Vectors: "vectors", dumpfile.EthtoolHex: "ethtool-hex", dumpfile.Optoe: "optoe", dumpfile.Raw: "raw", 0: "Format(0)",
	} {
		if f.String() != want {
			t.Errorf("%d: %q, want %q", int(f), f.String(), want)
		}
	}
}

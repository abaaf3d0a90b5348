package dumpfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/ddm-agent/ddm/cmis"
)

// Format is the on-disk format a dump was read from.
type Format int

// The formats Read understands. Write always writes Vectors.
const (
	Vectors    Format = iota + 1 // the project's vectors text format
	EthtoolHex                   // "ethtool -m DEV [page N ...] hex on" output
	Optoe                        // an optoe sysfs eeprom file (linear layout)
	Raw                          // a raw ioctl image of 256, 512 or 640 bytes
)

func (f Format) String() string {
	switch f {
	case Vectors:
		return "vectors"
	case EthtoolHex:
		return "ethtool-hex"
	case Optoe:
		return "optoe"
	case Raw:
		return "raw"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Dump is a saved module-memory dump.
type Dump struct {
	Name   string // the name given to Read (a file name, usually)
	Format Format
	// Comments is the leading block of '#' comment lines of a text dump,
	// without the '#' and one following space.
	Comments []string
	// Snapshots holds one snapshot per read: Snapshots[0] is the first read.
	// A later read is the first with the re-read sections laid over it. Most
	// dumps hold one snapshot.
	Snapshots []*cmis.Snapshot
}

// maxSize bounds the input. The largest linear layout (optoe, bank 255,
// page FFh) is about 7.5 MiB.
const maxSize = 16 << 20

// ReadFile reads the dump in the file at path; see Read. Dump.Name is path.
// An error opening the file is returned as os.Open returns it.
func ReadFile(path string) (*Dump, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(path, f)
}

// Read reads a dump from r, detecting its format. name is used in errors and
// as Dump.Name.
//
// Text that contains ethtool hex lines ("Offset  Values" header or lines
// starting "0x0000:") is ethtool output; other text must start with '#' or
// '[' and is the vectors format. Anything that is not text (it holds control
// bytes other than tab, CR and LF, or is not UTF-8) is a binary image. Errors
// are *ParseError.
func Read(name string, r io.Reader) (*Dump, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, &ParseError{File: name, Offset: -1, Msg: "read failed", Err: err}
	}
	if len(data) > maxSize {
		return nil, fileError(name, "file is larger than %d bytes", maxSize)
	}
	if len(data) == 0 {
		return nil, fileError(name, "empty file")
	}
	if !isText(data) {
		return readBinary(name, data)
	}
	lines := splitLines(data)
	if isEthtool(lines) {
		return readEthtool(name, lines)
	}
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if l[0] == '#' || l[0] == '[' {
			return readVectors(name, lines)
		}
		return nil, lineError(name, i+1, "not a module dump: want a vectors file ('#' or '[' first), ethtool -m hex output, or a binary image")
	}
	return nil, fileError(name, "empty file (blank lines only)")
}

// isText reports whether data looks like a text file.
func isText(data []byte) bool {
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(data)
}

// splitLines splits text into lines without their line ends, dropping a
// UTF-8 byte-order mark.
func splitLines(data []byte) []string {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	s := strings.TrimSuffix(string(data), "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// comment returns the text of a '#' comment line.
func comment(line string) string {
	s := strings.TrimPrefix(strings.TrimSpace(line), "#")
	return strings.TrimPrefix(s, " ")
}

package dumpfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ddm-agent/ddm/cmis"
)

// Write writes d in the vectors text format: d.Comments as '#' lines, then
// the pages of d.Snapshots[0] in Snapshot.Pages order, one section per page
// ("[lower]", "[page 00h]", "[page 11h bank 1]", "[a2 page 01h]"), except
// that an SFF-8472 module's A0h and A2h are written as 256-byte "[a0]" and
// "[a2]" sections. A later snapshot N is written as "[read N: ...]" sections,
// only for the sections whose bytes differ from the first snapshot (or an
// empty "[read N: lower]" header when none do, to keep the count).
//
// Only whole 16-byte lines are written: a line of which any byte was not read
// is left out, so a partially read page comes back with just its fully read
// lines. Bytes a later snapshot lacks but the first holds come back from the
// first, and Snapshot.Time is not written. For a dump read in whole lines
// (every vectors file, binary image and 16-byte-aligned ethtool dump), Read
// of Write's output holds the same bytes. Write writes nothing and returns
// an error if no snapshot holds a whole line.
func Write(w io.Writer, d *Dump) error {
	if d == nil || len(d.Snapshots) == 0 {
		return errors.New("dumpfile: dump has no snapshots")
	}
	all := make([][]wsection, len(d.Snapshots))
	for i, s := range d.Snapshots {
		if s == nil {
			return fmt.Errorf("dumpfile: snapshot %d is nil", i+1)
		}
		var err error
		if all[i], err = sections(s); err != nil {
			return fmt.Errorf("dumpfile: snapshot %d: %w", i+1, err)
		}
	}
	var buf bytes.Buffer
	for _, c := range d.Comments {
		for _, l := range strings.Split(c, "\n") {
			l = strings.TrimRight(l, " \t\r")
			if l == "" {
				buf.WriteString("#\n")
			} else {
				fmt.Fprintf(&buf, "# %s\n", l)
			}
		}
	}
	first := d.Snapshots[0]
	sep := false // a section was written: the next one needs a blank line
	for _, sec := range all[0] {
		sep = writeSection(&buf, first, sec, "", sep) || sep
	}
	lines := sep
	for i, s := range d.Snapshots[1:] {
		prefix := fmt.Sprintf("read %d: ", i+2)
		wrote := false
		for _, sec := range all[i+1] {
			if differs(first, s, sec) && writeSection(&buf, s, sec, prefix, sep) {
				wrote, sep, lines = true, true, true
			}
		}
		if !wrote {
			// Nothing differs: an empty header keeps the snapshot.
			if sep {
				buf.WriteString("\n")
			}
			fmt.Fprintf(&buf, "[%slower]\n", prefix)
			sep = true
		}
	}
	if !lines {
		return errors.New("dumpfile: no snapshot holds a fully read 16-byte line")
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// wsection is one section to write: its name and the pages it holds, in
// offset order.
type wsection struct {
	name string
	ids  []cmis.PageID
}

// sections groups the pages of s into sections.
func sections(s *cmis.Snapshot) ([]wsection, error) {
	sff := isSFF8472(s)
	var out []wsection
	seen := map[cmis.PageID]bool{}
	for _, id := range s.Pages() {
		norm := normalize(id)
		if seen[norm] {
			return nil, fmt.Errorf("%s is held under two PageIDs", norm)
		}
		seen[norm] = true
		name, err := sectionName(norm, sff)
		if err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].name == name {
			out[n-1].ids = append(out[n-1].ids, id)
			continue
		}
		out = append(out, wsection{name: name, ids: []cmis.PageID{id}})
	}
	return out, nil
}

// normalize returns the canonical spelling of id: Addr 0 for 0x50, and no
// bank or page for lower memory.
func normalize(id cmis.PageID) cmis.PageID {
	if id.Addr == cmis.AddrA0 {
		id.Addr = 0
	}
	if id.Lower {
		id.Bank, id.Page = 0, 0
	}
	return id
}

// sectionName returns the header of the section that holds (normalized) id.
func sectionName(id cmis.PageID, sff bool) (string, error) {
	switch {
	case id.Addr != 0 && id.Addr != cmis.AddrA2:
		return "", fmt.Errorf("page at I2C address 0x%02x cannot be written (want 0x50 or 0x51)", id.Addr)
	case id == cmis.A2Lower || id == cmis.A2Upper:
		return "a2", nil
	case sff && (id == cmis.Lower || id == cmis.Upper(0, 0)):
		return "a0", nil
	case id.Bank != 0 && (id.Addr == cmis.AddrA2 || id.Page < 0x10):
		return "", fmt.Errorf("page %02Xh bank %d at 0x%02x cannot be written: the page is not banked", id.Page, id.Bank, id.Addr)
	}
	return id.String(), nil
}

// isSFF8472 reports whether s is an SFF-8472 module: it holds A2h memory
// or its identifier (byte 0) is one of SFF-8472's.
func isSFF8472(s *cmis.Snapshot) bool {
	for _, id := range s.Pages() {
		if id.Addr == cmis.AddrA2 {
			return true
		}
	}
	b := s.Bytes(cmis.Lower, 0, 1)
	return b != nil && cmis.FamilyOf(b[0]) == cmis.FamilySFF8472
}

// writeSection writes the lines of sec that hold any byte that was read,
// preceded by a blank line if sep; a byte not read is written "--" (a read
// plan reads part of a page: page 11h bytes 128-201 at the fast cadence).
// It reports whether it wrote anything.
func writeSection(w *bytes.Buffer, s *cmis.Snapshot, sec wsection, prefix string, sep bool) bool {
	wrote := false
	for _, id := range sec.ids {
		for off := id.Base(); off < id.Base()+cmis.PageSize; off += 16 {
			line, any := lineText(s, id, off)
			if !any {
				continue
			}
			if !wrote {
				if sep {
					w.WriteString("\n")
				}
				fmt.Fprintf(w, "[%s%s]\n", prefix, sec.name)
				wrote = true
			}
			fmt.Fprintf(w, "%02x: %s\n", off, line)
		}
	}
	return wrote
}

// lineText formats the 16 bytes at off, "--" for those not read, and
// reports whether any was read.
func lineText(s *cmis.Snapshot, id cmis.PageID, off int) (string, bool) {
	var b strings.Builder
	any := false
	for j := 0; j < 16; j++ {
		if j > 0 {
			b.WriteByte(' ')
		}
		if v := s.Bytes(id, off+j, 1); v != nil {
			fmt.Fprintf(&b, "%02x", v[0])
			any = true
		} else {
			b.WriteString("--")
		}
	}
	return b.String(), any
}

// differs reports whether s holds a byte of sec that first does not hold,
// or holds with another value.
func differs(first, s *cmis.Snapshot, sec wsection) bool {
	for _, id := range sec.ids {
		for off := id.Base(); off < id.Base()+cmis.PageSize; off++ {
			b := s.Bytes(id, off, 1)
			if b != nil && !bytes.Equal(b, first.Bytes(id, off, 1)) {
				return true
			}
		}
	}
	return false
}

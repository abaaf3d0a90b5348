package dumpfile_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

const vectorDir = "../../testdata/vectors"

// vectorFiles returns the 26 dumps in testdata/vectors (not the .expected /
// .ethtool companions).
func vectorFiles(t testing.TB) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(vectorDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range all {
		b := filepath.Base(f)
		if strings.HasSuffix(b, ".expected.txt") || strings.HasSuffix(b, ".ethtool.txt") || b == "README.txt" {
			continue
		}
		out = append(out, f)
	}
	if len(out) != 26 {
		t.Fatalf("found %d vectors, want 26", len(out))
	}
	return out
}

func readVector(t testing.TB, base string) *dumpfile.Dump {
	t.Helper()
	d, err := dumpfile.ReadFile(filepath.Join(vectorDir, base))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// diffSnapshots describes the first difference between a and b (bytes held
// and their values), or returns "".
func diffSnapshots(a, b *cmis.Snapshot) string {
	ids := map[cmis.PageID]bool{}
	for _, id := range a.Pages() {
		ids[id] = true
	}
	for _, id := range b.Pages() {
		ids[id] = true
	}
	for id := range ids {
		for off := id.Base(); off < id.Base()+cmis.PageSize; off++ {
			x, y := a.Bytes(id, off, 1), b.Bytes(id, off, 1)
			if (x == nil) != (y == nil) || x != nil && x[0] != y[0] {
				return fmt.Sprintf("%s byte %#02x: %v vs %v", id, off, x, y)
			}
		}
	}
	return ""
}

// linearImage lays s out as an n-byte linear image (ioctl / optoe), bytes not
// held filled with FFh. It is written from the layout description, apart
// from the code under test.
func linearImage(s *cmis.Snapshot, n int) []byte {
	img := make([]byte, n)
	for i := range img {
		img[i] = 0xff
	}
	for _, id := range s.Pages() {
		var at int
		switch {
		case id == cmis.Lower:
			at = 0
		case id == cmis.A2Lower:
			at = 256
		case id.Addr == cmis.AddrA2:
			at = 384 + 128*int(id.Page)
		case id.Bank > 0:
			at = 128 * (240*int(id.Bank) + int(id.Page) + 1)
		default:
			at = 128 * (int(id.Page) + 1)
		}
		if at+128 > n {
			continue
		}
		p, _ := s.Page(id)
		copy(img[at:], p)
	}
	return img
}

// ethtoolHex formats data the way ethtool's dump_hex does.
func ethtoolHex(data []byte, offset int) string {
	var b strings.Builder
	b.WriteString("Offset\t\tValues\n------\t\t------")
	for i, v := range data {
		if i%16 == 0 {
			fmt.Fprintf(&b, "\n0x%04x:\t\t", i+offset)
		}
		fmt.Fprintf(&b, "%02x ", v)
	}
	b.WriteString("\n")
	return b.String()
}

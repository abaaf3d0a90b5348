package dumpfile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

// FuzzRead checks that Read never panics, fails only with a *ParseError,
// and that what it reads survives Write and Read again (whole lines).
func FuzzRead(f *testing.F) {
	for _, v := range vectorFiles(f) {
		data, err := os.ReadFile(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	hexFiles, _ := filepath.Glob("testdata/*.hex.txt")
	for _, h := range hexFiles {
		data, err := os.ReadFile(h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	s := readVector(f, "sff8436_40g_qsfpp_dac_fs_Q28-PCxx_wobcom.txt").Snapshots[0]
	f.Add(linearImage(s, 640))
	f.Add(linearImage(s, 256))
	f.Add([]byte("# ethtool -m eth0 page 0x11 bank 1 hex on\nOffset\t\tValues\n------\t\t------\n0x0080:\t\t01 02 03 \n"))
	f.Add([]byte("[read 2: a2 page 01h]\n80: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := dumpfile.Read("fuzz", bytes.NewReader(data))
		if err != nil {
			var pe *dumpfile.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, not *ParseError: %v", err, err)
			}
			return
		}
		if len(d.Snapshots) == 0 {
			t.Fatal("no snapshots and no error")
		}
		var buf bytes.Buffer
		if err := dumpfile.Write(&buf, d); err != nil {
			if !strings.Contains(err.Error(), "no snapshot holds a fully read") {
				t.Fatalf("Write: %v", err)
			}
			return
		}
		back, err := dumpfile.Read("again", bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("reading Write's output: %v\n%s", err, buf.String())
		}
		if len(back.Snapshots) != len(d.Snapshots) {
			t.Fatalf("%d snapshots, want %d", len(back.Snapshots), len(d.Snapshots))
		}
		for i, s := range d.Snapshots {
			for _, id := range s.Pages() {
				for off := id.Base(); off < id.Base()+cmis.PageSize; off += 16 {
					want := s.Bytes(id, off, 16)
					if got := back.Snapshots[i].Bytes(id, off, 16); want != nil && !bytes.Equal(got, want) {
						t.Fatalf("snapshot %d %s line %02x: % x, want % x", i+1, id, off, got, want)
					}
				}
			}
		}
	})
}

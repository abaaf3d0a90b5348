package dumpfile_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

func TestReadAllVectors(t *testing.T) {
	for _, f := range vectorFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			d, err := dumpfile.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if d.Format != dumpfile.Vectors || d.Name != f {
				t.Errorf("Format %v Name %q, want vectors %q", d.Format, d.Name, f)
			}
			if len(d.Comments) == 0 || !strings.HasPrefix(d.Comments[0], "Module: ") {
				t.Errorf("Comments[0] = %q, want the \"Module: \" header", d.Comments)
			}
			if len(d.Snapshots) == 0 || !d.Snapshots[0].HasPage(cmis.Lower) {
				t.Fatalf("no lower memory in %d snapshots", len(d.Snapshots))
			}
			for _, s := range d.Snapshots {
				for _, id := range s.Pages() {
					if _, full := s.Page(id); !full {
						t.Errorf("%s not fully read", id)
					}
				}
			}
		})
	}
}

func TestVectorBytes(t *testing.T) {
	tests := []struct {
		file  string
		snap  int
		id    cmis.PageID
		off   int
		want  byte
		pages int // pages in the snapshot
	}{
		{"cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt", 0, cmis.Lower, 0x00, 0x19, 7},
		{"cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt", 0, cmis.Upper(0, 0x11), 0xBA, 0x42, 7},
		{"cmis_100g_qsfp_cmis_aoc_hisense_DEF8504-2C02-MB3_sonic_cict.txt", 0, cmis.Lower, 0x0F, 0x33, 3},
		{"cmis_100g_qsfp_cmis_aoc_hisense_DEF8504-2C02-MB3_sonic_cict.txt", 1, cmis.Lower, 0x0F, 0x3E, 3},
		{"cmis_100g_qsfp_cmis_aoc_hisense_DEF8504-2C02-MB3_sonic_cict.txt", 1, cmis.Upper(0, 0), 0x80, 0x1E, 3},
		{"cmis_100g_qsfp_cmis_aoc_hisense_DEF8504-2C02-MB3_sonic_cict.txt", 1, cmis.Upper(0, 0x11), 0x80, 0x44, 3},
		// Upper page 00h printed before lower.
		{"sff8436_40g_qsfpp_dac_oem_QSFP-H40G-CU1M_sfppi.txt", 0, cmis.Lower, 0x00, 0x0D, 2},
		{"sff8436_40g_qsfpp_dac_oem_QSFP-H40G-CU1M_sfppi.txt", 0, cmis.Upper(0, 0), 0xFF, 0x20, 2},
		{"cmis_400g_qsfpdd_zrplus_acacia_DP04QSDD-E30-440A_sfppi.txt", 0, cmis.Upper(0, 0x2A), 0x80, 0x18, 22},
		// SFF-8472: a0 -> Lower + Upper(0,0), a2 -> A2Lower + A2Upper.
		{"sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom.txt", 0, cmis.Lower, 0x00, 0x03, 4},
		{"sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom.txt", 0, cmis.Upper(0, 0), 0xE6, 0x46, 4},
		{"sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom.txt", 0, cmis.A2Lower, 0x00, 0x5A, 4},
		{"sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom.txt", 0, cmis.A2Lower, 0x5F, 0x70, 4},
		{"sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom.txt", 0, cmis.A2Upper, 0x80, 0x00, 4},
		{"sff8472_brocade_57-1000042-02_nodom_wobcom.txt", 0, cmis.Upper(0, 0), 0xF0, 0xA7, 2},
	}
	for _, tt := range tests {
		d := readVector(t, tt.file)
		if tt.snap >= len(d.Snapshots) {
			t.Errorf("%s: %d snapshots, want > %d", tt.file, len(d.Snapshots), tt.snap)
			continue
		}
		s := d.Snapshots[tt.snap]
		if n := len(s.Pages()); n != tt.pages {
			t.Errorf("%s: snapshot %d holds %d pages %v, want %d", tt.file, tt.snap, n, s.Pages(), tt.pages)
		}
		b := s.Bytes(tt.id, tt.off, 1)
		if b == nil || b[0] != tt.want {
			t.Errorf("%s: snapshot %d %s byte %#02x = %v, want %#02x", tt.file, tt.snap, tt.id, tt.off, b, tt.want)
		}
	}
}

func TestSnapshotCounts(t *testing.T) {
	for _, f := range vectorFiles(t) {
		d := readVector(t, filepath.Base(f))
		want := 1
		if strings.Contains(f, "hisense") {
			want = 2
		}
		if len(d.Snapshots) != want {
			t.Errorf("%s: %d snapshots, want %d", filepath.Base(f), len(d.Snapshots), want)
		}
	}
}

func TestRoundTripVectors(t *testing.T) {
	for _, f := range vectorFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			d := readVector(t, filepath.Base(f))
			var buf bytes.Buffer
			if err := dumpfile.Write(&buf, d); err != nil {
				t.Fatal(err)
			}
			back, err := dumpfile.Read("roundtrip", &buf)
			if err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			if len(back.Snapshots) != len(d.Snapshots) {
				t.Fatalf("%d snapshots, want %d", len(back.Snapshots), len(d.Snapshots))
			}
			for i := range d.Snapshots {
				if diff := diffSnapshots(d.Snapshots[i], back.Snapshots[i]); diff != "" {
					t.Errorf("snapshot %d: %s", i+1, diff)
				}
			}
			if strings.Join(back.Comments, "\n") != strings.Join(d.Comments, "\n") {
				t.Errorf("comments changed:\n%q\n%q", back.Comments, d.Comments)
			}
		})
	}
}

func TestWriteLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := dumpfile.Write(&buf, readVector(t, "cmis_100g_qsfp_cmis_aoc_hisense_DEF8504-2C02-MB3_sonic_cict.txt")); err != nil {
		t.Fatal(err)
	}
	var headers []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(l, "[") {
			headers = append(headers, l)
		}
	}
	// Page 11h belongs to the first read too (a plain section), so read 2
	// differs only in lower memory.
	want := "[lower] [page 00h] [page 11h] [read 2: lower]"
	if got := strings.Join(headers, " "); got != want {
		t.Errorf("headers %q, want %q", got, want)
	}

	buf.Reset()
	if err := dumpfile.Write(&buf, readVector(t, "sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom.txt")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\n[a0]\n00: 03 04 07 20") || !strings.Contains(buf.String(), "\n[a2]\n00: 5a 00 e7 00") ||
		!strings.Contains(buf.String(), "\nf0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n") {
		t.Errorf("SFF-8472 not written as [a0]/[a2]:\n%s", buf.String())
	}
}

// A partially read page is written as its fully read lines only; banked
// pages and A2h pages keep their sections.
func TestWritePartial(t *testing.T) {
	s := cmis.NewSnapshot()
	line := bytes.Repeat([]byte{0xAB}, 16)
	must(t, s.Set(cmis.Lower, 0x00, []byte{0x19}))
	must(t, s.Set(cmis.Lower, 0x10, line))
	must(t, s.Set(cmis.Lower, 0x20, line[:15])) // not a whole line: the 16th byte is "--"
	must(t, s.Set(cmis.Upper(1, 0x11), 0xF0, line))
	s2 := s.Clone()
	must(t, s2.Set(cmis.Upper(1, 0x11), 0x80, line))
	d := &dumpfile.Dump{Comments: []string{"made by hand", "", "two lines\nin one"}, Snapshots: []*cmis.Snapshot{s, s2}}
	var buf bytes.Buffer
	must(t, dumpfile.Write(&buf, d))
	want := `# made by hand
#
# two lines
# in one
[lower]
00: 19 -- -- -- -- -- -- -- -- -- -- -- -- -- -- --
10: ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab
20: ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab --

[page 11h bank 1]
f0: ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab

[read 2: page 11h bank 1]
80: ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab
f0: ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	back, err := dumpfile.Read("partial", &buf)
	must(t, err)
	if b := back.Snapshots[1].Bytes(cmis.Upper(1, 0x11), 0x80, 16); !bytes.Equal(b, line) {
		t.Errorf("read 2 page 11h bank 1 = %x", b)
	}
	if back.Snapshots[0].HasPage(cmis.Upper(1, 0x11)) && back.Snapshots[0].Has(cmis.Upper(1, 0x11), 0x80, 1) {
		t.Error("read 2 bytes leaked into read 1")
	}

	a2 := cmis.NewSnapshot()
	must(t, a2.SetPage(cmis.A2Lower, make([]byte, 128)))
	must(t, a2.SetPage(cmis.PageID{Addr: cmis.AddrA2, Page: 1}, make([]byte, 128)))
	buf.Reset()
	must(t, dumpfile.Write(&buf, &dumpfile.Dump{Snapshots: []*cmis.Snapshot{a2}}))
	if !strings.Contains(buf.String(), "[a2]\n00:") || !strings.Contains(buf.String(), "\n[a2 page 01h]\n80:") {
		t.Errorf("A2h pages:\n%s", buf.String())
	}
	back, err = dumpfile.Read("a2", &buf)
	must(t, err)
	if diff := diffSnapshots(a2, back.Snapshots[0]); diff != "" {
		t.Error(diff)
	}
}

func TestWriteErrors(t *testing.T) {
	bad := cmis.NewSnapshot()
	must(t, bad.SetPage(cmis.PageID{Bank: 1, Page: 2}, make([]byte, 128)))
	odd := cmis.NewSnapshot()
	must(t, odd.SetPage(cmis.PageID{Addr: 0x56, Lower: true}, make([]byte, 128)))
	for name, d := range map[string]*dumpfile.Dump{
		"nil":           nil,
		"no snapshots":  {},
		"nil snapshot":  {Snapshots: []*cmis.Snapshot{nil}},
		"unbanked page": {Snapshots: []*cmis.Snapshot{bad}},
		"address 0x56":  {Snapshots: []*cmis.Snapshot{odd}},
	} {
		if err := dumpfile.Write(&bytes.Buffer{}, d); err == nil {
			t.Errorf("%s: Write succeeded", name)
		}
	}
}

// TestPartialLines: bytes a read plan did not read are written "--" and
// stay unread after reading back (page 11h bytes 128-201 at the fast
// cadence end mid-line).
func TestPartialLines(t *testing.T) {
	s := cmis.NewSnapshot()
	must(t, s.Set(cmis.Lower, 0, []byte{1, 2, 3}))
	must(t, s.Set(cmis.Upper(1, 0x11), 128, bytes.Repeat([]byte{0xab}, 74)))
	var buf bytes.Buffer
	if err := dumpfile.Write(&buf, &dumpfile.Dump{Snapshots: []*cmis.Snapshot{s}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "00: 01 02 03 -- --") || !strings.Contains(buf.String(), "c0: ab ab ab ab ab ab ab ab ab ab -- --") {
		t.Errorf("partial lines:\n%s", buf.String())
	}
	d, err := dumpfile.Read("p.txt", bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got := d.Snapshots[0]
	if !got.Has(cmis.Lower, 0, 3) || got.Has(cmis.Lower, 3, 1) || !got.Has(cmis.Upper(1, 0x11), 128, 74) || got.Has(cmis.Upper(1, 0x11), 202, 1) {
		t.Error("read back holds other bytes than were written")
	}
}

// Sections may give only some lines; headers accept the spellings Write
// uses and a few more.
func TestReadSections(t *testing.T) {
	text := `[page 0x11 BANK 2]
c0: 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10
[a2 lower]
00: FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF
[a2 page 02h]
f0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01
[lower]
70: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
[read 2: a0]
80: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
`
	d, err := dumpfile.Read("sections.txt", strings.NewReader(text))
	must(t, err)
	s := d.Snapshots[0]
	checks := []struct {
		id   cmis.PageID
		off  int
		want byte
	}{
		{cmis.Upper(2, 0x11), 0xC3, 0x04},
		{cmis.A2Lower, 0x0F, 0xFF},
		{cmis.PageID{Addr: cmis.AddrA2, Page: 2}, 0xFF, 0x01},
		{cmis.Lower, 0x70, 0x00},
	}
	for _, c := range checks {
		if b := s.Bytes(c.id, c.off, 1); b == nil || b[0] != c.want {
			t.Errorf("%s byte %#x = %v, want %#x", c.id, c.off, b, c.want)
		}
	}
	if s.Has(cmis.Upper(2, 0x11), 0xB0, 1) || s.Has(cmis.Lower, 0x00, 1) || s.HasPage(cmis.Upper(0, 0)) {
		t.Error("bytes not given are marked read")
	}
	if len(d.Snapshots) != 2 || !d.Snapshots[1].Has(cmis.Upper(0, 0), 0x80, 16) || !d.Snapshots[1].Has(cmis.Upper(2, 0x11), 0xC0, 16) {
		t.Errorf("read 2: %d snapshots", len(d.Snapshots))
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWriteSFF8472Identifiers: a module SFF-8472 describes is written as
// [a0] whatever its identifier (GBIC, soldered, SFP, DWDM-SFP), even when
// only its A0h was read: the identifiers are cmis.FamilyOf's, not a copy
// (which once left DWDM-SFP 0Bh out and wrote its A0h as CMIS pages).
func TestWriteSFF8472Identifiers(t *testing.T) {
	for _, id := range cmis.SFF8472Identifiers() {
		s := cmis.NewSnapshot()
		must(t, s.Set(cmis.Lower, 0, append([]byte{id}, bytes.Repeat([]byte{0x11}, 127)...)))
		must(t, s.Set(cmis.Upper(0, 0), 128, bytes.Repeat([]byte{0x22}, 128)))
		var buf bytes.Buffer
		if err := dumpfile.Write(&buf, &dumpfile.Dump{Snapshots: []*cmis.Snapshot{s}}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), "[a0]\n") || strings.Contains(buf.String(), "[page 00h]") {
			t.Errorf("identifier %02Xh: not written as [a0]:\n%s", id, buf.String())
		}
	}
}

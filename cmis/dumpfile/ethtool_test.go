package dumpfile_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

// The committed files in testdata/ (see testdata/README.md) hold exactly the
// bytes of the vectors they were made from.
func TestEthtoolTestdata(t *testing.T) {
	tests := []struct{ file, vector string }{
		{"sff8636_ir4_ioctl640.hex.txt", "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom.txt"},
		{"sff8472_flexoptix_ioctl512.hex.txt", "sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom.txt"},
		{"cmis_dr8_ioctl512_pages.hex.txt", "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt"},
	}
	for _, tt := range tests {
		d, err := dumpfile.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if d.Format != dumpfile.EthtoolHex || len(d.Snapshots) != 1 {
			t.Errorf("%s: format %v, %d snapshots", tt.file, d.Format, len(d.Snapshots))
		}
		if diff := diffSnapshots(readVector(t, tt.vector).Snapshots[0], d.Snapshots[0]); diff != "" {
			t.Errorf("%s: %s", tt.file, diff)
		}
	}
}

// Every vector, printed as "ethtool -m DEV hex on" (the legacy linear image)
// followed by "ethtool -m DEV page N [bank N] [i2c 0x51] hex on" for the
// pages the image does not hold, reads back to the same bytes.
func TestEthtoolFromVectors(t *testing.T) {
	for _, f := range vectorFiles(t) {
		want := readVector(t, filepath.Base(f)).Snapshots[0]
		text := ethtoolText(want)
		d, err := dumpfile.Read(filepath.Base(f), strings.NewReader(text))
		if err != nil {
			t.Errorf("%v\n%s", err, text)
			continue
		}
		if diff := diffSnapshots(want, d.Snapshots[0]); diff != "" {
			t.Errorf("%s: %s", filepath.Base(f), diff)
		}
	}
}

// ethtoolText prints s as ethtool would: the legacy image, then single pages.
func ethtoolText(s *cmis.Snapshot) string {
	var b strings.Builder
	sff := s.HasPage(cmis.A2Lower)
	if id := s.Bytes(cmis.Lower, 0, 1); id != nil && id[0] == 0x03 {
		sff = true
	}
	n := 256
	switch {
	case sff && s.HasPage(cmis.A2Lower) && s.HasPage(cmis.A2Upper):
		n = 512
	case !sff:
		for p := uint8(1); p <= 3 && s.HasPage(cmis.Upper(0, p)); p++ {
			n += 128
		}
	}
	b.WriteString("$ ethtool -m eth0 hex on\n")
	b.WriteString(ethtoolHex(linearImage(s, n), 0))
	for _, id := range s.Pages() {
		switch {
		case id == cmis.Lower, id == cmis.Upper(0, 0), sff && (id == cmis.A2Lower || id == cmis.A2Upper):
			continue
		case !sff && id.Bank == 0 && id.Page >= 1 && id.Page <= 3 && n > 128*(int(id.Page)+1):
			continue
		}
		cmd := fmt.Sprintf("page 0x%02x", id.Page)
		if id.Bank != 0 {
			cmd += fmt.Sprintf(" bank %d", id.Bank)
		}
		if id.Addr == cmis.AddrA2 {
			cmd += " i2c 0x51"
		}
		p, _ := s.Page(id)
		fmt.Fprintf(&b, "$ ethtool -m eth0 %s hex on\n%s", cmd, ethtoolHex(p, id.Base()))
	}
	return b.String()
}

func TestEthtoolPaged(t *testing.T) {
	page := make([]byte, 128)
	for i := range page {
		page[i] = byte(i)
	}
	tests := []struct {
		name string
		text string
		id   cmis.PageID
		off  int
		want []byte
	}{
		{"bank 1", "# ethtool -m eth0 page 0x11 bank 1 hex on\n" + ethtoolHex(page, 128),
			cmis.Upper(1, 0x11), 0x80, page},
		{"A2h lower", "ethtool --module-info eth0 i2c 0x51 hex on\n" + ethtoolHex(page, 0),
			cmis.A2Lower, 0x00, page},
		{"A2h page 0 upper", "sudo /sbin/ethtool -m eth0 page 0 i2c 81 offset 128 hex on\n" + ethtoolHex(page, 128),
			cmis.A2Upper, 0x80, page},
		{"page 0 lower", "ethtool -m eth0 page 0 hex on\n" + ethtoolHex(page[:16], 0),
			cmis.Lower, 0x00, page[:16]},
		// offset/length without page stay linear (legacy ioctl).
		{"legacy partial", "ethtool -m eth0 offset 0x94 length 20 hex on\n" + ethtoolHex(page[:20], 0x94),
			cmis.Upper(0, 0), 0x94, page[:20]},
		// Old ethtool printed no colon; CRLF line ends.
		{"no colon", strings.ReplaceAll(strings.ReplaceAll(ethtoolHex(page[:32], 0), ":", ""), "\n", "\r\n"),
			cmis.Lower, 0x00, page[:32]},
		{"page then legacy", "ethtool -m eth0 page 0x11 hex on\n" + ethtoolHex(page[:16], 0x80) + ethtoolHex(page[:16], 0x80),
			cmis.Upper(0, 0), 0x80, page[:16]},
		{"header only once", "Offset\t\tValues\n0x0000:\t" + strings.Repeat("aa ", 16) + "\n0x0010:\t" + strings.Repeat("bb ", 3),
			cmis.Lower, 0x0E, []byte{0xAA, 0xAA, 0xBB, 0xBB, 0xBB}},
	}
	for _, tt := range tests {
		d, err := dumpfile.Read(tt.name, strings.NewReader(tt.text))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		s := d.Snapshots[0]
		if got := s.Bytes(tt.id, tt.off, len(tt.want)); string(got) != string(tt.want) {
			t.Errorf("%s: %s at %#x = % x, want % x (pages %v)", tt.name, tt.id, tt.off, got, tt.want, s.Pages())
		}
		if s.Has(tt.id, tt.off+len(tt.want), 1) {
			t.Errorf("%s: byte after the dump is marked read", tt.name)
		}
	}
}

package dumpfile_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

// Raw ioctl images: 256 (lower + 00h, or SFF-8472 A0h), 512 (CMIS lower +
// 00h-02h, or A0h + A2h) and 640 (SFF-8636 lower + 00h-03h).
func TestReadRaw(t *testing.T) {
	tests := []struct {
		vector string
		n      int
	}{
		{"cmis_qsfpdd_dac_cisco_68-103205-02_xcvr-emu.txt", 256},
		{"sff8472_brocade_57-1000042-02_nodom_wobcom.txt", 256},
		{"sff8472_10g_sfpp_lr_arista_SFP-10GLR-31_sfppi.txt", 512},
		{"cmis_800g_osfp_aec_credo_CAC845301A2NC2XA_xai_link_flap_port0.txt", 512},
		{"sff8436_40g_qsfpp_dac_fs_Q28-PCxx_wobcom.txt", 640},
	}
	for _, tt := range tests {
		want := readVector(t, tt.vector).Snapshots[0]
		img := linearImage(want, tt.n)
		d, err := dumpfile.Read(tt.vector+".bin", bytes.NewReader(img))
		if err != nil {
			t.Errorf("%s: %v", tt.vector, err)
			continue
		}
		if d.Format != dumpfile.Raw {
			t.Errorf("%s: format %v, want raw", tt.vector, d.Format)
		}
		got := d.Snapshots[0]
		if len(got.Pages()) != tt.n/128 {
			t.Errorf("%s: %d pages %v, want %d", tt.vector, len(got.Pages()), got.Pages(), tt.n/128)
		}
		for _, id := range got.Pages() {
			p, _ := got.Page(id)
			w, _ := want.Page(id)
			if !bytes.Equal(p, w) {
				t.Errorf("%s: %s differs", tt.vector, id)
			}
		}
	}
}

// optoe files: the one-address layout (with bank 1 pages past page FFh of
// bank 0) and the SFF-8472 two-address layout, written to disk and read
// with ReadFile.
func TestReadOptoe(t *testing.T) {
	dir := t.TempDir()

	// CMIS: the DR8 dump plus a bank-1 copy of page 11h with other bytes.
	s := readVector(t, "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt").Snapshots[0].Clone()
	p11, _ := s.Page(cmis.Upper(0, 0x11))
	b1 := make([]byte, 128)
	for i := range b1 {
		b1[i] = p11[i] ^ 0x5A
	}
	must(t, s.SetPage(cmis.Upper(1, 0x11), b1))
	n := 128 * (240*1 + 0x11 + 2) // through bank 1 page 11h
	img := linearImage(s, n)
	if !bytes.Equal(img[33024:33152], b1) {
		t.Fatal("test layout: bank 1 page 11h is not at 33024 (HLD: bank 1 page 10h byte 128 = 32896)")
	}
	path := filepath.Join(dir, "eeprom")
	must(t, os.WriteFile(path, img, 0o644))
	d, err := dumpfile.ReadFile(path)
	must(t, err)
	if d.Format != dumpfile.Optoe || d.Name != path {
		t.Errorf("format %v name %q", d.Format, d.Name)
	}
	got := d.Snapshots[0]
	for _, id := range s.Pages() {
		p, full := got.Page(id)
		w, _ := s.Page(id)
		if !full || !bytes.Equal(p, w) {
			t.Errorf("%s differs", id)
		}
	}
	// Absent pages are stored as read (FFh); the decoder decides.
	if p, full := got.Page(cmis.Upper(0, 0xFF)); !full || p[0] != 0xFF {
		t.Error("page FFh of bank 0 not stored")
	}
	if !got.HasPage(cmis.Upper(1, 0x10)) || got.HasPage(cmis.Upper(1, 0x0F)) || got.HasPage(cmis.Upper(1, 0x12)) {
		t.Errorf("bank 1 pages: %v", got.Pages()[len(got.Pages())-3:])
	}
	if len(got.Pages()) != 1+256+2 {
		t.Errorf("%d pages, want 259", len(got.Pages()))
	}

	// SFF-8472 (optoe2): A0h, A2h, A2h pages 01h and 02h.
	a := readVector(t, "sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom.txt").Snapshots[0].Clone()
	a2p1 := bytes.Repeat([]byte{0x11}, 128)
	a2p2 := bytes.Repeat([]byte{0x22}, 128)
	must(t, a.SetPage(cmis.PageID{Addr: cmis.AddrA2, Page: 1}, a2p1))
	must(t, a.SetPage(cmis.PageID{Addr: cmis.AddrA2, Page: 2}, a2p2))
	img = linearImage(a, 768)
	if img[512] != 0x11 || img[640] != 0x22 {
		t.Fatal("test layout: A2h page 01h not at 512")
	}
	d, err = dumpfile.Read("optoe2", bytes.NewReader(img))
	must(t, err)
	if d.Format != dumpfile.Optoe {
		t.Errorf("format %v", d.Format)
	}
	if diff := diffSnapshots(a, d.Snapshots[0]); diff != "" {
		t.Error(diff)
	}
}

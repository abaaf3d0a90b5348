package i2c

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

const (
	vecDR8   = "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40"
	vecEOL   = "cmis_800g_qsfpdd_eoptolink_EOLD-168HG-10-1_sfppi"
	vecIR4   = "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom"
	vecSFPLR = "sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom"
)

// vector returns the first snapshot of a saved test vector.
func vector(t *testing.T, name string) *cmis.Snapshot {
	t.Helper()
	d, err := dumpfile.ReadFile(filepath.Join("..", "testdata", "vectors", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return d.Snapshots[0]
}

// window returns a 128-byte window a vector holds in full.
func window(t *testing.T, s *cmis.Snapshot, id cmis.PageID) []byte {
	t.Helper()
	b, ok := s.Page(id)
	if !ok {
		t.Fatalf("vector lacks %v", id)
	}
	return b
}

// Driver layout, written out from the optoe layout comment and the SONiC
// HLD independently of optoeLayout: window k is file bytes [128k, 128k+128).
func oneAddrWindow(bank, page, bankPages int) int {
	if bank == 0 || page < 0x10 {
		return page + 1
	}
	return bank*bankPages + page + 1
}

func twoAddrWindow(page int) int { return page + 3 } // A2h page N; A2h lower is window 2

// optoeDevice writes a sysfs-like optoe device directory: eeprom (size
// bytes, 0xEE where no window was given), dev_class, and bank_size unless
// bankSize < 0 (the stock driver has none). It returns the eeprom path.
func optoeDevice(t *testing.T, class, bankSize, size int, windows map[int][]byte) string {
	t.Helper()
	dir := t.TempDir()
	img := bytes.Repeat([]byte{0xEE}, size)
	for k, b := range windows {
		copy(img[k*128:(k+1)*128], b)
	}
	path := filepath.Join(dir, "eeprom")
	files := map[string]string{"eeprom": string(img), "dev_class": fmt.Sprintf("%d\n", class)}
	if bankSize >= 0 {
		files["bank_size"] = fmt.Sprintf("%d\n", bankSize)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// openOptoe opens an optoe file with the rules a Reader gives it.
func openOptoe(t *testing.T, path string, opts OptoeOptions) *Guard {
	t.Helper()
	o, err := OpenOptoe(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	if err := o.SetRules(testRules()); err != nil {
		t.Fatal(err)
	}
	return o
}

// optoeOf returns the driver file behind an optoe Memory.
func optoeOf(g *Guard) *optoeFile { return g.link.(*optoeFile) }

// readRange reads off..off+n of (addr, bank, page) and fails the test on error.
func readRange(t *testing.T, m Memory, addr, bank, page uint8, off, n int) []byte {
	t.Helper()
	p := make([]byte, n)
	if err := m.Read(context.Background(), addr, bank, page, off, p); err != nil {
		t.Fatalf("read addr 0x%02X bank %d page %02Xh offset %d: %v", addr, bank, page, off, err)
	}
	return p
}

const stockSize = (1 + 256) * 128 // the stock driver's one-address file

func TestOptoeOneAddress(t *testing.T) {
	for _, tc := range []struct {
		vec   string
		class int
		pages []uint8
	}{
		{vecDR8, OptoeCMIS, []uint8{0x00, 0x01, 0x02, 0x03, 0x10, 0x11}},
		{vecIR4, OptoeQSFP, []uint8{0x00, 0x01, 0x02, 0x03}},
	} {
		t.Run(tc.vec, func(t *testing.T) {
			s := vector(t, tc.vec)
			w := map[int][]byte{0: window(t, s, cmis.Lower)}
			for _, pg := range tc.pages {
				w[oneAddrWindow(0, int(pg), 240)] = window(t, s, cmis.Upper(0, pg))
			}
			o := openOptoe(t, optoeDevice(t, tc.class, -1, stockSize, w), OptoeOptions{})
			if got, want := readRange(t, o, 0x50, 0, 0, 0, 128), window(t, s, cmis.Lower); !bytes.Equal(got, want) {
				t.Errorf("lower memory:\n got %x\nwant %x", got, want)
			}
			// Lower memory is the same whatever page is named.
			if got, want := readRange(t, o, 0x50, 0, 0x11, 3, 21), window(t, s, cmis.Lower)[3:24]; !bytes.Equal(got, want) {
				t.Errorf("lower 3-23 named with page 11h:\n got %x\nwant %x", got, want)
			}
			for _, pg := range tc.pages {
				want := window(t, s, cmis.Upper(0, pg))
				if got := readRange(t, o, 0x50, 0, pg, 128, 128); !bytes.Equal(got, want) {
					t.Errorf("page %02Xh:\n got %x\nwant %x", pg, got, want)
				}
			}
			if tc.class == OptoeCMIS {
				// The fast cadence's read: page 11h bytes 128-201.
				want := window(t, s, cmis.Upper(0, 0x11))[:74]
				if got := readRange(t, o, 0x50, 0, 0x11, 128, 74); !bytes.Equal(got, want) {
					t.Errorf("page 11h 128-201:\n got %x\nwant %x", got, want)
				}
			}
			st := o.Stats()
			wantTx := int64(2 + len(tc.pages))
			if tc.class == OptoeCMIS {
				wantTx++
			}
			if st.Transactions != wantTx || st.PageSelects != 0 || st.Errors != 0 {
				t.Errorf("stats %+v: want %d transactions, no page selects, no errors", st, wantTx)
			}
		})
	}
}

func TestOptoeBanks(t *testing.T) {
	dr8, eol := vector(t, vecDR8), vector(t, vecEOL)
	bank0 := window(t, dr8, cmis.Upper(0, 0x11))
	bank1 := window(t, eol, cmis.Upper(0, 0x11)) // a second real module's page 11h stands in for bank 1
	page01 := window(t, dr8, cmis.Upper(0, 0x01))
	for _, bankPages := range []int{OptoeBankPagesHLD, OptoeBankPagesFull} {
		t.Run(fmt.Sprint(bankPages), func(t *testing.T) {
			const banks = 2
			size := (banks*bankPages + 16 + 1) * 128
			path := optoeDevice(t, OptoeCMIS, banks, size, map[int][]byte{
				0:                                 window(t, dr8, cmis.Lower),
				oneAddrWindow(0, 0x01, bankPages): page01,
				oneAddrWindow(0, 0x11, bankPages): bank0,
				oneAddrWindow(1, 0x11, bankPages): bank1,
			})
			o := openOptoe(t, path, OptoeOptions{BankPages: bankPages})
			if got := readRange(t, o, 0x50, 1, 0x11, 128, 128); !bytes.Equal(got, bank1) {
				t.Errorf("bank 1 page 11h:\n got %x\nwant %x", got, bank1)
			}
			if got := readRange(t, o, 0x50, 0, 0x11, 128, 74); !bytes.Equal(got, bank0[:74]) {
				t.Errorf("bank 0 page 11h:\n got %x\nwant %x", got, bank0[:74])
			}
			// Page 01h is not banked: bank 1 reads the one page 01h.
			if got := readRange(t, o, 0x50, 1, 0x01, 128, 128); !bytes.Equal(got, page01) {
				t.Errorf("bank 1 page 01h:\n got %x\nwant %x", got, page01)
			}
			// Wrong block size: the other option reads somewhere else.
			other := OptoeBankPagesHLD + OptoeBankPagesFull - bankPages
			o2 := openOptoe(t, path, OptoeOptions{BankPages: other})
			p := make([]byte, 128)
			if err := o2.Read(context.Background(), 0x50, 1, 0x11, 128, p); err == nil && bytes.Equal(p, bank1) {
				t.Errorf("BankPages %d read bank 1 of a %d-page layout", other, bankPages)
			}
			err := o.Read(context.Background(), 0x50, banks, 0x11, 128, p)
			if !errors.Is(err, ErrNotSupported) || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "bank_size is 2") {
				t.Errorf("bank 2 with bank_size 2: %v", err)
			}
		})
	}
}

// TestOptoeLinearOffsets pins the layout to the SONiC HLD's offset table
// (§7.4.1, page 11h byte 128 of banks 0-3) and the optoe comment.
func TestOptoeLinearOffsets(t *testing.T) {
	cmis240 := optoeLayout{class: OptoeCMIS, banks: 4, bankPages: 240}
	cmis256 := optoeLayout{class: OptoeCMIS, banks: 4, bankPages: 256}
	sfp := optoeLayout{class: OptoeSFP}
	for _, tc := range []struct {
		l          optoeLayout
		addr       uint8
		bank, page uint8
		off        int
		want       int64
	}{
		{cmis240, 0x50, 0, 0x00, 14, 14},
		{cmis240, 0x50, 0, 0x00, 128, 128},
		{cmis240, 0x50, 0, 0x11, 128, 2304},
		{cmis240, 0x50, 1, 0x11, 128, 33024},
		{cmis240, 0x50, 2, 0x11, 128, 63744},
		{cmis240, 0x50, 3, 0x11, 131, 94467},
		{cmis240, 0x50, 0, 0x10, 128, 2176},
		{cmis240, 0x50, 0, 0xFF, 255, 32895},
		{cmis240, 0x50, 1, 0x10, 128, 32896},
		{cmis240, 0x50, 1, 0xFF, 255, 63615},
		{cmis256, 0x50, 1, 0x11, 128, 35072},
		{sfp, 0x50, 0, 0, 96, 96},
		{sfp, 0x50, 0, 0, 200, 200},
		{sfp, 0x51, 0, 0, 96, 352},
		{sfp, 0x51, 0, 0, 128, 384},
		{sfp, 0x51, 0, 1, 130, 514},
	} {
		got, err := tc.l.offset(tc.addr, tc.bank, tc.page, tc.off)
		if err != nil || got != tc.want {
			t.Errorf("class %d/%d addr 0x%02X bank %d page %02Xh byte %d: got %d, %v; want %d", tc.l.class, tc.l.bankPages, tc.addr, tc.bank, tc.page, tc.off, got, err, tc.want)
		}
	}
}

func TestOptoeSFF8472(t *testing.T) {
	s := vector(t, vecSFPLR)
	a0lo, a0hi := window(t, s, cmis.Lower), window(t, s, cmis.Upper(0, 0))
	a2lo, a2hi := window(t, s, cmis.A2Lower), window(t, s, cmis.A2Upper)
	path := optoeDevice(t, OptoeSFP, -1, (3+256)*128, map[int][]byte{
		0: a0lo, 1: a0hi, 2: a2lo, twoAddrWindow(0): a2hi,
	})
	o := openOptoe(t, path, OptoeOptions{})
	if got := readRange(t, o, 0x50, 0, 0, 128, 128); !bytes.Equal(got, a0hi) {
		t.Errorf("A0h 128-255:\n got %x\nwant %x", got, a0hi)
	}
	// A2h: thresholds (0-39) and the live diagnostics (96-105).
	if got := readRange(t, o, 0x51, 0, 0, 0, 40); !bytes.Equal(got, a2lo[:40]) {
		t.Errorf("A2h thresholds:\n got %x\nwant %x", got, a2lo[:40])
	}
	if got := readRange(t, o, 0x51, 0, 0, 96, 10); !bytes.Equal(got, a2lo[96:106]) {
		t.Errorf("A2h diagnostics:\n got %x\nwant %x", got, a2lo[96:106])
	}
	if got := readRange(t, o, 0x51, 0, 0, 128, 128); !bytes.Equal(got, a2hi) {
		t.Errorf("A2h page 00h:\n got %x\nwant %x", got, a2hi)
	}
	p := make([]byte, 8)
	for _, tc := range []struct {
		addr, bank, page uint8
		off              int
	}{
		{0x52, 0, 0, 0},      // no such device (the guard: ErrRange)
		{0x50, 0, 1, 128},    // A0h has no pages
		{0x51, 1, 0x20, 128}, // no banks
	} {
		err := o.Read(context.Background(), tc.addr, tc.bank, tc.page, tc.off, p)
		if !errors.Is(err, ErrNotSupported) && !(tc.addr == 0x52 && errors.Is(err, ErrRange)) {
			t.Errorf("%+v: %v, want ErrNotSupported", tc, err)
		}
	}
}

func TestOptoeRefused(t *testing.T) {
	s := vector(t, vecDR8)
	w := map[int][]byte{0: window(t, s, cmis.Lower)}
	for _, pg := range []uint8{0, 1, 2} {
		w[oneAddrWindow(0, int(pg), 240)] = window(t, s, cmis.Upper(0, pg))
	}
	// The file ends half way through page 03h: optoe's answer past the
	// pages a module supports is 0 bytes (EOF).
	path := optoeDevice(t, OptoeCMIS, -1, 4*128+64, w)
	o := openOptoe(t, path, OptoeOptions{})
	p := make([]byte, 128)
	for _, tc := range []struct {
		page    uint8
		off, n  int
		partial string
	}{
		{0x11, 128, 128, "0 of 128"},
		{0x03, 128, 128, "64 of 128"},
		{0x03, 200, 10, "0 of 10"},
	} {
		err := o.Read(context.Background(), 0x50, 0, tc.page, tc.off, p[:tc.n])
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.partial) {
			t.Errorf("page %02Xh offset %d: %v, want ErrRefused with %q", tc.page, tc.off, err, tc.partial)
		}
		var e *Error
		if !errors.As(err, &e) || e.Page != tc.page || e.Offset != tc.off || !strings.Contains(e.Module, path) {
			t.Errorf("page %02Xh: error %#v does not name the device, page and offset", tc.page, e)
		}
	}
	// The stock driver has no banks.
	err := o.Read(context.Background(), 0x50, 1, 0x11, 128, p)
	if !errors.Is(err, ErrNotSupported) || !errors.Is(err, ErrRefused) {
		t.Errorf("bank 1 on a stock driver: %v, want ErrNotSupported and ErrRefused", err)
	}
	// Bus-rule violations never reach the file.
	before := o.Stats().Transactions
	for _, r := range [][2]int{{120, 16}, {0, 0}, {128, 129}, {250, 10}} {
		if err := o.Read(context.Background(), 0x50, 0, 0, r[0], make([]byte, r[1])); !errors.Is(err, ErrRange) {
			t.Errorf("offset %d length %d: %v, want ErrRange", r[0], r[1], err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Read(ctx, 0x50, 0, 0, 0, p); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if got := o.Stats().Transactions; got != before {
		t.Errorf("refused requests reached the file: %d transactions, want %d", got, before)
	}
}

func TestOptoeWriteAllowlist(t *testing.T) {
	s := vector(t, vecDR8)
	vdm := make([]byte, 128)
	vdm[vdmFreezeByte-128] = 0x05 // bits other than the freeze request set
	page02 := window(t, s, cmis.Upper(0, 0x02))
	path := optoeDevice(t, OptoeCMIS, -1, stockSize, map[int][]byte{
		0: window(t, s, cmis.Lower), oneAddrWindow(0, 0x02, 240): page02, oneAddrWindow(0, vdmControlPage, 240): vdm,
	})
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o := openOptoe(t, path, OptoeOptions{})
	ctx := context.Background()
	freezeAt := int64(oneAddrWindow(0, vdmControlPage, 240)*128 + vdmFreezeByte - 128)

	for off := 0; off < 256; off++ {
		for _, page := range []uint8{0x00, vdmControlPage} {
			if page == vdmControlPage && off == vdmFreezeByte {
				continue
			}
			err := o.Write(ctx, 0x50, 0, page, off, []byte{0xFF})
			want := ErrWriteRefused // a 1-byte write at 126 is no select either
			if off == PageSelect {
				want = ErrNotSupported // optoe selects pages itself
			}
			if !errors.Is(err, want) {
				t.Errorf("write page %02Xh byte %d: %v, want %v", page, off, err, want)
			}
		}
	}
	for _, tc := range []struct {
		name string
		page uint8
		p    []byte
	}{
		{"two bytes", vdmControlPage, []byte{0x85, 0x00}},
		{"bit 0 changes", vdmControlPage, []byte{0x04}},
		{"bit 1 changes with bit 7", vdmControlPage, []byte{0x87}},
		{"freeze byte of another page", 0x2E, []byte{0x85}},
	} {
		if err := o.Write(ctx, 0x50, 0, tc.page, vdmFreezeByte, tc.p); !errors.Is(err, ErrWriteRefused) {
			t.Errorf("%s: %v, want ErrWriteRefused", tc.name, err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, orig) {
		t.Fatal("a refused write changed the file")
	}

	// The freeze request: only bit 7 changes.
	if err := o.Write(ctx, 0x50, 0, vdmControlPage, vdmFreezeByte, []byte{0x85}); err != nil {
		t.Fatalf("freeze: %v", err)
	}
	got, _ = os.ReadFile(path)
	if got[freezeAt] != 0x85 {
		t.Errorf("freeze byte %02Xh after freeze, want 85h", got[freezeAt])
	}
	got[freezeAt] = orig[freezeAt]
	if !bytes.Equal(got, orig) {
		t.Error("the freeze wrote more than the freeze byte")
	}
	if err := o.Write(ctx, 0x50, 0, vdmControlPage, vdmFreezeByte, []byte{0x05}); err != nil {
		t.Fatalf("unfreeze: %v", err)
	}
	if st := o.Stats(); st.BytesWritten != 2 || st.PageSelects != 0 {
		t.Errorf("stats %+v: want 2 bytes written, no page selects", st)
	}

	// SFF-8472 and SFF-8636 modules have no freeze byte.
	sfp := openOptoe(t, optoeDevice(t, OptoeSFP, -1, 4*128, nil), OptoeOptions{})
	if err := sfp.Write(ctx, 0x51, 0, vdmControlPage, vdmFreezeByte, []byte{0x80}); !errors.Is(err, ErrWriteRefused) {
		t.Errorf("freeze on SFF-8472: %v, want ErrWriteRefused", err)
	}
}

func TestOpenOptoe(t *testing.T) {
	path := optoeDevice(t, OptoeCMIS, 0, stockSize, nil)
	if err := os.Remove(filepath.Join(filepath.Dir(path), "dev_class")); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenOptoe(path, OptoeOptions{}); err == nil || !strings.Contains(err.Error(), "OptoeOptions.Class") {
		t.Errorf("no dev_class: %v, want a hint to set OptoeOptions.Class", err)
	}
	o := openOptoe(t, path, OptoeOptions{Class: OptoeCMIS})
	if optoeOf(o).shape.banks != 0 {
		t.Errorf("bank_size 0: banks %d", optoeOf(o).shape.banks)
	}
	for _, opts := range []OptoeOptions{{Class: 4}, {Class: 3, BankPages: 128}} {
		if _, err := OpenOptoe(path, opts); !errors.Is(err, ErrNotSupported) {
			t.Errorf("%+v: %v, want ErrNotSupported", opts, err)
		}
	}
	if _, err := OpenOptoe(filepath.Join(t.TempDir(), "eeprom"), OptoeOptions{Class: OptoeCMIS}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

package cmis_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

// readAll plays the pager: it asks Plan for static ranges round by round and
// copies them from module memory (src) into a fresh snapshot, as a bus would.
// A range src does not hold is a page the module refuses. It returns the
// snapshot and every range read.
func readAll(t *testing.T, src *cmis.Snapshot) (*cmis.Snapshot, []cmis.Range) {
	t.Helper()
	s := cmis.NewSnapshot()
	var read []cmis.Range
	for round := 0; round < 10; round++ {
		rs := cmis.Plan(s, cmis.Static)
		progress := false
		for _, r := range rs {
			b := src.Bytes(r.Page, r.Offset, r.Length)
			if b == nil {
				continue // refused
			}
			if err := s.Set(r.Page, r.Offset, b); err != nil {
				t.Fatal(err)
			}
			read = append(read, r)
			progress = true
		}
		if !progress {
			return s, read
		}
	}
	t.Fatal("static plan did not settle in 10 rounds")
	return nil, nil
}

func checkRanges(t *testing.T, rs []cmis.Range) {
	t.Helper()
	for _, r := range rs {
		base := r.Page.Base()
		if r.Length < 1 || r.Length > cmis.PageSize || r.Offset < base || r.End() > base+cmis.PageSize {
			t.Errorf("range %v crosses a page boundary or is empty", r)
		}
	}
}

func rangeList(rs []cmis.Range) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	return strings.Join(out, "; ")
}

func TestPlanStaticFromAdvertisement(t *testing.T) {
	d, err := dumpfile.ReadFile(filepath.Join(vectorDir, "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt"))
	if err != nil {
		t.Fatal(err)
	}
	s, read := readAll(t, d.Snapshots[0])
	checkRanges(t, read)
	// The DR8 advertises VDM (01h:142 b6) but the dump holds no page 2Fh:
	// the plan asks for its group count, the "module" refuses, and nothing
	// else VDM is read.
	got := rangeList(read)
	want := "lower [0..127]; page 00h [128..255]; page 01h [128..255]; page 02h [128..255]"
	if got != want {
		t.Errorf("static reads:\n got %s\nwant %s", got, want)
	}
	full, _ := cmis.Decode(d.Snapshots[0])
	planned, _ := cmis.Decode(s)
	if fmt.Sprint(full.Thresholds) != fmt.Sprint(planned.Thresholds) || full.Vendor != planned.Vendor {
		t.Errorf("decode of the planned reads differs from the full dump")
	}
	fast := cmis.Plan(s, cmis.Fast)
	checkRanges(t, fast)
	if got, want := rangeList(fast), "lower [3..23]; lower [39..41]; page 11h [128..201]"; got != want {
		t.Errorf("fast plan:\n got %s\nwant %s", got, want)
	}
	if vdm := cmis.Plan(s, cmis.VDM); len(vdm) != 0 {
		t.Errorf("VDM plan without descriptors: %v", vdm)
	}
}

func TestPlanSFFAndUnknown(t *testing.T) {
	if rs := cmis.Plan(cmis.NewSnapshot(), cmis.Static); len(rs) != 1 || rs[0] != (cmis.Range{Page: cmis.Lower, Offset: 0, Length: 128}) {
		t.Errorf("empty snapshot static plan %v, want lower memory", rs)
	}
	if rs := cmis.Plan(cmis.NewSnapshot(), cmis.Fast); len(rs) != 0 {
		t.Errorf("fast plan before identification: %v", rs)
	}
}

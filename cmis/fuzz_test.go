package cmis

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// snapshotFromFuzz lays fuzz bytes out as module memory: byte 0 picks the
// identifier family, the next 128 bytes are lower memory, and each further
// 130-byte chunk is (bank, page, 128 bytes). Short input gives partial pages,
// which the decoder must also survive.
func snapshotFromFuzz(data []byte) *Snapshot {
	s := NewSnapshot()
	if len(data) == 0 {
		return s
	}
	ids := []byte{IDQSFPDD, IDOSFP, IDOSFPXD, IDCPO, IDELSFP, IDQSFPCMIS, IDQSFP28, IDQSFPPlus, IDSFP, 0x42}
	id := ids[int(data[0])%len(ids)]
	data = data[1:]
	n := min(len(data), PageSize)
	_ = s.Set(Lower, 0, data[:n])
	_ = s.Set(Lower, 0, []byte{id})
	data = data[n:]
	for len(data) > 2 {
		bank, page := data[0]%4, data[1]
		data = data[2:]
		n := min(len(data), PageSize)
		if page == 0xA2 { // reach the SFF-8472 A2h windows too
			_ = s.Set(A2Lower, 0, data[:n])
		} else {
			_ = s.Set(Upper(bank, page), PageSize, data[:n])
		}
		data = data[n:]
	}
	return s
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../testdata/vectors/*.txt")
	for _, fn := range files {
		// Seed with raw bytes of the vectors' text: not memory images, but
		// varied, real-looking byte values.
		if b, err := os.ReadFile(fn); err == nil && len(b) > 0 {
			f.Add(b[:min(len(b), 1200)])
		}
	}
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := snapshotFromFuzz(data)
		m, err := Decode(s)
		if err != nil {
			if err != ErrNoLowerMemory {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("decoded module does not marshal (NaN or Inf?): %v", err)
		}
		for _, c := range []Cadence{Static, Fast, VDM} {
			for _, r := range Plan(s, c) {
				if r.Length < 1 || r.Offset < r.Page.Base() || r.End() > r.Page.Base()+PageSize {
					t.Fatalf("plan %v: bad range %v", c, r)
				}
			}
		}
	})
}

package emulator

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

func TestSmoke(t *testing.T) {
	for _, name := range Profiles() {
		_, b, clk := newTestModule(t, name)
		clk.Advance(5 * time.Second)
		s := newReader(b, 0x50).readAll(t, clk)
		m, err := cmis.Decode(s)
		if err != nil {
			t.Fatal(err)
		}
		j, _ := json.MarshalIndent(m, "", " ")
		os.WriteFile("/tmp/smoke_"+name+".json", j, 0o644)
		t.Logf("%s: warnings %q lanes %d vdm %d flags %v", name, m.Warnings, len(m.Lanes), len(m.VDM), m.Flags)
	}
}

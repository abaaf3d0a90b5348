package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDecodeUnsetCCDMI: `ddm decode --json` of the real FLEXOPTIX SFP with
// its A2h checksum byte set to 00h (as on modules that never set it) still
// shows the thresholds, each marked checksum_failed, with a warning.
func TestDecodeUnsetCCDMI(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(vectors, "sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// A2h row 50h ends with CC_DMI (byte 95), 70h in the dump.
	const row = "50: 01 00 00 00 01 00 00 00 01 00 00 00 00 00 00 70"
	dump := string(b)
	if strings.Count(dump, row) != 1 {
		t.Fatalf("the dump has no single row %q", row)
	}
	dump = strings.Replace(dump, row, row[:len(row)-2]+"00", 1)
	code, out, errs := runDDM(t, dump, "decode", "--json", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m struct {
		Thresholds map[string]struct {
			HighAlarm      float64 `json:"high_alarm"`
			ChecksumFailed bool    `json:"checksum_failed"`
		} `json:"thresholds"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(m.Thresholds) != 7 {
		t.Fatalf("thresholds %+v, want 5 sets and the power ones in dBm", m.Thresholds)
	}
	for q, th := range m.Thresholds {
		if !th.ChecksumFailed {
			t.Errorf("%s: not marked checksum_failed", q)
		}
	}
	// The source's own assert: Tx power high alarm 1.7783 mW.
	if th := m.Thresholds["tx_power_mw"]; th.HighAlarm < 1.7782 || th.HighAlarm > 1.7784 {
		t.Errorf("tx power high alarm %v, want 1.7783", th.HighAlarm)
	}
	if !strings.Contains(strings.Join(m.Warnings, "\n"), "decoded anyway and marked checksum_failed") {
		t.Errorf("warnings %q", m.Warnings)
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
)

// TestThresholdsChecksumFailed: thresholds from a page whose checksum
// failed are marked in the text and in JSON; others are not.
func TestThresholdsChecksumFailed(t *testing.T) {
	const note = "thresholds from a page whose checksum fails"
	for _, failed := range []bool{false, true} {
		m := sampleModule()
		m.Thresholds = map[string]cmis.Thresholds{cmis.QTxPower: {HighAlarm: 3, LowAlarm: 0.1, HighWarning: 2.5, LowWarning: 0.2, ChecksumFailed: failed}}
		var text, js bytes.Buffer
		if err := Text(&text, Entry{Module: m}); err != nil {
			t.Fatal(err)
		}
		if err := JSON(&js, Entry{Module: m}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(text.String(), note); got != failed {
			t.Errorf("checksum failed %v: text has the note: %v\n%s", failed, got, text.String())
		}
		var out struct {
			Thresholds map[string]map[string]any `json:"thresholds"`
		}
		if err := json.Unmarshal(js.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		v, ok := out.Thresholds[cmis.QTxPower]["checksum_failed"]
		if ok != failed || failed && v != true {
			t.Errorf("checksum failed %v: JSON thresholds %v", failed, out.Thresholds)
		}
	}
}

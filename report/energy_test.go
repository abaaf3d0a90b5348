package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/energy"
)

// TestEnergyShown: an entry's energy view is printed in text and JSON,
// each figure labelled advertised or measured; none is printed without one.
func TestEnergyShown(t *testing.T) {
	vcc, icc, maxW := 3.3, 2000.0, 10.0
	measured := &cmis.Module{Spec: "CMIS", IdentifierCode: cmis.IDELSFP, Identifier: "OIF-ELSFP", PartNumber: "ELS",
		VccV: &vcc, SupplyCurrentMA: &icc, MaxPowerW: &maxW, PowerClass: 5}
	tests := []struct {
		name     string
		e        Entry
		text     []string
		jsonWant string
	}{
		{"measured", Entry{Module: measured, Energy: energy.ForModule("els1", measured)},
			[]string{"Energy        6.60 W measured (vcc_v × supply_current_ma; 66 % of the advertised 10.00 W)", "no data rate: a laser source carries no data"},
			`"power_w":6.6,"basis":"measured"`},
		{"none", Entry{Module: measured}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var text, js bytes.Buffer
			if err := Text(&text, tc.e); err != nil {
				t.Fatal(err)
			}
			if err := JSON(&js, tc.e); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.text {
				if !strings.Contains(text.String(), w) {
					t.Errorf("text lacks %q:\n%s", w, text.String())
				}
			}
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(js.Bytes(), &obj); err != nil {
				t.Fatal(err)
			}
			if tc.jsonWant == "" {
				if strings.Contains(text.String(), "Energy") || obj["energy"] != nil {
					t.Errorf("energy printed without one:\n%s\n%s", text.String(), js.String())
				}
				return
			}
			if !strings.Contains(string(obj["energy"]), tc.jsonWant) {
				t.Errorf("JSON energy %s, want %s", obj["energy"], tc.jsonWant)
			}
		})
	}
}

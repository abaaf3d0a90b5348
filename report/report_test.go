package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
)

func f(v float64) *float64 { return &v }

func sampleModule() *cmis.Module {
	return &cmis.Module{
		Spec: "CMIS", SpecRevision: "5.2", IdentifierCode: 0x19, Identifier: "OSFP",
		Vendor: "ACME", PartNumber: "OSFP-1.6T-DR8", SerialNumber: "SN1", ModuleState: "ModuleReady",
		TemperatureC: f(61.5), VccV: f(3.3), Flags: cmis.TempHighWarning,
		Advertisement: &cmis.Advertisement{Banks: 1, TxBiasMultiplier: 2, VDM: true, VDMGroups: 1},
		Lanes: []cmis.Lane{
			{Lane: 1, DataPathState: "DPActivated", TxBiasMA: f(80), TxPowerMW: f(0), RxPowerMW: f(1.2), RxPowerDBM: f(0.79), Flags: cmis.RxLOS | cmis.TxFault},
		},
		Thresholds: map[string]cmis.Thresholds{cmis.QTxPower: {HighAlarm: 3, LowAlarm: 0.1, HighWarning: 2.5, LowWarning: 0.2}},
		VDM: []cmis.VDMValue{{TypeID: 15, Observable: "pre_fec_ber_media", Lane: 3, Value: 2.5e-5, Unit: "ratio",
			Thresholds: &cmis.Thresholds{HighAlarm: 2.4e-4}, Flags: cmis.HighWarning}},
		PM:          &cmis.CoherentPM{PreFECBERAvg: f(1e-3), OSNRAvgDB: f(35.5)},
		LaserSource: []cmis.Laser{{Lane: 1, BiasMA: f(250), PowerMW: f(100), PowerDBM: f(20), State: "on"}},
		Checksums:   []cmis.Checksum{{Page: "page 00h", Offset: 222, Stored: 1, Computed: 2}},
		Warnings:    []string{"page 22h reads back identical to page 00h"},
	}
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, Entry{Source: Source{Port: "Ethernet1", File: "x.txt", Snapshot: 2}, Module: sampleModule(),
		IO: &IO{Transactions: 9, BytesRead: 300, PageSelects: 2, BusTimeUS: 8123}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"== port Ethernet1, x.txt, read 2",
		"OSFP (19h), CMIS 5.2, ModuleReady",
		"1 bank, Tx bias ×2, Rx power average, VDM (1 group)",
		"temperature_high_warning",
		"     1  DPActivated       80.000     0.0000       -     1.2000    0.79  tx_fault,rx_los",
		"  Tx power mW                 0.1000      0.2000      2.5000      3.0000",
		"pre_fec_ber_media",
		"2.5e-05",
		"high_warning",
		"pre-FEC BER avg 1.000e-03",
		"page 00h byte 222 BAD (stored 01h, computed 02h)",
		"9 transactions, 300 bytes read, 0 written, 2 page selects, 0 NACKs, 0 retries, 8.123 ms on the bus",
		"  - page 22h reads back identical to page 00h",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

func TestJSONMergesSourceAndIO(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, Entry{Source: Source{Port: "p1"}, Module: sampleModule(), IO: &IO{Transactions: 3, BusTimeUS: 10}}); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b.Bytes(), &obj); err != nil {
		t.Fatal(err)
	}
	if obj["spec"] != "CMIS" || obj["source"].(map[string]any)["port"] != "p1" || obj["io"].(map[string]any)["transactions"] != 3.0 {
		t.Errorf("JSON %s", b.String())
	}
	lane := obj["lanes"].([]any)[0].(map[string]any)
	if _, ok := lane["tx_power_dbm"]; ok || lane["tx_power_mw"] != 0.0 {
		t.Errorf("0 mW lane: %v", lane)
	}
	if flags := lane["flags"].([]any); len(flags) != 2 || flags[0] != "tx_fault" {
		t.Errorf("flags %v", flags)
	}
	if strings.Count(b.String(), "\n") != 1 {
		t.Errorf("one object per line: %q", b.String())
	}
}

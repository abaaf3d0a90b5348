package cmis_test

import (
	"fmt"
	"log"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

// A real 800G OSFP DR8 (Juniper 740-174932), saved from a switch.
const exampleDump = "../testdata/vectors/cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt"

// Decode turns a snapshot of module memory, here a saved dump, into a
// Module.
func ExampleDecode() {
	d, err := dumpfile.ReadFile(exampleDump)
	if err != nil {
		log.Fatal(err)
	}
	m, err := cmis.Decode(d.Snapshots[0])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Spec, m.SpecRevision, m.Vendor, m.PartNumber, m.ModuleState)
	fmt.Printf("%.2f °C, %d lanes, lane 1 Rx %.2f dBm, %s\n", *m.TemperatureC, len(m.Lanes), *m.Lanes[0].RxPowerDBM, m.Lanes[0].DataPathState)
	// Output:
	// CMIS 5.1 JUNIPER-1G1 740-174932 ModuleReady
	// 57.93 °C, 8 lanes, lane 1 Rx 2.29 dBm, DPActivated
}

// A poller decodes the static pages once, when a module is inserted (or
// changes state or firmware), and every cycle after that only what the
// cycle read, into a Module it reuses: no allocation per cycle.
func ExampleLayout() {
	d, err := dumpfile.ReadFile(exampleDump)
	if err != nil {
		log.Fatal(err)
	}
	module := d.Snapshots[0] // stands in for the bus
	read := func(s *cmis.Snapshot, rs []cmis.Range) (n int) {
		for _, r := range rs {
			if b := module.Bytes(r.Page, r.Offset, r.Length); b != nil { // else: a page the module refuses
				_ = s.Set(r.Page, r.Offset, b)
				n++
			}
		}
		return n
	}

	// Insertion: the static pages, round by round (page 01h says which
	// banks and VDM pages exist), decoded once.
	static := cmis.NewSnapshot()
	for read(static, cmis.Plan(static, cmis.Static)) > 0 {
	}
	layout, err := cmis.NewLayout(static)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(layout.Static().PartNumber, layout.Lanes(), "lanes; fast plan:", layout.Plan(cmis.Fast))

	// Every cycle: the fast plan into a reused snapshot, decoded into a
	// reused Module.
	cycle := cmis.NewSnapshot()
	var m cmis.Module
	for range 3 {
		cycle.Reset()
		read(cycle, layout.Plan(cmis.Fast))
		layout.DecodeInto(&m, cycle)
	}
	fmt.Printf("%s %.2f °C, lane 8 Rx %.2f dBm\n", m.ModuleState, *m.TemperatureC, *m.Lanes[7].RxPowerDBM)
	// Output:
	// 740-174932 8 lanes; fast plan: [lower [3..23] lower [39..41] page 11h [128..201]]
	// ModuleReady 57.93 °C, lane 8 Rx 1.83 dBm
}

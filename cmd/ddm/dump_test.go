package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/portset"
)

func TestDumpEveryProfile(t *testing.T) {
	for _, p := range emulator.Profiles() {
		t.Run(p, func(t *testing.T) {
			code, out, errs := runDDM(t, "", "dump", "--emulate="+p, "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var m struct {
				Spec, Vendor, SerialNumber string `json:"-"`
				Identifier                 string `json:"identifier"`
				Serial                     string `json:"serial_number"`
				State                      string `json:"module_state"`
				IO                         struct {
					Transactions int   `json:"transactions"`
					BytesRead    int   `json:"bytes_read"`
					PageSelects  int   `json:"page_selects"`
					BusTimeUS    int64 `json:"bus_time_us"`
				} `json:"io"`
				Warnings []string `json:"warnings"`
			}
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if m.Serial == "" || m.IO.Transactions == 0 || m.IO.BytesRead == 0 || m.IO.BusTimeUS == 0 {
				t.Errorf("dump %+v", m)
			}
			if len(m.Warnings) > 0 {
				t.Errorf("warnings on a healthy profile: %v", m.Warnings)
			}
			code, out, _ = runDDM(t, "", "dump", "--emulate="+p)
			if code != 0 || !strings.Contains(out, "Bus I/O") || !strings.Contains(out, "Module ") {
				t.Errorf("text dump: exit %d\n%s", code, out)
			}
		})
	}
}

func TestDumpDefaultPlatform(t *testing.T) {
	code, out, errs := runDDM(t, "", "dump", "--emulate", "--all", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 64 {
		t.Errorf("%d modules dumped, want 64", len(lines))
	}
	refused := false
	for _, l := range lines {
		if strings.Contains(l, `"port":"Ethernet1/38"`) && strings.Contains(l, "reads back identical to page 00h") {
			refused = true
		}
	}
	if !refused {
		t.Error("Ethernet1/38 (refused pages) not reported")
	}
	// One port by name, and an unknown one.
	if code, out, _ := runDDM(t, "", "dump", "--emulate", "npo1", "--json"); code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"lane":32`) {
		t.Errorf("dump npo1: exit %d\n%.300s", code, out)
	}
	if code, _, errs := runDDM(t, "", "dump", "--emulate=default", "nosuchport"); code != exitUsage || !strings.Contains(errs, `no port "nosuchport"`) {
		t.Errorf("unknown port: exit %d %s", code, errs)
	}
	// Right after --emulate the name may have been meant as a profile: the
	// message says it is neither.
	if code, _, errs := runDDM(t, "", "dump", "--emulate", "nosuchport"); code != exitUsage ||
		!strings.Contains(errs, `--emulate "nosuchport": not a profile`) || !strings.Contains(errs, "nor a port of the emulated switch (ports: [Ethernet1/1") {
		t.Errorf("unknown port: exit %d %s", code, errs)
	}
}

// TestDumpRawRoundTrip: the memory a dump read, written in the text format
// and read back, decodes to the same module.
func TestDumpRawRoundTrip(t *testing.T) {
	for _, p := range emulator.Profiles() {
		m, err := emulator.NewModule(p, portset.EmulatorOptions(emulator.RealClock{}, time.Now())...)
		if err != nil {
			t.Fatal(err)
		}
		bus := emulator.NewBus("rt", 400*physic.KiloHertz, emulator.RealClock{})
		m.AttachTo(bus)
		ts, err := portset.OpenEmulated(p, 400*physic.KiloHertz)
		if err != nil {
			t.Fatal(err)
		}
		full, err := readModule(context.Background(), ts.Ports[0])
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		snap := full.Snapshot
		var buf bytes.Buffer
		if err := dumpfile.Write(&buf, &dumpfile.Dump{Comments: []string{"round trip"}, Snapshots: []*cmis.Snapshot{snap}}); err != nil {
			t.Fatal(err)
		}
		d, err := dumpfile.Read("rt.txt", &buf)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		want, _ := cmis.Decode(snap)
		got, _ := cmis.Decode(d.Snapshots[0])
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got)
		if !bytes.Equal(wj, gj) {
			t.Errorf("%s: decode of the raw dump differs:\n%s\n%s", p, wj, gj)
		}
	}
	// Through the CLI: dump --raw, then decode the file.
	dir := t.TempDir()
	code, raw, _ := runDDM(t, "", "dump", "--emulate=osfp-1.6t-dr8", "--raw")
	if code != 0 {
		t.Fatalf("dump --raw: exit %d", code)
	}
	f := filepath.Join(dir, "m.txt")
	if err := os.WriteFile(f, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runDDM(t, "", "decode", "--json", f)
	if code != 0 || !strings.Contains(out, `"identifier":"OSFP"`) || !strings.Contains(out, `"host_interface":"1.6TAUI-8 C2M"`) {
		t.Errorf("decode of dump --raw: exit %d %s\n%.400s", code, errs, out)
	}
}

func TestDumpReportsFailures(t *testing.T) {
	// A platform with an empty cage and a module stuck busy: both reported
	// with the port name, the others dumped, exit status 1.
	dir := t.TempDir()
	pf := filepath.Join(dir, "p.yaml")
	yaml := `buses:
  - {name: b, speed: 400kHz}
ports:
  - {name: good, bus: b, address: 0x50, profile: qsfpdd-400g-fr4}
  - {name: empty, bus: b, address: 0x51, absent: true}
`
	if err := os.WriteFile(pf, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, out, errs := runDDM(t, "", "dump", "--emulate", pf, "--json")
	if code != exitError || !strings.Contains(errs, "port empty") || !strings.Contains(errs, "module absent") || !strings.Contains(out, `"port":"good"`) {
		t.Errorf("exit %d\nstderr %s\nstdout %.200s", code, errs, out)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("an empty cage took %v", time.Since(start))
	}
}

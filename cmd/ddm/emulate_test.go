package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmulateListAndPlatform(t *testing.T) {
	code, out, _ := runDDM(t, "", "emulate", "--list")
	for _, p := range []string{"osfp-800g-dr8", "osfp-1.6t-dr8", "osfpxd-1.6t-16", "npo-3.2t", "elsfp", "qsfp28-100g-lr4", "sfp28-25g"} {
		if code != 0 || !strings.Contains(out, p) {
			t.Errorf("--list lacks %s (exit %d)", p, code)
		}
	}
	code, out, _ = runDDM(t, "", "emulate")
	if code != 0 || !strings.Contains(out, "platform ai-fabric-64: 64 ports") || !strings.Contains(out, "ber_ramp") {
		t.Errorf("default platform: exit %d\n%.500s", code, out)
	}
}

// TestEmulateOutDecodes: the memory of the default switch at 30 s of its
// scenarios, written as dumps, decodes; the faded laser shows.
func TestEmulateOutDecodes(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runDDM(t, "", "emulate", "--out", dir, "--at", "30s")
	// Ethernet1/47 is unplugged from 15 s to 35 s.
	if code != 0 || !strings.Contains(out, "wrote 63 module dumps") || !strings.Contains(errs, "port Ethernet1/47 is empty") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	code, out, errs = runDDM(t, "", "decode", "--json", filepath.Join(dir, "Ethernet1_12.txt"))
	if code != 0 {
		t.Fatalf("decode: exit %d %s", code, errs)
	}
	if !strings.Contains(out, `"lane":6`) || !strings.Contains(out, "tx_power_low_alarm") {
		t.Errorf("Ethernet1/12 lane 6 at 30 s should have faded below its Tx power low alarm:\n%.600s", out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	args := append([]string{"decode"}, files...)
	if code, _, errs := runDDM(t, "", args...); code != 0 {
		t.Errorf("decoding every emulated dump: exit %d %s", code, errs)
	}
	// A dump written by emulate serves as a profile again.
	if code, out, _ := runDDM(t, "", "dump", "--emulate=file:"+files[0], "--json"); code != 0 || !strings.Contains(out, `"io"`) {
		t.Errorf("dump --emulate=file:%s: exit %d", files[0], code)
	}
	_ = os.Remove(files[0])
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const vectors = "../../testdata/vectors"

// runDDM runs a command in-process.
func runDDM(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// ddmBinary builds the real binary once per test process.
func ddmBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "ddm")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ddm-bin-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestDecodeEveryVector(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(vectors, "*.txt"))
	n := 0
	for _, f := range files {
		if strings.Contains(f, ".expected.") || strings.Contains(f, ".ethtool.") || strings.HasSuffix(f, "README.txt") {
			continue
		}
		n++
		code, out, errs := runDDM(t, "", "decode", f)
		if code != 0 || errs != "" {
			t.Errorf("%s: exit %d, stderr %s", f, code, errs)
		}
		if !strings.Contains(out, "Module ") {
			t.Errorf("%s: no module line in output:\n%s", f, out)
		}
		code, out, _ = runDDM(t, "", "decode", "--json", f)
		if code != 0 {
			t.Errorf("%s --json: exit %d", f, code)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var obj map[string]any
			if err := json.Unmarshal([]byte(line), &obj); err != nil {
				t.Errorf("%s --json: %v: %s", f, err, line)
				continue
			}
			for _, k := range []string{"spec", "identifier_code", "identifier", "source"} {
				if _, ok := obj[k]; !ok {
					t.Errorf("%s --json: no %q", f, k)
				}
			}
		}
	}
	if n != 26 {
		t.Errorf("decoded %d vectors, want all 26", n)
	}
}

func TestDecodeTextShowsLaneTable(t *testing.T) {
	code, out, _ := runDDM(t, "", "decode", filepath.Join(vectors, "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"OSFP (19h), CMIS 5.1, ModuleReady",
		"JUNIPER-1G1  PN 740-174932  rev 01  SN 1G1TK1AA350AZ",
		"     1  DPActivated       69.982     1.9723    2.95     1.6946    2.29  none",
		"temperature 57.93 °C",
		"  Tx bias mA                  10.000      15.000     125.000     130.000",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDecodeJSONNames(t *testing.T) {
	code, out, _ := runDDM(t, "", "decode", "--json", filepath.Join(vectors, "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var m struct {
		Spec, Identifier, Vendor, PartNumber string
		IdentifierCode                       int     `json:"identifier_code"`
		Serial                               string  `json:"serial_number"`
		State                                string  `json:"module_state"`
		Temp                                 float64 `json:"temperature_c"`
		Vcc                                  float64 `json:"vcc_v"`
		Lanes                                []struct {
			Lane  int      `json:"lane"`
			Bias  float64  `json:"tx_bias_ma"`
			TxMW  float64  `json:"tx_power_mw"`
			TxDBM float64  `json:"tx_power_dbm"`
			RxMW  float64  `json:"rx_power_mw"`
			RxDBM float64  `json:"rx_power_dbm"`
			Flags []string `json:"flags"`
		} `json:"lanes"`
		Thresholds map[string]map[string]float64 `json:"thresholds"`
		Checksums  []map[string]any              `json:"checksums"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if m.Spec != "CMIS" || m.IdentifierCode != 0x19 || m.State != "ModuleReady" || m.Serial != "1G1TK1AA350AZ" || len(m.Lanes) != 8 ||
		m.Lanes[0].TxMW != 1.9723 || m.Lanes[0].Bias != 69.982 || m.Thresholds["tx_bias_ma"]["high_alarm"] != 130 || len(m.Checksums) != 3 {
		t.Errorf("JSON: %+v", m)
	}
}

func TestDecodeZeroPowerHasNoDBmInJSON(t *testing.T) {
	// OEM SFP-10GB-LR: the source's unit test asserts Rx power 0.0 mW.
	code, out, _ := runDDM(t, "", "decode", "--json", filepath.Join(vectors, "sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom.txt"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var m struct {
		Lanes []map[string]any `json:"lanes"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || len(m.Lanes) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	if _, dbm := m.Lanes[0]["rx_power_dbm"]; m.Lanes[0]["rx_power_mw"] != 0.0 || dbm || strings.Contains(out, "Inf") {
		t.Errorf("0 mW must be 0 mW with no dBm: %s", out)
	}
}

func TestDecodeBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(vectors, "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt")
	cases := map[string]struct{ content, want string }{
		"badhex.txt":    {"[lower]\n00: 19 51 zz 07 00 00 00 00 00 00 00 00 00 00 39 ee\n", "badhex.txt:2"},
		"short.txt":     {"# a\n[lower]\n00: 19 51 00\n", "short.txt:3"},
		"section.txt":   {"[page 11x]\n", "section.txt:1"},
		"empty.txt":     {"", "empty.txt"},
		"truncated.bin": {string(make([]byte, 100)), "truncated.bin"},
	}
	args := []string{"decode"}
	for name, c := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errs := runDDM(t, "", "decode", p)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d stderr %q, want exit 2 naming %q", name, code, errs, c.want)
		}
		args = append(args, p)
	}
	// One broken file never stops the others.
	args = append(args, good)
	code, out, _ := runDDM(t, "", args...)
	if code != 2 || !strings.Contains(out, "JUNIPER-1G1") {
		t.Errorf("mixed files: exit %d, good file decoded: %v", code, strings.Contains(out, "JUNIPER-1G1"))
	}
	if code, _, _ := runDDM(t, "", "decode", filepath.Join(dir, "does-not-exist")); code != 2 {
		t.Errorf("missing file: exit %d", code)
	}
}

func TestDecodeStdinAndBinary(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(vectors, "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom.txt"))
	if err != nil {
		t.Fatal(err)
	}
	bin := ddmBinary(t)
	cmd := exec.Command(bin, "decode", "--json", "-")
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ddm decode -: %v", err)
	}
	if !strings.Contains(string(out), `"part_number":"QSFP28-IR4-100G"`) {
		t.Errorf("stdin decode: %s", out)
	}
	// The real binary reports a broken file with exit status 2.
	cmd = exec.Command(bin, "decode", "/nonexistent/dump.txt")
	if err := cmd.Run(); err == nil {
		t.Error("missing file: exit 0")
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("missing file: %v", err)
	}
}

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const example = `# a switch
host: leaf01
interval: 1s
vdm_interval: 10s
ports:
  - name: Ethernet1
    transport: i2c
    bus: 12
    address: 0x50
  - name: Ethernet2
    transport: optoe
    path: /sys/bus/i2c/devices/13-0050/eeprom
  - name: eth0
    transport: netlink
    interface: eth0
influx:
  url: http://127.0.0.1:8086
  bucket: telemetry/autogen
  token_file: /etc/ddm/token
  spool_max_bytes: 512MiB
prometheus:
  listen: 127.0.0.1:9464
`

func TestParseExample(t *testing.T) {
	c, err := Parse("ddm.yaml", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "leaf01" || time.Duration(c.Interval) != time.Second || len(c.Ports) != 3 || c.Ports[0].Address != 0x50 ||
		c.Ports[0].Bus != 12 || c.Influx.SpoolMaxBytes != 512<<20 || c.Output != "influx" || c.Prometheus.Listen != "127.0.0.1:9464" {
		t.Errorf("%+v", c)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"unknown key", "intervall: 1s\n", "c.yaml:1: field intervall not found"},
		{"bad duration", "interval: fast\n", "c.yaml:1: \"fast\" is not a duration"},
		{"bad address", "ports:\n  - name: a\n    transport: i2c\n    address: zz\n", "c.yaml:4: \"zz\" is not a number"},
		{"unknown transport", "ports:\n  - name: a\n    transport: spi\n", "c.yaml:2: port \"a\": unknown transport \"spi\""},
		{"duplicate port", "ports:\n  - name: a\n    transport: i2c\n  - name: a\n    transport: i2c\n", "c.yaml:4: port \"a\" is listed twice (first at line 2)"},
		{"optoe without path", "ports:\n  - name: a\n    transport: optoe\n", "c.yaml:2: port \"a\": transport optoe needs path"},
		{"address out of range", "ports:\n  - name: a\n    transport: i2c\n    address: 0x90\n", "c.yaml:2: port \"a\": address 0x90 is not a 7-bit"},
		{"no ports", "interval: 1s\n", "c.yaml: no ports"},
		{"vdm shorter", "emulate: default\ninterval: 5s\nvdm_interval: 1s\n", "vdm_interval 1s is shorter than interval 5s"},
		{"influx without bucket", "emulate: default\ninflux:\n  url: http://x\n", "influx.bucket is required"},
		{"bad yaml", "ports: [\n", "c.yaml:"},
		{"bad size", "emulate: default\ninflux:\n  spool_max_bytes: lots\n", "c.yaml:3: \"lots\" is not a size"},
	} {
		_, err := Parse("c.yaml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestTokenFileWarnsWhenReadableByOthers(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("user:secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Parse("c.yaml", []byte("emulate: default\ninflux:\n  url: http://127.0.0.1:8086\n  bucket: b\n  token_file: "+tok+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var warned string
	got, err := c.Token(func(s string) { warned = s })
	if err != nil || got != "user:secret" {
		t.Fatalf("token %q %v", got, err)
	}
	if !strings.Contains(warned, "readable by group or others") || strings.Contains(warned, "secret") {
		t.Errorf("warning %q (must warn, must not contain the token)", warned)
	}
	_ = os.Chmod(tok, 0o600)
	warned = ""
	if _, err := c.Token(func(s string) { warned = s }); err != nil || warned != "" {
		t.Errorf("mode 600: warning %q err %v", warned, err)
	}
	t.Setenv("MY_TOKEN", "envtok")
	c.Influx.TokenFile, c.Influx.TokenEnv = "", "MY_TOKEN"
	if got, _ := c.Token(nil); got != "envtok" {
		t.Errorf("env token %q", got)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "1GiB": 1 << 30, "512MiB": 512 << 20, "100MB": 100e6, "1.5KiB": 1536} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v", in, got, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte("ports: [{name: a, transport: i2c, bus: -1}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse("fuzz.yaml", b)
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
	})
}

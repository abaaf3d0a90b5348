package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
		{"bad duration", "interval: fast\n", "c.yaml:1: interval: \"fast\" is not a duration"},
		{"bad address", "ports:\n  - name: a\n    transport: i2c\n    address: zz\n", "c.yaml:4: \"zz\" is not a number"},
		{"unknown transport", "ports:\n  - name: a\n    transport: spi\n", "c.yaml:2: port \"a\": unknown transport \"spi\""},
		{"duplicate port", "ports:\n  - name: a\n    transport: i2c\n  - name: a\n    transport: i2c\n", "c.yaml:4: port \"a\" is listed twice (first at line 2)"},
		{"optoe without path", "ports:\n  - name: a\n    transport: optoe\n", "c.yaml:2: port \"a\": transport optoe needs path"},
		{"address out of range", "ports:\n  - name: a\n    transport: i2c\n    address: 0x90\n", "c.yaml:2: port \"a\": address 0x90 is not a 7-bit"},
		{"no ports", "interval: 1s\n", "c.yaml: no ports"},
		{"vdm shorter", "emulate: default\ninterval: 5s\nvdm_interval: 1s\n", "vdm_interval 1s is shorter than interval 5s"},
		{"influx without bucket", "emulate: default\ninflux:\n  url: http://x\n", "influx.bucket is required"},
		{"bad yaml", "ports: [\n", "c.yaml:"},
		{"bad size", "emulate: default\ninflux:\n  spool_max_bytes: lots\n", "c.yaml:3: influx.spool_max_bytes: \"lots\" is not a size"},
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
	f.Add([]byte("ports: [{name: e, transport: i2c}, {name: n, transport: i2c, laser_source: e, lasers: [{laser: 1, lanes: 1-4, port: p}]}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse("fuzz.yaml", b)
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
	})
}

// TestParseRefusesNonsense: values that parsed before and quietly did the
// wrong thing (a spool without bound, the default instead of the value
// written, static pages re-read every cycle) are errors naming the key and
// its line.
func TestParseRefusesNonsense(t *testing.T) {
	const head = "emulate: default\n"
	for _, tc := range []struct{ name, text, want string }{
		{"NaN size", head + "influx:\n  spool_max_bytes: NaNGiB\n", `c.yaml:3: influx.spool_max_bytes: "NaNGiB" is not a size`},
		{"Inf size", head + "influx:\n  spool_max_bytes: InfGiB\n", `c.yaml:3: influx.spool_max_bytes: "InfGiB" is not a size`},
		{"huge size", head + "influx:\n  spool_max_bytes: 1e30GiB\n", `c.yaml:3: influx.spool_max_bytes: "1e30GiB" is not a size`},
		{"overflow", head + "influx:\n  spool_max_bytes: 99999999999TiB\n", `c.yaml:3: influx.spool_max_bytes: "99999999999TiB" is too large`},
		{"fraction of a byte", head + "influx:\n  spool_max_bytes: 0.1B\n", `c.yaml:3: influx.spool_max_bytes: "0.1B" is not a whole number of bytes`},
		{"zero size", head + "influx:\n  spool_max_bytes: 0\n", "c.yaml:3: influx.spool_max_bytes is zero: want between 1 MiB and 1024 GiB, or leave it out"},
		{"tiny spool", head + "influx:\n  spool_max_bytes: 4KiB\n", "c.yaml:3: spool_max_bytes 4096 is out of range: want between 1 MiB and 1024 GiB"},
		{"huge spool", head + "influx:\n  spool_max_bytes: 2TiB\n", "c.yaml:3: spool_max_bytes 2199023255552 is out of range"},
		{"revalidate 1ns", head + "revalidate: 1ns\n", "c.yaml:2: revalidate 1ns is out of range: want between 1m0s and 24h0m0s"},
		{"revalidate 0", head + "revalidate: 0s\n", "c.yaml:2: revalidate is zero"},
		{"negative interval", head + "interval: -1s\n", "c.yaml:2: interval -1s is out of range: want between 100ms and 5m0s"},
		{"interval too long", head + "interval: 10m\nvdm_interval: 20m\n", "c.yaml:2: interval 10m0s is out of range"},
		{"vdm too long", head + "vdm_interval: 2h\n", "c.yaml:2: vdm_interval 2h0m0s is longer than 1h0m0s"},
		{"flag scan too fast", head + "flag_interval: 1ms\n", "c.yaml:2: flag_interval 1ms is out of range: want between 10ms and the interval (1s)"},
		{"flag scan slower than the fast cycle", head + "flag_interval: 2s\n", "c.yaml:2: flag_interval 2s is out of range"},
		{"flag scan 0", head + "flag_interval: 0s\n", "c.yaml:2: flag_interval is zero"},
		{"reduce window too short", head + "reduce: 5s\n", "c.yaml:2: reduce window 5s is out of range: want between 10s and 1m0s"},
		{"reduce window too long", head + "reduce: 2m\n", "c.yaml:2: reduce window 2m0s is out of range"},
		{"reduce 0", head + "reduce: 0s\n", "c.yaml:2: reduce is zero: want between 10s and 1m0s (no reduce: full rate)"},
		{"batch size", head + "influx:\n  batch_size: -5\n", "c.yaml:3: batch_size -5 is out of range"},
	} {
		_, err := Parse("c.yaml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestTagValuesValidated: a host or port name that cannot be a tag value
// (a YAML block scalar keeps its newline) is refused at its line; such a
// configuration used to pass --check and then write nothing at all.
func TestTagValuesValidated(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"block scalar host", "host: |\n  leaf01\nemulate: default\n", `c.yaml:1: host "leaf01\n" begins or ends with white space`},
		{"host with a newline", "host: \"leaf\\n01\"\nemulate: default\n", `c.yaml:1: host "leaf\n01" holds a control character`},
		{"long host", "host: " + strings.Repeat("h", 300) + "\nemulate: default\n", "c.yaml:1: host is 300 bytes long, more than 256"},
		{"port name", "ports:\n  - name: \"Ethernet1\\t\"\n    transport: i2c\n", `c.yaml:2: port name "Ethernet1\t" begins or ends with white space`},
	} {
		_, err := Parse("c.yaml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	c := Default("command line")
	c.Emulate, c.Host = "default", "leaf01\n"
	c.FromFlag("host", "--host")
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "command line: --host: host") {
		t.Errorf("flag host: %v", err)
	}
}

func TestInfluxURLChecked(t *testing.T) {
	const head = "emulate: default\ninflux:\n  bucket: b\n  url: "
	for _, tc := range []struct{ url, want string }{
		{"http://", `c.yaml:4: influx.url: "http://" has no host`},
		{"http://[::1", `c.yaml:4: influx.url: "http://[::1" is not a URL: missing ']' in host`},
		{"ftp://x", `must start with http:// or https://`},
		{"http://x:99999", `port "99999" is not between 1 and 65535`},
		{"http://x:", `empty port`},
		{"http://x:8086/?db=telemetry", "no query or fragment"},
		{"http://user:hunter2@127.0.0.1:8086", "http://127.0.0.1:8086 holds a user name or password: put the credentials (user:password for InfluxDB 1.8, or a token) in influx.token_file"},
		{"http://user@127.0.0.1:8086", "holds a user name or password"},
	} {
		_, err := Parse("c.yaml", []byte(head+"'"+tc.url+"'\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", tc.url, err)
		}
	}
	for _, ok := range []string{"http://127.0.0.1:8086", "https://influx.example:443/proxy/", "http://[::1]:8086"} {
		if _, err := Parse("c.yaml", []byte(head+ok+"\n")); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestPrometheusListenChecked(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"9464", "want host:port"},
		{"127.0.0.1:http-ish", `port "http-ish" is not between 0 and 65535`},
		{"127.0.0.1:70000", `port "70000"`},
		{"bad host!:9464", "is neither an IP address nor a host name"},
	} {
		_, err := Parse("c.yaml", []byte("emulate: default\nprometheus:\n  listen: \""+tc.addr+"\"\n"))
		if err == nil || !strings.Contains(err.Error(), "c.yaml:3: prometheus.listen") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.addr, err, tc.want)
		}
	}
	for _, ok := range []string{":9464", "127.0.0.1:9464", "[::1]:9464", "localhost:9464"} {
		if _, err := Parse("c.yaml", []byte("emulate: default\nprometheus:\n  listen: \""+ok+"\"\n")); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestLoadBounded: a configuration file is a regular file of at most
// MaxFileSize bytes; a named pipe is refused at once instead of blocking.
func TestLoadBounded(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, []byte("emulate: default\n# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o600)
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "more than the 1 MiB allowed") {
		t.Errorf("big file: %v", err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file (it is a named pipe)") {
		t.Errorf("fifo: %v", err)
	}
}

// TestTokenFileChecked: a token file that is missing, empty, a named pipe
// (which used to hang ddm run for good), too large or holds more than one
// line is an error that never shows the token.
func TestTokenFileChecked(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope"), "no such file"},
		{"empty", write("empty", " \n"), "is empty"},
		{"fifo", fifo, "not a regular file (it is a named pipe)"},
		{"two lines", write("two", "s3cret\nmore\n"), "control character at byte 6"},
		{"too large", write("big", strings.Repeat("s", MaxTokenFileSize+1)), "more than the 64 KiB allowed"},
	} {
		c := Default("c.yaml")
		c.Influx.TokenFile = tc.path
		done := make(chan error, 1)
		go func() { _, err := c.Token(nil); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Token blocked", tc.name)
		}
	}
	c := Default("c.yaml")
	c.Influx.TokenFile = write("ok", "user:pass\n")
	if tok, err := c.Token(nil); err != nil || tok != "user:pass" {
		t.Errorf("token %q %v", tok, err)
	}
}

// Package config reads ddm's configuration file: the ports to poll and how
// to reach them, the cadences, the sinks (InfluxDB, line protocol,
// Prometheus) and the rules file. Errors name the file, the line and the
// problem; unknown keys are errors (a typo must not silently fall back to a
// default on a fleet of switches).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ddm-agent/ddm/internal/fileerr"
)

// Config is the whole file. The zero value of every field means "default".
type Config struct {
	// Host tags every point; default: the machine's hostname.
	Host string `yaml:"host"`
	// Interval is the fast cadence (monitors, flags); default 1s.
	Interval Duration `yaml:"interval"`
	// VDMInterval is the VDM cadence (with the freeze handshake); default 10s.
	VDMInterval Duration `yaml:"vdm_interval"`
	// Revalidate is how often static pages are re-checked (checksums) while
	// nothing changed; default 10m.
	Revalidate Duration `yaml:"revalidate"`
	// Emulate runs the agent on the emulator: "default" or a platform file.
	Emulate string `yaml:"emulate"`
	Ports   []Port `yaml:"ports"`
	Influx  Influx `yaml:"influx"`
	// Output: "influx" (default when influx.url is set) or "lp" (line
	// protocol on stdout, for Telegraf's execd input).
	Output     string     `yaml:"output"`
	Prometheus Prometheus `yaml:"prometheus"`
	// Rules is the alarm rules file.
	Rules string `yaml:"rules"`

	file string
}

// Port is one module cage and how to reach its memory.
type Port struct {
	Name string `yaml:"name"`
	// Transport: i2c (/dev/i2c-N), optoe (sysfs eeprom file), netlink
	// (ethtool, a NIC's module).
	Transport string `yaml:"transport"`
	// Bus is the /dev/i2c-N number (a mux channel is its own bus number, as
	// the kernel's i2c-mux driver exposes it). Transport i2c.
	Bus int `yaml:"bus"`
	// Address is the 7-bit device address, default 0x50.
	Address Hex `yaml:"address"`
	// Path is the optoe eeprom file. Transport optoe.
	Path string `yaml:"path"`
	// Interface is the network interface. Transport netlink.
	Interface string `yaml:"interface"`
	// Shared: the NOS also reads this module (optoe on the same bus); the
	// pager re-selects pages and restores page 00h.
	Shared bool `yaml:"shared"`

	line int
}

// Influx configures the InfluxDB sink.
type Influx struct {
	URL    string `yaml:"url"`
	Org    string `yaml:"org"`
	Bucket string `yaml:"bucket"`
	// The token comes from a file or an environment variable, never from
	// the command line (argv is world-readable in /proc).
	TokenFile     string `yaml:"token_file"`
	TokenEnv      string `yaml:"token_env"`
	CAFile        string `yaml:"ca_file"`
	CertFile      string `yaml:"cert_file"`
	KeyFile       string `yaml:"key_file"`
	SkipTLSVerify bool   `yaml:"insecure_skip_verify"`
	// SpoolDir keeps points while InfluxDB is away; default
	// $STATE_DIRECTORY/spool (systemd) or /var/lib/ddm/spool.
	SpoolDir      string `yaml:"spool_dir"`
	SpoolMaxBytes Size   `yaml:"spool_max_bytes"`
	BatchSize     int    `yaml:"batch_size"`
}

// Prometheus configures the optional /metrics endpoint.
type Prometheus struct {
	Listen string `yaml:"listen"`
}

// Error is a configuration problem at a line of a file.
type Error = fileerr.Error

// Default returns a configuration with every default applied and no ports,
// for a command line that names everything with flags; name is used in
// errors. Call Validate after filling it.
func Default(name string) *Config {
	c := &Config{file: name}
	c.applyDefaults()
	return c
}

// Load reads and validates a configuration file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

// Parse reads and validates configuration text; name is used in errors.
func Parse(name string, b []byte) (*Config, error) {
	c := &Config{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a typo in a key is an error, not a silent default
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fileerr.FromYAML(name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err == nil {
		recordPortLines(&root, c)
	}
	c.file = name
	c.applyDefaults()
	return c, c.Validate()
}

// recordPortLines remembers the line of each port entry for errors.
func recordPortLines(root *yaml.Node, c *Config) {
	if len(root.Content) == 0 {
		return
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "ports" {
			for j, item := range m.Content[i+1].Content {
				if j < len(c.Ports) {
					c.Ports[j].line = item.Line
				}
			}
		}
	}
}

func (c *Config) applyDefaults() {
	if c.Host == "" {
		c.Host, _ = os.Hostname()
	}
	if c.Interval == 0 {
		c.Interval = Duration(time.Second)
	}
	if c.VDMInterval == 0 {
		c.VDMInterval = Duration(10 * time.Second)
	}
	if c.Revalidate == 0 {
		c.Revalidate = Duration(10 * time.Minute)
	}
	for i := range c.Ports {
		if c.Ports[i].Address == 0 {
			c.Ports[i].Address = 0x50
		}
	}
	if c.Influx.SpoolDir == "" {
		if d := os.Getenv("STATE_DIRECTORY"); d != "" {
			c.Influx.SpoolDir = strings.Split(d, ":")[0] + "/spool"
		} else {
			c.Influx.SpoolDir = "/var/lib/ddm/spool"
		}
	}
	if c.Influx.SpoolMaxBytes == 0 {
		c.Influx.SpoolMaxBytes = 1 << 30
	}
	if c.Output == "" && c.Influx.URL != "" {
		c.Output = "influx"
	}
}

// Validate checks the configuration as a whole; flags may have changed it
// since Parse.
func (c *Config) Validate() error {
	bad := func(line int, format string, args ...any) error {
		return &Error{File: c.file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if c.Interval < Duration(100*time.Millisecond) {
		return bad(0, "interval %v is below 100ms: the bus cannot keep up", time.Duration(c.Interval))
	}
	if c.VDMInterval < c.Interval {
		return bad(0, "vdm_interval %v is shorter than interval %v", time.Duration(c.VDMInterval), time.Duration(c.Interval))
	}
	if len(c.Ports) == 0 && c.Emulate == "" {
		return bad(0, "no ports: list ports, or run on the emulator (emulate: default)")
	}
	seen := map[string]int{}
	for _, p := range c.Ports {
		if p.Name == "" {
			return bad(p.line, "port without a name")
		}
		if l, dup := seen[p.Name]; dup {
			return bad(p.line, "port %q is listed twice (first at line %d)", p.Name, l)
		}
		seen[p.Name] = p.line
		switch p.Transport {
		case "i2c":
			if p.Bus < 0 {
				return bad(p.line, "port %q: bus %d is not a /dev/i2c-N number", p.Name, p.Bus)
			}
		case "optoe":
			if p.Path == "" {
				return bad(p.line, "port %q: transport optoe needs path (the sysfs eeprom file)", p.Name)
			}
		case "netlink":
			if p.Interface == "" {
				return bad(p.line, "port %q: transport netlink needs interface", p.Name)
			}
		case "":
			return bad(p.line, "port %q: transport missing (i2c, optoe or netlink)", p.Name)
		default:
			return bad(p.line, "port %q: unknown transport %q (i2c, optoe or netlink)", p.Name, p.Transport)
		}
		if p.Address > 0x7f || p.Address < 0x03 {
			return bad(p.line, "port %q: address %#x is not a 7-bit device address", p.Name, int(p.Address))
		}
	}
	switch c.Output {
	case "", "influx", "lp":
	default:
		return bad(0, "output %q: use influx or lp", c.Output)
	}
	if c.Output == "influx" {
		if c.Influx.URL == "" {
			return bad(0, "output influx needs influx.url")
		}
		if c.Influx.Bucket == "" {
			return bad(0, "influx.bucket is required (for InfluxDB 1.8: database/retention-policy)")
		}
		if !strings.HasPrefix(c.Influx.URL, "http://") && !strings.HasPrefix(c.Influx.URL, "https://") {
			return bad(0, "influx.url %q must start with http:// or https://", c.Influx.URL)
		}
	}
	return nil
}

// File is the path the configuration was read from.
func (c *Config) File() string { return c.file }

// Token reads the InfluxDB token from the file or environment variable the
// configuration names. It warns (through warn) when the token file can be
// read by others.
func (c *Config) Token(warn func(string)) (string, error) {
	switch {
	case c.Influx.TokenFile != "":
		st, err := os.Stat(c.Influx.TokenFile)
		if err != nil {
			return "", fmt.Errorf("config: influx.token_file: %w", err)
		}
		if st.Mode().Perm()&0o044 != 0 && warn != nil {
			warn(fmt.Sprintf("influx token file %s is readable by group or others (mode %v); chmod 600 it", c.Influx.TokenFile, st.Mode().Perm()))
		}
		b, err := os.ReadFile(c.Influx.TokenFile)
		if err != nil {
			return "", fmt.Errorf("config: influx.token_file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	case c.Influx.TokenEnv != "":
		return os.Getenv(c.Influx.TokenEnv), nil
	}
	return os.Getenv("DDM_INFLUX_TOKEN"), nil
}

// Duration is a time.Duration written as "1s", "500ms", "10m".
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (like 1s, 500ms, 10m)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Hex is an integer that may be written 0x50 or 80.
type Hex int

// UnmarshalYAML parses decimal or 0x-prefixed hex.
func (h *Hex) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.ParseInt(n.Value, 0, 32)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a number (like 0x50)", n.Line, n.Value)
	}
	*h = Hex(v)
	return nil
}

// Size is a byte count written as 1073741824, "512MiB", "1GiB", "100MB".
type Size int64

// UnmarshalYAML parses a byte count with an optional unit.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*s = Size(v)
	return nil
}

// ParseSize parses "1GiB", "512MiB", "100MB", "4096".
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	t := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), 64)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("%q is not a size (like 512MiB)", s)
			}
			return int64(v * float64(u.mult)), nil
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a size (like 512MiB)", s)
	}
	return v, nil
}

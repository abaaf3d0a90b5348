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
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/fileerr"
	"github.com/ddm-agent/ddm/internal/smallfile"
	"github.com/ddm-agent/ddm/internal/tagvalue"
	"github.com/ddm-agent/ddm/topology"
	"github.com/ddm-agent/ddm/winstat"
)

// Config is the whole file. The zero value of every field means "default".
type Config struct {
	// Host tags every point; default: the machine's hostname.
	Host string `yaml:"host"`
	// Interval is the fast cadence (monitors, flags); default 1s.
	Interval Duration `yaml:"interval"`
	// VDMInterval is the VDM cadence (with the freeze handshake); default 10s.
	VDMInterval Duration `yaml:"vdm_interval"`
	// FlagInterval is the flag scan's period between fast cycles (only the
	// flag summaries, and the flags they show); default 100ms.
	FlagInterval Duration `yaml:"flag_interval"`
	// Reduce, when set, sends steady-state telemetry to InfluxDB (or lp)
	// as statistics over windows of this length (package winstat, between
	// winstat.MinWindow and MaxWindow); zero: full rate.
	Reduce Duration `yaml:"reduce"`
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
	// lines maps a key's dotted path ("influx.spool_max_bytes") to its line
	// in the file, for errors; flags maps it to the command-line flag that
	// replaced the file's value.
	lines map[string]int
	flags map[string]string
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
	// LaserSource names the port of the external laser source (ELSFP) that
	// lights this optical engine, and Lasers which of its lasers light
	// which lanes and switch ports (the optical topology).
	LaserSource string      `yaml:"laser_source"`
	Lasers      []LaserFeed `yaml:"lasers"`
	// Interrupt is where the module's IntL is wired: "gpio NAME" (a GPIO
	// as periph names it, GPIO17). The flag scan of this port then runs on
	// the pin's falling edge instead of the flag_interval timer. With
	// emulate, a port entry without a transport names a port of the
	// emulated switch, whose cages' IntL are GPIOs named IntL-PORT.
	Interrupt string `yaml:"interrupt"`

	// file is the configuration file that lists the port ("" for a port
	// made from command-line flags), line the port entry's line in it,
	// interruptLine its interrupt key's.
	file                string
	line, interruptLine int
}

// Err places err, a problem found with the port after the configuration
// was read (opening it), at the port entry's line of its file, as the
// configuration's own errors are; a port no file lists keeps err as is.
func (p Port) Err(err error) error { return p.errAtLine(p.line, err) }

// InterruptErr places err, a problem with the port's interrupt GPIO, at
// the line of its interrupt key.
func (p Port) InterruptErr(err error) error { return p.errAtLine(p.interruptLine, err) }

func (p Port) errAtLine(line int, err error) error {
	if p.file == "" || err == nil {
		return err
	}
	return &Error{File: p.file, Line: line, Msg: err.Error(), Err: err}
}

// InterruptGPIO returns the GPIO name of Interrupt ("" when none).
func (p Port) InterruptGPIO() string {
	f := strings.Fields(p.Interrupt)
	if len(f) == 2 && f[0] == "gpio" {
		return f[1]
	}
	return ""
}

// LaserFeed is one laser of an engine's laser source: laser Laser
// (1-based) lights lanes Lanes ("1-4", "1,3,5-8"), which carry switch port
// Port.
type LaserFeed struct {
	Laser int    `yaml:"laser"`
	Lanes string `yaml:"lanes"`
	Port  string `yaml:"port"`
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
	// SpoolDir keeps points while InfluxDB is away; empty means
	// <state folder>/spool, the state folder being ddm run's choice
	// (--state-dir, else internal/statedir: $STATE_DIRECTORY, /var/lib/ddm
	// for root, else the user's own).
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

// MaxFileSize bounds a configuration file: a real one is a few KiB, and
// YAML parsing costs many times the file's size in memory.
const MaxFileSize = 1 << 20

// MaxTokenFileSize bounds the token file.
const MaxTokenFileSize = 64 << 10

// Load reads and validates a configuration file: a regular file of at most
// MaxFileSize bytes.
func Load(path string) (*Config, error) {
	b, err := smallfile.Read(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

// Parse reads and validates configuration text; name is used in errors.
func Parse(name string, b []byte) (*Config, error) {
	c := &Config{file: name}
	var root yaml.Node
	rootErr := yaml.Unmarshal(b, &root)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a typo in a key is an error, not a silent default
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		fe := fileerr.FromYAML(name, b, err)
		if rootErr == nil {
			// Name the key whose value was refused ("influx.spool_max_bytes:
			// \"NaNGiB\" is not a size").
			c.recordLines(&root)
			key := ""
			for k, l := range c.lines {
				if l == fe.Line && len(k) > len(key) { // the innermost key of the line
					key = k
				}
			}
			if key != "" && !strings.HasPrefix(fe.Msg, "field ") {
				fe.Msg = key + ": " + fe.Msg
			}
		}
		return nil, fe
	}
	if rootErr == nil {
		c.recordLines(&root)
	}
	c.file = name
	// A key written in the file with a zero value would otherwise become
	// its default unnoticed (spool_max_bytes: 0.1B was 1 GiB).
	if err := c.checkExplicitZeros(); err != nil {
		return nil, err
	}
	c.applyDefaults()
	return c, c.Validate()
}

// recordLines remembers the line of every key (as a dotted path) and of
// each port entry, for errors.
func (c *Config) recordLines(root *yaml.Node) {
	c.lines = map[string]int{}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return
	}
	var walk func(prefix string, m *yaml.Node)
	walk = func(prefix string, m *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			c.lines[prefix+k.Value] = v.Line
			switch {
			case prefix == "" && k.Value == "ports":
				for j, item := range v.Content {
					if j < len(c.Ports) {
						c.Ports[j].file = c.file
						c.Ports[j].line = item.Line
						c.Ports[j].interruptLine = keyLine(item, "interrupt", item.Line)
					}
				}
			case v.Kind == yaml.MappingNode && prefix == "":
				walk(k.Value+".", v)
			}
		}
	}
	walk("", root.Content[0])
}

// keyLine is the line of key's value in mapping m, or def.
func keyLine(m *yaml.Node, key string, def int) int {
	for i := 0; m.Kind == yaml.MappingNode && i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1].Line
		}
	}
	return def
}

// FromFlag records that flag replaced key's value, so errors about the
// key name the flag rather than a line of the file.
func (c *Config) FromFlag(key, flag string) {
	if c.flags == nil {
		c.flags = map[string]string{}
	}
	c.flags[key] = flag
}

// errAt is an error about key: at its line in the file, or naming the flag
// that set it.
func (c *Config) errAt(key, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if f, ok := c.flags[key]; ok {
		return &Error{File: "command line", Msg: fmt.Sprintf("%s: %s", f, msg)}
	}
	return &Error{File: c.file, Line: c.lines[key], Msg: msg}
}

// Line is the line of key (a dotted path such as "influx.url") in the
// file, or 0 when the file does not set it.
func (c *Config) Line(key string) int { return c.lines[key] }

func (c *Config) inFile(key string) bool {
	_, ok := c.lines[key]
	return ok
}

// checkExplicitZeros refuses keys given in the file whose value is zero,
// the value that otherwise means "use the default".
func (c *Config) checkExplicitZeros() error {
	for _, k := range []struct {
		key  string
		zero bool
		want string
	}{
		{"interval", c.Interval == 0, fmt.Sprintf("between %v and %v", MinInterval, MaxInterval)},
		{"vdm_interval", c.VDMInterval == 0, fmt.Sprintf("at least the interval, at most %v", MaxVDMInterval)},
		{"flag_interval", c.FlagInterval == 0, fmt.Sprintf("between %v and the interval", MinFlagInterval)},
		{"reduce", c.Reduce == 0, fmt.Sprintf("between %v and %v (no reduce: full rate)", winstat.MinWindow, winstat.MaxWindow)},
		{"revalidate", c.Revalidate == 0, fmt.Sprintf("between %v and %v", MinRevalidate, MaxRevalidate)},
		{"influx.spool_max_bytes", c.Influx.SpoolMaxBytes == 0, fmt.Sprintf("between %s and %s", smallfile.FormatSize(MinSpoolBytes), smallfile.FormatSize(MaxSpoolBytes))},
		{"influx.batch_size", c.Influx.BatchSize == 0, fmt.Sprintf("between 1 and %d", MaxBatchSize)},
	} {
		if k.zero && c.inFile(k.key) {
			return c.errAt(k.key, "%s is zero: want %s, or leave it out for the default", k.key, k.want)
		}
	}
	return nil
}

func (c *Config) applyDefaults() {
	if c.Host == "" {
		c.Host, _ = os.Hostname()
	}
	if c.Interval == 0 {
		c.Interval = Duration(agent.DefaultInterval)
	}
	if c.VDMInterval == 0 {
		c.VDMInterval = Duration(agent.DefaultVDMInterval)
	}
	if c.FlagInterval == 0 {
		c.FlagInterval = Duration(min(agent.DefaultFlagInterval, time.Duration(c.Interval)))
	}
	if c.Revalidate == 0 {
		c.Revalidate = Duration(agent.DefaultRevalidate)
	}
	for i := range c.Ports {
		if c.Ports[i].Address == 0 {
			c.Ports[i].Address = 0x50
		}
	}
	if c.Influx.SpoolMaxBytes == 0 {
		c.Influx.SpoolMaxBytes = exporter.DefaultSpoolMaxBytes
	}
	if c.Output == "" && c.Influx.URL != "" {
		c.Output = "influx"
	}
}

// Bounds of the numeric keys. Values outside them are refused: they are
// typos or misunderstandings, and each would quietly cost something (a bus
// kept busy, a spool without bound, a watchdog that cannot be fed).
const (
	// MinInterval: below it the bus cannot keep up with a full switch.
	MinInterval = 100 * time.Millisecond
	// MaxInterval: the shipped unit's start and watchdog timeouts hold for
	// any interval (readiness and the watchdog do not wait for a cycle),
	// but a fast cadence slower than this misses what it is for (flags
	// latch and clear; monitors drift).
	MaxInterval    = 5 * time.Minute
	MaxVDMInterval = time.Hour
	// MinFlagInterval: a flag scan of a full bus takes some 10 ms of wire
	// time at 400 kHz.
	MinFlagInterval = 10 * time.Millisecond
	// MinRevalidate: static pages are re-read at insertion and on every
	// state or firmware change anyway; revalidation only re-checks their
	// checksums, and a full static read costs tens of fast reads.
	MinRevalidate = time.Minute
	MaxRevalidate = 24 * time.Hour
	// MinSpoolBytes keeps at least a few minutes of a switch's points;
	// MaxSpoolBytes is a typo guard (1e30GiB).
	MinSpoolBytes = 1 << 20
	MaxSpoolBytes = 1 << 40
	MaxBatchSize  = 100000
)

// Validate checks the configuration as a whole; flags may have changed it
// since Parse. It does not touch the file system; Token and the caller's
// spool checks do.
func (c *Config) Validate() error {
	bad := func(line int, format string, args ...any) error {
		return &Error{File: c.file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if err := c.validateHost(); err != nil {
		return err
	}
	if iv := time.Duration(c.Interval); iv < MinInterval || iv > MaxInterval {
		return c.errAt("interval", "interval %v is out of range: want between %v and %v (below, the bus cannot keep up)", iv, MinInterval, MaxInterval)
	}
	if c.VDMInterval < c.Interval {
		return c.errAt("vdm_interval", "vdm_interval %v is shorter than interval %v", time.Duration(c.VDMInterval), time.Duration(c.Interval))
	}
	if v := time.Duration(c.VDMInterval); v > MaxVDMInterval {
		return c.errAt("vdm_interval", "vdm_interval %v is longer than %v", v, MaxVDMInterval)
	}
	if f := time.Duration(c.FlagInterval); f < MinFlagInterval || f > time.Duration(c.Interval) {
		return c.errAt("flag_interval", "flag_interval %v is out of range: want between %v and the interval (%v)", f, MinFlagInterval, time.Duration(c.Interval))
	}
	if c.Reduce != 0 {
		if err := winstat.CheckWindow(time.Duration(c.Reduce)); err != nil {
			return c.errAt("reduce", "%v", err)
		}
	}
	if r := time.Duration(c.Revalidate); r < MinRevalidate || r > MaxRevalidate {
		return c.errAt("revalidate", "revalidate %v is out of range: want between %v and %v (static pages are re-read on every insertion and state change anyway)", r, MinRevalidate, MaxRevalidate)
	}
	if n := int64(c.Influx.SpoolMaxBytes); n < MinSpoolBytes || n > MaxSpoolBytes {
		return c.errAt("influx.spool_max_bytes", "spool_max_bytes %d is out of range: want between %s and %s", n, smallfile.FormatSize(MinSpoolBytes), smallfile.FormatSize(MaxSpoolBytes))
	}
	if n := c.Influx.BatchSize; n < 0 || n > MaxBatchSize {
		return c.errAt("influx.batch_size", "batch_size %d is out of range: want between 1 and %d", n, MaxBatchSize)
	}
	if len(c.Ports) == 0 && c.Emulate == "" {
		return bad(0, "no ports: list ports, or run on the emulator (emulate: default)")
	}
	seen := map[string]int{}
	// pins: each GPIO's port. A pin shared by two ports is refused: each
	// port waits for the pin's edges and an edge wakes one waiter, and a
	// shared (wire-OR) IntL held low by one module shows no edge for the
	// next, so the other module's flags would wait for a scan that
	// interrupt mode does not run.
	pins := map[string]Port{}
	for _, p := range c.Ports {
		if p.Name == "" {
			return bad(p.line, "port without a name")
		}
		if err := tagvalue.Check(p.Name); err != nil {
			return bad(p.line, "port name %v (it tags every point of the port)", err)
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
			if c.Emulate != "" {
				// A port of the emulated switch: where its IntL is wired.
				if p.Interrupt == "" {
					return bad(p.line, "port %q: with emulate, a port without a transport names a port of the emulated switch to set its interrupt; interrupt missing", p.Name)
				}
				break
			}
			return bad(p.line, "port %q: transport missing (i2c, optoe or netlink)", p.Name)
		default:
			return bad(p.line, "port %q: unknown transport %q (i2c, optoe or netlink)", p.Name, p.Transport)
		}
		if p.Address > 0x7f || p.Address < 0x03 {
			return bad(p.line, "port %q: address %#x is not a 7-bit device address", p.Name, int(p.Address))
		}
		if p.Interrupt != "" && p.InterruptGPIO() == "" {
			return bad(p.interruptLine, "port %q: interrupt %q: want \"gpio NAME\" (the GPIO the module's IntL is wired to)", p.Name, p.Interrupt)
		}
		if pin := p.InterruptGPIO(); pin != "" {
			if first, dup := pins[pin]; dup {
				return bad(p.interruptLine, "port %q: interrupt gpio %s is port %q's already (line %d): give each port its own IntL pin, or leave interrupt out of one (its flags are then scanned every flag_interval)",
					p.Name, pin, first.Name, first.interruptLine)
			}
			pins[pin] = p
		}
	}
	if _, err := c.Topology(); err != nil {
		return err
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
		if err := CheckInfluxURL(c.Influx.URL); err != nil {
			return c.errAt("influx.url", "influx.url: %v", err)
		}
	}
	if c.Prometheus.Listen != "" {
		if err := checkListen(c.Prometheus.Listen); err != nil {
			return c.errAt("prometheus.listen", "prometheus.listen %q: %v", c.Prometheus.Listen, err)
		}
	}
	return nil
}

func (c *Config) validateHost() error {
	if c.Host == "" {
		return c.errAt("host", "host is empty and the hostname is unknown: set host")
	}
	if err := tagvalue.Check(c.Host); err != nil {
		return c.errAt("host", "host %v (it tags every point)", err)
	}
	return nil
}

// CheckInfluxURL checks an InfluxDB URL: http or https, a host, a valid
// port, and no user name or password (they would be in the process's
// argv and the journal; the token file is the place for them).
func CheckInfluxURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	if u.User != nil {
		// Name the URL without the secret.
		u.User = nil
		return fmt.Errorf("%s holds a user name or password: put the credentials (user:password for InfluxDB 1.8, or a token) in influx.token_file (--influx-token-file), mode 0600, never in the URL", u.Redacted())
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must start with http:// or https://", raw)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%q has no host (like http://127.0.0.1:8086)", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: port %q is not between 1 and 65535", raw, p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("%q: empty port", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: no query or fragment, please (the bucket and org have their own keys)", raw)
	}
	return nil
}

// checkListen checks a host:port listen address without binding it (a
// running ddm may hold it while --check runs).
func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, like 127.0.0.1:9464 or :9464 (%v)", err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not between 0 and 65535", port)
	}
	if host != "" && net.ParseIP(host) == nil {
		for _, r := range host {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '.') {
				return fmt.Errorf("host %q is neither an IP address nor a host name", host)
			}
		}
	}
	return nil
}

// File is the path the configuration was read from.
func (c *Config) File() string { return c.file }

// Token reads the InfluxDB token from the file or environment variable the
// configuration names. It warns (through warn) when the token file can be
// read by others.
//
// The token file must be a regular file (a named pipe would block the
// start for good) of at most MaxTokenFileSize bytes, and hold a token: one
// line without control characters (white space around it is trimmed). A
// token from the environment is held to the same rule when set.
func (c *Config) Token(warn func(string)) (string, error) {
	switch {
	case c.Influx.TokenFile != "":
		b, err := smallfile.Read(c.Influx.TokenFile, MaxTokenFileSize)
		if err != nil {
			return "", fmt.Errorf("config: influx.token_file: %w", err)
		}
		if st, err := os.Stat(c.Influx.TokenFile); err == nil && st.Mode().Perm()&0o044 != 0 && warn != nil {
			warn(fmt.Sprintf("influx token file %s is readable by group or others (mode %v); chmod 600 it", c.Influx.TokenFile, st.Mode().Perm()))
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("config: influx.token_file %s is empty: write the token (user:password for InfluxDB 1.8) into it, or leave token_file out for no authentication", c.Influx.TokenFile)
		}
		if err := exporter.CheckToken(tok); err != nil {
			return "", fmt.Errorf("config: influx.token_file %s: %w", c.Influx.TokenFile, err)
		}
		return tok, nil
	case c.Influx.TokenEnv != "":
		return envToken(c.Influx.TokenEnv)
	}
	return envToken("DDM_INFLUX_TOKEN")
}

func envToken(name string) (string, error) {
	tok := strings.TrimSpace(os.Getenv(name))
	if tok == "" {
		return "", nil
	}
	if err := exporter.CheckToken(tok); err != nil {
		return "", fmt.Errorf("config: $%s: %w", name, err)
	}
	return tok, nil
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

// ParseSize parses "1GiB", "512MiB", "1.5GiB", "100MB", "4096": a
// non-negative whole number of bytes that fits in an int64. NaN, infinity,
// overflow and fractions of a byte are errors.
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	t := strings.TrimSpace(s)
	notSize := fmt.Errorf("%q is not a size (like 512MiB)", s)
	for _, u := range units {
		num, ok := strings.CutSuffix(t, u.suffix)
		if !ok {
			continue
		}
		num = strings.TrimSpace(num)
		// Digits and one point only: ParseFloat also takes "NaN", "Inf",
		// hex floats and exponents, none of which is a size.
		if num == "" || strings.Trim(num, "0123456789.") != "" || strings.Count(num, ".") > 1 {
			return 0, notSize
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, notSize
		}
		b := v * float64(u.mult)
		if b >= math.MaxInt64 {
			return 0, fmt.Errorf("%q is too large", s)
		}
		if b != math.Trunc(b) {
			return 0, fmt.Errorf("%q is not a whole number of bytes", s)
		}
		return int64(b), nil
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 0 {
		return 0, notSize
	}
	return v, nil
}

// Topology is the optical topology the ports' laser_source and lasers
// describe, or nil when none does. An error names the port's line.
func (c *Config) Topology() (*topology.Map, error) {
	m := &topology.Map{}
	names := map[string]bool{}
	for _, p := range c.Ports {
		names[p.Name] = true
	}
	for _, p := range c.Ports {
		bad := func(format string, args ...any) error {
			return &Error{File: c.file, Line: p.line, Msg: fmt.Sprintf("port %q: ", p.Name) + fmt.Sprintf(format, args...)}
		}
		switch {
		case p.LaserSource == "" && len(p.Lasers) > 0:
			return nil, bad("lasers without a laser_source")
		case p.LaserSource == "":
			continue
		case !names[p.LaserSource]:
			return nil, bad("laser_source %q is not a port of the configuration", p.LaserSource)
		case len(p.Lasers) == 0:
			return nil, bad("laser_source %q: list its lasers (laser, lanes, port) that light this engine", p.LaserSource)
		}
		for _, f := range p.Lasers {
			lanes, err := topology.ParseLanes(f.Lanes)
			if err != nil {
				return nil, bad("laser %d: %v", f.Laser, err)
			}
			m.Feeds = append(m.Feeds, topology.Feed{Source: p.LaserSource, Laser: f.Laser, Engine: p.Name, Lanes: lanes, Port: f.Port})
		}
	}
	if len(m.Feeds) == 0 {
		return nil, nil
	}
	if err := m.Validate(); err != nil {
		return nil, &Error{File: c.file, Msg: "optical topology: " + err.Error()}
	}
	return m, nil
}

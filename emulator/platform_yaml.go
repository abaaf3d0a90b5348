package emulator

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ddm-agent/ddm/internal/fileerr"
	"github.com/ddm-agent/ddm/topology"
)

// maxYAML bounds a platform file.
const maxYAML = 4 << 20

// LoadPlatform reads a platform from a YAML file; errors name the line.
// "file:" profiles are relative to the file's directory. The format:
//
//	name: lab-switch
//	seed: 7                      # default 1; each port's seed derives from it
//	buses:
//	  - name: i2c-1
//	    speed: 400kHz            # default 100kHz
//	    muxes:
//	      - address: 0x70
//	        channels: [i2c-10, i2c-11]   # or first: 10 and count: 8 (i2c-10..i2c-17)
//	ports:
//	  - {name: Ethernet1/1, bus: i2c-10, profile: osfp-800g-dr8}   # address defaults to 0x50
//	  - {name: els1, bus: i2c-11, address: 0x50, profile: elsfp}
//	  - {name: Ethernet1/2, bus: i2c-1, address: 0x52, profile: npo-3.2t, laser_source: els1,
//	     lasers: [{laser: 1, lanes: 1-4, port: Ethernet2/1}, {laser: 2, lanes: 5-8, port: Ethernet2/2}]}
//	  - {name: Ethernet1/3, bus: i2c-12, absent: true}
//	scenarios:
//	  - {port: Ethernet1/1, kind: ber_ramp, lane: 3, start: 2m, duration: 30m, target: 3e-4}
//	  - {port: Ethernet1/1, kind: unplug, start: 5m, duration: 30s, every: 10m}
//
// Scenario kinds are the FaultKind and DegradationKind values; their fields
// are lane, start, duration, every, rate, target, pages and delay.
func LoadPlatform(path string, opts ...Option) (*Platform, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxYAML+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxYAML {
		return nil, &PlatformError{File: path, Msg: fmt.Sprintf("larger than %d bytes", maxYAML)}
	}
	return parsePlatform(path, filepath.Dir(path), data, opts)
}

// ParsePlatform reads a platform from YAML text; name is used in errors.
// "file:" profiles are relative to the working directory.
func ParsePlatform(name string, data []byte, opts ...Option) (*Platform, error) {
	return parsePlatform(name, "", data, opts)
}

func parsePlatform(file, dir string, data []byte, opts []Option) (*Platform, error) {
	y := &yparser{file: file}
	spec, seed, err := y.platform(data)
	if err != nil {
		return nil, err
	}
	spec.dir = dir
	if seed != nil {
		opts = append([]Option{WithSeed(*seed)}, opts...)
	}
	return build(file, spec, opts)
}

// yparser turns YAML nodes into a platformSpec, with line numbers.
type yparser struct{ file string }

func (y *yparser) errf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &PlatformError{File: y.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (y *yparser) platform(data []byte) (*platformSpec, *uint64, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		e := fileerr.FromYAML(y.file, data, err)
		e.Msg = "YAML: " + e.Msg
		return nil, nil, e
	}
	if len(doc.Content) == 0 {
		return nil, nil, &PlatformError{File: y.file, Msg: "empty platform description"}
	}
	f, err := y.fields(doc.Content[0], "platform", "name", "seed", "buses", "ports", "scenarios")
	if err != nil {
		return nil, nil, err
	}
	spec := &platformSpec{}
	var seed *uint64
	if n := f["name"]; n != nil {
		if spec.Name, err = y.str(n); err != nil {
			return nil, nil, err
		}
	}
	if n := f["seed"]; n != nil {
		v, err := strconv.ParseUint(y.scalar(n), 0, 64)
		if err != nil {
			return nil, nil, y.errf(n, "seed %q is not an unsigned integer", y.scalar(n))
		}
		seed = &v
	}
	for _, part := range []struct {
		key string
		fn  func(*yaml.Node) error
	}{
		{"buses", func(n *yaml.Node) error { b, err := y.bus(n); spec.Buses = append(spec.Buses, b); return err }},
		{"ports", func(n *yaml.Node) error { p, err := y.port(n); spec.Ports = append(spec.Ports, p); return err }},
		{"scenarios", func(n *yaml.Node) error {
			s, err := y.scenario(n)
			spec.Scenarios = append(spec.Scenarios, s)
			return err
		}},
	} {
		items, err := y.seq(f[part.key], part.key)
		if err != nil {
			return nil, nil, err
		}
		if len(items) > maxPorts {
			return nil, nil, y.errf(f[part.key], "%d %s (at most %d)", len(items), part.key, maxPorts)
		}
		for _, it := range items {
			if err := part.fn(it); err != nil {
				return nil, nil, err
			}
		}
	}
	return spec, seed, nil
}

func (y *yparser) bus(n *yaml.Node) (BusSpec, error) {
	bs := BusSpec{line: n.Line, Speed: DefaultSpeed}
	f, err := y.fields(n, "bus", "name", "speed", "muxes")
	if err != nil {
		return bs, err
	}
	if bs.Name, err = y.reqStr(n, f, "name"); err != nil {
		return bs, err
	}
	if s := f["speed"]; s != nil {
		if err := bs.Speed.Set(y.scalar(s)); err != nil || bs.Speed <= 0 {
			return bs, y.errf(s, "bus %s: speed %q: want a frequency such as 100kHz, 400kHz, 1MHz", bs.Name, y.scalar(s))
		}
	}
	muxes, err := y.seq(f["muxes"], "muxes")
	if err != nil {
		return bs, err
	}
	for _, mn := range muxes {
		ms, err := y.mux(mn)
		if err != nil {
			return bs, err
		}
		bs.Muxes = append(bs.Muxes, ms)
	}
	return bs, nil
}

func (y *yparser) mux(n *yaml.Node) (MuxSpec, error) {
	ms := MuxSpec{line: n.Line, Address: 0x70}
	f, err := y.fields(n, "mux", "address", "channels", "first", "count")
	if err != nil {
		return ms, err
	}
	if a := f["address"]; a != nil {
		if ms.Address, err = y.addr(a); err != nil {
			return ms, err
		}
	}
	switch {
	case f["channels"] != nil && (f["first"] != nil || f["count"] != nil):
		return ms, y.errf(n, "mux: give channels, or first and count, not both")
	case f["channels"] != nil:
		names, err := y.seq(f["channels"], "channels")
		if err != nil {
			return ms, err
		}
		for _, c := range names {
			s, err := y.str(c)
			if err != nil {
				return ms, err
			}
			ms.Channels = append(ms.Channels, s)
		}
	default:
		first, err1 := strconv.ParseUint(y.scalar(f["first"]), 0, 16)
		count, err2 := strconv.ParseUint(y.scalar(f["count"]), 0, 8)
		if err1 != nil || err2 != nil || count == 0 || count > MaxMuxChannels {
			return ms, y.errf(n, "mux: first must be a bus number and count 1 to %d", MaxMuxChannels)
		}
		for c := uint64(0); c < count; c++ {
			ms.Channels = append(ms.Channels, fmt.Sprintf("i2c-%d", first+c))
		}
	}
	return ms, nil
}

func (y *yparser) port(n *yaml.Node) (PortSpec, error) {
	ps := PortSpec{line: n.Line, Address: 0x50}
	f, err := y.fields(n, "port", "name", "bus", "address", "profile", "laser_source", "lasers", "absent", "serial")
	if err != nil {
		return ps, err
	}
	if ps.Name, err = y.reqStr(n, f, "name"); err != nil {
		return ps, err
	}
	if ps.Bus, err = y.reqStr(n, f, "bus"); err != nil {
		return ps, err
	}
	if a := f["address"]; a != nil {
		if ps.Address, err = y.addr(a); err != nil {
			return ps, err
		}
	}
	for _, o := range []struct {
		key string
		dst *string
	}{{"profile", &ps.Profile}, {"laser_source", &ps.LaserSource}, {"serial", &ps.Serial}} {
		if v := f[o.key]; v != nil {
			if *o.dst, err = y.str(v); err != nil {
				return ps, err
			}
		}
	}
	if a := f["absent"]; a != nil {
		if ps.Absent, err = strconv.ParseBool(y.scalar(a)); err != nil {
			return ps, y.errf(a, "absent: %q is not true or false", y.scalar(a))
		}
	}
	lasers, err := y.seq(f["lasers"], "lasers")
	if err != nil {
		return ps, err
	}
	for _, ln := range lasers {
		lf, err := y.laserFeed(ln, ps.Name)
		if err != nil {
			return ps, err
		}
		ps.Lasers = append(ps.Lasers, lf)
	}
	return ps, nil
}

// laserFeed reads one entry of an engine's lasers: {laser: 1, lanes: 1-4,
// port: Ethernet2/1}.
func (y *yparser) laserFeed(n *yaml.Node, engine string) (LaserFeed, error) {
	lf := LaserFeed{line: n.Line}
	f, err := y.fields(n, "lasers entry", "laser", "lanes", "port")
	if err != nil {
		return lf, err
	}
	if f["laser"] == nil || f["lanes"] == nil {
		return lf, y.errf(n, "port %s: a lasers entry needs laser and lanes", engine)
	}
	if lf.Laser, err = strconv.Atoi(y.scalar(f["laser"])); err != nil || lf.Laser < 1 || lf.Laser > topology.MaxLaser {
		return lf, y.errf(f["laser"], "port %s: laser %q: want a laser number 1-%d", engine, y.scalar(f["laser"]), topology.MaxLaser)
	}
	if lf.Lanes, err = topology.ParseLanes(y.scalar(f["lanes"])); err != nil {
		return lf, y.errf(f["lanes"], "port %s: %v", engine, err)
	}
	if p := f["port"]; p != nil {
		if lf.Port, err = y.str(p); err != nil {
			return lf, err
		}
	}
	return lf, nil
}

func (y *yparser) scenario(n *yaml.Node) (Scenario, error) {
	sc := Scenario{line: n.Line}
	f, err := y.fields(n, "scenario", "port", "kind", "lane", "start", "duration", "every", "rate", "target", "pages", "delay")
	if err != nil {
		return sc, err
	}
	if sc.Port, err = y.reqStr(n, f, "port"); err != nil {
		return sc, err
	}
	if sc.Kind, err = y.reqStr(n, f, "kind"); err != nil {
		return sc, err
	}
	if v := f["lane"]; v != nil {
		l, err := strconv.ParseUint(y.scalar(v), 0, 8)
		if err != nil {
			return sc, y.errf(v, "lane %q is not a lane number (1-255, 0 for all)", y.scalar(v))
		}
		sc.Lane = int(l)
	}
	for _, o := range []struct {
		key string
		dst *time.Duration
	}{{"start", &sc.Start}, {"duration", &sc.Duration}, {"every", &sc.Every}, {"delay", &sc.Delay}} {
		if v := f[o.key]; v != nil {
			d, err := time.ParseDuration(y.scalar(v))
			if err != nil || d < 0 {
				return sc, y.errf(v, "%s %q is not a duration such as 90s, 5m, 2h", o.key, y.scalar(v))
			}
			*o.dst = d
		}
	}
	for _, o := range []struct {
		key string
		dst *float64
	}{{"rate", &sc.Rate}, {"target", &sc.Target}} {
		if v := f[o.key]; v != nil {
			x, err := strconv.ParseFloat(y.scalar(v), 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return sc, y.errf(v, "%s %q is not a finite number", o.key, y.scalar(v))
			}
			*o.dst = x
		}
	}
	pages, err := y.seq(f["pages"], "pages")
	if err != nil {
		return sc, err
	}
	for _, pn := range pages {
		pg, err := strconv.ParseUint(y.scalar(pn), 0, 8)
		if err != nil {
			return sc, y.errf(pn, "page %q is not a page number (0x00-0xFF)", y.scalar(pn))
		}
		sc.Pages = append(sc.Pages, uint8(pg))
	}
	return sc, nil
}

// resolve follows an alias.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// fields returns a mapping's values by key, refusing unknown and repeated
// keys.
func (y *yparser) fields(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, y.errf(n, "%s: want a mapping of keys to values", what)
	}
	f := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		ok := false
		for _, a := range allowed {
			ok = ok || k.Value == a
		}
		switch {
		case !ok:
			return nil, y.errf(k, "%s: unknown key %q (want %s)", what, k.Value, strings.Join(allowed, ", "))
		case f[k.Value] != nil:
			return nil, y.errf(k, "%s: key %q given twice", what, k.Value)
		case v == nil:
			return nil, y.errf(k, "%s: key %q has no value", what, k.Value)
		}
		f[k.Value] = v
	}
	return f, nil
}

func (y *yparser) seq(n *yaml.Node, what string) ([]*yaml.Node, error) {
	n = resolve(n)
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, y.errf(n, "%s: want a list", what)
	}
	return n.Content, nil
}

func (y *yparser) scalar(n *yaml.Node) string {
	if n = resolve(n); n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func (y *yparser) str(n *yaml.Node) (string, error) {
	if n = resolve(n); n == nil || n.Kind != yaml.ScalarNode {
		return "", y.errf(n, "want a string")
	}
	return n.Value, nil
}

func (y *yparser) reqStr(parent *yaml.Node, f map[string]*yaml.Node, key string) (string, error) {
	n := f[key]
	if n == nil {
		return "", y.errf(parent, "missing %q", key)
	}
	s, err := y.str(n)
	if err == nil && s == "" {
		err = y.errf(n, "%q is empty", key)
	}
	return s, err
}

func (y *yparser) addr(n *yaml.Node) (uint16, error) {
	a, err := strconv.ParseUint(y.scalar(n), 0, 16)
	if err != nil || a == 0 || a >= 0x7F {
		return 0, y.errf(n, "address %q is not a 7-bit device address (0x01-0x7E)", y.scalar(n))
	}
	return uint16(a), nil
}

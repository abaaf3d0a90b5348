package topology

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Feed is one laser's light: laser Laser (1-based) of the laser source in
// port Source feeds lanes Lanes (global, 1-based) of the engine in port
// Engine, which carry switch port Port (empty when the platform does not
// name it).
type Feed struct {
	Source string `json:"source"`
	Laser  int    `json:"laser"`
	Engine string `json:"engine"`
	Lanes  []int  `json:"lanes"`
	Port   string `json:"port,omitempty"`
}

// Map is every feed of a switch.
type Map struct {
	Feeds []Feed `json:"feeds"`
}

// Limits of a map: an ELSFP bitmap names 64 lasers, a CMIS module 256 lanes.
const (
	MaxLaser = 64
	MaxLane  = 256
)

// Validate reports a feed that cannot be: a laser or lane out of range, a
// lane fed by two lasers, a source that is also an engine.
func (m *Map) Validate() error {
	fed := map[string]map[int]Feed{}
	engines := map[string]bool{}
	for _, f := range m.Feeds {
		engines[f.Engine] = true
	}
	for _, f := range m.Feeds {
		switch {
		case f.Source == "" || f.Engine == "":
			return fmt.Errorf("laser %d: source and engine must be named", f.Laser)
		case f.Laser < 1 || f.Laser > MaxLaser:
			return fmt.Errorf("%s laser %d: lasers are 1-%d", f.Source, f.Laser, MaxLaser)
		case len(f.Lanes) == 0:
			return fmt.Errorf("%s laser %d: feeds no lanes of %s", f.Source, f.Laser, f.Engine)
		case engines[f.Source]:
			return fmt.Errorf("%s is both a laser source and an engine", f.Source)
		}
		if fed[f.Engine] == nil {
			fed[f.Engine] = map[int]Feed{}
		}
		for _, l := range f.Lanes {
			if l < 1 || l > MaxLane {
				return fmt.Errorf("%s lane %d: lanes are 1-%d", f.Engine, l, MaxLane)
			}
			if g, dup := fed[f.Engine][l]; dup {
				return fmt.Errorf("%s lane %d is fed by %s laser %d and %s laser %d", f.Engine, l, g.Source, g.Laser, f.Source, f.Laser)
			}
			fed[f.Engine][l] = f
		}
	}
	return nil
}

// Feeding returns the feed that lights lane of engine.
func (m *Map) Feeding(engine string, lane int) (Feed, bool) {
	if m == nil {
		return Feed{}, false
	}
	for _, f := range m.Feeds {
		if f.Engine == engine {
			for _, l := range f.Lanes {
				if l == lane {
					return f, true
				}
			}
		}
	}
	return Feed{}, false
}

// FedBy returns the feeds of laser of source.
func (m *Map) FedBy(source string, laser int) []Feed {
	if m == nil {
		return nil
	}
	var out []Feed
	for _, f := range m.Feeds {
		if f.Source == source && f.Laser == laser {
			out = append(out, f)
		}
	}
	return out
}

// IsSource reports whether port is a laser source of the map.
func (m *Map) IsSource(port string) bool {
	if m == nil {
		return false
	}
	for _, f := range m.Feeds {
		if f.Source == port {
			return true
		}
	}
	return false
}

// Of returns the feeds that involve port, as source or engine, in map order.
func (m *Map) Of(port string) []Feed {
	if m == nil {
		return nil
	}
	var out []Feed
	for _, f := range m.Feeds {
		if f.Source == port || f.Engine == port {
			out = append(out, f)
		}
	}
	return out
}

// ParseLanes reads a lane list: numbers and ranges separated by commas
// ("1-4", "1,3,5-8"), sorted and without repeats.
func ParseLanes(s string) ([]int, error) {
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("lanes %q: %q is not a lane number or range", s, part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a {
				return nil, fmt.Errorf("lanes %q: %q is not a range low-high", s, part)
			}
		}
		if a < 1 || b > MaxLane {
			return nil, fmt.Errorf("lanes %q: lanes are 1-%d", s, MaxLane)
		}
		for l := a; l <= b; l++ {
			seen[l] = true
		}
	}
	out := make([]int, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Ints(out)
	return out, nil
}

// LanesText writes lanes as ParseLanes reads them, ranges joined: "1-4,7".
func LanesText(lanes []int) string {
	var b strings.Builder
	for i := 0; i < len(lanes); {
		j := i
		for j+1 < len(lanes) && lanes[j+1] == lanes[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", lanes[i], lanes[j])
		} else {
			fmt.Fprintf(&b, "%d", lanes[i])
		}
		i = j + 1
	}
	return b.String()
}

// Where names a feed's lanes for people: "npo1 lanes 5-8 (Ethernet2/2)".
func (f Feed) Where() string {
	w := fmt.Sprintf("%s lanes %s", f.Engine, LanesText(f.Lanes))
	if f.Port != "" {
		w += " (" + f.Port + ")"
	}
	return w
}

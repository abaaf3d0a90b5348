package top

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// SortKey orders the port table.
type SortKey uint8

// Sort keys, in the order the s key cycles through them.
const (
	ByMargin      SortKey = iota // smallest margin first (the port nearest a limit)
	ByPort                       // port name, numbers in names compared as numbers
	ByTemperature                // hottest first
	ByBER                        // highest pre-FEC BER first
	ByAlarms                     // most severe alarms first
	sortKeys
)

var sortNames = [...]string{"margin", "port", "temperature", "ber", "alarms"}

func (k SortKey) String() string {
	if k < sortKeys {
		return sortNames[k]
	}
	return "?"
}

// ParseSortKey reads a sort key's name.
func ParseSortKey(s string) (SortKey, bool) {
	for i, n := range sortNames {
		if n == s {
			return SortKey(i), true
		}
	}
	return 0, false
}

// SortNames lists the sort keys' names.
func SortNames() []string { return append([]string(nil), sortNames[:]...) }

// View is the state of the screen: sort, filter, cursor and whether a
// port's lanes are open. Keys change it; Update gives it the latest ports;
// Render draws it.
type View struct {
	Sort    SortKey
	Reverse bool
	// Filter keeps the ports whose name, part number, flags or alarms
	// contain it (case-insensitive).
	Filter string
	// AlarmedOnly keeps the ports with a firing alarm.
	AlarmedOnly bool
	// Interval is the refresh interval, shown in the header.
	Interval string

	editing bool   // the / prompt is open
	draft   string // what is typed at the prompt
	cursor  string // the port under the cursor; "": the first row
	top     int    // first row shown
	detail  string // the port whose lanes are shown; "" for the table
	dtop    int    // first line of the lane screen shown
	ports   []Port
	rows    []Row // visible, sorted
}

// Update gives the view the latest ports (in their configured order).
func (v *View) Update(ports []Port) {
	v.ports = ports
	v.rows = v.visible(MakeRows(ports))
}

// Detail is the port whose lanes are open, or "".
func (v *View) Detail() string { return v.detail }

// Key handles one key, named as the terminal library names keys ("up",
// "enter", "esc", "ctrl+c", "a", "/"); it reports whether to quit.
func (v *View) Key(k string) (quit bool) {
	if k == "ctrl+c" {
		return true
	}
	if v.editing {
		v.editKey(k)
		return false
	}
	if v.detail != "" {
		switch k {
		case "esc", "q", "left", "backspace":
			v.detail = ""
		case "up", "k":
			v.dtop = max(v.dtop-1, 0)
		case "down", "j":
			v.dtop++
		}
		return false
	}
	switch k {
	case "q":
		return true
	case "esc":
		// Esc steps back: first out of a filter, then out of alarmed-only.
		switch {
		case v.Filter != "":
			v.Filter = ""
		case v.AlarmedOnly:
			v.AlarmedOnly = false
		}
	case "up", "k":
		v.move(-1)
	case "down", "j":
		v.move(1)
	case "pgup":
		v.move(-10)
	case "pgdown":
		v.move(10)
	case "home", "g":
		v.move(-len(v.rows))
	case "end", "G":
		v.move(len(v.rows))
	case "enter", "right":
		if c := v.current(); c != "" {
			v.detail, v.dtop = c, 0
		}
	case "s":
		v.Sort = (v.Sort + 1) % sortKeys
	case "r":
		v.Reverse = !v.Reverse
	case "m":
		v.Sort = ByMargin
	case "p":
		v.Sort = ByPort
	case "t":
		v.Sort = ByTemperature
	case "b":
		v.Sort = ByBER
	case "a":
		v.AlarmedOnly = !v.AlarmedOnly
	case "/":
		v.editing, v.draft = true, v.Filter
	}
	v.rows = v.visible(MakeRows(v.ports))
	return false
}

func (v *View) editKey(k string) {
	switch k {
	case "enter":
		v.Filter, v.editing = v.draft, false
	case "esc":
		v.editing = false
	case "backspace":
		if r := []rune(v.draft); len(r) > 0 {
			v.draft = string(r[:len(r)-1])
		}
	case "space":
		v.draft += " "
	default:
		if r := []rune(k); len(r) == 1 && r[0] >= ' ' {
			v.draft += k
		}
	}
	// The table follows what is typed.
	saved := v.Filter
	v.Filter = v.draft
	v.rows = v.visible(MakeRows(v.ports))
	if v.editing {
		v.Filter = saved
	}
}

// filter is the filter in force: the draft while the prompt is open.
func (v *View) filter() string {
	if v.editing {
		return v.draft
	}
	return v.Filter
}

func (v *View) move(d int) {
	if len(v.rows) == 0 {
		return
	}
	i := max(v.find(v.cursor), 0) + d
	i = min(max(i, 0), len(v.rows)-1)
	v.cursor = v.rows[i].Port
}

// current is the port under the cursor.
func (v *View) current() string {
	if v.cursor == "" && len(v.rows) > 0 {
		return v.rows[0].Port
	}
	return v.cursor
}

func (v *View) find(port string) int { return indexOf(v.rows, port) }

func indexOf(rows []Row, port string) int {
	return slices.IndexFunc(rows, func(r Row) bool { return r.Port == port })
}

// visible filters and sorts rows.
func (v *View) visible(rows []Row) []Row {
	f := strings.ToLower(v.filter())
	out := rows[:0]
	for _, r := range rows {
		if v.AlarmedOnly && len(r.Alarms) == 0 {
			continue
		}
		if f != "" && !strings.Contains(rowText(&r), f) {
			continue
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Row) int {
		c := compareRows(v.Sort, &a, &b)
		if c == 0 {
			c = comparePorts(a.Port, b.Port)
		} else if v.Reverse {
			c = -c
		}
		return c
	})
	if indexOf(out, v.cursor) < 0 {
		// The port went (filtered out): back to the first row.
		v.cursor = ""
	}
	return out
}

// rowText is what the filter searches, lower case.
func rowText(r *Row) string {
	parts := []string{r.Port, r.Part}
	parts = append(parts, r.Flags...)
	for _, a := range r.Alarms {
		parts = append(parts, a.Rule, a.Severity.String(), a.Observable, a.Limit)
	}
	return strings.ToLower(strings.Join(parts, "\x00"))
}

// compareRows orders by key, the row to look at first first: a row with
// no value for the key goes last.
func compareRows(k SortKey, a, b *Row) int {
	switch k {
	case ByMargin:
		return cmp.Compare(marginKey(a), marginKey(b))
	case ByTemperature:
		return -cmp.Compare(valueOr(a.TempC, math.Inf(-1)), valueOr(b.TempC, math.Inf(-1)))
	case ByBER:
		return -cmp.Compare(berKey(a), berKey(b))
	case ByAlarms:
		if c := -cmp.Compare(a.Worst, b.Worst); c != 0 {
			return c
		}
		return -cmp.Compare(len(a.Alarms), len(b.Alarms))
	}
	return 0 // ByPort: the tie-break orders by port
}

func marginKey(r *Row) float64 {
	if r.Margin == nil {
		return math.Inf(1)
	}
	return r.Margin.DB
}

func berKey(r *Row) float64 {
	if !r.HasBER {
		return -1
	}
	return r.BER
}

func valueOr(p *float64, d float64) float64 {
	if p == nil {
		return d
	}
	return *p
}

// comparePorts compares names with their digit runs as numbers, so that
// Ethernet1/2 comes before Ethernet1/10.
func comparePorts(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

package top

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/internal/plural"
)

// column is one column of the port table.
type column struct {
	title string
	width int
	right bool
	// drop orders the columns a narrow screen gives up: higher first; 0
	// is never dropped.
	drop int
	cell func(r *Row) (string, class)
}

// columns are the port table's columns for rows; the forecast column is
// there only when some row has a forecast. The last column takes what is
// left of the width.
func columns(rows []Row) []column {
	cols := []column{
		{"PORT", 13, false, 0, func(r *Row) (string, class) { return r.Port, plain }},
		{"PART", 16, false, 6, partCell},
		{"MARGIN", 6, true, 0, marginCell},
		{"WORST LANE/LIMIT", 19, false, 2, worstCell},
		{"RX MIN", 6, true, 5, func(r *Row) (string, class) { return dbmCell(r.RxMinDBm, r.RxDark, r.State) }},
		{"TX MIN", 6, true, 5, func(r *Row) (string, class) { return dbmCell(r.TxMinDBm, r.TxDark, r.State) }},
		{"PRE-FEC BER", 11, true, 0, berCell},
		{"TEMP C", 6, true, 0, tempCell},
		{"FLAGS", 18, false, 3, flagsCell},
	}
	if slices.ContainsFunc(rows, func(r Row) bool { return r.Forecast != nil }) {
		cols = append(cols, column{"FORECAST", 22, false, 1, forecastCell})
	}
	return append(cols, column{"ALARMS", alarmsWidth, false, 0, alarmsCell})
}

// alarmsWidth is the least the last column, ALARMS, is given: it takes
// the rest of the line.
const alarmsWidth = 30

// fit drops columns, least needed first, until the table fits width.
func fit(cols []column, width int) []column {
	for {
		need := 2 // the cursor mark
		worst := -1
		for i, c := range cols {
			need += c.width + 1
			if c.drop > 0 && (worst < 0 || c.drop > cols[worst].drop) {
				worst = i
			}
		}
		if need <= width || worst < 0 {
			return cols
		}
		cols = slices.Delete(slices.Clone(cols), worst, worst+1)
	}
}

// Render draws the screen: the port table or, after Enter, one port's
// lanes, in width x height cells (height 0: as many lines as the content
// needs, for plain output).
func (v *View) Render(width, height int, s Style) string {
	if v.detail != "" {
		if i := slices.IndexFunc(v.ports, func(p Port) bool { return p.Name == v.detail }); i >= 0 {
			return v.renderDetail(&v.ports[i], width, height, s)
		}
		v.detail = ""
	}
	return v.renderTable(width, height, s)
}

func (v *View) renderTable(width, height int, s Style) string {
	var out []string
	out = append(out, v.title(width, s), v.status(width, s))
	cols := fit(columns(v.rows), width)
	h := line{width: width}
	h.add("  ", plain)
	for i, c := range cols {
		w := c.width
		if i == len(cols)-1 {
			w = max(width-h.n, 0)
		}
		h.cell(c.title, w, c.right, head)
	}
	out = append(out, h.render(s, false))
	room := len(v.rows)
	interactive := height > 0
	if interactive {
		room = max(height-len(out)-1, 1)
		cur := max(v.find(v.current()), 0)
		if cur < v.top {
			v.top = cur
		}
		if cur >= v.top+room {
			v.top = cur - room + 1
		}
		v.top = max(min(v.top, len(v.rows)-room), 0)
	} else {
		v.top = 0
	}
	for i := v.top; i < len(v.rows) && i < v.top+room; i++ {
		r := &v.rows[i]
		under := interactive && r.Port == v.current()
		l := line{width: width}
		if under {
			l.add("> ", plain)
		} else {
			l.add("  ", plain)
		}
		for j, c := range cols {
			text, cl := c.cell(r)
			w := c.width
			if j == len(cols)-1 {
				w = max(width-l.n, 0)
			}
			l.cell(text, w, c.right, cl)
		}
		out = append(out, l.render(s, under))
	}
	if len(v.rows) == 0 {
		out = append(out, "  (no port matches)")
	}
	if interactive {
		for len(out) < height-1 {
			out = append(out, "")
		}
		out = append(out, v.footer(width, s))
	}
	return strings.Join(out, "\n")
}

// title is the first line: the switch at a glance.
func (v *View) title(width int, s Style) string {
	var present, absent, failed, unread int
	sev := map[alarm.Severity]int{}
	for _, p := range v.ports {
		switch p.State {
		case Present:
			present++
		case Absent:
			absent++
		case Failed:
			failed++
		default:
			unread++
		}
		for _, a := range p.Alarms {
			sev[a.Severity]++
		}
	}
	l := line{width: width}
	l.add("ddm top", head)
	l.add(fmt.Sprintf("  %s: %d read", plural.Count(len(v.ports), "port", "ports"), present), plain)
	if absent > 0 {
		l.add(fmt.Sprintf(", %d empty", absent), plain)
	}
	if failed > 0 {
		l.add(fmt.Sprintf(", %d failing", failed), bad)
	}
	if unread > 0 {
		l.add(fmt.Sprintf(", %d not read yet", unread), dim)
	}
	l.add("  alarms:", plain)
	n := 0
	for k := alarm.Critical; k > alarm.SeverityNone; k-- {
		if sev[k] > 0 {
			l.add(fmt.Sprintf(" %d %s", sev[k], k), severityClass(k))
			n++
		}
	}
	if n == 0 {
		l.add(" none", plain)
	}
	if v.Interval != "" {
		l.add("  every "+v.Interval, plain)
	}
	return l.render(s, false)
}

// status is the second line: sort, filter, how many rows are shown.
func (v *View) status(width int, s Style) string {
	l := line{width: width}
	dir := "worst first"
	if v.Sort == ByPort {
		dir = "ascending"
	}
	if v.Reverse {
		dir = "reversed"
	}
	l.add(fmt.Sprintf("sort: %s (%s)", v.Sort, dir), plain)
	if f := v.filter(); f != "" {
		l.add(fmt.Sprintf("  filter: %q", f), plain)
	}
	if v.AlarmedOnly {
		l.add("  alarmed only", warn)
	}
	l.add(fmt.Sprintf("  %d of %d ports shown", len(v.rows), len(v.ports)), plain)
	return l.render(s, false)
}

// footer is the last line: the keys, or the filter prompt.
func (v *View) footer(width int, s Style) string {
	l := line{width: width}
	if v.editing {
		l.add("filter: "+v.draft+"_", plain)
		l.add("   enter: keep  esc: cancel", dim)
		return l.render(s, false)
	}
	l.add("up/down: move  enter: lanes  s: sort  m/p/t/b: by margin/port/temp/BER  r: reverse  /: filter  a: alarmed only  esc: clear  q: quit", dim)
	return l.render(s, false)
}

func partCell(r *Row) (string, class) {
	switch r.State {
	case Absent:
		return "(empty)", dim
	case Unread:
		return "(not read yet)", dim
	case Failed:
		if r.Part == "" {
			return "(read failed)", bad
		}
	}
	return r.Part, plain
}

func marginCell(r *Row) (string, class) {
	if r.Margin == nil {
		return "-", dim
	}
	return formatDB(r.Margin.DB), marginClass(r.Margin)
}

func marginClass(m *Margin) class {
	switch {
	case m.PastAlarm:
		return bad
	case m.DB < 0:
		return warn
	}
	return plain
}

func worstCell(r *Row) (string, class) {
	if r.Margin == nil {
		return "", plain
	}
	m := r.Margin
	return fmt.Sprintf("L%d %s %s", m.Lane, m.Quantity, m.Limit), marginClass(m)
}

// formatDB writes a margin: signed, 2 decimals; no light is -inf.
func formatDB(db float64) string {
	switch {
	case math.IsInf(db, -1):
		return "-inf"
	case math.IsInf(db, 1):
		return "+inf"
	}
	return strconv.FormatFloat(db, 'f', 2, 64)
}

func dbmCell(dbm *float64, dark bool, st State) (string, class) {
	switch {
	case dark:
		return "dark", bad
	case dbm == nil:
		return "-", dim
	}
	return strconv.FormatFloat(*dbm, 'f', 2, 64), plain
}

// KP4 FEC's pre-FEC BER limit and the level the default rules warn at.
const (
	berLimit = 2.4e-4
	berWarn  = 1e-5
)

func berCell(r *Row) (string, class) {
	if !r.HasBER {
		return "-", dim
	}
	return formatBER(r.BER), berClass(r.BER)
}

func formatBER(b float64) string { return strconv.FormatFloat(b, 'e', 2, 64) }

func berClass(b float64) class {
	switch {
	case b >= berLimit:
		return bad
	case b >= berWarn:
		return warn
	}
	return plain
}

func tempCell(r *Row) (string, class) {
	if r.TempC == nil {
		return "-", dim
	}
	return strconv.FormatFloat(*r.TempC, 'f', 1, 64), plain
}

func flagsCell(r *Row) (string, class) {
	if len(r.Flags) == 0 {
		return "", plain
	}
	return listCell(r.Flags), warn
}

// listCell writes the first item and how many more.
func listCell(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return fmt.Sprintf("%s +%d", items[0], len(items)-1)
}

func alarmsCell(r *Row) (string, class) {
	if r.State == Failed {
		return "read failed: " + r.Err, bad
	}
	if len(r.Alarms) == 0 {
		return "", plain
	}
	a := worstAlarm(r.Alarms)
	text := a.Severity.String() + " " + alarmName(&a)
	if len(r.Alarms) > 1 {
		// The count first: the name may be cut at the screen's edge.
		text = fmt.Sprintf("(%d) %s", len(r.Alarms), text)
	}
	return text, severityClass(a.Severity)
}

// worstAlarm is the most severe alarm, the first listed among equals.
func worstAlarm(as []alarm.Event) alarm.Event {
	w := as[0]
	for _, a := range as[1:] {
		if a.Severity > w.Severity {
			w = a
		}
	}
	return w
}

// alarmName is an alarm's rule, lane and series: "module_thresholds L6
// tx_power_mw low_alarm".
func alarmName(a *alarm.Event) string {
	parts := []string{a.Rule}
	if a.Lane > 0 {
		parts = append(parts, "L"+strconv.Itoa(a.Lane))
	}
	if a.Observable != "" && a.Observable != a.Rule {
		parts = append(parts, a.Observable)
	}
	if a.Limit != "" {
		parts = append(parts, a.Limit)
	}
	return strings.Join(parts, " ")
}

func severityClass(s alarm.Severity) class {
	if s >= alarm.Major {
		return bad
	}
	return warn
}

func forecastCell(r *Row) (string, class) {
	f := r.Forecast
	if f == nil {
		return "", plain
	}
	c := plain
	if f.Days < 7 {
		c = warn
	}
	return fmt.Sprintf("%s d %s", strconv.FormatFloat(f.Days, 'f', 1, 64), forecastWhere(f)), c
}

// forecastWhere names what a forecast is about: "L3 rx_power_dbm".
func forecastWhere(f *Forecast) string {
	if f.Lane > 0 {
		return "L" + strconv.Itoa(f.Lane) + " " + f.Quantity
	}
	return f.Quantity
}

// renderDetail draws one port: identity and module monitors, then a line
// per lane, then the port's flags, alarms and forecasts.
func (v *View) renderDetail(p *Port, width, height int, s Style) string {
	var body []string
	add := func(l line) { body = append(body, l.render(s, false)) }
	text := func(t string, c class) {
		l := line{width: width}
		l.add(t, c)
		add(l)
	}
	m := p.Module
	l := line{width: width}
	l.add("ddm top", head)
	l.add("  "+p.Name, head)
	switch {
	case p.State == Absent:
		l.add("  empty cage", dim)
	case p.State == Failed:
		l.add("  read failed: "+p.Err, bad)
	case m == nil:
		l.add("  not read yet", dim)
	}
	if m != nil {
		l.add("  "+strings.Join(nonEmpty(strings.TrimSpace(m.Vendor), strings.TrimSpace(m.PartNumber),
			prefixed("SN ", strings.TrimSpace(m.SerialNumber)), m.Identifier, m.ModuleState), "  "), plain)
	}
	add(l)
	if m == nil {
		return v.frame(body, nil, width, height, s)
	}
	l = line{width: width}
	if m.TemperatureC != nil {
		l.add(fmt.Sprintf("temperature %.1f C", *m.TemperatureC), plain)
	}
	if m.VccV != nil {
		l.add(fmt.Sprintf("  Vcc %.3f V", *m.VccV), plain)
	}
	for _, q := range []struct{ name, key string }{{"Tx", cmis.QTxPower}, {"Rx", cmis.QRxPower}} {
		if t, ok := m.Thresholds[q.key]; ok {
			l.add(fmt.Sprintf("  %s warning %s..%s dBm, alarm %s..%s dBm", q.name,
				dbmOf(t.LowWarning), dbmOf(t.HighWarning), dbmOf(t.LowAlarm), dbmOf(t.HighAlarm)), plain)
		}
	}
	add(l)
	if p.Err != "" && p.State != Failed {
		text("last read partial: "+p.Err, warn)
	}
	cols := []struct {
		title string
		width int
		right bool
	}{{"LANE", 4, true}, {"DATA PATH", 14, false}, {"BIAS mA", 7, true}, {"TX dBm", 6, true}, {"TX MARGIN", 17, false},
		{"RX dBm", 6, true}, {"RX MARGIN", 17, false}, {"PRE-FEC BER", 11, true}, {"FLAGS", 10, false}}
	h := line{width: width}
	for i, c := range cols {
		w := c.width
		if i == len(cols)-1 {
			w = max(width-h.n, 0)
		}
		h.cell(c.title, w, c.right, head)
	}
	header := h.render(s, false)
	var lanes []string
	ber := laneBER(p.VDM)
	margins := LaneMargins(m)
	for i, ln := range m.Lanes {
		l := line{width: width}
		l.cell(strconv.Itoa(ln.Lane), cols[0].width, true, plain)
		l.cell(ln.DataPathState, cols[1].width, false, plain)
		l.cell(optional(ln.TxBiasMA, 2), cols[2].width, true, plain)
		txt, c := laneDBM(ln.TxPowerMW, ln.TxPowerDBM)
		l.cell(txt, cols[3].width, true, c)
		txt, c = laneMargin(margins[i].Tx)
		l.cell(txt, cols[4].width, false, c)
		txt, c = laneDBM(ln.RxPowerMW, ln.RxPowerDBM)
		l.cell(txt, cols[5].width, true, c)
		txt, c = laneMargin(margins[i].Rx)
		l.cell(txt, cols[6].width, false, c)
		if b, ok := ber[ln.Lane]; ok {
			l.cell(formatBER(b), cols[7].width, true, berClass(b))
		} else {
			l.cell("-", cols[7].width, true, dim)
		}
		if names := ln.Flags.Names(); len(names) > 0 {
			l.add(strings.Join(names, ","), warn)
		}
		lanes = append(lanes, l.render(s, false))
	}
	body = append(body, header)
	tail := lanes
	if names := m.Flags.Names(); len(names) > 0 {
		l := line{width: width}
		l.add("module flags: "+strings.Join(names, ","), warn)
		tail = append(tail, l.render(s, false))
	}
	if len(p.Alarms) > 0 {
		tail = append(tail, s.paint("alarms", head))
		for _, a := range p.Alarms {
			l := line{width: width}
			l.add(fmt.Sprintf("  %-8s ", a.Severity), severityClass(a.Severity))
			desc := a.Summary
			if desc == "" {
				desc = alarmName(&a)
			}
			l.add(fmt.Sprintf("since %s  %s", a.Since.Format("15:04:05"), desc), plain)
			tail = append(tail, l.render(s, false))
		}
	} else {
		tail = append(tail, "no alarm firing")
	}
	if len(p.Forecasts) > 0 {
		tail = append(tail, s.paint("forecasts", head))
		for _, f := range p.Forecasts {
			tail = append(tail, fmt.Sprintf("  %s %s in %s days", forecastWhere(&f), f.Limit, strconv.FormatFloat(f.Days, 'f', 1, 64)))
		}
	}
	return v.frame(body, tail, width, height, s)
}

// frame fits the lane screen to height: the heading lines stay, the rest
// scrolls (dtop), and the keys end it.
func (v *View) frame(fixed, scroll []string, width, height int, s Style) string {
	if height <= 0 {
		return strings.Join(append(fixed, scroll...), "\n")
	}
	room := max(height-1-len(fixed), 0)
	v.dtop = max(min(v.dtop, len(scroll)-room), 0)
	out := append(fixed[:min(len(fixed), height-1):min(len(fixed), height-1)], scroll[v.dtop:min(len(scroll), v.dtop+room)]...)
	for len(out) < height-1 {
		out = append(out, "")
	}
	l := line{width: width}
	l.add("esc: back  up/down: scroll  ctrl+c: quit", dim)
	return strings.Join(append(out, l.render(s, false)), "\n")
}

func laneDBM(mw, dbm *float64) (string, class) {
	switch {
	case mw != nil && *mw == 0:
		return "dark", bad
	case dbm == nil:
		return "-", dim
	}
	return strconv.FormatFloat(*dbm, 'f', 2, 64), plain
}

func laneMargin(m *Margin) (string, class) {
	if m == nil {
		return "-", dim
	}
	return formatDB(m.DB) + " " + m.Limit, marginClass(m)
}

func optional(p *float64, prec int) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', prec, 64)
}

// dbmOf writes a threshold in mW as dBm; 0 mW (no threshold) as -.
func dbmOf(mw float64) string {
	if mw <= 0 {
		return "-"
	}
	return strconv.FormatFloat(10*math.Log10(mw), 'f', 1, 64)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

package top

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Style says how the screen may mark text. The zero Style writes plain
// text, with no escape code at all (plain mode, a pipe, a golden file).
type Style struct {
	// Color paints values by how bad they are (red beyond an alarm limit,
	// yellow beyond a warning). Off under NO_COLOR.
	Color bool
	// Attrs allows bold and reverse video (the header, the cursor line),
	// which NO_COLOR does not forbid.
	Attrs bool
}

// class is what a piece of text says about its value.
type class uint8

const (
	plain  class = iota
	bad          // beyond an alarm limit, a critical or major alarm, a failed read
	warn         // beyond a warning limit, a minor alarm or a warning
	good         // a value well inside its limits (not painted: the eye goes to colour)
	dim          // no module, no value
	head         // column headings, the title
	cursor       // the line under the cursor
)

func (s Style) paint(text string, c class) string {
	if text == "" || (!s.Color && !s.Attrs) {
		return text
	}
	st := lipgloss.NewStyle()
	switch c {
	case bad:
		if !s.Color {
			return text
		}
		st = st.Foreground(lipgloss.Red)
	case warn:
		if !s.Color {
			return text
		}
		st = st.Foreground(lipgloss.Yellow)
	case dim:
		st = st.Faint(true)
	case head:
		st = st.Bold(true)
	case cursor:
		st = st.Reverse(true)
	default:
		return text
	}
	return st.Render(text)
}

// span is a piece of a line and its class.
type span struct {
	text string
	c    class
}

// line builds one screen line of at most width cells.
type line struct {
	spans []span
	n     int // cells so far
	width int
}

// add appends text (truncated to what is left of the line).
func (l *line) add(text string, c class) {
	left := l.width - l.n
	if left <= 0 {
		return
	}
	if w := ansi.StringWidth(text); w > left {
		text = ansi.Truncate(text, left, "")
	}
	l.spans = append(l.spans, span{text, c})
	l.n += ansi.StringWidth(text)
}

// cell appends text padded or cut to w cells, right-aligned if right,
// and a column gap.
func (l *line) cell(text string, w int, right bool, c class) {
	if tw := ansi.StringWidth(text); tw > w {
		text = ansi.Truncate(text, w, "")
	} else if right {
		text = strings.Repeat(" ", w-tw) + text
	} else {
		text += strings.Repeat(" ", w-tw)
	}
	l.add(text, c)
	l.add(" ", plain)
}

// render writes the line; under (the cursor line) the whole line is in
// reverse video and padded to the width.
func (l *line) render(s Style, under bool) string {
	var b strings.Builder
	if under && s.Attrs {
		var t strings.Builder
		for _, sp := range l.spans {
			t.WriteString(sp.text)
		}
		text := strings.TrimRight(t.String(), " ")
		pad := l.width - ansi.StringWidth(text)
		return s.paint(text+strings.Repeat(" ", max(pad, 0)), cursor)
	}
	for _, sp := range l.spans {
		b.WriteString(s.paint(sp.text, sp.c))
	}
	return strings.TrimRight(b.String(), " ")
}

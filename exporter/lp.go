package exporter

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// LineProtocolWriter writes points as line protocol to w, one line each,
// for `ddm run --output lp` under Telegraf's execd input (data_format =
// "influx"; timestamps in nanoseconds). It is synchronous: Write returns
// once the lines are written and flushed, so it blocks while w does
// (Telegraf reads continuously). A write error drops the points of that
// call and counts them.
type LineProtocolWriter struct {
	mu        sync.Mutex
	out       io.Writer
	w         *bufio.Writer
	precision time.Duration
	closed    bool
	line      []byte
	stats     Stats
}

// NewLineProtocolWriter returns a sink writing to w. Timestamps are
// truncated to the millisecond, as InfluxWriter's default.
func NewLineProtocolWriter(w io.Writer) *LineProtocolWriter {
	return &LineProtocolWriter{out: w, w: bufio.NewWriterSize(w, 64<<10), precision: time.Millisecond}
}

// Write encodes and writes the points.
func (l *LineProtocolWriter) Write(points ...Point) {
	if len(points) == 0 {
		return
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Written += int64(len(points))
	if l.closed {
		l.stats.Dropped += int64(len(points))
		return
	}
	var n int64
	for i := range points {
		p := points[i]
		l.stats.NonFiniteFields += int64(p.NonFinite)
		if p.Time.IsZero() {
			p.Time = now
		}
		b, err := appendLine(l.line[:0], &p, l.precision)
		l.line = b
		if err != nil {
			l.stats.Invalid++
			l.setErr(fmt.Errorf("invalid point: %w", err))
			continue
		}
		_, _ = l.w.Write(b) // errors are sticky: Flush reports them
		_ = l.w.WriteByte('\n')
		n++
	}
	if err := l.w.Flush(); err != nil {
		l.stats.Dropped += n
		l.setErr(fmt.Errorf("line protocol output: %w", err))
		l.w.Reset(l.out) // a bufio.Writer keeps its error: start afresh
		return
	}
	l.stats.Sent += n
}

func (l *LineProtocolWriter) setErr(err error) {
	l.stats.LastError, l.stats.LastErrorTime = err.Error(), time.Now()
}

// Stats returns the writer's counters.
func (l *LineProtocolWriter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Close flushes and stops accepting points; later Writes are dropped and
// counted.
func (l *LineProtocolWriter) Close(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return l.w.Flush()
}

// appendLinePlain encodes p as appendLine does through the line-protocol
// library, byte for byte, when nothing in it needs escaping or checking
// beyond a scan: the measurement, tag keys, field keys and tag values are
// printable ASCII without ',', '=', '"' or '\', tag keys are in increasing
// order, string values hold no '"', '\' or control character and are
// valid UTF-8, floats are finite, and the time is in line protocol's
// range. ddm's own points all are; for any other, ok is false and
// appendLine takes the library's way. The library checks and escapes
// every name of every point (about two thirds of the encoding's cost in a
// profile of the agent); TestPlainEncodingMatchesLibrary holds the two to
// the same bytes.
func appendLinePlain(dst []byte, p *Point, precision time.Duration) (out []byte, ok bool) {
	t := p.Time
	if len(p.Fields) == 0 || !plainName(p.Measurement) || t.IsZero() || t.Before(lpMinTime) || t.After(lpMaxTime) {
		return dst, false
	}
	if precision > 1 {
		t = time.Unix(0, t.UnixNano()/int64(precision)*int64(precision))
		if t.Before(lpMinTime) {
			return dst, false
		}
	}
	start := len(dst)
	dst = append(dst, p.Measurement...)
	prev := ""
	for i, tag := range p.Tags {
		if !plainName(tag.Key) || !plainName(tag.Value) || (i > 0 && tag.Key <= prev) {
			return dst[:start], false
		}
		prev = tag.Key
		dst = append(append(append(append(dst, ','), tag.Key...), '='), tag.Value...)
	}
	for i, f := range p.Fields {
		if !plainName(f.Key) {
			return dst[:start], false
		}
		sep := byte(',')
		if i == 0 {
			sep = ' '
		}
		dst = append(append(append(dst, sep), f.Key...), '=')
		switch f.Kind {
		case Float:
			if math.IsNaN(f.F) || math.IsInf(f.F, 0) {
				return dst[:start], false
			}
			dst = strconv.AppendFloat(dst, f.F, 'g', -1, 64)
		case Int:
			dst = append(strconv.AppendInt(dst, f.I, 10), 'i')
		case Bool:
			dst = strconv.AppendBool(dst, f.B)
		case String:
			if !plainString(f.S) {
				return dst[:start], false
			}
			dst = append(append(append(dst, '"'), f.S...), '"')
		default:
			return dst[:start], false
		}
	}
	dst = append(dst, ' ')
	return strconv.AppendInt(dst, t.UnixNano(), 10), true
}

// The range of line protocol's nanosecond timestamps.
var (
	lpMinTime = time.Unix(0, math.MinInt64)
	lpMaxTime = time.Unix(0, math.MaxInt64)
)

// plainName reports whether s is a name or tag value that needs neither
// escaping nor the library's checks: printable ASCII but ',', '=', '"',
// '\' (which also rules out the trailing backslash the library refuses).
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ',' || c == '=' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// plainString reports whether a string field value is written as it is
// between quotes: valid UTF-8 without '"', '\' or control characters.
func plainString(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c == 0x7f || c == '"' || c == '\\' {
			return false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s)
}

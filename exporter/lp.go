package exporter

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"
	"time"
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

package execdlog

import (
	"context"
	"io"
	"log/slog"
	"sync"
)

// Prefix is the Telegraf level prefix of a slog level.
func Prefix(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "E! "
	case l >= slog.LevelWarn:
		return "W! "
	case l >= slog.LevelInfo:
		return "I! "
	}
	return "D! "
}

// handler is a slog.TextHandler whose every record starts with its
// level's prefix. Time and level are left out: Telegraf stamps each line
// with its own time and shows the level it read from the prefix.
type handler struct {
	mu    *sync.Mutex // one per writer: the prefix and its record are one line
	w     io.Writer
	inner slog.Handler
}

// NewHandler returns a handler writing one prefixed line per record to w.
func NewHandler(w io.Writer, level slog.Leveler) slog.Handler {
	drop := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
			return slog.Attr{}
		}
		return a
	}
	return &handler{mu: &sync.Mutex{}, w: w,
		inner: slog.NewTextHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: drop})}
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := io.WriteString(h.w, Prefix(r.Level)); err != nil {
		return err
	}
	return h.inner.Handle(ctx, r)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{mu: h.mu, w: h.w, inner: h.inner.WithAttrs(as)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{mu: h.mu, w: h.w, inner: h.inner.WithGroup(name)}
}

// errorWriter starts every line written through it with "E! ".
type errorWriter struct {
	mu        sync.Mutex
	w         io.Writer
	midLine   bool
	lineStart []byte
}

// ErrorWriter returns a writer that starts every line with "E! ", for a
// program's plain error messages (not slog records) under execd.
func ErrorWriter(w io.Writer) io.Writer { return &errorWriter{w: w, lineStart: []byte("E! ")} }

func (e *errorWriter) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for len(p) > 0 {
		if !e.midLine {
			if _, err := e.w.Write(e.lineStart); err != nil {
				return n, err
			}
			e.midLine = true
		}
		end := len(p)
		for i, c := range p {
			if c == '\n' {
				end = i + 1
				e.midLine = false
				break
			}
		}
		m, err := e.w.Write(p[:end])
		n += m
		if err != nil {
			return n, err
		}
		p = p[end:]
	}
	return n, nil
}

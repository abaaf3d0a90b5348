package execdlog

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestHandlerPrefixes(t *testing.T) {
	for _, tc := range []struct {
		level slog.Level
		want  string
	}{
		{slog.LevelDebug, "D! "},
		{slog.LevelInfo, "I! "},
		{slog.LevelWarn, "W! "},
		{slog.LevelError, "E! "},
		{slog.LevelError + 4, "E! "},
	} {
		var b bytes.Buffer
		log := slog.New(NewHandler(&b, slog.LevelDebug)).With("port", "Ethernet1/5").WithGroup("g")
		log.Log(t.Context(), tc.level, "alarm firing", "value", 3.2)
		got := b.String()
		want := tc.want + `msg="alarm firing" port=Ethernet1/5 g.value=3.2` + "\n"
		if got != want {
			t.Errorf("%v: %q, want %q", tc.level, got, want)
		}
	}
}

func TestHandlerLevelAndOneLinePerRecord(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(NewHandler(&b, slog.LevelInfo))
	log.Debug("hidden")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := log.With("worker", i)
			for j := 0; j < 50; j++ {
				l.Info("line\nwith a break", "j", j)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "I! msg=") {
			t.Fatalf("line %q", l)
		}
	}
}

func TestErrorWriter(t *testing.T) {
	var b bytes.Buffer
	w := ErrorWriter(&b)
	fmt.Fprintln(w, "ddm: run: no ports")
	fmt.Fprint(w, "two\nlines")
	fmt.Fprint(w, " continued\n")
	want := "E! ddm: run: no ports\nE! two\nE! lines continued\n"
	if b.String() != want {
		t.Errorf("%q, want %q", b.String(), want)
	}
}

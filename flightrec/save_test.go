package flightrec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// flightOf runs one flight on port: history, a trigger at second at, a
// second trigger 5 s later, then the after-window, saving the journal
// after every read as the pipeline does every tick. It returns the
// readings handed out and how many bytes each save after the opening
// wrote at most.
func flightOf(t *testing.T, r *Recorder, path, port string, at int) (handed int, maxAppend int64) {
	t.Helper()
	feed(r, port, at-70, at+1, 8)
	handed += len(r.Trigger(port, "rx_los/lane6", t0.Add(time.Duration(at)*time.Second)).Records)
	if err := r.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	for s := at + 1; s < at+40; s++ {
		before := size(t, path)
		handed += len(feed(r, port, s, s+1, 8))
		if s == at+5 {
			r.Trigger(port, "rx_cdr_lol/lane6", t0.Add(time.Duration(s)*time.Second))
		}
		if err := r.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		maxAppend = max(maxAppend, size(t, path)-before)
	}
	return handed, maxAppend
}

func size(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestJournalAppendsWhatChanged: during a flight's after-window each save
// appends that second's readings (no rewrite of the file); after every
// save the journal holds every reading and trigger handed out so far, so
// a crash then loses nothing; the flight loads whole. The first save
// removes the file of the ddm before the journal.
func TestJournalAppendsWhatChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	legacy := filepath.Join(filepath.Dir(path), legacyFileName)
	if err := os.WriteFile(legacy, []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := New(Options{Journal: true})
	feed(r, "p", -70, 1, 8)
	f := r.Trigger("p", "rx_los/lane6", t0)
	handed := len(f.Records)
	if err := r.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	first, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Errorf("%s left beside the journal: %v", legacyFileName, err)
	}
	for s := 1; s < 40; s++ {
		before := size(t, path)
		handed += len(feed(r, "p", s, s+1, 8))
		if s == 5 {
			r.Trigger("p", "rx_cdr_lol/lane6", t0.Add(5*time.Second))
		}
		if err := r.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		if grew := size(t, path) - before; s <= 35 && (grew == 0 || grew > 2000) {
			t.Errorf("second %d: the save wrote %d bytes, want one read's (9 readings)", s, grew)
		}
		now, _ := os.Stat(path)
		if !os.SameFile(first, now) {
			t.Fatalf("second %d: the journal was rewritten", s)
		}
		// A crash now: the file holds everything handed out.
		got, err := LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || len(got[0].Records) != handed {
			t.Fatalf("second %d: the journal holds %d flights, %d readings; %d handed out", s, len(got), len(got[0].Records), handed)
		}
	}
	got, _ := LoadFile(path)
	if tr := got[0].Triggers; len(tr) != 2 || tr[0].Cause != "rx_los/lane6" || tr[1].Cause != "rx_cdr_lol/lane6" || !tr[1].At.Equal(t0.Add(5*time.Second)) {
		t.Errorf("triggers %v", tr)
	}
	if want := t0.Add(35 * time.Second); !got[0].Until.Equal(want) || handed != 61*9+35*9 {
		t.Errorf("until %v (want %v), %d readings", got[0].Until, want, handed)
	}
}

// TestJournalRecovers: the journal across restarts and crashes: a new
// process's first save rewrites it keeping each port's last KeepFlights
// flights; a line torn by a crash mid-append is skipped; a damaged line
// is an error naming the file and line, and the next save rewrites the
// journal with the lines before it (saying so); a journal that doubled is rewritten; without
// Journal nothing is saved.
func TestJournalRecovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	for i := range KeepFlights + 2 {
		r := New(Options{Journal: true}) // a process each
		flightOf(t, r, path, "p", 1000*i)
	}
	got, err := LoadFile(path)
	if err != nil || len(got) != KeepFlights || got[0].At != t0.Add(2000*time.Second) {
		t.Fatalf("after %d restarts: %d flights (first at %v), %v", KeepFlights+2, len(got), got[0].At.Sub(t0), err)
	}

	// Torn by a crash mid-append.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"id":"p/rx_los/lane6@1","records":[{"time":"2026-12-06T12:`); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got2, err := LoadFile(path); err != nil || len(got2) != KeepFlights {
		t.Errorf("torn last line: %d flights, %v", len(got2), err)
	}
	r := New(Options{Journal: true})
	flightOf(t, r, path, "q", 9000)
	if got2, err := LoadFile(path); err != nil || len(got2) != KeepFlights+1 {
		t.Errorf("after the torn line, a new flight: %d flights, %v", len(got2), err)
	}

	// Damaged in the middle.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) < 3 {
		t.Fatalf("the journal has %d lines, want at least 2 to damage the second", len(lines)-1)
	}
	lines[1] = "{not json\n"
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), FileName+" line 2") {
		t.Errorf("damaged line 2: %v", err)
	}
	r = New(Options{Journal: true})
	feed(r, "p", 0, 10, 8)
	r.Trigger("p", "tx_fault/lane1", t0.Add(9*time.Second))
	if err := r.SaveFile(path); err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "rewritten") {
		t.Errorf("save over a damaged journal: %v", err)
	}
	// The flight of line 1, before the damage, and the new one.
	if got2, err := LoadFile(path); err != nil || len(got2) != 2 {
		t.Errorf("the rewritten journal: %d flights, %v", len(got2), err)
	}

	// Doubled: rewritten, bounded.
	r = New(Options{Journal: true})
	rewrites := 0
	prev, _ := os.Stat(path)
	for i := range 40 {
		flightOf(t, r, path, "p", 20000+100*i)
		now, _ := os.Stat(path)
		if !os.SameFile(prev, now) {
			rewrites++
		}
		prev = now
		if now.Size() > 3*minRewrite {
			t.Fatalf("flight %d: journal of %d bytes", i, now.Size())
		}
	}
	if got2, _ := LoadFile(path); rewrites < 2 || len(got2) != KeepFlights {
		t.Errorf("40 flights: %d rewrites, %d flights loaded", rewrites, len(got2))
	}

	// Off.
	off := filepath.Join(dir, "off", FileName)
	r = New(Options{})
	flightOfNoSave(r)
	if err := r.SaveFile(off); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(off); !os.IsNotExist(err) {
		t.Errorf("journal off wrote %s: %v", off, err)
	}
}

func flightOfNoSave(r *Recorder) {
	feed(r, "p", 0, 70, 8)
	r.Trigger("p", "rx_los/lane6", t0.Add(69*time.Second))
	feed(r, "p", 70, 100, 8)
}

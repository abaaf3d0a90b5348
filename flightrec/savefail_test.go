package flightrec

import (
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
)

// TestJournalWriteFailures: a state folder that refuses writes, and a
// write cut short (the file size limit, as a full disk does): each save
// fails and says so, the journal stays as it was (the cut append is cut
// back), and the next save that succeeds writes everything handed out
// meanwhile, each reading once.
func TestJournalWriteFailures(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "state")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil { // a file where the folder should be
		t.Fatal(err)
	}
	path := filepath.Join(blocker, FileName)
	r := New(Options{Journal: true})
	feed(r, "p", -70, 1, 8)
	handed := len(r.Trigger("p", "rx_los/lane6", t0).Records)
	for s := 1; s < 10; s++ {
		handed += len(feed(r, "p", s, s+1, 8))
		if err := r.SaveFile(path); err == nil {
			t.Fatalf("second %d: saved under a file", s)
		}
	}
	os.Remove(blocker)
	if err := r.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		got, err := LoadFile(path)
		if err != nil || len(got) != 1 || len(got[0].Records) != handed {
			t.Fatalf("%s: %d flights, %v; want 1 with %d readings", when, len(got), err, handed)
		}
		seen := map[Record]bool{}
		for _, rec := range got[0].Records {
			rec.TxPowerMW = 0
			if seen[rec] {
				t.Fatalf("%s: reading %v lane %d saved twice", when, rec.Time, rec.Lane)
			}
			seen[rec] = true
		}
	}
	check("the folder back")

	// A write cut short: the file may not grow past its size + 100 bytes.
	before := size(t, path)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	signal.Ignore(syscall.SIGXFSZ)
	defer signal.Reset(syscall.SIGXFSZ)
	small := lim
	small.Cur = uint64(before + 100)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		t.Fatalf("lowering the soft file size limit to %d: %v", small.Cur, err)
	}
	for s := 10; s < 15; s++ {
		handed += len(feed(r, "p", s, s+1, 8))
		err := r.SaveFile(path)
		if err == nil {
			syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim)
			t.Fatalf("second %d: a save of %d readings fit in 100 bytes", s, 9)
		}
		if got := size(t, path); got != before {
			syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim)
			t.Fatalf("second %d: the failed append left %d bytes, want %d (cut back)", s, got, before)
		}
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	if err := r.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	check("the limit lifted")
}

package flightrec

import (
	"os"
	"path/filepath"
	"testing"
)

// TestJournalIsPrivate: the journal is readable by the agent's user only
// (0600, like the agent's other state files), whether the first save
// creates it or rewrites one an earlier ddm left 0644, and it stays so
// as saves append to it.
func TestJournalIsPrivate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before os.FileMode // 0: no journal yet
	}{
		{"created", 0},
		{"left 0644 by an earlier ddm", 0o644},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			if tc.before != 0 {
				if err := os.WriteFile(path, nil, tc.before); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.before); err != nil {
					t.Fatal(err)
				}
			}
			r := New(Options{Journal: true})
			flightOf(t, r, path, "p", 100) // the first save rewrites, the others append
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if perm := st.Mode().Perm(); perm != 0o600 {
				t.Errorf("%s is %#o, want 0600", path, perm)
			}
		})
	}
}

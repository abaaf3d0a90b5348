package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// A write that fails leaves the previous file and no temporary file; one
// that succeeds replaces it with its permissions.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "state.json")
	put := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := Write(path, 0o600, put("one")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	if err := Write(path, 0o600, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed write: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "one" {
		t.Fatalf("after a failed write: %q %v, want the previous file", b, err)
	}
	if err := Write(path, 0o640, put("two")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	b, _ = os.ReadFile(path)
	if string(b) != "two" || st.Mode().Perm() != 0o640 {
		t.Errorf("%q %v", b, st.Mode())
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

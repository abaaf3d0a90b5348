package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// leftovers lists the files in dir other than the ones named.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !strings.Contains(strings.Join(keep, "\x00"), e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWrite(t *testing.T) {
	errWrite := errors.New("disk on fire")
	// oldFile: state.json holding "old" before the write.
	oldFile := func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "state.json")
		os.WriteFile(p, []byte("old"), 0o600)
		return p
	}
	writeNew := func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }
	tests := []struct {
		name string
		// setup prepares dir and returns the path to write.
		setup   func(t *testing.T, dir string) string
		write   func(io.Writer) error
		wantErr bool
		// want is the content of the path afterwards ("" when it is a folder).
		want string
	}{{
		name:  "new file",
		setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "sub", "state.json") },
		write: writeNew,
		want:  "new",
	}, {
		name:  "replaces",
		setup: oldFile,
		write: writeNew,
		want:  "new",
	}, {
		name:    "write fails: previous file kept",
		setup:   oldFile,
		write:   func(w io.Writer) error { io.WriteString(w, "half"); return errWrite },
		wantErr: true, want: "old",
	}, {
		// A folder where the file should be: the rename fails.
		name: "rename fails",
		setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "state.json")
			os.MkdirAll(filepath.Join(p, "x"), 0o700)
			return p
		},
		write:   writeNew,
		wantErr: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			err := Write(path, 0o600, tt.write)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if tt.want != "" {
				b, rerr := os.ReadFile(path)
				if rerr != nil || string(b) != tt.want {
					t.Errorf("%s holds %q (%v), want %q", path, b, rerr, tt.want)
				}
				if st, _ := os.Stat(path); st != nil && st.Mode().Perm() != 0o600 {
					t.Errorf("mode %v, want 0600", st.Mode().Perm())
				}
			}
			if left := leftovers(t, filepath.Dir(path), filepath.Base(path)); len(left) > 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}

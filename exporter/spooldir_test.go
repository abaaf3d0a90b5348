package exporter

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCheckSpoolDir: a spool folder must be ddm's own: missing (and
// creatable), empty, or holding only ddm's spool files.
func TestCheckSpoolDir(t *testing.T) {
	base := t.TempDir()
	mk := func(name string, files ...string) string {
		d := filepath.Join(base, name)
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			p := filepath.Join(d, f)
			if strings.HasSuffix(f, "/") {
				if err := os.MkdirAll(p, 0o750); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if err := os.WriteFile(p, nil, 0o640); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	file := filepath.Join(base, "a-file")
	if err := os.WriteFile(file, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, want string // want "" accepts
	}{
		{"missing, parent writable", filepath.Join(base, "new", "spool"), ""},
		{"empty folder", mk("empty"), ""},
		{"ddm's files", mk("ours", spoolLockName, spoolHeadName, segFileName(1), segFileName(5000), urgentLockName, urgentHeadName, laneUrgent.segFileName(1)), ""},
		{"earlier format's files", mk("legacy", "00000000000000000001", "00000000000000000042.START"), ""},
		{"a foreign file", mk("theirs", segFileName(1), "notes.txt"), `holds "notes.txt", which ddm did not create`},
		{"a foreign folder", mk("theirs2", "keep/"), `holds "keep", which ddm did not create`},
		{"a file", file, "is not a directory (a regular file)"},
		{"below a file", filepath.Join(file, "spool"), "cannot be created: " + file + " is not a directory"},
		{"/dev/null", "/dev/null", "spool_dir /dev/null is not a directory (a character device)"},
		{"/proc/self", "/proc/self", "kernel pseudo-filesystem"},
		{"/proc/self/fd", "/proc/self/fd", "kernel pseudo-filesystem"},
		{"/sys", "/sys", "kernel pseudo-filesystem"},
		{"empty path", "", "spool_dir is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSpoolDir(tc.dir)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckSpoolDir(%q) = %v, want %q", tc.dir, err, tc.want)
			}
			if !errors.Is(err, ErrNotSpoolDir) {
				t.Errorf("error does not wrap ErrNotSpoolDir: %v", err)
			}
		})
	}
}

// TestSpoolTouchesOnlyItsOwnFiles: a spool folder holding someone else's
// file and folder next to a damaged segment is refused at open, and nothing
// in it changes (the old rebuild renamed the folder aside and removed it
// whole). A foreign file that appears while ddm runs survives every segment
// ddm deletes.
func TestSpoolTouchesOnlyItsOwnFiles(t *testing.T) {
	tmpl := makeTemplate(t)
	dir, segs := copySpool(t, tmpl)
	if err := os.WriteFile(segs[1], []byte("damaged"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "photos", "2026"), 0o750); err != nil {
		t.Fatal(err)
	}
	before := listTree(t, dir)
	if _, err := NewInfluxWriter(InfluxConfig{URL: "http://127.0.0.1:1", Bucket: "b", SpoolDir: dir, Logger: quietLogger()}); !errors.Is(err, ErrNotSpoolDir) {
		t.Fatalf("a folder with foreign files opened: %v", err)
	}
	if after := listTree(t, dir); after != before {
		t.Fatalf("the folder changed:\nbefore %s\nafter  %s", before, after)
	}

	// While running: everything sent, every segment deleted; the file
	// dropped in meanwhile stays.
	dir2 := filepath.Join(t.TempDir(), "spool")
	s := openTestSpool(t, dir2, 0)
	appendLines(t, s, testLines(0, 100), 5)
	keep := filepath.Join(dir2, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o640); err != nil {
		t.Fatal(err)
	}
	for s.len() > 0 {
		s.ack(s.peek(7), true)
	}
	appendLines(t, s, testLines(100, 200), 5) // new segments, then sent too
	for s.len() > 0 {
		s.ack(s.peek(7), true)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Fatalf("the foreign file: %q %v", b, err)
	}
	if n := len(segPaths(t, dir2)); n > 1 {
		t.Errorf("%d segments left after everything was sent", n)
	}
}

func listTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + ":" + info.Mode().String() + ":" + strconv.FormatInt(info.Size(), 10) + " ")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

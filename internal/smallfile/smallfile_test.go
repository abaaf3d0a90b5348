package smallfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	big := filepath.Join(dir, "big")
	fifo := filepath.Join(dir, "fifo")
	os.WriteFile(ok, []byte("hello"), 0o600)
	os.WriteFile(big, make([]byte, 2048), 0o600)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       string // error text; "" for success
		is         error
	}{
		{"regular", ok, "", nil},
		{"too large", big, big + ": 2048 bytes, more than the 1 KiB allowed", nil},
		{"missing", filepath.Join(dir, "nope"), "no such file", fs.ErrNotExist},
		{"directory", dir, "not a regular file (it is a directory)", ErrNotRegular},
		{"fifo", fifo, "not a regular file (it is a named pipe)", ErrNotRegular},
		{"device", "/dev/zero", "(it is a character device)", ErrNotRegular},
	} {
		done := make(chan struct{})
		var b []byte
		var err error
		go func() { b, err = Read(tc.path, 1024); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Read blocked", tc.name)
		}
		switch {
		case tc.want == "" && (err != nil || string(b) != "hello"):
			t.Errorf("%s: %q, %v", tc.name, b, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		case tc.is != nil && !errors.Is(err, tc.is):
			t.Errorf("%s: %v is not %v", tc.name, err, tc.is)
		}
	}
	var tl *TooLargeError
	if _, err := Read(big, 1024); !errors.As(err, &tl) || tl.Size != 2048 {
		t.Errorf("too large: %v", err)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 64 << 10: "64 KiB", 1500: "1500 bytes", 3 << 30: "3 GiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
